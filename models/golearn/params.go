package golearn

import (
	"fmt"
	"math"
)

// Defaults that FitTree and FitForest substitute for zero fields.
//
// golearn's CART takes about 4 s for 2,000 rows of 30 features and 18 s
// for 5,000 (see the package comment), so DefaultTreeMaxRows keeps a fit
// near ten seconds. golearn's ID3, which the forest grows, sorts each
// feature once per node instead: the default forest fits in about 7 s
// on two cores.
const (
	DefaultMaxDepth      = 6
	DefaultTreeMaxRows   = 3000
	DefaultTrees         = 50
	DefaultForestMaxRows = 5000
)

// DepthLimit is the largest TreeParams.MaxDepth: tree.Ensemble.Explain
// runs without allocating on trees up to this depth.
const DepthLimit = 21

// TreeParams configures FitTree. A zero field selects its default.
type TreeParams struct {
	// MaxDepth is the most splits on a path from the root to a leaf, in
	// [1, DepthLimit].
	MaxDepth int `json:"max_depth"`
	// MaxRows is the most rows golearn's CART fits on, at least 2. A
	// larger training set is sampled down, each class keeping its
	// share; the leaves and covers still count every training row.
	MaxRows int `json:"max_rows"`
	// Seed seeds the sample.
	Seed uint64 `json:"seed"`
	// Bins, when above 0, fits golearn on each feature with more distinct
	// values cut into at most Bins quantile bins, and moves each split to
	// the edge of its bins: golearn's split search costs grow with the
	// distinct values. 0 fits on the values as they are.
	Bins int `json:"bins,omitempty"`
}

// withDefaults returns p with zero fields replaced by the defaults, or an
// error naming the first field out of its range.
func (p TreeParams) withDefaults() (TreeParams, error) {
	if p.MaxDepth == 0 {
		p.MaxDepth = DefaultMaxDepth
	}
	if p.MaxRows == 0 {
		p.MaxRows = DefaultTreeMaxRows
	}
	switch {
	case p.MaxDepth < 1 || p.MaxDepth > DepthLimit:
		return p, fmt.Errorf("golearn: MaxDepth %d is not in [1, %d]", p.MaxDepth, DepthLimit)
	case p.MaxRows < 2:
		return p, fmt.Errorf("golearn: MaxRows %d is less than 2, one row of each class", p.MaxRows)
	case p.Bins < 0:
		return p, fmt.Errorf("golearn: Bins %d is negative", p.Bins)
	}
	return p, nil
}

// ForestParams configures FitForest. A zero field selects its default.
type ForestParams struct {
	// Trees is the number of trees.
	Trees int `json:"trees"`
	// Features is the number of features each tree may split on, drawn
	// at random per tree as golearn's random forest does; the default is
	// the square root of the number of features, rounded, and at least
	// 2. golearn's ID3 uses a feature once per path and stops at the
	// last one, so a tree is at most Features-1 splits deep and needs
	// Features >= 2 to split at all.
	Features int `json:"features"`
	// MaxRows is the size of each tree's bootstrap sample, at least 2;
	// a smaller training set gives samples of its own size. The
	// sample keeps each class's share, and the leaves and covers still
	// count every training row.
	MaxRows int `json:"max_rows"`
	// Seed seeds the samples and feature draws.
	Seed uint64 `json:"seed"`
	// Bins is as TreeParams.Bins.
	Bins int `json:"bins,omitempty"`
}

// withDefaults returns p with zero fields replaced by the defaults for a
// training set of numFeatures features, or an error naming the first
// field out of its range.
func (p ForestParams) withDefaults(numFeatures int) (ForestParams, error) {
	if p.Trees == 0 {
		p.Trees = DefaultTrees
	}
	if p.Features == 0 {
		p.Features = min(max(int(math.Round(math.Sqrt(float64(numFeatures)))), 2), numFeatures)
	}
	if p.MaxRows == 0 {
		p.MaxRows = DefaultForestMaxRows
	}
	switch {
	case p.Trees < 1:
		return p, fmt.Errorf("golearn: Trees %d is less than 1", p.Trees)
	case p.Features < 2 || p.Features > numFeatures:
		return p, fmt.Errorf("golearn: Features %d is not in [2, %d]: golearn's ID3 stops splitting at its last feature",
			p.Features, numFeatures)
	case p.MaxRows < 2:
		return p, fmt.Errorf("golearn: MaxRows %d is less than 2, one row of each class", p.MaxRows)
	case p.Bins < 0:
		return p, fmt.Errorf("golearn: Bins %d is negative", p.Bins)
	}
	return p, nil
}
