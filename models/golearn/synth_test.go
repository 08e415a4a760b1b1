package golearn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/churnlabs/churn/features"
)

// churnLike returns n rows of p >= 4 features whose churn depends on
// thresholds of three of them: few logins (column 0), a long time since
// the last key action (column 1, unknown for a tenth of the rows) and
// repeated SLA breaches (column 2). Column 3 is a count with no signal
// and the rest are continuous noise, almost every value distinct: the
// worst case for golearn's CART, which tries every distinct value.
func churnLike(n, p int, seed uint64) *features.Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	ds := &features.Dataset{
		AccountID: make([]string, 0, n),
		Week:      make([]features.Date, 0, n),
		X:         make([]float64, 0, n*p),
		Label:     make([]float64, 0, n),
	}
	for j := range p {
		ds.Features = append(ds.Features, fmt.Sprintf("x%d", j))
	}
	x := make([]float64, p)
	for i := range n {
		x[0] = float64(rng.IntN(12))
		x[1] = math.Round(rng.ExpFloat64()*20*10) / 10
		if rng.IntN(10) == 0 {
			x[1] = math.NaN()
		}
		x[2] = float64(rng.IntN(4))
		x[3] = float64(rng.IntN(5))
		for j := 4; j < p; j++ {
			x[j] = rng.NormFloat64()
		}
		var y float64
		if rng.Float64() < 1/(1+math.Exp(-churnLogit(x))) {
			y = 1
		}
		ds.Append(fmt.Sprintf("a%d", i), features.Date(20000+i%52*7), x)
		ds.Label = append(ds.Label, y)
	}
	return ds
}

// churnLogit is the true log-odds of churn of a churnLike row. A NaN
// time since the last action counts as recent, as a comparison with NaN
// is false.
func churnLogit(x []float64) float64 {
	logit := -2.5
	if x[0] < 3 {
		logit += 1.8
	}
	if x[1] > 30 {
		logit += 1.4
	}
	if x[2] >= 2 {
		logit += 1.1
	}
	return logit
}
