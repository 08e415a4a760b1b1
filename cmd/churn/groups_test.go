package main

import (
	"encoding/csv"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// TestTrainSignalGroups trains with --signal-groups and checks that the
// model's spec keeps the groups, that churn score's CSV has each group's
// columns, and that a bad group or an unknown column is refused by name.
func TestTrainSignalGroups(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "150", "--weeks", "40", "--seed", "3", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "4", "--valid-weeks", "6", "--model", "logistic",
		"--out", model, "--no-plots", "--signal-groups", "recency_days=support,active_users=account")
	a, err := models.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{features.RecencyDays: features.GroupSupport, "active_users": features.GroupAccount,
		"seats": features.GroupAccount, features.LoginsMean4w: features.GroupProduct} {
		if g := a.Spec.SignalGroup(f); g != want {
			t.Errorf("the trained model puts %s in %s, want %s (spec %v)", f, g, want, a.Spec.SignalGroups)
		}
	}

	out := mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := make(map[string]int)
	for k, h := range rows[0] {
		col[h] = k
	}
	for _, g := range features.SignalGroups {
		for _, suffix := range []string{"_log_odds", "_health"} {
			k, ok := col[g+suffix]
			if !ok {
				t.Fatalf("score CSV has no %s%s column: %v", g, suffix, rows[0])
			}
			if rows[1][k] == "" {
				t.Errorf("%s%s is empty for %s", g, suffix, rows[1][0])
			}
		}
	}

	// The Parquet output has the same group columns, unrounded.
	pq := filepath.Join(dir, "ranking.parquet")
	mustChurn(t, "score", "--snapshots", snap, "--model", model, "--out", pq)
	prows := readRankingParquet(t, pq)
	pcol := make(map[string]int)
	for k, h := range prows[0] {
		pcol[h] = k
	}
	for _, g := range features.SignalGroups {
		lk, hk := pcol[g+"_log_odds"], pcol[g+"_health"]
		if lk == 0 || hk == 0 || prows[1][0] != rows[1][0] {
			t.Fatalf("Parquet columns %v, first account %s (CSV %s)", prows[0], prows[1][0], rows[1][0])
		}
		pv, err1 := strconv.ParseFloat(prows[1][lk], 64)
		cv, err2 := strconv.ParseFloat(rows[1][col[g+"_log_odds"]], 64)
		if err1 != nil || err2 != nil || math.Abs(pv-cv) > 5e-7 || prows[1][hk] != rows[1][col[g+"_health"]] {
			t.Errorf("%s: Parquet %s %s, CSV %s %s", g, prows[1][lk], prows[1][hk], rows[1][col[g+"_log_odds"]], rows[1][col[g+"_health"]])
		}
	}

	for _, tc := range []struct {
		flag string
		code int
		want string
	}{
		{"recency_days=billing", 2, `"billing" is not one of`},
		{"nps=support", 1, `signal group of "nps": the model has no such feature or column`},
	} {
		code, _, errs := churn(t, "train", "--snapshots", snap, "--horizon", "4", "--valid-weeks", "6",
			"--model", "logistic", "--out", filepath.Join(dir, "bad"), "--no-plots", "--signal-groups", tc.flag)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("--signal-groups %s: exit %d, %q; want exit %d and %q", tc.flag, code, errs, tc.code, tc.want)
		}
	}
}
