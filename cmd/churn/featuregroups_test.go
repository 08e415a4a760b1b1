package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// TestTrainFeatureGroups runs "churn train --feature-groups" end to end:
// the drop-group table on stdout and in metrics.json, the model saved
// with the groups kept (fitted, refitted and validated on their columns
// only), and that model scoring the snapshots.
func TestTrainFeatureGroups(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "70", "--seed", "5", "--out", snap)
	for _, mode := range []string{"all", "auto", "baseline,per-seat"} {
		t.Run(mode, func(t *testing.T) {
			model := filepath.Join(dir, "model-"+strings.ReplaceAll(mode, ",", "-"))
			var stdout, stderr syncBuffer
			e := &env{stdout: &stdout, stderr: &stderr, progress: newProgress(&stderr, false, time.Hour)}
			code := run(context.Background(), e, []string{"train", "--snapshots", snap, "--model", "gbm", "--horizon", "8",
				"--valid-weeks", "6", "--trees", "30", "--depth", "3", "--tune-folds", "2", "--feature-groups", mode, "--no-plots", "--out", model})
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "feature groups ("+map[bool]string{true: "list", false: mode}[strings.Contains(mode, ",")]) {
				t.Errorf("stdout lacks the drop-group table:\n%s", stdout.String())
			}
			b, err := os.ReadFile(filepath.Join(model, models.MetricsFile))
			if err != nil {
				t.Fatal(err)
			}
			var rep models.Report
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			fg := rep.FeatureGroups
			if fg == nil || len(fg.Folds) != 2 || fg.Kind != models.GBM || fg.Groups[0].Group != features.BaseGroup {
				t.Fatalf("metrics.json feature_groups: %+v", fg)
			}
			// The folds are inside the training weeks, never validation.
			for _, f := range fg.Folds {
				if f.Valid.Last > rep.Train.Last {
					t.Errorf("a fold validates on %s, after the last training week %s", f.Valid.Last, rep.Train.Last)
				}
			}
			var measured []string
			for _, g := range fg.Groups[1:] {
				measured = append(measured, g.Group)
				if len(g.Columns) == 0 || g.With != fg.AUC || g.Without == 0 {
					t.Errorf("group %+v", g)
				}
				if mode != "auto" && !g.Kept {
					t.Errorf("--feature-groups %s left out %s", mode, g.Group)
				}
				if g.Helps && !g.Kept || g.Helps != (g.Difference > g.Noise) {
					t.Errorf("group %s: helps %v, kept %v, difference %v, noise %v", g.Group, g.Helps, g.Kept, g.Difference, g.Noise)
				}
			}
			switch mode {
			case "all":
				// 70 weeks give no year of history before the last
				// training week; the simulated seats column gives the rest.
				want := []string{"lifetime", "since", "baseline", "shape", "renewal-term", "extras-windows", "per-seat", "vs-lifetime"}
				if !slices.Equal(measured, want) {
					t.Errorf("measured %v, want %v", measured, want)
				}
			case "baseline,per-seat":
				if !slices.Equal(measured, []string{"baseline", "per-seat"}) {
					t.Errorf("measured %v", measured)
				}
			}
			a, err := models.Load(model)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Spec.FeatureGroupsOn(); !slices.Equal(got, fg.Kept) {
				t.Errorf("the model's groups %v, metrics.json kept %v", got, fg.Kept)
			}
			if !slices.Equal(a.Features, a.Spec.Names()) || a.Refit == nil {
				t.Errorf("model features %v for spec %v (refit %v)", a.Features, a.Spec.Names(), a.Refit != nil)
			}
			mustChurn(t, "score", "--model", model, "--snapshots", snap, "--out", filepath.Join(dir, "scores-"+filepath.Base(model)+".csv"))
		})
	}
}

// TestFeaturesFeatureGroups exports the optional feature groups with
// churn features: every group, or a list, in summary.json and in the
// files' columns; a model trained on that directory keeps them and
// scores the snapshots with them; auto and unknown groups are refused.
func TestFeaturesFeatureGroups(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "70", "--seed", "5", "--out", snap)
	columns := func(feat string) []string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(feat, summaryFile))
		if err != nil {
			t.Fatal(err)
		}
		var s featureSummary
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		// account_id, week, the features, label.
		if header := readCSVHeader(t, filepath.Join(feat, "train.csv")); len(header) != len(s.Features)+3 || !slices.Equal(header[2:len(header)-1], s.Features) {
			t.Errorf("train.csv columns %v are not summary.json's features %v", header, s.Features)
		}
		return s.Features
	}
	build := func(name string, args ...string) []string {
		feat := filepath.Join(dir, name)
		mustChurn(t, append([]string{"features", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--format", "csv", "--out", feat}, args...)...)
		return columns(feat)
	}
	def, all, list := build("default"), build("all", "--feature-groups", "all"), build("list", "--feature-groups", "per-seat")
	if len(all) <= len(def) || !slices.Contains(all, "logins_4w_per_seat") || !slices.Contains(all, "weeks_since_sla_breach") {
		t.Errorf("all: %d columns against the default's %d, per-seat ones %v", len(all), len(def), all)
	}
	// By default windows-52 joins the groups only where the data has a
	// year of history before the last training week: 70 weeks leave 48
	// at horizon 8 with 6 validation weeks, 57 at horizon 4 with 4.
	if slices.Contains(def, features.LoginsMean52w) {
		t.Errorf("default on 48 weeks of training history: %v", def)
	}
	year := filepath.Join(dir, "default-year")
	mustChurn(t, "features", "--snapshots", snap, "--horizon", "4", "--valid-weeks", "4", "--format", "csv", "--out", year)
	if cols := columns(year); len(cols) != len(def)+7 || !slices.Contains(cols, features.LoginsMean52w) || !slices.Contains(cols, features.LoginsVs52w) {
		t.Errorf("default on 57 weeks of training history: %d columns against %d on 48, %v", len(cols), len(def), cols)
	}
	if slices.ContainsFunc(list, func(c string) bool { return strings.Contains(c, "lifetime") }) ||
		!slices.ContainsFunc(list, func(c string) bool { return strings.Contains(c, "per_seat") }) {
		t.Errorf("per-seat alone: %v", list)
	}
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--features", filepath.Join(dir, "list"), "--model", "logistic", "--no-plots", "--out", model)
	b, err := os.ReadFile(filepath.Join(model, models.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	var a struct{ Features []string }
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Features, list) {
		t.Errorf("model features %v, want the directory's %v", a.Features, list)
	}
	mustChurn(t, "score", "--snapshots", snap, "--model", model, "--top", "3")
	for _, c := range []struct{ groups, want string }{
		{"auto", "it is for churn train"},
		{"nonsense", "--feature-groups"},
	} {
		code, _, stderr := churn(t, "features", "--snapshots", snap, "--out", filepath.Join(dir, "bad"), "--feature-groups", c.groups)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("--feature-groups %s: exit %d, stderr %q", c.groups, code, stderr)
		}
	}
}
