package metrics

import (
	"errors"
	"fmt"
	"math"
)

// checkScores validates labels y and ranking scores p, and counts the
// positives, which every metric needs.
func checkScores(y, p []float64) (positives int, err error) {
	if len(y) != len(p) {
		return 0, fmt.Errorf("%d labels but %d scores", len(y), len(p))
	}
	if len(y) == 0 {
		return 0, errors.New("no rows")
	}
	for i, v := range y {
		switch v {
		case 1:
			positives++
		case 0:
		default:
			return 0, fmt.Errorf("label %d is %v, want 0 or 1", i, v)
		}
	}
	for i, v := range p {
		if math.IsNaN(v) {
			// NaN has no place in an order, and sorting with it would
			// silently scramble the ranking.
			return 0, fmt.Errorf("score %d is NaN", i)
		}
	}
	return positives, nil
}

// checkProbabilities is checkScores for metrics that read p as a
// probability.
func checkProbabilities(y, p []float64) (positives int, err error) {
	positives, err = checkScores(y, p)
	if err != nil {
		return 0, err
	}
	for i, v := range p {
		if v < 0 || v > 1 {
			return 0, fmt.Errorf("probability %d is %v, outside [0, 1]", i, v)
		}
	}
	return positives, nil
}

// rankedRow is one row of a ranking. The label travels with the score so
// that the walks over a ranking read memory in order.
type rankedRow struct {
	score    float64
	positive bool
}

// rank orders the rows by score, highest first, and equal scores by row
// index. It is a least-significant-digit radix sort on the bits of the
// scores: being stable, it keeps equal scores in index order for free, and
// at O(n) it is several times faster than a comparison sort on the
// half-million-row inputs the package is made for.
func rank(y, p []float64) []rankedRow {
	n := len(p)
	rows := make([]rankedRow, n)
	// counts[d][v] counts the keys whose d-th byte is v; one pass fills
	// all eight histograms.
	var counts [8][256]int
	for i, s := range p {
		if s == 0 {
			s = 0 // −0 would get a key of its own, and break ties by sign
		}
		rows[i] = rankedRow{score: s, positive: y[i] == 1}
		k := descendingKey(s)
		for d := range counts {
			counts[d][byte(k>>(8*d))]++
		}
	}
	buf := make([]rankedRow, n)
	for d := range counts {
		c := &counts[d]
		if n == 0 || c[byte(descendingKey(rows[0].score)>>(8*d))] == n {
			continue // every key has the same byte here: nothing to move
		}
		next := 0
		for v, count := range c {
			c[v] = next
			next += count
		}
		for _, r := range rows {
			v := byte(descendingKey(r.score) >> (8 * d))
			buf[c[v]] = r
			c[v]++
		}
		rows, buf = buf, rows
	}
	return rows
}

// descendingKey maps a score to an integer whose ascending order is the
// descending order of the scores. The IEEE 754 bits order non-negative
// floats correctly as integers; setting the sign bit lifts them above the
// negatives, whose bits are flipped so that larger magnitudes come first.
// The final complement reverses the whole order.
func descendingKey(s float64) uint64 {
	b := math.Float64bits(s)
	if b>>63 == 1 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return ^b
}

// tieGroup returns the end of the run of equal scores that starts at
// rows[start], and how many positives and negatives it holds.
func tieGroup(rows []rankedRow, start int) (end, positives, negatives int) {
	end = start
	for end < len(rows) && rows[end].score == rows[start].score {
		if rows[end].positive {
			positives++
		} else {
			negatives++
		}
		end++
	}
	return end, positives, negatives
}
