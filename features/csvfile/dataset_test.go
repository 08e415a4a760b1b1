package csvfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

func TestWriteDataset(t *testing.T) {
	ds := &features.Dataset{
		Features:  []string{"logins_4w", "arr, usd"},
		AccountID: []string{"a", `b "2"`},
		Week:      []features.Date{date("2024-01-01"), date("2024-01-08")},
		X:         []float64{3, math.NaN(), 0.1, 1e21},
		Label:     []float64{0, 1},
	}
	want := `account_id,week,logins_4w,"arr, usd",label` + "\n" +
		"a,2024-01-01,3,,0\n" +
		`"b ""2""",2024-01-08,0.1,1e+21,1` + "\n"
	var buf bytes.Buffer
	if err := WriteDataset(&buf, ds); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", buf.String(), want)
	}

	ds.Label = nil
	want = "account_id,week,logins_4w,\"arr, usd\"\na,2024-01-01,3,\n\"b \"\"2\"\"\",2024-01-08,0.1,1e+21\n"
	buf.Reset()
	if err := WriteDataset(&buf, ds); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("unlabelled, wrote\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestDatasetRoundTrip(t *testing.T) {
	awkward := []float64{
		math.NaN(), 0, math.Copysign(0, -1), 1, -1, 0.1, 1.0 / 3, 1e21, 1e-7,
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 2.2250738585072014e-308,
		math.Inf(1), math.Inf(-1), float64(1<<53 + 1), 123456789.123456789,
	}
	tests := []struct {
		name string
		ds   *features.Dataset
	}{
		{"labelled", &features.Dataset{
			Features:  []string{"x"},
			AccountID: slices.Repeat([]string{"acct"}, len(awkward)),
			Week:      slices.Repeat([]features.Date{date("2024-01-01")}, len(awkward)),
			X:         awkward,
			Label:     alternate(len(awkward)),
		}},
		{"unlabelled", &features.Dataset{
			Features:  []string{"a", "b", "c"},
			AccountID: []string{"x,y", "\"q\"", "line\nbreak"},
			Week:      []features.Date{minDate, date("2024-02-29"), maxDate},
			X:         []float64{1, 2, 3, math.NaN(), math.NaN(), math.NaN(), 7, 8, 9},
		}},
		{"labelled, no rows", &features.Dataset{Features: []string{"x"}, Label: []float64{}}},
		{"unlabelled, no rows", &features.Dataset{Features: []string{"x"}}},
		{"no features", &features.Dataset{
			AccountID: []string{"a", "b"},
			Week:      []features.Date{date("2024-01-01"), date("2024-01-08")},
			Label:     []float64{1, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDatasetRoundTrip(t, tt.ds)
		})
	}
}

// checkDatasetRoundTrip fails unless ds reads back exactly as it is.
func checkDatasetRoundTrip(t *testing.T, ds *features.Dataset) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteDataset(&buf, ds); err != nil {
		t.Fatalf("WriteDataset: %v", err)
	}
	written := buf.String()
	got, err := ReadDataset(&buf, "roundtrip.csv")
	if err != nil {
		t.Fatalf("ReadDataset of\n%s: %v", written, err)
	}
	if !sameDataset(got, ds) {
		t.Fatalf("read back\n%+v\nwant\n%+v\nfrom\n%s", got, ds, written)
	}
}

func TestReadDataset(t *testing.T) {
	in := "label,,week,f2,account_id,f1\n" +
		"1,0,2024-01-01,,a,1.5\n" +
		"0.0,1,2024-01-08 00:00:00,NaN,b,-2\n"
	want := &features.Dataset{
		Features:  []string{"f2", "f1"},
		AccountID: []string{"a", "b"},
		Week:      []features.Date{date("2024-01-01"), date("2024-01-08")},
		X:         []float64{math.NaN(), 1.5, math.NaN(), -2},
		Label:     []float64{1, 0},
	}
	got, err := ReadDataset(strings.NewReader(in), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !sameDataset(got, want) {
		t.Errorf("read\n%+v\nwant\n%+v", got, want)
	}
}

func TestReadDatasetErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty file", "", "bad.csv: empty file: want a header row"},
		{"no account_id", "week,x\n", `bad.csv: row 1: column "account_id": missing required column`},
		{"no week", "account_id,x\n", `bad.csv: row 1: column "week": missing required column`},
		{"duplicate feature", "account_id,week,x,x\n", `bad.csv: row 1: column "x": duplicate column`},
		{"duplicate label", "account_id,week,label,label\n", `bad.csv: row 1: column "label": duplicate column`},
		{"wrong width", "account_id,week,x\na,2024-01-01\n", "bad.csv: row 2: wrong number of fields: 2, header has 3"},
		{"empty account_id", "account_id,week,x\n,2024-01-01,1\n", `bad.csv: row 2: column "account_id": missing value`},
		{"empty week", "account_id,week,x\na,,1\n", `bad.csv: row 2: column "week": missing value`},
		{"bad week", "account_id,week,x\na,2024-1-1,1\n", `bad.csv: row 2: column "week": date "2024-1-1" is not YYYY-MM-DD`},
		{"bad value", "account_id,week,x\na,2024-01-01,1\na,2024-01-08,one\n", `bad.csv: row 3: column "x": invalid number "one"`},
		{"empty label", "account_id,week,label\na,2024-01-01,\n", `bad.csv: row 2: column "label": missing value`},
		{"label not 0 or 1", "account_id,week,label\na,2024-01-01,0.5\n", `bad.csv: row 2: column "label": invalid label "0.5" (want 0 or 1)`},
		{"label not a number", "account_id,week,label\na,2024-01-01,yes\n", `bad.csv: row 2: column "label": invalid label "yes" (want 0 or 1)`},
		{"syntax error", "account_id,week,x\na,2024-01-01,\"1\n", `bad.csv: row 2: column "x": byte 17: extraneous or missing " in quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := ReadDataset(strings.NewReader(tt.in), "bad.csv")
			if err == nil {
				t.Fatalf("read %+v, want error %q", ds, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q\nwant       %q", err, tt.want)
			}
			var ie *features.InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %v is a %T, want a *features.InputError", err, err)
			}
		})
	}
}

func TestWriteDatasetRejects(t *testing.T) {
	valid := func() *features.Dataset {
		return &features.Dataset{
			Features:  []string{"x"},
			AccountID: []string{"a"},
			Week:      []features.Date{date("2024-01-01")},
			X:         []float64{1},
			Label:     []float64{1},
		}
	}
	tests := []struct {
		name string
		set  func(*features.Dataset)
		want string
	}{
		{"ragged", func(ds *features.Dataset) { ds.X = nil }, "dataset: 0 values for 1 rows x 1 features"},
		{"unnamed feature", func(ds *features.Dataset) { ds.Features[0] = "" }, "feature with no name"},
		{"feature named week", func(ds *features.Dataset) { ds.Features[0] = "week" }, `feature named "week"`},
		{"feature named label", func(ds *features.Dataset) { ds.Features[0] = "label" }, `feature named "label"`},
		{"duplicate feature", func(ds *features.Dataset) {
			ds.Features = append(ds.Features, "x")
			ds.X = append(ds.X, 2)
		}, `duplicate feature "x"`},
		{"empty account ID", func(ds *features.Dataset) { ds.AccountID[0] = "" }, "AccountID[0] is empty"},
		{"no week", func(ds *features.Dataset) { ds.Week[0] = features.NoDate }, "Week[0]: missing value"},
		{"label not 0 or 1", func(ds *features.Dataset) { ds.Label[0] = 0.5 }, "Label[0] is 0.5, want 0 or 1"},
		{"NaN label", func(ds *features.Dataset) { ds.Label[0] = math.NaN() }, "Label[0] is NaN, want 0 or 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := valid()
			tt.set(ds)
			var buf bytes.Buffer
			err := WriteDataset(&buf, ds)
			if want := "csvfile: write dataset: " + tt.want; err == nil || err.Error() != want {
				t.Errorf("WriteDataset = %v, want %q", err, want)
			}
			if buf.Len() != 0 {
				t.Errorf("WriteDataset wrote %q before failing", buf.String())
			}
		})
	}
}

func TestWriteDatasetWriteError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	// One row fails at the final flush, many as the buffer fills, and a
	// header longer than the buffer at once.
	longHeader := sampleDataset(1, 1)
	longHeader.Features[0] = strings.Repeat("x", 100_000)
	for _, ds := range []*features.Dataset{sampleDataset(1, 3), sampleDataset(10_000, 3), longHeader} {
		rows := ds.Len()
		err := WriteDataset(&failingWriter{errDisk}, ds)
		if !errors.Is(err, errDisk) || err.Error() != "csvfile: write dataset: disk on fire" {
			t.Errorf("WriteDataset of %d rows = %v, want csvfile: write dataset: %v", rows, err, errDisk)
		}
	}
}

func TestDatasetFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "train.csv")
	ds := &features.Dataset{
		Features:  []string{"x", "y"},
		AccountID: []string{"a", "b"},
		Week:      []features.Date{date("2024-01-01"), date("2024-01-08")},
		X:         []float64{1, 2, 3, math.NaN()},
		Label:     []float64{0, 1},
	}
	if err := WriteDatasetFile(path, ds); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDatasetFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !sameDataset(got, ds) {
		t.Errorf("read back %+v, want %+v", got, ds)
	}

	// A failed write leaves the previous file as it was.
	bad := *ds
	bad.Label = []float64{0, 2}
	if err := WriteDatasetFile(path, &bad); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteDatasetFile of a bad dataset = %v, want an error naming %s", err, path)
	}
	if got, err := ReadDatasetFile(path); err != nil || !sameDataset(got, ds) {
		t.Errorf("after a failed write, read %+v, %v; want the earlier dataset", got, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed write left %d files behind", len(entries)-1)
	}

	if _, err := ReadDatasetFile(filepath.Join(dir, "missing.csv")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDatasetFile of a missing file = %v, want fs.ErrNotExist", err)
	}
	if err := os.WriteFile(path, []byte("account_id,week\n,2024-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := path + `: row 2: column "account_id": missing value`
	if _, err := ReadDatasetFile(path); err == nil || err.Error() != want {
		t.Errorf("ReadDatasetFile of a bad file = %v, want %s", err, want)
	}
}

func FuzzReadDataset(f *testing.F) {
	f.Add([]byte("account_id,week,x,label\na,2024-01-01,1.5,1\nb,2024-01-08,,0\n"))
	f.Add([]byte("account_id,week,x\na,2024-01-01,+Inf\n"))
	f.Add([]byte("label,,week,account_id\n1,,2024-01-01T00:00:00Z,\"a\nb\"\n"))
	f.Add([]byte("account_id,week,x\na,2024-01-01,1,2\n"))
	f.Add([]byte("account_id,week,label\na,2024-01-01,2\n"))
	f.Add([]byte("\xef\xbb\xbfaccount_id,week\r\n\"a\"\"\",2024-01-01\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := ReadDataset(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if err := ds.Check(); err != nil {
			t.Fatalf("read an inconsistent dataset: %v", err)
		}
		if slices.Contains(ds.AccountID, "") {
			t.Fatal("read an empty account ID")
		}
		if slices.ContainsFunc(ds.Label, func(y float64) bool { return y != 0 && y != 1 }) {
			t.Fatalf("read labels %v", ds.Label)
		}
		// Whatever ReadDataset accepts, WriteDataset writes and reads back
		// the same, but for CSV's "\r\n" in text turning into "\n".
		for i, id := range ds.AccountID {
			ds.AccountID[i] = strings.ReplaceAll(id, "\r\n", "\n")
		}
		checkDatasetRoundTrip(t, ds)
	})
}

func BenchmarkReadDataset(b *testing.B) {
	ds := sampleDataset(100_000, 30)
	var buf bytes.Buffer
	if err := WriteDataset(&buf, ds); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadDataset(bytes.NewReader(data), "bench.csv"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*ds.Len()), "ns/row")
}

func BenchmarkWriteDataset(b *testing.B) {
	ds := sampleDataset(100_000, 30)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WriteDataset(&buf, ds); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*ds.Len()), "ns/row")
}

// sampleDataset returns a labelled dataset of accounts with 100 weekly
// rows each, with values of realistic lengths and one NaN in ten.
func sampleDataset(rows, cols int) *features.Dataset {
	ds := &features.Dataset{Label: []float64{}}
	for j := range cols {
		ds.Features = append(ds.Features, fmt.Sprintf("feature_%02d", j))
	}
	x := make([]float64, cols)
	for i := range rows {
		for j := range x {
			switch {
			case (i+j)%10 == 0:
				x[j] = math.NaN()
			case j%2 == 0:
				x[j] = float64(i * j % 100)
			default:
				x[j] = float64(i%1000) / float64(j+7)
			}
		}
		ds.Append(fmt.Sprintf("acct-%06d", i/100), date("2024-01-01").AddDays(7*(i%100)), x)
		ds.Label = append(ds.Label, float64(i%2))
	}
	return ds
}

// sameDataset is reflect.DeepEqual with NaN equal to NaN, signed zeros
// told apart, and a nil slice equal to an empty one except for Label,
// where nil means unlabelled.
func sameDataset(a, b *features.Dataset) bool {
	return slices.Equal(a.Features, b.Features) &&
		slices.Equal(a.AccountID, b.AccountID) &&
		slices.Equal(a.Week, b.Week) &&
		slices.EqualFunc(a.X, b.X, sameFloat) &&
		(a.Label == nil) == (b.Label == nil) &&
		slices.Equal(a.Label, b.Label)
}

// alternate returns n labels 0, 1, 0, 1...
func alternate(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i % 2)
	}
	return s
}

// readBytes reads data with readParts in up to n parts.
func readBytes(data []byte, name string, n int) (*features.Dataset, error) {
	return readParts(bytes.NewReader(data), int64(len(data)), name, n)
}

func TestReadParts(t *testing.T) {
	// Rows enough for several parts, values of every kind, a label.
	ds := &features.Dataset{Features: []string{"n", "x"}, Label: []float64{}}
	for i := range 120_000 {
		x := []float64{float64(i % 97), float64(i) / 7}
		if i%13 == 0 {
			x[1] = math.NaN()
		}
		ds.Append(fmt.Sprintf("acct-%d", i%5000), features.Date(7*(i/5000)), x)
		ds.Label = append(ds.Label, float64(i%2))
	}
	var buf bytes.Buffer
	if err := WriteDataset(&buf, ds); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if len(data) < 3*minPart {
		t.Fatalf("%d bytes: too few for three parts", len(data))
	}
	for _, n := range []int{1, 2, 3, 7} {
		got, err := readParts(bytes.NewReader(data), int64(len(data)), "big.csv", n)
		if err != nil {
			t.Fatalf("%d parts: %v", n, err)
		}
		if !sameDataset(got, ds) {
			t.Errorf("%d parts: the dataset read differs from the one written", n)
		}
	}

	// Blank lines leave gaps in the parts' stretches of the slices.
	lines := bytes.SplitAfter(data, []byte("\n"))
	gappy := slices.Clone(lines)
	for _, r := range []int{50_000, 50_000, 70_000, 119_000} {
		gappy = slices.Insert(gappy, r, []byte("\n"))
	}
	if got, err := readBytes(bytes.Join(gappy, nil), "gappy.csv", 3); err != nil || !sameDataset(got, ds) {
		t.Errorf("with blank lines: %v, or the dataset read differs from the one written", err)
	}

	// A quoted cell anywhere in the file takes the plain way: a part
	// could begin inside it. Here one of 800 kB of lines (a row may not
	// pass MaxRecordBytes) spans the first cut.
	quoted := slices.Clone(lines)
	long := `"` + strings.Repeat("x\n", 400_000) + `"`
	quoted[40_000] = append([]byte(long), quoted[40_000][bytes.IndexByte(quoted[40_000], ','):]...)
	want, err := ReadDataset(bytes.NewReader(bytes.Join(quoted, nil)), "quoted.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readBytes(bytes.Join(quoted, nil), "quoted.csv", 3); err != nil || !sameDataset(got, want) {
		t.Errorf("with a quoted cell of many lines: %v, or the dataset read differs from ReadDataset's", err)
	}

	// An error in a later part names its row in the whole file, and the
	// first of two errors is the one reported.
	bad := func(rows ...int) []byte {
		out := slices.Clone(lines)
		for _, r := range rows {
			out[r-1] = bytes.Replace(out[r-1], []byte(","), []byte(",oops,"), 1)
		}
		return bytes.Join(out, nil)
	}
	for _, rows := range [][]int{{100_001}, {90_000, 110_000}, {2}} {
		_, err := readBytes(bad(rows...), "big.csv", 3)
		var ie *features.InputError
		if !errors.As(err, &ie) || ie.Row != rows[0] {
			t.Errorf("bad rows %v: error %v, want one at row %d", rows, err, rows[0])
		}
	}
}

// piecesOf cuts ds into consecutive datasets of the given sizes (the last
// one takes what is left), aliasing its slices.
func piecesOf(ds *features.Dataset, sizes ...int) []*features.Dataset {
	var out []*features.Dataset
	lo, p := 0, len(ds.Features)
	for k := 0; lo < ds.Len(); k++ {
		hi := ds.Len()
		if k < len(sizes) && lo+sizes[k] < hi {
			hi = lo + sizes[k]
		}
		piece := &features.Dataset{Features: ds.Features, AccountID: ds.AccountID[lo:hi], Week: ds.Week[lo:hi], X: ds.X[lo*p : hi*p]}
		if ds.Label != nil {
			piece.Label = ds.Label[lo:hi]
		}
		out = append(out, piece)
		lo = hi
	}
	return out
}

// TestDatasetWriterPieces checks that a dataset written in pieces is the
// file WriteDataset writes whole, byte for byte, and that a piece of
// other columns is refused.
func TestDatasetWriterPieces(t *testing.T) {
	for _, labelled := range []bool{true, false} {
		ds := sampleDataset(3000, 5)
		if !labelled {
			ds.Label = nil
		}
		var whole bytes.Buffer
		if err := WriteDataset(&whole, ds); err != nil {
			t.Fatal(err)
		}
		for _, sizes := range [][]int{{1}, {1000, 1, 1999}, {0, 7, 2500}} {
			var got bytes.Buffer
			dw, err := NewDatasetWriter(&got, ds.Features, labelled)
			if err != nil {
				t.Fatal(err)
			}
			for _, piece := range piecesOf(ds, sizes...) {
				if err := dw.Write(piece); err != nil {
					t.Fatal(err)
				}
			}
			if err := dw.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), whole.Bytes()) {
				t.Fatalf("labelled %v, pieces %v: the file differs from WriteDataset's", labelled, sizes)
			}
		}
	}
	dw, err := NewDatasetWriter(io.Discard, []string{"a", "b"}, true)
	if err != nil {
		t.Fatal(err)
	}
	other := sampleDataset(3, 2)
	if err := dw.Write(other); err == nil {
		t.Error("a piece with other feature names was written")
	}
	other.Features, other.Label = []string{"a", "b"}, nil
	if err := dw.Write(other); err == nil {
		t.Error("an unlabelled piece was written to a labelled file")
	}
	if _, err := NewDatasetWriter(io.Discard, []string{"a", "a"}, true); err == nil {
		t.Error("a header with a duplicate feature was written")
	}
}
