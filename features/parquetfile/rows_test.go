package parquetfile

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
)

// TestRows checks that each kind of column reads as the text a CSV file
// would hold, nulls as "", and that nested columns are left out.
func TestRows(t *testing.T) {
	type row struct {
		ID     string    `parquet:"id"`
		N      int64     `parquet:"n"`
		U      uint32    `parquet:"u"`
		X      float64   `parquet:"x"`
		B      bool      `parquet:"b"`
		Day    int32     `parquet:"day,date"`
		At     time.Time `parquet:"at,timestamp(microsecond)"`
		Note   *string   `parquet:"note,optional"`
		Labels []string  `parquet:"labels,list"`
	}
	note := "hi"
	data := writeStructs(t, []row{
		{"a", -3, 7, 1.25, true, 20094, time.Date(2025, 1, 6, 23, 59, 1, 500000000, time.UTC), &note, []string{"x"}},
		{"b", 0, 0, 0, false, -1, time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), nil, nil},
	})
	r, err := newRows(bytes.NewReader(data), int64(len(data)), "mem.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Columns(), []string{"id", "n", "u", "x", "b", "day", "at", "note"}; !reflect.DeepEqual(got, want) {
		t.Errorf("columns %v, want %v", got, want)
	}
	want := [][]string{
		{"a", "-3", "7", "1.25", "true", "2025-01-06", "2025-01-06T23:59:01.5Z", "hi"},
		{"b", "0", "0", "0", "false", "1969-12-31", "1969-12-31T23:00:00Z", ""},
	}
	for i, w := range want {
		got, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("row %d: %q, want %q", i+1, got, w)
		}
		if r.Row() != i+1 {
			t.Errorf("Row() = %d, want %d", r.Row(), i+1)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last row: %v, want io.EOF", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRowsCorrupt checks that a damaged file is an error naming it, not
// a panic.
func TestRowsCorrupt(t *testing.T) {
	_, err := newRows(bytes.NewReader([]byte("PAR1garbagePAR1")), 15, "bad.parquet")
	var ie *features.InputError
	if !errors.As(err, &ie) || ie.File != "bad.parquet" {
		t.Errorf("error %v, want an InputError about bad.parquet", err)
	}
}
