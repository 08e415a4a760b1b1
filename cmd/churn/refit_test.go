package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// noRefitGolden is the SHA-256 of model.json that churn train wrote, before
// the refit existed, for the run of TestTrainRefit (gbm, 30 trees, seed 3
// book): --no-refit must keep writing it byte for byte. A deliberate change
// to features, the GBM or model.json changes it too; update it then, saying
// why in the commit. Last updated when renewal-term became a default
// group: the book has renewal dates, so the model has one more column,
// renewal_term_weeks. The snapshot GBM defaults
// (models.SnapshotParams) stay in force under the test's --trees 30.
const noRefitGolden = "af398b9bedb17f55a7aeb6d3f55319d1a753f24e7cb36dd13a11266315814af9"

// TestTrainRefit checks churn train's refit end to end: the model served
// is fitted up to the last matured week and differs from the first fit,
// kept in first-fit/ and byte for byte what --no-refit writes, as before
// the refit existed; metrics.json records both fits.
func TestTrainRefit(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "s.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "60", "--seed", "3", "--out", snap)
	args := []string{"train", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--model", "gbm", "--trees", "30", "--no-plots"}
	refit, plain := filepath.Join(dir, "refit"), filepath.Join(dir, "plain")
	out := mustChurn(t, append(args, "--out", refit)...)
	mustChurn(t, append(args, "--out", plain, "--no-refit")...)

	b, err := os.ReadFile(filepath.Join(plain, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != noRefitGolden {
		t.Errorf("--no-refit model.json hashes to %x, want %s (the model of before the refit)", sum, noRefitGolden)
	}
	first, err := os.ReadFile(filepath.Join(refit, "first-fit", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, b) {
		t.Error("first-fit/model.json differs from the --no-refit model")
	}
	if _, err := os.Stat(filepath.Join(plain, "first-fit")); err == nil {
		t.Error("--no-refit wrote a first fit")
	}

	type period struct {
		First string `json:"first_week"`
		Last  string `json:"last_week"`
		Rows  int    `json:"rows"`
	}
	var model struct {
		Train period `json:"train"`
		Valid period `json:"valid"`
		Refit *struct {
			Train    period `json:"train"`
			FirstFit struct {
				Train period `json:"train"`
			} `json:"first_fit"`
		} `json:"refit"`
		Metrics struct {
			ROCAUC float64 `json:"roc_auc"`
		} `json:"valid_metrics"`
	}
	readJSON(t, filepath.Join(refit, "model.json"), &model)
	var metrics struct {
		Train  period `json:"train"`
		Models []struct {
			ValidAUC float64 `json:"valid_auc"`
		} `json:"models"`
		Refit *struct {
			Train      period `json:"train"`
			Weeks      int    `json:"weeks"`
			Rows       int    `json:"rows"`
			Trees      int    `json:"trees"`
			Validation string `json:"validation"`
			FirstFit   struct {
				Train period `json:"train"`
			} `json:"first_fit"`
		} `json:"refit"`
	}
	readJSON(t, filepath.Join(refit, "metrics.json"), &metrics)
	// 60 weeks from 2023-01-02: the last is 2024-02-19, the last matured
	// with an 8-week horizon 2023-12-25, where validation ends.
	const matured = "2023-12-25"
	if model.Train.Last != matured || model.Valid.Last != matured || model.Refit == nil || model.Refit.Train != model.Train {
		t.Errorf("model.json trained on %+v, validated on %+v, refit %+v: want training up to %s", model.Train, model.Valid, model.Refit, matured)
	}
	r := metrics.Refit
	if r == nil || r.Train != model.Train || r.Rows != model.Train.Rows || r.Weeks != 52 || r.Trees != 30 ||
		r.FirstFit.Train != metrics.Train || model.Refit.FirstFit.Train != metrics.Train || !strings.Contains(r.Validation, "first fit") {
		t.Errorf("metrics.json refit %+v, first fit trained on %+v", r, metrics.Train)
	}
	if metrics.Train.Last >= model.Valid.First || metrics.Train.Rows >= model.Train.Rows {
		t.Errorf("first fit %+v, refit %+v: want the first fit ending before validation and on fewer rows", metrics.Train, model.Train)
	}
	if len(metrics.Models) != 1 || metrics.Models[0].ValidAUC != model.Metrics.ROCAUC {
		t.Errorf("validation ROC AUC %v in model.json, %+v in metrics.json: want the first fit's in both", model.Metrics.ROCAUC, metrics.Models)
	}
	if !strings.Contains(out, "served: gbm refitted on every matured week") || !strings.Contains(out, "are of the first fit's scores") {
		t.Errorf("churn train does not say what it serves:\n%s", out)
	}

	code, _, stderr := churn(t, "train", "--table", snap, "--label", "churned", "--no-refit", "--out", filepath.Join(dir, "t"))
	if code != 2 || !strings.Contains(stderr, "--no-refit is for snapshots") {
		t.Errorf("--no-refit with --table: exit %d\n%s", code, stderr)
	}
}

// TestChallengeFirstFits checks that --challenge compares refitted models
// by their first fits, validated out of time: the refits saw the latest
// weeks, which the challenge is on. Each AUC in the verdict is the first
// fit's validation ROC AUC from metrics.json, not the refit's in-sample one.
func TestChallengeFirstFits(t *testing.T) {
	t.Setenv("CHURN_USER", "ci-bot")
	dir := t.TempDir()
	snap := filepath.Join(dir, "s.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "60", "--seed", "9", "--out", snap)
	reg := filepath.Join(dir, "registry")
	train := func(kind, out string) string {
		return mustChurn(t, "train", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--model", kind,
			"--trees", "40", "--no-plots", "--registry", reg, "--challenge", "--out", out)
	}
	train("logistic", filepath.Join(dir, "champion"))
	out := train("gbm", filepath.Join(dir, "challenger"))
	auc := func(model string) float64 {
		var m struct {
			Models []struct {
				ValidAUC float64 `json:"valid_auc"`
			} `json:"models"`
		}
		readJSON(t, filepath.Join(dir, model, "metrics.json"), &m)
		return m.Models[0].ValidAUC
	}
	if !strings.Contains(out, "challenge between the validated fits: the first fit of gbm-") || !strings.Contains(out, "and the first fit of logistic-") {
		t.Errorf("the challenge does not say it compares first fits:\n%s", out)
	}
	want := regexp.QuoteMeta(fmt.Sprintf("validation ROC AUC %.4f against the champion's %.4f", auc("challenger"), auc("champion"))) + ` on \d+ rows of weeks 2023-11-20 to 2023-12-25`
	if !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("the challenge's figures are not the first fits' validation ROC AUCs (%s):\n%s", want, out)
	}
	// churn report compares the first fit on the validation weeks; a
	// model folder without one is compared as it is, with a note.
	report := mustChurn(t, "report", "--snapshots", snap, "--model", filepath.Join(dir, "challenger"), "--out", filepath.Join(dir, "report"))
	if !strings.Contains(report, "(its first fit, validated out of time)") || !strings.Contains(report, fmt.Sprintf("%.3f", auc("challenger"))) {
		t.Errorf("churn report does not compare the first fit:\n%s", report)
	}
	if err := os.RemoveAll(filepath.Join(dir, "challenger", "first-fit")); err != nil {
		t.Fatal(err)
	}
	report = mustChurn(t, "report", "--snapshots", snap, "--model", filepath.Join(dir, "challenger"), "--out", filepath.Join(dir, "report"))
	if !strings.Contains(report, "No first fit to compare") || !strings.Contains(report, "optimistic") {
		t.Errorf("churn report without the first fit does not say its figure is optimistic:\n%s", report)
	}

	out = mustChurn(t, "models", "show", "--registry", reg)
	if !regexp.MustCompile(`(?m)^trained on:   2023-01-02 to 2023-12-25, .*\nvalidated on: 2023-11-20 to 2023-12-25, .*\n(.*\n)?first fit:    2023-01-02 to 2023-\d\d-\d\d, \d+ rows: the validation above is of this fit`).MatchString(out) {
		t.Errorf("models show does not tell the refit from its first fit:\n%s", out)
	}

	// A refitted champion without its first fit cannot be challenged
	// fairly: refused, naming the folder, before any fitting.
	versions, err := filepath.Glob(filepath.Join(reg, "versions", "*", "first-fit"))
	if err != nil || len(versions) != 2 {
		t.Fatalf("first fits in the registry: %v %v", versions, err)
	}
	for _, v := range versions {
		if err := os.RemoveAll(v); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := churn(t, "train", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--model", "tree",
		"--no-plots", "--registry", reg, "--challenge")
	if code != 1 || !strings.Contains(stderr, "first-fit") || !strings.Contains(stderr, filepath.Join(reg, "versions")) || strings.Contains(stdout, "registered") {
		t.Errorf("challenging a refitted champion without its first fit: exit %d\n%s%s", code, stdout, stderr)
	}
}
