package parquetfile

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

func openParquet(t *testing.T, data []byte) *parquet.File {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet.OpenFile: %v", err)
	}
	return f
}

// writeSnapshots writes the snapshots with the schema, rowGroupRows to a
// row group.
func writeSnapshots(t *testing.T, schema features.Schema, rowGroupRows int, snaps []features.Snapshot) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriterSize(&buf, schema, rowGroupRows)
	if err != nil {
		t.Fatal(err)
	}
	for i := range snaps {
		if err := w.Write(&snaps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	base := features.Snapshot{
		AccountID: "acme", Week: mustDate("2024-03-04"),
		Logins: 12, Frequency: 7, RecencyDays: 2, SLABreaches: 1, OverdueInvoices: 3,
		ARR: math.NaN(), RenewalDate: features.NoDate,
	}
	with := func(f func(*features.Snapshot)) features.Snapshot {
		s := base
		f(&s)
		return s
	}
	tests := []struct {
		name   string
		schema features.Schema
		snaps  []features.Snapshot
	}{
		{"required only", features.Schema{}, []features.Snapshot{base, with(func(s *features.Snapshot) {
			s.AccountID, s.Logins, s.Week = "globex", math.MaxInt64, mustDate("1969-12-29")
		})}},
		{"every optional column", fullSchema, []features.Snapshot{
			with(func(s *features.Snapshot) {
				s.Churned, s.ARR, s.Segment, s.RenewalDate = true, 52000.25, "mid", mustDate("2024-12-31")
			}),
			base, // every optional value unknown
			with(func(s *features.Snapshot) { s.ARR, s.Segment = 0, "é企業" }),
		}},
		{"renewal types", features.Schema{HasRenewal: true, HasRenewalType: true, Extras: []string{"seats"}}, []features.Snapshot{
			with(func(s *features.Snapshot) {
				s.RenewalType, s.RenewalDate, s.Extra = features.RenewalAuto, mustDate("2024-06-03"), []float64{3}
			}),
			with(func(s *features.Snapshot) { s.RenewalType, s.Extra = features.RenewalSignature, []float64{4} }),
			with(func(s *features.Snapshot) { s.Extra = []float64{math.NaN()} }), // unknown
		}},
		{"extras with NaN", features.Schema{HasARR: true, Extras: []string{"zeta", "alpha", "a,b"}}, []features.Snapshot{
			with(func(s *features.Snapshot) { s.Extra = []float64{-1.5, math.NaN(), 1e300} }),
			with(func(s *features.Snapshot) { s.Extra = []float64{math.NaN(), 0, math.SmallestNonzeroFloat64} }),
		}},
		{"no rows", fullSchema, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := slices.Clone(tt.snaps)
			for i := range want {
				want[i].Row = i + 1
				if want[i].Extra == nil {
					want[i].Extra = make([]float64, len(tt.schema.Extras))
				}
				if !tt.schema.HasARR {
					want[i].ARR = math.NaN()
				}
			}
			data := writeSnapshots(t, tt.schema, DefaultRowGroupRows, want)
			r := newTestReader(t, data)
			got := r.Schema()
			if got.HasChurned != tt.schema.HasChurned || got.HasARR != tt.schema.HasARR ||
				got.HasSegment != tt.schema.HasSegment || got.HasRenewal != tt.schema.HasRenewal ||
				got.HasRenewalType != tt.schema.HasRenewalType || !slices.Equal(got.Extras, tt.schema.Extras) {
				t.Errorf("Schema() = %+v, want %+v", got, tt.schema)
			}
			if len(r.Ignored()) != 0 {
				t.Errorf("Ignored() = %q, want none", r.Ignored())
			}
			checkSnapshots(t, readAll(t, data), want)
		})
	}
}

// TestWriterLayout checks the file other tools see: columns in schema
// order with the documented types, zstd, and a row group per N rows.
func TestWriterLayout(t *testing.T) {
	schema := features.Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true, Extras: []string{"z", "a"}}
	snaps := make([]features.Snapshot, 2500)
	for i := range snaps {
		snaps[i] = features.Snapshot{AccountID: "a", Week: 1, ARR: math.NaN(), RenewalDate: features.NoDate, Extra: []float64{1, math.NaN()}}
	}
	f := openParquet(t, writeSnapshots(t, schema, 1000, snaps))

	var groups []int64
	for _, g := range f.RowGroups() {
		groups = append(groups, g.NumRows())
	}
	if !slices.Equal(groups, []int64{1000, 1000, 500}) {
		t.Errorf("row groups of %v rows, want [1000 1000 500]", groups)
	}
	type col struct {
		name, typ string
		optional  bool
	}
	var got []col
	for _, c := range f.Root().Columns() {
		got = append(got, col{c.Name(), c.Type().String(), c.Optional()})
	}
	want := []col{
		{"account_id", "STRING", false}, {"week", "DATE", false},
		{"logins", "INT(64,true)", false}, {"frequency", "INT(64,true)", false}, {"recency_days", "INT(64,true)", false},
		{"sla_breaches", "INT(64,true)", false}, {"overdue_invoices", "INT(64,true)", false},
		{"churned", "BOOLEAN", false}, {"arr", "DOUBLE", true}, {"segment", "STRING", true},
		{"renewal_date", "DATE", true}, {"z", "DOUBLE", true}, {"a", "DOUBLE", true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("columns\n got %v\nwant %v", got, want)
	}
	for _, c := range f.Metadata().RowGroups[0].Columns {
		if c.MetaData.Codec != format.Zstd {
			t.Errorf("column %v compressed with %v, want ZSTD", c.MetaData.PathInSchema, c.MetaData.Codec)
		}
	}
	// Unknown values are nulls, not NaN doubles, empty strings or a
	// sentinel day, so that other tools see them as missing.
	for _, name := range []string{"arr", "segment", "renewal_date", "a"} {
		i := slices.IndexFunc(want, func(c col) bool { return c.name == name })
		if n := f.RowGroups()[0].ColumnChunks()[i].(*parquet.FileColumnChunk).NullCount(); n != 1000 {
			t.Errorf("column %s has %d nulls in its first row group, want 1000", name, n)
		}
	}
}

func TestWriterRejects(t *testing.T) {
	schema := features.Schema{HasARR: true, Extras: []string{"x"}}
	good := features.Snapshot{AccountID: "a", Week: 1, ARR: 1, Extra: []float64{0}}
	tests := []struct {
		name   string
		change func(*features.Snapshot)
		msg    string
	}{
		{"negative count", func(s *features.Snapshot) { s.SLABreaches = -1 }, "sla_breaches: negative count: -1"},
		{"empty account", func(s *features.Snapshot) { s.AccountID = "" }, "account_id: empty account id"},
		{"no week", func(s *features.Snapshot) { s.Week = features.NoDate }, "no week"},
		{"extras mismatch", func(s *features.Snapshot) { s.Extra = nil }, "0 extra values for 1 extra columns"},
		{"negative arr", func(s *features.Snapshot) { s.ARR = -3 }, "arr: -3 is not a number >= 0"},
		{"infinite extra", func(s *features.Snapshot) { s.Extra = []float64{math.Inf(1)} }, "x: infinite value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, schema)
			if err != nil {
				t.Fatal(err)
			}
			bad := good
			bad.Extra = slices.Clone(good.Extra)
			tt.change(&bad)
			if err := w.Write(&good); err != nil {
				t.Fatal(err)
			}
			err = w.Write(&bad)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "snapshot 2") {
				t.Errorf("Write = %v, want an error about snapshot 2 saying %q", err, tt.msg)
			}
			// The rejected snapshot is skipped and the writer goes on.
			if err := w.Write(&good); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if n := len(readAll(t, buf.Bytes())); n != 2 {
				t.Errorf("file holds %d rows, want 2", n)
			}
		})
	}
}

func TestNewWriterErrors(t *testing.T) {
	tests := []struct {
		name   string
		schema features.Schema
		rows   int
		msg    string
	}{
		{"duplicate extra", features.Schema{Extras: []string{"x", "x"}}, 10, `duplicate column "x"`},
		{"extra named like a count", features.Schema{Extras: []string{"logins"}}, 10, `extra column "logins" has a contract column's name`},
		{"extra named like an absent optional", features.Schema{Extras: []string{"arr"}}, 10, `extra column "arr" has a contract column's name`},
		{"unnamed extra", features.Schema{Extras: []string{""}}, 10, "column 8 has no name"},
		{"no rows per group", features.Schema{}, 0, "0 rows per row group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWriterSize(io.Discard, tt.schema, tt.rows)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("NewWriterSize = %v, want an error saying %q", err, tt.msg)
			}
		})
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriterIOError(t *testing.T) {
	w, err := NewWriterSize(&failWriter{n: 100}, features.Schema{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	s := features.Snapshot{AccountID: "a", Week: 1}
	for range 1000 {
		if err = w.Write(&s); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Close()
	}
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("got %v, want an error wrapping %v", err, errDiskFull)
	}
	if err := w.Write(&s); !errors.Is(err, errDiskFull) {
		t.Errorf("Write after a failure = %v, want the failure again", err)
	}
	if err := w.Close(); !errors.Is(err, errDiskFull) {
		t.Errorf("Close after a failure = %v, want the failure again", err)
	}
}

func TestWriterClose(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, features.Schema{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Write(&features.Snapshot{AccountID: "a", Week: 1}); !errors.Is(err, errWriterClosed) {
		t.Errorf("Write after Close = %v, want %v", err, errWriterClosed)
	}
	if buf.Len() != n {
		t.Errorf("file grew from %d to %d bytes after Close", n, buf.Len())
	}
	if rows := readAll(t, buf.Bytes()); len(rows) != 0 {
		t.Errorf("empty file has %d rows", len(rows))
	}
}

func BenchmarkWriter(b *testing.B) {
	const n = 100_000
	schema := features.Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true, Extras: []string{"nps", "seats"}}
	s := features.Snapshot{
		AccountID: "acct-000123", Week: mustDate("2024-01-01"), Logins: 5, Frequency: 3,
		ARR: 12000, Segment: "mid", RenewalDate: mustDate("2024-09-30"), Extra: []float64{3, math.NaN()},
	}
	for b.Loop() {
		w, err := NewWriter(io.Discard, schema)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			s.Logins = int64(i % 13)
			if err := w.Write(&s); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}
