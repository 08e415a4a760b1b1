package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTrainCapsRows checks --max-train-rows through the command: past the
// cap the models train on a sample of about the cap's rows, the output
// and metrics.json say so, and the refit served is of the sample too.
func TestTrainCapsRows(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "60", "--seed", "3", "--out", snap)
	model := filepath.Join(dir, "model")
	out := mustChurn(t, "train", "--snapshots", snap, "--horizon", "8", "--model", "logistic", "--out", model, "--no-plots")
	whole := trainedRows(t, out)
	if strings.Contains(out, "sampled:") {
		t.Fatalf("sampled under the default cap:\n%s", out)
	}

	cap := whole / 3
	out = mustChurn(t, "train", "--snapshots", snap, "--horizon", "8", "--model", "logistic", "--out", model, "--no-plots",
		"--max-train-rows", strconv.Itoa(cap))
	got := trainedRows(t, out)
	if got < cap*8/10 || got > cap*12/10 {
		t.Errorf("trained on %d rows with a cap of %d (of %d)", got, cap, whole)
	}
	if want := "(" + strconv.Itoa(whole) + " training rows before it; --max-train-rows " + strconv.Itoa(cap) + ")"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	b, err := os.ReadFile(filepath.Join(model, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Train  struct{ Rows int }
		Sample struct {
			Share        float64
			MaxTrainRows int `json:"max_train_rows"`
			TrainRows    int `json:"train_rows_before"`
		}
		Refit struct{ Rows int }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Train.Rows != got || m.Sample.MaxTrainRows != cap || m.Sample.TrainRows != whole || m.Sample.Share <= 0.3 || m.Sample.Share >= 0.36 {
		t.Errorf("metrics.json: train %d rows, sample %+v; want %d rows, cap %d of %d", m.Train.Rows, m.Sample, got, cap, whole)
	}
	// The refit takes every matured week of the sample: more rows than
	// the sampled training side, far fewer than the whole training side.
	if m.Refit.Rows <= got || m.Refit.Rows >= whole {
		t.Errorf("refitted on %d rows: want between the %d sampled and the %d in all", m.Refit.Rows, got, whole)
	}
}

// trainedRows reads "trained on N rows" from churn train's output.
func trainedRows(t *testing.T, out string) int {
	t.Helper()
	m := regexp.MustCompile(`trained on (\d+) rows`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no row count in:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
