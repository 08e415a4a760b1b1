// Command scorerows scores every row of a features file with a model
// directory, as "churn score" scores an account's latest week: the saved
// model's log-odds, then its calibration. The accuracy bench
// (models/peers/accuracy.py) needs our score for each validation row, the
// same rows the notebook scores, to compare the two paired.
//
//	go run ./models/peers/internal/scorerows MODEL_DIR FEATURES.csv > scores.csv
//
// It writes account_id,week,label,log_odds,probability: log_odds is the
// model's before calibration, probability the served one. A model trained
// with --survival adds curve_within_horizon, 1 - S(H) of its survival
// curve at the model's horizon, so the curve can be compared with, or
// mixed into, the fixed-horizon score row by row (README, "Accuracy
// against a notebook").
//
// The file may hold more columns than the model reads, as the features of
// a longer book do: the model's are picked by name.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/hazard"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: scorerows MODEL_DIR FEATURES.csv")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scorerows:", err)
		os.Exit(1)
	}
}

func run(modelDir, path string, out io.Writer) error {
	a, err := models.Load(modelDir)
	if err != nil {
		return fmt.Errorf("load %s: %w", modelDir, err)
	}
	ds, err := csvfile.ReadDatasetFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if ds, err = ds.Columns(a.Features); err != nil {
		return fmt.Errorf("%s: the model's features %v: %w", path, a.Features, err)
	}
	m, err := a.Model()
	if err != nil {
		return fmt.Errorf("%s: %w", modelDir, err)
	}
	s, err := models.NewScorer(a)
	if err != nil {
		return fmt.Errorf("%s: %w", modelDir, err)
	}
	w := bufio.NewWriter(out)
	header := "account_id,week,label,log_odds,probability"
	if a.Hazard != nil {
		header += ",curve_within_horizon"
	}
	fmt.Fprintln(w, header)
	for i := range ds.Len() {
		label := ""
		if ds.Label != nil {
			label = strconv.FormatFloat(ds.Label[i], 'g', -1, 64)
		}
		x := ds.Row(i)
		fmt.Fprintf(w, "%s,%s,%s,%s,%s", ds.AccountID[i], ds.Week[i], label,
			strconv.FormatFloat(m.LogOdds(x), 'g', -1, 64), strconv.FormatFloat(s.Probability(x), 'g', -1, 64))
		if a.Hazard != nil {
			fmt.Fprintf(w, ",%s", strconv.FormatFloat(hazard.Within(a.Hazard.Curve(x), a.Horizon), 'g', -1, 64))
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}
