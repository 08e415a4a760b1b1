package features_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// cells is an in-memory Cells: a header and rows, rows numbered from 2
// as a CSV file's lines.
type cells struct {
	cols []string
	rows [][]string
	i    int
}

func (c *cells) Columns() []string { return c.cols }
func (c *cells) Next() ([]string, error) {
	if c.i >= len(c.rows) {
		return nil, io.EOF
	}
	c.i++
	return c.rows[c.i-1], nil
}
func (c *cells) Where() (string, int) { return "t.csv", c.i + 1 }

func readCells(t *testing.T, text string) *features.Customers {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	c := &cells{cols: strings.Split(lines[0], ",")}
	for _, l := range lines[1:] {
		c.rows = append(c.rows, strings.Split(l, ","))
	}
	cu, err := features.ReadCustomers(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

const small = `
id,plan,charges,tenure,churned
a,basic,10.5,3,Yes
b,pro, ,12,no
c,NA,20,7,YES
d,pro,30,,No
e,basic,NA,1,1
f,pro,12,5,false
`

// TestEncodeTable is the golden encoding of a small table: text one-hot
// in sorted level order, blanks and NA missing (NaN plus the column's
// indicator), labels in every spelling, ids from the id column.
func TestEncodeTable(t *testing.T) {
	c := readCells(t, small)
	spec, warnings, err := features.InferTable(c, features.TableOptions{Label: "churned", ID: "id"})
	if err != nil || len(warnings) != 0 {
		t.Fatal(err, warnings)
	}
	want := &features.TableSpec{Label: "churned", ID: "id", Columns: []features.Column{
		{Name: "plan", Levels: []string{"basic", "pro"}, Missing: true},
		{Name: "charges", Missing: true},
		{Name: "tenure", Missing: true},
	}}
	if !reflect.DeepEqual(spec, want) {
		t.Fatalf("spec %+v, want %+v", spec, want)
	}
	ds, unseen, err := features.EncodeTable(c, spec, true)
	if err != nil || unseen != nil {
		t.Fatal(err, unseen)
	}
	wantNames := []string{"plan=basic", "plan=pro", "plan:missing", "charges", "charges:missing", "tenure", "tenure:missing"}
	if !reflect.DeepEqual(ds.Features, wantNames) {
		t.Errorf("features %v, want %v", ds.Features, wantNames)
	}
	nan := math.NaN()
	wantX := [][]float64{
		{1, 0, 0, 10.5, 0, 3, 0},
		{0, 1, 0, nan, 1, 12, 0},
		{nan, nan, 1, 20, 0, 7, 0},
		{0, 1, 0, 30, 0, nan, 1},
		{1, 0, 0, nan, 1, 1, 0},
		{0, 1, 0, 12, 0, 5, 0},
	}
	for i, w := range wantX {
		if got := ds.Row(i); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("row %d: %v, want %v", i, got, w)
		}
	}
	if want := []float64{1, 0, 1, 0, 1, 0}; !reflect.DeepEqual(ds.Label, want) {
		t.Errorf("labels %v, want %v", ds.Label, want)
	}
	if want := []string{"a", "b", "c", "d", "e", "f"}; !reflect.DeepEqual(ds.AccountID, want) {
		t.Errorf("ids %v", ds.AccountID)
	}
	cols, of := features.Spec{Table: spec}.Groups()
	if !reflect.DeepEqual(cols, []string{"plan", "charges", "tenure"}) || !reflect.DeepEqual(of, []int{0, 0, 0, 1, 1, 2, 2}) {
		t.Errorf("groups %v %v", cols, of)
	}
}

// TestInferTableLeavesOut checks what is left out, with a warning naming
// the column: high-cardinality text, constant columns, all-missing ones.
func TestInferTableLeavesOut(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,city,const,empty,x,y\n")
	for i := range 100 {
		fmt.Fprintf(&b, "person %d,city%d,7,,%d,%d\n", i, i%3, i%5, i%2)
	}
	c := readCells(t, b.String())
	spec, warnings, err := features.InferTable(c, features.TableOptions{Label: "y"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warnings {
		got = append(got, w.String())
	}
	want := []string{
		`column "name" left out: text with more than 64 distinct values (an id, a name or free text?)`,
		`column "const" left out: every row has the same value`,
		`column "empty" left out: every value is missing`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings\n%q\nwant\n%q", got, want)
	}
	if n := len(spec.Columns); n != 2 || spec.Columns[0].Name != "city" || spec.Columns[1].Name != "x" {
		t.Errorf("columns %+v: want city and x", spec.Columns)
	}
	// Fewer than 64 values but most of them unique: an id all the same.
	var b2 strings.Builder
	b2.WriteString("code,y\n")
	for i := range 40 {
		fmt.Fprintf(&b2, "k%d,%d\n", i, i%2)
	}
	_, warnings, err = features.InferTable(readCells(t, b2.String()), features.TableOptions{Label: "y"})
	if err == nil || len(warnings) != 1 || warnings[0].Column != "code" {
		t.Errorf("40 unique codes in 40 rows: %v, %v; want code left out, then no column left", warnings, err)
	}
}

// TestTableErrors checks that bad input names the row and column.
func TestTableErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		opt        features.TableOptions
		want       string
	}{
		{"text in a numeric column", "a,y\n1,0\n2,1\n3,0\nthree,1\n", features.TableOptions{Label: "y"},
			`t.csv: row 5: column "a": "three" is not a number (the column is numeric: 3 of its values are numbers)`},
		{"bad label", "a,y\n1,0\n2,maybe\n", features.TableOptions{Label: "y"},
			`t.csv: row 3: column "y": "maybe" is not a churned flag: want 1/0, true/false or yes/no`},
		{"missing label", "a,y\n1,0\n2,\n", features.TableOptions{Label: "y"},
			`t.csv: row 3: column "y": "" is not a churned flag`},
		{"no label column", "a,y\n1,0\n", features.TableOptions{Label: "churn"},
			`t.csv: column "churn": no such column (the file has a, y)`},
		{"no drop column", "a,y\n1,0\n", features.TableOptions{Label: "y", Drop: []string{"b"}},
			`t.csv: column "b": no such column`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := readCells(t, tc.text)
			spec, _, err := features.InferTable(c, tc.opt)
			if err == nil {
				_, _, err = features.EncodeTable(c, spec, true)
			}
			var ie *features.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want an InputError containing %q", err, tc.want)
			}
		})
	}
}

// TestUnseenCategories checks that a category never seen in training is
// scored as missing and reported, by the file encoder and the row one.
func TestUnseenCategories(t *testing.T) {
	spec := &features.TableSpec{Label: "y", Columns: []features.Column{
		{Name: "plan", Levels: []string{"basic", "pro"}, Missing: true},
		{Name: "seats"},
	}}
	c := readCells(t, "plan,seats\nbasic,3\nenterprise,4\nenterprise,\n")
	ds, unseen, err := features.EncodeTable(c, spec, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []features.Unseen{{Column: "plan", Values: map[string]int{"enterprise": 2}}}; !reflect.DeepEqual(unseen, want) {
		t.Errorf("unseen %v, want %v", unseen, want)
	}
	if got := fmt.Sprint(ds.Row(1)); got != "[NaN NaN 1 4]" {
		t.Errorf("row with an unseen plan: %s, want [NaN NaN 1 4]", got)
	}
	r := features.NewRowEncoder(spec)
	x := make([]float64, 4)
	missing, unseenCols, err := r.Encode(x, map[string]string{"plan": "enterprise", "seats": "2"})
	if err != nil || !reflect.DeepEqual(missing, []string{"plan"}) || !reflect.DeepEqual(unseenCols, []string{"plan"}) {
		t.Errorf("row encoder: missing %v unseen %v err %v", missing, unseenCols, err)
	}
	if _, _, err := r.Encode(x, map[string]string{"seats": "two"}); err == nil || err.Error() != `column "seats": "two" is not a number` {
		t.Errorf("row encoder, text in a number: %v", err)
	}
	if _, _, err := r.Encode(x, map[string]string{"colour": "red"}); err == nil || err.Error() != `unknown column "colour"` {
		t.Errorf("row encoder, unknown column: %v", err)
	}
}

// TestFolds checks the stratified folds: every fold within one row of
// the same count of each class, the same folds for the same seed and
// others for another.
func TestFolds(t *testing.T) {
	labels := make([]float64, 1003)
	for i := range labels {
		if i%7 == 0 {
			labels[i] = 1
		}
	}
	for _, k := range []int{2, 5, 10} {
		fold, err := features.Folds(labels, k, 1)
		if err != nil {
			t.Fatal(err)
		}
		pos, all := make([]int, k), make([]int, k)
		for i, f := range fold {
			all[f]++
			pos[f] += int(labels[i])
		}
		for f := range k {
			if d := pos[f] - pos[0]; d < -1 || d > 1 {
				t.Errorf("k=%d: positives per fold %v", k, pos)
			}
			if d := all[f] - all[0]; d < -1 || d > 1 {
				t.Errorf("k=%d: rows per fold %v", k, all)
			}
		}
		again, _ := features.Folds(labels, k, 1)
		other, _ := features.Folds(labels, k, 2)
		if !reflect.DeepEqual(fold, again) || reflect.DeepEqual(fold, other) {
			t.Errorf("k=%d: folds do not follow the seed", k)
		}
	}
	if _, err := features.Folds([]float64{1, 0, 0, 0, 0, 0}, 5, 1); err == nil {
		t.Error("5 folds of one positive: no error")
	}
}
