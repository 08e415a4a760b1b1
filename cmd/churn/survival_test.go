package main

import (
	"encoding/csv"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTrainSurvival checks churn train --survival end to end: metrics.json
// has the survival block (the curve's time-dependent AUC at 4, the
// horizon, 12 and 26 weeks beside the fixed-horizon model's), model.json
// the hazard, and churn score sorts by the chance of leaving before
// renewal, which a model without survival curves refuses.
func TestTrainSurvival(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "s.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "60", "--seed", "3", "--out", snap)
	args := []string{"train", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--model", "gbm", "--trees", "30", "--no-plots"}
	model := filepath.Join(dir, "m")
	out := mustChurn(t, append(args, "--out", model, "--survival")...)
	if !strings.Contains(out, "survival (validated on") || !strings.Contains(out, "served: gbm hazard refitted") {
		t.Errorf("churn train --survival does not report it:\n%s", out)
	}
	var metrics struct {
		Survival *struct {
			Horizon int    `json:"horizon_weeks"`
			Chosen  string `json:"chosen"`
			Models  []struct {
				Kind string `json:"kind"`
				AUC  []struct {
					Weeks int     `json:"weeks"`
					AUC   float64 `json:"auc"`
				} `json:"time_auc"`
				Direct struct {
					Weeks int     `json:"weeks"`
					AUC   float64 `json:"auc"`
				} `json:"direct_auc"`
				IntegratedBrier float64 `json:"integrated_brier"`
			} `json:"models"`
		} `json:"survival"`
	}
	readJSON(t, filepath.Join(model, "metrics.json"), &metrics)
	s := metrics.Survival
	if s == nil || s.Horizon != 8 || s.Chosen != "gbm" || len(s.Models) != 1 {
		t.Fatalf("metrics.json survival %+v", s)
	}
	var weeks []int
	for _, a := range s.Models[0].AUC {
		weeks = append(weeks, a.Weeks)
		if !(a.AUC > 0.5 && a.AUC <= 1) {
			t.Errorf("AUC at %d weeks %v", a.Weeks, a.AUC)
		}
	}
	if !slices.Equal(weeks, []int{4, 8, 12, 26}) || s.Models[0].Direct.Weeks != 8 || !(s.Models[0].IntegratedBrier > 0) {
		t.Errorf("survival %+v", s.Models[0])
	}
	var a struct {
		Hazard *struct {
			Kind     string   `json:"kind"`
			Weeks    int      `json:"weeks"`
			Features []string `json:"features"`
		} `json:"hazard"`
	}
	readJSON(t, filepath.Join(model, "model.json"), &a)
	if a.Hazard == nil || a.Hazard.Kind != "gbm" || a.Hazard.Weeks != 26 {
		t.Fatalf("model.json hazard %+v", a.Hazard)
	}
	// The hazard reads the contract's term, for a monthly account's later
	// renewals.
	if !slices.Contains(a.Hazard.Features, "renewal_term_weeks") {
		t.Errorf("hazard features %v: no renewal_term_weeks", a.Hazard.Features)
	}

	csvOut := mustChurn(t, "score", "--model", model, "--snapshots", snap, "--sort", "before_renewal", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "before_renewal")
	if col < 0 || len(rows) < 50 {
		t.Fatalf("header %v, %d rows", rows[0], len(rows))
	}
	prev := 2.0
	for _, r := range rows[1:] {
		v := -1.0
		if r[col] != "" {
			if v, err = strconv.ParseFloat(r[col], 64); err != nil {
				t.Fatal(err)
			}
		}
		if v > prev {
			t.Fatalf("%s before renewal %v after %v", r[0], v, prev)
		}
		prev = v
	}

	plain := filepath.Join(dir, "plain")
	mustChurn(t, append(args, "--out", plain)...)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"score", "--model", plain, "--snapshots", snap, "--sort", "before_renewal"}, "train it with churn train --survival"},
		{append(slices.Clone(args), "--out", filepath.Join(dir, "x"), "--survival", "--horizon", "30"), "--horizon 26 or less"},
		{[]string{"train", "--table", snap, "--label", "churned", "--survival", "--out", filepath.Join(dir, "t")}, "--survival needs --snapshots"},
	} {
		code, _, stderr := churn(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d\n%s", c.args, code, stderr)
		}
	}
}
