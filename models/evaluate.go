package models

import (
	"cmp"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/metrics"
)

// Evaluation is one model's validation against historical churn, as
// metrics.json reports it.
//
// The ranking figures (ValidAUC, the headline, metrics.ValidationAUC, and
// PR AUC, lift and capture) are those of the scores the model serves,
// the ones a CS team works down: they are the same before and after its
// calibration, which is monotone. The probability figures (log-loss,
// Brier) are out of fold, so fitting the calibration on the validation
// rows does not flatter them. The out-of-fold probabilities come from
// two calibrations, which rank rows slightly differently: their ROC AUC
// (Calibrated.ROCAUC) is not the served model's and is no headline.
type Evaluation struct {
	Name string `json:"name"`
	// ValidAUC is the validation ROC AUC (out of time) of the served
	// scores: the figure train, model.json, the dashboard and the report
	// show.
	ValidAUC float64 `json:"valid_auc"`
	// ValidAUCSD is, for a cross-validated model, the standard deviation
	// of ROC AUC over the folds, ValidAUC being their mean.
	ValidAUCSD float64 `json:"valid_auc_sd,omitempty"`
	FitSeconds float64 `json:"fit_seconds"`

	ValidPRAUC       float64 `json:"valid_pr_auc"`
	ValidLogLoss     float64 `json:"valid_log_loss"`
	ValidBrier       float64 `json:"valid_brier"`
	TopDecileLift    float64 `json:"top_decile_lift"`
	TopDecileCapture float64 `json:"top_decile_capture"`

	// Served are the metrics of the probabilities the model serves,
	// calibrated by the fit on every validation row; model.json holds
	// them. Uncalibrated are those of the model's raw probabilities;
	// Calibrated of Platt-scaled ones, each validation row scored by a
	// calibration fitted on the other half of the accounts (out of
	// fold), so the figures are not flattered by fitting on themselves.
	Served       metrics.Summary `json:"served"`
	Uncalibrated metrics.Summary `json:"uncalibrated"`
	Calibrated   metrics.Summary `json:"calibrated"`
	// Isotonic is the out-of-fold log-loss and Brier of isotonic
	// calibration, for comparison. The model uses Platt: it keeps the
	// contributions exact, which a step function cannot.
	Isotonic struct {
		LogLoss float64 `json:"log_loss"`
		Brier   float64 `json:"brier"`
	} `json:"isotonic"`
	Calibration metrics.Platt `json:"calibration"`

	// Segments breaks the calibrated metrics down by segment.
	Segments map[string]metrics.Summary `json:"segments,omitempty"`
	// Importance is the mean absolute contribution of each feature over
	// validation rows, in calibrated log-odds, largest first.
	Importance []Importance `json:"importance"`
	// CrossValidation holds a customer table model's folds.
	CrossValidation *CrossValidation `json:"cross_validation,omitempty"`
	// Backtest repeats the validation at earlier cut-offs.
	Backtest *Backtest `json:"backtest,omitempty"`
	// Coefficients are a logistic model's, per standardized unit and per
	// original unit of each feature.
	Coefficients []Coefficient `json:"coefficients,omitempty"`
}

// Coefficient is a logistic regression weight in two units: per standard
// deviation (comparable across features) and per unit of the feature as
// it is reported (what "one more overdue invoice" does to the log-odds).
type Coefficient struct {
	Feature      string  `json:"feature"`
	Standardized float64 `json:"per_sd"`
	Original     float64 `json:"per_unit"`
}

// Importance is a feature's mean absolute contribution.
type Importance struct {
	Feature string  `json:"feature"`
	MeanAbs float64 `json:"mean_abs_log_odds"`
}

// scored is a model's raw log-odds on the validation rows.
type scored struct {
	y, z []float64
	fold []uint8 // 0 or 1: which half of the accounts a row belongs to
}

// fitScored is a model that scored its validation rows while it was
// fitted, as the GBM does to track its validation loss.
type fitScored interface {
	// ValidationLogOdds returns LogOdds of every row of ds, or nil when
	// ds is not the validation set of the fit.
	ValidationLogOdds(ds *features.Dataset) []float64
}

func scoreRows(m Model, ds *features.Dataset) scored {
	s := scored{y: ds.Label, z: make([]float64, ds.Len()), fold: make([]uint8, ds.Len())}
	var known []float64
	if fs, ok := m.(fitScored); ok {
		known = fs.ValidationLogOdds(ds)
	}
	inParallel(ds.Len(), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if known != nil {
				s.z[i] = known[i]
			} else {
				s.z[i] = m.LogOdds(ds.Row(i))
			}
			h := fnv.New32a()
			h.Write([]byte(ds.AccountID[i]))
			s.fold[i] = uint8(h.Sum32() & 1)
		}
	})
	return s
}

// inParallel splits rows [0, n) into one contiguous range per CPU and
// calls fn on each concurrently. Every row's result lands in its own
// place, so the outcome does not depend on the number of CPUs.
func inParallel(n int, fn func(lo, hi int)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), n))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { fn(w*n/workers, (w+1)*n/workers) })
	}
	wg.Wait()
}

// evaluate computes a model's validation figures and its calibration.
func evaluate(name string, m Model, valid *features.Dataset, spec features.Spec) (*Evaluation, []float64, error) {
	return evaluateScored(name, m, scoreRows(m, valid), valid, spec)
}

// evaluateScored is evaluate with the rows of valid already scored into
// s: by m itself, or out of fold by cross-validation, m being then the
// model refitted on every row (whose importance it reports).
func evaluateScored(name string, m Model, s scored, valid *features.Dataset, spec features.Spec) (*Evaluation, []float64, error) {
	columns, of := spec.Groups()
	if len(of) != len(valid.Features) {
		// A features directory edited by hand; each feature stands alone.
		columns, of = valid.Features, make([]int, len(valid.Features))
		for j := range of {
			of[j] = j
		}
	}
	// Explaining rows for the importance is most of the work and runs on
	// every CPU; the metrics run on one. Side by side, neither waits.
	explained := make(chan importanceSums, 1)
	go func() { explained <- explainRows(m, valid, of, len(columns)) }()
	raw := make([]float64, len(s.z))
	for i, z := range s.z {
		raw[i] = sigmoid(z)
	}
	platt, err := metrics.FitPlatt(s.z, s.y)
	if err != nil {
		<-explained
		return nil, nil, err
	}
	if !(platt.A > 0) {
		// A model that ranks no better than chance gets no calibration
		// rather than an inverted one; its AUC already tells the story.
		platt = metrics.Platt{A: 1}
	}
	oof, iso := s.outOfFold(raw)
	// served is what Scorer.Probability answers for each row, computed
	// the same way, so that a report scoring these rows with the saved
	// model finds the same figures to the last bit.
	served := make([]float64, len(s.z))
	for i, z := range s.z {
		served[i] = sigmoid(platt.LogOdds(z))
	}
	e := &Evaluation{
		Name:         name,
		Served:       metrics.Summarize(s.y, served),
		Uncalibrated: metrics.Summarize(s.y, raw),
		Calibrated:   metrics.Summarize(s.y, oof),
		Calibration:  platt,
		Segments:     bySegment(valid, spec, oof),
	}
	e.Isotonic.LogLoss, e.Isotonic.Brier = metrics.LogLoss(s.y, iso), metrics.Brier(s.y, iso)
	r, c := e.Served, e.Calibrated
	e.ValidAUC, e.ValidPRAUC = r.ROCAUC, r.PRAUC
	e.TopDecileLift, e.TopDecileCapture = r.TopDecile.Lift, r.TopDecile.Capture
	e.ValidLogLoss, e.ValidBrier = c.LogLoss, c.Brier
	e.Importance = (<-explained).importance(columns, platt.A)
	if lm, ok := m.(*logistic.Model); ok {
		orig, _ := lm.Original()
		for j, f := range lm.Features {
			e.Coefficients = append(e.Coefficients, Coefficient{f, lm.Coef[j], orig[j]})
		}
	}
	return e, served, nil
}

// outOfFold returns Platt and isotonic probabilities for every row, each
// from a calibration fitted on the other fold's accounts.
func (s scored) outOfFold(raw []float64) (platt, iso []float64) {
	platt, iso = make([]float64, len(s.z)), make([]float64, len(s.z))
	for k := range uint8(2) {
		var fz, fy, fp []float64
		for i, f := range s.fold {
			if f != k {
				fz, fy, fp = append(fz, s.z[i]), append(fy, s.y[i]), append(fp, raw[i])
			}
		}
		c, err := metrics.FitPlatt(fz, fy)
		if err != nil || !(c.A > 0) {
			c = metrics.Platt{A: 1}
		}
		ic, err := metrics.FitIsotonic(fp, fy)
		for i, f := range s.fold {
			if f != k {
				continue
			}
			platt[i] = c.Probability(s.z[i])
			iso[i] = raw[i]
			if err == nil {
				iso[i] = ic.Predict(raw[i])
			}
		}
	}
	return platt, iso
}

// bySegment summarises probabilities p per segment, read back from the
// rows' segment indicator columns.
func bySegment(ds *features.Dataset, spec features.Spec, p []float64) map[string]metrics.Summary {
	if len(spec.Segments) == 0 {
		return nil
	}
	cols := make([]int, len(spec.Segments))
	for i, s := range spec.Segments {
		cols[i] = ds.Column(features.SegmentFeature(s))
	}
	ys, ps := map[string][]float64{}, map[string][]float64{}
	for i := range ds.Len() {
		seg := "(none)"
		for k, c := range cols {
			if c >= 0 && ds.Row(i)[c] == 1 {
				seg = spec.Segments[k]
			}
		}
		ys[seg], ps[seg] = append(ys[seg], ds.Label[i]), append(ps[seg], p[i])
	}
	out := make(map[string]metrics.Summary, len(ys))
	for seg, y := range ys {
		out[seg] = metrics.Summarize(y, ps[seg])
	}
	return out
}

// importanceRows bounds the rows explained for feature importance: the
// ranking of features is stable long before all validation rows.
const importanceRows = 5000

// importanceSums are the sums of the absolute contributions of each
// feature over rows explained.
type importanceSums struct {
	sum  []float64
	rows int
}

// explainRows explains up to importanceRows rows of ds, evenly spaced,
// and sums the absolute contribution of each of ncol original columns,
// of[j] being feature j's: one-hot parts are summed before their
// absolute value is taken, as a score's explanation shows them.
func explainRows(m Model, ds *features.Dataset, of []int, ncol int) importanceSums {
	p := len(ds.Features)
	step := max(1, ds.Len()/importanceRows)
	n := (ds.Len() + step - 1) / step
	// Each row's contributions get a place of their own and are summed in
	// row order after, so the figures are the same on any number of CPUs.
	phi := make([]float64, n*p)
	explain := batchExplainer(m)
	inParallel(n, func(lo, hi int) {
		rows, phis := make([][]float64, hi-lo), make([][]float64, hi-lo)
		for k := lo; k < hi; k++ {
			rows[k-lo], phis[k-lo] = ds.Row(k*step), phi[k*p:(k+1)*p]
		}
		explain(rows, phis)
	})
	sum := make([]float64, ncol)
	col := make([]float64, ncol)
	for k := range n {
		clear(col)
		for j, v := range phi[k*p : (k+1)*p] {
			col[of[j]] += v
		}
		for c, v := range col {
			sum[c] += math.Abs(v)
		}
	}
	return importanceSums{sum, n}
}

// importance returns the mean absolute contribution of each feature,
// in log-odds scaled by scale (a calibration's slope), largest first.
func (s importanceSums) importance(names []string, scale float64) []Importance {
	out := make([]Importance, len(names))
	for j, f := range names {
		out[j] = Importance{Feature: f, MeanAbs: scale * s.sum[j] / float64(max(s.rows, 1))}
	}
	slices.SortStableFunc(out, func(a, b Importance) int { return cmp.Compare(b.MeanAbs, a.MeanAbs) })
	return out
}

// healthFrom places the health cut-offs at the validation quantiles of
// calibrated probability: red for the riskiest 10%, yellow the next 20%.
func healthFrom(p []float64) Health {
	s := slices.Clone(p)
	slices.Sort(s)
	q := func(f float64) float64 { return s[min(len(s)-1, int(f*float64(len(s))))] }
	return Health{Yellow: q(0.7), Red: q(0.9),
		Rule: "red: riskiest 10% of validation account-weeks; yellow: next 20%"}
}
