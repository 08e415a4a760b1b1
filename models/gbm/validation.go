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
	// start is each row's own start, added to base, or nil (FitFrom).
	start []float64
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

	// The rows go down each tree as the booster's do, by their bins in
	// cols (feature f's at cols[f*n:(f+1)*n] for n rows), partitioned
	// block by block from node to node without a branch; walking a tree
	// on the raw values mispredicted a branch at every other split. cols
	// is nil in the rare case where bins would send a row another way
	// than the tree's thresholds (see binRows), and the rows walk.
	cols    []uint8
	routes  []route   // the validation rows' routes through the tree being added
	rows    []int32   // block by block, the rows grouped by node
	seg     []segment // seg[blk*len(routes)+id]: node id's rows in block blk
	scratch [][]int32 // per worker, room for a block's rows, twice
}

// newValidation tracks ds, whose rows data's bins split, each row
// starting from base plus start[i] when start is not nil.
func newValidation(ds *features.Dataset, data *binned, base float64, start []float64, workers int) *validation {
	n := ds.Len()
	v := &validation{
		ds:        ds,
		base:      base,
		start:     start,
		sum:       make([]float64, n),
		expNeg:    make([]float64, n),
		blockLoss: make([]float64, (n+blockRows-1)/blockRows),
		workers:   workers,
		rows:      make([]int32, n),
		scratch:   make([][]int32, workers),
	}
	for i := range v.expNeg {
		v.expNeg[i] = math.Exp(-v.base - v.startOf(i))
		v.rows[i] = int32(i)
	}
	for w := range v.scratch {
		v.scratch[w] = make([]int32, 2*blockRows)
	}
	v.binRows(data)
	return v
}

// binRows fills in cols, or leaves it nil when some value could go
// another way by its bin than by its tree's threshold: a value of
// math.MaxFloat64 or +Inf where training had none, whose bin is the top
// one of known values, which a split of known against unknown values
// sends left, and whose threshold of math.MaxFloat64 sends it right.
func (v *validation) binRows(data *binned) {
	n, p := v.ds.Len(), len(data.features)
	cols := make([]uint8, n*p)
	exact := make([]bool, v.workers)
	parallel(v.workers, func(w int) {
		exact[w] = true
		for i := w * n / v.workers; i < (w+1)*n/v.workers; i++ {
			for f, x := range v.ds.Row(i) {
				fb := &data.features[f]
				cols[f*n+i] = uint8(fb.bin(x))
				if x >= math.MaxFloat64 && fb.missingSplit {
					exact[w] = false
				}
			}
		}
	})
	for _, ok := range exact {
		if !ok {
			return
		}
	}
	v.cols = cols
}

// leaves writes into leafOf the leaf of the tree that each row of block blk
// reaches, by the bins' routes, using tmp for room.
func (v *validation) leaves(blk int, leafOf, tmp []int32) {
	n, m := len(v.sum), len(v.routes)
	start, end := blk*blockRows, min(n, (blk+1)*blockRows)
	segs := v.seg[blk*m : (blk+1)*m]
	segs[0] = segment{int32(start), int32(end)}
	// A child comes after its parent, so a node's rows are all there
	// when its turn comes.
	for id := range v.routes {
		if rt := &v.routes[id]; rt.left != 0 {
			splitSegment(segs, int32(id), rt, v.rows, tmp)
			continue
		}
		for _, r := range v.rows[segs[id].lo:segs[id].hi] {
			leafOf[int(r)-start] = int32(id)
		}
	}
	// Rows in order for the next tree.
	for r := start; r < end; r++ {
		v.rows[r] = int32(r)
	}
}

// startOf returns row i's own start, 0 without one.
func (v *validation) startOf(i int) float64 {
	if v.start == nil {
		return 0
	}
	return v.start[i]
}

// keep notes that the predictions so far are the ones to keep.
func (v *validation) keep() {
	v.best = append(v.best[:0], v.sum...)
}

// logOdds returns the model's log-odds of the validation rows, their
// starts left out (FitFrom): at the kept predictions when kept is true,
// else at the latest.
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
// routes are the booster's routes of t's nodes, in bins.
func (v *validation) add(t *tree.Tree, routes []route) float64 {
	v.leafExp = v.leafExp[:0]
	for _, n := range t.Nodes {
		v.leafExp = append(v.leafExp, math.Exp(-n.Value))
	}
	n := len(v.sum)
	if v.cols != nil {
		v.routes = v.routes[:0]
		for i, rt := range routes[:len(t.Nodes)] {
			if rt.left != 0 {
				f := t.Nodes[i].Feature
				rt.bins = v.cols[f*n : (f+1)*n]
			}
			v.routes = append(v.routes, rt)
		}
		if need := len(v.blockLoss) * len(v.routes); len(v.seg) < need {
			v.seg = make([]segment, need)
		}
	}
	blocks := len(v.blockLoss)
	parallel(v.workers, func(w int) {
		leafOf, tmp := v.scratch[w][:blockRows], v.scratch[w][blockRows:]
		for blk := w * blocks / v.workers; blk < (w+1)*blocks/v.workers; blk++ {
			start := blk * blockRows
			if v.cols != nil {
				v.leaves(blk, leafOf, tmp)
			}
			// log(1+e^-f) + (1-y)*f is the log-loss with e^-f at hand.
			// The logarithms of a block are taken as one, of the
			// product of the 1+e^-f, kept in range by moving powers of
			// two out of it: a logarithm per row was a third of the
			// cost of tracking the loss.
			var loss float64
			prod, pow2 := 1.0, 0
			for i := blk * blockRows; i < min(n, (blk+1)*blockRows); i++ {
				var leaf int
				if v.cols != nil {
					leaf = int(leafOf[i-start])
				} else {
					leaf = t.Leaf(v.ds.Row(i))
				}
				v.sum[i] += t.Nodes[leaf].Value
				f := v.base + v.sum[i] + v.startOf(i)
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
