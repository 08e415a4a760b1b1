package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Isotonic is a non-decreasing step function from a model's score to a
// calibrated probability, fitted by isotonic regression. It is flexible
// enough to fix any monotone miscalibration, but unlike Platt scaling it
// is not affine in log-odds, so it cannot keep per-feature contributions
// exact; it serves to show how far a model is from calibrated.
type Isotonic struct {
	// X holds, in increasing order, the lowest training score of each
	// step.
	X []float64 `json:"x"`
	// Y holds each step's probability, in increasing order.
	Y []float64 `json:"y"`
}

// FitIsotonic fits the non-decreasing function of scores p that is closest
// to labels y in squared error, by pooling adjacent violators. The same
// function minimizes the log-loss, so it never does worse than the raw
// scores on either measure over its training data. Rows with equal scores
// are pooled first, because a function must give them one value.
//
// FitIsotonic returns an error when the input is malformed (see the
// package documentation).
func FitIsotonic(p, y []float64) (Isotonic, error) {
	if _, err := checkScores(y, p); err != nil {
		return Isotonic{}, fmt.Errorf("fit isotonic: %w", err)
	}
	rows := rank(y, p)

	// A block is a run of rows pooled into one step; its value is
	// positives/rows. Both are integers held exactly, so comparing two
	// blocks by cross-multiplying is exact and equal steps merge.
	type block struct {
		lo              float64
		positives, rows float64
	}
	var blocks []block
	// rank puts the highest score first, so walk it backwards.
	for end := len(rows); end > 0; {
		start := end - 1
		for start > 0 && rows[start-1].score == rows[end-1].score {
			start--
		}
		b := block{lo: rows[start].score, rows: float64(end - start)}
		for _, r := range rows[start:end] {
			if r.positive {
				b.positives++
			}
		}
		end = start
		for len(blocks) > 0 {
			last := blocks[len(blocks)-1]
			if last.positives*b.rows < b.positives*last.rows {
				break
			}
			blocks = blocks[:len(blocks)-1]
			b = block{lo: last.lo, positives: last.positives + b.positives, rows: last.rows + b.rows}
		}
		blocks = append(blocks, b)
	}

	c := Isotonic{X: make([]float64, len(blocks)), Y: make([]float64, len(blocks))}
	for i, b := range blocks {
		c.X[i] = b.lo
		c.Y[i] = b.positives / b.rows
	}
	return c, nil
}

// Predict returns the calibrated probability of score p: the value of the
// last step whose lowest training score is at most p. Scores below every
// step take the first step's value. Predict returns NaN for a NaN score or
// an unfitted Isotonic.
func (c Isotonic) Predict(p float64) float64 {
	if math.IsNaN(p) || len(c.X) == 0 || len(c.X) != len(c.Y) {
		return math.NaN()
	}
	i, found := slices.BinarySearch(c.X, p)
	if !found {
		i = max(i-1, 0)
	}
	return c.Y[i]
}
