package metrics

import (
	"fmt"
	"math"
	"testing"
)

func TestROCAUC(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name string
		y, p []float64
		want float64
	}{
		{"perfect", []float64{0, 0, 1, 1}, []float64{0.1, 0.2, 0.3, 0.4}, 1},
		{"reversed", []float64{0, 0, 1, 1}, []float64{0.4, 0.3, 0.2, 0.1}, 0},
		{"all equal", []float64{0, 1, 0, 1, 1}, []float64{0.3, 0.3, 0.3, 0.3, 0.3}, 0.5},
		// Positive 0.35 beats negative 0.1 only (1 pair), positive 0.8
		// beats both (2 pairs): 3 of 2·2 pairs.
		{"one swap", []float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75},
		// Positives {0.9, 0.5, 0.3}, negatives {0.9, 0.3, 0.1}:
		// 0.9 ties 0.9 (½) and beats 0.3 and 0.1 (2) = 2.5;
		// 0.5 beats 0.3 and 0.1 = 2; 0.3 ties 0.3 (½) and beats 0.1 = 1.5.
		// 6 of 9 pairs.
		{"ties", []float64{1, 0, 1, 0, 1, 0}, []float64{0.9, 0.9, 0.5, 0.3, 0.3, 0.1}, 6.0 / 9},
		// Log-odds may be infinite: positive 0 beats -Inf (1), +Inf beats
		// -Inf and 3 (2): 3 of 4 pairs.
		{"infinite log-odds", []float64{0, 1, 0, 1}, []float64{-inf, 0, 3, inf}, 0.75},
		{"only negatives", []float64{0, 0, 0}, []float64{0.1, 0.5, 0.9}, math.NaN()},
		{"only positives", []float64{1, 1}, []float64{0.1, 0.9}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ROCAUC(tt.y, tt.p); !near(got, tt.want, 1e-12) {
				t.Errorf("ROCAUC = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPRAUC(t *testing.T) {
	tests := []struct {
		name string
		y, p []float64
		want float64
	}{
		// Thresholds 0.9: P=1, recall +½; 0.8: nothing new; 0.7: P=2/3,
		// recall +½. AP = ½·1 + ½·⅔ = 5/6 ≈ 0.8333. The trapezoid area
		// through (0,1) (½,1) (½,½) (1,⅔) (1,½) is ½ + ½·(½+⅔)/2 ≈ 0.7917.
		{"differs from trapezoid", []float64{1, 0, 1, 0}, []float64{0.9, 0.8, 0.7, 0.6}, 5.0 / 6},
		// Thresholds 0.9: TP 0 of 1; 0.8: TP 2 of 4, recall +⅔; 0.3: TP 3
		// of 5, recall +⅓. AP = ⅔·½ + ⅓·⅗ = 8/15. Splitting the tie by
		// index would give (½ + ⅔ + ⅗)/3 = 53/90 instead.
		{"ties form one threshold", []float64{0, 1, 1, 0, 1}, []float64{0.9, 0.8, 0.8, 0.8, 0.3}, 8.0 / 15},
		// One threshold: precision is the base rate, recall jumps to 1.
		{"all equal", []float64{1, 0, 0, 0}, []float64{0.5, 0.5, 0.5, 0.5}, 0.25},
		{"perfect", []float64{0, 0, 1, 1}, []float64{0.1, 0.2, 0.3, 0.4}, 1},
		// Positives come third and fourth: (⅓ + 2/4)/2 = 5/12.
		{"reversed", []float64{0, 0, 1, 1}, []float64{0.4, 0.3, 0.2, 0.1}, 5.0 / 12},
		{"only positives", []float64{1, 1}, []float64{0.1, 0.9}, 1},
		{"only negatives", []float64{0, 0}, []float64{0.1, 0.9}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PRAUC(tt.y, tt.p); !near(got, tt.want, 1e-12) {
				t.Errorf("PRAUC = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRankingMetricsAgainstBruteForce checks the O(n log n) walks against
// their O(n²) definitions on data with many ties.
func TestRankingMetricsAgainstBruteForce(t *testing.T) {
	for _, n := range []int{2, 7, 50, 400} {
		z, y := simulate(n, 1, -1, uint64(n))
		for i := range z {
			z[i] = math.Round(z[i] * 2) // coarse scores: many ties
		}
		if got, want := ROCAUC(y, z), bruteROCAUC(y, z); !near(got, want, 1e-12) {
			t.Errorf("n=%d: ROCAUC = %v, brute force %v", n, got, want)
		}
		if got, want := PRAUC(y, z), brutePRAUC(y, z); !near(got, want, 1e-12) {
			t.Errorf("n=%d: PRAUC = %v, brute force %v", n, got, want)
		}
	}
}

// bruteROCAUC compares every positive with every negative.
func bruteROCAUC(y, p []float64) float64 {
	var right, pairs float64
	for i := range y {
		for j := range y {
			if y[i] != 1 || y[j] != 0 {
				continue
			}
			pairs++
			switch {
			case p[i] > p[j]:
				right++
			case p[i] == p[j]:
				right += 0.5
			}
		}
	}
	return right / pairs // NaN when pairs == 0
}

// brutePRAUC sums precision × recall step over every distinct threshold,
// counting the rows at or above it from scratch.
func brutePRAUC(y, p []float64) float64 {
	positives := 0.0
	for _, v := range y {
		positives += v
	}
	if positives == 0 {
		return math.NaN()
	}
	var ap, prevRecall float64
	seen := map[float64]bool{}
	for {
		// The next threshold is the highest score not yet used.
		t := math.Inf(-1)
		found := false
		for _, s := range p {
			if !seen[s] && (!found || s > t) {
				t, found = s, true
			}
		}
		if !found {
			return ap
		}
		seen[t] = true
		var tp, flagged float64
		for i, s := range p {
			if s >= t {
				flagged++
				tp += y[i]
			}
		}
		recall := tp / positives
		ap += (recall - prevRecall) * tp / flagged
		prevRecall = recall
	}
}

func ExampleROCAUC() {
	y := []float64{0, 0, 1, 1}
	p := []float64{0.1, 0.4, 0.35, 0.8}
	// Three of the four positive–negative pairs are ordered correctly.
	fmt.Println(ROCAUC(y, p))
	// Output: 0.75
}

func BenchmarkROCAUC(b *testing.B) {
	z, y := simulate(500_000, 1, -2, 1)
	p := probabilities(z)
	b.ReportAllocs()
	for b.Loop() {
		ROCAUC(y, p)
	}
}
