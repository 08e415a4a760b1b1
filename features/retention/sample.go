package retention

import (
	"context"

	"github.com/churnlabs/churn/features"
)

// Sample is the set of account-weeks at which FindIndicatorsSample judged
// the indicators, kept so that other indicators can be evaluated at the
// same rows: an adoption score (models/adoption) checks on it that the
// indicators it combines do not merely repeat one another.
type Sample struct {
	hist *History
	refs []reference
}

// FindIndicatorsSample is FindIndicators, also returning the account-weeks
// the indicators were judged at.
func (b *History) FindIndicatorsSample(ctx context.Context, opt IndicatorOptions) (*Indicators, *Sample, error) {
	found, refs, err := b.findIndicators(ctx, opt)
	if err != nil {
		return nil, nil, err
	}
	return found, &Sample{hist: b, refs: refs}, nil
}

// Len returns the number of account-weeks in the sample.
func (s *Sample) Len() int { return len(s.refs) }

// Meets evaluates ind at every account-week of the sample, in order. An
// account-week with no value of the column in the indicator's period does
// not meet it, and neither does any when the history has no such column.
func (s *Sample) Meets(ind Indicator) []bool {
	b := s.hist
	c := b.column(ind.Column)
	met := make([]bool, len(s.refs))
	if c < 0 {
		return met
	}
	for i, r := range s.refs {
		met[i], _ = b.meets(&b.accounts[r.account], int(r.week), c, ind)
	}
	return met
}

// Meets reports whether the account with the given id meets ind at week
// w, by the same rule as FindIndicators: at least ind.Percent of its
// reported weeks in the ind.Days up to w reach the threshold. found is
// false when the history has no snapshot of the account at week w, which is
// how a caller tells that its rows come from other data. An indicator of
// a column the history does not have is never met.
func (b *History) Meets(id string, w features.Date, ind Indicator) (met, found bool) {
	a, ok := b.lookup(id)
	if !ok {
		return false, false
	}
	i := a.weekIndex(w)
	if i < 0 {
		return false, false
	}
	if c := b.column(ind.Column); c >= 0 {
		met, _ = b.meets(a, i, c, ind)
	}
	return met, true
}

// Retained reports, for every account-week of the sample in order,
// whether the account was still a customer a horizon later: the outcome
// the indicators were judged against, which a maturity model (see
// models/maturity) needs to measure retention by level on the same rows.
func (s *Sample) Retained() []bool {
	out := make([]bool, len(s.refs))
	for i, r := range s.refs {
		out[i] = r.retained
	}
	return out
}

// Current returns the ids of the accounts that have a snapshot in the
// history's latest week and have not churned, in the history's order:
// the customer base a CS team works on now.
func (b *History) Current() []string {
	var ids []string
	for i := range b.accounts {
		a := &b.accounts[i]
		if a.churn == features.NoDate && a.weekIndex(b.Last) >= 0 {
			ids = append(ids, a.id)
		}
	}
	return ids
}
