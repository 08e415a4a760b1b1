package models_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// syntheticTable is a customer table whose churn depends on a category,
// a number and whether the number is missing.
func syntheticTable(n int) (*features.Dataset, features.Spec) {
	t := &features.TableSpec{Label: "y", Columns: []features.Column{
		{Name: "plan", Levels: []string{"basic", "plus", "pro"}, Missing: true},
		{Name: "usage", Missing: true},
		{Name: "age"},
	}}
	spec := features.Spec{Table: t}
	ds := &features.Dataset{Features: spec.Names()}
	rng := rand.New(rand.NewPCG(7, 7))
	nan := math.NaN()
	for i := range n {
		plan, usage, age := rng.IntN(4), rng.NormFloat64(), 20+60*rng.Float64()
		x := []float64{0, 0, 0, 0, usage, 0, age}
		z := -1 + 0.8*usage + 0.02*(age-50)
		if plan == 3 {
			x[0], x[1], x[2], x[3] = nan, nan, nan, 1
			z += 0.5
		} else {
			x[plan] = 1
			z += []float64{1, 0, -1}[plan]
		}
		if rng.IntN(10) == 0 {
			x[4], x[5] = nan, 1
			z += 1
		}
		y := 0.0
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y = 1
		}
		ds.Append(fmt.Sprint(i), 0, x)
		ds.Label = append(ds.Label, y)
	}
	return ds, spec
}

// TestTrainCVExactColumnContributions cross-validates every kind on a
// synthetic table and checks that each model's contributions summed per
// original column add up, with the base, to the log-odds, and that the
// report has each metric's fold mean and sd with valid_auc the mean.
func TestTrainCVExactColumnContributions(t *testing.T) {
	ds, spec := syntheticTable(600)
	var p models.Params
	p.Forest.Trees, p.GBM.Trees = 10, 60
	res, err := models.TrainCV(context.Background(), ds, spec, models.CVOptions{Params: p, Folds: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Models) != len(models.Kinds) {
		t.Fatalf("%d models", len(res.Report.Models))
	}
	for _, e := range res.Report.Models {
		cv := e.CrossValidation
		if cv == nil || len(cv.PerFold) != 3 {
			t.Fatalf("%s: cross-validation %+v", e.Name, cv)
		}
		var sum float64
		for _, f := range cv.PerFold {
			sum += f["roc_auc"]
		}
		if math.Abs(e.ValidAUC-sum/3) > 1e-12 || e.ValidAUCSD != cv.Metrics["roc_auc"].SD || !(e.ValidAUC > 0.6) {
			t.Errorf("%s: valid_auc %v ± %v, folds %v", e.Name, e.ValidAUC, e.ValidAUCSD, cv.PerFold)
		}
		for _, name := range []string{"roc_auc", "pr_auc", "log_loss", "brier", "top_decile_lift", "top_decile_capture"} {
			if _, ok := cv.Metrics[name]; !ok {
				t.Errorf("%s: no %s", e.Name, name)
			}
		}
		a := res.Artifacts[e.Name]
		if a.Train.First != features.NoDate || a.Valid.Last != features.NoDate || a.Train.Rows != ds.Len() {
			t.Errorf("%s: a customer table has no weeks: train %+v, valid %+v", e.Name, a.Train, a.Valid)
		}
		if a.Metrics.ROCAUC != e.ValidAUC {
			t.Errorf("%s: model.json's AUC %v, metrics.json's %v", e.Name, a.Metrics.ROCAUC, e.ValidAUC)
		}
		sc, err := models.NewScorer(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(sc.Columns()); got != "[plan usage age]" {
			t.Fatalf("columns %s", got)
		}
		for i := range ds.Len() {
			s := sc.Score(ds.Row(i), nil)
			cols := sc.ByColumn(s.Contributions, nil)
			total := s.Base
			for _, v := range cols {
				total += v
			}
			// Each column's sum, worked out from the feature names.
			want := map[string]float64{}
			for j, f := range a.Features {
				col, _, _ := strings.Cut(strings.TrimSuffix(f, ":missing"), "=")
				want[col] += s.Contributions[j]
			}
			for k, c := range sc.Columns() {
				if cols[k] != want[c] {
					t.Fatalf("%s row %d: column %s contributes %v, its features %v", e.Name, i, c, cols[k], want[c])
				}
			}
			if math.Abs(total-s.LogOdds) > 1e-9 {
				t.Fatalf("%s row %d: base + column contributions %v, log-odds %v", e.Name, i, total, s.LogOdds)
			}
			if i == 0 && cols[0] == 0 && e.Name != models.Tree {
				t.Errorf("%s: plan contributes nothing to row 0", e.Name)
			}
		}
	}
}

// TestTrainCVChoosesGBMTrees checks that, unless the caller sets the
// number of trees, TrainCV chooses it by an inner cross-validation of
// the training rows: labels that are pure noise call for few trees, which
// a fixed default would overfit with, while a number the caller sets is
// kept.
func TestTrainCVChoosesGBMTrees(t *testing.T) {
	signal, spec := syntheticTable(600)
	noise := *signal
	rng := rand.New(rand.NewPCG(3, 3))
	noise.Label = make([]float64, signal.Len())
	for i := range noise.Label {
		noise.Label[i] = float64(rng.IntN(4) / 3) // a quarter churn
	}
	for _, tc := range []struct {
		name     string
		ds       *features.Dataset
		trees    int
		depth    int
		min, max int
		// wantDepth is the depth of the refit's trees.
		wantDepth int
	}{
		{"noise", &noise, 0, 0, 1, 60, 5},
		{"signal", signal, 0, 0, 61, 2000, 5},
		{"set by the caller", &noise, 70, 0, 70, 70, 3},
		{"depth set by the caller", signal, 0, 2, 61, 2000, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p models.Params
			p.GBM.Trees, p.GBM.Depth = tc.trees, tc.depth
			res, err := models.TrainCV(context.Background(), tc.ds, spec, models.CVOptions{Kinds: []string{models.GBM}, Params: p, Folds: 3, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Artifacts[models.GBM].GBM
			if got := len(m.Ensemble.Trees); got < tc.min || got > tc.max || m.Params.Trees != got {
				t.Errorf("refit has %d trees (params say %d), want %d to %d", got, m.Params.Trees, tc.min, tc.max)
			}
			if m.Params.Depth != tc.wantDepth {
				t.Errorf("refit has depth %d, want %d", m.Params.Depth, tc.wantDepth)
			}
		})
	}
}
