package models_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/metrics"
)

// TestRefit checks the model served after a refit: fitted on every
// matured week (its training weeks end where validation ends, a horizon
// before the data's last week), with other numbers than the first fit,
// the GBM with the trees early stopping kept, exact contributions, its
// drift reference of the refit's rows, and its validation figures and
// first fit kept and saved beside it.
func TestRefit(t *testing.T) {
	tab := table(t)
	sp, err := tab.Split(testSplit)
	if err != nil {
		t.Fatal(err)
	}
	matured := tab.Last - features.Date(7*testSplit.Horizon)
	for _, kind := range []string{models.Logistic, models.GBM, models.Hybrid} {
		t.Run(kind, func(t *testing.T) {
			p := fastParams()
			p.GBM.Trees, p.GBM.EarlyStopping = 300, 10
			res, err := models.Train(context.Background(), sp, tab.Spec, models.TrainOptions{
				Kinds: []string{kind}, Params: p, Table: tab, Split: testSplit, Refit: true})
			if err != nil {
				t.Fatal(err)
			}
			a, first := res.Chosen, res.FirstFit
			if first == nil || a.Refit == nil || res.Report.Refit == nil || res.Artifacts[kind] != a {
				t.Fatalf("no refit recorded: first fit %v, refit %v, report %v", first, a.Refit, res.Report.Refit)
			}
			if a.Train.Last != matured || a.Train.Last != sp.ValidStats.Last {
				t.Errorf("refit trained up to %s, want the last matured week %s (validation ends %s)", a.Train.Last, matured, sp.ValidStats.Last)
			}
			if a.Train.First != sp.TrainStats.First || a.Train.Rows <= sp.TrainStats.Rows+sp.ValidStats.Rows {
				t.Errorf("refit rows %+v: want every matured week, more than training %d + validation %d rows (the gap too)",
					a.Train, sp.TrainStats.Rows, sp.ValidStats.Rows)
			}
			r := res.Report.Refit
			if r.Train != a.Train || r.Rows != a.Train.Rows || r.FirstFit.Train != sp.TrainStats || first.Train != sp.TrainStats ||
				res.Report.Train != sp.TrainStats || r.Calibration != a.Calibration || r.FirstFit.Calibration != first.Calibration {
				t.Errorf("metrics.json refit %+v does not describe both fits (first %+v, served %+v)", r.Refit, first.Train, a.Train)
			}
			if a.Valid != first.Valid || a.Metrics.ROCAUC != first.Metrics.ROCAUC || res.Report.Models[0].ValidAUC != first.Metrics.ROCAUC {
				t.Errorf("validation figures changed by the refit: %v, first fit %v", a.Metrics.ROCAUC, first.Metrics.ROCAUC)
			}
			if len(r.CalibrationFolds) != models.RefitFolds || r.OutOfFold.Rows == 0 {
				t.Errorf("calibration folds %+v, out of fold %d rows", r.CalibrationFolds, r.OutOfFold.Rows)
			}
			for _, f := range r.CalibrationFolds {
				if f.Skipped != "" || !(f.ROCAUC > 0.6) {
					t.Errorf("fold %s to %s: ROC AUC %v, skipped %q", f.First, f.Last, f.ROCAUC, f.Skipped)
				}
			}
			// Calibrated on the latest block, the weeks nearest to those
			// served, scored by a fit on the weeks before it.
			latest := r.CalibrationFolds[len(r.CalibrationFolds)-1]
			if r.CalibrationWeeks != [2]features.Date{latest.First, matured} || latest.Last != matured || r.OutOfFold.Rows != latest.Rows {
				t.Errorf("calibrated on weeks %v (%d rows), want the latest block %+v", r.CalibrationWeeks, r.OutOfFold.Rows, latest)
			}
			if a.Calibration == first.Calibration {
				t.Error("the refit kept the first fit's calibration")
			}
			if a.Drift == nil || a.Drift.Rows != a.Train.Rows {
				t.Errorf("drift reference of %v rows, want the refit's %d", a.Drift, a.Train.Rows)
			}
			m, err := a.Model()
			if err != nil {
				t.Fatal(err)
			}
			m1, err := first.Model()
			if err != nil {
				t.Fatal(err)
			}
			differ := 0
			for i := 0; i < sp.Valid.Len(); i += 13 {
				if m.LogOdds(sp.Valid.Row(i)) != m1.LogOdds(sp.Valid.Row(i)) {
					differ++
				}
			}
			if differ == 0 {
				t.Error("the refit scores every row as the first fit does")
			}
			switch kind {
			case models.Logistic:
				if slices.Equal(a.Logistic.Coef, first.Logistic.Coef) {
					t.Error("the refit has the first fit's coefficients")
				}
			case models.GBM:
				if n := first.GBM.BestIteration; n >= 300 || len(a.GBM.Ensemble.Trees) != n || r.Trees != n || a.GBM.Params.EarlyStopping != 0 {
					t.Errorf("first fit kept %d trees of 300; refit has %d (recorded %d, early stopping %d), want the same",
						n, len(a.GBM.Ensemble.Trees), r.Trees, a.GBM.Params.EarlyStopping)
				}
			case models.Hybrid:
				h, h1 := a.Hybrid, first.Hybrid
				if n := h1.GBM.BestIteration; n >= 300 || len(h.GBM.Ensemble.Trees) != n || r.Trees != n || h.GBM.Params.EarlyStopping != 0 {
					t.Errorf("first fit kept %d trees of 300; refit has %d (recorded %d, early stopping %d), want the same",
						n, len(h.GBM.Ensemble.Trees), r.Trees, h.GBM.Params.EarlyStopping)
				}
				if slices.Equal(h.Logistic.Coef, h1.Logistic.Coef) {
					t.Error("the refit has the first fit's coefficients")
				}
			}
			s, err := models.NewScorer(a)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < sp.Valid.Len(); i += 101 {
				sc := s.Score(sp.Valid.Row(i), nil)
				sum := sc.Base
				for _, c := range sc.Contributions {
					sum += c
				}
				if math.Abs(sum-sc.LogOdds) > 1e-9 || math.Abs(sc.LogOdds-a.Calibration.LogOdds(m.LogOdds(sp.Valid.Row(i)))) > 1e-9 {
					t.Fatalf("base %v + contributions = %v, log-odds %v", sc.Base, sum, sc.LogOdds)
				}
			}

			dir := t.TempDir()
			if err := models.Save(filepath.Join(dir, models.FirstFitDir), first, res.Report); err != nil {
				t.Fatal(err)
			}
			if err := models.Save(dir, a, res.Report); err != nil {
				t.Fatal(err)
			}
			loaded, err := models.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			validated, err := models.LoadValidated(dir, loaded)
			if err != nil || validated.Version != first.Version || validated.Refit != nil {
				t.Errorf("LoadValidated: %v, %v; want the first fit %s", validated, err, first.Version)
			}
			if err := os.RemoveAll(filepath.Join(dir, models.FirstFitDir)); err != nil {
				t.Fatal(err)
			}
			if _, err := models.LoadValidated(dir, loaded); err == nil {
				t.Error("LoadValidated without the first fit: no error")
			}
		})
	}
}

// TestRefitFeaturesDirectory checks the refit of a split read from a
// features directory, which holds its two sides only: the refit takes
// both, up to the last validation week.
func TestRefitFeaturesDirectory(t *testing.T) {
	tab := table(t)
	sp, err := tab.Split(testSplit)
	if err != nil {
		t.Fatal(err)
	}
	res, err := models.Train(context.Background(), sp, tab.Spec, models.TrainOptions{
		Kinds: []string{models.Logistic}, Params: fastParams(), Refit: true})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Chosen
	want := sp.TrainStats.Rows + sp.ValidStats.Rows
	if a.Refit == nil || a.Train.Rows != want || a.Train.First != sp.TrainStats.First || a.Train.Last != sp.ValidStats.Last ||
		a.Train.Positives != sp.TrainStats.Positives+sp.ValidStats.Positives {
		t.Errorf("refit on %+v, want the %d rows of both sides, %s to %s", a.Train, want, sp.TrainStats.First, sp.ValidStats.Last)
	}
}

// TestNoRefitIsTheFirstFit checks that training without a refit gives,
// byte for byte, the model a refit run keeps as its first fit: the fit
// and artifact of before the refit existed.
func TestNoRefitIsTheFirstFit(t *testing.T) {
	tab := table(t)
	sp, err := tab.Split(testSplit)
	if err != nil {
		t.Fatal(err)
	}
	save := func(refit bool) (model, first []byte) {
		res, err := models.Train(context.Background(), sp, tab.Spec, models.TrainOptions{
			Kinds: []string{models.GBM}, Params: fastParams(), Table: tab, Split: testSplit, Refit: refit})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := models.Save(dir, res.Chosen, res.Report); err != nil {
			t.Fatal(err)
		}
		if model, err = os.ReadFile(filepath.Join(dir, models.ModelFile)); err != nil {
			t.Fatal(err)
		}
		if res.FirstFit != nil {
			if err := models.Save(filepath.Join(dir, "first"), res.FirstFit, res.Report); err != nil {
				t.Fatal(err)
			}
			if first, err = os.ReadFile(filepath.Join(dir, "first", models.ModelFile)); err != nil {
				t.Fatal(err)
			}
		}
		return model, first
	}
	plain, none := save(false)
	served, first := save(true)
	if none != nil || bytes.Contains(plain, []byte(`"refit"`)) {
		t.Error("a run without refit has a first fit or a refit record")
	}
	if !bytes.Equal(plain, first) {
		t.Error("model.json without refit differs from the refit run's first fit")
	}
	if bytes.Equal(plain, served) {
		t.Error("the refit run serves the first fit")
	}
}

// laterLogLossSlack is how much worse than the first fit's the refit's
// log-loss on later weeks may be: noise. On books this small (800
// accounts), over five seeds and both kinds, it ranged from 3.3% below
// the first fit's to 2% above, the ROC AUC from 0.0003 below to 0.036
// above; a calibration pooled over all the weeks, which the churn rate's
// drift defeats, was 20-65% worse on CDNOW.
const laterLogLossSlack = 1.03

// TestRefitOnLaterWeeks trains at week T of a longer simulation and
// scores the weeks after those the refit saw, labelled from the rest of
// the run: the refit must rank and be calibrated no worse than the first
// fit there, which is what refitting is for.
func TestRefitOnLaterWeeks(t *testing.T) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 800, Weeks: 110, Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	const h = 8
	cut := simulate.DefaultStart + features.Date(7*79) // T: 80 weeks seen at training
	var early []features.Snapshot
	for _, r := range rows {
		if r.Week <= cut {
			early = append(early, r)
		}
	}
	tab, err := features.Build(ctx, features.MemorySource("early", simulate.Schema(), early), features.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	so := features.SplitOptions{Horizon: h, ValidWeeks: 8}
	sp, err := tab.Split(so)
	if err != nil {
		t.Fatal(err)
	}
	full, err := features.Build(ctx, features.MemorySource("full", simulate.Schema(), rows), features.BuildOptions{Spec: &tab.Spec})
	if err != nil {
		t.Fatal(err)
	}
	all, _, err := full.Matured(ctx, h, full.Last-features.Date(7*h))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{models.Logistic, models.GBM} {
		t.Run(kind, func(t *testing.T) {
			res, err := models.Train(ctx, sp, tab.Spec, models.TrainOptions{
				Kinds: []string{kind}, Params: fastParams(), Table: tab, Split: so, Refit: true})
			if err != nil {
				t.Fatal(err)
			}
			laterWeeks(t, all, res)
		})
	}
}

// laterWeeks compares the refit and the first fit of res on the rows of
// all after the weeks the refit saw.
func laterWeeks(t *testing.T, all *features.Dataset, res *models.Result) {
	t.Helper()
	seen := res.Chosen.Train.Last
	var later []int
	for i, w := range all.Week {
		if w > seen {
			later = append(later, i)
		}
	}
	summary := func(a *models.Artifact) metrics.Summary {
		s, err := models.NewScorer(a)
		if err != nil {
			t.Fatal(err)
		}
		y, p := make([]float64, len(later)), make([]float64, len(later))
		for k, i := range later {
			y[k], p[k] = all.Label[i], s.Probability(all.Row(i))
		}
		return metrics.Summarize(y, p)
	}
	refit, first := summary(res.Chosen), summary(res.FirstFit)
	t.Logf("%d later rows (%d churned): refit AUC %.4f log-loss %.5f; first fit AUC %.4f log-loss %.5f",
		refit.Rows, refit.Positives, refit.ROCAUC, refit.LogLoss, first.ROCAUC, first.LogLoss)
	if refit.Positives < 20 {
		t.Fatalf("only %d churned in the later weeks: too few to compare", refit.Positives)
	}
	if refit.LogLoss > first.LogLoss*laterLogLossSlack {
		t.Errorf("refit log-loss %.5f on later weeks, worse than the first fit's %.5f", refit.LogLoss, first.LogLoss)
	}
	if refit.ROCAUC < first.ROCAUC-0.005 {
		t.Errorf("refit ROC AUC %.4f on later weeks, below the first fit's %.4f", refit.ROCAUC, first.ROCAUC)
	}
}

// TestRefitDropTrain checks that dropping the training rows before the
// refit, as churn train does to halve its peak memory, changes nothing
// the refit serves, and that the rows are dropped only when asked.
func TestRefitDropTrain(t *testing.T) {
	tab := table(t)
	for _, kind := range []string{models.Logistic, models.GBM} {
		t.Run(kind, func(t *testing.T) {
			var served [2][]byte
			for k, drop := range []bool{false, true} {
				sp, err := tab.Split(testSplit)
				if err != nil {
					t.Fatal(err)
				}
				res, err := models.Train(context.Background(), sp, tab.Spec, models.TrainOptions{
					Kinds: []string{kind}, Params: fastParams(), Table: tab, Split: testSplit, Refit: true, DropTrain: drop})
				if err != nil {
					t.Fatal(err)
				}
				if (sp.Train == nil) != drop {
					t.Errorf("DropTrain %v: training rows kept %v", drop, sp.Train != nil)
				}
				dir := t.TempDir()
				if err := models.Save(dir, res.Chosen, res.Report); err != nil {
					t.Fatal(err)
				}
				if served[k], err = os.ReadFile(filepath.Join(dir, models.ModelFile)); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(served[0], served[1]) {
				t.Error("the refit served differs when the training rows are dropped")
			}
		})
	}
}
