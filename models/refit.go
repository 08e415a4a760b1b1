package models

import (
	"context"
	"fmt"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/hybrid"
	"github.com/churnlabs/churn/models/metrics"
	"github.com/churnlabs/churn/models/tree"
)

// RefitFolds is the number of contiguous blocks of weeks whose
// out-of-fold scores calibrate a refitted model. Four keeps each block
// several months long on a two-year book, so a block holds enough churn
// to calibrate on, while each fold still trains on most of the history
// left once the horizon-wide gaps on either side of its block are cut.
const RefitFolds = 4

// Refit describes the model served when it was refitted, after
// validation chose its kind, on every week whose label has matured. The
// validation figures (the models of metrics.json, model.json's
// valid_metrics) stay those of the first fit, which was validated out of
// time on weeks it had not seen; the refit saw those weeks, so it has no
// out-of-time figures of its own.
type Refit struct {
	// Train is the refit's training rows: every matured week, up to the
	// last validation week.
	Train features.Period `json:"train"`
	// Weeks and Rows count the refit's training weeks and rows.
	Weeks int `json:"weeks"`
	Rows  int `json:"rows"`
	// Trees is the number of trees of a GBM (the first fit's, as early
	// stopping found it) or forest.
	Trees int `json:"trees,omitempty"`
	// Calibration is the served calibration, fitted on the out-of-fold
	// scores of the latest block of CalibrationFolds that could be
	// scored, CalibrationWeeks; it is the first fit's when none could.
	Calibration      metrics.Platt    `json:"calibration"`
	CalibrationWeeks [2]features.Date `json:"calibration_weeks"`
	// CalibrationFolds are the blocks of weeks that were scored out of
	// fold, each by a fit on the weeks more than a horizon away from it.
	CalibrationFolds []RefitFold `json:"calibration_folds"`
	// FirstFit is the fit that validation chose, which the validation
	// figures are of.
	FirstFit FirstFit `json:"first_fit"`
}

// FirstFit is the fit that validation measured, before the refit.
type FirstFit struct {
	Train       features.Period `json:"train"`
	Trees       int             `json:"trees,omitempty"`
	Calibration metrics.Platt   `json:"calibration"`
}

// RefitFold is one block of weeks scored out of fold to calibrate a
// refit: its rows, and the rows of the fit that scored them.
type RefitFold struct {
	First     features.Date `json:"first_week"`
	Last      features.Date `json:"last_week"`
	Rows      int           `json:"rows"`
	TrainRows int           `json:"train_rows"`
	// ROCAUC is the ROC AUC of the block's out-of-fold scores, when it
	// holds both classes: the refit's recipe validated on each block.
	ROCAUC float64 `json:"roc_auc,omitempty"`
	// Skipped says why the block was not scored, when it was not.
	Skipped string `json:"skipped,omitempty"`
}

// RefitReport is metrics.json's "refit": the refit, what the validation
// figures beside it are of, and the out-of-fold figures of its
// calibration.
type RefitReport struct {
	Refit
	// Validation says which fit the validation figures are of.
	Validation string `json:"validation"`
	// OutOfFold summarises the calibrated out-of-fold probabilities of
	// the calibration weeks, scored by a model that did not see them.
	// The calibration was fitted on these same scores, so its log-loss
	// and Brier are slightly flattered.
	OutOfFold metrics.Summary `json:"out_of_fold"`
}

// refitValidation is RefitReport.Validation.
const refitValidation = "valid_auc and the other validation figures are the first fit's, validated out of time on weeks it had not seen; " +
	"the model served is the refit, on every matured week including those, calibrated out of fold"

// check verifies a refit record against the artifact that holds it.
func (r *Refit) check(a *Artifact) error {
	for _, p := range []struct {
		name string
		p    features.Period
	}{{"refit.train", r.Train}, {"refit.first_fit.train", r.FirstFit.Train}} {
		if err := checkPeriod(p.p); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	if r.Train != a.Train || r.Calibration != a.Calibration {
		return fmt.Errorf("refit: its train and calibration are not the model's")
	}
	if c := r.FirstFit.Calibration; !(c.A > 0 && c.A <= maxSlope) {
		return fmt.Errorf("refit.first_fit.calibration.a %v: want a slope in (0, %g]", c.A, float64(maxSlope))
	}
	return nil
}

// refitParams returns p for refitting the first fit m: the same
// settings, and for a GBM the trees m kept, with early stopping off, as
// the refit has no validation weeks left to stop on.
func refitParams(p Params, m Model) Params {
	g := boosted(m)
	if g == nil {
		return p
	}
	// No tree kept (the first round never helped) would read as the
	// default in Trees: one tree is the closest fit.
	p.GBM.Trees, p.GBM.EarlyStopping = max(1, g.BestIteration), 0
	return p
}

// logOddsOf returns m's log-odds of every row of ds, in order.
func logOddsOf(m Model, ds *features.Dataset) []float64 {
	z := make([]float64, ds.Len())
	inParallel(len(z), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			z[i] = m.LogOdds(ds.Row(i))
		}
	})
	return z
}

// boosted returns the boosted trees of m, a GBM or a hybrid's GBM part,
// nil for other models: the part whose tree count the refit keeps.
func boosted(m Model) *gbm.Model {
	switch m := m.(type) {
	case *gbm.Model:
		return m
	case *hybrid.Model:
		return m.GBM
	}
	return nil
}

// treeCount is the number of trees of a GBM, a hybrid's GBM part or a
// forest, 0 for others.
func treeCount(m Model) int {
	if g := boosted(m); g != nil {
		return len(g.Ensemble.Trees)
	}
	if e, ok := m.(*tree.Ensemble); ok && len(e.Trees) > 1 {
		return len(e.Trees)
	}
	return 0
}

// refitBlocks cuts the distinct weeks of ds into k contiguous blocks of
// about equal numbers of weeks, earliest first.
func refitBlocks(weeks []features.Date, k int) [][2]features.Date {
	ws := slices.Clone(weeks)
	slices.Sort(ws)
	ws = slices.Compact(ws)
	k = min(k, len(ws))
	out := make([][2]features.Date, k)
	for b := range k {
		out[b] = [2]features.Date{ws[b*len(ws)/k], ws[(b+1)*len(ws)/k-1]}
	}
	return out
}

// refitFit is a refit with its out-of-fold calibration.
type refitFit struct {
	model Model
	refit Refit
	// z and y are the out-of-fold log-odds of the calibration weeks'
	// rows and their labels, nil when no block could calibrate.
	z, y []float64
}

// refitModel fits kind with p on all, every matured row, which it puts
// in week order, and calibrates it on out-of-fold scores; fallback is the
// calibration kept when no block can be scored.
//
// The refit has no untouched weeks to calibrate on, as the first fit had
// its validation weeks. Its calibration is fitted on out-of-fold scores
// of its own rows instead: the weeks are cut into RefitFolds contiguous
// blocks, and each block is scored by a fit of the same kind and
// settings on the rows of the other blocks, leaving out those within a
// horizon of the block on either side. A row's label looks horizon weeks
// ahead, so a training row nearer than that shares churn events with the
// block, before it as after it; with the gap, no label of a fold's
// training rows sees the outcome of a row it scores. Blocks of weeks
// rather than random rows or accounts, for the same reason: rows of one
// account in neighbouring weeks share their label.
//
// The calibration is Platt scaling, as the first fit's, fitted on the
// out-of-fold log-odds of the latest block that holds both classes and
// applied to the refit's: as scikit-learn's CalibratedClassifierCV
// (ensemble=False), the fold's model stands in for the refit, fitted on
// less data. The latest block only, not all of them pooled, because the
// churn rate drifts: the latest matured weeks are the nearest to those
// the model will score, which is why the first fit is calibrated on its
// validation weeks too. On CDNOW, whose customers age as one cohort,
// pooled blocks gave log-losses of 0.58 and 0.72 on the weeks after two
// cut-offs, against 0.47 and 0.44 for the latest block (0.47 and 0.44 for
// the first fits); on two simulated books of churn gen's default size the
// latest block was better than pooled too (0.1085 against 0.1091, 0.1139
// against 0.1145), and than a slope pooled with an intercept from the
// latest block. On small books pooling can win by a little: 800 accounts
// are too few for a block to calibrate as steadily.
// The latest block is trained on the weeks before it alone, as serving
// is; every earlier block is scored as well, its ROC AUC reported as a
// check of the recipe over time.
func refitModel(ctx context.Context, kind string, all *features.Dataset, horizon int, p Params, fallback metrics.Platt, progress func(done, total int)) (*refitFit, error) {
	// In week order, a block's rows are one run and its fold's training
	// rows, those before and after the block's gaps, two runs that a
	// rotation joins into one: each fold fits on a slice of all, not on a
	// copy of most of it, which at a million accounts was the peak of
	// churn train's memory.
	all.SortByWeek()
	blocks := refitBlocks(all.Week, RefitFolds)
	k := len(blocks)
	gap := features.Date(7 * horizon)
	// first returns the first row whose week is at least w.
	first := func(w features.Date) int {
		i, _ := slices.BinarySearch(all.Week, w)
		return i
	}
	folds := make([]refitSpan, k)
	report := make([]RefitFold, k)
	var jobs []int // folds to fit; k is the refit on every row
	for b, bl := range blocks {
		f := refitSpan{held: [2]int{first(bl[0]), first(bl[1] + 1)}, left: [2]int{first(bl[0] - gap), first(bl[1] + gap + 1)}}
		folds[b] = f
		pos, n := f.positives(all)
		report[b] = RefitFold{First: bl[0], Last: bl[1], Rows: f.held[1] - f.held[0], TrainRows: n}
		if pos == 0 || pos == n {
			report[b].Skipped = fmt.Sprintf("its training rows, more than %d weeks away, have %d churn positives of %d: both classes are needed", horizon, pos, n)
			continue
		}
		jobs = append(jobs, b)
	}
	jobs = append(jobs, k)

	// One fit at a time, each on every CPU, as the learners are parallel:
	// measured on CDNOW, that is faster than fits side by side on one CPU
	// each.
	var refit Model
	zs := make([][]float64, k)
	for n, b := range jobs {
		if b == k {
			m, err := Fit(ctx, kind, all, nil, p, nil)
			if err != nil {
				return nil, fmt.Errorf("refit %s on every matured week: %w", kind, err)
			}
			refit = m
		} else {
			// The refit's settings stop no fit early, so the fold's fit
			// needs no validation rows.
			z, err := folds[b].fit(ctx, kind, all, p)
			if err != nil {
				return nil, fmt.Errorf("refit %s, calibration fold of weeks %s to %s: %w", kind, blocks[b][0], blocks[b][1], err)
			}
			zs[b] = z
		}
		if progress != nil {
			progress(n+1, len(jobs))
		}
	}
	weeks := slices.Compact(slices.Clone(all.Week)) // in week order
	r := &refitFit{model: refit, refit: Refit{CalibrationFolds: report, Weeks: len(weeks), Rows: all.Len(), Calibration: fallback}}
	calibrated := false
	for b := k - 1; b >= 0; b-- {
		if zs[b] == nil {
			continue
		}
		h := folds[b].held
		y := slices.Clone(all.Label[h[0]:h[1]])
		if pos := positives(all, h[0], h[1]); pos == 0 || pos == len(y) {
			continue
		}
		report[b].ROCAUC = metrics.ROCAUC(y, zs[b])
		if calibrated {
			continue
		}
		// A block whose scores rank no better than chance would get an
		// inverted calibration: an earlier block calibrates instead.
		if c, err := metrics.FitPlatt(zs[b], y); err == nil && c.A > 0 {
			r.refit.Calibration, r.refit.CalibrationWeeks = c, blocks[b]
			r.z, r.y, calibrated = zs[b], y, true
		}
	}
	return r, nil
}

// positives counts the positive labels among rows lo to hi-1 of ds.
func positives(ds *features.Dataset, lo, hi int) int {
	n := 0
	for _, y := range ds.Label[lo:hi] {
		if y == 1 {
			n++
		}
	}
	return n
}

// refitSpan is a calibration fold of rows in week order: the run of
// rows it scores, held, and the run left out of its training side, left,
// the block and a horizon's gap on either side; the rest train.
type refitSpan struct {
	held, left [2]int
}

// positives returns the churn positives among the fold's training rows
// and their number.
func (f refitSpan) positives(all *features.Dataset) (pos, n int) {
	lo, hi := f.left[0], f.left[1]
	return positives(all, 0, lo) + positives(all, hi, all.Len()), all.Len() - (hi - lo)
}

// fit fits kind with p on the fold's training rows and returns the
// log-odds of its block's rows. When rows train on both sides of the
// run left out, those before it are rotated behind those after it, which
// joins them into one slice, and rotated back when the fit is done, even
// when it fails.
func (f refitSpan) fit(ctx context.Context, kind string, all *features.Dataset, p Params) ([]float64, error) {
	lo, hi, n := f.left[0], f.left[1], all.Len()
	train, shift := all.Slice(hi, n), 0
	switch {
	case hi == n:
		train = all.Slice(0, lo)
	case lo > 0:
		all.Rotate(lo)
		defer all.Rotate(n - lo)
		train, shift = all.Slice(hi-lo, n), lo
	}
	m, err := Fit(ctx, kind, train, nil, p, nil)
	if err != nil {
		return nil, err
	}
	return logOddsOf(m, all.Slice(f.held[0]-shift, f.held[1]-shift)), nil
}

// periodOf describes the rows of ds as a split's side.
func periodOf(ds *features.Dataset) features.Period {
	var p features.Period
	accounts := map[string]bool{}
	for i, w := range ds.Week {
		if p.Rows == 0 || w < p.First {
			p.First = w
		}
		if p.Rows == 0 || w > p.Last {
			p.Last = w
		}
		p.Rows++
		if ds.Label[i] == 1 {
			p.Positives++
		}
		accounts[ds.AccountID[i]] = true
	}
	p.Accounts = len(accounts)
	return p
}

// concat returns the rows of a then b in one dataset.
func concat(a, b *features.Dataset) *features.Dataset {
	out := &features.Dataset{Features: a.Features}
	for _, ds := range []*features.Dataset{a, b} {
		out.AccountID = append(out.AccountID, ds.AccountID...)
		out.Week = append(out.Week, ds.Week...)
		out.X = append(out.X, ds.X...)
		out.Label = append(out.Label, ds.Label...)
	}
	return out
}
