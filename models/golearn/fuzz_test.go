package golearn

import (
	"context"
	"math"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/tree"
)

// FuzzFit fits both models on small datasets with many ties, NaNs and
// constant columns, and checks that each fit either fails for a reason
// the data gives or returns a valid model whose contributions add up.
func FuzzFit(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0x80, 3, 4, 5, 0, 1, 1, 1, 0x81, 7, 7, 7, 0})
	f.Add([]byte{7, 7, 7, 0x80, 7, 7, 7, 0})
	f.Add([]byte{1, 2, 3, 0, 1, 2, 3, 0x80, 1, 2, 3, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Each row is four bytes: three features, a value 7 standing
		// for NaN, and the label in the top bit of the fourth.
		ds := &features.Dataset{Features: []string{"a", "b", "c"}}
		var pos int
		for i := 0; i+4 <= len(b) && i < 4*200; i += 4 {
			x := make([]float64, 3)
			for j := range x {
				if v := b[i+j] % 8; v == 7 {
					x[j] = math.NaN()
				} else {
					x[j] = float64(v) - 2
				}
			}
			ds.Append("acct", features.Date(i), x)
			y := float64(b[i+3] >> 7)
			ds.Label = append(ds.Label, y)
			pos += int(y)
		}
		fitOK := pos > 0 && pos < ds.Len()
		ctx := context.Background()
		cart, err := FitTree(ctx, ds, TreeParams{MaxDepth: 3, Seed: 1})
		checkFuzzFit(t, ds, cart, err, fitOK)
		forest, err := FitForest(ctx, ds, ForestParams{Trees: 3, Features: 2, Seed: 1})
		checkFuzzFit(t, ds, forest, err, fitOK)
	})
}

// checkFuzzFit checks the outcome of one fit: an error exactly when the
// data has a single class, otherwise a valid model whose contributions
// add up to its log-odds on every row.
func checkFuzzFit(t *testing.T, ds *features.Dataset, e *tree.Ensemble, err error, fitOK bool) {
	t.Helper()
	if !fitOK {
		if err == nil {
			t.Fatalf("fit on %d rows of one class succeeded", ds.Len())
		}
		return
	}
	if err != nil {
		t.Fatalf("fit: %v", err)
	}
	if err := e.Validate(len(ds.Features)); err != nil {
		t.Fatal(err)
	}
	phi := make([]float64, len(ds.Features))
	for i := range ds.Len() {
		x := ds.Row(i)
		sum := e.Explain(x, phi)
		for _, v := range phi {
			sum += v
		}
		if lo := e.LogOdds(x); math.Abs(sum-lo) > 1e-9 || math.IsNaN(lo) {
			t.Fatalf("row %v: contributions add to %v, LogOdds %v", x, sum, lo)
		}
	}
}
