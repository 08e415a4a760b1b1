package parquetfile

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
)

// writeStructs writes rows with the schema parquet-go derives from T, as a
// producer other than this package would.
func writeStructs[T any](t testing.TB, rows []T, options ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, options...)
	if _, err := w.Write(rows); err != nil {
		t.Fatalf("write test file: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close test file: %v", err)
	}
	return buf.Bytes()
}

// column is one column of a test file built value by value, for files that
// a struct cannot describe concisely, such as a column of the wrong type.
type column struct {
	name string
	node parquet.Node
	vals []parquet.Value // parquet.NullValue() for a null
}

// writeColumns writes the columns, in order, as one row group. The columns
// must be flat and of equal length.
func writeColumns(t testing.TB, cols ...column) []byte {
	t.Helper()
	names := make([]string, len(cols))
	nodes := make([]parquet.Node, len(cols))
	for i, c := range cols {
		names[i], nodes[i] = c.name, c.node
	}
	g, err := newOrderedGroup(names, nodes)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, parquet.NewSchema("test", g))
	for i := range cols[0].vals {
		row := make(parquet.Row, len(cols))
		for j, c := range cols {
			if c.node.Optional() {
				row[j] = optional(c.vals[i], j)
			} else {
				row[j] = required(c.vals[i], j)
			}
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatalf("write test file: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close test file: %v", err)
	}
	return buf.Bytes()
}

// validColumns returns the required columns for three valid rows.
func validColumns() []column {
	week := mustDate("2024-01-01")
	return []column{
		{"account_id", parquet.String(), strs("a1", "a1", "b2")},
		{"week", parquet.Date(), i32s(int32(week), int32(week+7), int32(week))},
		{"logins", parquet.Int(64), i64s(3, 0, 10)},
		{"frequency", parquet.Int(64), i64s(2, 0, 5)},
		{"recency_days", parquet.Int(64), i64s(1, 8, 0)},
		{"sla_breaches", parquet.Int(64), i64s(0, 1, 0)},
		{"overdue_invoices", parquet.Int(64), i64s(0, 2, 0)},
	}
}

// replace returns cols with the column of c's name replaced by c, or with
// c appended when there is none.
func replace(cols []column, c column) []column {
	out := append([]column(nil), cols...)
	for i := range out {
		if out[i].name == c.name {
			out[i] = c
			return out
		}
	}
	return append(out, c)
}

// without returns cols without the named column.
func without(cols []column, name string) []column {
	var out []column
	for _, c := range cols {
		if c.name != name {
			out = append(out, c)
		}
	}
	return out
}

func strs(s ...string) []parquet.Value {
	vals := make([]parquet.Value, len(s))
	for i, x := range s {
		vals[i] = parquet.ByteArrayValue([]byte(x))
	}
	return vals
}

func i32s(n ...int32) []parquet.Value {
	vals := make([]parquet.Value, len(n))
	for i, x := range n {
		vals[i] = parquet.Int32Value(x)
	}
	return vals
}

func i64s(n ...int64) []parquet.Value {
	vals := make([]parquet.Value, len(n))
	for i, x := range n {
		vals[i] = parquet.Int64Value(x)
	}
	return vals
}

func f64s(x ...float64) []parquet.Value {
	vals := make([]parquet.Value, len(x))
	for i, v := range x {
		vals[i] = parquet.DoubleValue(v)
	}
	return vals
}

// withNull returns vals with the i-th value null.
func withNull(vals []parquet.Value, i int) []parquet.Value {
	out := append([]parquet.Value(nil), vals...)
	out[i] = parquet.NullValue()
	return out
}

func mustDate(s string) features.Date {
	d, err := features.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func newTestReader(t testing.TB, data []byte) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "test.parquet")
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return r
}

// readAll returns every snapshot of data, each with its own Extra.
func readAll(t testing.TB, data []byte) []features.Snapshot {
	t.Helper()
	r := newTestReader(t, data)
	defer r.Close()
	var out []features.Snapshot
	for {
		var s features.Snapshot
		err := r.Next(&s)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(out), err)
		}
		s.Extra = append([]float64(nil), s.Extra...)
		out = append(out, s)
	}
}

// firstError reads data to its first error other than io.EOF.
func firstError(t testing.TB, data []byte) error {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "test.parquet")
	if err != nil {
		return err
	}
	defer r.Close()
	var s features.Snapshot
	for {
		if err := r.Next(&s); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// sameFloat treats NaN as equal to NaN: both mean "unknown".
func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func sameSnapshot(a, b features.Snapshot) bool {
	if len(a.Extra) != len(b.Extra) {
		return false
	}
	for i := range a.Extra {
		if !sameFloat(a.Extra[i], b.Extra[i]) {
			return false
		}
	}
	return a.AccountID == b.AccountID && a.Week == b.Week &&
		a.Logins == b.Logins && a.Frequency == b.Frequency && a.RecencyDays == b.RecencyDays &&
		a.SLABreaches == b.SLABreaches && a.OverdueInvoices == b.OverdueInvoices &&
		a.Churned == b.Churned && sameFloat(a.ARR, b.ARR) && a.Segment == b.Segment &&
		a.RenewalDate == b.RenewalDate && a.RenewalType == b.RenewalType && a.Row == b.Row
}

func checkSnapshots(t *testing.T, got, want []features.Snapshot) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d snapshots, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameSnapshot(got[i], want[i]) {
			t.Errorf("snapshot %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// checkInputError checks that err is an *InputError at the given place,
// wrapping target when target is not nil, and saying msg.
func checkInputError(t *testing.T, err error, row int, col string, target error, msg string) {
	t.Helper()
	var ie *features.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T) is not an *InputError", err, err)
	}
	if ie.File != "test.parquet" || ie.Row != row || ie.Column != col {
		t.Errorf("error at file %q row %d column %q, want test.parquet row %d column %q (%v)",
			ie.File, ie.Row, ie.Column, row, col, err)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("error %v does not wrap %v", err, target)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not say %q", err, msg)
	}
}
