// Package tree holds the decision trees that every tree model of the
// project shares, and explains their scores exactly with TreeSHAP.
//
// A Tree is a flat slice of nodes, the layout XGBoost and LightGBM dump:
// scoring one row is a walk down array indices, and a model file is a
// plain JSON list. An Ensemble adds trees in log-odds, which covers both
// boosting (each tree adds its leaf value) and a forest (each tree's
// log-odds is averaged, Weight = 1/N).
//
// Explain attributes a score to the features with Lundberg et al.'s
// path-dependent TreeSHAP ("Consistent Individualized Feature Attribution
// for Tree Ensembles", Algorithm 2; XGBoost's pred_contribs). The
// contributions are the exact Shapley values of the game whose value for
// a set S of known features is E[f(x) | x_S], the expectation taken by
// following x down the splits on features in S and averaging the other
// branches by their training cover. They sum with the base value to the
// log-odds, which is what the product promises when it reports
// per-feature contributions. An Explainer gives the same values faster
// by tabulating, once per model, what does not depend on the row.
package tree

import (
	"fmt"
	"math"
)

// Node is one node of a Tree. It is a leaf when Feature < 0.
type Node struct {
	// Feature is the index of the split feature in a row, or -1 for a
	// leaf.
	Feature int `json:"f"`
	// Threshold splits the rows: x[Feature] < Threshold goes Left, a
	// greater or equal value goes Right.
	Threshold float64 `json:"t,omitempty"`
	// MissingLeft sends a NaN value Left; otherwise it goes Right.
	MissingLeft bool `json:"ml,omitempty"`
	// Left and Right index the children in Tree.Nodes. A child always
	// comes after its parent, which makes every tree finite by
	// construction and lets Validate check a loaded one in one pass.
	Left  int `json:"l,omitempty"`
	Right int `json:"r,omitempty"`
	// Value is a leaf's output in log-odds. It is not used on a split.
	Value float64 `json:"v,omitempty"`
	// Cover is the number of training rows that reached the node.
	// TreeSHAP averages over a split's branches in proportion to their
	// covers, so a split node must have a positive cover.
	Cover float64 `json:"c"`
}

// IsLeaf reports whether n is a leaf.
func (n *Node) IsLeaf() bool { return n.Feature < 0 }

// next returns the child of split node n that the value v goes to.
func (n *Node) next(v float64) int {
	// A NaN compares false with everything, so it needs its own test to
	// follow the learned default direction rather than always Right.
	if v != v {
		if n.MissingLeft {
			return n.Left
		}
		return n.Right
	}
	if v < n.Threshold {
		return n.Left
	}
	return n.Right
}

// Tree is a binary decision tree whose root is Nodes[0].
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Predict returns the value of the leaf that the row x reaches.
func (t *Tree) Predict(x []float64) float64 {
	return t.Nodes[t.Leaf(x)].Value
}

// Leaf returns the index in t.Nodes of the leaf that the row x reaches.
func (t *Tree) Leaf(x []float64) int {
	nodes := t.Nodes
	i := 0
	for nodes[i].Feature >= 0 {
		n := &nodes[i]
		i = n.next(x[n.Feature])
	}
	return i
}

// Depth returns the number of splits on the longest path from the root
// to a leaf: 0 for a tree that is a single leaf.
func (t *Tree) Depth() int {
	if len(t.Nodes) == 0 {
		return 0
	}
	// Children come after their parents, so one forward pass sees each
	// node's depth before its children need it.
	depth := make([]int, len(t.Nodes))
	deepest := 0
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if n.IsLeaf() {
			deepest = max(deepest, depth[i])
			continue
		}
		depth[n.Left] = depth[i] + 1
		depth[n.Right] = depth[i] + 1
	}
	return deepest
}

// Ensemble is a sum of trees in log-odds: its raw score for a row x is
//
//	Base + Weight * sum over trees of Tree.Predict(x).
//
// Boosting uses Weight 1; a forest that averages the log-odds of N trees
// uses Weight 1/N. The methods only read the ensemble and are safe for
// concurrent use.
type Ensemble struct {
	Base   float64 `json:"base"`
	Trees  []Tree  `json:"trees"`
	Weight float64 `json:"weight"`
}

// LogOdds returns the ensemble's raw score for the row x. NaN marks an
// unknown value. A row shorter than the features the trees split on
// makes LogOdds panic; Validate guarantees that a row of numFeatures
// values is long enough.
func (e *Ensemble) LogOdds(x []float64) float64 {
	var sum float64
	for i := range e.Trees {
		sum += e.Trees[i].Predict(x)
	}
	return e.Base + e.Weight*sum
}

// ExpectedValue returns the base value that Explain returns: Base plus
// Weight times each tree's mean leaf value, a leaf weighted by the share
// of the root's cover that the splits above it pass down.
func (e *Ensemble) ExpectedValue() float64 {
	var sum float64
	for i := range e.Trees {
		sum += e.Trees[i].expected(0)
	}
	return e.Base + e.Weight*sum
}

// expected returns E[f] below node i, averaging the branches of every
// split by their covers, the same recursion that TreeSHAP's base value
// follows.
func (t *Tree) expected(i int) float64 {
	n := &t.Nodes[i]
	if n.IsLeaf() {
		return n.Value
	}
	l, r := &t.Nodes[n.Left], &t.Nodes[n.Right]
	return (l.Cover*t.expected(n.Left) + r.Cover*t.expected(n.Right)) / n.Cover
}

// Validate checks that e is an ensemble LogOdds and Explain can use on
// rows of numFeatures values: every tree has a root, every split names a
// feature below numFeatures and two later, distinct children that no
// other split claims, and every number is finite. A split's cover must
// be positive and equal its children's covers added up (to a relative
// 1e-6), which keeps TreeSHAP's cover ratios within [0, 1]. A model file
// is input like any other, so a loader should call Validate before
// scoring with what it read.
func (e *Ensemble) Validate(numFeatures int) error {
	if !isFinite(e.Base) {
		return fmt.Errorf("tree: base %v is not finite", e.Base)
	}
	if !isFinite(e.Weight) {
		return fmt.Errorf("tree: weight %v is not finite", e.Weight)
	}
	for i := range e.Trees {
		if err := e.Trees[i].validate(numFeatures); err != nil {
			return fmt.Errorf("tree: tree %d: %w", i, err)
		}
	}
	return nil
}

func (t *Tree) validate(numFeatures int) error {
	if len(t.Nodes) == 0 {
		return fmt.Errorf("no nodes")
	}
	parent := make([]int, len(t.Nodes))
	for i := range parent {
		parent[i] = -1
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if !isFinite(n.Cover) || n.Cover < 0 {
			return fmt.Errorf("node %d: cover %v is not a number >= 0", i, n.Cover)
		}
		if n.IsLeaf() {
			if !isFinite(n.Value) {
				return fmt.Errorf("node %d: leaf value %v is not finite", i, n.Value)
			}
			continue
		}
		switch {
		case n.Feature >= numFeatures:
			return fmt.Errorf("node %d: feature %d out of range for %d features", i, n.Feature, numFeatures)
		case !isFinite(n.Threshold):
			return fmt.Errorf("node %d: threshold %v is not finite", i, n.Threshold)
		case n.Cover == 0:
			return fmt.Errorf("node %d: split has cover 0", i)
		case n.Left == n.Right:
			return fmt.Errorf("node %d: both children are node %d", i, n.Left)
		}
		for _, c := range [2]int{n.Left, n.Right} {
			if c <= i || c >= len(t.Nodes) {
				return fmt.Errorf("node %d: child %d is not a node after it", i, c)
			}
			if parent[c] >= 0 {
				return fmt.Errorf("node %d: child %d is already a child of node %d", i, c, parent[c])
			}
			parent[c] = i
		}
	}
	// Every child index is larger than its parent's, so a node other
	// than the root that no split claims is the only way left to be
	// unreachable.
	for i := 1; i < len(parent); i++ {
		if parent[i] < 0 {
			return fmt.Errorf("node %d is not reachable from the root", i)
		}
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if n.IsLeaf() {
			continue
		}
		if sum := t.Nodes[n.Left].Cover + t.Nodes[n.Right].Cover; math.Abs(sum-n.Cover) > 1e-6*n.Cover {
			return fmt.Errorf("node %d: cover %v, but its children's add up to %v", i, n.Cover, sum)
		}
	}
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
