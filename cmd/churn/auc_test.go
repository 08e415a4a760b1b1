package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/churnlabs/churn/models/metrics"
)

// TestOneAUCEverywhere trains a model and checks that the validation ROC
// AUC churn train prints, the one metrics.json and model.json (which GET
// /v1/model and the dashboard show) store, and the full model's in churn
// report are one figure under one label.
func TestOneAUCEverywhere(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "250", "--weeks", "60", "--seed", "5", "--out", snap)
	model := filepath.Join(dir, "model")
	out := mustChurn(t, "train", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6",
		"--model", "gbm", "--trees", "40", "--out", model, "--no-plots")
	printed := regexp.MustCompile(regexp.QuoteMeta(metrics.ValidationAUC) + ` (\d\.\d{3})`).FindStringSubmatch(out)
	if printed == nil {
		t.Fatalf("churn train does not print the %s:\n%s", metrics.ValidationAUC, out)
	}

	var art struct {
		Version string `json:"version"`
		Metrics struct {
			ROCAUC float64 `json:"roc_auc"`
		} `json:"valid_metrics"`
	}
	readJSON(t, filepath.Join(model, "model.json"), &art)
	var rep struct {
		Models []struct {
			Name     string  `json:"name"`
			ValidAUC float64 `json:"valid_auc"`
		} `json:"models"`
	}
	readJSON(t, filepath.Join(model, "metrics.json"), &rep)
	stored := art.Metrics.ROCAUC
	if got := fmt.Sprintf("%.3f", stored); got != printed[1] {
		t.Errorf("churn train printed %s, model.json holds %v", printed[1], stored)
	}
	if len(rep.Models) != 1 || rep.Models[0].ValidAUC != stored {
		t.Errorf("metrics.json %+v, model.json %v", rep.Models, stored)
	}

	report := filepath.Join(dir, "report")
	text := mustChurn(t, "report", "--snapshots", snap, "--model", model, "--out", report)
	var rj struct {
		Adoption *struct {
			Validation []struct {
				Model  string  `json:"model"`
				ROCAUC float64 `json:"roc_auc"`
			} `json:"validation"`
		} `json:"adoption"`
	}
	readJSON(t, filepath.Join(report, "report.json"), &rj)
	if rj.Adoption == nil {
		t.Fatal("report.json has no adoption section")
	}
	found := false
	for _, m := range rj.Adoption.Validation {
		if strings.Contains(m.Model, art.Version) {
			found = true
			if m.ROCAUC != stored {
				t.Errorf("churn report: the model's %s is %v, model.json says %v", metrics.ValidationAUC, m.ROCAUC, stored)
			}
		}
	}
	if !found {
		t.Errorf("report.json compares no model %s: %+v", art.Version, rj.Adoption.Validation)
	}
	if !strings.Contains(text, metrics.ValidationAUC) || !strings.Contains(text, printed[1]) {
		t.Errorf("churn report output does not show the %s %s:\n%s", metrics.ValidationAUC, printed[1], text)
	}
	if strings.Contains(text, "so its figure here differs") {
		t.Errorf("churn report on the training snapshots says the figure differs:\n%s", text)
	}

	// Other snapshots give other validation rows: the report says why
	// its figure is not the one churn train printed.
	other := filepath.Join(dir, "other.parquet")
	mustChurn(t, "gen", "--accounts", "150", "--weeks", "60", "--seed", "6", "--out", other)
	text = mustChurn(t, "report", "--snapshots", other, "--model", model, "--out", filepath.Join(dir, "report2"))
	if !strings.Contains(text, printed[1]+" in model.json") || !strings.Contains(text, "so its figure here differs") {
		t.Errorf("churn report on other snapshots does not say why the model's figure differs:\n%s", text)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
