package logistic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/churnlabs/churn/features"
)

// synthetic returns n labelled rows of p churn-like features. Each
// feature is a monotone transform of a latent standard normal (counts,
// days, a log-normal revenue, Gaussian extras), some with missing
// values, and the label is drawn from a logistic model of the latents.
// The transforms make the model mildly misspecified in the raw features,
// as real data is, and give the features very different scales.
func synthetic(n, p int, seed uint64) *features.Dataset {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ds := &features.Dataset{
		X:     make([]float64, 0, n*p),
		Label: make([]float64, 0, n),
	}
	for j := range p {
		ds.Features = append(ds.Features, fmt.Sprintf("f%02d", j))
	}
	x := make([]float64, p)
	for i := range n {
		logit := -2.0
		for j := range x {
			u := rng.NormFloat64()
			// Every third feature carries no signal, so a fit has noise
			// to ignore; the rest weaken and alternate in sign.
			if j%3 != 2 {
				sign := 1.0
				if j%2 == 1 {
					sign = -1
				}
				logit += sign * 0.8 / (1 + float64(j)/4) * u
			}
			x[j] = rawFeature(j, u, rng)
		}
		ds.Append(fmt.Sprintf("acct-%06d", i), features.Date(19000+7*(i%104)), x)
		y := 0.0
		if rng.Float64() < sigmoid(logit) {
			y = 1
		}
		ds.Label = append(ds.Label, y)
	}
	return ds
}

// rawFeature maps latent u to the raw value of feature j.
func rawFeature(j int, u float64, rng *rand.Rand) float64 {
	switch j % 5 {
	case 0: // weekly logins
		return math.Floor(math.Exp(1.5 + 0.6*u))
	case 1: // recency in days, clipped to a year
		return math.Min(365, math.Floor(30*math.Exp(0.8*u)))
	case 2: // ARR, unknown for some accounts
		if rng.Float64() < 0.1 {
			return math.NaN()
		}
		return 20000 * math.Exp(u)
	case 3: // SLA breaches, a small count
		return math.Max(0, math.Round(1+u))
	default: // an extra signal, sometimes missing
		if rng.Float64() < 0.03 {
			return math.NaN()
		}
		return 5 + 2*u
	}
}

// binaryData returns a dataset with one 0/1 feature and the given
// number of rows of each (feature value, label) cell: cells[g][y].
func binaryData(cells [2][2]int) *features.Dataset {
	ds := &features.Dataset{Features: []string{"flag"}}
	for g := range 2 {
		for y := range 2 {
			for range cells[g][y] {
				ds.Append(fmt.Sprintf("a%d", ds.Len()), 0, []float64{float64(g)})
				ds.Label = append(ds.Label, float64(y))
			}
		}
	}
	return ds
}

// auc is the area under the ROC curve of score against the 0/1 labels:
// the probability that a random positive outscores a random negative,
// ties counting half.
func auc(score, label []float64) float64 {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(score[a], score[b]) })
	var pos, neg, rankSum float64
	for lo := 0; lo < len(idx); {
		hi := lo
		for hi < len(idx) && score[idx[hi]] == score[idx[lo]] {
			hi++
		}
		midRank := float64(lo+hi+1) / 2 // ranks lo+1..hi share their mean
		for _, i := range idx[lo:hi] {
			if label[i] == 1 {
				pos++
				rankSum += midRank
			} else {
				neg++
			}
		}
		lo = hi
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
