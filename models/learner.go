package models

import (
	"context"
	"fmt"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/golearn"
	"github.com/churnlabs/churn/models/hybrid"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/tree"
)

// learner is one model kind: how it is fitted, which field of model.json
// holds it and what a loaded one must satisfy. Fit, Artifact.Model and
// Artifact.Check look the kind up and ask it, so they hold no switch on
// kinds, and adding a kind means adding one learner (and, for a new type
// of model, its field in Artifact).
type learner interface {
	// kind is the name of the kind, as in Kinds and model.json.
	kind() string
	fit(ctx context.Context, train, valid *features.Dataset, p Params, progress func(done, total int)) (Model, error)
	// model returns the model a holds for this kind, false if none.
	model(a *Artifact) (Model, bool)
	// attach stores m, a model fit returned, in a's field for the kind.
	attach(a *Artifact, m Model)
	// check verifies the kind's numbers in a, which holds its model:
	// Artifact.Check has checked everything the kinds share.
	check(a *Artifact) error
}

// learners returns one learner per kind, in the order of Kinds. It is a
// function, not a variable, so no caller can change the set.
func learners() []learner {
	return []learner{logisticLearner{}, treeLearner{}, forestLearner{}, gbmLearner{}, hybridLearner{}}
}

// kindNames returns the kinds of learners, in their order.
func kindNames() []string {
	var names []string
	for _, l := range learners() {
		names = append(names, l.kind())
	}
	return names
}

// learnerFor returns the learner of kind.
func learnerFor(kind string) (learner, error) {
	for _, l := range learners() {
		if l.kind() == kind {
			return l, nil
		}
	}
	return nil, fmt.Errorf("%w %q: want one of %v", errNoModel, kind, Kinds)
}

// logisticLearner is L2-penalised logistic regression, kept in
// Artifact.Logistic.
type logisticLearner struct{}

func (logisticLearner) kind() string { return Logistic }

func (logisticLearner) fit(ctx context.Context, train, _ *features.Dataset, p Params, progress func(done, total int)) (Model, error) {
	return logistic.FitProgress(ctx, train, p.Logistic, progress)
}

func (logisticLearner) model(a *Artifact) (Model, bool) {
	if a.Logistic == nil {
		return nil, false
	}
	return a.Logistic, true
}

func (logisticLearner) attach(a *Artifact, m Model) {
	if m, ok := m.(*logistic.Model); ok {
		a.Logistic = m
	}
}

func (logisticLearner) check(a *Artifact) error {
	return checkLogistic(a.Logistic, a.Features, a.Calibration)
}

// gbmLearner is gradient-boosted trees, kept in Artifact.GBM. It and the
// hybrid are the learners that look at the validation rows, for early
// stopping.
type gbmLearner struct{}

func (gbmLearner) kind() string { return GBM }

func (gbmLearner) fit(ctx context.Context, train, valid *features.Dataset, p Params, progress func(done, total int)) (Model, error) {
	return gbm.Fit(ctx, train, valid, p.GBM, progress)
}

func (gbmLearner) model(a *Artifact) (Model, bool) {
	if a.GBM == nil {
		return nil, false
	}
	return a.GBM, true
}

func (gbmLearner) attach(a *Artifact, m Model) {
	if m, ok := m.(*gbm.Model); ok {
		a.GBM = m
	}
}

func (gbmLearner) check(a *Artifact) error {
	return checkGBM(a.GBM, a.Features, a.Calibration)
}

// treesField is what the tree and the forest share: both fit a
// tree.Ensemble, kept in Artifact.Trees, and differ only in fitting.
type treesField struct{}

func (treesField) model(a *Artifact) (Model, bool) {
	if a.Trees == nil {
		return nil, false
	}
	return a.Trees, true
}

func (treesField) attach(a *Artifact, m Model) {
	if m, ok := m.(*tree.Ensemble); ok {
		a.Trees = m
	}
}

func (treesField) check(a *Artifact) error {
	return checkEnsemble("trees", a.Trees, len(a.Features), a.Calibration)
}

// treeLearner is a single decision tree.
type treeLearner struct{ treesField }

func (treeLearner) kind() string { return Tree }

func (treeLearner) fit(ctx context.Context, train, _ *features.Dataset, p Params, _ func(done, total int)) (Model, error) {
	return golearn.FitTree(ctx, train, p.Tree)
}

// forestLearner is a random forest.
type forestLearner struct{ treesField }

func (forestLearner) kind() string { return Forest }

func (forestLearner) fit(ctx context.Context, train, _ *features.Dataset, p Params, progress func(done, total int)) (Model, error) {
	return golearn.FitForestProgress(ctx, train, p.Forest, progress)
}

// hybridLearner is a logistic regression with a GBM boosted from its
// log-odds, kept in Artifact.Hybrid. Each part takes its own kind's
// settings, so tuning either tunes it too.
type hybridLearner struct{}

func (hybridLearner) kind() string { return Hybrid }

func (hybridLearner) fit(ctx context.Context, train, valid *features.Dataset, p Params, progress func(done, total int)) (Model, error) {
	return hybrid.Fit(ctx, train, valid, p.Logistic, p.GBM, progress)
}

func (hybridLearner) model(a *Artifact) (Model, bool) {
	if a.Hybrid == nil {
		return nil, false
	}
	return a.Hybrid, true
}

func (hybridLearner) attach(a *Artifact, m Model) {
	if m, ok := m.(*hybrid.Model); ok {
		a.Hybrid = m
	}
}

func (hybridLearner) check(a *Artifact) error {
	h := a.Hybrid
	if err := h.Check(); err != nil {
		return err
	}
	if err := checkLogistic(h.Logistic, a.Features, a.Calibration); err != nil {
		return fmt.Errorf("hybrid: %w", err)
	}
	if err := checkGBM(h.GBM, a.Features, a.Calibration); err != nil {
		return fmt.Errorf("hybrid: %w", err)
	}
	return nil
}
