package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/adoption"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/maturity"
	"github.com/churnlabs/churn/models/metrics"
	"github.com/churnlabs/churn/models/ranking"
	"github.com/churnlabs/churn/models/report"
)

// reportTrees is the size of the gbm the report fits when no model is
// given: enough to stand for the full model in an AUC comparison, and
// quick to fit.
const reportTrees = 100

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "--snapshots FILE --out DIR [flags]",
		`Measures retention the way a retention team does and writes DIR/report.html
(self-contained: it can be mailed), DIR/report.json with every number, and
the charts as PNG:

  - customer churn rate and revenue churn per month and per segment, GRR and
    NRR per month and quarter;
  - sign-up cohorts with their retention curves;
  - leading indicators: "at least P% of weeks in T days reach E" for every
    behaviour column, ranked by the lift in retention --horizon weeks later;
  - an adoption score built from the best few indicators, fitted on the
    training weeks of the out-of-time split, with its validation ROC AUC
    beside the full model's (--model, or a 100-tree gbm fitted here);
  - maturity levels 1-4 (onboarding, functional use, strategic use,
    optimisation): three steps of leading indicators, each account's level
    and what it lacks for the next, and churn by level with intervals
    (--maturity FILE configures the steps; see the README);
  - with --model, the drift of the latest week from the model's training
    weeks: each feature's and the score's population stability index and
    share of missing values;
  - with --treatment, the retention uplift of an intervention: treated
    against control accounts, over the horizon after the contact week.

The treatment file is CSV with a header: account_id,group[,week], group being
treated or control and week the contact week (default: the snapshots' latest
week minus the horizon).

DIR is replaced whole, and only when everything is written: an error or an
interrupt leaves the previous DIR as it was. A DIR that holds other files
than an earlier report is refused.`)
	snapshots := fs.String("snapshots", "", "snapshot file (.parquet or .csv)")
	normalize := weeksFlag(fs)
	out := fs.String("out", "", "report directory to write, replaced whole (created if needed)")
	horizon := fs.Int("horizon", features.DefaultHorizon, "retention horizon in weeks; with --model, the model's unless set")
	modelDir := fs.String("model", "", "model directory written by \"churn train\" to compare the adoption score with")
	treatment := fs.String("treatment", "", "CSV of an intervention's accounts: account_id,group[,week]")
	ladderFile := fs.String("maturity", "", "YAML file of the maturity ladder's steps (default: learned from the indicators)")
	confidence := fs.Float64("confidence", retention.DefaultConfidence, "confidence level of the intervals")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := required(fs, "snapshots", "out"); err != nil {
		return err
	}
	if !(*confidence > 0 && *confidence < 1) {
		return usageError(fs, "--confidence %v: want a level between 0 and 1, such as 0.95", *confidence)
	}
	if *horizon < 1 {
		return usageError(fs, "--horizon %d: want at least 1 week", *horizon)
	}
	// Read the small inputs first, so that a mistake in them fails before
	// the long work.
	var assignments []retention.Assignment
	if *treatment != "" {
		var err error
		if assignments, err = retention.ReadTreatmentFile(*treatment); err != nil {
			return err
		}
	}
	var ladder *maturity.Ladder
	if *ladderFile != "" {
		var err error
		if ladder, err = maturity.ReadLadder(*ladderFile); err != nil {
			return err
		}
	}
	var art *models.Artifact
	var notes []string
	if *modelDir != "" {
		var err error
		if art, err = models.Load(*modelDir); err != nil {
			return err
		}
		if art.Spec.Table != nil {
			// Its features are a table's columns, not snapshot features:
			// it cannot score the snapshots' weeks.
			return fmt.Errorf("%s was trained on a customer table: churn report compares models of snapshots", *modelDir)
		}
		switch {
		case !isSet(fs, "horizon"):
			*horizon = art.Horizon
		case *horizon != art.Horizon:
			notes = append(notes, fmt.Sprintf("The model predicts churn within %d weeks; it is compared on %d-week outcomes.",
				art.Horizon, *horizon))
		}
	}

	dir, err := publish.NewDir(*out, report.JSONFile)
	if err != nil {
		return err
	}
	defer dir.Discard()
	var spec *features.Spec
	if art != nil {
		spec = &art.Spec
	}
	tab, hist, err := readSnapshots(ctx, e, *snapshots, *normalize, spec)
	if err != nil {
		return err
	}
	e.progress.begin("measuring churn, cohorts and leading indicators")
	stats, err := retention.Measure(ctx, hist, retention.Options{Horizon: *horizon, Confidence: *confidence})
	e.progress.end()
	if err != nil {
		return err
	}
	rep := report.New(stats)
	rep.Notes = append(rep.Notes, notes...)
	// The adoption score is compared with the model on its validation
	// weeks: by the fit validation measured, the first fit of a refitted
	// model, which did not see them.
	validated, name := art, ""
	if art != nil {
		name = "model " + art.Version
		if validated, err = models.LoadValidated(*modelDir, art); err != nil {
			// The refit is compared instead: a note says its figure
			// is optimistic, as it saw the validation weeks.
			validated = art
			rep.Notes = append(rep.Notes, fmt.Sprintf("No first fit to compare: %v.", err))
		} else if validated != art {
			name += " (its first fit, validated out of time)"
		}
	}
	if err := addAdoption(ctx, e, rep, hist, tab, validated, name, *horizon, *confidence); err != nil {
		return err
	}
	e.progress.begin("placing accounts on maturity levels")
	rep.Maturity, err = maturity.Measure(ctx, hist, maturity.Options{
		Grid:   retention.IndicatorOptions{Horizon: *horizon, Confidence: *confidence},
		Ladder: ladder,
	})
	e.progress.end()
	if *ladderFile != "" && err != nil {
		return fmt.Errorf("%s: %w", *ladderFile, err)
	}
	if errors.Is(err, maturity.ErrTooFewIndicators) || errors.Is(err, retention.ErrShortHistory) {
		rep.Notes = append(rep.Notes, fmt.Sprintf("No maturity levels: %v.", err))
	} else if err != nil {
		return err
	}
	if art != nil {
		if err := addDrift(ctx, e, rep, art, tab); err != nil {
			return err
		}
	}
	if assignments != nil {
		rep.Uplift, err = hist.Uplift(assignments, retention.UpliftOptions{Horizon: *horizon, Confidence: *confidence})
		if err != nil {
			return fmt.Errorf("%s: %w", *treatment, err)
		}
	}
	e.progress.begin("writing " + *out)
	err = report.Save(dir.Path(), rep)
	if err == nil {
		err = commit(ctx, dir)
	}
	e.progress.end()
	if err != nil {
		return err
	}
	if err := rep.WriteText(e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s and %s\n", filepath.Join(*out, report.HTMLFile), filepath.Join(*out, report.JSONFile))
	return nil
}

// readSnapshots reads the snapshot file once into both the feature table,
// built for spec when not nil, and the retention history, reporting progress
// as buildTable does. The file is opened, parsed and checked once, twice
// only when its rows are not in week order.
func readSnapshots(ctx context.Context, e *env, path string, normalizeWeeks bool, spec *features.Spec) (*features.Table, *retention.History, error) {
	col := retention.NewCollector(path)
	e.progress.begin("reading " + path + ", building features and the retention hist")
	tab, err := features.Build(ctx, snapshotSource(e, path, normalizeWeeks), features.BuildOptions{
		Spec:     spec,
		Progress: func(rows int) { e.progress.update("%d rows", rows) },
		Observe:  col.Observe,
	})
	e.progress.end()
	if err != nil {
		return nil, nil, err
	}
	hist, err := col.History()
	if err != nil {
		return nil, nil, err
	}
	return tab, hist, nil
}

// addAdoption builds the adoption score on the out-of-time split and
// compares it with the full model: the one in art (named name), or a gbm
// fitted here.
// Data that cannot be split, or in which no indicator qualifies, leaves
// the score out with a note rather than failing the whole report.
func addAdoption(ctx context.Context, e *env, rep *report.Report, hist *retention.History, tab *features.Table,
	art *models.Artifact, name string, horizon int, confidence float64) error {
	so := features.SplitOptions{Horizon: horizon}
	if art != nil && art.Horizon == horizon && art.Valid.Last <= tab.Last-features.Date(7*horizon) {
		// The model's own validation weeks: on the snapshots it was
		// trained from, its figure here is the one model.json holds.
		so.ValidEnd, so.ValidWeeks = art.Valid.Last, int(art.Valid.Last-art.Valid.First)/7+1
	}
	e.progress.begin("splitting out of time")
	sp, err := tab.SplitContext(ctx, so)
	e.progress.end()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("No adoption score: %v.", err))
		return nil
	}
	if art != nil && sp.ValidStats != art.Valid {
		rep.Notes = append(rep.Notes, fmt.Sprintf("The model's %s, %.3f in model.json, is on its validation rows (%d, weeks %s to %s); "+
			"these snapshots give %d rows in weeks %s to %s, so its figure here differs.",
			metrics.ValidationAUC, art.Metrics.ROCAUC, art.Valid.Rows, art.Valid.First, art.Valid.Last,
			sp.ValidStats.Rows, sp.ValidStats.First, sp.ValidStats.Last))
	}
	full, err := fullScores(ctx, e, sp, art, name)
	if err != nil {
		return err
	}
	if art != nil && art.Train.Last >= sp.ValidStats.First {
		rep.Notes = append(rep.Notes, fmt.Sprintf("The model was trained on weeks up to %s, which overlap the validation weeks "+
			"from %s: its validation AUC here is optimistic.", art.Train.Last, sp.ValidStats.First))
	}
	e.progress.begin("fitting the adoption score")
	rep.Adoption, err = adoption.Build(ctx, hist, sp, full, adoption.Options{
		Grid: retention.IndicatorOptions{Confidence: confidence},
	})
	e.progress.end()
	if errors.Is(err, adoption.ErrNoIndicator) || errors.Is(err, retention.ErrShortHistory) {
		rep.Notes = append(rep.Notes, fmt.Sprintf("No adoption score: %v.", err))
		return nil
	}
	return err
}

// fullScores scores the validation rows with the full model: the trained
// model when given (calibrated probabilities), otherwise a gbm fitted on
// the training rows here (log-odds, which rank the same).
func fullScores(ctx context.Context, e *env, sp *features.Split, art *models.Artifact, name string) (*adoption.Scores, error) {
	s := &adoption.Scores{Prob: make([]float64, sp.Valid.Len())}
	if art != nil {
		scorer, err := models.NewScorer(art)
		if err != nil {
			return nil, err
		}
		s.Model = name
		e.progress.begin("scoring the validation weeks")
		defer e.progress.end()
		for i := range s.Prob {
			if i%65536 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			s.Prob[i] = scorer.Probability(sp.Valid.Row(i))
		}
		return s, nil
	}
	progress := fitProgress(e)
	e.progress.begin("fitting the full model (gbm)")
	m, err := models.Fit(ctx, models.GBM, sp.Train, sp.Valid, models.Params{GBM: gbm.Params{Trees: reportTrees}},
		func(done, total int) { progress(models.GBM, done, total) })
	e.progress.end()
	if err != nil {
		return nil, fmt.Errorf("fit the full model: %w", err)
	}
	s.Model = fmt.Sprintf("full model (gbm, %d trees)", reportTrees)
	for i := range s.Prob {
		s.Prob[i] = m.LogOdds(sp.Valid.Row(i))
	}
	return s, nil
}

// addDrift compares the snapshots' latest week, scored with art, with the
// model's training weeks. A model saved before churn recorded them is
// left without the section, with a note.
func addDrift(ctx context.Context, e *env, rep *report.Report, art *models.Artifact, tab *features.Table) error {
	if art.Drift == nil {
		rep.Notes = append(rep.Notes, "No drift section: the model has no training distribution (trained before churn recorded one); retrain to get it.")
		return nil
	}
	e.progress.begin("scoring the latest week for drift")
	book, err := ranking.Build(ctx, art, tab)
	e.progress.end()
	if err != nil {
		return err
	}
	drifts, err := book.Drift()
	if err != nil {
		return fmt.Errorf("drift of week %s: %w", book.AsOf, err)
	}
	if drifts == nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("No drift section: no account is active in the latest week, %s.", book.AsOf))
		return nil
	}
	rep.Drift = &report.Drift{Week: book.AsOf, ModelVersion: art.Version, Variables: drifts}
	return nil
}
