package tree

import (
	"math"
	"math/bits"
)

// tableDepth is the deepest tree an Explainer tabulates. A leaf's table
// holds 2^k * k values for the k distinct features on its path, so a
// tree of depth 5 needs at most 32 leaves x 160 values, 40 KB; deeper
// trees are explained by the recursive algorithm.
const tableDepth = 5

// Explainer computes the same contributions as Ensemble.Explain, several
// times as fast for trees of depth 4 (BenchmarkExplainer), by doing
// ahead of time what does not depend on the row. It is meant for a
// server that explains many rows with one model.
//
// The path from the root to a leaf is fixed, and so is the zero fraction
// of each feature on it, the share of training rows that pass its splits
// on that feature. Only the one fractions depend on the row: whether it
// follows all of the path's splits on the feature, 1 or 0. A leaf with k
// distinct features on its path therefore adds one of 2^k vectors to the
// contributions, and the Explainer tabulates them all. Explaining a row
// is then a test per split and a table lookup per leaf; the lookups,
// which land all over a few megabytes of tables, are most of its cost.
//
// An Explainer is safe for concurrent use and, like Ensemble.Explain,
// does not allocate for trees up to depth 21.
type Explainer struct {
	e     *Ensemble
	base  float64
	trees []tableTree // nil tables for a tree too deep to tabulate
}

// tableTree is the tabulated form of one tree.
type tableTree struct {
	splits []tableSplit // the split nodes, whose directions a row sets
	leaves []tableLeaf
}

// tableSplit is a split node as the Explainer tests it: whether a row
// goes left is whether the key of its value is below the threshold's, an
// unsigned subtraction's borrow. A comparison of floats compiles to a
// branch, which a row takes or not at random, and the mispredictions
// were the larger part of explaining a row.
type tableSplit struct {
	node        uint8
	missingLeft uint8 // 1 when NaN goes left
	feature     int32
	key         uint64 // orderKey(Threshold)
}

// orderKey maps a number that is not NaN to an integer in the same
// order: a < b exactly when orderKey(a) < orderKey(b), -0 and +0 alike.
func orderKey(v float64) uint64 {
	b := math.Float64bits(v + 0) // -0 + 0 is +0
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

// tableLeaf is one leaf of a tabulated tree.
type tableLeaf struct {
	// steps is the path from the root: at each split, the direction
	// to the leaf and the feature's slot in features.
	steps    []pathStep
	features []int
	// table[pattern*k : (pattern+1)*k] are the contributions to
	// features when the row follows the path's splits on the features
	// whose bits are set in pattern.
	table []float64
}

// pathStep is one split on the path to a leaf: node is the split, left
// is 1 when the path goes left there, and slot is the split feature's
// index in the leaf's features.
type pathStep struct {
	node, left, slot uint8
}

// NewExplainer prepares an Explainer for e. The ensemble must be valid
// (see Validate) and must not change while the Explainer is in use.
func NewExplainer(e *Ensemble) *Explainer {
	x := &Explainer{e: e, base: e.ExpectedValue(), trees: make([]tableTree, len(e.Trees))}
	for i := range e.Trees {
		t := &e.Trees[i]
		if len(t.Nodes) > 64 || t.Depth() > tableDepth {
			continue // too deep: a 64-bit mask must hold the directions
		}
		x.trees[i] = tabulate(t, e.Weight)
	}
	return x
}

// tabulate precomputes the contribution tables of t's leaves, scaled by
// the ensemble's weight.
func tabulate(t *Tree, weight float64) tableTree {
	var tt tableTree
	var steps []pathStep
	var features []int
	var zeros []float64
	var walk func(i int)
	walk = func(i int) {
		n := &t.Nodes[i]
		if n.IsLeaf() {
			tt.leaves = append(tt.leaves, tabulateLeaf(steps, features, zeros, weight*n.Value))
			return
		}
		ts := tableSplit{node: uint8(i), feature: int32(n.Feature), key: orderKey(n.Threshold)}
		if n.MissingLeft {
			ts.missingLeft = 1
		}
		tt.splits = append(tt.splits, ts)
		slot := len(features)
		for s, f := range features {
			if f == n.Feature {
				slot = s
			}
		}
		newFeature := slot == len(features)
		if newFeature {
			features = append(features, n.Feature)
			zeros = append(zeros, 1)
		}
		for _, child := range [2]int{n.Left, n.Right} {
			z := zeros[slot]
			zeros[slot] *= t.Nodes[child].Cover / n.Cover
			left := uint8(0)
			if child == n.Left {
				left = 1
			}
			steps = append(steps, pathStep{node: uint8(i), left: left, slot: uint8(slot)})
			walk(child)
			steps = steps[:len(steps)-1]
			zeros[slot] = z
		}
		if newFeature {
			features = features[:len(features)-1]
			zeros = zeros[:len(zeros)-1]
		}
	}
	walk(0)
	return tt
}

// tabulateLeaf returns the table of a leaf of value v whose path has the
// given steps and distinct features with their zero fractions.
func tabulateLeaf(steps []pathStep, features []int, zeros []float64, v float64) tableLeaf {
	k := len(features)
	leaf := tableLeaf{
		steps:    append([]pathStep(nil), steps...),
		features: append([]int(nil), features...),
		table:    make([]float64, k<<k),
	}
	path := make([]pathElement, k+1)
	for pattern := range 1 << k {
		// The element order on the path does not matter: the
		// permutation weights are symmetric in the elements.
		extendPath(path[:1], 1, 1, -1)
		for s := range k {
			one := float64(pattern >> s & 1)
			extendPath(path[:s+2], zeros[s], one, features[s])
		}
		row := leaf.table[pattern*k : (pattern+1)*k]
		for s := range k {
			el := &path[s+1]
			row[s] = unwoundPathSum(path, s+1) * (el.one - el.zero) * v
		}
	}
	return leaf
}

// Explain writes the contributions of the features of row to phi and
// returns the base value, as Ensemble.Explain does, up to rounding. It
// panics if len(phi) != len(row).
func (x *Explainer) Explain(row, phi []float64) (base float64) {
	return x.ExplainBatch([][]float64{row}, [][]float64{phi})
}

// batchRows is the most rows ExplainBatch takes through a tree together.
const batchRows = 64

// ExplainBatch writes the contributions of the features of rows[i] to
// phis[i] for every i, exactly as Explain would, and returns the base
// value. It takes the rows through each tree together, so that a tree's
// tables, read all over for one row, are in the cache for the rest:
// explaining many rows at once is several times faster
// (BenchmarkExplainer). It panics if a phi's length differs from its
// row's.
func (x *Explainer) ExplainBatch(rows, phis [][]float64) (base float64) {
	if len(phis) != len(rows) {
		panic("tree: Explainer.ExplainBatch with len(phis) != len(rows)")
	}
	for len(rows) > batchRows {
		x.explainBatch(rows[:batchRows], phis[:batchRows])
		rows, phis = rows[batchRows:], phis[batchRows:]
	}
	x.explainBatch(rows, phis)
	return x.base
}

// explainBatch is ExplainBatch for at most batchRows rows. A row's
// contributions are added tree by tree, leaf by leaf, in the order
// Explain adds them one row at a time, so they are the same to the bit.
func (x *Explainer) explainBatch(rows, phis [][]float64) {
	for i, row := range rows {
		if len(phis[i]) != len(row) {
			panic("tree: Explainer explaining a row into a phi of another length")
		}
		clear(phis[i])
	}
	var buf [stackPath]pathElement
	var lefts [batchRows]uint64 // bit n of lefts[r]: row r goes left at node n
	for i := range x.trees {
		tt := &x.trees[i]
		if tt.leaves == nil {
			for r, row := range rows {
				s := shap{x: row, phi: phis[r], weight: x.e.Weight, tree: &x.e.Trees[i], depth: -1}
				s.recurse(0, nil, buf[:], 1, 1, -1)
			}
			continue
		}
		for r, row := range rows {
			var left uint64
			for _, sp := range tt.splits {
				v := row[sp.feature]
				_, goesLeft := bits.Sub64(orderKey(v), sp.key, 0)
				if v != v { // rare: well predicted
					goesLeft = uint64(sp.missingLeft)
				}
				left |= goesLeft << sp.node
			}
			lefts[r] = left
		}
		for l := range tt.leaves {
			leaf := &tt.leaves[l]
			k := len(leaf.features)
			for r, left := range lefts[:len(rows)] {
				pattern := 1<<k - 1
				for _, st := range leaf.steps {
					// Without a branch: whether the row leaves the path
					// here is a coin flip to the branch predictor.
					off := (left>>st.node ^ uint64(st.left)) & 1
					pattern &^= int(off) << st.slot
				}
				phi := phis[r]
				for s, v := range leaf.table[pattern*k : (pattern+1)*k] {
					phi[leaf.features[s]] += v
				}
			}
		}
	}
}
