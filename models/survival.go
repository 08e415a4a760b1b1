package models

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/hazard"
)

// SurvivalHorizons are the weeks the survival curve's time-dependent ROC
// AUC is reported at, beside the fixed-horizon model's own.
var SurvivalHorizons = []int{4, 12, hazard.Weeks}

// SurvivalOptions configure TrainSurvival.
type SurvivalOptions struct {
	// Kinds of hazard model to fit and compare: hazard.GBM,
	// hazard.Logistic or both (nil).
	Kinds  []string
	Params Params
	// Split has the fixed-horizon model's horizon, which the curve is
	// compared at, and the number of validation weeks.
	Split features.SplitOptions
	// Budget caps the (account-week, weeks ahead) pairs drawn for each
	// fit; 0 means hazard.DefaultBudget.
	Budget int
	Seed   uint64
	// Step, when set, hears of each step as it starts, and Progress of
	// each fit's rounds (see Fit).
	Step     func(kind, step string)
	Progress func(kind string, done, total int)
}

// progress returns the rounds callback of one kind's fits, nil when
// nobody listens.
func (opt *SurvivalOptions) progress(kind string) func(done, total int) {
	if opt.Progress == nil {
		return nil
	}
	return func(done, total int) { opt.Progress(kind, done, total) }
}

func (opt *SurvivalOptions) step(kind, step string) {
	if opt.Step != nil {
		opt.Step(kind, step)
	}
}

// SurvivalReport is metrics.json's survival block: the hazard models
// validated out of time against fixed-horizon models fitted on the same
// weeks, and the one served.
type SurvivalReport struct {
	// Validation and Censoring say how the figures were measured.
	Validation string `json:"validation"`
	Censoring  string `json:"censoring"`
	// Horizon is the fixed-horizon model's, which Direct is at.
	Horizon int `json:"horizon_weeks"`
	// Valid are the validation account-weeks, labelled at the horizon;
	// LabelCut is the last week the validated fits' labels saw.
	Valid    features.Period      `json:"valid"`
	LabelCut features.Date        `json:"label_cut"`
	Models   []SurvivalEvaluation `json:"models"`
	Chosen   string               `json:"chosen"`
	// Served is the sample the served hazard model was refitted on,
	// every week labelled up to the data's last.
	Served hazard.Sample `json:"served_sample"`
}

// SurvivalEvaluation is one hazard model's validation.
type SurvivalEvaluation struct {
	Kind       string        `json:"kind"`
	Sample     hazard.Sample `json:"sample"`
	FitSeconds float64       `json:"fit_seconds"`
	// AUC is the curve's time-dependent ROC AUC, risk 1 - S(h), at each
	// of SurvivalHorizons and the horizon.
	AUC []hazard.AUC `json:"time_auc"`
	// Direct is the fixed-horizon model of the same kind, fitted on the
	// same weeks, on the same rows at the horizon; CurveMinusDirect is
	// the curve's AUC there minus Direct's.
	Direct           hazard.AUC `json:"direct_auc"`
	CurveMinusDirect float64    `json:"curve_minus_direct_auc"`
	// Brier at the horizon of 1 - S(h) and of the direct model's
	// probability (both uncalibrated), and the integrated Brier score of
	// the curve over weeks 1 to hazard.Weeks.
	Brier float64 `json:"brier_at_horizon"`
	// Predicted is the mean of 1 - S(h) at the horizon over the rows,
	// DirectPredicted the direct model's mean probability (uncalibrated)
	// and Observed the share that churned within it (IPCW): how well each
	// is calibrated in the large.
	Predicted       float64 `json:"predicted_churn_at_horizon"`
	DirectPredicted float64 `json:"direct_predicted_churn_at_horizon"`
	Observed        float64 `json:"observed_churn_at_horizon"`
	DirectBrier     float64 `json:"direct_brier_at_horizon"`
	IntegratedBrier float64 `json:"integrated_brier"`
}

// aucAt returns the evaluation's curve AUC at h weeks.
func (e *SurvivalEvaluation) aucAt(h int) float64 {
	for _, a := range e.AUC {
		if a.Weeks == h {
			return a.AUC
		}
	}
	return math.NaN()
}

const (
	survivalValidation = "out of time: the validation weeks end hazard.Weeks (26) weeks before the data's last, so every row's " +
		"half-year is observed; the hazard and the fixed-horizon models compared were fitted on labels that end before " +
		"the validation weeks start"
	survivalCensoring = "inverse probability of censoring weights (Kaplan-Meier of the rows' follow-up) for time-dependent " +
		"ROC AUC (cumulative cases, dynamic controls) and Brier scores"
)

// TrainSurvival fits the discrete-time hazard model on t's rows and
// validates it out of time: each kind is fitted on labels that end where
// the validation weeks start, fixed-horizon models of the same kinds on
// the same weeks, and both are scored on the validation weeks, which end
// hazard.Weeks before the data's last so that the whole curve is
// observed. The kind with the highest AUC at the horizon is then refitted
// on every week, its labels running to the data's last, and returned to
// be served.
func TrainSurvival(ctx context.Context, t *features.Table, opt SurvivalOptions) (*hazard.Model, *SurvivalReport, error) {
	h, v := opt.Split.Horizon, opt.Split.ValidWeeks
	if h == 0 {
		h = features.DefaultHorizon
	}
	if v == 0 {
		v = features.DefaultValidWeeks
	}
	kinds := opt.Kinds
	if len(kinds) == 0 {
		kinds = []string{hazard.GBM, hazard.Logistic}
	}
	budget := opt.Budget
	if budget == 0 {
		budget = hazard.DefaultBudget
	}
	if h > hazard.Weeks {
		return nil, nil, fmt.Errorf("survival: horizon %d weeks: the curve reaches %d weeks, so it compares with a fixed-horizon model of at most that", h, hazard.Weeks)
	}
	end := t.Last - features.Date(7*hazard.Weeks)
	sp, err := t.SplitContext(ctx, features.SplitOptions{Horizon: h, ValidWeeks: v, ValidEnd: end})
	if err != nil {
		return nil, nil, fmt.Errorf("survival: validation weeks ending %d weeks before the data's last: %w", hazard.Weeks, err)
	}
	start := end - features.Date(7*(v-1))
	cut := start - 7
	rep := &SurvivalReport{
		Validation: survivalValidation, Censoring: survivalCensoring, Horizon: h, Valid: sp.ValidStats, LabelCut: cut,
	}

	// The validation rows, their outcomes seen in all the data.
	opt.step("survival", "reading the validation weeks of")
	valid := &features.Dataset{Features: t.Spec.Names()}
	var outcomes []hazard.Outcome
	err = hazard.TableRows{From: start, To: end, Cut: t.Last}.Each(ctx, t, func(ds *features.Dataset, follow []hazard.Follow) error {
		for i := range ds.Len() {
			valid.Append(ds.AccountID[i], ds.Week[i], ds.Row(i))
			outcomes = append(outcomes, follow[i].Observed())
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("survival: %w", err)
	}
	g := hazard.NewCensoring(outcomes, hazard.Weeks)
	horizons := SurvivalHorizons
	if !slices.Contains(horizons, h) {
		horizons = append(slices.Clone(horizons), h)
		slices.Sort(horizons)
	}

	params := opt.Params
	params.GBM.EarlyStopping = 0 // the hazard rows have no validation set to stop on
	train := hazard.TableRows{From: t.First, To: cut, Cut: cut}
	opt.step("survival", "expanding the training weeks to weeks ahead for")
	rows, sample, err := train.Build(ctx, t, budget, opt.Seed)
	if err != nil {
		return nil, nil, fmt.Errorf("survival: %w", err)
	}
	best := math.Inf(-1)
	for _, kind := range kinds {
		opt.step(kind, "fitting the hazard")
		began := time.Now()
		m, err := hazard.Fit(ctx, rows, sample, hazard.FitOptions{Kind: kind, GBM: params.GBM, Logistic: params.Logistic, Progress: opt.progress(kind)})
		if err != nil {
			return nil, nil, fmt.Errorf("survival: %w", err)
		}
		e := SurvivalEvaluation{Kind: kind, Sample: sample, FitSeconds: math.Round(time.Since(began).Seconds()*1000) / 1000}
		opt.step(kind, "fitting the fixed-horizon model to compare with")
		direct, err := Fit(ctx, kind, sp.Train, sp.Valid, params, opt.progress(kind))
		if err != nil {
			return nil, nil, fmt.Errorf("survival: fixed-horizon %s: %w", kind, err)
		}
		opt.step(kind, "validating the hazard")
		curves := make([][]float64, valid.Len())
		z := make([]float64, valid.Len())
		inParallel(valid.Len(), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				curves[i] = m.Curve(valid.Row(i))
				z[i] = direct.LogOdds(valid.Row(i))
			}
		})
		risk := make([]float64, len(curves))
		surv := make([]float64, len(curves))
		for _, w := range horizons {
			for i, c := range curves {
				risk[i] = hazard.Within(c, w)
			}
			a := hazard.AUCAt(outcomes, risk, w, g)
			if math.IsNaN(a.AUC) {
				return nil, nil, fmt.Errorf("survival: the validation weeks %s to %s have %d churns within %d weeks and %d accounts seen through them: both are needed",
					start, end, a.Cases, w, a.Controls)
			}
			e.AUC = append(e.AUC, a)
		}
		for i, c := range curves {
			surv[i] = c[h]
			e.Predicted += 1 - c[h]
		}
		e.Predicted /= float64(len(curves))
		e.Observed = hazard.ChurnedWithin(outcomes, h, g)
		e.Brier = hazard.BrierAt(outcomes, surv, h, g)
		e.Direct = hazard.AUCAt(outcomes, z, h, g)
		e.CurveMinusDirect = e.aucAt(h) - e.Direct.AUC
		for i := range z {
			surv[i] = 1 - sigmoid(z[i])
			e.DirectPredicted += sigmoid(z[i])
		}
		e.DirectPredicted /= float64(len(z))
		e.DirectBrier = hazard.BrierAt(outcomes, surv, h, g)
		e.IntegratedBrier = hazard.IntegratedBrier(outcomes, curves, hazard.Weeks, g)
		rep.Models = append(rep.Models, e)
		if a := e.aucAt(h); a > best {
			best, rep.Chosen = a, kind
		}
	}
	rows = nil // the refit draws its own

	opt.step(rep.Chosen, "refitting the hazard on every week")
	all := hazard.TableRows{From: t.First, To: t.Last, Cut: t.Last}
	rows, sample, err = all.Build(ctx, t, budget, opt.Seed)
	if err != nil {
		return nil, nil, fmt.Errorf("survival: refit: %w", err)
	}
	m, err := hazard.Fit(ctx, rows, sample, hazard.FitOptions{Kind: rep.Chosen, GBM: params.GBM, Logistic: params.Logistic, Progress: opt.progress(rep.Chosen)})
	if err != nil {
		return nil, nil, fmt.Errorf("survival: refit: %w", err)
	}
	rep.Served = sample
	return m, rep, nil
}
