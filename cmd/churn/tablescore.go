package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/jsonfloat"
	"github.com/churnlabs/churn/models"
)

// tableScore is one scored row of a customer table.
type tableScore struct {
	ID            string
	Probability   float64
	LogOdds       float64
	Base          float64
	Health        string
	Contributions []float64 // per original column
}

// scoreTable scores every row of a customer table with a table model.
func scoreTable(ctx context.Context, e *env, path, modelDir, format string, top int) error {
	a, err := models.Load(modelDir)
	if err != nil {
		return err
	}
	if a.Spec.Table == nil {
		return fmt.Errorf("%s was trained on snapshots, not a customer table: score it with --snapshots FILE", modelDir)
	}
	c, err := readCustomers(ctx, e, path)
	if err != nil {
		return err
	}
	ds, unseen, err := features.EncodeTable(c, a.Spec.Table, false)
	if err != nil {
		return err
	}
	for _, u := range unseen {
		total, values := 0, make([]string, 0, len(u.Values))
		for v, n := range u.Values {
			total += n
			values = append(values, fmt.Sprintf("%q x%d", v, n))
		}
		slices.Sort(values)
		fmt.Fprintf(e.stderr, "warning: %s: column %q: %d rows have a category the model never saw (%s): scored as missing\n",
			path, u.Column, total, strings.Join(values, ", "))
	}
	sc, err := models.NewScorer(a)
	if err != nil {
		return err
	}
	scores := make([]tableScore, ds.Len())
	phi := make([]float64, len(ds.Features))
	for i := range ds.Len() {
		s := sc.Score(ds.Row(i), phi)
		scores[i] = tableScore{ID: ds.AccountID[i], Probability: s.Probability, LogOdds: s.LogOdds, Base: s.Base,
			Health: a.Health.Colour(s.Probability), Contributions: sc.ByColumn(s.Contributions, nil)}
	}
	out := bufio.NewWriter(&ctxWriter{ctx: ctx, w: e.stdout})
	switch format {
	case "csv":
		err = writeTableCSV(out, sc.Columns(), scores)
	case "json":
		err = writeTableJSON(out, sc.Columns(), scores, a.Version)
	default:
		err = writeTableRanking(out, sc.Columns(), scores, top)
	}
	if err != nil {
		return err
	}
	return out.Flush()
}

// writeTableCSV writes one line per row, in file order: id,
// churn_probability, log_odds, base_value, then one contribution per
// column, named contribution_COL.
func writeTableCSV(w io.Writer, columns []string, scores []tableScore) error {
	head := []string{"id", "churn_probability", "log_odds", "base_value"}
	for _, c := range columns {
		head = append(head, "contribution_"+c)
	}
	b := appendCSVLine(nil, head)
	for _, s := range scores {
		rec := []string{s.ID, fnum(s.Probability), fnum(s.LogOdds), fnum(s.Base)}
		for _, v := range s.Contributions {
			rec = append(rec, fnum(v))
		}
		b = appendCSVLine(b, rec)
		if len(b) > 1<<16 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	_, err := w.Write(b)
	return err
}

func fnum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// appendCSVLine appends a CSV record, quoting a field only when needed.
func appendCSVLine(b []byte, rec []string) []byte {
	for i, f := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		if strings.ContainsAny(f, ",\"\r\n") || strings.TrimSpace(f) != f {
			b = append(b, '"')
			b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
			b = append(b, '"')
			continue
		}
		b = append(b, f...)
	}
	return append(b, '\n')
}

// writeTableJSON writes {"model_version": V, "scores": [...]}, each score
// with id, churn_probability, log_odds, base_value, health and
// contributions keyed by column.
func writeTableJSON(w io.Writer, columns []string, scores []tableScore, version string) error {
	b := []byte(`{"model_version":`)
	v, _ := json.Marshal(version)
	b = append(b, v...)
	b = append(b, `,"scores":[`...)
	for i, s := range scores {
		if i > 0 {
			b = append(b, ',')
		}
		id, _ := json.Marshal(s.ID)
		b = append(b, `{"id":`...)
		b = append(b, id...)
		b = append(b, `,"churn_probability":`...)
		b = jsonfloat.Append(b, s.Probability)
		b = append(b, `,"log_odds":`...)
		b = jsonfloat.Append(b, s.LogOdds)
		b = append(b, `,"base_value":`...)
		b = jsonfloat.Append(b, s.Base)
		b = append(b, `,"health":"`...)
		b = append(b, s.Health...)
		b = append(b, `","contributions":{`...)
		for j, c := range columns {
			if j > 0 {
				b = append(b, ',')
			}
			k, _ := json.Marshal(c)
			b = append(b, k...)
			b = append(b, ':')
			b = jsonfloat.Append(b, s.Contributions[j])
		}
		b = append(b, "}}"...)
		if len(b) > 1<<16 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	b = append(b, "]}\n"...)
	_, err := w.Write(b)
	return err
}

// writeTableRanking prints the riskiest rows first with their three
// largest contributions.
func writeTableRanking(w io.Writer, columns []string, scores []tableScore, top int) error {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b].Probability, scores[a].Probability) })
	if top > 0 && top < len(order) {
		order = order[:top]
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tchurn probability\thealth\ttop drivers (log-odds)")
	for _, i := range order {
		s := scores[i]
		idx := make([]int, len(columns))
		for j := range idx {
			idx[j] = j
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			return cmp.Compare(abs(s.Contributions[b]), abs(s.Contributions[a]))
		})
		var drivers []string
		for _, j := range idx[:min(3, len(idx))] {
			drivers = append(drivers, fmt.Sprintf("%s %+.2f", columns[j], s.Contributions[j]))
		}
		fmt.Fprintf(tw, "%s\t%.1f%%\t%s\t%s\n", s.ID, 100*s.Probability, s.Health, strings.Join(drivers, ", "))
	}
	return tw.Flush()
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
