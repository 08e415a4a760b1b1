package gbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/internal/abandon"
	"github.com/churnlabs/churn/models/tree"
)

// Fit boosts trees on train to minimise the log-loss of its labels and
// returns the model.
//
// valid may be nil. When it is given, Fit records the validation
// log-loss after every tree in Model.ValidLoss and, with
// p.EarlyStopping > 0, stops once that many trees in a row have not
// lowered it, keeping the trees up to the lowest. progress, when not
// nil, is called after each tree with the number of trees fitted and
// the number asked for; early stopping can end the fit before the two
// meet.
//
// The fit is deterministic: the same data and Params, Seed included,
// give the same model bit for bit, whatever Threads is. Fit reports an
// error for a training set with no rows, no features or no labels, a
// label other than 0 or 1, a single class, or a validation set whose
// features differ from the training set's. A NaN feature value means
// unknown; infinities are ordinary values, below or above every
// threshold.
//
// Fit returns ctx's error as soon as ctx is done. The fit itself checks
// ctx between trees; binning the features, which takes seconds at
// millions of rows, and a tree that is growing finish on their own, their
// result dropped, so a cancelled command need not wait for them.
func Fit(ctx context.Context, train, valid *features.Dataset, p Params, progress func(done, total int)) (*Model, error) {
	return FitFrom(ctx, train, valid, Starts{}, p, progress)
}

// Starts are the log-odds each row starts boosting from, for FitFrom:
// Train[i] for training row i and Valid[i] for validation row i. Nil
// slices start every row from one base score, as Fit does.
type Starts struct {
	Train, Valid []float64
}

// FitFrom is Fit with every row starting from log-odds of its own, such
// as another model's (a logistic regression's, for models.Hybrid), where
// Fit starts them all from one base score. The trees then fit what that
// model missed: the model returned starts from 0 (its Ensemble.Base is
// 0, and Params.Start does not apply), so a row's log-odds are its start
// plus the model's LogOdds. Validation losses and early stopping are
// those of the sums. FitFrom reports an error when a slice of starts is
// not as long as its set or holds a value that is not finite.
func FitFrom(ctx context.Context, train, valid *features.Dataset, from Starts, p Params, progress func(done, total int)) (*Model, error) {
	m, err := abandon.Run(ctx, func() (*Model, error) { return fit(ctx, train, valid, from, p, progress) })
	if err != nil && err == ctx.Err() { // abandoned: the fit's own errors are wrapped already
		return nil, fmt.Errorf("gbm: fit: %w", err)
	}
	return m, err
}

func fit(ctx context.Context, train, valid *features.Dataset, from Starts, p Params, progress func(done, total int)) (*Model, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	pos, err := checkTraining(train)
	if err != nil {
		return nil, err
	}
	if valid != nil {
		if err := checkValidation(train, valid); err != nil {
			return nil, err
		}
	}
	if err := from.check(train, valid); err != nil {
		return nil, err
	}

	n, nf := train.Len(), len(train.Features)
	// The base score is the training log-odds, so the first tree starts
	// from the best constant instead of spending its splits on it; or 0,
	// even odds, when asked or when one class is rare (see Params.Start);
	// or 0 on top of rows' own starts.
	base := math.Log(float64(pos) / float64(n-pos))
	if p.Start == StartEven || p.Start == StartAuto && float64(min(pos, n-pos)) < RareShare*float64(n) || from.Train != nil {
		base = 0
	}
	data := binFeatures(train.X, n, nf, p.MaxBins, p.Threads)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gbm: fit: %w", err)
	}
	b := newBooster(p, data, train.Label, base, from.Train)
	var val *validation
	if valid != nil {
		val = newValidation(valid, data, base, from.Valid, p.Threads)
	}

	m := &Model{
		Ensemble: tree.Ensemble{Base: base, Weight: 1, Trees: make([]tree.Tree, 0, p.Trees)},
		Features: slices.Clone(train.Features),
		Params:   p,
	}
	bestLoss, best := math.Inf(1), 0
	for t := range p.Trees {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("gbm: fit stopped after %d of %d trees: %w", t, p.Trees, err)
		}
		m.Ensemble.Trees = append(m.Ensemble.Trees, b.grow(t))
		if val != nil {
			loss := val.add(&m.Ensemble.Trees[t], b.routes)
			m.ValidLoss = append(m.ValidLoss, loss)
			if loss < bestLoss {
				bestLoss, best = loss, t+1
				if p.EarlyStopping > 0 {
					val.keep()
				}
			}
		}
		if progress != nil {
			progress(t+1, p.Trees)
		}
		if val != nil && p.EarlyStopping > 0 && t+1-best >= p.EarlyStopping {
			break
		}
	}
	if val != nil && p.EarlyStopping > 0 {
		trees := m.Ensemble.Trees
		clear(trees[best:]) // let the trees after the best be collected
		m.Ensemble.Trees = trees[:best]
	}
	m.BestIteration = len(m.Ensemble.Trees)
	if val != nil {
		m.valid = &fitValidation{ds: valid, logOdds: val.logOdds(p.EarlyStopping > 0)}
	}
	return m, nil
}

// check checks that the starts given match train's and valid's rows and
// are finite.
func (s Starts) check(train, valid *features.Dataset) error {
	sets := []struct {
		name  string
		start []float64
		ds    *features.Dataset
	}{{"training", s.Train, train}, {"validation", s.Valid, valid}}
	switch {
	case valid == nil && s.Valid != nil:
		return errors.New("gbm: starts for validation rows but no validation set")
	case valid != nil && (s.Train == nil) != (s.Valid == nil):
		return errors.New("gbm: starts for only one of the training and validation sets")
	}
	for _, set := range sets {
		if set.start == nil || set.ds == nil {
			continue
		}
		if len(set.start) != set.ds.Len() {
			return fmt.Errorf("gbm: %d starts for %d %s rows", len(set.start), set.ds.Len(), set.name)
		}
		for i, v := range set.start {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("gbm: %s row %d starts from log-odds %v", set.name, i+1, v)
			}
		}
	}
	return nil
}

// checkTraining checks that ds can be trained on and returns its number
// of positive rows.
func checkTraining(ds *features.Dataset) (positives int, err error) {
	if ds == nil {
		return 0, errors.New("gbm: no training set")
	}
	if err := ds.Check(); err != nil {
		return 0, fmt.Errorf("gbm: training set: %w", err)
	}
	switch {
	case ds.Len() == 0:
		return 0, errors.New("gbm: training set has no rows")
	case len(ds.Features) == 0:
		return 0, errors.New("gbm: training set has no features")
	case ds.Label == nil:
		return 0, errors.New("gbm: training set has no labels")
	case ds.Len() > math.MaxInt32:
		return 0, fmt.Errorf("gbm: training set has %d rows, more than %d", ds.Len(), math.MaxInt32)
	}
	if err := checkLabels(ds); err != nil {
		return 0, fmt.Errorf("gbm: training set: %w", err)
	}
	for _, y := range ds.Label {
		positives += int(y)
	}
	if positives == 0 || positives == ds.Len() {
		return 0, fmt.Errorf("gbm: training set: all %d rows have label %d; need both classes",
			ds.Len(), positives/ds.Len())
	}
	return positives, nil
}

// checkValidation checks that valid is labelled and has train's
// features, in the same order.
func checkValidation(train, valid *features.Dataset) error {
	if err := valid.Check(); err != nil {
		return fmt.Errorf("gbm: validation set: %w", err)
	}
	switch {
	case valid.Len() == 0:
		return errors.New("gbm: validation set has no rows")
	case valid.Label == nil:
		return errors.New("gbm: validation set has no labels")
	case len(valid.Features) != len(train.Features):
		return fmt.Errorf("gbm: validation set has %d features, training set %d",
			len(valid.Features), len(train.Features))
	}
	for j, name := range train.Features {
		if valid.Features[j] != name {
			return fmt.Errorf("gbm: validation feature %d is %q, training feature %d is %q",
				j+1, valid.Features[j], j+1, name)
		}
	}
	if err := checkLabels(valid); err != nil {
		return fmt.Errorf("gbm: validation set: %w", err)
	}
	return nil
}

func checkLabels(ds *features.Dataset) error {
	for i, y := range ds.Label {
		if y != 0 && y != 1 {
			return fmt.Errorf("row %d (account %q, week %s): label %v is not 0 or 1",
				i+1, ds.AccountID[i], ds.Week[i], y)
		}
	}
	return nil
}
