package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle/monitor"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
)

// TestModelsShadow runs the shadow through the CLI: train --challenge
// --shadow shadows a model it does not promote, "churn models" lists,
// clears and sets the shadow with the audit recording each change,
// "churn serve --registry" records the shadow's scores beside the
// champion's, and the errors a user meets on the way are named.
func TestModelsShadow(t *testing.T) {
	t.Setenv("CHURN_USER", "ci-bot")
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "40", "--seed", "5", "--out", snap)
	reg := filepath.Join(dir, "registry")
	train := func(kind string, extra ...string) string {
		t.Helper()
		return mustChurn(t, append([]string{"train", "--snapshots", snap, "--horizon", "6", "--valid-weeks", "4",
			"--model", kind, "--no-plots", "--registry", reg, "--challenge"}, extra...)...)
	}
	version := regexp.MustCompile(`registered ((logistic|tree)-[0-9a-f]+) in `)
	champion := version.FindStringSubmatch(train("logistic"))[1]
	// At a level no difference reaches, the tree is never promoted.
	out := train("tree", "--shadow", "--challenge-level", "1e-300")
	m := version.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "not promoted: ") || !strings.Contains(out, "shadowing "+m[1]+" beside the champion "+champion) {
		t.Fatalf("train --challenge --shadow:\n%s", out)
	}
	shadow := m[1]
	out = mustChurn(t, "models", "list", "--registry", reg)
	if !regexp.MustCompile(`(?m)^\*\s+`+champion).MatchString(out) || !regexp.MustCompile(`(?m)^s\s+`+shadow).MatchString(out) {
		t.Errorf("list: want %s marked champion and %s shadow:\n%s", champion, shadow, out)
	}
	out = mustChurn(t, "models", "show", shadow, "--registry", reg)
	if !strings.Contains(out, "(shadow, scored beside the champion)") {
		t.Errorf("show the shadow:\n%s", out)
	}
	out = mustChurn(t, "models", "shadow", "--clear", "--registry", reg, "--reason", "pause")
	if !strings.Contains(out, "no longer shadowing "+shadow) {
		t.Errorf("shadow --clear:\n%s", out)
	}
	mustChurn(t, "models", "shadow", shadow[:len(shadow)-3], "--registry", reg, "--reason", "compare live")

	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no reason", []string{"models", "shadow", shadow, "--registry", reg}, 2, "why the shadow changed"},
		{"no version", []string{"models", "shadow", "--registry", reg, "--reason", "x"}, 2, "or give --clear"},
		{"both", []string{"models", "shadow", shadow, "--clear", "--registry", reg, "--reason", "x"}, 2, "not both"},
		{"clear elsewhere", []string{"models", "list", "--clear", "--registry", reg}, 2, "--clear is for shadow"},
		{"the champion", []string{"models", "shadow", champion, "--registry", reg, "--reason", "x"}, 1, "is the champion"},
		{"again", []string{"models", "shadow", shadow, "--registry", reg, "--reason", "x"}, 1, "the shadow already"},
		{"shadow without challenge", []string{"train", "--snapshots", snap, "--registry", reg, "--shadow"}, 2, "are for --challenge"},
		{"serve a registry with --shadow", []string{"serve", "--registry", reg, "--shadow", reg, "--snapshots", snap}, 2, "--shadow is for --model"},
		{"negative recording period", []string{"serve", "--model", reg, "--record-every", "-1h", "--snapshots", snap}, 2, "--record-every -1h0m0s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := churn(t, c.args...)
			if code != c.code || !strings.Contains(stdout+stderr, c.want) {
				t.Errorf("exit %d, want %d saying %q:\n%s%s", code, c.code, c.want, stdout, stderr)
			}
		})
	}
	out = mustChurn(t, "models", "audit", "--registry", reg)
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line)
		actions = append(actions, f[4]+" "+f[5])
	}
	want := []string{"register " + champion, "promote " + champion, "register " + shadow,
		"shadow " + shadow, "unshadow " + shadow, "shadow " + shadow}
	if strings.Join(actions, ", ") != strings.Join(want, ", ") {
		t.Errorf("audit: %v, want %v\n%s", actions, want, out)
	}

	// The server, on snapshots cut a horizon and more before the end,
	// scores the shadow beside the champion and records both.
	cut := filepath.Join(dir, "cut.csv")
	cutAt(t, snap, cut, "2023-08-14") // 7 weeks before the last, 2023-10-02
	srv := startServe(t, "--registry", reg, "--snapshots", cut, "--drain", "0s", "--access-log", "off")
	errb := srv.stderr
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(errb.String(), "shadow scores recorded"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no shadow scores recorded:\n%s", errb.String())
		}
	}
	if code := srv.stop(); code != 0 {
		t.Errorf("serve exited %d:\n%s", code, errb.String())
	}
	store, err := sqlstore.Open(t.Context(), filepath.Join(reg, "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	weeks, err := store.ScoredWeeks(t.Context())
	if err != nil || len(weeks) == 0 {
		t.Fatalf("scored weeks %v, %v", weeks, err)
	}
	recs, err := store.Scores(t.Context(), weeks[len(weeks)-1])
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range recs {
		if r.Shadow != (r.ModelVersion == shadow) {
			t.Fatalf("score by %s marked shadow %v", r.ModelVersion, r.Shadow)
		}
		n[r.ModelVersion]++
	}
	if len(n) != 2 || n[champion] == 0 || n[champion] != n[shadow] {
		t.Errorf("week %s holds %v scores by version, want as many by %s as by %s", weeks[len(weeks)-1], n, champion, shadow)
	}

	// Against the whole file, the week has matured: churn monitor
	// compares the shadow with the champion on it.
	code, stdout, stderr := churn(t, "monitor", "--registry", reg, "--snapshots", snap, "--format", "json")
	if code != 0 {
		t.Fatalf("monitor: exit %d\n%s", code, stderr)
	}
	var doc struct {
		Shadows []struct {
			Champion, Challenger string
			Rows                 int
			ChampionAUC          *float64 `json:"champion_roc_auc"`
			ChallengerAUC        *float64 `json:"challenger_roc_auc"`
			Verdict              string
		} `json:"shadow_comparisons"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(doc.Shadows) != 1 {
		t.Fatalf("shadow comparisons %+v, want one\n%s", doc.Shadows, stdout)
	}
	c := doc.Shadows[0]
	if c.Champion != champion || c.Challenger != shadow || c.Rows < n[champion]/2 || c.ChampionAUC == nil || c.ChallengerAUC == nil ||
		!(*c.ChampionAUC > 0.5 && *c.ChallengerAUC > 0.5) || c.Verdict == "" {
		t.Errorf("comparison %+v: want %s against %s on the %d scores of the week, both AUCs above chance", c, champion, shadow, n[champion])
	}
	out = mustChurn(t, "monitor", "--registry", reg, "--snapshots", snap)
	if !regexp.MustCompile(`(?m)^` + champion + `\s+` + shadow + `\s+\d+\s+\d+`).MatchString(out) {
		t.Errorf("monitor's table lacks the comparison:\n%s", out)
	}
	t.Logf("champion %s AUC %.3f, shadow %s AUC %.3f on %d account-weeks: %s", champion, *c.ChampionAUC, shadow, *c.ChallengerAUC, c.Rows, c.Verdict)
}

// TestMonitorTableShadows: the table prints each shadow comparison with
// its figures, and a dash where there are too few outcomes to test.
func TestMonitorTableShadows(t *testing.T) {
	nan := math.NaN()
	rep := &monitor.Report{Horizon: 6, Confidence: 0.95, Matured: []features.Date{features.Date(20000)},
		Groups: []monitor.Performance{{ModelVersion: "logistic-1", AUC: monitor.Interval{Estimate: 0.8, Lower: 0.75, Upper: 0.85}}},
		Shadows: []monitor.Comparison{
			{Champion: "logistic-1", Challenger: "gbm-2", Weeks: 3, Rows: 900, Positives: 120, ChampionAUC: 0.8, ChallengerAUC: 0.86,
				Difference: monitor.Interval{Estimate: 0.06, Lower: 0.02, Upper: 0.1}, P: 0.0031, Verdict: monitor.ChallengerBetter},
			{Champion: "logistic-1", Challenger: "tree-3", Weeks: 1, Rows: 3, Positives: 0, ChampionAUC: nan, ChallengerAUC: nan,
				Difference: monitor.Interval{Estimate: nan, Lower: nan, Upper: nan}, P: nan, Verdict: monitor.TooFew},
		}}
	var b strings.Builder
	if err := writeMonitorTable(&b, rep, "churn.db"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Shadows against the model shown, on the account-weeks both scored \(DeLong's paired test, 95% interval\)`),
		regexp.MustCompile(`(?m)^logistic-1\s+gbm-2\s+3\s+900\s+120\s+0\.800\s+0\.860\s+\+0\.060 \[\+0\.020, \+0\.100\]\s+0\.0031\s+challenger better$`),
		regexp.MustCompile(`(?m)^logistic-1\s+tree-3\s+1\s+3\s+0\s+-\s+-\s+-\s+-\s+not enough outcomes$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("table lacks %s:\n%s", want, out)
		}
	}
}
