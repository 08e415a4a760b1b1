package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// TestExtraColumnKinds checks that the whole column, not its first row,
// decides whether an extra column is a numeric feature, and that every
// spelling of a missing value reads the same.
func TestExtraColumnKinds(t *testing.T) {
	rows := func(cells ...string) string {
		var b strings.Builder
		b.WriteString(hdr + ",x\n")
		for i, c := range cells {
			b.WriteString("a," + features.Date(19723+7*i).String() + ",1,2,3,4,5," + c + "\n")
		}
		return b.String()
	}
	nan := math.NaN()
	for _, c := range []struct {
		name    string
		in      string
		extras  []string
		ignored []string
		values  []float64 // column x, when it is an extra
		err     string
	}{
		{"missing in the first row", rows("n/a", "3", "4"), []string{"x"}, nil, []float64{nan, 3, 4}, ""},
		{"every missing spelling", rows("", "NA", "N/A", "n/a", "null", "NULL", "NaN", "nan", "None", "<NA>", "1"),
			[]string{"x"}, nil, []float64{nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, 1}, ""},
		{"only missing", rows("NA", ""), []string{"x"}, nil, []float64{nan, nan}, ""},
		{"text", rows("gold", "NA", "silver"), nil, []string{"x"}, nil, ""},
		{"mostly text", rows("gold", "5", "silver"), nil, []string{"x"}, nil, ""},
		{"one text among numbers", rows("1", "2", "3", "oops", "NA"), nil, nil, nil,
			`bad.csv: row 5: column "x": text: "oops" in a column of numbers (3 of them, the first at row 2)`},
		{"text late in the file", rows(append(strings.Split(strings.Repeat("1,", 500), ",")[:500], "n/a?")...), nil, nil, nil,
			`bad.csv: row 502: column "x": text: "n/a?" in a column of numbers (500 of them, the first at row 2)`},
		{"infinite", rows("1", "-inf"), nil, nil, nil,
			`bad.csv: row 3: column "x": -inf is infinite`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(c.in), "bad.csv")
			var snaps []features.Snapshot
			if err == nil {
				snaps, err = readAll(r)
			}
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("err = %v, want %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Schema().Extras; !reflect.DeepEqual(got, c.extras) {
				t.Errorf("Extras = %q, want %q", got, c.extras)
			}
			if got := r.Ignored(); !reflect.DeepEqual(got, c.ignored) {
				t.Errorf("Ignored = %q, want %q", got, c.ignored)
			}
			for i, want := range c.values {
				if got := snaps[i].Extra[0]; got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Errorf("row %d: x = %v, want %v", i+2, got, want)
				}
			}
		})
	}
}

// TestExtraColumnKindsFromAStream reads from a reader that cannot seek,
// so the first row decides: a missing value there leaves the column
// numeric, and text after numbers is an error naming its row.
func TestExtraColumnKindsFromAStream(t *testing.T) {
	in := hdr + ",x\na,2024-01-01,1,2,3,4,5,NA\na,2024-01-08,1,2,3,4,5,2\na,2024-01-15,1,2,3,4,5,high\n"
	r, err := NewReader(io.MultiReader(strings.NewReader(in)), "stream.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Schema().Extras; !reflect.DeepEqual(got, []string{"x"}) {
		t.Errorf("Extras = %q", got)
	}
	_, err = readAll(r)
	want := `stream.csv: row 4: column "x": text: "high" in a column of numbers`
	if !errors.Is(err, errText) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// TestOptionalMissingSpellings reads the missing spellings in arr and
// renewal_date as unknown values.
func TestOptionalMissingSpellings(t *testing.T) {
	in := hdr + ",arr,renewal_date\na,2024-01-01,1,2,3,4,5,NA,n/a\na,2024-01-08,1,2,3,4,5,null,None\n"
	r, err := NewReader(strings.NewReader(in), "m.csv")
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		if !math.IsNaN(s.ARR) || s.RenewalDate != features.NoDate {
			t.Errorf("row %d: arr %v, renewal %v; want unknown", s.Row, s.ARR, s.RenewalDate)
		}
	}
}

func readAll(r *Reader) ([]features.Snapshot, error) {
	var out []features.Snapshot
	for {
		var s features.Snapshot
		if err := r.Next(&s); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		s.Extra = append([]float64(nil), s.Extra...)
		out = append(out, s)
	}
}

// TestReadDatasetMissingSpellings reads the missing spellings in a
// dataset's features as NaN.
func TestReadDatasetMissingSpellings(t *testing.T) {
	ds, err := ReadDataset(strings.NewReader("account_id,week,x\na,2024-01-01,NA\na,2024-01-08,n/a\na,2024-01-15,2\n"), "d.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(ds.X[0]) || !math.IsNaN(ds.X[1]) || ds.X[2] != 2 {
		t.Errorf("X = %v, want NaN, NaN, 2", ds.X)
	}
}

// FuzzSurveyColumns holds the survey, which looks at unquoted lines in
// the reader's buffer, to the same verdicts as a survey of the records
// read the ordinary way.
func FuzzSurveyColumns(f *testing.F) {
	f.Add([]byte("a,x,y\n1,NA,t\n2,3,\"4\"\n3,oops,5\n"))
	f.Add([]byte("a,x\n1,2\n\"q\nr\",s\n3\n4,5,6\n"))
	f.Add([]byte("a,x,y\n1,\"2\",gold\n2,n/a,silver\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		open := func() *table {
			tb, err := openTable(bytes.NewReader(data), "fuzz.csv")
			if err != nil {
				return nil
			}
			return tb
		}
		tb := open()
		if tb == nil {
			return
		}
		fields := make([]int, len(tb.header))
		for i := range fields {
			fields[i] = i
		}
		// Every field, and the trailing ones alone, as extras usually are.
		for _, fields := range [][]int{fields, fields[len(fields)/2:]} {
			got, gotErr := surveyColumns(open(), fields)
			want, wantErr := referenceSurvey(open(), fields)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("survey of %q, fields %v: %v, %v; records say %v, %v", data, fields, got, gotErr, want, wantErr)
			}
		}
	})
}

// referenceSurvey is surveyColumns written plainly, over t.next.
func referenceSurvey(t *table, fields []int) (map[int]columnKind, error) {
	numbers, texts := make([]int, len(fields)), make([]int, len(fields))
	firstNumber, firstText, text := make([]int, len(fields)), make([]int, len(fields)), make([]string, len(fields))
	for {
		rec, line, err := t.next()
		if errors.Is(err, csv.ErrFieldCount) {
			continue
		}
		if err != nil {
			break
		}
		for k, i := range fields {
			switch cell := rec[i]; {
			case features.IsMissing(cell):
			case isNumber(cell):
				if numbers[k]++; numbers[k] == 1 {
					firstNumber[k] = line
				}
			default:
				if texts[k]++; texts[k] == 1 {
					firstText[k], text[k] = line, cell
				}
			}
		}
	}
	kinds := map[int]columnKind{}
	for k, i := range fields {
		switch {
		case numbers[k] > texts[k] && texts[k] > 0:
			return nil, t.cellError(firstText[k], i, fmt.Errorf(
				"%w: %q in a column of numbers (%d of them, the first at row %d): "+
					"a numeric column holds numbers and missing values (empty, NA, N/A, n/a, null, NaN, None) only",
				errText, text[k], numbers[k], firstNumber[k]))
		case numbers[k] > texts[k]:
			kinds[i] = numberColumn
		case texts[k] > 0:
			kinds[i] = textColumn
		default:
			kinds[i] = emptyColumn
		}
	}
	return kinds, nil
}
