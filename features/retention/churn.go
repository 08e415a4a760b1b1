package retention

import (
	"context"

	"github.com/churnlabs/churn/features"
)

// AllAccounts names the series of the whole history, beside one per segment.
const AllAccounts = "(all)"

// Series is churn and revenue retention period by period for the whole
// history or one segment.
type Series struct {
	Segment string        `json:"segment"`
	Periods []ChurnPeriod `json:"periods"`
}

// Period is churn and revenue retention over one calendar month or
// quarter. The accounts it follows are those that were customers as it
// began: seen before its first day, and not churned or vanished from the
// data before it. Accounts that sign up during the period count from the
// next one.
type ChurnPeriod struct {
	// Period names it: "2024-03" or "2024-Q1".
	Period string        `json:"period"`
	Start  features.Date `json:"start"`
	// End is the first day after the period.
	End features.Date `json:"end"`
	// Partial is set when the data stops before the period ends: churn
	// is counted only up to the last snapshot week.
	Partial   bool    `json:"partial,omitempty"`
	Accounts  int     `json:"accounts_at_start"`
	Churned   int     `json:"churned_accounts"`
	ChurnRate float64 `json:"churn_rate"`
	// Revenue is nil when the file has no ARR or the accounts had none.
	Revenue *Revenue `json:"revenue,omitempty"`
}

// Revenue is the movement of the ARR of a period's starting accounts. An
// account's ARR at a date is the last value reported before it. A churned
// account loses its whole starting ARR; every other account's change
// from start to end is contraction or expansion. ARR of accounts that
// sign up during the period is new business, not retention, and is left
// out.
type Revenue struct {
	Start       float64 `json:"start_arr"`
	Churned     float64 `json:"churned_arr"`
	Contraction float64 `json:"contraction_arr"`
	Expansion   float64 `json:"expansion_arr"`
	// Churn is Churned / Start.
	Churn float64 `json:"revenue_churn"`
	// GRR, gross revenue retention, is (Start - Churned - Contraction) / Start.
	GRR float64 `json:"grr"`
	// NRR, net revenue retention, is GRR plus Expansion / Start.
	NRR float64 `json:"nrr"`
}

// Churn returns churn and revenue retention per period of grain g: the
// whole history first (segment AllAccounts), then each segment of
// Segments. A period with no starting accounts is left out, which always
// drops the first: nobody is seen before the data begins.
func (b *History) Churn(ctx context.Context, g Grain) ([]Series, error) {
	groups := []string{AllAccounts}
	groups = append(groups, b.Segments()...)
	out := make([]Series, 0, len(groups))
	for _, seg := range groups {
		s := Series{Segment: seg, Periods: []ChurnPeriod{}}
		for _, sp := range spans(g, b.First, b.Last) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if p := b.period(sp, seg); p.Accounts > 0 {
				s.Periods = append(s.Periods, p)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// period measures one span for the accounts of segment seg.
func (b *History) period(sp span, seg string) ChurnPeriod {
	p := ChurnPeriod{Period: sp.label, Start: sp.start, End: sp.end, Partial: !covered(b.Last, sp.end)}
	var r Revenue
	for i := range b.accounts {
		a := &b.accounts[i]
		if seg != AllAccounts && a.segmentName() != seg || !a.activeAt(sp.start) {
			continue
		}
		p.Accounts++
		start := a.arrBefore(sp.start)
		r.Start += start
		if a.churn != features.NoDate && a.churn < sp.end {
			p.Churned++
			r.Churned += start
			continue
		}
		if end := a.arrBefore(sp.end); end < start {
			r.Contraction += start - end
		} else {
			r.Expansion += end - start
		}
	}
	if p.Accounts > 0 {
		p.ChurnRate = float64(p.Churned) / float64(p.Accounts)
	}
	if b.HasARR && r.Start > 0 {
		r.Churn = r.Churned / r.Start
		r.GRR = (r.Start - r.Churned - r.Contraction) / r.Start
		r.NRR = (r.Start - r.Churned - r.Contraction + r.Expansion) / r.Start
		p.Revenue = &r
	}
	return p
}
