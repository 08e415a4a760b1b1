package models

import (
	"context"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/golearn"
	"github.com/churnlabs/churn/models/logistic"
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
	l, err := learnerFor(kind)
	if err != nil {
		return nil, err
	}
	return l.fit(ctx, train, valid, p, progress)
}

// attach stores a fitted model in the artifact's field for its kind. A
// model of another type than the kind fits is left out, and Check then
// refuses the artifact for holding no model.
func (a *Artifact) attach(m Model) {
	if l, err := learnerFor(a.Kind); err == nil {
		l.attach(a, m)
	}
}
