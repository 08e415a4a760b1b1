package gbm

import (
	"fmt"
	"math"
	"runtime"
)

// Defaults that Fit substitutes for zero fields of Params.
const (
	DefaultTrees          = 300
	DefaultDepth          = 4
	DefaultLearningRate   = 0.05
	DefaultMinChildWeight = 1.0
	DefaultLambda         = 1.0
	DefaultMaxBins        = 255
)

// Starts of boosting, for Params.Start.
const (
	StartAuto = ""
	StartRate = "rate"
	StartEven = "even"
)

// RareShare is the share of the training rows under which the rarer
// class makes StartAuto start from even odds. On simulated worlds of
// 3,000 accounts whose training rows churn 1.5% to 1.8% of the time, even
// odds raised the out-of-time ROC AUC by 0.0014 to 0.0067; on worlds at
// 3.3% to 4.7% and on CDNOW (25% stay) it lowered it by up to 0.0013
// (README, "GBM defaults for snapshots").
const RareShare = 0.025

// Limits on Params. MaxDepth bounds the histogram memory, which doubles
// with every level: a level of depth 12 may hold 2,048 histograms. A
// feature's bins and the one for missing values fit the 256 values of a
// byte.
const (
	MaxDepth   = 12
	MaxMaxBins = 255
)

// Params configures Fit. A zero field selects its default, so the zero
// value is the defaults: 300 trees of depth 4 at learning rate 0.05, the
// setting the product was tuned with.
type Params struct {
	// Trees is the number of boosting rounds, one tree each.
	Trees int `json:"trees"`
	// Depth is the number of levels of splits in a tree, at most
	// MaxDepth.
	Depth int `json:"depth"`
	// LearningRate scales every leaf value, in (0, 1].
	LearningRate float64 `json:"learning_rate"`
	// MinChildWeight is the least hessian a child of a split must hold.
	// For log-loss a row weighs p(1-p), at most 1/4. Zero selects the
	// default; use a tiny positive value to allow any non-empty child.
	MinChildWeight float64 `json:"min_child_weight"`
	// Lambda is the L2 penalty on leaf values. Zero selects the default;
	// use a tiny positive value for (almost) no penalty.
	Lambda float64 `json:"lambda"`
	// Subsample is the fraction of the rows each tree draws, in (0, 1].
	Subsample float64 `json:"subsample"`
	// ColSample is the fraction of the features each tree may split on,
	// in (0, 1]; at least one feature is always drawn.
	ColSample float64 `json:"colsample"`
	// MaxBins is the number of quantile bins per feature for the known
	// values, at most MaxMaxBins; missing values have a bin of their own.
	MaxBins int `json:"max_bins"`
	// EarlyStopping stops the fit after this many rounds without a lower
	// validation log-loss and keeps the trees up to the best round. Zero
	// turns it off; Fit ignores it when there is no validation set.
	EarlyStopping int `json:"early_stopping"`
	// Start is where boosting starts: StartRate, the training log-odds;
	// StartEven, even odds (log-odds 0), as XGBoost before 2.0 did; or
	// StartAuto, the zero value: even odds when the rarer class is under
	// RareShare of the training rows, else the rate. While the model sits
	// far above a rare churn rate every row weighs about the same
	// hessian, so the first trees split as if the classes were balanced
	// and the later ones bring the level down. The model's Ensemble.Base
	// says which start a fit took (0 for even odds). Only StartRate and
	// StartEven are written to a model file: omitempty keeps the files of
	// auto fits byte for byte as before the setting existed.
	Start string `json:"start,omitempty"`
	// Seed seeds the row and feature sampling.
	Seed uint64 `json:"seed"`
	// Threads is the number of goroutines Fit uses; zero selects
	// runtime.GOMAXPROCS(0). The model does not depend on it, so it is
	// not part of the model file.
	Threads int `json:"-"`
}

// withDefaults returns p with zero fields replaced by the defaults, or an
// error naming the first field out of its range.
func (p Params) withDefaults() (Params, error) {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if p.Trees == 0 {
		p.Trees = DefaultTrees
	}
	if p.Depth == 0 {
		p.Depth = DefaultDepth
	}
	if p.MaxBins == 0 {
		p.MaxBins = DefaultMaxBins
	}
	if p.Threads == 0 {
		p.Threads = runtime.GOMAXPROCS(0)
	}
	def(&p.LearningRate, DefaultLearningRate)
	def(&p.MinChildWeight, DefaultMinChildWeight)
	def(&p.Lambda, DefaultLambda)
	def(&p.Subsample, 1)
	def(&p.ColSample, 1)

	inUnit := func(v float64) bool { return v > 0 && v <= 1 } // false for NaN
	switch {
	case p.Trees < 0:
		return p, fmt.Errorf("gbm: Trees %d is negative", p.Trees)
	case p.Depth < 0 || p.Depth > MaxDepth:
		return p, fmt.Errorf("gbm: Depth %d is not in [1, %d]", p.Depth, MaxDepth)
	case !inUnit(p.LearningRate):
		return p, fmt.Errorf("gbm: LearningRate %v is not in (0, 1]", p.LearningRate)
	case !(p.MinChildWeight > 0) || math.IsInf(p.MinChildWeight, 0):
		return p, fmt.Errorf("gbm: MinChildWeight %v is not a positive number", p.MinChildWeight)
	case !(p.Lambda > 0) || math.IsInf(p.Lambda, 0):
		return p, fmt.Errorf("gbm: Lambda %v is not a positive number", p.Lambda)
	case !inUnit(p.Subsample):
		return p, fmt.Errorf("gbm: Subsample %v is not in (0, 1]", p.Subsample)
	case !inUnit(p.ColSample):
		return p, fmt.Errorf("gbm: ColSample %v is not in (0, 1]", p.ColSample)
	case p.MaxBins < 2 || p.MaxBins > MaxMaxBins:
		return p, fmt.Errorf("gbm: MaxBins %d is not in [2, %d]", p.MaxBins, MaxMaxBins)
	case p.Start != StartAuto && p.Start != StartRate && p.Start != StartEven:
		return p, fmt.Errorf("gbm: Start %q is not %q, %q or empty (auto)", p.Start, StartRate, StartEven)
	case p.EarlyStopping < 0:
		return p, fmt.Errorf("gbm: EarlyStopping %d is negative", p.EarlyStopping)
	case p.Threads < 0:
		return p, fmt.Errorf("gbm: Threads %d is negative", p.Threads)
	}
	return p, nil
}

// WithDefaults returns p as Fit uses it: zero fields replaced by the
// defaults (Threads included), or an error naming the first field out of
// its range. Tuning reports it, so a table of trials shows the settings
// the defaults stand for, not zeros.
func (p Params) WithDefaults() (Params, error) { return p.withDefaults() }
