package models_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

var (
	allOnce  sync.Once
	allSplit *features.Split
	allRes   *models.Result
)

// trainAll fits every kind once per test binary, for the tests that only
// read the result (or clone what they change).
func trainAll(t *testing.T) (*features.Split, *models.Result) {
	t.Helper()
	allOnce.Do(func() { allSplit, allRes = train(t) })
	if allRes == nil {
		t.Fatal("training failed in an earlier test")
	}
	return allSplit, allRes
}

// TestLoadAcceptsEveryTrainedKind checks that validation on load rejects
// no model that churn train saves, and that the version recomputed from
// the content matches the saved one exactly.
func TestLoadAcceptsEveryTrainedKind(t *testing.T) {
	_, res := trainAll(t)
	for _, kind := range models.Kinds {
		dir := filepath.Join(t.TempDir(), kind)
		a := res.Artifacts[kind]
		if err := models.Save(dir, a, res.Report); err != nil {
			t.Fatal(err)
		}
		back, err := models.Load(dir)
		if err != nil {
			t.Fatalf("%s: a model churn train saved is rejected: %v", kind, err)
		}
		if back.Version != a.Version {
			t.Errorf("%s: version %q loaded, %q saved", kind, back.Version, a.Version)
		}
	}
}

// clone returns a deep copy of a, read back from its JSON.
func clone(t *testing.T, a *models.Artifact) *models.Artifact {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var c models.Artifact
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// TestLoadRejectsAbsurdNumbers saves real models with one number made
// absurd (with a version that matches the content, as a tool rewriting
// the file would compute it) and expects Load to refuse each, naming the
// file and the field.
func TestLoadRejectsAbsurdNumbers(t *testing.T) {
	_, res := trainAll(t)
	firstLeaf := func(a *models.Artifact) *float64 {
		ens := a.Trees
		if a.GBM != nil {
			ens = &a.GBM.Ensemble
		}
		for i := range ens.Trees[0].Nodes {
			if n := &ens.Trees[0].Nodes[i]; n.IsLeaf() {
				return &n.Value
			}
		}
		t.Fatal("no leaf in the first tree")
		return nil
	}
	for _, c := range []struct {
		name, kind string
		corrupt    func(a *models.Artifact)
		field      string
	}{
		{"calibration slope huge", models.GBM, func(a *models.Artifact) { a.Calibration.A = 1e308 }, "calibration.a"},
		{"calibration slope zero", models.Logistic, func(a *models.Artifact) { a.Calibration.A = 0 }, "calibration.a"},
		{"calibration intercept huge", models.Logistic, func(a *models.Artifact) { a.Calibration.B = -1e300 }, "calibration.b"},
		{"health red negative", models.GBM, func(a *models.Artifact) { a.Health.Red = -1 }, "health.red"},
		{"health red above 1", models.Tree, func(a *models.Artifact) { a.Health.Red = 1.5 }, "health.red"},
		{"health yellow above red", models.Forest, func(a *models.Artifact) { a.Health.Yellow = a.Health.Red + 0.01 }, "health.yellow"},
		{"horizon zero", models.Logistic, func(a *models.Artifact) { a.Horizon = 0 }, "horizon_weeks"},
		{"horizon absurd", models.Logistic, func(a *models.Artifact) { a.Horizon = 1 << 40 }, "horizon_weeks"},
		{"features empty", models.Logistic, func(a *models.Artifact) { a.Features = nil }, "features"},
		{"features repeated", models.GBM, func(a *models.Artifact) { a.Features[1] = a.Features[0] }, "features"},
		{"spec disagrees", models.GBM, func(a *models.Artifact) { a.Spec.ARR = !a.Spec.ARR }, "spec"},
		{"gbm leaf huge", models.GBM, func(a *models.Artifact) { *firstLeaf(a) = 1e308 }, "gbm.ensemble.trees[0].nodes["},
		{"gbm leaf large once calibrated", models.GBM, func(a *models.Artifact) {
			a.Calibration.A, a.Calibration.B = 2, -3
			*firstLeaf(a) = 1e6
		}, "v 1e+06: scaled by 2 to calibrated log-odds, a term of 2e+06, want within ±10000"},
		{"gbm base huge", models.GBM, func(a *models.Artifact) { a.GBM.Ensemble.Base = 1e300 }, "gbm.ensemble.base"},
		{"gbm weight zero", models.GBM, func(a *models.Artifact) { a.GBM.Ensemble.Weight = 0 }, "gbm.ensemble.weight"},
		{"a second model beside the first", models.GBM, func(a *models.Artifact) {
			a.Logistic = clone(t, res.Artifacts[models.Logistic]).Logistic
		}, "want exactly one"},
		{"gbm iterations disagree", models.GBM, func(a *models.Artifact) { a.GBM.BestIteration++ }, "gbm.best_iteration"},
		{"gbm validation loss negative", models.GBM, func(a *models.Artifact) { a.GBM.ValidLoss[3] = -1 }, "gbm.valid_loss[3]"},
		{"forest leaf huge", models.Forest, func(a *models.Artifact) { *firstLeaf(a) = -1e308 }, "trees.trees[0].nodes["},
		{"tree weight huge", models.Tree, func(a *models.Artifact) { a.Trees.Weight = 1e300 }, "trees.weight"},
		{"tree child loops back", models.Tree, func(a *models.Artifact) { a.Trees.Trees[0].Nodes[0].Right = 0 }, "trees: tree: tree 0: node 0"},
		{"tree feature out of range", models.Tree, func(a *models.Artifact) { a.Trees.Trees[0].Nodes[0].Feature = 1000 }, "trees: tree: tree 0: node 0"},
		{"logistic coefficient huge", models.Logistic, func(a *models.Artifact) { a.Logistic.Coef[2] = 1e308 }, "logistic.coef[2]"},
		{"logistic coefficient huge, slope tiny", models.Logistic, func(a *models.Artifact) {
			a.Logistic.Coef[2], a.Calibration.A = 1e300, 1e-300
		}, "logistic.coef[2]"},
		{"logistic intercept huge", models.Logistic, func(a *models.Artifact) { a.Logistic.Intercept = 1e300 }, "logistic.intercept"},
		{"logistic mean huge", models.Logistic, func(a *models.Artifact) { a.Logistic.Mean[0] = 1e300 }, "logistic.mean[0]"},
		{"logistic sd tiny", models.Logistic, func(a *models.Artifact) { a.Logistic.Scale[1] = 1e-300 }, "logistic.scale[1]"},
		{"metrics AUC above 1", models.GBM, func(a *models.Artifact) { a.Metrics.ROCAUC = 7 }, "valid_metrics.roc_auc"},
		{"metrics log-loss negative", models.Logistic, func(a *models.Artifact) { a.Metrics.LogLoss = -1 }, "valid_metrics.log_loss"},
		{"drift edge huge", models.GBM, func(a *models.Artifact) { a.Drift.Features[0].Edges[0] = 1e300 }, "drift.features[0].edges[0]"},
		{"drift edges out of order", models.Logistic, func(a *models.Artifact) {
			e := a.Drift.Features[0].Edges
			e[0], e[1] = e[1], e[0]
		}, "drift.features[0].edges[1]"},
		{"drift share negative", models.GBM, func(a *models.Artifact) { a.Drift.Score.Shares[0] = -0.5 }, "drift.score.shares[0]"},
		{"drift shares do not add up", models.GBM, func(a *models.Artifact) { a.Drift.Score.Missing = 0.5 }, "drift.score: shares and missing add up"},
		{"drift score edge above 1", models.Tree, func(a *models.Artifact) { a.Drift.Score.Edges = []float64{2}; a.Drift.Score.Shares = []float64{1, 0} }, "drift.score.edges[0]"},
		{"drift feature renamed", models.Logistic, func(a *models.Artifact) { a.Drift.Features[1].Name = "x" }, "drift.features[1].name"},
		{"drift features missing", models.Logistic, func(a *models.Artifact) { a.Drift.Features = a.Drift.Features[:1] }, "drift.features"},
		{"kind unknown", models.GBM, func(a *models.Artifact) { a.Kind = "svm" }, `model.json: kind "svm" has no svm model in it`},
		{"kind without its model", models.Tree, func(a *models.Artifact) { a.Kind = models.GBM }, `model.json: kind "gbm" has no gbm model in it`},
		{"kind of the model's field, not its own", models.GBM, func(a *models.Artifact) { a.Kind = models.Logistic }, `model.json: kind "logistic" has no logistic model in it`},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := clone(t, res.Artifacts[c.kind])
			c.corrupt(a)
			dir := t.TempDir()
			if err := models.Save(dir, a, res.Report); err != nil {
				t.Fatal(err)
			}
			_, err := models.Load(dir)
			if err == nil {
				t.Fatalf("model.json with %s accepted", c.name)
			}
			if msg := err.Error(); !strings.Contains(msg, c.field) || !strings.Contains(msg, filepath.Join(dir, models.ModelFile)) {
				t.Errorf("error %q: want the file and the field %q named", msg, c.field)
			}
		})
	}
}

// TestLoadRejectsEditedContent edits a saved model.json without updating
// its version: Load must refuse it, since the version names content that
// is no longer there.
func TestLoadRejectsEditedContent(t *testing.T) {
	_, res := trainAll(t)
	dir := t.TempDir()
	if err := models.Save(dir, res.Artifacts[models.Logistic], res.Report); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, models.ModelFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, from, to string }{
		{"health rule reworded", `"rule": "red:`, `"rule": "Red:`},
		{"kind prefix of the version", `"version": "logistic-`, `"version": "gbm-`},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := strings.Replace(string(good), c.from, c.to, 1)
			if bad == string(good) {
				t.Fatalf("%q not in model.json", c.from)
			}
			if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := models.Load(dir)
			if err == nil || !strings.Contains(err.Error(), "version") || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want a version mismatch naming %s", err, path)
			}
		})
	}
}

// TestLoadAcceptsHeavilyPenalizedModel trains a logistic model whose L2
// penalty shrinks its coefficients a millionfold: Platt scaling then
// has a slope near 1e6 and an intercept near 1e6 that cancel out, and
// the model is as sane as any once calibrated. Load must not refuse it.
func TestLoadAcceptsHeavilyPenalizedModel(t *testing.T) {
	tab := table(t)
	sp, err := tab.Split(testSplit)
	if err != nil {
		t.Fatal(err)
	}
	var p models.Params
	p.Logistic.L2 = 1e9
	res, err := models.Train(context.Background(), sp, tab.Spec, models.TrainOptions{Kinds: []string{models.Logistic}, Params: p})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Chosen
	if a.Calibration.A < 1e4 {
		t.Fatalf("calibration %+v: the penalty did not shrink the model", a.Calibration)
	}
	dir := t.TempDir()
	if err := models.Save(dir, a, res.Report); err != nil {
		t.Fatal(err)
	}
	if _, err := models.Load(dir); err != nil {
		t.Fatalf("a model churn train saved is refused: %v", err)
	}
}

// TestTrainRefusesWhatLoadWould trains on a column whose values vary by
// less than the smallest standard deviation a model file may hold:
// churn train must say so, naming the column, rather than save a model
// that every loader then refuses.
func TestTrainRefusesWhatLoadWould(t *testing.T) {
	tab := table(t)
	sp, err := tab.Split(testSplit)
	if err != nil {
		t.Fatal(err)
	}
	j := sp.Train.Column("seats")
	if j < 0 {
		t.Fatalf("no seats column in %v", sp.Train.Features)
	}
	tiny := *sp
	for _, ds := range []**features.Dataset{&tiny.Train, &tiny.Valid} {
		c := **ds
		c.X = slices.Clone(c.X)
		for i := j; i < len(c.X); i += len(c.Features) {
			c.X[i] *= 1e-20
		}
		*ds = &c
	}
	_, err = models.Train(context.Background(), &tiny, tab.Spec, models.TrainOptions{Kinds: []string{models.Logistic}})
	if err == nil || !strings.Contains(err.Error(), "logistic.scale[") || !strings.Contains(err.Error(), "seats") {
		t.Fatalf("err = %v, want the seats column's standard deviation named", err)
	}
}

// TestFitRefusesUnknownKind checks the error for a kind no learner fits:
// the kind named, with the kinds there are.
func TestFitRefusesUnknownKind(t *testing.T) {
	_, err := models.Fit(context.Background(), "svm", nil, nil, models.Params{}, nil)
	const want = `unknown model kind "svm": want one of [logistic tree forest gbm hybrid]`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
