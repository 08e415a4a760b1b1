package parquetfile

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/churnlabs/churn/features"
)

// FuzzReader feeds mutated Parquet files to the readers: whatever the
// bytes, they must return data or an error, never panic or loop.
func FuzzReader(f *testing.F) {
	f.Add(writeColumns(f, validColumns()...))
	f.Add(writeStructs(f, []extrasRow{{AccountID: "a", Week: 1, NPS: ptr(1.5)}, {AccountID: "b", Tags: []string{"x"}}}))
	var buf bytes.Buffer
	w, err := NewWriter(&buf, features.Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true, Extras: []string{"x"}})
	if err != nil {
		f.Fatal(err)
	}
	s := features.Snapshot{AccountID: "a", Week: 1, ARR: math.NaN(), Segment: "smb", RenewalDate: 9, Extra: []float64{2}}
	if err := w.Write(&s); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	buf.Reset()
	w, err = NewWriter(&buf, features.Schema{HasRenewalType: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, typ := range []string{features.RenewalAuto, "", features.RenewalSignature} {
		s := features.Snapshot{AccountID: "a", Week: 1, ARR: math.NaN(), RenewalType: typ}
		if err := w.Write(&s); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	buf.Reset()
	if err := WriteDataset(&buf, testDataset(true)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())

	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSnapshots(t, data)
		fuzzDataset(t, data)
	})
}

func fuzzSnapshots(t *testing.T, data []byte) {
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.parquet")
	if err != nil {
		checkFuzzError(t, "NewReader", err)
		return
	}
	defer r.Close()
	var s features.Snapshot
	// A few bytes of run-length encoding can stand for millions of rows;
	// a bound keeps each input quick.
	for range 10_000 {
		err := r.Next(&s)
		if err == io.EOF {
			return
		}
		if err != nil {
			checkFuzzError(t, "Next", err)
			continue
		}
		if s.RenewalType != "" && s.RenewalType != features.RenewalAuto && s.RenewalType != features.RenewalSignature {
			t.Fatalf("read renewal type %q", s.RenewalType)
		}
	}
}

func fuzzDataset(t *testing.T, data []byte) {
	// ReadDataset reads every row, so give it only files that claim few.
	tbl, err := openTable(bytes.NewReader(data), int64(len(data)), "fuzz.parquet")
	if err != nil {
		return
	}
	claimed := int64(0)
	for _, g := range tbl.file.Metadata().RowGroups {
		claimed += max(g.NumRows, 0)
	}
	if claimed > 10_000 {
		return
	}
	ds, err := ReadDataset(bytes.NewReader(data), int64(len(data)), "fuzz.parquet")
	if err != nil {
		checkFuzzError(t, "ReadDataset", err)
		return
	}
	if err := ds.Check(); err != nil {
		t.Fatalf("ReadDataset returned an inconsistent dataset: %v", err)
	}
}

// checkFuzzError checks that an error about a file says which file.
func checkFuzzError(t *testing.T, op string, err error) {
	var ie *features.InputError
	if !errors.As(err, &ie) || ie.File != "fuzz.parquet" {
		t.Fatalf("%s error %v (%T) is not an *InputError naming the file", op, err, err)
	}
}

// FuzzParseDate checks that a date string either fails or names the day
// its first ten bytes spell.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-01-01", "2024-02-29T10:00:00Z", "1999-12-31 23:59:59.5+01:00", "0000-01-01", "2024-13-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDate([]byte(s))
		if err != nil {
			return
		}
		if got := d.String(); got != s[:10] {
			t.Fatalf("parseDate(%q) = %s", s, got)
		}
	})
}
