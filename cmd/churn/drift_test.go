package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestScoreWarnsOfDrift injects drift into the scored snapshots (every
// login count tripled) and expects churn score to name the login features
// in its warning, which it does not name for the snapshots it was trained
// on; --drift-warn 0 turns the check off, and a model saved before churn
// recorded the training distribution is scored with a note. churn report
// shows the same drift in a section of its own.
func TestScoreWarnsOfDrift(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "60", "--seed", "5", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "8", "--model", "logistic", "--out", model, "--no-plots")

	shifted := filepath.Join(dir, "shifted.csv")
	f, err := os.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for j, h := range rows[0] {
		if h == "logins" {
			col = j
		}
	}
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[col])
		if err != nil {
			t.Fatal(err)
		}
		r[col] = strconv.Itoa(3 * n)
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shifted, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	old := filepath.Join(dir, "old")
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	fixture, err := os.ReadFile(filepath.Join("..", "..", "testdata", "models", "before-lifetime.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, "model.json"), fixture, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name      string
		args      []string
		want, not string
	}{
		{"unshifted", []string{"--snapshots", snap, "--model", model}, "", "logins_4w_mean (PSI"},
		{"logins tripled", []string{"--snapshots", shifted, "--model", model}, "logins_4w_mean (PSI", ""},
		{"check off", []string{"--snapshots", shifted, "--model", model, "--drift-warn", "0", "--drift-missing", "0"}, "", "drift"},
		{"old model", []string{"--snapshots", snap, "--model", old}, "has no training distribution", "warning: week"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := churn(t, append([]string{"score", "--top", "3", "--format", "csv"}, c.args...)...)
			if code != 0 || strings.Count(out, "\n") != 4 {
				t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errs)
			}
			if c.want != "" && !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q: want %q", errs, c.want)
			}
			if c.not != "" && strings.Contains(errs, c.not) {
				t.Errorf("stderr %q: want no %q", errs, c.not)
			}
		})
	}

	// churn report's drift section: the tripled logins are a major shift.
	out := mustChurn(t, "report", "--snapshots", shifted, "--model", model, "--out", filepath.Join(dir, "report"))
	var rep struct {
		Drift struct {
			Variables []struct {
				Name string  `json:"name"`
				PSI  float64 `json:"psi"`
			} `json:"variables"`
		} `json:"drift"`
	}
	readJSON(t, filepath.Join(dir, "report", "report.json"), &rep)
	found := false
	for _, v := range rep.Drift.Variables {
		if v.Name == "logins_4w_mean" {
			found = v.PSI > 0.25
		}
	}
	if !found || !strings.Contains(out, "drift week") {
		t.Errorf("report: drift %+v, stdout:\n%s", rep.Drift, out)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report", "report.html"))
	if err != nil || !strings.Contains(string(html), `<section id="drift">`) {
		t.Errorf("report.html without a drift section (%v)", err)
	}
	out = mustChurn(t, "report", "--snapshots", snap, "--model", old, "--out", filepath.Join(dir, "report-old"))
	if !strings.Contains(out, "No drift section: the model has no training distribution") {
		t.Errorf("report with an old model: no note of the missing drift section:\n%s", out)
	}

	if code, _, errs := churn(t, "score", "--snapshots", snap, "--model", model, "--drift-warn", "-1"); code != 2 || !strings.Contains(errs, "--drift-warn -1") {
		t.Errorf("--drift-warn -1: exit %d, %s", code, errs)
	}
}
