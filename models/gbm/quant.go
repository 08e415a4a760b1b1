package gbm

// The learner sums gradients as fixed-point integers, a row's gradient
// and hessian packed into one int64: the hessian in the high 32 bits,
// the gradient, signed, in the low 32. Adding two packed values adds
// both halves at once, so a histogram update is a single integer
// addition rather than two floating-point ones, which more than doubles
// the speed of the loop where Fit spends most of its time. Integer sums
// are also exact: they do not depend on the order of the rows, and the
// sibling histogram that the subtraction trick derives is exactly what
// summing its rows would give.
//
// Each half of a sum must stay within 31 bits for the halves not to
// spill into each other, so a row may contribute at most (2^31-1)/n
// units, n the number of training rows: about 3,500 units of gradient
// for 600,000 rows, and four times finer for the hessian, which is at
// most 1/4. Rows are rounded to a unit with a dither, up or down with
// the probabilities that make the rounding unbiased (the quantized
// training of LightGBM), so the error of a sum over m rows grows like
// sqrt(m) units while the sum grows like m. The dither comes from a
// hash of the seed, the tree and the row, which keeps the fit
// reproducible.

// gradScale converts log-loss gradients and hessians to fixed-point
// units.
type gradScale struct {
	g, h float64 // units per 1 of gradient, of hessian
	seed uint64  // the dither's seed
}

func newGradScale(rows int, seed uint64) gradScale {
	// |p - y| <= 1 and p(1-p) <= 1/4.
	unit := float64((1<<31 - 1) / rows)
	return gradScale{g: unit, h: 4 * unit, seed: splitmix64(seed)}
}

// pack returns the packed gradient and hessian of row r for tree t.
func (s gradScale) pack(g, h float64, t, r int) int64 {
	d := splitmix64(s.seed + uint64(t)<<32 + uint64(r))
	// 24 bits of dither for each half are far more than the rounding
	// needs.
	// Through int64: converting a uint64 to a float takes a test of its
	// top bit and a branch; 24 bits convert the same either way.
	dg := float64(int64(d>>40)) * 0x1p-24
	dh := float64(int64(d&(1<<24-1))) * 0x1p-24
	// The offset makes the gradient's value positive, where converting
	// to an integer, which truncates, rounds down.
	const offset = 1 << 31
	gq := int64(g*s.g+dg+offset) - offset
	hq := int64(h*s.h + dh)
	return hq<<32 + gq
}

// unpack splits a packed sum into its gradient and hessian units.
func unpack(x int64) (g, h int64) {
	g = int64(int32(x))
	return g, (x - g) >> 32
}

// value returns the gradient and hessian that the packed sum x stands
// for.
func (s gradScale) value(x int64) (g, h float64) {
	gq, hq := unpack(x)
	return float64(gq) / s.g, float64(hq) / s.h
}

// splitmix64 is the finaliser of the SplitMix64 generator: a cheap hash
// whose outputs for consecutive inputs are independent enough for a
// dither.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// gradient returns the gradient and hessian of the log-loss of a row with
// label y whose log-odds f has e^-f = expNeg.
func gradient(expNeg, y float64) (g, h float64) {
	p := 1 / (1 + expNeg)
	return p - y, p * (1 - p)
}
