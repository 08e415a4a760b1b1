package gbm

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/churnlabs/churn/features"

	"github.com/churnlabs/churn/models/tree"
)

// Model is a fitted gradient-boosted ensemble. Its fields are exported
// so that it can be stored as JSON; treat them as read-only.
type Model struct {
	// Ensemble holds the trees; its base is the training log-odds, or 0
	// when the fit started from even odds (Params.Start).
	Ensemble tree.Ensemble `json:"ensemble"`
	// Features names the inputs, in the order LogOdds expects them.
	Features []string `json:"features"`
	// Params are the parameters of the fit, with defaults filled in.
	Params Params `json:"params"`
	// BestIteration is the number of trees kept: with early stopping,
	// the round of the lowest validation log-loss, else Params.Trees.
	BestIteration int `json:"best_iteration"`
	// ValidLoss is the validation log-loss after each round fitted, nil
	// when there was no validation set.
	ValidLoss []float64 `json:"valid_loss,omitempty"`

	// valid is what Fit computed of its validation set, for
	// ValidationLogOdds; it is not part of the model file.
	valid *fitValidation
}

// fitValidation is the log-odds of a validation set's rows at the end of
// a fit.
type fitValidation struct {
	ds      *features.Dataset
	logOdds []float64
}

// ValidationLogOdds returns the log-odds of every row of ds, each
// exactly LogOdds of the row, when ds is the validation set that Fit
// fitted m with: tracking the validation loss computed them, and
// evaluating the model would otherwise compute them again. It returns
// nil for any other dataset, and for a model read from a file.
func (m *Model) ValidationLogOdds(ds *features.Dataset) []float64 {
	if m.valid == nil || m.valid.ds != ds {
		return nil
	}
	return m.valid.logOdds
}

// LogOdds returns the model's churn log-odds for the feature row x, in
// the order of m.Features; NaN marks an unknown value. It panics if x
// has the wrong length.
func (m *Model) LogOdds(x []float64) float64 {
	m.checkLen("x", len(x))
	return m.Ensemble.LogOdds(x)
}

// Probability returns the model's churn probability for x: the logistic
// function of LogOdds(x).
func (m *Model) Probability(x []float64) float64 {
	return 1 / (1 + math.Exp(-m.LogOdds(x)))
}

// Explain writes into phi the contribution of each feature of x to its
// log-odds, the exact path-dependent TreeSHAP values, and returns the
// base value, the cover-weighted mean log-odds of the training rows. The
// base value plus the sum of phi equals LogOdds(x) up to rounding.
// Explain does not allocate and panics if x or phi has the wrong length.
func (m *Model) Explain(x, phi []float64) (base float64) {
	m.checkLen("x", len(x))
	m.checkLen("phi", len(phi))
	return m.Ensemble.Explain(x, phi)
}

func (m *Model) checkLen(name string, n int) {
	if n != len(m.Features) {
		panic(fmt.Sprintf("gbm: len(%s) = %d, want %d features", name, n, len(m.Features)))
	}
}

// UnmarshalJSON decodes a model and checks that it can score: every tree
// must be well formed and split only on the model's features. A model
// file is input like any other, and a malformed one must fail at load
// time, not with a panic or a NaN score later.
func (m *Model) UnmarshalJSON(data []byte) error {
	type plain Model // plain has Model's fields but not this method.
	var d plain
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("gbm: decode model: %w", err)
	}
	if err := d.Ensemble.Validate(len(d.Features)); err != nil {
		return fmt.Errorf("gbm: decode model: %w", err)
	}
	if _, err := d.Params.withDefaults(); err != nil {
		return fmt.Errorf("gbm: decode model: %w", err)
	}
	*m = Model(d)
	return nil
}
