package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/parquetfile"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/hazard"
	"github.com/churnlabs/churn/models/plays"
	"github.com/churnlabs/churn/models/plots"
	"github.com/churnlabs/churn/models/registry"
)

// defaultMaxTrainRows caps the training rows of churn train --snapshots:
// at 100k accounts over two years (3.6 million training rows) nothing is
// sampled, at a million accounts about one account-week in nine is, and
// the models' memory stays that of 100k accounts.
const defaultMaxTrainRows = 4_000_000

func runTrain(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "train", "(--snapshots FILE | --features DIR | --table FILE --label COL) (--out DIR | --registry DIR) [flags]",
		`Fits churn models, validates them out of time against historical churn,
prints the comparison and writes the chosen model to DIR: model.json (the
model, its features, calibration, training window, data fingerprint and
validation metrics) and metrics.json (every model's validation), plus ROC,
gains, calibration and feature-importance charts as PNG. The other models
fitted go to DIR/candidates/KIND/ so they can be compared and promoted.

With --snapshots the features are built here (and --backtest can refit at
earlier cut-offs); with --features the training set that "churn features"
wrote is used as it is. --tune 30m or --tune-trials N first searches gbm's
and logistic's settings, each trial scored by mean ROC AUC at --tune-folds
cut-offs inside the training weeks (never the validation weeks); the best
is fitted, and metrics.json keeps every trial under "tuning". --model all fits every kind and chooses the one with
the highest validation ROC AUC. Probabilities are calibrated with Platt
scaling on the validation weeks.

Once validation has chosen, the chosen kind is refitted on every week whose
label has matured (up to the last validation week) with the same settings
(a GBM with the trees early stopping kept), and calibrated with Platt
scaling on out-of-fold scores: of 4 blocks of weeks, each scored by a fit on
the weeks more than a horizon away from it, the latest calibrates (the churn
rate drifts). That refit is the model served;
the validation figures stay the first fit's, which is kept in
DIR/first-fit/. --no-refit serves the first fit instead, as before.

With --table, a static customer table (one row per customer, CSV or
Parquet) is the input: --label names the churned flag (1/0, true/false,
yes/no), --id the customer key, --drop columns to leave out. Numeric columns
are used as they are, text columns as categories (one 0/1 feature per
value), blanks and NA/null as missing (trees route them, logistic imputes
the mean and adds an indicator); text with too many distinct values (an id,
free text) is left out with a warning. Models are validated by stratified
--folds cross-validation (mean ± sd of every metric), the chosen one
refitted on every row; with --time COL (a date) they are validated out of
time instead, on the latest 20% of rows, as for snapshots.

--feature-groups measures the optional groups of features (lifetime,
since, baseline, windows-52, shape, renewal-term, extras-windows, per-seat,
vs-lifetime; the base columns are never left out) by drop-group backtest:
at --tune-folds cut-offs inside the training weeks, gbm (or the one
--model) is refitted with every group and with each left out, and
metrics.json's "feature_groups" keeps each group's columns, backtest AUC
with and without it, the difference and whether the model kept it. "all"
builds every group the data can carry (windows-52 needs a year of history
before the last training week, renewal-term renewal dates, extras-windows
an extra column, per-seat a "seats" column, vs-lifetime ARR or an extra
column) and keeps them;
"auto" leaves out those whose removal lowers the backtest AUC by no more
than noise (the standard error of the folds' differences, at least
0.0005; if leaving them out together costs more than 0.0005, only the
cheapest goes), decided on those folds only, never on the validation
weeks; a list such as baseline,shape builds and
measures those. Without it the default groups (lifetime, since, baseline,
shape, renewal-term with renewal dates, vs-lifetime, and windows-52 with a
year of history before the last training week) are built and nothing is
measured.

Past --max-train-rows training rows (default 4,000,000, about 100k
accounts over two years), every model is trained, validated and refitted
on a fixed sample of the account-weeks, chosen by a hash of account ID and
week, of about that many training rows: the models' memory then stays
bounded at any number of accounts. The output and metrics.json's "sample"
say so; --max-train-rows 0 keeps every row.

DIR is replaced whole, and only when everything is written: an error or an
interrupt leaves the previous DIR as it was, and no candidate of an earlier
run is kept. A DIR that holds other files than an earlier model is refused
before any fitting.

--registry DIR registers the model in a registry folder (see "churn models"),
under its version; --out is then optional. --challenge also compares the new
model with the registry's champion on the new model's validation weeks, the
latest out-of-time weeks, with DeLong's test for the difference of the two
ROC AUCs, and promotes it only if its AUC is higher and the two-sided p-value
is below --challenge-level; otherwise it says why not, with the figures. The
first model of a registry becomes its champion. With --shadow, a model
--challenge does not promote becomes the registry's shadow instead, scored
beside the champion by "churn serve --registry" so that "churn monitor"
compares the two on live traffic.`)
	snapshots := fs.String("snapshots", "", "snapshot file (.parquet or .csv): build features here")
	normalize := weeksFlag(fs)
	featDir := fs.String("features", "", "directory written by \"churn features\"")
	var tf tableFlags
	fs.StringVar(&tf.path, "table", "", "static customer table (.csv or .parquet): one row per customer, cross-validated")
	fs.StringVar(&tf.label, "label", "", "with --table: the churned column (1/0, true/false, yes/no)")
	fs.StringVar(&tf.id, "id", "", "with --table: the customer key column, never a feature")
	fs.StringVar(&tf.drop, "drop", "", "with --table: columns to leave out, comma-separated")
	fs.IntVar(&tf.folds, "folds", models.DefaultFolds, "with --table: cross-validation folds")
	fs.StringVar(&tf.time, "time", "", "with --table: a date column; validate out of time on the latest 20% of rows instead of cross-validating")
	out := fs.String("out", "", "model directory to write, replaced whole")
	registryDir := fs.String("registry", "", "registry folder to register the model in (see \"churn models\")")
	db := fs.String("db", "", "with --registry: lifecycle store, a postgres:// URL or a SQLite file (default DIR/churn.db)")
	challenge := fs.Bool("challenge", false, "with --registry: promote the model only if it beats the champion (DeLong test)")
	level := fs.Float64("challenge-level", registry.DefaultLevel, "significance level of --challenge")
	reason := fs.String("reason", "", "with --challenge: why, for the audit, before the challenge's figures")
	shadow := fs.Bool("shadow", false, "with --challenge: make a model that is not promoted the registry's shadow")
	kind := fs.String("model", "all", "model to fit: logistic, tree, forest, gbm, hybrid (logistic with a gbm boosted from its log-odds) or all")
	horizon := fs.Int("horizon", features.DefaultHorizon, "label horizon in weeks (with --snapshots)")
	validWeeks := fs.Int("valid-weeks", features.DefaultValidWeeks, "weekly cohorts in the validation period (with --snapshots)")
	backtest := fs.Int("backtest", 0, "also refit and validate at N earlier cut-offs, one validation period apart (with --snapshots)")
	tune := fs.Duration("tune", 0, "tune gbm and logistic by backtest inside the training weeks for at most this long, such as 30m (with --snapshots)")
	tuneTrials := fs.Int("tune-trials", 0, "tune with at most N trials, trial 0 being the defaults (with --snapshots; with --tune, whichever cap comes first)")
	tuneFolds := fs.Int("tune-folds", 0, "cut-offs scoring each tuning trial (default 3)")
	trees := fs.Int("trees", 0, "trees: boosting rounds for gbm (default 250; 500 with --table --time; with --table otherwise chosen by inner cross-validation), forest size (default 50; 25 with --table)")
	depth := fs.Int("depth", 0, "tree depth for gbm (default 3; with --table 5, or 3 with --time, --trees or --early-stopping) and tree (default 6)")
	lr := fs.Float64("learning-rate", 0, "gbm learning rate (default 0.03; with --table 0.02, or 0.03 with --time, --trees or --early-stopping)")
	subsample := fs.Float64("subsample", 0, "gbm row fraction per tree (default 0.8)")
	minChild := fs.Float64("min-child-weight", 0, "gbm: least hessian (sum of p(1-p)) a leaf must hold (default 5; with --table 2, or 5 with --time, --trees or --early-stopping); larger regularises rare churn")
	colsample := fs.Float64("colsample", 0, "gbm feature fraction per tree (default 0.8; with --table 0.5, or 0.8 with --time, --trees or --early-stopping)")
	start := fs.String("start", "auto", "gbm: where boosting starts: rate (the training churn rate), even (even odds, which ranks rare churn better) or auto (even when under 2.5% of training rows churn, else rate); the hybrid's trees start from its regression's log-odds instead")
	earlyStop := fs.Int("early-stopping", 0, "gbm: stop after N rounds without validation improvement (0: off; makes validation figures optimistic)")
	l2 := fs.Float64("l2", 0, "logistic L2 penalty on standardized coefficients (default 1)")
	balanced := fs.Bool("balanced", false, "logistic: weight classes inversely to their frequency")
	seed := fs.Uint64("seed", 1, "random seed for sampling: the same data and seed give the same model file")
	noPlots := fs.Bool("no-plots", false, "do not write PNG charts")
	groupsFlag := fs.String("signal-groups", "", "put features or columns in a signal group other than the default, as column=group,... (groups: product_use, support, financial, account)")
	segFile := fs.String("segments", "", "YAML segment file (see churn plays): learn each segment's health cut-offs from its validation account-weeks, as the model's (red: riskiest 10%, yellow: next 20%)")
	featureGroups := fs.String("feature-groups", "", "measure the feature groups by drop-group backtest: all, auto (leave out those that do not help) or a list such as baseline,shape (with --snapshots)")
	survival := fs.Bool("survival", false, "also fit a discrete-time hazard model: each account's survival curve over 26 weeks, validated out of time (with --snapshots; --horizon at most 26)")
	maxRows := fs.Int("max-train-rows", defaultMaxTrainRows, "with --snapshots: past this many training rows, train, validate and refit on a fixed sample of the account-weeks of about this many training rows (0: every row)")
	noRefit := fs.Bool("no-refit", false, "serve the fit validation measured, on weeks ending a horizon before validation, not the chosen kind refitted on every matured week")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	groups, err := features.ParseSignalGroups(*groupsFlag)
	if err != nil {
		return usageError(fs, "--signal-groups: %v", err)
	}
	tf.groups = groups
	if *out == "" && *registryDir == "" {
		fmt.Fprintf(fs.Output(), "churn train: give --out DIR, --registry DIR or both\n")
		fs.Usage()
		return errUsage
	}
	if *registryDir == "" {
		for _, name := range []string{"db", "challenge", "challenge-level", "reason", "shadow"} {
			if isSet(fs, name) {
				return usageError(fs, "--%s needs --registry", name)
			}
		}
	}
	if !*challenge && (isSet(fs, "challenge-level") || isSet(fs, "reason") || isSet(fs, "shadow")) {
		return usageError(fs, "--challenge-level, --reason and --shadow are for --challenge")
	}
	if !(*level > 0 && *level < 1) {
		return usageError(fs, "--challenge-level %v: want a probability in (0, 1), such as 0.05", *level)
	}
	if countTrue(*snapshots != "", *featDir != "", tf.path != "") != 1 {
		return errors.New("give exactly one of --snapshots FILE, --features DIR and --table FILE")
	}
	if tf.path != "" {
		if tf.label == "" {
			return usageError(fs, "--table needs --label COL: the churned column")
		}
		if tf.folds < 2 {
			return usageError(fs, "--folds %d: want 2 or more", tf.folds)
		}
		if tf.time != "" && isSet(fs, "folds") {
			return usageError(fs, "--folds and --time: a split out of time has no folds")
		}
		if isSet(fs, "segments") {
			return usageError(fs, "--segments is for snapshots: a customer table has no renewals to segment")
		}
		if isSet(fs, "no-refit") {
			return usageError(fs, "--no-refit is for snapshots: a customer table's model is always refitted on every row after cross-validation")
		}
		for _, name := range []string{"horizon", "valid-weeks", "backtest", "normalize-weeks", "tune", "tune-trials", "tune-folds", "feature-groups", "max-train-rows"} {
			if isSet(fs, name) {
				return usageError(fs, "--%s is for snapshots: a customer table has no weeks", name)
			}
		}
	} else {
		for _, name := range []string{"label", "id", "drop", "folds", "time"} {
			if isSet(fs, name) {
				return usageError(fs, "--%s goes with --table", name)
			}
		}
	}
	// Every value is checked before the data is read and the models fit,
	// which can take minutes; 0 keeps its documented meaning (a default,
	// or off), and a value no learner accepts is refused by name.
	if err := checkSplitFlags(fs, *horizon, *validWeeks); err != nil {
		return err
	}
	if *maxRows < 0 {
		return usageError(fs, "--max-train-rows %d: want 0 (every row) or more", *maxRows)
	}
	if *featDir != "" && isSet(fs, "max-train-rows") {
		return usageError(fs, "--max-train-rows is for --snapshots: a features directory is used as it is")
	}
	for _, c := range []struct {
		name, want string
		bad        bool
	}{
		{"backtest", "0 or more", *backtest < 0},
		{"tune", "a positive duration, such as 30m", isSet(fs, "tune") && *tune <= 0},
		{"tune-trials", "1 or more", isSet(fs, "tune-trials") && *tuneTrials < 1},
		{"tune-folds", "1 or more", isSet(fs, "tune-folds") && *tuneFolds < 1},
		{"trees", "0 (the default) or more", *trees < 0},
		{"depth", "0 (the default) or more", *depth < 0},
		{"early-stopping", "0 (off) or more", *earlyStop < 0},
		{"start", "auto, rate or even", *start != "auto" && *start != gbm.StartRate && *start != gbm.StartEven},
		{"l2", "0 (the default) or more", !(*l2 >= 0)},
		{"learning-rate", "a rate in (0, 1], or 0 for the default", !(*lr >= 0 && *lr <= 1)},
		{"subsample", "a fraction in (0, 1], or 0 for the default", !(*subsample >= 0 && *subsample <= 1)},
		{"colsample", "a fraction in (0, 1], or 0 for the default", !(*colsample >= 0 && *colsample <= 1)},
		{"min-child-weight", "0 (the default) or more", !(*minChild >= 0) || math.IsInf(*minChild, 0)},
	} {
		if c.bad {
			return usageError(fs, "--%s %s: want %s", c.name, fs.Lookup(c.name).Value, c.want)
		}
	}
	kinds := models.Kinds
	if *kind != "all" {
		kinds = []string{*kind}
		if !contains(models.Kinds, *kind) {
			return usageError(fs, "--model %q: want one of %s or all", *kind, strings.Join(models.Kinds, ", "))
		}
	}
	tuning := isSet(fs, "tune") || isSet(fs, "tune-trials")
	groupList, err := parseGroupsFlag(fs, *featureGroups, true)
	if err != nil {
		return err
	}
	if isSet(fs, "tune-folds") && !tuning && *featureGroups == "" {
		return usageError(fs, "--tune-folds goes with --tune, --tune-trials or --feature-groups")
	}
	if tuning && !slices.ContainsFunc(kinds, models.TunedKinds) {
		return usageError(fs, "--tune searches gbm and logistic: --model %s has nothing to tune", *kind)
	}
	var p models.Params
	p.GBM.Trees, p.GBM.Depth, p.GBM.LearningRate = *trees, *depth, *lr
	p.GBM.Subsample, p.GBM.EarlyStopping, p.GBM.Seed = *subsample, *earlyStop, *seed
	if *start != "auto" {
		p.GBM.Start = *start
	}
	p.GBM.ColSample, p.GBM.MinChildWeight = *colsample, *minChild
	p.Forest.Trees, p.Forest.Seed = *trees, *seed
	p.Tree.MaxDepth, p.Tree.Seed = *depth, *seed
	p.Logistic.L2, p.Logistic.Balanced = *l2, *balanced

	if *featDir != "" {
		if *backtest > 0 {
			return errors.New("--backtest needs --snapshots: a features directory holds one split only")
		}
		if tuning {
			return errors.New("--tune needs --snapshots: a features directory holds one split only, and tuning backtests at earlier cut-offs")
		}
		if *featureGroups != "" {
			return errors.New("--feature-groups needs --snapshots: a features directory holds its columns built, and the groups are measured at earlier cut-offs")
		}
		if isSet(fs, "horizon") || isSet(fs, "valid-weeks") {
			return errors.New("--horizon and --valid-weeks are fixed by the features directory; set them in \"churn features\"")
		}
	}
	if *survival {
		if *snapshots == "" {
			return errors.New("--survival needs --snapshots: the curve is labelled from each account's weeks, which a features directory or a customer table does not hold")
		}
		if *horizon > hazard.Weeks {
			return usageError(fs, "--survival with --horizon %d: the curve reaches %d weeks and is compared with the fixed-horizon model there; give --horizon %d or less", *horizon, hazard.Weeks, hazard.Weeks)
		}
	}
	// The registry, its store and its champion are checked before the
	// fitting too. Without --out the model is written inside the registry
	// (a hidden folder, removed once registered).
	var reg *trainRegistry
	if *registryDir != "" {
		var err error
		if reg, err = openTrainRegistry(ctx, *registryDir, *db, *challenge, *shadow, *level, *reason); err != nil {
			return err
		}
		defer reg.close()
		if *out == "" {
			tmp, err := os.MkdirTemp(*registryDir, ".train-")
			if err != nil {
				return fmt.Errorf("registry %s: %w", *registryDir, err)
			}
			defer os.RemoveAll(tmp)
			*out = filepath.Join(tmp, "model")
		}
	}
	// The folder is checked before the fitting, which can take minutes,
	// and written aside, so candidates of an earlier run do not survive.
	dir, err := publish.NewDir(*out, models.ModelFile)
	if err != nil {
		return err
	}
	defer dir.Discard()
	if tf.path != "" {
		return trainTable(ctx, e, tf, kinds, p, *seed, *noPlots, *out, dir)
	}

	// Zero GBM settings take the snapshot defaults, which the tuner's
	// trial 0, the backtests and the refit share.
	p = models.SnapshotParams(p)
	var segs *plays.Segments
	if *segFile != "" {
		// Read before the fitting, which can take minutes.
		if segs, err = plays.Read(*segFile); err != nil {
			return err
		}
	}
	tightenGC(tightGC)
	// Only the survival model reads the training rows after Train.
	opt := models.TrainOptions{Kinds: kinds, Params: p, Backtest: *backtest, Refit: !*noRefit, DropTrain: !*survival,
		Progress: fitProgress(e), Step: func(kind, step string) { e.progress.begin(step + " " + kind) }}
	var sp *features.Split
	var spec features.Spec
	var sample *features.Sample
	if *snapshots != "" {
		// The table's rows wait in a spill file while the split copies
		// out the ones it trains and validates on; a backtest, tuning and
		// the refit on every matured week read them again.
		tab, err := buildSpilledTable(ctx, e, *snapshots, *normalize, *featureGroups != "")
		if err != nil {
			return err
		}
		defer tab.Close()
		opt.Split = features.SplitOptions{Horizon: *horizon, ValidWeeks: *validWeeks}
		if err := narrowToGroups(tab, groupList, *horizon, *validWeeks); err != nil {
			return fmt.Errorf("--feature-groups: %w", err)
		}
		e.progress.begin("splitting out of time")
		if sample, err = tab.CapRows(ctx, opt.Split, *maxRows); err == nil {
			sp, err = tab.SplitContext(ctx, opt.Split)
		}
		e.progress.end()
		if err != nil {
			return fmt.Errorf("%s: %w", *snapshots, err)
		}
		spec = tab.Spec
		if *backtest > 0 || tuning || opt.Refit || *featureGroups != "" || *survival {
			opt.Table = tab
		} else if err := tab.Close(); err != nil {
			return fmt.Errorf("%s: %w", *snapshots, err)
		}
	} else if sp, spec, err = readFeatures(ctx, e, *featDir); err != nil {
		return err
	}
	if groups != nil {
		spec.SignalGroups = groups
		if err := spec.CheckSignalGroups(); err != nil {
			return fmt.Errorf("--signal-groups: %w", err)
		}
	}
	var tuned *models.Tuning
	if tuning {
		if tuned, err = tuneModels(ctx, e, opt, *tune, *tuneTrials, *tuneFolds, *seed); err != nil {
			return err
		}
		opt.Params = tuned.Apply(opt.Params)
	}
	var measured *models.GroupReport
	if *featureGroups != "" {
		mode := *featureGroups
		if groupList != nil {
			mode = models.GroupsList
		}
		if measured, err = measureGroups(ctx, e, opt, mode, *tuneFolds); err != nil {
			return err
		}
		if !slices.Equal(measured.Kept, spec.FeatureGroupsOn()) {
			// Auto left groups out: the model is fitted, validated and
			// saved on the rest, the rows already built read through the
			// narrower spec.
			narrow, err := spec.WithGroups(measured.Kept)
			if err != nil {
				return err
			}
			if err := opt.Table.Narrow(narrow); err != nil {
				return err
			}
			if sp.Train, err = sp.Train.Columns(narrow.Names()); err != nil {
				return err
			}
			if sp.Valid, err = sp.Valid.Columns(narrow.Names()); err != nil {
				return err
			}
			narrow.SignalGroups = spec.SignalGroups
			spec = narrow
		}
	}
	res, err := models.Train(ctx, sp, spec, opt)
	e.progress.end()
	if err != nil {
		return err
	}
	res.Report.Tuning = tuned
	res.Report.Sample = sample
	res.Report.FeatureGroups = measured
	var learned []string
	if segs != nil {
		if learned, err = learnSegmentHealth(e, *segFile, segs, res, sp.Valid); err != nil {
			return err
		}
	}
	if *survival {
		if err := trainSurvival(ctx, e, opt, res, *seed); err != nil {
			return err
		}
	}
	e.progress.begin("writing " + *out)
	defer e.progress.end()
	if err := saveModels(dir.Path(), res); err != nil {
		return err
	}
	if !*noPlots {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writePlots(dir.Path(), sp.Valid.Label, res); err != nil {
			return err
		}
	}
	if err := commit(ctx, dir); err != nil {
		return err
	}
	e.progress.end()
	fmt.Fprintf(e.stdout, "trained on %d rows (%s to %s), validated on %d rows (%s to %s), horizon %d weeks\n",
		sp.TrainStats.Rows, sp.TrainStats.First, sp.TrainStats.Last, sp.ValidStats.Rows,
		sp.ValidStats.First, sp.ValidStats.Last, sp.Horizon)
	if sample != nil {
		fmt.Fprintf(e.stdout, "sampled: %s\n", sample)
	}
	if tuned != nil {
		if err := tuned.WriteSummary(e.stdout); err != nil {
			return err
		}
	}
	if measured != nil {
		if err := measured.WriteSummary(e.stdout); err != nil {
			return err
		}
	}
	if err := res.Report.WriteTable(e.stdout); err != nil {
		return err
	}
	if r := res.Report.Survival; r != nil {
		if err := writeSurvival(e.stdout, r); err != nil {
			return err
		}
	}
	if r := res.Report.Refit; r != nil {
		fmt.Fprintf(e.stdout, "served: %s refitted on every matured week, %d rows (%s to %s), calibrated out of fold; the figures above are its first fit's, kept in %s\n",
			res.Chosen.Kind, r.Train.Rows, r.Train.First, r.Train.Last, filepath.Join(*out, models.FirstFitDir))
	}
	for _, l := range learned {
		fmt.Fprintln(e.stdout, l)
	}
	if reg == nil || isSet(fs, "out") {
		fmt.Fprintf(e.stdout, "wrote %s (version %s) and %s\n",
			filepath.Join(*out, models.ModelFile), res.Chosen.Version, filepath.Join(*out, models.MetricsFile))
	}
	if reg == nil {
		return nil
	}
	var rebuild func(features.Spec) (*features.Dataset, error)
	if *snapshots != "" {
		rebuild = func(spec features.Spec) (*features.Dataset, error) {
			tab, err := buildTable(ctx, e, *snapshots, *normalize, &spec)
			if err != nil {
				return nil, err
			}
			defer tab.Close()
			sp, err := tab.SplitContext(ctx, opt.Split)
			if err != nil {
				return nil, err
			}
			return sp.Valid, nil
		}
	}
	return reg.finish(ctx, e, *out, sp.Valid, rebuild)
}

// trainSurvival fits the hazard model of the kinds asked for that can
// be one (gbm, logistic; both when none is), validates it and gives it to
// the chosen model, whose file then serves survival curves.
func trainSurvival(ctx context.Context, e *env, opt models.TrainOptions, res *models.Result, seed uint64) error {
	var kinds []string
	for _, k := range opt.Kinds {
		if k == hazard.GBM || k == hazard.Logistic {
			kinds = append(kinds, k)
		}
	}
	m, rep, err := models.TrainSurvival(ctx, opt.Table, models.SurvivalOptions{
		Kinds: kinds, Params: opt.Params, Split: opt.Split, Seed: seed, Step: opt.Step, Progress: opt.Progress,
	})
	e.progress.end()
	if err != nil {
		return err
	}
	res.Chosen.Hazard = m
	if err := res.Chosen.Check(); err != nil {
		return fmt.Errorf("survival: the model with its hazard could not be loaded: %w", err)
	}
	res.Report.Survival = rep
	return nil
}

// writeSurvival prints the hazard models' validation for a person.
func writeSurvival(w io.Writer, r *models.SurvivalReport) error {
	fmt.Fprintf(w, "survival (validated on %d rows, %s to %s, labels to %s):\n", r.Valid.Rows, r.Valid.First, r.Valid.Last, r.LabelCut)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "hazard\tfit s\t"
	for _, a := range r.Models[0].AUC {
		head += fmt.Sprintf("AUC %dw\t", a.Weeks)
	}
	fmt.Fprintf(tw, "%sdirect AUC %dw\tBrier %dw\tdirect Brier\tintegrated Brier\t\n", head, r.Horizon, r.Horizon)
	for _, m := range r.Models {
		mark := ""
		if m.Kind == r.Chosen {
			mark = "*"
		}
		line := fmt.Sprintf("%s%s\t%.2f\t", mark, m.Kind, m.FitSeconds)
		for _, a := range m.AUC {
			line += fmt.Sprintf("%.4f\t", a.AUC)
		}
		fmt.Fprintf(tw, "%s%.4f\t%.4f\t%.4f\t%.4f\t\n", line, m.Direct.AUC, m.Brier, m.DirectBrier, m.IntegratedBrier)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "* served: %s hazard refitted on %d rows drawn from %d account-weeks (labels to %s)\n",
		r.Chosen, r.Served.Rows, r.Served.AccountWeeks, r.Served.Cut)
	return err
}

// tuneModels searches the settings of the tunable kinds of opt within
// the budget, telling stderr of each trial as it ends.
func tuneModels(ctx context.Context, e *env, opt models.TrainOptions, budget time.Duration, trials, folds int, seed uint64) (*models.Tuning, error) {
	of := "?"
	if trials > 0 {
		of = fmt.Sprint(trials)
	}
	defaults := map[string]float64{}
	t, err := models.Tune(ctx, models.TuneOptions{
		Kinds: opt.Kinds, Params: opt.Params, Table: opt.Table, Split: opt.Split, Folds: folds,
		Trials: trials, Budget: budget, Seed: seed, Step: opt.Step, Progress: opt.Progress,
		OnTrial: func(t, best models.Trial) {
			if t.Number == 0 {
				defaults[t.Kind] = t.MeanAUC
			}
			status := ""
			switch {
			case t.Error != "":
				status = " failed: " + t.Error
			case t.Pruned:
				status = fmt.Sprintf(" pruned after %d cut-offs", len(t.FoldAUC))
			}
			e.progress.note("tuning %s trial %d/%s: backtest AUC %.4f ± %.4f%s, %.1f s (best %.4f at trial %d; defaults %.4f)",
				t.Kind, t.Number, of, t.MeanAUC, t.SDAUC, status, t.Seconds, best.MeanAUC, best.Number, defaults[t.Kind])
		},
	})
	e.progress.end()
	if err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	return t, nil
}

// parseGroupsFlag reads --feature-groups: nil for "" and all (and auto,
// which only churn train, measuring the groups, accepts), else the list
// of groups.
func parseGroupsFlag(fs *flag.FlagSet, value string, auto bool) ([]string, error) {
	switch value {
	case "", models.GroupsAll:
		return nil, nil
	case models.GroupsAuto:
		if !auto {
			return nil, usageError(fs, "--feature-groups auto leaves out groups by backtest: it is for churn train")
		}
		return nil, nil
	}
	list, err := features.ParseFeatureGroups(value)
	if err != nil {
		others := "all"
		if auto {
			others = "all, auto"
		}
		return nil, usageError(fs, "--feature-groups: %v (or %s)", err, others)
	}
	return list, nil
}

// narrowToGroups narrows a table built by buildSpilledTable to the listed
// groups, or without a list to those it was built with that the data can
// carry: windows-52 only with a year of history before the last training
// week, where a 52-week window can differ from the lifetime means. So
// without --feature-groups the default groups are built, and windows-52
// with them where the data has that year.
func narrowToGroups(tab *features.Table, list []string, horizon, validWeeks int) error {
	// The last training week: a horizon before the validation weeks,
	// which end a horizon before the last week (see features.Split).
	trainLast := tab.Last - features.Date(7*(2*horizon+validWeeks))
	yearOK := trainLast-tab.First >= 7*52
	if list == nil {
		for _, g := range tab.Spec.FeatureGroupsOn() {
			if g != "windows-52" || yearOK {
				list = append(list, g)
			}
		}
	} else if slices.Contains(list, "windows-52") && !yearOK {
		return fmt.Errorf("windows-52 needs a year of history before the last training week (%s); the snapshots start %s", trainLast, tab.First)
	}
	spec, err := tab.Spec.WithGroups(list)
	if err != nil {
		return err
	}
	return tab.Narrow(spec)
}

// measureGroups runs the drop-group backtest of the table's feature
// groups with gbm, or the one kind fitted when it is not among them.
func measureGroups(ctx context.Context, e *env, opt models.TrainOptions, mode string, folds int) (*models.GroupReport, error) {
	kind := opt.Kinds[0]
	if slices.Contains(opt.Kinds, models.GBM) {
		kind = models.GBM
	}
	r, err := models.MeasureGroups(ctx, models.GroupOptions{
		Kind: kind, Params: opt.Params, Table: opt.Table, Split: opt.Split, Folds: folds, Mode: mode,
		Step: opt.Step, Progress: opt.Progress,
	})
	e.progress.end()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// fitProgress reports a learner's rounds: trees with an estimate of the
// time left, or a logistic fit's iterations, which usually stop well
// before their cap.
func fitProgress(e *env) func(kind string, done, total int) {
	var mu sync.Mutex
	var start time.Time
	var current string
	return func(kind string, done, total int) {
		mu.Lock()
		if kind != current || done <= 1 {
			current, start = kind, time.Now()
		}
		elapsed := time.Since(start)
		mu.Unlock()
		if kind == models.Logistic {
			e.progress.update("iteration %d (at most %d)", done, total)
			return
		}
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		e.progress.update("%d/%d trees, %s left", done, total, left.Round(time.Second))
	}
}

// readFeatures reads the split that "churn features" wrote into dir.
func readFeatures(ctx context.Context, e *env, dir string) (*features.Split, features.Spec, error) {
	var summary featureSummary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, features.Spec{}, fmt.Errorf("read features: %w (is %s a directory written by \"churn features\"?)", err, dir)
	}
	if err := json.Unmarshal(b, &summary); err != nil {
		return nil, features.Spec{}, fmt.Errorf("read %s: %w", filepath.Join(dir, "summary.json"), err)
	}
	sp := summary.Split
	if sp == nil {
		return nil, features.Spec{}, fmt.Errorf("%s has no split", filepath.Join(dir, "summary.json"))
	}
	if err := summary.checkFiles(dir); err != nil {
		return nil, features.Spec{}, err
	}
	// The two files are independent: reading them side by side halves
	// the wait on two cores.
	parts := []struct {
		name string
		ds   **features.Dataset
		err  error
	}{{name: "train", ds: &sp.Train}, {name: "valid", ds: &sp.Valid}}
	e.progress.begin("reading " + dir)
	var read atomic.Int64 // bytes of both files
	report := func(total int64) { e.progress.update("%d MB read", total>>20) }
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { *parts[i].ds, parts[i].err = readDataset(ctx, dir, parts[i].name, &read, report) })
	}
	wg.Wait()
	e.progress.end()
	for _, part := range parts {
		if part.err != nil {
			return nil, features.Spec{}, part.err
		}
		if want := summary.Spec.Names(); strings.Join((*part.ds).Features, ",") != strings.Join(want, ",") {
			return nil, features.Spec{}, fmt.Errorf("%s/%s.*: columns do not match summary.json's features", dir, part.name)
		}
		if (*part.ds).Label == nil {
			return nil, features.Spec{}, fmt.Errorf("%s/%s.*: no label column", dir, part.name)
		}
		if err := summary.checkRows(dir, part.name, *part.ds); err != nil {
			return nil, features.Spec{}, err
		}
	}
	return sp, summary.Spec, nil
}

// readDataset reads DIR/NAME.parquet or DIR/NAME.csv, whichever exists,
// stopping once ctx is done and counting the bytes it reads in read.
func readDataset(ctx context.Context, dir, name string, read *atomic.Int64, report func(total int64)) (*features.Dataset, error) {
	path := filepath.Join(dir, name+".parquet")
	parquet := true
	if _, err := os.Stat(path); err != nil {
		path, parquet = filepath.Join(dir, name+".csv"), false
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("read features: neither %s.parquet nor %s.csv in %s", name, name, dir)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	r := &ctxReaderAt{ctx: ctx, r: f, read: read, report: report}
	if parquet {
		return parquetfile.ReadDataset(r, fi.Size(), path)
	}
	return csvfile.ReadDatasetAt(r, fi.Size(), path)
}

// writePlots draws the charts of each model's validation probabilities
// against labels, and the chosen model's importances.
func writePlots(dir string, labels []float64, res *models.Result) error {
	curves := make([]plots.Curve, len(res.Report.Models))
	for i, e := range res.Report.Models {
		curves[i] = plots.Curve{Name: e.Name, Label: labels, Prob: res.Valid[i]}
	}
	var names []string
	var meanAbs []float64
	for _, e := range res.Report.Models {
		if e.Name == res.Report.Chosen {
			for _, imp := range e.Importance {
				names, meanAbs = append(names, imp.Feature), append(meanAbs, imp.MeanAbs)
			}
		}
	}
	return plots.WriteAll(dir, curves, names, meanAbs)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// countTrue counts the true values.
func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// saveModels writes the chosen model into dir, its first fit, when it
// was refitted, under dir/first-fit, and every other kind fitted under
// dir/candidates/KIND, each with the training report.
// learnSegmentHealth stores in the chosen model each segment's health
// cut-offs, learned from its validation rows valid and the chosen
// model's probabilities of them, the ones its own cut-offs were placed
// on. It warns on stderr of the segments that keep the model's, and
// returns a line per segment for the training summary.
func learnSegmentHealth(e *env, file string, segs *plays.Segments, res *models.Result, valid *features.Dataset) ([]string, error) {
	sh, warnings, err := segs.Learn(res.Chosen, valid, res.ServedValid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "warning: %s: %s\n", file, w)
	}
	res.Chosen.SegmentHealth = sh
	lines := []string{fmt.Sprintf("segment health cut-offs (%s), on each segment's validation account-weeks:", file)}
	for _, name := range segs.Names() {
		h := sh[name]
		how := "learned"
		if !h.Learned {
			how = "the model's"
		}
		for _, g := range segs.Segments {
			if g.Name == name && g.Health != nil && !g.Health.Learned {
				how += "; the file's own health wins"
			}
		}
		lines = append(lines, fmt.Sprintf("  %-14s red >= %.1f%%, yellow >= %.1f%% (%s; %d account-weeks, %d churned)",
			name, 100*h.Red, 100*h.Yellow, how, h.Rows, h.Churners))
	}
	return lines, nil
}

func saveModels(dir string, res *models.Result) error {
	for k, a := range res.Artifacts {
		if a == res.Chosen {
			continue
		}
		if err := models.Save(filepath.Join(dir, "candidates", k), a, res.Report); err != nil {
			return err
		}
	}
	if res.FirstFit != nil {
		if err := models.Save(filepath.Join(dir, models.FirstFitDir), res.FirstFit, res.Report); err != nil {
			return err
		}
	}
	return models.Save(dir, res.Chosen, res.Report)
}
