// Package hybrid fits a logistic regression and boosts trees from its
// log-odds: the regression carries the smooth, monotone part of the risk
// and extrapolates it past the training range (a tenure longer than any
// seen in training, say), and the trees correct it where the risk bends
// or interacts. The score's log-odds are the sum of the two, so each
// feature's contribution is the sum of its two, and the explanation stays
// exact.
//
// It helps where churn follows a few behaviours smoothly and the rows to
// be scored sit past the training weeks, as in a purchase log whose
// customers all joined in the same quarter (CDNOW: out-of-time ROC AUC
// 0.8602 for the GBM alone, 0.8592 for the logistic regression, 0.8624
// for the two together). Where the risk is mostly in interactions
// the plain GBM does better, and churn train --model all keeps whichever
// validates better (README, "Models").
package hybrid

import (
	"context"
	"errors"
	"fmt"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/logistic"
)

// Model is a logistic regression whose log-odds a GBM corrects. Its
// fields are exported so that it can be stored as JSON; treat them as
// read-only.
type Model struct {
	Logistic *logistic.Model `json:"logistic"`
	// GBM was boosted from the regression's log-odds of every training
	// row (gbm.FitFrom): its ensemble's base is 0.
	GBM *gbm.Model `json:"gbm"`

	// valid is the fit's validation set and its log-odds, for
	// ValidationLogOdds; it is not part of the model file.
	valid  *features.Dataset
	validZ []float64
}

// Fit fits the regression on train with lp, then the GBM with gp from the
// regression's log-odds of train's rows (and of valid's, which the GBM
// tracks for its validation loss and early stopping; valid may be nil).
// progress hears of the GBM's trees.
func Fit(ctx context.Context, train, valid *features.Dataset, lp logistic.Params, gp gbm.Params, progress func(done, total int)) (*Model, error) {
	l, err := logistic.Fit(ctx, train, lp)
	if err != nil {
		return nil, fmt.Errorf("hybrid: %w", err)
	}
	from := gbm.Starts{Train: logOdds(l, train)}
	if valid != nil {
		from.Valid = logOdds(l, valid)
	}
	g, err := gbm.FitFrom(ctx, train, valid, from, gp, progress)
	if err != nil {
		return nil, fmt.Errorf("hybrid: %w", err)
	}
	m := &Model{Logistic: l, GBM: g}
	if trees := g.ValidationLogOdds(valid); trees != nil {
		// The same sum, in the same order, as LogOdds: the regression's
		// log-odds plus the trees'.
		z := make([]float64, len(trees))
		for i := range z {
			z[i] = from.Valid[i] + trees[i]
		}
		m.valid, m.validZ = valid, z
	}
	return m, nil
}

// logOdds returns l's log-odds of every row of ds.
func logOdds(l *logistic.Model, ds *features.Dataset) []float64 {
	z := make([]float64, ds.Len())
	for i := range z {
		z[i] = l.LogOdds(ds.Row(i))
	}
	return z
}

// LogOdds returns the churn log-odds of x: the regression's plus the
// trees'. NaN marks an unknown value. It panics if x has the wrong length.
func (m *Model) LogOdds(x []float64) float64 {
	return m.Logistic.LogOdds(x) + m.GBM.LogOdds(x)
}

// Explain writes into phi each feature's contribution to x's log-odds,
// its coefficient's share plus its TreeSHAP value, and returns the base
// value, the intercept plus the trees' base value. The base value plus
// the sum of phi equals LogOdds(x) up to rounding. Explain does not
// allocate and panics if x or phi has the wrong length.
func (m *Model) Explain(x, phi []float64) (base float64) {
	return m.ExplainWith(m.GBM.Explain, x, phi)
}

// ExplainWith is Explain with the trees explained by trees, which must
// overwrite phi as gbm.Model.Explain does: a tree.Explainer of the GBM's
// ensemble, which a server builds once, is several times faster.
func (m *Model) ExplainWith(trees func(x, phi []float64) float64, x, phi []float64) (base float64) {
	base = trees(x, phi)
	return m.Logistic.ExplainAdd(x, phi) + base
}

// ValidationLogOdds returns the log-odds of every row of ds when ds is
// the validation set m was fitted with (tracking the GBM's validation
// loss computed them), nil otherwise.
func (m *Model) ValidationLogOdds(ds *features.Dataset) []float64 {
	if m.valid == nil || m.valid != ds {
		return nil
	}
	return m.validZ
}

// Check reports a model whose parts are missing or do not share features.
func (m *Model) Check() error {
	switch {
	case m.Logistic == nil || m.GBM == nil:
		return errors.New("hybrid: needs both its logistic and its gbm part")
	case len(m.Logistic.Features) != len(m.GBM.Features):
		return fmt.Errorf("hybrid: logistic part has %d features, gbm part %d", len(m.Logistic.Features), len(m.GBM.Features))
	case m.GBM.Ensemble.Base != 0:
		return fmt.Errorf("hybrid: gbm part's base %v: boosted from the logistic part, it starts from 0", m.GBM.Ensemble.Base)
	}
	return nil
}
