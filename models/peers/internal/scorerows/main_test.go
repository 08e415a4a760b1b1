package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/hazard"
	"github.com/churnlabs/churn/models/metrics"
)

// trained fits a logistic model on a small simulated world, saves it and
// the validation rows, and returns their paths with the probabilities
// churn served for those rows when it validated the model.
func trained(t *testing.T) (modelDir, validPath string, valid *features.Dataset, served []float64) {
	t.Helper()
	tab, sp := split(t)
	res, err := models.Train(context.Background(), sp, tab.Spec, models.TrainOptions{Kinds: []string{models.Logistic}})
	if err != nil {
		t.Fatal(err)
	}
	modelDir, validPath = save(t, res.Chosen, res.Report, sp.Valid)
	return modelDir, validPath, sp.Valid, res.Valid[0]
}

// split builds the features of a small simulated world and splits them
// out of time.
func split(t *testing.T) (*features.Table, *features.Split) {
	t.Helper()
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 300, Weeks: 60, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := features.Build(ctx, features.MemorySource("sim", simulate.Schema(), rows), features.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := tab.Split(features.SplitOptions{Horizon: 6, ValidWeeks: 6})
	if err != nil {
		t.Fatal(err)
	}
	return tab, sp
}

// save writes the model and the rows to score to a temporary directory.
func save(t *testing.T, a *models.Artifact, rep *models.Report, rows *features.Dataset) (modelDir, path string) {
	t.Helper()
	dir := t.TempDir()
	modelDir, path = filepath.Join(dir, "model"), filepath.Join(dir, "valid.csv")
	if err := models.Save(modelDir, a, rep); err != nil {
		t.Fatal(err)
	}
	if err := csvfile.WriteDatasetFile(path, rows); err != nil {
		t.Fatal(err)
	}
	return modelDir, path
}

// scored runs scorerows and returns its records, header first, after
// checking the header.
func scored(t *testing.T, modelDir, path, header string) [][]string {
	t.Helper()
	var out bytes.Buffer
	if err := run(modelDir, path, &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != header {
		t.Fatalf("header %q, want %q", got, header)
	}
	return recs
}

// The bench compares our scores with the notebook's row by row: each row
// must get the probability churn served when it validated the model, on
// the row the features file holds.
func TestScoresMatchValidation(t *testing.T) {
	modelDir, validPath, valid, served := trained(t)
	recs := scored(t, modelDir, validPath, "account_id,week,label,log_odds,probability")
	if len(recs)-1 != valid.Len() {
		t.Fatalf("%d rows scored, want %d", len(recs)-1, valid.Len())
	}
	for i, r := range recs[1:] {
		p, err := strconv.ParseFloat(r[4], 64)
		if err != nil {
			t.Fatal(err)
		}
		if r[0] != valid.AccountID[i] || r[1] != valid.Week[i].String() || r[2] != strconv.FormatFloat(valid.Label[i], 'g', -1, 64) {
			t.Fatalf("row %d is %v, want %s %s %v", i, r[:3], valid.AccountID[i], valid.Week[i], valid.Label[i])
		}
		if math.Abs(p-served[i]) > 1e-12 {
			t.Fatalf("row %d: probability %v, churn served %v", i, p, served[i])
		}
	}
}

func TestRefusesOtherColumns(t *testing.T) {
	modelDir, _, valid, _ := trained(t)
	other := *valid
	other.Features = append([]string(nil), valid.Features...)
	other.Features[0] = "something_else"
	path := filepath.Join(t.TempDir(), "other.csv")
	if err := csvfile.WriteDatasetFile(path, &other); err != nil {
		t.Fatal(err)
	}
	err := run(modelDir, path, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "features") {
		t.Fatalf("run with other columns = %v, want an error naming %s and the features", err, path)
	}
}

// A features file of a longer book can hold columns the model does not
// read, in another order: the model's are picked by name, so the scores
// are the same.
func TestPicksColumnsByName(t *testing.T) {
	modelDir, validPath, valid, _ := trained(t)
	var want bytes.Buffer
	if err := run(modelDir, validPath, &want); err != nil {
		t.Fatal(err)
	}
	wider := *valid
	n := len(valid.Features)
	wider.Features = append([]string{"extra"}, valid.Features...)
	slices.Reverse(wider.Features[1:])
	wider.X = make([]float64, 0, valid.Len()*(n+1))
	for i := range valid.Len() {
		wider.X = append(wider.X, 42)
		wider.X = append(wider.X, valid.Row(i)...)
		slices.Reverse(wider.X[len(wider.X)-n:])
	}
	path := filepath.Join(t.TempDir(), "wider.csv")
	if err := csvfile.WriteDatasetFile(path, &wider); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := run(modelDir, path, &got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("scores from the wider file differ:\n%.300s\nwant\n%.300s", got.String(), want.String())
	}
}

// A model trained with a survival curve adds the curve's chance of churn
// within the horizon to every row, and it must be the row's: the column
// ranks the rows that churned within the horizon above the rest. The
// served hazard was refitted on every labelled week, these included, so
// the ranking is in sample (about 0.99); a column out of step with its
// rows would rank them at about 0.5.
func TestCurveColumn(t *testing.T) {
	ctx := context.Background()
	tab, sp := split(t)
	res, err := models.Train(ctx, sp, tab.Spec, models.TrainOptions{Kinds: []string{models.Logistic}})
	if err != nil {
		t.Fatal(err)
	}
	hz, _, err := models.TrainSurvival(ctx, tab, models.SurvivalOptions{
		Kinds: []string{hazard.Logistic}, Split: features.SplitOptions{Horizon: 6, ValidWeeks: 6}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := *res.Chosen
	a.Hazard = hz
	modelDir, path := save(t, &a, res.Report, sp.Valid)
	recs := scored(t, modelDir, path, "account_id,week,label,log_odds,probability,curve_within_horizon")
	risk := make([]float64, len(recs)-1)
	for i, r := range recs[1:] {
		if risk[i], err = strconv.ParseFloat(r[5], 64); err != nil {
			t.Fatal(err)
		}
		want := hazard.Within(hz.Curve(sp.Valid.Row(i)), a.Horizon)
		if risk[i] != want || !(want >= 0 && want < 1) {
			t.Fatalf("row %d: curve_within_horizon %v, the curve gives %v", i, risk[i], want)
		}
	}
	auc := metrics.ROCAUC(sp.Valid.Label, risk)
	t.Logf("curve_within_horizon ranks the validation rows at ROC AUC %.3f", auc)
	if auc < 0.7 {
		t.Errorf("curve_within_horizon ranks the validation rows at ROC AUC %.3f, want at least 0.7", auc)
	}
}
