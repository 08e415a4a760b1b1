package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/churnlabs/churn/models"
)

// TestTrainGBMFlags checks that the GBM's sampling, leaf and start flags reach
// the model fitted, first fit and refit alike, and that a fit with fewer
// features per tree and heavier leaves is another model.
func TestTrainGBMFlags(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "60", "--seed", "4", "--out", snap)
	params := func(model string) (first, served map[string]any) {
		t.Helper()
		read := func(path string) map[string]any {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var a struct {
				GBM struct{ Params map[string]any }
			}
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
			return a.GBM.Params
		}
		return read(filepath.Join(model, models.FirstFitDir, models.ModelFile)), read(filepath.Join(model, models.ModelFile))
	}
	base, tuned := filepath.Join(dir, "base"), filepath.Join(dir, "tuned")
	args := []string{"train", "--snapshots", snap, "--horizon", "8", "--model", "gbm", "--trees", "20", "--no-plots"}
	mustChurn(t, append(args, "--out", base)...)
	mustChurn(t, append(args, "--out", tuned, "--min-child-weight", "7", "--colsample", "0.6", "--start", "even")...)
	for _, p := range func() []map[string]any { f, s := params(tuned); return []map[string]any{f, s} }() {
		if p["min_child_weight"] != 7.0 || p["colsample"] != 0.6 || p["start"] != "even" {
			t.Errorf("params %v: want min_child_weight 7, colsample 0.6, start even", p)
		}
	}
	if f, _ := params(base); f["min_child_weight"] != 5.0 || f["colsample"] != 0.8 || f["subsample"] != 0.8 || f["depth"] != 3.0 || f["learning_rate"] != 0.03 || f["start"] != nil {
		t.Errorf("default params %v: want the snapshot defaults (models.SnapshotParams)", f)
	}
	a, _ := os.ReadFile(filepath.Join(base, models.ModelFile))
	b, _ := os.ReadFile(filepath.Join(tuned, models.ModelFile))
	if string(a) == string(b) {
		t.Error("the flags changed nothing in the model")
	}
}
