package gbm

import (
	"math"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/tree"
)

// validation tracks the predictions of the trees so far on a validation
// set.
type validation struct {
	ds   *features.Dataset
	base float64
	// sum is the sum of the values of each row's leaves, added up in the
	// order of the trees as tree.Ensemble.LogOdds does, so that base+sum
	// is the row's log-odds bit for bit; best is sum as it was at the
	// lowest loss, kept when early stopping may drop the trees after.
	sum, best []float64
	// expNeg is e^-pred, updated by a multiplication per tree as in the
	// booster, which leaves one logarithm per row for the loss.
	expNeg    []float64
	leafExp   []float64 // e^-value of each node of the tree being added
	blockLoss []float64
	workers   int
}

func newValidation(ds *features.Dataset, base float64, workers int) *validation {
	v := &validation{
		ds:        ds,
		base:      base,
		sum:       make([]float64, ds.Len()),
		expNeg:    make([]float64, ds.Len()),
		blockLoss: make([]float64, (ds.Len()+blockRows-1)/blockRows),
		workers:   workers,
	}
	for i := range v.expNeg {
		v.expNeg[i] = math.Exp(-base)
	}
	return v
}

// keep notes that the predictions so far are the ones to keep.
func (v *validation) keep() {
	v.best = append(v.best[:0], v.sum...)
}

// logOdds returns the validation rows' log-odds: at the kept
// predictions when kept is true, else at the latest.
func (v *validation) logOdds(kept bool) []float64 {
	sum := v.sum
	if kept {
		sum = v.best
		if sum == nil { // no round lowered the loss: no tree is kept
			sum = make([]float64, len(v.sum))
		}
	}
	z := make([]float64, len(sum))
	for i, s := range sum {
		z[i] = v.base + s
	}
	return z
}

// add adds t's output to the predictions and returns the mean log-loss.
func (v *validation) add(t *tree.Tree) float64 {
	v.leafExp = v.leafExp[:0]
	for _, n := range t.Nodes {
		v.leafExp = append(v.leafExp, math.Exp(-n.Value))
	}
	n := len(v.sum)
	parallelRange(v.workers, len(v.blockLoss), func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			// log(1+e^-f) + (1-y)*f is the log-loss with e^-f at hand.
			// The logarithms of a block are taken as one, of the
			// product of the 1+e^-f, kept in range by moving powers of
			// two out of it: a logarithm per row was a third of the
			// cost of tracking the loss.
			var loss float64
			prod, pow2 := 1.0, 0
			for i := blk * blockRows; i < min(n, (blk+1)*blockRows); i++ {
				leaf := t.Leaf(v.ds.Row(i))
				v.sum[i] += t.Nodes[leaf].Value
				f := v.base + v.sum[i]
				e := v.expNeg[i] * v.leafExp[leaf]
				y := v.ds.Label[i]
				v.expNeg[i] = e
				if e > 1e-300 && e < 0x1p500 {
					loss += (1 - y) * f
					if prod *= 1 + e; prod > 0x1p500 {
						var k int
						prod, k = math.Frexp(prod)
						pow2 += k
					}
				} else {
					loss += logLoss(f, y)
				}
			}
			v.blockLoss[blk] = loss + math.Log(prod) + float64(pow2)*math.Ln2
		}
	})
	// Summing the blocks in order keeps the loss, and so the early
	// stopping decision, independent of the number of goroutines.
	var total float64
	for _, l := range v.blockLoss {
		total += l
	}
	return total / float64(n)
}

// logLoss returns the log-loss of label y at log-odds f,
// log(1+e^f) - y*f, written so that it does not overflow for large |f|.
// math.Log(1+e) is within 2^-53 of log1p(e) in absolute terms, all a
// mean over rows can resolve, and it is much faster than math.Log1p.
func logLoss(f, y float64) float64 {
	return max(f, 0) + math.Log(1+math.Exp(-math.Abs(f))) - y*f
}
