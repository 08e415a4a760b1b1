package registry

import (
	"errors"
	"fmt"
	"math"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/metrics"
)

// DefaultLevel is the significance level of a challenge: a challenger
// is promoted when its validation ROC AUC is higher than the champion's
// and DeLong's two-sided test rejects equal AUCs at this level.
const DefaultLevel = 0.05

// Verdict is the outcome of a challenge: the two models' ROC AUCs on the
// same validation rows, DeLong's test of their difference, and whether
// the challenger should be promoted.
type Verdict struct {
	Champion, Challenger string
	// AUC compares the challenger (A) with the champion (B).
	AUC metrics.AUCComparison
	// Level is the significance level the test was run at.
	Level float64
	// Weeks are the validation weeks compared on.
	First, Last features.Date
	// Promote is set when the challenger is significantly better.
	Promote bool
	// Why says why the challenger is or is not promoted, with the
	// figures.
	Why string
}

// Challenge scores the same validation rows with the champion and the
// challenger and runs DeLong's test on their ROC AUCs. championRows and
// challengerRows hold those rows with each model's columns (one dataset
// twice when the two models use the same features); rows are matched by
// account and week, and every challenger row must be there for the
// champion too, with the same label.
//
// The rows must be out of time for the champion as well: weeks before
// the champion's own validation weeks may have been in its training
// labels, which would flatter it, so such rows are an error.
func Challenge(champion, challenger *models.Artifact, championRows, challengerRows *features.Dataset, level float64) (Verdict, error) {
	if !(level > 0 && level < 1) {
		return Verdict{}, fmt.Errorf("challenge: significance level %v: want one in (0, 1)", level)
	}
	v := Verdict{Champion: champion.Version, Challenger: challenger.Version, Level: level}
	if challengerRows.Len() == 0 || challengerRows.Label == nil {
		return Verdict{}, errors.New("challenge: no labelled validation rows")
	}
	v.First, v.Last = challengerRows.Week[0], challengerRows.Week[0]
	for _, w := range challengerRows.Week {
		v.First, v.Last = min(v.First, w), max(v.Last, w)
	}
	if v.First < champion.Valid.First {
		return Verdict{}, fmt.Errorf("challenge: the validation weeks start %s, before the champion %s's own validation weeks (from %s), which its training labels may have seen: challenge on newer snapshots",
			v.First, champion.Version, champion.Valid.First)
	}
	y := challengerRows.Label
	new, err := scoreRows(challenger, challengerRows, nil)
	if err != nil {
		return Verdict{}, fmt.Errorf("challenge: challenger %s: %w", challenger.Version, err)
	}
	old, err := scoreRows(champion, championRows, challengerRows)
	if err != nil {
		return Verdict{}, fmt.Errorf("challenge: champion %s: %w", champion.Version, err)
	}
	v.AUC, err = metrics.CompareAUC(y, new, old)
	if err != nil {
		return Verdict{}, fmt.Errorf("challenge on %d validation rows: %w", len(y), err)
	}
	c := v.AUC
	lo, hi := c.Interval(1 - level)
	figures := fmt.Sprintf("validation ROC AUC %.4f against the champion's %.4f on %d rows of weeks %s to %s (%d churned): difference %+.4f, %.0f%% CI [%+.4f, %+.4f], DeLong p = %.3g",
		c.A, c.B, c.Positives+c.Negatives, v.First, v.Last, c.Positives, c.Diff, 100*(1-level), lo, hi, c.P)
	switch {
	case challenger.Version == champion.Version:
		v.Why = "the new model is the champion already (same version): " + figures
	case c.Diff <= 0:
		v.Why = "not better than the champion: " + figures
	case c.P >= level:
		v.Why = fmt.Sprintf("better, but not significantly at the %g level: %s", level, figures)
	default:
		v.Promote = true
		v.Why = fmt.Sprintf("significantly better at the %g level: %s", level, figures)
	}
	return v, nil
}

// scoreRows returns a's log-odds for the rows of ds, whose columns it
// finds by name. With order set, it returns them in order's rows
// instead, matched by account and week, and checks the labels agree.
func scoreRows(a *models.Artifact, ds, order *features.Dataset) ([]float64, error) {
	m, err := a.Model()
	if err != nil {
		return nil, err
	}
	col := make(map[string]int, len(ds.Features))
	for j, f := range ds.Features {
		col[f] = j
	}
	index := make([]int, len(a.Features))
	for j, f := range a.Features {
		k, ok := col[f]
		if !ok {
			return nil, fmt.Errorf("the validation rows have no column %q, which the model uses", f)
		}
		index[j] = k
	}
	rows := make([]int, ds.Len())
	for i := range rows {
		rows[i] = i
	}
	if order != nil && order != ds {
		type key struct {
			account string
			week    features.Date
		}
		at := make(map[key]int, ds.Len())
		for i := range ds.Len() {
			at[key{ds.AccountID[i], ds.Week[i]}] = i
		}
		rows = make([]int, order.Len())
		for i := range order.Len() {
			k, ok := at[key{order.AccountID[i], order.Week[i]}]
			if !ok {
				return nil, fmt.Errorf("no row for account %q, week %s", order.AccountID[i], order.Week[i])
			}
			if ds.Label != nil && ds.Label[k] != order.Label[i] {
				return nil, fmt.Errorf("account %q, week %s: label %v, the challenger's rows say %v", order.AccountID[i], order.Week[i], ds.Label[k], order.Label[i])
			}
			rows[i] = k
		}
	}
	out := make([]float64, len(rows))
	x := make([]float64, len(a.Features))
	for i, r := range rows {
		row := ds.Row(r)
		for j, k := range index {
			x[j] = row[k]
		}
		out[i] = m.LogOdds(x)
		if math.IsNaN(out[i]) {
			return nil, fmt.Errorf("account %q, week %s: the model's score is NaN", ds.AccountID[r], ds.Week[r])
		}
	}
	return out, nil
}
