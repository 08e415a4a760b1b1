package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/hazard"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/metrics"
	"github.com/churnlabs/churn/models/tree"
)

// Bounds of the numbers a model file may hold. A number that parses but
// lies far outside them is a corrupted or hand-edited file: left in, it
// overflows at scoring time into an infinite or NaN score, a 500 from
// ranking and a green health colour for any account.
const (
	// maxLogOdds bounds what the model adds up when it scores, in
	// calibrated log-odds: the calibrated base (slope × intercept or
	// ensemble base + calibration intercept), each calibrated
	// coefficient per SD and each calibrated leaf value. The logistic
	// function is 1 to the last bit beyond 37, so a trained model stays
	// orders of magnitude inside it. The raw numbers are bounded only
	// through these: a heavily penalised model has tiny coefficients and
	// a huge slope that cancel out.
	maxLogOdds = 1e4
	// maxSlope bounds the calibration's slope. Platt fitted on a model
	// that ranks at all lands near 1; an L2 penalty of 1e9 shrinks a
	// logistic model enough to take it near 1e6, and fitting fails long
	// before 1e9.
	maxSlope = 1e9
	// maxRawLogOdds bounds each raw log-odds term on its own, before
	// calibration scales it: with the slope and the feature values
	// bounded too, no product a score computes overflows.
	maxRawLogOdds = 1e9
	// maxFeatureValue bounds the numbers in a feature's own units (the
	// logistic means and standard deviations), and the calibration's
	// intercept, which is of the size of slope × raw log-odds: float64
	// holds integers exactly up to 9e15, beyond which no counted
	// quantity goes.
	maxFeatureValue = 1e15
	// minScale is the smallest standard deviation a logistic model may
	// divide by; below it a coefficient per original unit overflows.
	minScale = 1e-12
	// maxHorizon is the longest label horizon, ten years of weeks.
	maxHorizon = 520
)

// Check verifies that a loaded artifact is whole, consistent and holds
// numbers a model can score with: every number finite and within sane
// bounds, every tree well formed, the features those of the spec. A
// model file is input like any other and must fail at load, not at
// scoring. Errors name the JSON field, such as calibration.a or
// gbm.ensemble.trees[3].nodes[7].v.
func (a *Artifact) Check() error {
	if a.Format != FormatVersion {
		return fmt.Errorf("format %q, want %q", a.Format, FormatVersion)
	}
	if len(a.Features) == 0 {
		return fmt.Errorf("features: empty")
	}
	if err := a.Spec.Check(); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	if want := a.Spec.Names(); !slices.Equal(a.Features, want) {
		return fmt.Errorf("features %v do not match the feature spec %v", a.Features, want)
	}
	if a.Spec.Table != nil {
		// A customer table has no time: its label is whether the
		// customer churned, over no horizon.
		if a.Horizon != 0 {
			return fmt.Errorf("horizon_weeks %d: a customer table's model has none (0)", a.Horizon)
		}
	} else if a.Horizon < 1 || a.Horizon > maxHorizon {
		return fmt.Errorf("horizon_weeks %d: want 1 to %d", a.Horizon, maxHorizon)
	}
	for _, p := range []struct {
		name string
		p    features.Period
	}{{"train", a.Train}, {"valid", a.Valid}} {
		if err := checkPeriod(p.p); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	c := a.Calibration
	if !(c.A > 0 && c.A <= maxSlope) {
		return fmt.Errorf("calibration.a %v: want a slope in (0, %g]", c.A, float64(maxSlope))
	}
	if !(math.Abs(c.B) <= maxFeatureValue) {
		return fmt.Errorf("calibration.b %v: want an intercept within ±%g", c.B, float64(maxFeatureValue))
	}
	if err := a.Health.check(); err != nil {
		return err
	}
	if err := checkSegmentHealth(a.SegmentHealth); err != nil {
		return err
	}
	if err := checkSummary("valid_metrics", a.Metrics); err != nil {
		return err
	}
	if held := countTrue(a.Logistic != nil, a.GBM != nil, a.Trees != nil, a.Hybrid != nil); held != 1 {
		return fmt.Errorf("kind %q: the file holds %d of logistic, gbm, trees and hybrid, want exactly one", a.Kind, held)
	}
	if a.Drift != nil {
		if err := a.Drift.check(a.Features); err != nil {
			return err
		}
	}
	if a.Refit != nil {
		if err := a.Refit.check(a); err != nil {
			return err
		}
	}
	if a.Hazard != nil {
		if err := checkHazard(a.Hazard, a.Features); err != nil {
			return err
		}
	}
	l, _, err := a.held()
	if err != nil {
		return err
	}
	return l.check(a)
}

// checkHazard checks a survival model: its inputs are the artifact's
// features and the weeks ahead, and its numbers those of its kind,
// uncalibrated (the hazard is served as fitted).
func checkHazard(m *hazard.Model, names []string) error {
	if err := m.Check(names); err != nil {
		return err
	}
	one := metrics.Platt{A: 1}
	var err error
	if m.GBM != nil {
		err = checkGBM(m.GBM, m.Features, one)
	} else {
		err = checkLogistic(m.Logistic, m.Features, one)
	}
	if err != nil {
		return fmt.Errorf("hazard: %w", err)
	}
	return nil
}

// countTrue counts the true values among held: which model fields are set.
func countTrue(held ...bool) int {
	n := 0
	for _, h := range held {
		if h {
			n++
		}
	}
	return n
}

// check verifies the health cut-offs: probabilities, yellow at or below
// red, as Colour tests red first. They may be equal: a model with few
// distinct scores (a single tree) can put both quantiles on one value.
func (h Health) check() error {
	for _, c := range []struct {
		name string
		v    float64
	}{{"health.yellow", h.Yellow}, {"health.red", h.Red}} {
		if !(c.v >= 0 && c.v <= 1) {
			return fmt.Errorf("%s %v: want a probability in [0, 1]", c.name, c.v)
		}
	}
	if h.Yellow > h.Red {
		return fmt.Errorf("health.yellow %v is above health.red %v: want yellow <= red", h.Yellow, h.Red)
	}
	return nil
}

// calibrated checks the calibrated size of a raw log-odds term v, the
// value of field: slope × v, plus the calibration's intercept for a base.
func calibrated(field string, v float64, c metrics.Platt, base bool) error {
	if !(math.Abs(v) <= maxRawLogOdds) {
		return fmt.Errorf("%s %v: want raw log-odds within ±%g", field, v, float64(maxRawLogOdds))
	}
	if base {
		if z := c.LogOdds(v); !(math.Abs(z) <= maxLogOdds) {
			return fmt.Errorf("%s %v: with calibration a=%v b=%v, a calibrated base of %v log-odds, want within ±%g",
				field, v, c.A, c.B, z, float64(maxLogOdds))
		}
		return nil
	}
	// A term is only scaled (c.A is the slope, times a tree's weight for a
	// leaf): naming c as "the calibration" would show a b it does not have.
	if z := c.A * v; !(math.Abs(z) <= maxLogOdds) {
		return fmt.Errorf("%s %v: scaled by %v to calibrated log-odds, a term of %v, want within ±%g",
			field, v, c.A, z, float64(maxLogOdds))
	}
	return nil
}

// checkLogistic checks a logistic model against the artifact's feature
// names and the size of its numbers, calibrated by c.
func checkLogistic(m *logistic.Model, names []string, c metrics.Platt) error {
	n := len(names)
	if !slices.Equal(m.Features, names) || len(m.Coef) != n || len(m.Mean) != n || len(m.Scale) != n {
		return fmt.Errorf("logistic model does not match the %d features", n)
	}
	if err := calibrated("logistic.intercept", m.Intercept, c, true); err != nil {
		return err
	}
	for j := range m.Coef {
		if err := calibrated(fmt.Sprintf("logistic.coef[%d]", j), m.Coef[j], c, false); err != nil {
			return err
		}
		if v := m.Mean[j]; !(math.Abs(v) <= maxFeatureValue) {
			return fmt.Errorf("logistic.mean[%d] %v (%s): want a number within ±%g", j, v, m.Features[j], float64(maxFeatureValue))
		}
		if v := m.Scale[j]; !(v >= minScale && v <= maxFeatureValue) {
			return fmt.Errorf("logistic.scale[%d] %v (%s): want a standard deviation in [%g, %g]",
				j, v, m.Features[j], float64(minScale), float64(maxFeatureValue))
		}
	}
	return nil
}

// checkGBM checks a boosted model against the artifact's feature names,
// its early-stopping record and its trees.
func checkGBM(m *gbm.Model, names []string, c metrics.Platt) error {
	n := len(names)
	if !slices.Equal(m.Features, names) {
		return fmt.Errorf("gbm model does not match the %d features", n)
	}
	if m.BestIteration != len(m.Ensemble.Trees) {
		return fmt.Errorf("gbm.best_iteration %d: the ensemble keeps %d trees", m.BestIteration, len(m.Ensemble.Trees))
	}
	for i, v := range m.ValidLoss {
		if !(v >= 0 && v <= maxLogOdds) {
			return fmt.Errorf("gbm.valid_loss[%d] %v: want a log-loss in [0, %g]", i, v, float64(maxLogOdds))
		}
	}
	return checkEnsemble("gbm.ensemble", &m.Ensemble, n, c)
}

// checkEnsemble checks the structure of e's trees (tree.Validate: child
// indices in range and after their parent, so no cycle, features in
// range, thresholds and covers finite) and the size of its numbers.
func checkEnsemble(field string, e *tree.Ensemble, numFeatures int, c metrics.Platt) error {
	if err := e.Validate(numFeatures); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	// Boosting adds its trees (weight 1); a forest averages them (1/N).
	if !(e.Weight > 0 && e.Weight <= 1) {
		return fmt.Errorf("%s.weight %v: want a weight in (0, 1]", field, e.Weight)
	}
	if err := calibrated(field+".base", e.Base, c, true); err != nil {
		return err
	}
	// A leaf adds weight × its value to the raw log-odds.
	cw := metrics.Platt{A: c.A * e.Weight}
	for i := range e.Trees {
		for k := range e.Trees[i].Nodes {
			if n := &e.Trees[i].Nodes[k]; n.IsLeaf() {
				if err := calibrated(fmt.Sprintf("%s.trees[%d].nodes[%d].v", field, i, k), n.Value, cw, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkPeriod(p features.Period) error {
	if p.Rows < 0 || p.Positives < 0 || p.Positives > p.Rows || p.Accounts < 0 || p.Accounts > p.Rows {
		return fmt.Errorf("%d rows, %d positives and %d accounts do not add up", p.Rows, p.Positives, p.Accounts)
	}
	if p.First > p.Last {
		return fmt.Errorf("first week %s after last week %s", p.First, p.Last)
	}
	return nil
}

// checkSummary checks validation metrics shown to people: each a number
// in its range, or NaN (null) where it is undefined.
func checkSummary(field string, s metrics.Summary) error {
	if s.Rows < 0 || s.Positives < 0 || s.Positives > s.Rows {
		return fmt.Errorf("%s: %d rows and %d positives", field, s.Rows, s.Positives)
	}
	for _, c := range []struct {
		name   string
		v, max float64
	}{
		{"roc_auc", s.ROCAUC, 1}, {"pr_auc", s.PRAUC, 1}, {"brier", s.Brier, 1},
		{"log_loss", s.LogLoss, math.MaxFloat64},
		{"top_decile.precision", s.TopDecile.Precision, 1}, {"top_decile.capture", s.TopDecile.Capture, 1},
		{"top_decile.lift", s.TopDecile.Lift, math.MaxFloat64},
	} {
		if !math.IsNaN(c.v) && !(c.v >= 0 && c.v <= c.max) {
			return fmt.Errorf("%s.%s %v: want a number in [0, %g]", field, c.name, c.v, c.max)
		}
	}
	for i, b := range s.Calibration {
		for _, v := range []float64{b.Lo, b.Hi, b.MeanPredicted, b.ObservedRate} {
			if !(v >= 0 && v <= 1) || b.Rows < 0 {
				return fmt.Errorf("%s.calibration[%d]: %+v: want probabilities in [0, 1]", field, i, b)
			}
		}
	}
	return nil
}

// contentVersion returns the version Save gives a: its kind and a hash of
// its JSON with the version left empty. Decoding and encoding again gives
// the same bytes (encoding/json writes floats in their shortest exact
// form), so a loader recomputes it to tell a file edited by hand.
func contentVersion(a *Artifact) (string, error) {
	c := *a
	c.Version = ""
	body, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	return a.Kind + "-" + hex.EncodeToString(sum[:6]), nil
}
