package metrics

import "math"

// Lift describes the rows a model ranks highest: how many positives a
// retention team would reach by working the top of the list.
type Lift struct {
	// Fraction is the share of rows asked for.
	Fraction float64 `json:"fraction"`
	// Rows is the number of rows taken, ⌈Fraction·n⌉ and at least one.
	Rows int `json:"rows"`
	// Positives counts the positives among them.
	Positives int `json:"positives"`
	// Precision is Positives/Rows.
	Precision float64 `json:"precision"`
	// Lift is Precision over the base rate: how many times better than
	// picking rows at random. NaN when there are no positives at all.
	Lift float64 `json:"lift"`
	// Capture is the share of all positives that fall in the rows taken
	// (recall at this depth). NaN when there are no positives at all.
	Capture float64 `json:"capture"`
}

// TopFraction returns the Lift of the top frac of rows by score p, frac in
// (0, 1]. Rows with equal scores are taken in index order, so that a cut
// through a tie is reproducible. For a frac outside (0, 1] or malformed
// input the counts are zero and the ratios NaN.
func TopFraction(y, p []float64, frac float64) Lift {
	positives, err := checkScores(y, p)
	if err != nil || !(frac > 0 && frac <= 1) {
		nan := math.NaN()
		return Lift{Fraction: frac, Precision: nan, Lift: nan, Capture: nan}
	}
	return topFraction(rank(y, p), positives, frac)
}

func topFraction(rows []rankedRow, positives int, frac float64) Lift {
	n := len(rows)
	// frac is typically a decimal such as 0.1 that float64 cannot hold
	// exactly: 0.1·30 is 3.0000000000000004, whose ceiling would take a
	// fourth row. Shaving a relative 1e-12 off absorbs that rounding; no
	// meaningful fraction lands that close above a whole row count.
	k := int(math.Ceil(frac * float64(n) * (1 - 1e-12)))
	k = min(max(k, 1), n)
	hits := 0
	for _, r := range rows[:k] {
		if r.positive {
			hits++
		}
	}
	precision := float64(hits) / float64(k)
	return Lift{
		Fraction:  frac,
		Rows:      k,
		Positives: hits,
		Precision: precision,
		Lift:      precision / (float64(positives) / float64(n)),
		Capture:   float64(hits) / float64(positives),
	}
}
