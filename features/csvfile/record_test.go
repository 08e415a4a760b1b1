package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// recordInputs are CSV texts that exercise every branch of the record
// parser: quoting, escaped quotes, line ends, blank lines and the errors.
var recordInputs = []string{
	"",
	"\n",
	"\r\n\r\n",
	"a,b,c\n1,2,3\n",
	"a,b,c\r\n1,2,3\r\n",
	"a,b,c",
	"a,b,c\r",
	"\r",
	"a,b\n\n\nc,d\n",
	"a,,\n,,\n",
	",\n",
	" a , b \n",
	"a\rb,c\n",
	"\"a\",\"b,c\",\"d\"\"e\"\n",
	"\"\"\n",
	"\"\",\"\"\n",
	"\"multi\nline\",x\ny,z\n",
	"\"multi\r\nline\",x\r\n",
	"\"a\n\nb\"\n",
	"x,\"a\n\n",
	"\"a\n\r",
	"\"a\r",
	"\"abc",
	"\"abc\n",
	"a\"b,c\n",
	"a,b\"\n",
	"\"a\"b,c\n",
	"\"a\" ,b\n",
	"x,\"a\nb\"c\n",
	"x,\"a\nb\",c\"d\n",
	"\"a\"\n\"b\"",
	"h1,h2\n\"v\",\"w\"\nx,y",
	"\xef\xbb\xbfa,b\n",
	"\xef\xbb\xbf",
	"\xef\xbb\xbf\"a\",b\n",
	"\"\xff\",\xfe\n",
	strings.Repeat("x", 70000) + ",y\n" + "\"" + strings.Repeat("z", 70000) + "\",w\n",
}

// TestRecordReaderMatchesEncodingCSV checks the fast parser against the
// standard library on hand-picked inputs; FuzzRecordReader does the same
// on generated ones.
func TestRecordReaderMatchesEncodingCSV(t *testing.T) {
	for _, in := range recordInputs {
		compareWithEncodingCSV(t, []byte(in))
	}
}

func FuzzRecordReader(f *testing.F) {
	for _, in := range recordInputs {
		// The long-line input stays in the table test: as a seed it
		// would slow every mutation down to its size.
		if len(in) < 1000 {
			f.Add([]byte(in))
		}
	}
	f.Fuzz(compareWithEncodingCSV)
}

// compareWithEncodingCSV reads in with both parsers and fails on the first
// record, start line or error on which they differ: with commas, and with
// the other separators Records takes, the input's commas and semicolons
// swapped.
func compareWithEncodingCSV(t *testing.T, in []byte) {
	for _, sep := range []byte{',', ';', '\t', '|'} {
		swapped := bytes.Clone(in)
		for i, c := range swapped {
			switch c {
			case ',':
				swapped[i] = sep
			case sep:
				swapped[i] = ','
			}
		}
		compareSep(t, swapped, sep)
	}
}

func compareSep(t *testing.T, in []byte, sep byte) {
	want := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(in, []byte(utf8BOM))))
	want.FieldsPerRecord = -1
	want.Comma = rune(sep)
	got, err := newRecordReader(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("newRecordReader(%q): %v", in, err)
	}
	got.sep = sep
	got.blocks = sep != ',' // Records' way, which the other separators come by
	for n := 1; ; n++ {
		wantRec, wantErr := want.Read()
		gotRec, gotLine, gotErr := got.read()
		if wantErr != nil || gotErr != nil {
			if !reflect.DeepEqual(gotErr, wantErr) {
				t.Fatalf("input %q, record %d: error %v, encoding/csv says %v", in, n, gotErr, wantErr)
			}
			return
		}
		if !reflect.DeepEqual(gotRec, wantRec) {
			t.Fatalf("input %q, record %d: %q, encoding/csv says %q", in, n, gotRec, wantRec)
		}
		if wantLine, _ := want.FieldPos(0); gotLine != wantLine {
			t.Fatalf("input %q, record %d: starts on line %d, encoding/csv says %d", in, n, gotLine, wantLine)
		}
	}
}

func TestRecordReaderIOError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	for _, in := range []string{"a,b\n", "\"a\nb", ""} {
		r, err := newRecordReader(io.MultiReader(strings.NewReader(in), &failingReader{errDisk}))
		if err != nil {
			if !errors.Is(err, errDisk) {
				t.Errorf("input %q: newRecordReader: %v, want %v", in, err, errDisk)
			}
			continue
		}
		for {
			_, _, err = r.read()
			if err != nil {
				break
			}
		}
		if !errors.Is(err, errDisk) {
			t.Errorf("input %q: read: %v, want %v", in, err, errDisk)
		}
	}
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }

func TestSyntaxErrorMessage(t *testing.T) {
	tests := []struct {
		pe   csv.ParseError
		want string
	}{
		{csv.ParseError{StartLine: 3, Line: 3, Column: 7, Err: csv.ErrBareQuote}, `byte 7: bare " in non-quoted-field`},
		{csv.ParseError{StartLine: 3, Line: 5, Column: 2, Err: csv.ErrQuote}, `line 5, byte 2: extraneous or missing " in quoted-field`},
	}
	for _, tt := range tests {
		err := syntaxError(&tt.pe)
		if err.Error() != tt.want {
			t.Errorf("syntaxError(%+v) = %q, want %q", tt.pe, err, tt.want)
		}
		if !errors.Is(err, tt.pe.Err) {
			t.Errorf("syntaxError(%+v) does not wrap %v", tt.pe, tt.pe.Err)
		}
	}
}

// BenchmarkRecordReader compares the record parser with encoding/csv on the
// same snapshot text, which is the case for not using encoding/csv.
func BenchmarkRecordReader(b *testing.B) {
	data := sampleSnapshotCSV(100_000)
	b.Run("csvfile", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		rows := 0
		for b.Loop() {
			r, _ := newRecordReader(bytes.NewReader(data))
			for {
				if _, _, err := r.read(); err != nil {
					break
				}
				rows++
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		rows := 0
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			r.ReuseRecord = true
			for {
				if _, err := r.Read(); err != nil {
					break
				}
				rows++
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
	})
}
