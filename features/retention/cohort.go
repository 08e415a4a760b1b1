package retention

import (
	"cmp"
	"context"
	"slices"

	"github.com/churnlabs/churn/features"
)

// Cohorts are sign-up cohorts with their retention curves.
type Cohorts struct {
	// Grain is "month" or "quarter": how sign-ups are grouped.
	Grain string `json:"grain"`
	// LeftCensored counts the accounts already present in the data's
	// first week. Their sign-up is earlier and unknown, so they belong to
	// no cohort and are left out of every curve.
	LeftCensored int      `json:"left_censored_accounts"`
	Cohorts      []Cohort `json:"cohorts"`
}

// Cohort is the accounts whose first snapshot falls in one month or
// quarter, taken as their sign-up.
type Cohort struct {
	Cohort   string `json:"cohort"`
	Accounts int    `json:"accounts"`
	// Curve holds a point for every month after sign-up that the data
	// covers for the whole cohort; it is empty for a cohort too young to
	// have one.
	Curve []CohortPoint `json:"curve"`
}

// CohortPoint is the share of a cohort still a customer at the end of the
// Months-th calendar month after each account's sign-up month (0 is the
// sign-up month itself). An account that churned by then counts as lost;
// one seen in that month's last week or later as retained; one that
// vanished from the data without churning is unknown and left out of
// Observed.
type CohortPoint struct {
	Months   int     `json:"months_since_signup"`
	Observed int     `json:"observed"`
	Retained int     `json:"retained"`
	Share    float64 `json:"share"`
}

// Cohorts groups the accounts by sign-up month or quarter and follows
// each group month by month.
func (b *History) Cohorts(ctx context.Context, g Grain) (Cohorts, error) {
	out := Cohorts{Grain: g.String(), Cohorts: []Cohort{}}
	type member struct {
		a      *account
		signup month
	}
	groups := map[month][]member{}
	for i := range b.accounts {
		a := &b.accounts[i]
		if a.first == b.First {
			out.LeftCensored++
			continue
		}
		m := monthOf(a.first)
		groups[m.period(g)] = append(groups[m.period(g)], member{a, m})
	}
	keys := make([]month, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return Cohorts{}, err
		}
		members := groups[k]
		c := Cohort{Cohort: k.label(g), Accounts: len(members), Curve: []CohortPoint{}}
		for months := 0; ; months++ {
			var p CohortPoint
			complete := true
			for _, m := range members {
				end := (m.signup + month(months) + 1).start()
				if !covered(b.Last, end) {
					complete = false
					break
				}
				switch a := m.a; {
				case a.churn != features.NoDate && a.churn < end:
					p.Observed++
				case covered(a.last, end):
					p.Observed++
					p.Retained++
				}
			}
			if !complete || p.Observed == 0 {
				break
			}
			p.Months, p.Share = months, float64(p.Retained)/float64(p.Observed)
			c.Curve = append(c.Curve, p)
		}
		out.Cohorts = append(out.Cohorts, c)
	}
	return out, nil
}
