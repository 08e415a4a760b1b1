package models

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/metrics"
)

// accountMajor returns rows of accounts over weeks, one account's weeks
// after another's, as a table gathers them, with a label that the first
// feature predicts.
func accountMajor(accounts, weeks int, seed uint64) *features.Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	ds := &features.Dataset{Features: []string{"signal", "noise"}}
	for a := range accounts {
		for w := range weeks {
			x := []float64{rng.NormFloat64(), rng.NormFloat64()}
			ds.Append(fmt.Sprintf("acc-%03d", a), features.Date(7*w), x)
			y := 0.0
			if rng.Float64() < 1/(1+math.Exp(-(2*x[0]-2))) {
				y = 1
			}
			ds.Label = append(ds.Label, y)
		}
	}
	return ds
}

// TestRefitFoldsWithoutCopies checks the calibration folds that fit on
// slices of the rows, rotated into one run, against fits on copies of
// each fold's training rows: the same rows counted, the same scores, and
// the rows left in week order, every rotation undone.
func TestRefitFoldsWithoutCopies(t *testing.T) {
	const horizon = 3
	ctx := context.Background()
	all := accountMajor(40, 48, 7)
	want := accountMajor(40, 48, 7)
	want.SortByWeek()

	r, err := refitModel(ctx, Logistic, all, horizon, Params{}, metrics.Platt{A: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all.AccountID, want.AccountID) || !slices.Equal(all.Week, want.Week) ||
		!slices.Equal(all.X, want.X) || !slices.Equal(all.Label, want.Label) {
		t.Fatal("the rows after the refit are not the rows in week order")
	}

	gap := features.Date(7 * horizon)
	folds := r.refit.CalibrationFolds
	if len(folds) != RefitFolds {
		t.Fatalf("%d folds, want %d", len(folds), RefitFolds)
	}
	for b, f := range folds {
		var held, train []int
		for i, w := range want.Week {
			switch {
			case w >= f.First && w <= f.Last:
				held = append(held, i)
			case w < f.First-gap || w > f.Last+gap:
				train = append(train, i)
			}
		}
		if f.Rows != len(held) || f.TrainRows != len(train) || f.Skipped != "" {
			t.Errorf("fold %d: %d rows, %d training rows (skipped %q), want %d and %d", b, f.Rows, f.TrainRows, f.Skipped, len(held), len(train))
		}
		m, err := Fit(ctx, Logistic, subset(want, train), nil, Params{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		z := logOddsOf(m, subset(want, held))
		y := make([]float64, len(held))
		for k, i := range held {
			y[k] = want.Label[i]
		}
		if auc := metrics.ROCAUC(y, z); math.Abs(auc-f.ROCAUC) > 1e-9 {
			t.Errorf("fold %d: ROC AUC %v, a fit on a copy of its rows %v", b, f.ROCAUC, auc)
		}
		if b == len(folds)-1 {
			// The latest block calibrates; its training rows, the weeks
			// before it, are a prefix and keep their order.
			if !slices.Equal(r.z, z) || !slices.Equal(r.y, y) {
				t.Errorf("the calibration's out-of-fold scores differ from a fit on a copy")
			}
		}
	}
}
