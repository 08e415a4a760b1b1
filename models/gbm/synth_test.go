package gbm

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/churnlabs/churn/features"
)

// synthetic returns a churn-like dataset of n rows and p >= 8 features
// whose labels are drawn from P(y=1) = sigmoid(truth(x)), and truth. The
// signal has thresholds, an interaction, a smooth term and missingness
// that is itself informative; the features past the eighth are noise.
// Counts are small integers, so many rows tie at every cut.
func synthetic(n, p int, seed uint64) (*features.Dataset, func(x []float64) float64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	truth := func(x []float64) float64 {
		f := -2.0
		if x[0] < 2 { // few logins
			f += 1.5
		}
		f += 0.4 * x[1] * x[2]    // SLA breaches amplify overdue invoices
		f -= 0.03 * min(x[3], 60) // activity protects
		if math.IsNaN(x[4]) {     // unknown ARR
			f += 0.8
		} else {
			f -= 0.2 * math.Log1p(x[4])
		}
		f += math.Sin(x[5])
		if x[6] > 0.5 && x[7] > 0.5 {
			f += 1
		}
		return f
	}
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
		x[0] = float64(rng.IntN(8))
		x[1] = float64(rng.IntN(3))
		x[2] = float64(rng.IntN(4))
		x[3] = math.Floor(rng.ExpFloat64() * 20)
		x[4] = math.Exp(rng.NormFloat64()*1.5 + 8)
		if rng.IntN(5) == 0 {
			x[4] = math.NaN()
		}
		x[5] = rng.Float64() * 6
		x[6], x[7] = rng.Float64(), rng.Float64()
		for j := 8; j < p; j++ {
			x[j] = rng.NormFloat64()
			if rng.IntN(10) == 0 {
				x[j] = math.NaN()
			}
		}
		var y float64
		if rng.Float64() < 1/(1+math.Exp(-truth(x))) {
			y = 1
		}
		ds.Append(fmt.Sprintf("a%d", i), features.Date(i%52), x)
		ds.Label = append(ds.Label, y)
	}
	return ds, truth
}

// auc returns the area under the ROC curve of scores for the 0/1 labels:
// the probability that a random positive outscores a random negative,
// ties counting half.
func auc(scores, labels []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		midRank := float64(i+j+1) / 2 // mean of the 1-based ranks i+1..j
		for _, k := range idx[i:j] {
			if labels[k] == 1 {
				pos++
				rankSum += midRank
			} else {
				neg++
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// scores applies f to every row of ds.
func scores(ds *features.Dataset, f func(x []float64) float64) []float64 {
	s := make([]float64, ds.Len())
	for i := range s {
		s[i] = f(ds.Row(i))
	}
	return s
}

// meanLogLoss returns the mean log-loss of the labels of ds under f, a
// log-odds function.
func meanLogLoss(ds *features.Dataset, f func(x []float64) float64) float64 {
	var sum float64
	for i := range ds.Len() {
		sum += logLoss(f(ds.Row(i)), ds.Label[i])
	}
	return sum / float64(ds.Len())
}
