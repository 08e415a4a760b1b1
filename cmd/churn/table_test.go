package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// realTable finds a table of the project's shared real data, or skips.
func realTable(t *testing.T, rel string) string {
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	for _, shared := range []string{filepath.Join(root, "..", "shared"), filepath.Join(root, "..", "..", "shared")} {
		p := filepath.Join(shared, "data", "real", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("../shared/data/real/%s not found (the project's shared data is not checked out beside it)", rel)
	return ""
}

// TestRealTablesAUC trains the README's two walkthroughs and checks that
// the cross-validated ROC AUC stays within 0.01 of the figure measured
// for the README and does not fall below a floor: Telco the issue's
// target (the best peer figure, 0.846), bank 0.8688, above the 0.8685 of
// the GBM's former table defaults (depth 5 trees with at least 5 of
// hessian per leaf and 80% of the features each); it measures 0.86899,
// the 0.869 to three decimals but not beyond. It fits
// the kind --model all chooses on each (gbm) with the same folds and
// defaults, not all four: the tree and forest take most of the full
// run's time and are not chosen.
func TestRealTablesAUC(t *testing.T) {
	for _, tc := range []struct {
		file        string
		args        []string
		want, floor float64
	}{
		{"telco/WA_Fn-UseC_-Telco-Customer-Churn.csv", []string{"--label", "Churn", "--id", "customerID"}, 0.848, 0.846},
		{"bank/Churn_Modelling.csv", []string{"--label", "Exited", "--drop", "RowNumber,CustomerId,Surname"}, 0.869, 0.8688},
	} {
		t.Run(filepath.Dir(tc.file), func(t *testing.T) {
			path := realTable(t, tc.file)
			model := filepath.Join(t.TempDir(), "model")
			args := append([]string{"train", "--table", path, "--model", "gbm", "--no-plots", "--out", model}, tc.args...)
			mustChurn(t, args...)
			var rep struct {
				Models []struct {
					ValidAUC   float64 `json:"valid_auc"`
					ValidAUCSD float64 `json:"valid_auc_sd"`
				} `json:"models"`
			}
			readJSON(t, filepath.Join(model, "metrics.json"), &rep)
			if got := rep.Models[0].ValidAUC; math.Abs(got-tc.want) > 0.01 || !(rep.Models[0].ValidAUCSD > 0) {
				t.Errorf("5-fold ROC AUC %.4f ± %.4f, measured %.3f", got, rep.Models[0].ValidAUCSD, tc.want)
			}
			if got := rep.Models[0].ValidAUC; got < tc.floor {
				t.Errorf("5-fold ROC AUC %.5f, below %.4f", got, tc.floor)
			}
		})
	}
}

// TestTableTrainScore trains on a small table with every kind and
// scores another with a category the model never saw: the CSV has one
// contribution per original column, adding up to the log-odds, and the
// unseen category is reported.
func TestTableTrainScore(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,plan,usage,notes,churned\n")
	for i := range 300 {
		plan := []string{"basic", "plus", "pro"}[i%3]
		usage := strconv.Itoa((i * 37) % 50)
		if i%11 == 0 {
			usage = "NA"
		}
		churned := "no"
		if (i%3 == 0 && (i*37)%50 < 30) || (i*37)%50 < 8 {
			churned = "yes"
		}
		fmt.Fprintf(&b, "c%d,%s,%s,free text %d,%s\n", i, plan, usage, i, churned)
	}
	train := filepath.Join(dir, "train.csv")
	os.WriteFile(train, []byte(b.String()), 0o644)
	model := filepath.Join(dir, "model")
	code, out, errs := churn(t, "train", "--table", train, "--label", "churned", "--id", "id", "--folds", "3",
		"--trees", "30", "--no-plots", "--out", model)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, `column "notes" left out: text with more than 64 distinct values`) {
		t.Errorf("no warning about notes:\n%s", errs)
	}
	if !strings.Contains(out, "stratified 3-fold cross-validation") || !strings.Contains(out, "±") {
		t.Errorf("train output:\n%s", out)
	}
	score := filepath.Join(dir, "score.csv")
	os.WriteFile(score, []byte("id,plan,usage,notes\nx1,basic,10,a\nx2,enterprise,,b\nx3,pro,49,c\n"), 0o644)
	code, out, errs = churn(t, "score", "--table", score, "--model", model, "--format", "csv")
	if code != 0 {
		t.Fatalf("score: exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, `column "plan": 1 rows have a category the model never saw ("enterprise" x1): scored as missing`) {
		t.Errorf("unseen category not reported:\n%s", errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "id,churn_probability,log_odds,base_value,contribution_plan,contribution_usage" {
		t.Errorf("header %s", got)
	}
	for _, r := range recs[1:] {
		v := make([]float64, len(r)-1)
		for j := range v {
			v[j], _ = strconv.ParseFloat(r[j+1], 64)
		}
		if sum := v[2] + v[3] + v[4]; math.Abs(sum-v[1]) > 1e-9 {
			t.Errorf("row %s: base + contributions %v, log-odds %v", r[0], sum, v[1])
		}
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no label", []string{"train", "--table", train, "--out", filepath.Join(dir, "m2")}, 2, "--table needs --label"},
		{"label not there", []string{"train", "--table", train, "--label", "gone", "--out", filepath.Join(dir, "m2")}, 1,
			`train.csv: column "gone": no such column`},
		{"table flag on snapshots", []string{"train", "--snapshots", train, "--folds", "3", "--out", filepath.Join(dir, "m2")}, 2,
			"--folds goes with --table"},
		{"table model on snapshots", []string{"score", "--snapshots", score, "--model", model}, 1,
			"trained on a customer table: score one with --table"},
		{"snapshot flag on a table", []string{"score", "--table", score, "--model", model, "--segment", "smb"}, 2,
			"--segment is for snapshots"},
		{"table model in a report", []string{"report", "--snapshots", score, "--model", model, "--out", filepath.Join(dir, "r")}, 1,
			"trained on a customer table: churn report compares models of snapshots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := churn(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

// TestTableTrainOutOfTime checks --time: the latest rows by the date
// column validate the model fitted on the earlier ones, the date is no
// feature, and a bad date is an error naming its row and column.
func TestTableTrainOutOfTime(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("signed_up,plan,usage,churned\n")
	for i := range 200 {
		plan := []string{"basic", "pro"}[i%2]
		churned := 0
		if (i%2 == 0) != ((i*13)%10 < 2) {
			churned = 1
		}
		fmt.Fprintf(&b, "2024-%02d-%02dT10:00:00Z,%s,%d,%d\n", 1+i%12, 1+i%28, plan, (i*7)%40, churned)
	}
	path := filepath.Join(dir, "t.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	model := filepath.Join(dir, "model")
	out := mustChurn(t, "train", "--table", path, "--label", "churned", "--time", "signed_up", "--model", "logistic",
		"--no-plots", "--out", model)
	if !strings.Contains(out, "validated out of time on the latest") || !strings.Contains(out, "by signed_up") {
		t.Errorf("train output:\n%s", out)
	}
	var art struct {
		Features []string `json:"features"`
		Train    struct {
			Last string `json:"last_week"`
		} `json:"train"`
		Valid struct {
			First string `json:"first_week"`
			Rows  int    `json:"rows"`
		} `json:"valid"`
	}
	readJSON(t, filepath.Join(model, "model.json"), &art)
	if fmt.Sprint(art.Features) != "[plan=basic plan=pro usage]" || !(art.Train.Last < art.Valid.First) || art.Valid.Rows < 40 {
		t.Errorf("model.json: %+v", art)
	}
	os.WriteFile(path, []byte("signed_up,plan,churned\n2024-01-02,a,1\n2024-13-02,b,0\n"), 0o644)
	code, _, errs := churn(t, "train", "--table", path, "--label", "churned", "--time", "signed_up", "--out", filepath.Join(dir, "m2"))
	if code != 1 || !strings.Contains(errs, `t.csv: row 3: column "signed_up"`) {
		t.Errorf("bad date: exit %d, %s", code, errs)
	}
}

// TestTableTrainParquet trains on a Parquet customer table: a null is
// missing, a BOOLEAN label is read as true/false.
func TestTableTrainParquet(t *testing.T) {
	type row struct {
		ID      string   `parquet:"id"`
		Plan    *string  `parquet:"plan,optional"`
		Usage   *float64 `parquet:"usage,optional"`
		Churned bool     `parquet:"churned"`
	}
	var rows []row
	for i := range 120 {
		plan, usage := []string{"basic", "pro"}[i%2], float64((i*7)%30)
		r := row{ID: fmt.Sprint("c", i), Plan: &plan, Usage: &usage, Churned: i%2 == 0 && (i*7)%30 < 20}
		if i%10 == 3 {
			r.Usage = nil
		}
		if i%17 == 5 {
			r.Plan = nil
		}
		rows = append(rows, r)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "customers.parquet")
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--table", path, "--label", "churned", "--id", "id", "--model", "logistic", "--folds", "3",
		"--no-plots", "--out", model)
	var art struct {
		Features []string `json:"features"`
	}
	readJSON(t, filepath.Join(model, "model.json"), &art)
	if got := fmt.Sprint(art.Features); got != "[plan=basic plan=pro plan:missing usage usage:missing]" {
		t.Errorf("features %s", got)
	}
}
