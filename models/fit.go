package models

import (
	"context"
	"fmt"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/golearn"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/tree"
)

// Params hold each learner's settings; zero values are the defaults.
type Params struct {
	Logistic logistic.Params      `json:"logistic"`
	GBM      gbm.Params           `json:"gbm"`
	Tree     golearn.TreeParams   `json:"tree"`
	Forest   golearn.ForestParams `json:"forest"`
}

// Fit fits one kind of model on train. Only gbm looks at valid, and only
// when its early stopping is on. progress, when not nil, hears of the
// learner's rounds as they finish: trees for gbm and forest, major
// iterations of at most MaxIter for logistic; a single tree has none.
func Fit(ctx context.Context, kind string, train, valid *features.Dataset, p Params, progress func(done, total int)) (Model, error) {
	switch kind {
	case Logistic:
		return logistic.FitProgress(ctx, train, p.Logistic, progress)
	case GBM:
		return gbm.Fit(ctx, train, valid, p.GBM, progress)
	case Tree:
		return golearn.FitTree(ctx, train, p.Tree)
	case Forest:
		return golearn.FitForestProgress(ctx, train, p.Forest, progress)
	}
	return nil, fmt.Errorf("%w %q: want one of %v", errNoModel, kind, Kinds)
}

// attach stores a fitted model in the artifact's field for its kind.
func (a *Artifact) attach(m Model) {
	switch m := m.(type) {
	case *logistic.Model:
		a.Logistic = m
	case *gbm.Model:
		a.GBM = m
	case *tree.Ensemble:
		a.Trees = m
	}
}
