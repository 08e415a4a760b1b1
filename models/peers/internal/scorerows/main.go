// Command scorerows scores every row of a features file with a model
// directory, as "churn score" scores an account's latest week: the saved
// model's log-odds, then its calibration. The accuracy bench
// (models/peers/accuracy.py) needs our score for each validation row, the
// same rows the notebook scores, to compare the two paired.
//
//	go run ./models/peers/internal/scorerows MODEL_DIR FEATURES.csv > scores.csv
//
// It writes account_id,week,label,log_odds,probability: log_odds is the
// model's before calibration, probability the served one.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"

	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/models"
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
	if !slices.Equal(ds.Features, a.Features) {
		return fmt.Errorf("%s: columns %v are not the model's features %v", path, ds.Features, a.Features)
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
	fmt.Fprintln(w, "account_id,week,label,log_odds,probability")
	for i := range ds.Len() {
		label := ""
		if ds.Label != nil {
			label = strconv.FormatFloat(ds.Label[i], 'g', -1, 64)
		}
		x := ds.Row(i)
		fmt.Fprintf(w, "%s,%s,%s,%s,%s\n", ds.AccountID[i], ds.Week[i], label,
			strconv.FormatFloat(m.LogOdds(x), 'g', -1, 64), strconv.FormatFloat(s.Probability(x), 'g', -1, 64))
	}
	return w.Flush()
}
