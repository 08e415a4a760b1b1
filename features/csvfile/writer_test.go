package csvfile

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

func TestWriterOutput(t *testing.T) {
	schema := features.Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true, Extras: []string{"nps", "seat count"}}
	snaps := []features.Snapshot{
		with(snap("acct-1", "2024-01-01", 1, 2, 3, 4, 5, 0), func(s *features.Snapshot) {
			s.ARR, s.Segment, s.RenewalDate, s.Extra = 1200.5, "smb", date("2025-06-30"), []float64{7, 0.1}
		}),
		with(snap(`big, "co"`, "2024-01-08", 0, 0, 0, 0, 0, 0), func(s *features.Snapshot) {
			s.Churned, s.Segment, s.Extra = true, " mid", []float64{math.NaN(), -1e21}
		}),
	}
	want := "account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned,arr,segment,renewal_date,nps,seat count\n" +
		"acct-1,2024-01-01,1,2,3,4,5,0,1200.5,smb,2025-06-30,7,0.1\n" +
		`"big, ""co""",2024-01-08,0,0,0,0,0,1,," mid",,,-1e+21` + "\n"
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema)
	if err != nil {
		t.Fatal(err)
	}
	for i := range snaps {
		if err := w.Write(&snaps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestWriterRenewalType pins the renewal_type column after renewal_date
// and before the extras, written only when the schema has it.
func TestWriterRenewalType(t *testing.T) {
	s := with(snap("a", "2024-01-01", 1, 2, 3, 4, 5, 0), renewalType(features.RenewalAuto), renewal("2024-06-03"), extra(3))
	u := with(snap("b", "2024-01-01", 1, 2, 3, 4, 5, 0), extra(4))
	tests := []struct {
		schema features.Schema
		want   string
	}{
		{features.Schema{HasRenewal: true, HasRenewalType: true, Extras: []string{"seats"}},
			hdr + ",renewal_date,renewal_type,seats\na,2024-01-01,1,2,3,4,5,2024-06-03,auto,3\nb,2024-01-01,1,2,3,4,5,,,4\n"},
		{features.Schema{HasRenewal: true, Extras: []string{"seats"}},
			hdr + ",renewal_date,seats\na,2024-01-01,1,2,3,4,5,2024-06-03,3\nb,2024-01-01,1,2,3,4,5,,4\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, tt.schema)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []features.Snapshot{s, u} {
			if err := w.Write(&x); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("schema %+v: wrote\n%s\nwant\n%s", tt.schema, buf.String(), tt.want)
		}
	}
	// A value no reader gives is refused, not written.
	var buf bytes.Buffer
	w, err := NewWriter(&buf, features.Schema{HasRenewalType: true})
	if err != nil {
		t.Fatal(err)
	}
	bad := with(snap("a", "2024-01-01", 1, 2, 3, 4, 5, 0), renewalType("Auto"))
	if err := w.Write(&bad); err == nil || !strings.Contains(err.Error(), `renewal_type: "Auto"`) {
		t.Errorf("Write of renewal type %q = %v, want an error naming renewal_type", bad.RenewalType, err)
	}
}

func TestWriterRoundTrip(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		schema features.Schema
		snaps  []features.Snapshot
	}{{
		name:   "required columns only",
		schema: features.Schema{},
		snaps: []features.Snapshot{
			snap("a", "2024-01-01", 0, 0, 0, 0, 0, 0),
			snap("a", "9999-12-31", math.MaxInt64, 1, 2, 3, 4, 0),
			snap("b", "0000-01-01", 1, 2, 3, 4, 5, 0),
		},
	}, {
		name:   "every column",
		schema: features.Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true, Extras: []string{"x", "y,z", `"q"`}},
		snaps: []features.Snapshot{
			with(snap("a", "2024-01-01", 1, 2, 3, 4, 5, 0), func(s *features.Snapshot) {
				s.ARR, s.Segment, s.RenewalDate, s.Extra = 0.1, "enterprise", date("2025-06-30"), []float64{nan, 1e300, 5e-324}
			}),
			with(snap("a", "2024-01-08", 1, 2, 3, 4, 5, 0), func(s *features.Snapshot) {
				s.Churned, s.ARR, s.Extra = true, math.MaxFloat64, []float64{-1, math.Copysign(0, -1), 1.0 / 3}
			}),
		},
	}, {
		name:   "renewal types",
		schema: features.Schema{HasRenewal: true, HasRenewalType: true, Extras: []string{"seats"}},
		snaps: []features.Snapshot{
			with(snap("a", "2024-01-01", 1, 2, 3, 4, 5, 0), renewalType(features.RenewalAuto), renewal("2024-06-03"), extra(3)),
			with(snap("b", "2024-01-01", 1, 2, 3, 4, 5, 0), renewalType(features.RenewalSignature), extra(nan)),
			with(snap("c", "2024-01-01", 1, 2, 3, 4, 5, 0), extra(1)),
		},
	}, {
		name:   "awkward text",
		schema: features.Schema{HasSegment: true},
		snaps: []features.Snapshot{
			with(snap("with,comma", "2024-01-01", 1, 2, 3, 4, 5, 0), segment(`"quoted"`)),
			with(snap("two\nlines", "2024-01-01", 1, 2, 3, 4, 5, 0), segment(" leading space")),
			with(snap("crlf\r\ninside", "2024-01-01", 1, 2, 3, 4, 5, 0), segment("lone \r return")),
			with(snap("ünïcödé", "2024-01-01", 1, 2, 3, 4, 5, 0), segment("")),
			with(snap(`"`, "2024-01-01", 1, 2, 3, 4, 5, 0), segment(`""`)),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRoundTrip(t, tt.schema, tt.snaps)
		})
	}
}

// checkRoundTrip writes snaps with a Writer, reads them back with a Reader
// and fails unless they come back unchanged but for their rows and CSV's
// one loss, "\r\n" in text turning into "\n".
func checkRoundTrip(t *testing.T, schema features.Schema, snaps []features.Snapshot) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema)
	if err != nil {
		t.Fatalf("NewWriter(%+v): %v", schema, err)
	}
	for i := range snaps {
		if err := w.Write(&snaps[i]); err != nil {
			t.Fatalf("Write(%+v): %v", snaps[i], err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	written := buf.String()
	r, err := NewReader(&buf, "roundtrip.csv")
	if err != nil {
		t.Fatalf("reading back\n%s: %v", written, err)
	}
	if got := r.Schema(); !sameSchema(got, schema) {
		t.Fatalf("schema %+v read back as %+v", schema, got)
	}
	for i, want := range snaps {
		var got features.Snapshot
		if err := r.Next(&got); err != nil {
			t.Fatalf("reading back\n%s: %v", written, err)
		}
		want.AccountID = strings.ReplaceAll(want.AccountID, "\r\n", "\n")
		want.Segment = strings.ReplaceAll(want.Segment, "\r\n", "\n")
		if !schema.HasARR {
			want.ARR = math.NaN()
		}
		if !schema.HasRenewalType {
			want.RenewalType = ""
		}
		want.Row = got.Row
		if !sameSnapshot(got, want) {
			t.Fatalf("snapshot %d read back as\n%+v\nwant\n%+v\nfrom\n%s", i, got, want, written)
		}
	}
	var s features.Snapshot
	if err := r.Next(&s); err != io.EOF {
		t.Fatalf("after the last snapshot, Next = %v, want io.EOF", err)
	}
}

func TestWriterRejects(t *testing.T) {
	schema := features.Schema{HasARR: true, HasRenewal: true, Extras: []string{"nps"}}
	ok := with(snap("a", "2024-01-01", 1, 2, 3, 4, 5, 0), extra(1))
	tests := []struct {
		name   string
		set    func(*features.Snapshot)
		want   string
		wantIs error
	}{
		{"empty account ID", func(s *features.Snapshot) { s.AccountID = "" },
			`csvfile: snapshot of "" at 2024-01-01: account_id: empty account id`, nil},
		{"no week", func(s *features.Snapshot) { s.Week = features.NoDate },
			`csvfile: snapshot of "a": week: no week`, nil},
		{"week past year 9999", func(s *features.Snapshot) { s.Week = maxDate + 1 },
			`csvfile: snapshot of "a": week: date 10000-01-01 is outside 0000-01-01 to 9999-12-31`, nil},
		{"negative count", func(s *features.Snapshot) { s.RecencyDays = -1 },
			`csvfile: snapshot of "a" at 2024-01-01: recency_days: negative count: -1`, features.ErrNegativeCount},
		{"negative ARR", func(s *features.Snapshot) { s.ARR = -1 },
			`csvfile: snapshot of "a" at 2024-01-01: arr: -1 is not a number >= 0`, nil},
		{"infinite ARR", func(s *features.Snapshot) { s.ARR = math.Inf(1) },
			`csvfile: snapshot of "a" at 2024-01-01: arr: +Inf is not a number >= 0`, nil},
		{"renewal before year 0", func(s *features.Snapshot) { s.RenewalDate = minDate - 1 },
			`csvfile: snapshot of "a" at 2024-01-01: renewal_date: date -0001-12-31 is outside 0000-01-01 to 9999-12-31`, nil},
		{"too few extras", func(s *features.Snapshot) { s.Extra = nil },
			`csvfile: snapshot of "a" at 2024-01-01: 0 extra values for 1 extra columns`, nil},
		{"infinite extra", func(s *features.Snapshot) { s.Extra = []float64{math.Inf(-1)} },
			`csvfile: snapshot of "a" at 2024-01-01: nps: infinite value`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, schema)
			if err != nil {
				t.Fatal(err)
			}
			bad := with(ok, func(s *features.Snapshot) { s.Extra = []float64{1} })
			tt.set(&bad)
			err = w.Write(&bad)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Write = %v, want %q", err, tt.want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Write = %v, which does not wrap %v", err, tt.wantIs)
			}
			// The bad snapshot left nothing behind and the Writer goes on.
			if err := w.Write(&ok); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want := "account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,arr,renewal_date,nps\n" +
				"a,2024-01-01,1,2,3,4,5,,,1\n"
			if buf.String() != want {
				t.Errorf("wrote\n%s\nwant\n%s", buf.String(), want)
			}
		})
	}
}

func TestNewWriterRejects(t *testing.T) {
	tests := []struct {
		extras []string
		want   string
	}{
		{[]string{"nps", ""}, "csvfile: extra column with no name"},
		{[]string{"logins"}, `csvfile: extra column "logins" is a contract column`},
		{[]string{"nps", "x", "nps"}, `csvfile: duplicate extra column "nps"`},
	}
	for _, tt := range tests {
		_, err := NewWriter(io.Discard, features.Schema{Extras: tt.extras})
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewWriter with extras %q = %v, want %q", tt.extras, err, tt.want)
		}
	}
}

func TestNewWriterWriteError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	// A header longer than the buffer reaches the writer at once.
	schema := features.Schema{Extras: []string{strings.Repeat("x", 100_000)}}
	if _, err := NewWriter(&failingWriter{errDisk}, schema); !errors.Is(err, errDisk) {
		t.Errorf("NewWriter = %v, want %v", err, errDisk)
	}
}

func TestWriterFlushError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	w, err := NewWriter(&failingWriter{errDisk}, features.Schema{})
	if err != nil {
		t.Fatal(err)
	}
	s := snap("a", "2024-01-01", 1, 2, 3, 4, 5, 0)
	if err := w.Write(&s); err != nil {
		t.Fatalf("a buffered Write failed: %v", err)
	}
	for _, err := range []error{w.Flush(), w.Write(&s), w.Flush()} {
		if !errors.Is(err, errDisk) || err.Error() != "csvfile: write snapshots: disk on fire" {
			t.Errorf("got %v, want csvfile: write snapshots: %v", err, errDisk)
		}
	}
}

func TestWriterWriteError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	w, err := NewWriter(&failingWriter{errDisk}, features.Schema{})
	if err != nil {
		t.Fatal(err)
	}
	s := snap("a", "2024-01-01", 1, 2, 3, 4, 5, 0)
	// The output is buffered, so the failure shows once the buffer fills,
	// and from then on at every call.
	for n := 0; err == nil; n++ {
		if n > 1e5 {
			t.Fatal("Write never reported the failing writer's error")
		}
		err = w.Write(&s)
	}
	for _, err := range []error{err, w.Write(&s), w.Flush()} {
		if !errors.Is(err, errDisk) || err.Error() != "csvfile: write snapshots: disk on fire" {
			t.Errorf("got %v, want csvfile: write snapshots: %v", err, errDisk)
		}
	}
}

// failingWriter fails every write with err.
type failingWriter struct{ err error }

func (w *failingWriter) Write([]byte) (int, error) { return 0, w.err }

func BenchmarkWriter(b *testing.B) {
	data := sampleSnapshotCSV(100_000)
	r, err := NewReader(bytes.NewReader(data), "bench.csv")
	if err != nil {
		b.Fatal(err)
	}
	var snaps []features.Snapshot
	for {
		var s features.Snapshot
		if err := r.Next(&s); err != nil {
			break
		}
		snaps = append(snaps, s)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w, err := NewWriter(io.Discard, r.Schema())
		if err != nil {
			b.Fatal(err)
		}
		for i := range snaps {
			if err := w.Write(&snaps[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(snaps)), "ns/row")
}
