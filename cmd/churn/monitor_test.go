package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// monitorDoc is the part of "churn monitor --format json" these tests read.
type monitorDoc struct {
	Horizon     int           `json:"horizon_weeks"`
	AsOf        string        `json:"as_of"`
	Matured     []string      `json:"matured_weeks"`
	Immature    []string      `json:"immature_weeks"`
	Performance []monitorPerf `json:"performance"`
}

// monitorPerf is one model version and segment of monitorDoc.
type monitorPerf struct {
	ModelVersion string `json:"model_version"`
	Segment      string `json:"segment"`
	Weeks        int    `json:"weeks"`
	Horizon      int    `json:"horizon_weeks"`
	Rows         int    `json:"rows"`
	Positives    int    `json:"positives"`
	// MeanPredicted is the mean score given.
	MeanPredicted float64 `json:"mean_predicted"`
	AUC           struct {
		Estimate *float64 `json:"estimate"`
		Lower    *float64 `json:"lower"`
		Upper    *float64 `json:"upper"`
	} `json:"roc_auc"`
	Calibration []json.RawMessage `json:"calibration"`
}

// TestMonitor records the scores of an earlier week (a snapshot file cut
// there) and of the latest week, then checks them against the whole file:
// the earlier week has matured and is evaluated, the latest has not.
func TestMonitor(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "50", "--seed", "4", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "6", "--valid-weeks", "4", "--model", "logistic", "--out", model, "--no-plots")
	cut := filepath.Join(dir, "cut.csv")
	cutAt(t, snap, cut, "2023-10-02") // week 40 of 50
	mustChurn(t, "score", "--snapshots", cut, "--model", model, "--record", "--top", "1")
	mustChurn(t, "score", "--snapshots", snap, "--model", model, "--record", "--top", "1")

	code, out, errs := churn(t, "monitor", "--snapshots", snap, "--model", model, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var doc monitorDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Horizon != 6 {
		t.Errorf("horizon %d, want the model's 6", doc.Horizon)
	}
	if !slices.Contains(doc.Matured, "2023-10-02") || !slices.Contains(doc.Immature, doc.AsOf) {
		t.Errorf("matured %v, immature %v: want 2023-10-02 matured and %s not", doc.Matured, doc.Immature, doc.AsOf)
	}
	if len(doc.Performance) == 0 || doc.Performance[0].Segment != "" || doc.Performance[0].Rows == 0 {
		t.Fatalf("performance %+v: want the model on all segments first", doc.Performance)
	}
	all := doc.Performance[0]
	if all.Positives > 0 && (all.AUC.Estimate == nil || *all.AUC.Lower > *all.AUC.Estimate || *all.AUC.Estimate > *all.AUC.Upper) {
		t.Errorf("ROC AUC %+v: want an estimate inside its interval", all.AUC)
	}
	if len(all.Calibration) == 0 {
		t.Error("no calibration deciles")
	}

	code, out, errs = churn(t, "monitor", "--snapshots", snap, "--model", model)
	if code != 0 || !strings.Contains(out, "ROC AUC") || !strings.Contains(out, "Calibration of ") {
		t.Errorf("table: exit %d\n%s\n%s", code, out, errs)
	}
	// With a horizon longer than the data after the cut, nothing matures.
	code, out, _ = churn(t, "monitor", "--snapshots", snap, "--model", model, "--horizon", "20")
	if code != 0 || !strings.Contains(out, "nothing to compare yet") {
		t.Errorf("--horizon 20: exit %d\n%s", code, out)
	}
}

func TestMonitorUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no snapshots", []string{"--db", "x.db"}, "--snapshots is required"},
		{"no store", []string{"--snapshots", "s.csv"}, "name the score history"},
		{"model and registry", []string{"--snapshots", "s.csv", "--model", "m", "--registry", "r"}, "at most one"},
		{"horizon 0", []string{"--snapshots", "s.csv", "--db", "x.db", "--horizon", "0"}, "--horizon 0"},
		{"bad format", []string{"--snapshots", "s.csv", "--db", "x.db", "--format", "csv"}, `--format "csv"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := churn(t, append([]string{"monitor"}, tt.args...)...)
			if code != 2 || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant 2 and %q", code, errs, tt.want)
			}
		})
	}
}

// cutAt writes to dst the rows of the snapshot CSV src up to week.
func cutAt(t *testing.T, src, dst, week string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	kept := lines[:1]
	for _, l := range lines[1:] {
		if f := strings.Split(l, ","); f[1] <= week {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(dst, []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMonitorRegistry takes the store from --registry and the horizon
// from its champion, with scores recorded by --db into the registry's
// store.
func TestMonitorRegistry(t *testing.T) {
	t.Setenv("CHURN_USER", "ci-bot")
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "50", "--seed", "5", "--out", snap)
	reg := filepath.Join(dir, "registry")
	out := mustChurn(t, "train", "--snapshots", snap, "--horizon", "5", "--valid-weeks", "4", "--model", "logistic",
		"--no-plots", "--registry", reg, "--challenge")
	m := regexp.MustCompile(`registered (logistic-[0-9a-f]+) in `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("train:\n%s", out)
	}
	cut := filepath.Join(dir, "cut.csv")
	cutAt(t, snap, cut, "2023-10-02")
	mustChurn(t, "score", "--snapshots", cut, "--model", filepath.Join(reg, "versions", m[1]), "--record",
		"--db", filepath.Join(reg, "churn.db"), "--top", "1")
	code, out, errs := churn(t, "monitor", "--snapshots", snap, "--registry", reg, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var doc monitorDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errs, "horizon 5 weeks, model "+m[1]+"'s") {
		t.Errorf("stderr does not say where the horizon came from:\n%s", errs)
	}
	if doc.Horizon != 5 || !slices.Contains(doc.Matured, "2023-10-02") || len(doc.Performance) == 0 || doc.Performance[0].ModelVersion != m[1] {
		t.Errorf("horizon %d, matured %v, performance %+v: want the champion's 5 weeks and %s on 2023-10-02", doc.Horizon, doc.Matured, doc.Performance, m[1])
	}
}

// TestMonitorVersionHorizons judges each model version of a registry over
// the horizon it was trained for: a team that lengthens its horizon at a
// retrain must not see its earlier model's scores labelled by the new
// model's horizon, or their realized AUC is not comparable with their
// validation AUC.
func TestMonitorVersionHorizons(t *testing.T) {
	t.Setenv("CHURN_USER", "ci-bot")
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "400", "--weeks", "60", "--seed", "6", "--out", snap)
	reg := filepath.Join(dir, "registry")
	train := func(horizon string, challenge ...string) string {
		return registered(t, mustChurn(t, append([]string{"train", "--snapshots", snap, "--horizon", horizon, "--valid-weeks", "4",
			"--model", "logistic", "--no-plots", "--registry", reg}, challenge...)...))
	}
	short := train("4", "--challenge") // the first model: champion
	long := train("10")
	mustChurn(t, "models", "promote", long, "--registry", reg, "--reason", "a quarter's notice")
	cut := filepath.Join(dir, "cut.csv")
	cutAt(t, snap, cut, "2023-09-04") // week 36 of 60
	for _, v := range []string{short, long} {
		mustChurn(t, "score", "--snapshots", cut, "--model", filepath.Join(reg, "versions", v), "--record",
			"--db", filepath.Join(reg, "churn.db"), "--top", "1")
	}
	monitorJSON := func(args ...string) map[string]monitorPerf {
		t.Helper()
		code, out, errs := churn(t, append([]string{"monitor", "--snapshots", snap, "--registry", reg, "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("monitor %v: exit %d\n%s", args, code, errs)
		}
		var doc monitorDoc
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		groups := make(map[string]monitorPerf)
		for _, p := range doc.Performance {
			if p.Segment == "" {
				groups[p.ModelVersion] = p
			}
		}
		return groups
	}
	got := monitorJSON()
	for _, tt := range []struct {
		version string
		horizon int
	}{{short, 4}, {long, 10}} {
		want := monitorJSON("--horizon", strconv.Itoa(tt.horizon))[tt.version]
		g := got[tt.version]
		if g.Horizon != tt.horizon || g.Rows != want.Rows || g.Positives != want.Positives || *g.AUC.Estimate != *want.AUC.Estimate {
			t.Errorf("%s: horizon %d, %d rows, %d churned, ROC AUC %v; want its own horizon %d: %d rows, %d churned, ROC AUC %v",
				tt.version, g.Horizon, g.Rows, g.Positives, *g.AUC.Estimate, tt.horizon, want.Rows, want.Positives, *want.AUC.Estimate)
		}
	}
}
