package models

import (
	"fmt"
	"math"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/hazard"
	"github.com/churnlabs/churn/models/hybrid"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/metrics"
	"github.com/churnlabs/churn/models/tree"
)

// Model scores a feature row in log-odds of churn and explains the score.
// Its methods must be safe for concurrent use: validation scores rows on
// every CPU.
type Model interface {
	// LogOdds returns the churn log-odds of x; NaN marks an unknown value.
	LogOdds(x []float64) float64
	// Explain writes each feature's contribution to phi and returns the
	// base value: base + sum(phi) == LogOdds(x).
	Explain(x, phi []float64) (base float64)
}

// Model kinds, as named on the command line and in model.json.
const (
	Logistic = "logistic"
	Tree     = "tree"
	Forest   = "forest"
	GBM      = "gbm"
	// Hybrid is a logistic regression with a GBM boosted from its
	// log-odds (package hybrid).
	Hybrid = "hybrid"
)

// Kinds lists every model kind in the order --model all fits them: the
// kinds of the learners.
var Kinds = kindNames()

// FormatVersion names the layout of model.json; a loader refuses others.
const FormatVersion = "churn-model/1"

// Artifact is a trained model with everything needed to score and to
// judge it: what features it expects and how to build them, the data and
// window it was trained on, its calibration, its validation metrics and
// the health-colour cut-offs derived from validation. It is model.json.
//
// It holds no timestamps, so the same data and seed give the same bytes.
type Artifact struct {
	Format  string `json:"format"`
	Version string `json:"version"`
	Kind    string `json:"kind"`

	Features []string      `json:"features"`
	Spec     features.Spec `json:"spec"`
	// Horizon is the label horizon in weeks: the model predicts churn
	// within this many weeks.
	Horizon     int             `json:"horizon_weeks"`
	Train       features.Period `json:"train"`
	Valid       features.Period `json:"valid"`
	Fingerprint string          `json:"data_fingerprint"`

	Calibration metrics.Platt `json:"calibration"`
	Health      Health        `json:"health"`
	// Metrics are the validation metrics of the probabilities the model
	// serves. Their ROC AUC is the headline, metrics.ValidationAUC, which
	// GET /v1/model and the dashboard show. The calibration was fitted on
	// the same rows, so log-loss and Brier here are slightly flattered:
	// metrics.json has them out of fold.
	Metrics metrics.Summary `json:"valid_metrics"`

	// Exactly one of these holds the model, as Kind says.
	Logistic *logistic.Model `json:"logistic,omitempty"`
	GBM      *gbm.Model      `json:"gbm,omitempty"`
	Trees    *tree.Ensemble  `json:"trees,omitempty"`
	Hybrid   *hybrid.Model   `json:"hybrid,omitempty"`

	// Drift is the training distribution of each feature and of the
	// score, for the drift check of new weeks. Models trained before it
	// have none (it is omitted, so their version hashes as before) and
	// skip the check.
	Drift *DriftReference `json:"drift,omitempty"`

	// Refit is set when the model was refitted on every matured week
	// after validation: Train is then the refit's rows, and Valid and
	// Metrics stay those of the first fit, which was validated out of
	// time. It is omitted otherwise, so a model that was not refitted
	// hashes as before.
	Refit *Refit `json:"refit,omitempty"`

	// SegmentHealth holds each renewal segment's own health cut-offs,
	// by segment name, when the model was trained with a segment file
	// (churn train --segments): the same rule as Health applied to the
	// segment's validation account-weeks alone. It is omitted otherwise,
	// so a model trained without one hashes as before.
	SegmentHealth map[string]SegmentHealth `json:"segment_health,omitempty"`

	// Hazard is the discrete-time hazard model that gives each account
	// its survival curve over the next hazard.Weeks (churn train
	// --survival). It is omitted without one, so other models hash as
	// before.
	Hazard *hazard.Model `json:"hazard,omitempty"`
}

// Health holds the calibrated-probability cut-offs of the health colours.
// By default red is the riskiest tenth of validation account-weeks and
// yellow the next fifth, so the colours mean the same share of the book
// whatever the base churn rate.
type Health struct {
	Yellow float64 `json:"yellow"`
	Red    float64 `json:"red"`
	// Rule says how the cut-offs were chosen, for display.
	Rule string `json:"rule"`
}

// Colour names the health colour of a churn probability.
func (h Health) Colour(p float64) string {
	switch {
	case p >= h.Red:
		return "red"
	case p >= h.Yellow:
		return "yellow"
	}
	return "green"
}

// Model returns the underlying uncalibrated model.
func (a *Artifact) Model() (Model, error) {
	_, m, err := a.held()
	return m, err
}

// held returns the learner of a's kind and the model a holds for it.
func (a *Artifact) held() (learner, Model, error) {
	if l, err := learnerFor(a.Kind); err == nil {
		if m, ok := l.model(a); ok {
			return l, m, nil
		}
	}
	return nil, nil, fmt.Errorf("model.json: kind %q has no %s model in it", a.Kind, a.Kind)
}

// Score is a calibrated churn score with its explanation.
type Score struct {
	Probability float64
	LogOdds     float64
	// Base plus the sum of Contributions is LogOdds.
	Base float64
	// Contributions are in log-odds, one per feature in Artifact.Features.
	Contributions []float64
}

// Scorer scores rows with an artifact. It is safe for concurrent use.
type Scorer struct {
	a       *Artifact
	model   Model
	explain func(x, phi []float64) float64
	// columns are the spec's original columns, of[j] feature j's.
	columns []string
	of      []int
}

// NewScorer returns a Scorer for a. For tree models it tabulates the
// TreeSHAP paths once (tree.Explainer), which halves the cost of every
// explanation after it: a server explains many rows with one model.
func NewScorer(a *Artifact) (*Scorer, error) {
	m, err := a.Model()
	if err != nil {
		return nil, err
	}
	columns, of := a.Spec.Groups()
	return &Scorer{a: a, model: m, explain: explainer(m), columns: columns, of: of}, nil
}

// Columns returns the original columns that ByColumn sums contributions
// into: a customer table's columns, or the features themselves.
func (s *Scorer) Columns() []string { return s.columns }

// ByColumn sums the contributions phi of a Score per original column into
// out (allocated when short): the one-hot parts of a categorical column
// and its missing indicator add up to the column's contribution, so base
// plus the column sums is still the score's log-odds.
func (s *Scorer) ByColumn(phi, out []float64) []float64 {
	if cap(out) < len(s.columns) {
		out = make([]float64, len(s.columns))
	}
	out = out[:len(s.columns)]
	clear(out)
	for j, v := range phi {
		out[s.of[j]] += v
	}
	return out
}

// explainer returns m's fastest way to explain many rows one at a time,
// as a server's requests come: for tree models a tree.Explainer, whose
// tables cost about as much to build as explaining a few rows.
func explainer(m Model) func(x, phi []float64) (base float64) {
	if x := treeExplainer(m); x != nil {
		return x.Explain
	}
	if h, ok := m.(*hybrid.Model); ok {
		trees := tree.NewExplainer(&h.GBM.Ensemble)
		return func(x, phi []float64) float64 { return h.ExplainWith(trees.Explain, x, phi) }
	}
	return m.Explain
}

// batchExplainer returns m's fastest way to explain rows in batches into
// phis: for tree models tree.Explainer.ExplainBatch, which reads each
// tree's tables once for many rows.
func batchExplainer(m Model) func(rows, phis [][]float64) {
	if x := treeExplainer(m); x != nil {
		return func(rows, phis [][]float64) { x.ExplainBatch(rows, phis) }
	}
	explain := explainer(m)
	return func(rows, phis [][]float64) {
		for i, row := range rows {
			explain(row, phis[i])
		}
	}
}

// treeExplainer returns a tree.Explainer for a tree model, nil for any
// other. It asks what a model is made of, not what kind it is: tree and
// forest share a type, a new kind fitting a tree.Ensemble gets TreeSHAP
// for free, and a type missed here is explained exactly by its own
// Explain, only slower.
func treeExplainer(m Model) *tree.Explainer {
	switch m := m.(type) {
	case *gbm.Model:
		return tree.NewExplainer(&m.Ensemble)
	case *tree.Ensemble:
		return tree.NewExplainer(m)
	}
	return nil
}

// Score returns the calibrated score of x with its contributions written
// into phi (allocated when nil or short). The calibration is affine in
// log-odds, so scaling every contribution by its slope and moving the
// base by its intercept keeps the sum exact.
func (s *Scorer) Score(x, phi []float64) Score {
	if cap(phi) < len(x) {
		phi = make([]float64, len(x))
	}
	phi = phi[:len(x)]
	raw := s.explain(x, phi)
	c := s.a.Calibration
	base := c.A*raw + c.B
	sum := base
	for j := range phi {
		phi[j] *= c.A
		sum += phi[j]
	}
	return Score{Probability: sigmoid(sum), LogOdds: sum, Base: base, Contributions: phi}
}

// Probability returns the calibrated churn probability of x without an
// explanation, which is much cheaper for trees.
func (s *Scorer) Probability(x []float64) float64 {
	return sigmoid(s.a.Calibration.LogOdds(s.model.LogOdds(x)))
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
