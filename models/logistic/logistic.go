// Package logistic fits L2-regularised logistic regression for churn and
// explains every score exactly, feature by feature.
//
// Features are standardised with the training mean and standard deviation
// before fitting. That makes one penalty fair to features measured in days,
// counts and dollars alike, and keeps the Newton solves well conditioned.
// A missing value (NaN) is imputed to the training mean, so an
// unknown signal moves a score neither up nor down.
//
// Because the model is linear in log-odds, the contribution of feature j,
//
//	coef_j * (x_j - mean_j) / scale_j,
//
// is exact: the intercept and the contributions sum to the score's
// log-odds with no approximation, which is what the product promises its
// users when it reports per-feature contributions.
package logistic

import (
	"encoding/json"
	"fmt"
	"math"
)

// Defaults that Fit substitutes for zero fields of Params.
const (
	DefaultL2      = 1.0
	DefaultMaxIter = 100
)

// Params configures Fit. The zero value selects the defaults.
type Params struct {
	// L2 weighs the penalty (L2/2)*||beta||^2 on the standardised
	// coefficients; the intercept is not penalised. Zero selects
	// DefaultL2. A negative value fits without a penalty, which has a
	// finite solution only when no feature separates the classes.
	L2 float64 `json:"l2"`
	// Balanced weights each class inversely to its frequency, as
	// scikit-learn's class_weight="balanced" does: a row of class c
	// weighs n/(2*n_c), so both classes carry the same total weight.
	Balanced bool `json:"balanced"`
	// MaxIter caps the Newton iterations, each a pass over the rows;
	// about ten reach the optimum. Zero selects
	// DefaultMaxIter.
	MaxIter int `json:"max_iter"`
}

// withDefaults returns p with zero fields replaced by the defaults, or an
// error when a field cannot be used.
func (p Params) withDefaults() (Params, error) {
	switch {
	case math.IsNaN(p.L2) || math.IsInf(p.L2, 0):
		return p, fmt.Errorf("logistic: L2 penalty %v is not finite", p.L2)
	case p.MaxIter < 0:
		return p, fmt.Errorf("logistic: MaxIter %d is negative", p.MaxIter)
	}
	if p.L2 == 0 {
		p.L2 = DefaultL2
	}
	if p.MaxIter == 0 {
		p.MaxIter = DefaultMaxIter
	}
	return p, nil
}

// penalty returns the L2 weight the objective uses: zero for an
// unpenalised fit.
func (p Params) penalty() float64 { return max(p.L2, 0) }

// Model is a fitted logistic regression. Its fields are exported so that
// it can be stored as JSON; treat them as read-only.
type Model struct {
	// Features names the inputs, in the order LogOdds expects them.
	Features []string `json:"features"`
	// Mean is the training mean of each feature, ignoring NaN. A NaN
	// input is imputed to it. A feature with no known training value
	// has mean 0.
	Mean []float64 `json:"mean"`
	// Scale is the training standard deviation of each feature. A
	// feature that is constant in training has Scale 1 and Coef 0: it
	// cannot tell the classes apart.
	Scale []float64 `json:"scale"`
	// Coef holds the coefficients on the standardised features.
	Coef []float64 `json:"coef"`
	// Intercept is the log-odds of a row at the training means.
	Intercept float64 `json:"intercept"`
	// Params are the parameters of the fit, with defaults filled in.
	Params Params `json:"params"`
}

// LogOdds returns the model's churn log-odds for the feature row x, in
// the order of m.Features; NaN marks an unknown value. It panics if x
// has the wrong length.
func (m *Model) LogOdds(x []float64) float64 {
	m.checkLen("x", len(x))
	// Summing the same terms in the same order as Explain makes
	// base + sum(phi) reproduce this value bit for bit.
	s := m.Intercept
	for j, v := range x {
		s += m.contribution(j, v)
	}
	return s
}

// Probability returns the model's churn probability for x: the logistic
// function of LogOdds(x).
func (m *Model) Probability(x []float64) float64 {
	return sigmoid(m.LogOdds(x))
}

// Explain writes into phi the contribution of each feature of x to its
// log-odds, coef_j*(x_j-mean_j)/scale_j, which is 0 for a NaN, and
// returns the base value, the intercept. The base value plus the sum of
// phi in feature order equals LogOdds(x). Explain panics if x or phi has
// the wrong length.
func (m *Model) Explain(x, phi []float64) (base float64) {
	m.checkLen("phi", len(phi))
	clear(phi)
	return m.ExplainAdd(x, phi)
}

// ExplainAdd adds the contribution of each feature of x, as Explain
// writes it, to phi[j] and returns the base value, the intercept: a model
// whose log-odds are these plus another model's (models/hybrid) explains
// both into one phi without a second buffer. It panics if x or phi has
// the wrong length.
func (m *Model) ExplainAdd(x, phi []float64) (base float64) {
	m.checkLen("x", len(x))
	m.checkLen("phi", len(phi))
	for j, v := range x {
		phi[j] += m.contribution(j, v)
	}
	return m.Intercept
}

// contribution is the log-odds feature j adds when its value is v.
func (m *Model) contribution(j int, v float64) float64 {
	c := m.Coef[j]
	// A zero coefficient contributes nothing whatever v is; testing for
	// it keeps an infinite input on an unused feature from turning into
	// 0*Inf = NaN.
	if c == 0 || math.IsNaN(v) {
		return 0
	}
	return c * (v - m.Mean[j]) / m.Scale[j]
}

func (m *Model) checkLen(name string, n int) {
	if n != len(m.Coef) {
		panic(fmt.Sprintf("logistic: len(%s) = %d, want %d features", name, n, len(m.Coef)))
	}
}

// Original returns the coefficients in the features' original units and
// the matching intercept, so that intercept + sum_j coef_j*x_j equals
// LogOdds(x) up to rounding for a row with no NaN. (Mean imputation has
// no expression in original units.)
func (m *Model) Original() (coef []float64, intercept float64) {
	coef = make([]float64, len(m.Coef))
	intercept = m.Intercept
	for j, c := range m.Coef {
		coef[j] = c / m.Scale[j]
		intercept -= coef[j] * m.Mean[j]
	}
	return coef, intercept
}

// UnmarshalJSON decodes a model and checks that it can score: the
// slices must agree in length and hold finite numbers, and every scale
// must be positive. A model file is input like any other, and a
// malformed one must fail at load time, not with a panic or a NaN score
// later.
func (m *Model) UnmarshalJSON(data []byte) error {
	type plain Model // plain has Model's fields but not this method.
	var d plain
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("logistic: decode model: %w", err)
	}
	if err := (*Model)(&d).validate(); err != nil {
		return fmt.Errorf("logistic: decode model: %w", err)
	}
	*m = Model(d)
	return nil
}

func (m *Model) validate() error {
	p := len(m.Features)
	if len(m.Mean) != p || len(m.Scale) != p || len(m.Coef) != p {
		return fmt.Errorf("%d features but %d means, %d scales and %d coefficients",
			p, len(m.Mean), len(m.Scale), len(m.Coef))
	}
	if !isFinite(m.Intercept) {
		return fmt.Errorf("intercept %v is not finite", m.Intercept)
	}
	for j, name := range m.Features {
		switch {
		case !isFinite(m.Mean[j]):
			return fmt.Errorf("feature %q: mean %v is not finite", name, m.Mean[j])
		case !isFinite(m.Scale[j]) || m.Scale[j] <= 0:
			return fmt.Errorf("feature %q: scale %v is not a positive number", name, m.Scale[j])
		case !isFinite(m.Coef[j]):
			return fmt.Errorf("feature %q: coefficient %v is not finite", name, m.Coef[j])
		}
	}
	if _, err := m.Params.withDefaults(); err != nil {
		return err
	}
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// sigmoid is the logistic function, written so that exp never overflows.
func sigmoid(t float64) float64 {
	if t >= 0 {
		return 1 / (1 + math.Exp(-t))
	}
	e := math.Exp(t)
	return e / (1 + e)
}

// WithDefaults returns p as Fit uses it, zero fields replaced by the
// defaults, or an error when a field cannot be used. Tuning reports it,
// so a table of trials shows the penalty the default stands for.
func (p Params) WithDefaults() (Params, error) { return p.withDefaults() }
