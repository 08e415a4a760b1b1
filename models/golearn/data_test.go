package golearn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/churnlabs/churn/features"
)

func TestSelectKth(t *testing.T) {
	tests := [][]float64{
		{1},
		{2, 1},
		{3, 3, 3, 3},
		{5, -1, 4, 4, 0, 9, -1},
		{1, 2, 3, 4, 5, 6, 7, 8},
		{8, 7, 6, 5, 4, 3, 2, 1},
		{0, 1, 0, 1, 0, 1, 0, 1, 0},
		{math.Inf(-1), 2, math.Inf(1), -0.5, 2},
	}
	for _, v := range tests {
		checkSelectKth(t, v)
	}
}

func FuzzSelectKth(f *testing.F) {
	f.Add([]byte{3, 1, 2}, uint8(1))
	f.Add([]byte{7, 7, 7, 1, 7}, uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, k uint8) {
		if len(b) == 0 {
			return
		}
		v := make([]float64, len(b))
		for i, c := range b {
			v[i] = float64(c % 16) // few distinct values: many ties
		}
		checkSelectKth(t, v)
	})
}

// checkSelectKth checks selectKth against sorting for every k.
func checkSelectKth(t *testing.T, v []float64) {
	t.Helper()
	sorted := slices.Sorted(slices.Values(v))
	for k := range v {
		w := slices.Clone(v)
		if got := selectKth(w, k); got != sorted[k] {
			t.Fatalf("selectKth(%v, %d) = %v, want %v", v, k, got, sorted[k])
		}
		if !slices.Equal(slices.Sorted(slices.Values(w)), sorted) {
			t.Fatalf("selectKth(%v, %d) left %v, not a permutation", v, k, w)
		}
	}
}

func TestMedians(t *testing.T) {
	nan := math.NaN()
	ds := &features.Dataset{Features: []string{"a", "b", "c"}}
	for _, x := range [][]float64{
		{4, nan, 1},
		{1, nan, 2},
		{3, nan, nan},
		{2, nan, 3},
	} {
		ds.Append("acct", 0, x)
	}
	// a: 1 2 3 4 has lower median 2; b has no value; c: 1 2 3.
	if got, want := medians(ds), []float64{2, 0, 2}; !slices.Equal(got, want) {
		t.Errorf("medians = %v, want %v", got, want)
	}
}

// classRows returns a byClass split with neg negatives then pos
// positives.
func classRows(neg, pos int) [2][]int {
	var byClass [2][]int
	for i := range neg + pos {
		c := b2i(i >= neg)
		byClass[c] = append(byClass[c], i)
	}
	return byClass
}

func TestStratifiedSample(t *testing.T) {
	tests := []struct {
		neg, pos, m int
		want        [2]int // rows of each class
	}{
		{900, 100, 200, [2]int{180, 20}},
		{900, 100, 1000, [2]int{900, 100}},
		{900, 100, 5000, [2]int{900, 100}},
		{999, 1, 10, [2]int{9, 1}}, // the one positive is kept
		{1, 999, 10, [2]int{1, 9}}, // and the one negative
		{5, 5, 2, [2]int{1, 1}},    // the least sample there is
		{3, 2, 4, [2]int{2, 2}},    // 1.6 positives round to 2
		{2, 1, 2, [2]int{1, 1}},    // 0.67 rounds to 1
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range tests {
		byClass := classRows(tt.neg, tt.pos)
		rows := stratifiedSample(byClass, tt.m, rng)
		if !slices.IsSorted(rows) || len(slices.Compact(slices.Clone(rows))) != len(rows) {
			t.Errorf("%+v: rows %v are not ascending and distinct", tt, rows)
		}
		if got := countClasses(rows, tt.neg); got != tt.want {
			t.Errorf("%+v: %v rows of each class, want %v", tt, got, tt.want)
		}
	}
}

func TestBootstrapSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	byClass := classRows(90, 10)
	rows := bootstrapSample(byClass, 100, rng)
	if !slices.IsSorted(rows) {
		t.Errorf("rows %v are not ascending", rows)
	}
	if got, want := countClasses(rows, 90), [2]int{90, 10}; got != want {
		t.Errorf("%v rows of each class, want %v", got, want)
	}
	// Drawn with replacement, 100 rows of 100 repeat some: the chance
	// of none is 100!/100^100.
	if distinct := len(slices.Compact(slices.Clone(rows))); distinct == len(rows) {
		t.Errorf("a bootstrap of 100 rows from 100 has no repeat")
	}
}

// countClasses counts the rows below neg (negatives) and the others.
func countClasses(rows []int, neg int) [2]int {
	var n [2]int
	for _, r := range rows {
		n[b2i(r >= neg)]++
	}
	return n
}

func TestAttrColumn(t *testing.T) {
	for c := range 12 {
		if got, err := attrColumn(attrName(c)); err != nil || got != c {
			t.Errorf("attrColumn(%q) = %d, %v", attrName(c), got, err)
		}
	}
	for _, name := range []string{"", "f", "x1", "f1x", "f-1", classAttr} {
		if _, err := attrColumn(name); err == nil {
			t.Errorf("attrColumn(%q) succeeded", name)
		}
	}
}
