package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// hdr is the header of a file with just the required columns.
const hdr = "account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices"

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string // the full error message
		wantIs error  // nil when there is no sentinel to match
	}{
		{"empty file", "", "bad.csv: empty file: want a header row", nil},
		{"only a BOM", "\xef\xbb\xbf", "bad.csv: empty file: want a header row", nil},
		{"only blank lines", "\n\r\n\n", "bad.csv: empty file: want a header row", nil},
		{"missing column",
			"account_id,week,logins,frequency,recency_days,sla_breaches\n",
			`bad.csv: row 1: column "overdue_invoices": missing required column`, nil},
		{"names are case-sensitive",
			"Account_ID,week,logins,frequency,recency_days,sla_breaches,overdue_invoices\n",
			`bad.csv: row 1: column "account_id": missing required column`, nil},
		{"names are not trimmed",
			"account_id, week,logins,frequency,recency_days,sla_breaches,overdue_invoices\n",
			`bad.csv: row 1: column "week": missing required column`, nil},
		{"duplicate column", hdr + ",segment,logins\n",
			`bad.csv: row 1: column "logins": duplicate column`, nil},
		{"header after blank lines", "\n\n" + hdr + ",arr,arr\n",
			`bad.csv: row 3: column "arr": duplicate column`, nil},
		{"syntax error in header", hdr + `,"nps` + "\n",
			`bad.csv: row 1: byte 82: extraneous or missing " in quoted-field`, csv.ErrQuote},
		{"too few fields in first row", hdr + "\na,2024-01-01,1,2,3\n",
			"bad.csv: row 2: wrong number of fields: 5, header has 7", csv.ErrFieldCount},
		{"too many fields in a later row", hdr + "\na,2024-01-01,1,2,3,4,5\na,2024-01-08,1,2,3,4,5,6\n",
			"bad.csv: row 3: wrong number of fields: 8, header has 7", csv.ErrFieldCount},
		{"empty account_id", hdr + "\n,2024-01-01,1,2,3,4,5\n",
			`bad.csv: row 2: column "account_id": missing value`, nil},
		{"empty week", hdr + "\na,,1,2,3,4,5\n",
			`bad.csv: row 2: column "week": missing value`, nil},
		{"week not a date", hdr + "\na,01/08/2024,1,2,3,4,5\n",
			`bad.csv: row 2: column "week": date "01/08/2024" is not YYYY-MM-DD`, nil},
		{"week not a valid date", hdr + "\na,2024-02-30,1,2,3,4,5\n",
			`bad.csv: row 2: column "week": date "2024-02-30" is not a valid YYYY-MM-DD date`, nil},
		{"week a bad timestamp", hdr + "\na,2024-01-01Tnoon,1,2,3,4,5\n",
			`bad.csv: row 2: column "week": timestamp "2024-01-01Tnoon": time of day is not HH:MM[:SS[.fraction]][zone]`, nil},
		{"empty count", hdr + "\na,2024-01-01,,2,3,4,5\n",
			`bad.csv: row 2: column "logins": missing value`, nil},
		{"count not a number", hdr + "\na,2024-01-01,1,abc,3,4,5\n",
			`bad.csv: row 2: column "frequency": invalid number "abc"`, nil},
		{"count not whole", hdr + "\na,2024-01-01,1,2,12.5,4,5\n",
			`bad.csv: row 2: column "recency_days": 12.5 is not a whole number`, nil},
		{"negative count", hdr + "\na,2024-01-01,1,2,3,-4,5\n",
			`bad.csv: row 2: column "sla_breaches": negative count: -4`, features.ErrNegativeCount},
		{"negative float count", hdr + "\na,2024-01-01,1,2,3,4,-5.0\n",
			`bad.csv: row 2: column "overdue_invoices": negative count: -5.0`, features.ErrNegativeCount},
		{"count out of range", hdr + "\na,2024-01-01,99999999999999999999,2,3,4,5\n",
			`bad.csv: row 2: column "logins": count 99999999999999999999 is out of range`, nil},
		{"count in hexadecimal", hdr + "\na,2024-01-01,0x10,2,3,4,5\n",
			`bad.csv: row 2: column "logins": invalid number "0x10"`, nil},
		{"churned not a bool", hdr + ",churned\na,2024-01-01,1,2,3,4,5,yes\n",
			`bad.csv: row 2: column "churned": invalid boolean "yes" (want 0, 1, true or false)`, nil},
		{"arr not a number", hdr + ",arr\na,2024-01-01,1,2,3,4,5,lots\n",
			`bad.csv: row 2: column "arr": invalid number "lots"`, nil},
		{"arr negative", hdr + ",arr\na,2024-01-01,1,2,3,4,5,-5\n",
			`bad.csv: row 2: column "arr": negative value -5`, nil},
		{"arr infinite", hdr + ",arr\na,2024-01-01,1,2,3,4,5,1e400\n",
			`bad.csv: row 2: column "arr": number 1e400 is out of range`, nil},
		{"renewal_date not a date", hdr + ",renewal_date\na,2024-01-01,1,2,3,4,5,soon\n",
			`bad.csv: row 2: column "renewal_date": date "soon" is not YYYY-MM-DD`, nil},
		{"renewal_type unknown", hdr + ",renewal_type\na,2024-01-01,1,2,3,4,5,auto\na,2024-01-08,1,2,3,4,5,monthly\n",
			`bad.csv: row 3: column "renewal_type": unknown renewal type "monthly": want auto or signature (or a missing value)`, features.ErrRenewalType},
		{"numeric extra turns to text", hdr + ",nps\na,2024-01-01,1,2,3,4,5,7\na,2024-01-08,1,2,3,4,5,8\na,2024-01-15,1,2,3,4,5,high\n",
			`bad.csv: row 4: column "nps": text: "high" in a column of numbers (2 of them, the first at row 2): ` +
				`a numeric column holds numbers and missing values (empty, NA, N/A, n/a, null, NaN, None) only`, errText},
		{"numeric extra infinite", hdr + ",nps\na,2024-01-01,1,2,3,4,5,\na,2024-01-08,1,2,3,4,5,inf\n",
			`bad.csv: row 3: column "nps": inf is infinite: a value must be finite (leave the cell empty when it is unknown)`, nil},
		{"arr infinite", hdr + ",arr\na,2024-01-01,1,2,3,4,5,-Infinity\n",
			`bad.csv: row 2: column "arr": -Infinity is infinite: a value must be finite (leave the cell empty when it is unknown)`, nil},
		{"bare quote", hdr + "\na\"b,2024-01-01,1,2,3,4,5\n",
			`bad.csv: row 2: column "account_id": byte 2: bare " in non-quoted-field`, csv.ErrBareQuote},
		{"text after a closing quote", hdr + ",segment\na,2024-01-01,1,2,3,4,5,\"smb\"x\n",
			`bad.csv: row 2: column "segment": byte 28: extraneous or missing " in quoted-field`, csv.ErrQuote},
		{"unterminated quote", hdr + ",segment\na,2024-01-01,1,2,3,4,5,\"smb\nmid\n",
			`bad.csv: row 2: column "segment": line 3, byte 5: extraneous or missing " in quoted-field`, csv.ErrQuote},
		{"error after a multi-line row", hdr + ",segment\na,2024-01-01,1,2,3,4,5,\"s\nm\nb\"\na,2024-01-08,x,2,3,4,5,smb\n",
			`bad.csv: row 5: column "logins": invalid number "x"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readSnapshots(strings.NewReader(tt.in), "bad.csv")
			if err == nil {
				t.Fatalf("read succeeded, want error %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q\nwant       %q", err, tt.want)
			}
			var ie *features.InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %v is a %T, want a *features.InputError", err, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
		})
	}
}

func TestReader(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name        string
		in          string
		wantSchema  features.Schema
		wantIgnored []string
		want        []features.Snapshot
	}{{
		name:       "required columns only",
		in:         hdr + "\nacct-1,2024-01-01,1,2,3,4,5\nacct-2,2024-01-08,0,0,0,0,0\n",
		wantSchema: features.Schema{},
		want: []features.Snapshot{
			snap("acct-1", "2024-01-01", 1, 2, 3, 4, 5, 2),
			snap("acct-2", "2024-01-08", 0, 0, 0, 0, 0, 3),
		},
	}, {
		name: "every column, in another order",
		in: "segment,renewal_date,arr,churned,overdue_invoices,sla_breaches,recency_days,frequency,logins,week,account_id\n" +
			"smb,2025-06-30,1200.5,1,5,4,3,2,1,2024-01-01,acct-1\n",
		wantSchema: features.Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true},
		want: []features.Snapshot{
			with(snap("acct-1", "2024-01-01", 1, 2, 3, 4, 5, 2), func(s *features.Snapshot) {
				s.Churned, s.ARR, s.Segment, s.RenewalDate = true, 1200.5, "smb", date("2025-06-30")
			}),
		},
	}, {
		name:       "BOM and CRLF line ends",
		in:         "\xef\xbb\xbf" + hdr + "\r\nacct-1,2024-01-01,1,2,3,4,5\r\n",
		wantSchema: features.Schema{},
		want:       []features.Snapshot{snap("acct-1", "2024-01-01", 1, 2, 3, 4, 5, 2)},
	}, {
		name: "no final line end",
		in:   hdr + "\nacct-1,2024-01-01,1,2,3,4,5",
		want: []features.Snapshot{snap("acct-1", "2024-01-01", 1, 2, 3, 4, 5, 2)},
	}, {
		name: "pandas floats and timestamps",
		in: hdr + ",renewal_date\n" +
			"acct-1,2024-01-01 00:00:00,12.0,0.0,3.,+4,1e1,2025-06-30 00:00:00\n" +
			"acct-1,2024-01-08T00:00:00.000Z,1,2,3,4,5,2025-06-30T00:00:00+00:00\n",
		wantSchema: features.Schema{HasRenewal: true},
		want: []features.Snapshot{
			with(snap("acct-1", "2024-01-01", 12, 0, 3, 4, 10, 2), renewal("2025-06-30")),
			with(snap("acct-1", "2024-01-08", 1, 2, 3, 4, 5, 3), renewal("2025-06-30")),
		},
	}, {
		name: "churned spellings",
		in: hdr + ",churned\n" +
			"a,2024-01-01,0,0,0,0,0,0\na,2024-01-08,0,0,0,0,0,\na,2024-01-15,0,0,0,0,0,False\n" +
			"a,2024-01-22,0,0,0,0,0,1\na,2024-01-29,0,0,0,0,0,TRUE\na,2024-02-05,0,0,0,0,0,1.0\n",
		wantSchema: features.Schema{HasChurned: true},
		want: []features.Snapshot{
			snap("a", "2024-01-01", 0, 0, 0, 0, 0, 2),
			snap("a", "2024-01-08", 0, 0, 0, 0, 0, 3),
			snap("a", "2024-01-15", 0, 0, 0, 0, 0, 4),
			with(snap("a", "2024-01-22", 0, 0, 0, 0, 0, 5), churned),
			with(snap("a", "2024-01-29", 0, 0, 0, 0, 0, 6), churned),
			with(snap("a", "2024-02-05", 0, 0, 0, 0, 0, 7), churned),
		},
	}, {
		name:       "unknown optional values",
		in:         hdr + ",arr,segment,renewal_date\na,2024-01-01,0,0,0,0,0,,,\na,2024-01-08,0,0,0,0,0,NaN,,\n",
		wantSchema: features.Schema{HasARR: true, HasSegment: true, HasRenewal: true},
		want: []features.Snapshot{
			snap("a", "2024-01-01", 0, 0, 0, 0, 0, 2),
			snap("a", "2024-01-08", 0, 0, 0, 0, 0, 3),
		},
	}, {
		name: "quoted text is taken as it is",
		in: hdr + ",segment\n" +
			`"acct ""one"", inc.",2024-01-01,1,2,3,4,5," mid "` + "\n" +
			`"x",2024-01-08,1,2,3,4,5,""` + "\n",
		wantSchema: features.Schema{HasSegment: true},
		want: []features.Snapshot{
			with(snap(`acct "one", inc.`, "2024-01-01", 1, 2, 3, 4, 5, 2), segment(" mid ")),
			snap("x", "2024-01-08", 1, 2, 3, 4, 5, 3),
		},
	}, {
		name: "rows are numbered by line",
		in: hdr + ",segment\n" +
			"a,2024-01-01,1,2,3,4,5,\"two\nlines\"\n" +
			"\n" +
			"a,2024-01-08,1,2,3,4,5,\"three\r\nlines\r\n\"\r\n" +
			"a,2024-01-15,1,2,3,4,5,smb\n",
		wantSchema: features.Schema{HasSegment: true},
		want: []features.Snapshot{
			with(snap("a", "2024-01-01", 1, 2, 3, 4, 5, 2), segment("two\nlines")),
			with(snap("a", "2024-01-08", 1, 2, 3, 4, 5, 5), segment("three\nlines\n")),
			with(snap("a", "2024-01-15", 1, 2, 3, 4, 5, 8), segment("smb")),
		},
	}, {
		name: "extras decided by the first row",
		in: ",account_id,nps,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,plan,seats,note\n" +
			"0,a,7.5,2024-01-01,1,2,3,4,5,pro,,\n" +
			"1,a,,2024-01-08,1,2,3,4,5,basic,12,\n",
		wantSchema:  features.Schema{Extras: []string{"nps", "seats", "note"}},
		wantIgnored: []string{"", "plan"},
		want: []features.Snapshot{
			with(snap("a", "2024-01-01", 1, 2, 3, 4, 5, 2), extra(7.5, nan, nan)),
			with(snap("a", "2024-01-08", 1, 2, 3, 4, 5, 3), extra(nan, 12, nan)),
		},
	}, {
		name: "renewal types in their spellings",
		in: hdr + ",renewal_type,nps\n" +
			"a,2024-01-01,1,2,3,4,5,Auto-Renew,1\n" +
			"b,2024-01-01,1,2,3,4,5, evergreen ,2\n" +
			"c,2024-01-01,1,2,3,4,5,SIGNATURE,3\n" +
			"d,2024-01-01,1,2,3,4,5,manual,4\n" +
			"e,2024-01-01,1,2,3,4,5,,5\n" +
			"f,2024-01-01,1,2,3,4,5,NA,6\n",
		wantSchema: features.Schema{HasRenewalType: true, Extras: []string{"nps"}},
		want: []features.Snapshot{
			with(snap("a", "2024-01-01", 1, 2, 3, 4, 5, 2), renewalType(features.RenewalAuto), extra(1)),
			with(snap("b", "2024-01-01", 1, 2, 3, 4, 5, 3), renewalType(features.RenewalAuto), extra(2)),
			with(snap("c", "2024-01-01", 1, 2, 3, 4, 5, 4), renewalType(features.RenewalSignature), extra(3)),
			with(snap("d", "2024-01-01", 1, 2, 3, 4, 5, 5), renewalType(features.RenewalSignature), extra(4)),
			with(snap("e", "2024-01-01", 1, 2, 3, 4, 5, 6), extra(5)),
			with(snap("f", "2024-01-01", 1, 2, 3, 4, 5, 7), extra(6)),
		},
	}, {
		name:       "header only",
		in:         hdr + ",nps,segment\n",
		wantSchema: features.Schema{HasSegment: true, Extras: []string{"nps"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.in), "test.csv")
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Schema(); !sameSchema(got, tt.wantSchema) {
				t.Errorf("Schema() = %+v, want %+v", got, tt.wantSchema)
			}
			if got := r.Ignored(); !reflect.DeepEqual(got, tt.wantIgnored) {
				t.Errorf("Ignored() = %q, want %q", got, tt.wantIgnored)
			}
			for i, want := range tt.want {
				var s features.Snapshot
				if err := r.Next(&s); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				if !sameSnapshot(s, want) {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, s, want)
				}
			}
			var s features.Snapshot
			if err := r.Next(&s); err != io.EOF {
				t.Errorf("Next after the last row = %v, want io.EOF", err)
			}
			if err := r.Next(&s); err != io.EOF {
				t.Errorf("Next after io.EOF = %v, want io.EOF again", err)
			}
		})
	}
}

func TestReaderSchemaIsACopy(t *testing.T) {
	r, err := NewReader(strings.NewReader(hdr+",nps\n"), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	r.Schema().Extras[0] = "changed"
	r.Ignored()
	if got := r.Schema().Extras[0]; got != "nps" {
		t.Errorf("changing Schema's result changed the Reader's schema to %q", got)
	}
}

// TestReaderGoesOnAfterRowErrors checks that a bad row does not end the
// file, so a caller can report every bad row, but a syntax error does.
func TestReaderGoesOnAfterRowErrors(t *testing.T) {
	in := hdr + "\n" +
		"a,2024-01-01,1,2,3,4,5\n" +
		"a,2024-01-08,-1,2,3,4,5\n" +
		"a,2024-01-15,1,2,3\n" +
		"a,2024-01-22,1,2,3,4,5\n" +
		"a,2024-01-29,1\"\n" +
		"a,2024-02-05,1,2,3,4,5\n"
	r, err := NewReader(strings.NewReader(in), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	var rows []int
	var errs []string
	for range 8 {
		var s features.Snapshot
		switch err := r.Next(&s); {
		case err == nil:
			rows = append(rows, s.Row)
		default:
			errs = append(errs, err.Error())
		}
	}
	wantRows := []int{2, 5}
	wantErrs := []string{
		`test.csv: row 3: column "logins": negative count: -1`,
		"test.csv: row 4: wrong number of fields: 5, header has 7",
	}
	syntax := `test.csv: row 6: column "logins": byte 15: bare " in non-quoted-field`
	for len(wantErrs) < len(errs) {
		wantErrs = append(wantErrs, syntax)
	}
	if !reflect.DeepEqual(rows, wantRows) || !reflect.DeepEqual(errs, wantErrs) {
		t.Errorf("read rows %v and errors %q\nwant rows %v and errors %q", rows, errs, wantRows, wantErrs)
	}
}

// TestReaderReusesExtra checks the SnapshotReader promise that Next reuses
// s.Extra, and that a row costs no more than its one record string.
func TestReaderReusesExtra(t *testing.T) {
	data := sampleSnapshotCSV(1000)
	r, err := NewReader(bytes.NewReader(data), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	var s features.Snapshot
	if err := r.Next(&s); err != nil {
		t.Fatal(err)
	}
	extra := &s.Extra[0]
	allocs := testing.AllocsPerRun(500, func() {
		if err := r.Next(&s); err != nil {
			t.Fatal(err)
		}
	})
	if &s.Extra[0] != extra {
		t.Error("Next replaced s.Extra instead of reusing it")
	}
	if allocs > 1 {
		t.Errorf("Next allocates %v times a row, want at most 1", allocs)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshots.csv")
	if err := os.WriteFile(path, []byte(hdr+"\na,2024-01-01,1,2,3,4,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var s features.Snapshot
	if err := r.Next(&s); err != nil || s.AccountID != "a" {
		t.Errorf("Next = %+v, %v", s, err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	if _, err := Open(filepath.Join(dir, "missing.csv")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v, want fs.ErrNotExist", err)
	}

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("account_id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := `bad.csv: row 1: column "week": missing required column`
	if _, err := Open(bad); err == nil || !strings.HasSuffix(err.Error(), want) || !strings.Contains(err.Error(), bad) {
		t.Errorf("Open of a bad file: %v, want %s naming the full path", err, want)
	}
}

func TestReaderIOError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	for _, in := range []string{"", hdr + "\n", hdr + "\na,2024-01-01,1,2,3,4,5\n"} {
		_, err := readSnapshots(io.MultiReader(strings.NewReader(in), &failingReader{errDisk}), "test.csv")
		if !errors.Is(err, errDisk) || err.Error() != "read test.csv: disk on fire" {
			t.Errorf("read of %q then a failure = %v, want read test.csv: %v", in, err, errDisk)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(hdr + "\na,2024-01-01,1,2,3,4,5\n"))
	f.Add([]byte(hdr + ",churned,arr,segment,renewal_date,nps,note\n" +
		"a,2024-01-01T00:00:00Z,1,2.0,3,4,5,true,10.5,\"s,m\nb\",2025-01-01,7,x\n" +
		"a,2024-01-08,1,2,3,4,5,0,,,,,\n"))
	f.Add([]byte(hdr + ",renewal_type,segment\na,2024-01-01,1,2,3,4,5,Auto_Renew,smb\na,2024-01-08,1,2,3,4,5,,\nb,2024-01-01,1,2,3,4,5,sig,\n"))
	f.Add([]byte("\xef\xbb\xbf" + hdr + "\r\na,2024-01-01,-1,2,3,4,5\r\n"))
	f.Add([]byte(hdr + "\na,2024-01-01,1,2,3\n,2024-01-01,1,2,3,4,5\n"))
	f.Add([]byte(hdr + "\n\"a,2024-01-01,1,2,3,4,5\n"))
	f.Add(sampleSnapshotCSV(1)[:400])
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		schema := r.Schema()
		var snaps []features.Snapshot
		lastRow := 1
		// Each row takes at least one byte, so this reads to the end.
		for range len(data) + 1 {
			var s features.Snapshot
			err := r.Next(&s)
			if err == io.EOF {
				break
			}
			if err != nil {
				checkFuzzError(t, err)
				continue
			}
			if s.AccountID == "" || s.Logins < 0 || s.Frequency < 0 || s.RecencyDays < 0 ||
				s.SLABreaches < 0 || s.OverdueInvoices < 0 || s.ARR < 0 || math.IsInf(s.ARR, 0) ||
				(s.RenewalType != "" && s.RenewalType != features.RenewalAuto && s.RenewalType != features.RenewalSignature) ||
				len(s.Extra) != len(schema.Extras) || slices.ContainsFunc(s.Extra, func(v float64) bool { return math.IsInf(v, 0) }) {
				t.Fatalf("read an invalid snapshot %+v", s)
			}
			if s.Row <= lastRow {
				t.Fatalf("row %d follows row %d", s.Row, lastRow)
			}
			lastRow = s.Row
			snaps = append(snaps, s)
		}
		checkRoundTrip(t, schema, snaps)
	})
}

// checkFuzzError fails unless err is a *features.InputError about the
// fuzz input, as every error about an in-memory file must be.
func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var ie *features.InputError
	if !errors.As(err, &ie) || ie.File != "fuzz.csv" {
		t.Fatalf("error %v is not a *features.InputError about fuzz.csv", err)
	}
}

// readSnapshots reads every snapshot of in, stopping at the first error.
func readSnapshots(in io.Reader, name string) ([]features.Snapshot, error) {
	r, err := NewReader(in, name)
	if err != nil {
		return nil, err
	}
	var snaps []features.Snapshot
	for {
		var s features.Snapshot
		switch err := r.Next(&s); {
		case err == io.EOF:
			return snaps, nil
		case err != nil:
			return snaps, err
		}
		if len(s.Extra) != len(r.Schema().Extras) {
			return nil, errors.New("Next returned the wrong number of extras")
		}
		for _, v := range s.Extra {
			if math.IsInf(v, 0) {
				return nil, errors.New("Next returned an infinite extra")
			}
		}
		snaps = append(snaps, s)
	}
}

func BenchmarkReader(b *testing.B) {
	data := sampleSnapshotCSV(100_000)
	b.SetBytes(int64(len(data)))
	rows := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		var s features.Snapshot
		for {
			err := r.Next(&s)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}

// snap returns a snapshot with the required columns set and the optional
// ones unknown, as a Reader returns it for a file without them.
func snap(id, week string, logins, frequency, recency, sla, overdue int64, row int) features.Snapshot {
	return features.Snapshot{
		AccountID: id, Week: date(week),
		Logins: logins, Frequency: frequency, RecencyDays: recency, SLABreaches: sla, OverdueInvoices: overdue,
		ARR: math.NaN(), RenewalDate: features.NoDate, Row: row,
	}
}

func with(s features.Snapshot, set ...func(*features.Snapshot)) features.Snapshot {
	for _, f := range set {
		f(&s)
	}
	return s
}

func churned(s *features.Snapshot) { s.Churned = true }

func renewal(d string) func(*features.Snapshot) {
	return func(s *features.Snapshot) { s.RenewalDate = date(d) }
}

func renewalType(typ string) func(*features.Snapshot) {
	return func(s *features.Snapshot) { s.RenewalType = typ }
}

func segment(seg string) func(*features.Snapshot) {
	return func(s *features.Snapshot) { s.Segment = seg }
}

func extra(v ...float64) func(*features.Snapshot) {
	return func(s *features.Snapshot) { s.Extra = v }
}

func date(s string) features.Date {
	d, err := features.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// sameSnapshot is reflect.DeepEqual with NaN equal to NaN and a nil Extra
// equal to an empty one.
func sameSnapshot(a, b features.Snapshot) bool {
	if len(a.Extra) != len(b.Extra) || !sameFloat(a.ARR, b.ARR) {
		return false
	}
	for i := range a.Extra {
		if !sameFloat(a.Extra[i], b.Extra[i]) {
			return false
		}
	}
	a.Extra, b.Extra, a.ARR, b.ARR = nil, nil, 0, 0
	return reflect.DeepEqual(a, b)
}

// sameSchema is reflect.DeepEqual with a nil Extras equal to an empty one.
func sameSchema(a, b features.Schema) bool {
	if len(a.Extras) == 0 && len(b.Extras) == 0 {
		a.Extras, b.Extras = nil, nil
	}
	return reflect.DeepEqual(a, b)
}
