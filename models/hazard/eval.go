package hazard

import (
	"cmp"
	"math"
	"slices"
)

// Censoring is the Kaplan-Meier estimate of how long rows stay observed,
// for inverse-probability-of-censoring weights (IPCW): G[s] is the
// probability that a row's data reaches s weeks after its week. A row
// whose churn at week T is seen counts 1/G[T]; one seen a customer
// through h counts 1/G[h]. Rows censored before the horizon drop out,
// and those weights make up for them, so accounts that stop reporting
// early do not tilt the figures towards those seen longer.
type Censoring []float64

// NewCensoring estimates the censoring curve of outcomes up to weeks.
// Censoring at s counts after a churn at s, as is usual: the churned row
// was seen through s.
func NewCensoring(outcomes []Outcome, weeks int) Censoring {
	// at[s]: rows still observed at s (churn after s, or censored at s or
	// later); cens[s]: rows censored at s.
	at := make([]float64, weeks+2)
	cens := make([]float64, weeks+2)
	for _, o := range outcomes {
		if o.Weeks < 0 {
			continue
		}
		last := min(o.Weeks, weeks+1)
		if o.Churned {
			last = min(o.Weeks-1, weeks+1) // observed at risk of censoring through T-1
		} else {
			cens[last]++
		}
		for s := 0; s <= last; s++ {
			at[s]++
		}
	}
	g := make(Censoring, weeks+1)
	g[0] = 1
	for s := 1; s <= weeks; s++ {
		g[s] = g[s-1]
		if at[s-1] > 0 {
			g[s] *= 1 - cens[s-1]/at[s-1]
		}
	}
	return g
}

// weight returns the IPCW weight of a row seen through s weeks: 0 when no
// row is (the horizon cannot be judged).
func (g Censoring) weight(s int) float64 {
	if s >= len(g) || g[s] <= 0 {
		return 0
	}
	return 1 / g[s]
}

// AUC is the time-dependent ROC AUC at one horizon.
type AUC struct {
	Weeks int `json:"weeks"`
	// AUC is the cumulative/dynamic ROC AUC: how often a row that churned
	// within Weeks (a case, weighted by IPCW) is ranked above one seen a
	// customer through Weeks (a control). NaN when either is missing.
	AUC      float64 `json:"auc"`
	Cases    int     `json:"cases"`
	Controls int     `json:"controls"`
}

// AUCAt returns the time-dependent ROC AUC at h weeks of the risks (a
// higher risk means churn sooner, such as 1 - S(h)) of rows with the
// outcomes, IPCW-weighted by g. Ties count a half.
func AUCAt(outcomes []Outcome, risk []float64, h int, g Censoring) AUC {
	type row struct {
		r    float64
		w    float64 // case weight, 0 for a control
		ctrl bool
	}
	var rows []row
	res := AUC{Weeks: h}
	for i, o := range outcomes {
		switch {
		case o.Weeks < 1:
		case o.Churned && o.Weeks <= h:
			if w := g.weight(o.Weeks); w > 0 {
				rows = append(rows, row{r: risk[i], w: w})
				res.Cases++
			}
		case o.Weeks >= h && g.weight(h) > 0:
			// Churned after h, or seen a customer through h. Every
			// control has the same weight 1/G[h], which cancels.
			rows = append(rows, row{r: risk[i], ctrl: true})
			res.Controls++
		}
	}
	if res.Cases == 0 || res.Controls == 0 {
		res.AUC = math.NaN()
		return res
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.r, b.r) })
	// Walk up the risks: each case beats the controls below it and ties
	// with those at its risk.
	var below, num, den float64
	for i := 0; i < len(rows); {
		j := i
		var ctrl, cases float64
		for ; j < len(rows) && rows[j].r == rows[i].r; j++ {
			if rows[j].ctrl {
				ctrl++
			} else {
				cases += rows[j].w
			}
		}
		num += cases * (below + ctrl/2)
		den += cases
		below += ctrl
		i = j
	}
	res.AUC = num / (den * below)
	return res
}

// BrierAt returns the IPCW Brier score at h weeks of survival
// probabilities surv (each row's S(h)): a row that churned within h
// scores S(h)², weighted 1/G[T]; one seen a customer through h scores
// (1 - S(h))², weighted 1/G[h]; rows censored before h score 0, and the
// sum is divided by every row (Graf et al.).
func BrierAt(outcomes []Outcome, surv []float64, h int, g Censoring) float64 {
	var sum float64
	n := 0
	for i, o := range outcomes {
		if o.Weeks < 1 {
			continue
		}
		n++
		switch {
		case o.Churned && o.Weeks <= h:
			sum += surv[i] * surv[i] * g.weight(o.Weeks)
		case o.Weeks >= h:
			d := 1 - surv[i]
			sum += d * d * g.weight(h)
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// IntegratedBrier returns the mean of BrierAt over h = 1..weeks of the
// curves (curves[i][h] is row i's S(h)): every week of the half-year
// counts the same.
func IntegratedBrier(outcomes []Outcome, curves [][]float64, weeks int, g Censoring) float64 {
	surv := make([]float64, len(curves))
	sum := 0.0
	for h := 1; h <= weeks; h++ {
		for i, c := range curves {
			surv[i] = c[h]
		}
		sum += BrierAt(outcomes, surv, h, g)
	}
	return sum / float64(weeks)
}

// ChurnedWithin returns the share of rows that churned within h weeks,
// IPCW-weighted by g so that rows censored before h are made up for.
func ChurnedWithin(outcomes []Outcome, h int, g Censoring) float64 {
	var sum float64
	n := 0
	for _, o := range outcomes {
		if o.Weeks < 1 {
			continue
		}
		n++
		if o.Churned && o.Weeks <= h {
			sum += g.weight(o.Weeks)
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
