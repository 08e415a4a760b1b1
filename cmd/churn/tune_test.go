package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/models"
)

// TestTrainTune runs "churn train --tune-trials" end to end: a line per
// trial on stderr, the table of trials in metrics.json, and the chosen
// settings in the model fitted and saved.
func TestTrainTune(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "70", "--seed", "5", "--out", snap)
	model := filepath.Join(dir, "model")
	var stdout, stderr syncBuffer
	e := &env{stdout: &stdout, stderr: &stderr, progress: newProgress(&stderr, false, time.Hour)}
	code := run(context.Background(), e, []string{"train", "--snapshots", snap, "--model", "gbm", "--horizon", "8",
		"--valid-weeks", "6", "--trees", "30", "--depth", "3", "--tune-trials", "3", "--tune-folds", "2", "--no-plots", "--out", model})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	for _, want := range []string{"tuning gbm trial 0/3: backtest AUC", "tuning gbm trial 2/3: backtest AUC"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "tuning: 3 trials, 2 cut-offs inside the training weeks") {
		t.Errorf("stdout lacks the tuning summary:\n%s", stdout.String())
	}
	b, err := os.ReadFile(filepath.Join(model, models.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep models.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	tu := rep.Tuning
	if tu == nil || len(tu.Trials) != 3 || len(tu.Folds) != 2 || tu.Budget.Trials != 3 || tu.Seed != 1 {
		t.Fatalf("metrics.json tuning: %+v", tu)
	}
	if g := tu.Trials[0].Params.GBM; g.Trees != 30 || g.Depth != 3 || tu.DefaultAUC[models.GBM] != tu.Trials[0].MeanAUC {
		t.Errorf("trial 0 is not the flags' settings: %+v, default AUC %v", g, tu.DefaultAUC)
	}
	a, err := models.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	got, want := a.GBM.Params, *tu.Chosen[models.GBM].Params.GBM
	got.Threads, want.Threads = 0, 0
	if got != want {
		t.Errorf("the model was fitted with %+v, not the chosen %+v", got, want)
	}
}
