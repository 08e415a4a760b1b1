package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
)

// trained fits a logistic model on a small simulated world, saves it and
// the validation rows, and returns their paths with the probabilities
// churn served for those rows when it validated the model.
func trained(t *testing.T) (modelDir, validPath string, valid *features.Dataset, served []float64) {
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
	res, err := models.Train(ctx, sp, tab.Spec, models.TrainOptions{Kinds: []string{models.Logistic}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	modelDir, validPath = filepath.Join(dir, "model"), filepath.Join(dir, "valid.csv")
	if err := models.Save(modelDir, res.Chosen, res.Report); err != nil {
		t.Fatal(err)
	}
	if err := csvfile.WriteDatasetFile(validPath, sp.Valid); err != nil {
		t.Fatal(err)
	}
	return modelDir, validPath, sp.Valid, res.Valid[0]
}

// The bench compares our scores with the notebook's row by row: each row
// must get the probability churn served when it validated the model, on
// the row the features file holds.
func TestScoresMatchValidation(t *testing.T) {
	modelDir, validPath, valid, served := trained(t)
	var out bytes.Buffer
	if err := run(modelDir, validPath, &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "account_id,week,label,log_odds,probability" {
		t.Fatalf("header %q", got)
	}
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
