package parquetfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
)

func testDataset(labelled bool) *features.Dataset {
	ds := &features.Dataset{Features: []string{"logins_4w", "arr", "days_to_renewal"}}
	ds.Append("a1", mustDate("2024-01-01"), []float64{3.5, 1200, math.NaN()})
	ds.Append("a1", mustDate("2024-01-08"), []float64{0, math.NaN(), -12})
	ds.Append("b2", mustDate("2024-01-01"), []float64{math.Inf(1), 0, 1e-300})
	if labelled {
		ds.Label = []float64{0, 1, 0}
	}
	return ds
}

func checkDataset(t *testing.T, got, want *features.Dataset) {
	t.Helper()
	if err := got.Check(); err != nil {
		t.Fatalf("read dataset is inconsistent: %v", err)
	}
	if !slices.Equal(got.Features, want.Features) || !slices.Equal(got.AccountID, want.AccountID) ||
		!slices.Equal(got.Week, want.Week) || !slices.EqualFunc(got.X, want.X, sameFloat) ||
		!slices.Equal(got.Label, want.Label) || (got.Label == nil) != (want.Label == nil) {
		t.Errorf("dataset\n got %+v\nwant %+v", got, want)
	}
}

func roundTripDataset(t *testing.T, ds *features.Dataset) *features.Dataset {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteDataset(&buf, ds); err != nil {
		t.Fatalf("WriteDataset: %v", err)
	}
	got, err := ReadDataset(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "test.parquet")
	if err != nil {
		t.Fatalf("ReadDataset: %v", err)
	}
	return got
}

func TestDatasetRoundTrip(t *testing.T) {
	noFeatures := &features.Dataset{}
	noFeatures.Append("a", 5, nil)
	noFeatures.Label = []float64{1}
	tests := []struct {
		name string
		ds   *features.Dataset
	}{
		{"labelled", testDataset(true)},
		{"unlabelled", testDataset(false)},
		{"no features", noFeatures},
		{"no rows", &features.Dataset{Features: []string{"x"}, Label: []float64{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDataset(t, roundTripDataset(t, tt.ds), tt.ds)
		})
	}
}

func TestDatasetLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDataset(&buf, testDataset(true)); err != nil {
		t.Fatal(err)
	}
	f := openParquet(t, buf.Bytes())
	var got []string
	for _, c := range f.Root().Columns() {
		desc := c.Name() + " " + c.Type().String()
		if c.Optional() {
			desc += " optional"
		}
		got = append(got, desc)
	}
	want := []string{
		"account_id STRING", "week DATE", "logins_4w DOUBLE optional",
		"arr DOUBLE optional", "days_to_renewal DOUBLE optional", "label INT(32,true)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("columns\n got %q\nwant %q", got, want)
	}
}

func TestDatasetFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "train.parquet")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := testDataset(true)
	if err := WriteDatasetFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDatasetFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkDataset(t, got, want)
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the dataset", len(entries))
	}

	// A failed write leaves the previous file in place.
	bad := testDataset(true)
	bad.Label[1] = 0.5
	if err := WriteDatasetFile(path, bad); err == nil {
		t.Fatal("WriteDatasetFile of a bad label succeeded")
	}
	if got, err := ReadDatasetFile(path); err != nil {
		t.Errorf("previous file unreadable after a failed write: %v", err)
	} else {
		checkDataset(t, got, want)
	}

	if _, err := ReadDatasetFile(filepath.Join(dir, "missing.parquet")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadDatasetFile of a missing file = %v, want ErrNotExist", err)
	}
}

func TestWriteDatasetErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*features.Dataset)
		msg    string
	}{
		{"inconsistent", func(ds *features.Dataset) { ds.X = ds.X[1:] }, "8 values for 3 rows x 3 features"},
		{"fractional label", func(ds *features.Dataset) { ds.Label[2] = 0.5 }, "dataset row 3: label 0.5 is not 0 or 1"},
		{"empty account", func(ds *features.Dataset) { ds.AccountID[0] = "" }, "dataset row 1: empty account_id"},
		{"no week", func(ds *features.Dataset) { ds.Week[1] = features.NoDate }, "dataset row 2: no week"},
		{"feature named week", func(ds *features.Dataset) { ds.Features[1] = "week" }, `duplicate column "week"`},
		{"feature named label", func(ds *features.Dataset) { ds.Features[0] = "label" }, `duplicate column "label"`},
		{"duplicate feature", func(ds *features.Dataset) { ds.Features[2] = ds.Features[0] }, `duplicate column "logins_4w"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := testDataset(true)
			tt.change(ds)
			err := WriteDataset(&bytes.Buffer{}, ds)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("WriteDataset = %v, want an error saying %q", err, tt.msg)
			}
		})
	}
}

// TestReadDatasetTypes checks that a dataset written by another tool, with
// other numeric types, reads the same.
func TestReadDatasetTypes(t *testing.T) {
	type row struct {
		Week      string  `parquet:"week"`
		Label     bool    `parquet:"label"`
		Logins    int32   `parquet:"logins"`
		AccountID int64   `parquet:"account_id"`
		Score     float32 `parquet:"score"`
		Spend     *int64  `parquet:"spend,decimal(2:12)"`
	}
	spend := int64(-1999)
	data := writeStructs(t, []row{
		{"2024-01-01", true, 3, 7, 0.5, &spend},
		{"2024-01-08", false, 0, 8, -2, nil},
	})
	got, err := ReadDataset(bytes.NewReader(data), int64(len(data)), "test.parquet")
	if err != nil {
		t.Fatal(err)
	}
	want := &features.Dataset{
		Features:  []string{"logins", "score", "spend"},
		AccountID: []string{"7", "8"},
		Week:      []features.Date{mustDate("2024-01-01"), mustDate("2024-01-08")},
		X:         []float64{3, 0.5, -19.99, 0, -2, math.NaN()},
		Label:     []float64{1, 0},
	}
	checkDataset(t, got, want)
}

func TestReadDatasetErrors(t *testing.T) {
	ids := column{"account_id", parquet.String(), strs("a", "b")}
	weeks := column{"week", parquet.Date(), i32s(1, 2)}
	feature := column{"x", parquet.Leaf(parquet.DoubleType), f64s(1, 2)}
	tests := []struct {
		name   string
		cols   []column
		row    int
		column string
		msg    string
	}{
		{"missing week", []column{ids, feature}, 0, "week", "missing required column"},
		{"missing account", []column{weeks, feature}, 0, "account_id", "missing required column"},
		{"string feature", []column{ids, weeks, {"note", parquet.String(), strs("x", "y")}}, 0, "note", "type STRING, want numeric"},
		{"date feature", []column{ids, weeks, {"seen", parquet.Date(), i32s(1, 2)}}, 0, "seen", "type DATE, want numeric"},
		{"null label", []column{ids, weeks, {"label", parquet.Optional(parquet.Int(32)), withNull(i32s(0, 1), 1)}}, 2, "label", "null value"},
		{"label 2", []column{ids, weeks, {"label", parquet.Int(32), i32s(2, 1)}}, 1, "label", "2 is not 0 or 1"},
		{"null week", []column{ids, {"week", parquet.Optional(parquet.Date()), withNull(i32s(1, 2), 0)}}, 1, "week", "null value"},
		{"empty account", []column{{"account_id", parquet.String(), strs("a", "")}, weeks}, 2, "account_id", "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := writeColumns(t, tt.cols...)
			_, err := ReadDataset(bytes.NewReader(data), int64(len(data)), "test.parquet")
			if err == nil {
				t.Fatal("ReadDataset succeeded")
			}
			checkInputError(t, err, tt.row, tt.column, nil, tt.msg)
		})
	}
}

func TestReadDatasetNested(t *testing.T) {
	type row struct {
		AccountID string    `parquet:"account_id"`
		Week      int32     `parquet:"week,date"`
		History   []float64 `parquet:"history,list"`
	}
	data := writeStructs(t, []row{{"a", 1, []float64{1}}})
	_, err := ReadDataset(bytes.NewReader(data), int64(len(data)), "test.parquet")
	checkInputError(t, err, 0, "history", nil, "nested or repeated column")
}

func BenchmarkReadDataset(b *testing.B) {
	const rows, p = 20_000, 40
	ds := &features.Dataset{}
	for j := range p {
		ds.Features = append(ds.Features, "f"+string(rune('a'+j%26))+string(rune('a'+j/26)))
	}
	x := make([]float64, p)
	for i := range rows {
		for j := range x {
			x[j] = float64(i*j%97) / 7
		}
		ds.Append("acct-"+string(rune('a'+i%26)), features.Date(19000+i/500*7), x)
		ds.Label = append(ds.Label, float64(i%2))
	}
	var buf bytes.Buffer
	if err := WriteDataset(&buf, ds); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for b.Loop() {
		if _, err := ReadDataset(bytes.NewReader(data), int64(len(data)), "bench.parquet"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

func TestWriteDatasetCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if err := WriteDatasetContext(ctx, &buf, testDataset(true)); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteDatasetContext after cancel = %v, want context.Canceled", err)
	}
}

// TestDatasetWriterPieces checks that a dataset written in pieces, over
// more than one row group, is the file WriteDataset writes whole, byte
// for byte, and that a piece of other columns is refused.
func TestDatasetWriterPieces(t *testing.T) {
	ds := &features.Dataset{Features: []string{"x", "y"}, Label: []float64{}}
	rows := DefaultRowGroupRows + 500
	for i := range rows {
		y := float64(i) / 3
		if i%7 == 0 {
			y = math.NaN()
		}
		ds.Append(fmt.Sprintf("a%d", i/50), mustDate("2024-01-01").AddDays(7*(i%50)), []float64{float64(i % 13), y})
		ds.Label = append(ds.Label, float64(i%2))
	}
	var whole bytes.Buffer
	if err := WriteDataset(&whole, ds); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, sizes := range [][]int{{1000, 1, 40000, 3}, {rows - 1}} {
		var got bytes.Buffer
		dw, err := NewDatasetWriter(ctx, &got, ds.Features, true)
		if err != nil {
			t.Fatal(err)
		}
		for lo, k := 0, 0; lo < rows; k++ {
			hi := rows
			if k < len(sizes) {
				hi = lo + sizes[k]
			}
			piece := &features.Dataset{Features: ds.Features, AccountID: ds.AccountID[lo:hi], Week: ds.Week[lo:hi],
				X: ds.X[2*lo : 2*hi], Label: ds.Label[lo:hi]}
			if err := dw.Write(piece); err != nil {
				t.Fatal(err)
			}
			lo = hi
		}
		if err := dw.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), whole.Bytes()) {
			t.Fatalf("pieces %v: the file differs from WriteDataset's", sizes)
		}
	}
	dw, err := NewDatasetWriter(ctx, io.Discard, []string{"x"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := dw.Write(testDataset(true)); err == nil {
		t.Error("a piece of three features was written to a file of one")
	}
}
