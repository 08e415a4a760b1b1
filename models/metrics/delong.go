package metrics

import (
	"fmt"
	"math"
	"slices"
)

// AUCComparison is DeLong's test of the difference between the ROC AUCs
// of two scores of the same rows: two models validated on the same
// account-weeks. Their ROC curves are correlated, since both rank the
// same accounts, so comparing each AUC's own confidence interval would be
// wrong (and too cautious); DeLong, DeLong and Clarke-Pearson (1988)
// estimate the covariance of the two AUCs from the same placement values
// that give each AUC's variance.
type AUCComparison struct {
	// A and B are the ROC AUCs of the first and the second score.
	A, B float64
	// Diff is A − B.
	Diff float64
	// SE is the standard error of Diff.
	SE float64
	// Z is Diff / SE, standard normal when the two AUCs are equal; it is
	// 0 when both scores rank every pair alike (SE and Diff 0).
	Z float64
	// P is the two-sided p-value of Z.
	P float64
	// Positives and Negatives count the rows of each class.
	Positives, Negatives int
}

// Interval returns the two-sided confidence interval of Diff at level
// (0.95 for 95%), from the normal approximation the test rests on.
func (c AUCComparison) Interval(level float64) (lo, hi float64) {
	z := math.Sqrt2 * math.Erfinv(level)
	return c.Diff - z*c.SE, c.Diff + z*c.SE
}

// CompareAUC runs DeLong's test on scores a and b of the rows labelled y.
// Scores are only ranked, so probabilities and log-odds give the same
// answer; ties count one half, as in ROCAUC. It uses the midrank
// formulation of Sun and Xu (2014), O(n log n) rather than the
// definition's O(positives × negatives), so it runs on a year of
// account-weeks. It fails on malformed input and when y holds one class.
func CompareAUC(y, a, b []float64) (AUCComparison, error) {
	positives, err := checkScores(y, a)
	if err != nil {
		return AUCComparison{}, fmt.Errorf("first scores: %w", err)
	}
	if _, err := checkScores(y, b); err != nil {
		return AUCComparison{}, fmt.Errorf("second scores: %w", err)
	}
	negatives := len(y) - positives
	if positives < 2 || negatives < 2 {
		// The placement variances divide by the class sizes minus one.
		return AUCComparison{}, fmt.Errorf("%d positives and %d negatives: DeLong's test needs at least 2 of each", positives, negatives)
	}
	va10, va01 := placements(y, a, positives)
	vb10, vb01 := placements(y, b, positives)
	c := AUCComparison{A: mean(va10), B: mean(vb10), Positives: positives, Negatives: negatives}
	c.Diff = c.A - c.B
	// Var(A − B) = Var(A) + Var(B) − 2 Cov(A, B), each term the sum of
	// the positives' and the negatives' placement (co)variances over the
	// class size.
	m, n := float64(positives), float64(negatives)
	v := (covariance(va10, va10)+covariance(vb10, vb10)-2*covariance(va10, vb10))/m +
		(covariance(va01, va01)+covariance(vb01, vb01)-2*covariance(va01, vb01))/n
	c.SE = math.Sqrt(max(v, 0))
	switch {
	case c.SE > 0:
		c.Z = c.Diff / c.SE
	case c.Diff == 0:
		c.Z = 0
	default:
		c.Z = math.Copysign(math.Inf(1), c.Diff)
	}
	c.P = math.Erfc(math.Abs(c.Z) / math.Sqrt2)
	return c, nil
}

// placements returns the structural components of the AUC of scores p:
// for each positive, the share of negatives it outscores (v10), and for
// each negative, the share of positives that outscore it (v01), a tie
// counting one half. Both means are the AUC. With midranks (average ranks
// of tied scores) they are differences of ranks: a positive's rank among
// all rows less its rank among the positives counts the negatives below
// it.
func placements(y, p []float64, positives int) (v10, v01 []float64) {
	var pos, neg []float64
	pos = make([]float64, 0, positives)
	neg = make([]float64, 0, len(y)-positives)
	for i, s := range p {
		if y[i] == 1 {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
	}
	all := append(slices.Clone(pos), neg...)
	rAll, rPos, rNeg := midranks(all), midranks(pos), midranks(neg)
	m, n := float64(len(pos)), float64(len(neg))
	v10 = make([]float64, len(pos))
	for i := range pos {
		v10[i] = (rAll[i] - rPos[i]) / n
	}
	v01 = make([]float64, len(neg))
	for j := range neg {
		v01[j] = 1 - (rAll[len(pos)+j]-rNeg[j])/m
	}
	return v10, v01
}

// midranks returns the 1-based rank of each value in ascending order,
// tied values sharing the average of their ranks.
func midranks(x []float64) []float64 {
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		// Not cmp.Compare: it orders −0 before 0, which are one score.
		switch a, b := x[i], x[j]; {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	r := make([]float64, len(x))
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && x[order[end]] == x[order[start]] {
			end++
		}
		// Ranks start+1 … end share their mean.
		avg := float64(start+1+end) / 2
		for _, k := range order[start:end] {
			r[k] = avg
		}
		start = end
	}
	return r
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// covariance is the sample covariance of x and y, over len − 1.
func covariance(x, y []float64) float64 {
	mx, my := mean(x), mean(y)
	var s float64
	for i := range x {
		s += (x[i] - mx) * (y[i] - my)
	}
	return s / float64(len(x)-1)
}

// AUCEstimate is one ROC AUC with DeLong's standard error: how far the
// AUC of these rows may stray from the score's true ranking power.
type AUCEstimate struct {
	AUC float64
	// SE is DeLong's standard error of AUC; 0 when every positive
	// outscores every negative (or the reverse).
	SE float64
	// Positives and Negatives count the rows of each class.
	Positives, Negatives int
}

// Interval returns the two-sided confidence interval of the AUC at level
// (0.95 for 95%), from the normal approximation, clipped to [0, 1] where
// an AUC lives.
func (e AUCEstimate) Interval(level float64) (lo, hi float64) {
	z := math.Sqrt2 * math.Erfinv(level)
	return max(0, e.AUC-z*e.SE), min(1, e.AUC+z*e.SE)
}

// DeLongAUC returns the ROC AUC of scores p for labels y with DeLong's
// standard error, from the same placement values as CompareAUC. It fails
// on malformed input and with fewer than 2 rows of either class.
func DeLongAUC(y, p []float64) (AUCEstimate, error) {
	positives, err := checkScores(y, p)
	if err != nil {
		return AUCEstimate{}, err
	}
	negatives := len(y) - positives
	if positives < 2 || negatives < 2 {
		return AUCEstimate{}, fmt.Errorf("%d positives and %d negatives: DeLong's interval needs at least 2 of each", positives, negatives)
	}
	v10, v01 := placements(y, p, positives)
	v := covariance(v10, v10)/float64(positives) + covariance(v01, v01)/float64(negatives)
	return AUCEstimate{AUC: mean(v10), SE: math.Sqrt(max(v, 0)), Positives: positives, Negatives: negatives}, nil
}
