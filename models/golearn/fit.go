package golearn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/internal/abandon"
	"github.com/churnlabs/churn/models/tree"
	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/trees"
)

// FitTree fits golearn's CART classifier (Gini impurity) on a sample of
// at most p.MaxRows training rows and returns it as a one-tree ensemble.
// Each leaf holds the smoothed log-odds of churn among all the training
// rows that reach it and each node the number of them, so the
// probabilities and the covers that Explain weighs branches by come from
// the whole training set even when golearn saw a sample. Base is 0 and
// Weight 1: LogOdds is the leaf's log-odds.
//
// golearn cannot take NaN, so it fits on rows whose NaNs are replaced by
// the feature's training median, and every split sends NaN the way the
// median goes: an unknown value scores as the median would.
//
// The fit is deterministic for a given p.Seed. FitTree reports an error
// for a training set with no rows, no features or labels, a label other
// than 0 or 1, a single class or an infinite value. golearn's fit cannot
// be interrupted: when ctx is done first, FitTree returns ctx's error at
// once and leaves the fit to finish on its own, its result dropped, so
// that a cancelled command ends promptly.
func FitTree(ctx context.Context, train *features.Dataset, p TreeParams) (*tree.Ensemble, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	d, err := newData(train)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("golearn: fit tree: %w", err)
	}
	t, err := abandon.Run(ctx, func() (tree.Tree, error) { return d.cartTree(p) })
	switch {
	case err != nil && err == ctx.Err():
		return nil, fmt.Errorf("golearn: fit tree: %w", err)
	case err != nil:
		return nil, err
	}
	return &tree.Ensemble{Trees: []tree.Tree{t}, Weight: 1}, nil
}

// FitForest fits a random forest of golearn's ID3 trees and returns it
// as an ensemble of the trees' log-odds with Weight 1/p.Trees, Base 0:
// LogOdds is the mean of the trees' log-odds, which Explain attributes
// exactly. Each leaf holds the smoothed log-odds of churn among all the
// training rows that reach it, as in FitTree, and NaN goes the way the
// feature's median goes.
//
// The forest is grown as golearn's ensemble.RandomForest grows it: each
// tree is golearn's ID3 with information gain, fitted on a bootstrap
// sample of the rows and a random subset of p.Features features. The
// sampling is done here rather than by RandomForest because RandomForest
// draws from math/rand's global source, which cannot be seeded since Go
// 1.24, so its forests differ from run to run; and because it fits all
// its trees at once with no way to stop. FitForest fits on up to
// GOMAXPROCS goroutines, each tree from a random stream of its own, so
// the forest is the same for a given p.Seed however the trees are
// scheduled. It checks ctx between trees, returning as soon as ctx is done
// (the trees being grown finish on their own, unused), and reports the
// errors FitTree does and parameters out of range.
func FitForest(ctx context.Context, train *features.Dataset, p ForestParams) (*tree.Ensemble, error) {
	return FitForestProgress(ctx, train, p, nil)
}

// FitForestProgress is FitForest telling progress, when not nil, of each
// tree grown: done of total.
func FitForestProgress(ctx context.Context, train *features.Dataset, p ForestParams, progress func(done, total int)) (*tree.Ensemble, error) {
	d, err := newData(train)
	if err != nil {
		return nil, err
	}
	p, err = p.withDefaults(len(train.Features))
	if err != nil {
		return nil, err
	}
	if p.Bins > 0 {
		d.edges = binEdges(train, p.Bins)
	}
	forest := make([]tree.Tree, p.Trees)
	var mu sync.Mutex
	grown := 0
	err = forEach(ctx, p.Trees, func(k int) (err error) {
		forest[k], err = d.id3Tree(p, k)
		if err == nil && progress != nil {
			mu.Lock()
			grown++
			progress(grown, p.Trees)
			mu.Unlock()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &tree.Ensemble{Trees: forest, Weight: 1 / float64(p.Trees)}, nil
}

// data is a checked training set with what every tree fitted on it
// shares.
type data struct {
	ds      *features.Dataset
	byClass [2][]int    // row indices of each label
	median  []float64   // per feature, what golearn sees for NaN
	edges   [][]float64 // per feature, its bins' edges (binEdges); nil without bins
	rate    float64     // the share of churned rows, the leaves' prior
}

// newData checks ds and computes what its trees share.
func newData(ds *features.Dataset) (*data, error) {
	byClass, err := checkTraining(ds)
	if err != nil {
		return nil, err
	}
	return &data{
		ds:      ds,
		byClass: byClass,
		median:  medians(ds),
		rate:    float64(len(byClass[1])) / float64(ds.Len()),
	}, nil
}

// cartTree fits golearn's CART on a stratified sample of the rows and
// fits the leaves of its translation on all of them.
func (d *data) cartTree(p TreeParams) (tree.Tree, error) {
	g, err := d.growCART(p)
	if err != nil {
		return tree.Tree{}, err
	}
	t, _ := fitLeaves(g, d.ds, d.rate)
	return t, nil
}

// growCART fits golearn's CART on a stratified sample of the rows and
// translates it.
func (d *data) growCART(p TreeParams) (*grown, error) {
	rng := rand.New(rand.NewPCG(p.Seed, cartStream))
	rows := stratifiedSample(d.byClass, p.MaxRows, rng)
	cols := make([]int, len(d.ds.Features))
	for j := range cols {
		cols[j] = j
	}
	var edges [][]float64
	if p.Bins > 0 {
		edges = binEdges(d.ds, p.Bins)
	}
	inst, err := binnedInstances(d.ds, rows, cols, d.median, edges)
	if err != nil {
		return nil, err
	}
	clf, err := fitCART(inst, p.MaxDepth)
	if err != nil {
		return nil, err
	}
	g, err := fromCART(clf, cols, d.median)
	if err != nil {
		return nil, err
	}
	g.unbin(edges, d.median)
	return g, nil
}

// fitCART fits golearn's CART classifier with Gini impurity on inst.
func fitCART(inst base.FixedDataGrid, maxDepth int) (*trees.CARTDecisionTreeClassifier, error) {
	clf := trees.NewDecisionTreeClassifier(trees.GINI, int64(maxDepth), []int64{0, 1})
	if err := guard("CART fit", func() error { return clf.Fit(inst) }); err != nil {
		return nil, err
	}
	return clf, nil
}

// cartStream is the PCG stream of FitTree's sample; forest tree k uses
// stream k, so the two never share draws for one seed.
const cartStream = 1 << 63

// id3Tree grows tree k of a forest: golearn's ID3 on a stratified
// bootstrap sample and a random subset of the features, drawn from the
// tree's own stream, with its leaves fitted on all the rows.
func (d *data) id3Tree(p ForestParams, k int) (tree.Tree, error) {
	g, err := d.growID3(p, k)
	if err != nil {
		return tree.Tree{}, fmt.Errorf("golearn: tree %d: %w", k, err)
	}
	t, _ := fitLeaves(g, d.ds, d.rate)
	return t, nil
}

// growID3 fits golearn's ID3 for tree k of a forest and translates it.
func (d *data) growID3(p ForestParams, k int) (*grown, error) {
	rng := rand.New(rand.NewPCG(p.Seed, uint64(k)))
	rows := bootstrapSample(d.byClass, min(p.MaxRows, d.ds.Len()), rng)
	cols := randomFeatures(len(d.ds.Features), p.Features, rng)
	inst, err := binnedInstances(d.ds, rows, cols, d.median, d.edges)
	if err != nil {
		return nil, err
	}
	id3, err := fitID3(inst)
	if err != nil {
		return nil, err
	}
	g, err := fromID3(id3.Root, d.median)
	if err != nil {
		return nil, err
	}
	g.unbin(d.edges, d.median)
	return g, nil
}

// fitID3 fits golearn's ID3 tree with information gain on inst, through
// scoredSplit, which makes the rule deterministic and corrects its cuts. A pruning share of 0 grows the
// tree out fully, as golearn's random forest does.
func fitID3(inst base.FixedDataGrid) (*trees.ID3DecisionTree, error) {
	id3 := trees.NewID3DecisionTreeFromRule(0, new(scoredSplit))
	if err := guard("ID3 fit", func() error { return id3.Fit(inst) }); err != nil {
		return nil, err
	}
	if id3.Root == nil {
		return nil, fmt.Errorf("golearn: ID3 returned no tree")
	}
	return id3, nil
}

// scoredSplit is golearn's information-gain rule, made deterministic
// and with the value of a numeric split moved down to the largest float
// below it, so that ID3 cuts the rows where it scored them.
//
// golearn scores a numeric split value v by the partition x < v, but
// its ID3 then cuts the rows into x <= v and x > v. The two differ when
// v is itself a value of the feature, which happens whenever its scan
// meets two equal values in a row, as counts constantly do: it then
// splits off one value more than it scored, and at the largest value
// it sends every row one way and the split is lost. With the value just
// below v, x <= value is exactly x < v.
//
// golearn's own rule is not deterministic either, and a forest must be
// the same for the same seed. It lists the candidate features in map
// order, so a tie in gain goes to a random one; scoredSplit lists them
// in column order. It numbers the classes in the order its scan meets
// them, and below the root it scans rows in map order, so the terms of
// its entropies are summed in a different order from run to run and
// near-ties between thresholds go either way; scoredSplit scores a copy
// of the rows that lists class 0 first, which fixes the numbering, and
// nothing else in the score depends on the order of the rows.
type scoredSplit struct {
	trees.InformationGainRuleGenerator
}

// GenerateSplitRule returns golearn's information-gain rule for f,
// corrected as the type comment describes.
func (r *scoredSplit) GenerateSplitRule(f base.FixedDataGrid) *trees.DecisionTreeRule {
	grid := classZeroFirst(f)
	class := grid.AllClassAttributes()[0]
	var candidates []base.Attribute
	for _, a := range grid.AllAttributes() {
		if !a.Equals(class) {
			candidates = append(candidates, a)
		}
	}
	rule := r.GetSplitRuleFromSelection(candidates, grid)
	if rule == nil || rule.SplitAttr == nil {
		return rule
	}
	if _, ok := rule.SplitAttr.(*base.FloatAttribute); ok {
		rule.SplitVal = math.Nextafter(rule.SplitVal, math.Inf(-1))
	}
	return rule
}

// classZeroFirst returns a copy of f, a grid of float attributes built
// by instances, with its class-0 rows first. It panics, inside guard,
// only if golearn cannot copy its own grid.
func classZeroFirst(f base.FixedDataGrid) *base.DenseInstances {
	attrs := f.AllAttributes()
	classes := f.AllClassAttributes()
	if len(classes) != 1 {
		panic(fmt.Sprintf("grid has %d class attributes", len(classes)))
	}
	dst := base.NewDenseInstances()
	from := make([]base.AttributeSpec, len(attrs))
	to := make([]base.AttributeSpec, len(attrs))
	for j, a := range attrs {
		spec, err := f.GetAttribute(a)
		if err != nil {
			panic(err)
		}
		from[j], to[j] = spec, dst.AddAttribute(a)
	}
	if err := dst.AddClassAttribute(classes[0]); err != nil {
		panic(err)
	}
	class, err := f.GetAttribute(classes[0])
	if err != nil {
		panic(err)
	}
	_, n := f.Size()
	if err := dst.Extend(n); err != nil {
		panic(err)
	}
	k := 0
	for _, first := range []bool{true, false} {
		for r := range n {
			if (base.UnpackBytesToFloat(f.Get(class, r)) == 0) != first {
				continue
			}
			for j := range attrs {
				dst.Set(to[j], k, f.Get(from[j], r))
			}
			k++
		}
	}
	return dst
}

// guard runs a golearn call and turns a panic into an error. golearn
// panics rather than returning errors on inputs it cannot handle (its
// doc comments say so), and a bad training set must fail the fit, not
// the program.
func guard(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("golearn: %s panicked: %v", what, r)
		}
	}()
	if err := f(); err != nil {
		return fmt.Errorf("golearn: %s: %w", what, err)
	}
	return nil
}

// forEach calls fit(k) for k in [0, n) on up to GOMAXPROCS goroutines.
// It checks ctx before each call, starts no new call after an error and
// returns the error of the lowest k that failed. Once ctx is done it
// returns ctx's error without waiting for the calls under way, which
// golearn cannot stop: they finish on their own.
func forEach(ctx context.Context, n int, fit func(k int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= n || failed.Load() {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[k] = fmt.Errorf("golearn: fit stopped before tree %d of %d: %w", k+1, n, err)
				} else {
					errs[k] = fit(k)
				}
				if errs[k] != nil {
					failed.Store(true)
				}
			}
		})
	}
	if _, err := abandon.Run(ctx, func() (struct{}, error) { wg.Wait(); return struct{}{}, nil }); err != nil {
		return fmt.Errorf("golearn: fit stopped: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
