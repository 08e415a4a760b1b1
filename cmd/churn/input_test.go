package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// snapshotHeader is the contract's columns, for test files.
const snapshotHeader = "account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned\n"

// writeFile writes a test input and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInputRules runs the commands on inputs that break a rule of the
// input contract: each must fail with a message naming the problem.
func TestInputRules(t *testing.T) {
	good := writeFile(t, "good.csv", snapshotHeader+"a,2024-01-01,1,1,1,0,0,0\n")
	tuesday := writeFile(t, "tuesday.csv", snapshotHeader+"a,2023-01-02,1,1,1,0,0,0\na,2023-01-03,1,1,1,0,0,0\n")
	future := writeFile(t, "future.csv", snapshotHeader+"a,2024-01-01,1,1,1,0,0,0\na,2099-01-05,1,1,1,0,0,0\n")
	empty := writeFile(t, "empty.csv", snapshotHeader)
	badID := writeFile(t, "id.csv", snapshotHeader+"a,2024-01-01,1,1,1,0,0,0\n\"b \",2024-01-01,1,1,1,0,0,0\n")
	badType := writeFile(t, "type.csv", strings.TrimSuffix(snapshotHeader, "\n")+",renewal_type\na,2024-01-01,1,1,1,0,0,0,Auto-Renew\nb,2024-01-01,1,1,1,0,0,0,yearly\n")
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"horizon 0", []string{"features", "--snapshots", good, "--out", out, "--horizon", "0"}, 2, "--horizon 0: want at least 1 week"},
		{"validate: not a Monday", []string{"validate", "--snapshots", tuesday}, 1,
			`tuesday.csv: row 3: column "week": 2023-01-03 is a Tuesday`},
		{"features: not a Monday", []string{"features", "--snapshots", tuesday, "--out", out}, 1,
			`tuesday.csv: row 3: column "week": 2023-01-03 is a Tuesday`},
		{"validate: normalised duplicate", []string{"validate", "--snapshots", tuesday, "--normalize-weeks"}, 1,
			"has 1 errors"},
		{"features: normalised duplicate", []string{"features", "--snapshots", tuesday, "--out", out, "--normalize-weeks"}, 1,
			`tuesday.csv: row 3: column "week": duplicate snapshot for account "a", week 2023-01-02 (first at row 2)`},
		{"validate: future week", []string{"validate", "--snapshots", future}, 1, "has 1 errors"},
		{"features: future week", []string{"features", "--snapshots", future, "--out", out}, 1,
			`future.csv: row 3: column "week": week 2099-01-05 is in the future`},
		{"validate: header only", []string{"validate", "--snapshots", empty}, 1, "empty.csv: the file has a header but no rows"},
		{"validate: bad account id", []string{"validate", "--snapshots", badID}, 1,
			`id.csv: row 3: column "account_id": account id "b " ends with white space`},
		{"validate: bad renewal type", []string{"validate", "--snapshots", badType}, 1,
			`type.csv: row 3: column "renewal_type": unknown renewal type "yearly": want auto or signature`},
		{"gen: weeks after this week", []string{"gen", "--out", filepath.Join(t.TempDir(), "g.csv"), "--weeks", "3000"}, 2,
			"--weeks 3000 from --start 2023-01-02 ends on 2080-06-24, after this week"},
		{"gen: start not a Monday", []string{"gen", "--out", filepath.Join(t.TempDir(), "g.csv"), "--start", "2023-01-03"}, 2,
			"--start 2023-01-03 is a Tuesday: weeks start on Mondays (2023-01-02)"},
		{"train: horizon 0", []string{"train", "--snapshots", good, "--out", out, "--horizon", "0"}, 2, "--horizon 0: want at least 1 week"},
		{"train: valid-weeks 0", []string{"train", "--snapshots", good, "--out", out, "--valid-weeks", "0"}, 2, "--valid-weeks 0: want at least 1 week"},
		{"features: valid-weeks 0", []string{"features", "--snapshots", good, "--out", out, "--valid-weeks", "0"}, 2, "--valid-weeks 0: want at least 1 week"},
		{"train: backtest -1", []string{"train", "--snapshots", good, "--out", out, "--backtest", "-1"}, 2, "--backtest -1: want 0 or more"},
		{"train: tune -1m", []string{"train", "--snapshots", good, "--out", out, "--tune", "-1m"}, 2, "--tune -1m0s: want a positive duration"},
		{"train: tune-trials 0", []string{"train", "--snapshots", good, "--out", out, "--tune-trials", "0"}, 2, "--tune-trials 0: want 1 or more"},
		{"train: tune-folds alone", []string{"train", "--snapshots", good, "--out", out, "--tune-folds", "2"}, 2, "--tune-folds goes with --tune"},
		{"train: tune a tree", []string{"train", "--snapshots", good, "--out", out, "--model", "tree", "--tune-trials", "2"}, 2, "--model tree has nothing to tune"},
		{"train: tune a features directory", []string{"train", "--features", out, "--out", out, "--tune", "1m"}, 1, "--tune needs --snapshots"},
		{"train: tune a customer table", []string{"train", "--table", good, "--label", "churned", "--out", out, "--tune-trials", "3"}, 2, "--tune-trials is for snapshots"},
		{"train: unknown feature group", []string{"train", "--snapshots", good, "--out", out, "--feature-groups", "baseline,seasons"}, 2,
			`--feature-groups: unknown feature group "seasons"`},
		{"train: feature groups of a features directory", []string{"train", "--features", out, "--out", out, "--feature-groups", "auto"}, 1,
			"--feature-groups needs --snapshots"},
		{"train: feature groups of a customer table", []string{"train", "--table", good, "--label", "churned", "--out", out, "--feature-groups", "all"}, 2,
			"--feature-groups is for snapshots"},
		{"train: 52-week windows of a short history", []string{"train", "--snapshots", good, "--out", out, "--feature-groups", "windows-52"}, 1,
			"windows-52 needs a year of history before the last training week"},
		{"train: trees -1", []string{"train", "--snapshots", good, "--out", out, "--trees", "-1"}, 2, "--trees -1: want 0 (the default) or more"},
		{"train: depth -1", []string{"train", "--snapshots", good, "--out", out, "--depth", "-1"}, 2, "--depth -1: want 0 (the default) or more"},
		{"train: early-stopping -1", []string{"train", "--snapshots", good, "--out", out, "--early-stopping", "-1"}, 2, "--early-stopping -1: want 0 (off) or more"},
		{"train: l2 -1", []string{"train", "--snapshots", good, "--out", out, "--l2", "-1"}, 2, "--l2 -1: want 0 (the default) or more"},
		{"train: learning-rate 2", []string{"train", "--snapshots", good, "--out", out, "--learning-rate", "2"}, 2, "--learning-rate 2: want a rate in (0, 1], or 0 for the default"},
		{"train: subsample 2", []string{"train", "--snapshots", good, "--out", out, "--subsample", "2"}, 2, "--subsample 2: want a fraction in (0, 1], or 0 for the default"},
		{"report: horizon 0", []string{"report", "--snapshots", good, "--out", out, "--horizon", "0"}, 2, "--horizon 0: want at least 1 week"},
		{"report: confidence 2", []string{"report", "--snapshots", good, "--out", out, "--confidence", "2"}, 2, "--confidence 2: want a level"},
		{"score: format", []string{"score", "--snapshots", good, "--model", out, "--format", "xml"}, 2, `--format "xml": want table, csv, json, parquet or crm`},
		{"score: sort", []string{"score", "--snapshots", good, "--model", out, "--sort", "bogus"}, 2, `--sort: sort "bogus"`},
		{"serve: max-batch 0", []string{"serve", "--snapshots", good, "--model", out, "--max-batch", "0"}, 2, "--max-batch 0: want at least 1"},
		{"serve: max-body 0", []string{"serve", "--snapshots", good, "--model", out, "--max-body", "0"}, 2, "--max-body 0: want at least 1"},
		{"serve: drain -1s", []string{"serve", "--snapshots", good, "--model", out, "--drain", "-1s"}, 2, "--drain -1s: want 0 or more"},
		{"gen: accounts 0", []string{"gen", "--out", filepath.Join(t.TempDir(), "g.csv"), "--accounts", "0"}, 2, "--accounts and --weeks must be at least 1"},
		{"gen: start not a date", []string{"gen", "--out", filepath.Join(t.TempDir(), "g.csv"), "--start", "soon"}, 2, "--start: "},
		{"train: model", []string{"train", "--snapshots", good, "--out", out, "--model", "bogus"}, 2, `--model "bogus": want one of`},
		{"train: colsample", []string{"train", "--snapshots", good, "--out", out, "--colsample", "1.5"}, 2, `--colsample 1.5: want a fraction in (0, 1]`},
		{"train: min child weight", []string{"train", "--snapshots", good, "--out", out, "--min-child-weight", "-1"}, 2, `--min-child-weight -1: want 0 (the default) or more`},
		{"negative horizon", []string{"features", "--snapshots", good, "--out", out, "--horizon", "-3"}, 2, "--horizon -3: want at least 1 week"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := churn(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d with %q", code, errs, c.code, c.want)
			}
		})
	}
}

// TestValidateFutureWeek checks that validate's report names the row of
// a week in the future.
func TestValidateFutureWeek(t *testing.T) {
	future := writeFile(t, "future.csv", snapshotHeader+"a,2024-01-01,1,1,1,0,0,0\na,2099-01-05,1,1,1,0,0,0\n")
	_, out, _ := churn(t, "validate", "--snapshots", future)
	if !strings.Contains(out, `account "a" row 3: week 2099-01-05 has not started`) {
		t.Errorf("validate output:\n%s", out)
	}
}

// TestScoreWarnsUnknownSegment scores a file in which one account is in
// a segment the model never saw, with a text column beside: churn score
// must say both on stderr and still rank.
func TestScoreWarnsUnknownSegment(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "150", "--weeks", "60", "--seed", "3", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "6", "--valid-weeks", "4", "--model", "logistic", "--out", model, "--no-plots")

	f, err := os.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	seg := slices.Index(rows[0], "segment")
	rows[0] = append(rows[0], "notes")
	for i, r := range rows[1:] {
		if r[0] == rows[1][0] {
			r[seg] = "startup"
		}
		rows[i+1] = append(r, "call back")
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.WriteAll(rows)
	scored := writeFile(t, "scored.csv", b.String())

	code, out, errs := churn(t, "score", "--snapshots", scored, "--model", model, "--format", "csv")
	if code != 0 || !strings.Contains(out, "churn_probability") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, want := range []string{
		`warning: ` + scored + `: segment "startup" (1 accounts) is not one the model was trained on`,
		`warning: ` + scored + `: column "notes" is not numeric: left out of the features`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q\nwant %q", errs, want)
		}
	}
}
