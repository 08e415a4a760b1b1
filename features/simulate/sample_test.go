package simulate

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPoisson(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, mean := range []float64{0, 0.03, 0.5, 3, 12, normalPoisson, 40, 2500} {
		const n = 40000
		var sum, sq float64
		for range n {
			k := poisson(r, mean)
			if k < 0 {
				t.Fatalf("poisson(%g) = %d", mean, k)
			}
			sum += float64(k)
			sq += float64(k) * float64(k)
		}
		m := sum / n
		v := sq/n - m*m
		// Mean within 4 standard errors; a Poisson's variance equals its
		// mean (up to the normal's rounding).
		if se := math.Sqrt(mean / n); math.Abs(m-mean) > 4*se+1e-9 {
			t.Errorf("poisson(%g): mean %.4f", mean, m)
		}
		if math.Abs(v-mean) > 0.05*mean+0.1 {
			t.Errorf("poisson(%g): variance %.4f", mean, v)
		}
	}
	for _, bad := range []float64{-1, math.NaN()} {
		if k := poisson(r, bad); k != 0 {
			t.Errorf("poisson(%g) = %d, want 0", bad, k)
		}
	}
}

func TestBinomial(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		n int64
		p float64
	}{
		{0, 0.5}, {1, 0.3}, {7, 0.6}, {smallTrials, 0.05}, {25, 0.2}, {25, 0.97},
		{200, 0.01}, {200, 0.5}, {3000, 0.7}, {5, 0}, {5, 1},
	}
	for _, tt := range tests {
		const n = 40000
		var sum, sq float64
		for range n {
			k := binomial(r, tt.n, tt.p)
			if k < 0 || k > tt.n {
				t.Fatalf("binomial(%d, %g) = %d", tt.n, tt.p, k)
			}
			sum += float64(k)
			sq += float64(k) * float64(k)
		}
		mean, variance := float64(tt.n)*tt.p, float64(tt.n)*tt.p*(1-tt.p)
		m := sum / n
		v := sq/n - m*m
		if math.Abs(m-mean) > 4*math.Sqrt(variance/n)+1e-9 {
			t.Errorf("binomial(%d, %g): mean %.4f, want %.4f", tt.n, tt.p, m, mean)
		}
		if math.Abs(v-variance) > 0.05*variance+0.1 {
			t.Errorf("binomial(%d, %g): variance %.4f, want %.4f", tt.n, tt.p, v, variance)
		}
	}
}

func TestLastActionGap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		k    int64
		days int
	}{{1, 7}, {3, 7}, {64, 7}, {1, 3}, {2, 1}}
	for _, tt := range tests {
		const n = 60000
		counts := make([]float64, tt.days)
		for range n {
			g := lastActionGap(r, tt.k, tt.days)
			if g < 0 || g >= int64(tt.days) {
				t.Fatalf("lastActionGap(%d, %d) = %d", tt.k, tt.days, g)
			}
			counts[g]++
		}
		// The gap is at least j when all k actions fell in the first
		// days-j days.
		for j := range tt.days {
			var atLeast float64
			for _, c := range counts[j:] {
				atLeast += c
			}
			want := math.Pow(float64(tt.days-j)/float64(tt.days), float64(tt.k))
			if got := atLeast / n; math.Abs(got-want) > 0.01 {
				t.Errorf("lastActionGap(%d, %d): P(gap >= %d) = %.4f, want %.4f", tt.k, tt.days, j, got, want)
			}
		}
	}
}
