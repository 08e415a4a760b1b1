package hazard

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/churnlabs/churn/features"
)

// Follow is what the data says of an account-week's future: its week,
// the week the account churned (features.NoDate when it has not) and its
// latest snapshot week.
type Follow struct {
	Week, Churn, Last features.Date
}

// Cut returns f as data ending at week cut would show it: a churn after
// cut is not known yet, nor are snapshots after it. Training rows are cut
// where validation starts, so no hazard label sees the validation weeks.
func (f Follow) Cut(cut features.Date) Follow {
	if f.Churn != features.NoDate && f.Churn > cut {
		f.Churn = features.NoDate
	}
	f.Last = min(f.Last, cut)
	return f
}

// Outcome is an account-week's observed time: the week after it in which
// the account churned (Churned), or the last week after it the account
// was seen a customer (censored there). Weeks is -1 for an account-week
// on or after the account's churn: it is at risk of nothing.
type Outcome struct {
	Weeks   int
	Churned bool
}

// Observed returns f's outcome, in the terms of features.Outcome: churn
// in week k means a churn date in (Week+7(k-1), Week+7k], and an account
// is seen a customer through week k when its latest snapshot is on or
// after Week+7k.
func (f Follow) Observed() Outcome {
	switch {
	case f.Churn != features.NoDate && f.Churn <= f.Week:
		return Outcome{Weeks: -1}
	case f.Churn != features.NoDate:
		return Outcome{Weeks: WeeksTo(f.Week, f.Churn), Churned: true}
	case f.Last < f.Week:
		return Outcome{Weeks: -1}
	}
	return Outcome{Weeks: int(f.Last-f.Week) / 7}
}

// Label returns the hazard label of week k: 1 when the account churned in
// week k, 0 when it was seen a customer through it, and ok false when the
// row (account-week, k) is not in the data: the account had left before
// week k, or the data stops first (censored).
func (o Outcome) Label(k int) (y float64, ok bool) {
	switch {
	case k < 1 || o.Weeks < k:
		return 0, false
	case o.Churned && o.Weeks == k:
		return 1, true
	}
	return 0, true
}

// Sample describes the expanded rows a hazard model was fitted on.
type Sample struct {
	// Cut is the last week whose churn and snapshots the labels saw.
	Cut features.Date `json:"label_cut"`
	// AccountWeeks is how many account-weeks were expanded and PerRow
	// how many weeks ahead each drew, without replacement, of the Weeks.
	AccountWeeks int `json:"account_weeks"`
	PerRow       int `json:"weeks_per_account_week"`
	// Rows and Positives count the labelled (account-week, k) rows fitted.
	Rows      int `json:"rows"`
	Positives int `json:"positives"`
}

// DefaultBudget caps the (account-week, k) pairs drawn by default: about
// what the fixed-horizon model fits on a book of a few thousand accounts
// over two years, times three.
const DefaultBudget = 1_000_000

// PerRow returns how many weeks ahead each of n account-weeks draws for
// its negative rows so that the pairs stay within budget: all Weeks when
// they fit, never fewer than one.
func PerRow(n, budget int) int {
	if n <= 0 {
		return Weeks
	}
	return min(Weeks, max(1, budget/n))
}

// Offset returns the log-odds a model fitted on rows drawn perRow weeks
// ahead per account-week adds to give the hazard: log(perRow/Weeks).
//
// Expand keeps every churn row and draws the rows of weeks seen a
// customer at the rate perRow/Weeks. A model of log-loss fitted on rows
// whose negatives were kept at a constant rate r learns the log-odds
// plus log(1/r), whatever the features (case-control sampling), so adding
// log(r) back is exact, needs no weights, and a rare churn keeps all its
// positives: the fit sees every churn as often as the full expansion.
func Offset(perRow int) float64 { return math.Log(float64(perRow) / Weeks) }

// Expand appends to out the hazard rows of ds's account-weeks, whose
// futures are follow (one per row, already Cut): for each account-week,
// the week it churned in, if within Weeks, and of perRow weeks ahead k
// drawn by rng without replacement from 1..Weeks those it was seen a
// customer through, with the features and k's timing inputs. out must
// have the features InputNames(ds.Features) and a Label slice.
func Expand(ds *features.Dataset, follow []Follow, perRow int, rng *rand.Rand, out *features.Dataset) (Sample, error) {
	if len(follow) != ds.Len() {
		return Sample{}, fmt.Errorf("hazard: %d futures for %d rows", len(follow), ds.Len())
	}
	if perRow < 1 || perRow > Weeks {
		return Sample{}, fmt.Errorf("hazard: %d weeks per row: want 1 to %d", perRow, Weeks)
	}
	in := newInputs(ds.Features)
	var s Sample
	var ks [Weeks]int
	var buf []float64
	add := func(i, k int, y float64) {
		buf = in.row(ds.Row(i), k, buf)
		out.Append(ds.AccountID[i], ds.Week[i], buf)
		out.Label = append(out.Label, y)
		s.Rows++
		s.Positives += int(y)
	}
	for i := range ds.Len() {
		o := follow[i].Observed()
		if o.Weeks < 1 {
			continue
		}
		s.AccountWeeks++
		if o.Churned && o.Weeks <= Weeks {
			add(i, o.Weeks, 1)
		}
		for j := range ks {
			ks[j] = j + 1
		}
		for j := range perRow {
			// A partial Fisher-Yates shuffle: the first perRow of ks
			// are a uniform draw without replacement, so each week is
			// drawn at the rate perRow/Weeks.
			r := j + rng.IntN(Weeks-j)
			ks[j], ks[r] = ks[r], ks[j]
			if y, ok := o.Label(ks[j]); ok && y == 0 {
				add(i, ks[j], 0)
			}
		}
	}
	s.PerRow = perRow
	return s, nil
}

// TableRows are the rows of a table between two weeks, with their
// futures as data ending at cut shows them.
type TableRows struct {
	From, To, Cut features.Date
}

// chunk is how many table rows are read at a time: the expanded rows
// grow, the table's stay few in memory.
const chunk = 1 << 15

// Each calls fn with the table's rows whose week is in [From, To], in
// chunks, each row's future cut at Cut. The dataset is reused.
func (tr TableRows) Each(ctx context.Context, t *features.Table, fn func(ds *features.Dataset, follow []Follow) error) error {
	index := make(map[string]int, len(t.Accounts))
	for a := range t.Accounts {
		index[t.Accounts[a].ID] = a
	}
	var rows []int
	var ds *features.Dataset
	var follow []Follow
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ds = t.DatasetInto(ds, rows)
		follow = follow[:0]
		for i, id := range ds.AccountID {
			a := &t.Accounts[index[id]]
			f := Follow{Week: ds.Week[i], Churn: a.ChurnWeek, Last: a.Last}
			follow = append(follow, f.Cut(tr.Cut))
		}
		rows = rows[:0]
		return fn(ds, follow)
	}
	for i := range t.Len() {
		if w := t.Week(i); w < tr.From || w > tr.To {
			continue
		}
		rows = append(rows, i)
		if len(rows) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// Count returns how many of the table's rows are in [From, To].
func (tr TableRows) Count(t *features.Table) int {
	n := 0
	for i := range t.Len() {
		if w := t.Week(i); w >= tr.From && w <= tr.To {
			n++
		}
	}
	return n
}

// Build expands the table's rows in [From, To], cut at Cut, drawing
// weeks ahead so that at most budget pairs are drawn (PerRow).
func (tr TableRows) Build(ctx context.Context, t *features.Table, budget int, seed uint64) (*features.Dataset, Sample, error) {
	per := PerRow(tr.Count(t), budget)
	out := &features.Dataset{Features: InputNames(t.Spec.Names()), Label: []float64{}}
	rng := rand.New(rand.NewPCG(seed, 0x6861_7a61_7264)) // "hazard"
	total := Sample{Cut: tr.Cut, PerRow: per}
	err := tr.Each(ctx, t, func(ds *features.Dataset, follow []Follow) error {
		s, err := Expand(ds, follow, per, rng, out)
		total.AccountWeeks += s.AccountWeeks
		total.Rows += s.Rows
		total.Positives += s.Positives
		return err
	})
	if err != nil {
		return nil, Sample{}, err
	}
	if total.Positives == 0 || total.Positives == total.Rows {
		return nil, Sample{}, fmt.Errorf("hazard: the rows from %s to %s labelled up to %s have %d week-ahead rows with %d churns: both classes are needed",
			tr.From, tr.To, tr.Cut, total.Rows, total.Positives)
	}
	return out, total, nil
}
