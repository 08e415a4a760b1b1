package models

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/metrics"
)

// Selection says how Train chooses among models. ROC AUC ranks accounts,
// which is what CS acts on, and calibration cannot change it; log-loss
// is reported beside it.
const Selection = "highest " + metrics.ValidationAUC

// Report is metrics.json: every model's validation and the choice.
type Report struct {
	Chosen    string `json:"chosen"`
	Selection string `json:"selection"`
	// Validation says how the models were validated when it is not out
	// of time: a customer table's cross-validation.
	Validation string          `json:"validation,omitempty"`
	Horizon    int             `json:"horizon_weeks"`
	Train      features.Period `json:"train"`
	Valid      features.Period `json:"valid"`
	// Sample, when the training rows were capped, says which share of
	// the account-weeks Train and Valid (and the refit) are.
	Sample      *features.Sample `json:"sample,omitempty"`
	Fingerprint string           `json:"data_fingerprint"`
	Models      []*Evaluation    `json:"models"`
	// Refit describes the model served when the chosen kind was refitted
	// on every matured week; Train, Valid and Models are then the first
	// fits'.
	Refit *RefitReport `json:"refit,omitempty"`
	// Tuning is the search that chose the settings, when there was one
	// (see Tune).
	Tuning *Tuning `json:"tuning,omitempty"`
	// FeatureGroups is the drop-group backtest of the feature groups,
	// when one was asked for (see MeasureGroups).
	FeatureGroups *GroupReport `json:"feature_groups,omitempty"`
	// Survival is the hazard model's validation, with churn train
	// --survival (see TrainSurvival).
	Survival *SurvivalReport `json:"survival,omitempty"`
}

// TrainOptions configure Train.
type TrainOptions struct {
	// Kinds to fit; nil means all.
	Kinds  []string
	Params Params
	// Backtest repeats fit and validation at this many earlier cut-offs,
	// each a validation period further back; it needs Table.
	Backtest int
	Table    *features.Table
	Split    features.SplitOptions
	// Progress hears of each model's rounds as they finish (see Fit).
	Progress func(kind string, done, total int)
	// Step, when set, hears of each step as it starts: "fitting",
	// "validating", "backtest 2/3" of a kind.
	Step func(kind, step string)
	// Refit, once validation has chosen a kind, refits it on every week
	// whose label has matured, calibrated out of fold (see refitModel):
	// the model served then saw the latest labels, which the first fit,
	// ending a horizon before validation, did not. The matured weeks are
	// Table's when it is set, else those of the split's two sides.
	Refit bool
	// DropTrain lets the refit drop the split's training rows (Train
	// sets sp.Train to nil) once it has gathered the matured weeks: the
	// refit holds its own copy of them, and at millions of rows two
	// copies side by side are most of the peak memory. A caller that
	// reads sp.Train after Train leaves it false.
	DropTrain bool
}

// step tells opt.Step of a step, if it listens.
func (opt *TrainOptions) step(kind, step string) {
	if opt.Step != nil {
		opt.Step(kind, step)
	}
}

// Result is the outcome of Train.
type Result struct {
	Report *Report
	// Artifacts holds every fitted model by kind; Chosen is one of them.
	Artifacts map[string]*Artifact
	Chosen    *Artifact
	// Valid holds each model's calibrated validation probabilities, for
	// plots, in the order of Report.Models.
	Valid [][]float64
	// FirstFit, after a refit, is the chosen kind's first fit: the one
	// validated out of time, which Chosen, the refit, replaces in
	// Artifacts. Nil without a refit.
	FirstFit *Artifact
	// ServedValid are Chosen's calibrated validation probabilities, those
	// its health cut-offs were placed on: the refit's after a refit, as
	// the refit's cut-offs are its own.
	ServedValid []float64
}

// Train fits each kind on the split's training rows, validates it on the
// held-out later weeks, calibrates it, and chooses the best.
func Train(ctx context.Context, sp *features.Split, spec features.Spec, opt TrainOptions) (*Result, error) {
	if err := checkHoldout(sp); err != nil {
		return nil, err
	}
	kinds := opt.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	res := &Result{
		Report: &Report{
			Selection: Selection, Horizon: sp.Horizon, Train: sp.TrainStats, Valid: sp.ValidStats,
		},
		Artifacts: map[string]*Artifact{},
	}
	// Hashing the data is a pass over every value that nothing needs
	// until the first artifact: it runs beside the first fit.
	fingerprint := make(chan string, 1)
	go func() { fingerprint <- Fingerprint(sp.Train, sp.Valid) }()
	best := math.Inf(-1)
	for _, kind := range kinds {
		progress := func(done, total int) {
			if opt.Progress != nil {
				opt.Progress(kind, done, total)
			}
		}
		start := time.Now()
		opt.step(kind, "fitting")
		m, err := Fit(ctx, kind, sp.Train, sp.Valid, opt.Params, progress)
		if err != nil {
			return nil, fmt.Errorf("fit %s: %w", kind, err)
		}
		secs := time.Since(start).Seconds()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		opt.step(kind, "validating and calibrating")
		e, p, err := evaluateContext(ctx, kind, m, sp.Valid, spec)
		if err != nil {
			return nil, fmt.Errorf("validate %s: %w", kind, err)
		}
		e.FitSeconds = math.Round(secs*1000) / 1000
		if opt.Backtest > 0 {
			if opt.Table == nil {
				return nil, fmt.Errorf("a backtest needs the snapshots, not a features directory")
			}
			if e.Backtest, err = backtest(ctx, kind, opt); err != nil {
				return nil, fmt.Errorf("backtest %s: %w", kind, err)
			}
		}
		if res.Report.Fingerprint == "" {
			res.Report.Fingerprint = <-fingerprint
		}
		a := &Artifact{
			Format: FormatVersion, Kind: kind, Features: sp.Train.Features, Spec: spec, Horizon: sp.Horizon,
			Train: sp.TrainStats, Valid: sp.ValidStats, Fingerprint: res.Report.Fingerprint,
			Calibration: e.Calibration, Health: healthFrom(p), Metrics: e.Served,
		}
		a.attach(m)
		c := e.Calibration
		score := func(x []float64) float64 { return sigmoid(c.LogOdds(m.LogOdds(x))) }
		if a.Drift, err = NewDriftReference(sp.Train, score, DriftBins); err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		if err := res.add(kind, a, e, p, &best); err != nil {
			return nil, err
		}
	}
	if opt.Refit {
		if err := res.refit(ctx, sp, opt); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// refit replaces the chosen model by its kind refitted on every matured
// week, with the same settings, calibrated on out-of-fold scores. The
// validation figures stay the first fit's: the refit saw the validation
// weeks. Its health cut-offs are its own probabilities' quantiles on the
// validation weeks, so the colours keep their share of the book, and its
// drift reference is of the rows it was fitted on.
func (res *Result) refit(ctx context.Context, sp *features.Split, opt TrainOptions) error {
	first := res.Chosen
	kind := first.Kind
	m1, err := first.Model()
	if err != nil {
		return err
	}
	opt.step(kind, "gathering every matured week to refit")
	var all *features.Dataset
	var period features.Period
	if opt.Table != nil {
		if opt.DropTrain {
			sp.Train = nil // the table has its rows
			// A slice of gigabytes is allocated whole, without waiting
			// for the collector, and memory collected is returned to the
			// system only slowly: unless the training rows are collected
			// and returned first, both copies are held as the matured
			// rows are made, which at a million accounts was churn
			// train's peak.
			debug.FreeOSMemory()
		}
		h := sp.Horizon
		if all, period, err = opt.Table.Matured(ctx, h, opt.Table.Last-features.Date(7*h)); err != nil {
			return fmt.Errorf("refit %s: %w", kind, err)
		}
	} else {
		// A features directory holds the two sides only: the weeks of
		// the gap between them are not there to refit on.
		all = concat(sp.Train, sp.Valid)
		period = periodOf(all)
		if opt.DropTrain {
			sp.Train = nil // all has its rows
		}
	}
	opt.step(kind, fmt.Sprintf("refitting on every matured week, with %d calibration folds,", RefitFolds))
	fit, err := refitModel(ctx, kind, all, sp.Horizon, refitParams(opt.Params, m1), first.Calibration, func(done, total int) {
		opt.step(kind, fmt.Sprintf("refitted %d of %d (the refit and its calibration folds):", done, total))
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	platt := fit.refit.Calibration
	a := *first
	a.Version, a.Logistic, a.GBM, a.Trees, a.Hybrid = "", nil, nil, nil, nil
	a.Train, a.Calibration = period, platt
	a.attach(fit.model)
	m := fit.model
	score := func(x []float64) float64 { return sigmoid(platt.LogOdds(m.LogOdds(x))) }
	p := make([]float64, sp.Valid.Len())
	inParallel(len(p), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p[i] = score(sp.Valid.Row(i))
		}
	})
	rule := a.Health.Rule
	a.Health = healthFrom(p)
	a.Health.Rule = rule
	if a.Drift, err = NewDriftReference(all, score, DriftBins); err != nil {
		return fmt.Errorf("refit %s: %w", kind, err)
	}
	r := fit.refit
	r.Train, r.Trees, r.Calibration = period, treeCount(m), platt
	r.FirstFit = FirstFit{Train: first.Train, Trees: treeCount(m1), Calibration: first.Calibration}
	a.Refit = &r
	if err := a.Check(); err != nil {
		return fmt.Errorf("%s: the model refitted could not be loaded: %w", kind, err)
	}
	oof := make([]float64, len(fit.z))
	for i, z := range fit.z {
		oof[i] = sigmoid(platt.LogOdds(z))
	}
	res.Report.Refit = &RefitReport{Refit: r, Validation: refitValidation, OutOfFold: metrics.Summarize(fit.y, oof)}
	res.FirstFit, res.Chosen, res.Artifacts[kind], res.ServedValid = first, &a, &a, p
	return nil
}

// add keeps kind's fitted model a, its evaluation and its validation
// probabilities, and chooses it when its ROC AUC beats best. A model that
// Load would refuse is refused here, where the data can still be fixed,
// not after it is saved.
func (res *Result) add(kind string, a *Artifact, e *Evaluation, p []float64, best *float64) error {
	if err := a.Check(); err != nil {
		return fmt.Errorf("%s: the model fitted could not be loaded: %w", kind, err)
	}
	res.Artifacts[kind] = a
	res.Report.Models = append(res.Report.Models, e)
	res.Valid = append(res.Valid, p)
	if e.ValidAUC > *best {
		*best, res.Chosen, res.Report.Chosen, res.ServedValid = e.ValidAUC, a, kind, p
	}
	return nil
}

// evaluateContext is evaluate returning ctx's error as soon as ctx is
// done. Evaluation looks at no context and takes seconds at millions of
// validation rows: it is left to finish on its own, its result dropped.
func evaluateContext(ctx context.Context, kind string, m Model, valid *features.Dataset, spec features.Spec) (*Evaluation, []float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	type evaluated struct {
		e   *Evaluation
		p   []float64
		err error
	}
	done := make(chan evaluated, 1) // buffered: an abandoned evaluation does not block
	go func() {
		e, p, err := evaluate(kind, m, valid, spec)
		done <- evaluated{e, p, err}
	}()
	select {
	case r := <-done:
		return r.e, r.p, r.err
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// Backtest is a model's validation repeated at earlier cut-offs.
type Backtest struct {
	Folds []BacktestFold `json:"folds"`
	// MeanAUC and SDAUC summarise the spread of ROC AUC over folds.
	MeanAUC float64 `json:"mean_auc"`
	SDAUC   float64 `json:"sd_auc"`
}

// BacktestFold is one cut-off of a backtest.
type BacktestFold struct {
	ValidEnd features.Date   `json:"valid_end"`
	Train    features.Period `json:"train"`
	Valid    features.Period `json:"valid"`
	ROCAUC   float64         `json:"roc_auc"`
	PRAUC    float64         `json:"pr_auc"`
	LogLoss  float64         `json:"log_loss"`
	TopLift  float64         `json:"top_decile_lift"`
}

// backtest refits a kind at cut-offs 1..n validation periods before the
// holdout and scores each on its own later weeks, to show how much the
// holdout's figures would move with the calendar.
func backtest(ctx context.Context, kind string, opt TrainOptions) (*Backtest, error) {
	so := opt.Split
	if so.Horizon == 0 {
		so.Horizon = features.DefaultHorizon
	}
	if so.ValidWeeks == 0 {
		so.ValidWeeks = features.DefaultValidWeeks
	}
	end := opt.Split.ValidEnd
	if end == 0 {
		end = opt.Table.Last - features.Date(7*so.Horizon)
	}
	bt := &Backtest{}
	var sum, sq float64
	for k := 1; k <= opt.Backtest; k++ {
		so.ValidEnd = end - features.Date(7*so.ValidWeeks*k)
		opt.step(kind, fmt.Sprintf("backtest cut-off %d/%d", k, opt.Backtest))
		sp, err := opt.Table.SplitContext(ctx, so)
		if err != nil {
			return nil, fmt.Errorf("cut-off %d (validation ending %s): %w", k, so.ValidEnd, err)
		}
		m, err := Fit(ctx, kind, sp.Train, sp.Valid, opt.Params, func(done, total int) {
			if opt.Progress != nil {
				opt.Progress(kind, done, total)
			}
		})
		if err != nil {
			return nil, err
		}
		s := scoreRows(m, sp.Valid)
		p := make([]float64, len(s.z))
		for i, z := range s.z {
			p[i] = sigmoid(z)
		}
		sum := metrics.Summarize(s.y, p)
		bt.Folds = append(bt.Folds, BacktestFold{
			ValidEnd: so.ValidEnd, Train: sp.TrainStats, Valid: sp.ValidStats,
			ROCAUC: sum.ROCAUC, PRAUC: sum.PRAUC, LogLoss: sum.LogLoss, TopLift: sum.TopDecile.Lift,
		})
	}
	for _, f := range bt.Folds {
		sum += f.ROCAUC
		sq += f.ROCAUC * f.ROCAUC
	}
	n := float64(len(bt.Folds))
	bt.MeanAUC = sum / n
	bt.SDAUC = math.Sqrt(math.Max(0, sq/n-bt.MeanAUC*bt.MeanAUC))
	return bt, nil
}

// WriteTable prints the model comparison for a person.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tfit s\tROC AUC\tPR AUC\tlog-loss raw\tlog-loss cal\tBrier cal\tlift@10%\tcapture@10%\tbacktest AUC\t")
	if r.Validation != "" {
		return r.writeCV(w)
	}
	for _, e := range r.Models {
		bt := "-"
		if e.Backtest != nil {
			bt = fmt.Sprintf("%.3f±%.3f", e.Backtest.MeanAUC, e.Backtest.SDAUC)
		}
		mark := ""
		if e.Name == r.Chosen {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s%s\t%.2f\t%.3f\t%.4f\t%.4f\t%.4f\t%.4f\t%.2f\t%.1f%%\t%s\t\n",
			mark, e.Name, e.FitSeconds, e.ValidAUC, e.ValidPRAUC, e.Uncalibrated.LogLoss, e.ValidLogLoss,
			e.ValidBrier, e.TopDecileLift, 100*e.TopDecileCapture, bt)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range r.Models {
		if e.Name == r.Chosen {
			// Three decimals, as the dashboard and churn report show it.
			served := "the scores served"
			if r.Refit != nil {
				served = "the first fit's scores (the refit served saw the validation weeks)"
			}
			_, err := fmt.Fprintf(w, "* chosen: %s, %s %.3f.\n"+
				"ROC AUC, PR AUC and lift are of %s; log-loss and Brier calibrated are out of fold (Platt, 2 folds by account).\n",
				r.Chosen, r.Selection, e.ValidAUC, served)
			return err
		}
	}
	return nil
}

// checkHoldout refuses a split whose validation rows could leak into
// training: the same account-week on both sides, or a training label
// window (week, week+horizon] reaching into the validation weeks. A
// split from features.Table.Split never does either; a features
// directory edited by hand might. A shared account-week is in the
// validation weeks, so the window check finds it too: only a leak found
// is looked for among the validation rows, to say which it is.
func checkHoldout(sp *features.Split) error {
	if sp.Train.Len() == 0 || sp.Valid.Len() == 0 {
		return fmt.Errorf("empty split: %d training and %d validation rows", sp.Train.Len(), sp.Valid.Len())
	}
	firstValid := slices.Min(sp.Valid.Week)
	for i, w := range sp.Train.Week {
		if w+features.Date(7*sp.Horizon) < firstValid {
			continue
		}
		id := sp.Train.AccountID[i]
		for j, v := range sp.Valid.Week {
			if v == w && sp.Valid.AccountID[j] == id {
				return fmt.Errorf("holdout leak: account %q week %s is in both training and validation", id, w)
			}
		}
		return fmt.Errorf("holdout leak: training week %s with a %d-week horizon reaches the validation period starting %s",
			w, sp.Horizon, firstValid)
	}
	return nil
}

// writeCV prints a cross-validated comparison: each metric's mean ± sd
// over the folds.
func (r *Report) writeCV(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tfit s\tROC AUC\tPR AUC\tlog-loss\tBrier\tlift@10%\tcapture@10%\t")
	for _, e := range r.Models {
		mark := ""
		if e.Name == r.Chosen {
			mark = "*"
		}
		m := e.CrossValidation.Metrics
		f := func(name, format string) string {
			return fmt.Sprintf(format+"±"+format, m[name].Mean, m[name].SD)
		}
		fmt.Fprintf(tw, "%s%s\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", mark, e.Name, e.FitSeconds,
			f("roc_auc", "%.3f"), f("pr_auc", "%.3f"), f("log_loss", "%.4f"), f("brier", "%.4f"),
			f("top_decile_lift", "%.2f"), f("top_decile_capture", "%.3f"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range r.Models {
		if e.Name == r.Chosen {
			_, err := fmt.Fprintf(w, "* chosen: %s, %s: %.3f ± %.3f.\n"+
				"%s: mean ± sd over the folds of the raw scores; fit s covers every fold and the refit on all rows.\n",
				r.Chosen, r.Selection, e.ValidAUC, e.ValidAUCSD, r.Validation)
			return err
		}
	}
	return nil
}
