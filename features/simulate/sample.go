package simulate

import (
	"math"
	"math/rand/v2"
)

// The samplers below trade some exactness of shape for speed: they run
// several times per row, and a simulated count needs the right mean and
// spread more than a textbook skew.

// chance reports whether an event of probability p happens.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// uniform returns a value uniformly distributed in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// logNormal returns a log-normal value with the given median and log-scale
// spread: a natural shape for team sizes, prices and usage intensities.
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// poisson returns a Poisson count with the given mean. Small means use
// inversion with one uniform, whose cost grows with the mean; larger ones
// a rounded normal, whose skew is off by less than 0.25 there.
func poisson(r *rand.Rand, mean float64) int64 {
	switch {
	case !(mean > 0):
		return 0
	case mean >= normalPoisson:
		return max(0, int64(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	u := r.Float64()
	if u <= 1-mean {
		// exp(-mean) >= 1-mean, so this u falls on zero: the common case
		// for rare events, settled without computing the exponential.
		return 0
	}
	p := math.Exp(-mean)
	cdf := p
	var k int64
	// The bound stops a u rounding above the accumulated cdf from looping
	// far beyond any count the mean could plausibly produce.
	for u > cdf && k < 200 {
		k++
		p *= mean / float64(k)
		cdf += p
	}
	return k
}

// binomial returns the number of successes in n trials of probability p.
// A few trials are simply played out, which beats a power; otherwise
// small variances use inversion with one uniform and large ones a
// rounded normal clamped to [0, n].
func binomial(r *rand.Rand, n int64, p float64) int64 {
	switch {
	case n <= 0 || !(p > 0):
		return 0
	case p >= 1:
		return n
	case p > 0.5:
		// Inversion walks up from zero, so it is fastest for the rarer
		// outcome: count failures instead.
		return n - binomial(r, n, 1-p)
	}
	if n <= smallTrials {
		var k int64
		for range n {
			if r.Float64() < p {
				k++
			}
		}
		return k
	}
	q := 1 - p
	if v := float64(n) * p * q; v >= 9 {
		x := math.Round(float64(n)*p + math.Sqrt(v)*r.NormFloat64())
		return min(n, max(0, int64(x)))
	}
	u := r.Float64()
	pk := math.Pow(q, float64(n))
	cdf := pk
	var k int64
	for u > cdf && k < n {
		k++
		pk *= float64(n-k+1) / float64(k) * p / q
		cdf += pk
	}
	return k
}

// normalPoisson is the mean from which poisson draws a normal.
const normalPoisson = 16

// smallTrials is the most trials binomial plays out one by one.
const smallTrials = 16

// sigmoid maps a log-odds to a probability.
func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
