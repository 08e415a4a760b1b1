package metrics

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRank compares the radix sort with a stable comparison sort on scores
// of every kind: negative, infinite, signed zeros and many ties.
func TestRank(t *testing.T) {
	special := []float64{math.Inf(-1), -1e300, -2.5, -1, math.Copysign(0, -1), 0, 5e-324, 0.5, 1, 3e8, math.Inf(1)}
	rng := rand.New(rand.NewPCG(4, 2))
	for _, n := range []int{1, 2, 3, 100, 5000} {
		y := make([]float64, n)
		p := make([]float64, n)
		for i := range n {
			y[i] = float64(rng.IntN(2))
			switch rng.IntN(3) {
			case 0:
				p[i] = special[rng.IntN(len(special))]
			case 1:
				p[i] = rng.NormFloat64() * 100
			default:
				p[i] = float64(rng.IntN(5)) / 4 // ties
			}
		}
		type indexed struct {
			rankedRow
			index int
		}
		want := make([]indexed, n)
		for i := range n {
			want[i] = indexed{rankedRow{p[i], y[i] == 1}, i}
		}
		slices.SortStableFunc(want, func(a, b indexed) int { return cmp.Compare(b.score, a.score) })

		got := rank(y, p)
		for i := range n {
			if got[i].score != want[i].score || got[i].positive != want[i].positive {
				t.Fatalf("n=%d: rank[%d] = %+v, want %+v (row %d)", n, i, got[i], want[i].rankedRow, want[i].index)
			}
			if got[i].score == 0 && math.Signbit(got[i].score) {
				t.Fatalf("n=%d: rank[%d] kept a negative zero", n, i)
			}
		}
	}
}
