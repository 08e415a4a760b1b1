package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/metrics"
)

// DefaultTuneFolds is how many cut-offs score a trial when
// TuneOptions.Folds is zero: three folds average out most of one
// quarter's luck without reaching back to weeks with few accounts.
const DefaultTuneFolds = 3

// pruneMargin is how far, in ROC AUC, a trial's mean over the folds
// scored so far may trail the best finished trial's over the same folds
// before its remaining folds are skipped. Settings that far behind after
// a fold have not caught up over the rest in our runs; the margin is
// wide enough that fold-to-fold noise (about 0.005) does not prune.
const pruneMargin = 0.01

// TuneSelection says how Tune chooses among trials.
const TuneSelection = "highest mean ROC AUC over rolling-origin cut-offs inside the training weeks"

// TunedKinds reports whether kind is one Tune searches: the GBM and
// logistic regression. The tree and forest keep their settings.
func TunedKinds(kind string) bool { return kind == GBM || kind == Logistic }

// SearchSpace bounds the settings Tune draws. Each range is [low, high];
// the number of trees, the rates and the penalties are drawn
// log-uniformly (a step from 0.01 to 0.02 matters as much as one from
// 0.1 to 0.2), the depth and the sampling fractions uniformly.
type SearchSpace struct {
	Depth          [2]int     `json:"depth"`
	Trees          [2]int     `json:"trees"`
	LearningRate   [2]float64 `json:"learning_rate"`
	MinChildWeight [2]float64 `json:"min_child_weight"`
	Lambda         [2]float64 `json:"lambda"`
	Subsample      [2]float64 `json:"subsample"`
	ColSample      [2]float64 `json:"colsample"`
	// L2 is logistic regression's penalty on standardised coefficients.
	L2 [2]float64 `json:"logistic_l2"`
}

// DefaultSearchSpace is the space Tune searches when given none: wide
// around the defaults (300 trees of depth 4 at 0.05, L2 1) but not so
// wide that a trial takes many times a default fit.
func DefaultSearchSpace() SearchSpace {
	return SearchSpace{
		Depth:          [2]int{2, 7},
		Trees:          [2]int{60, 600},
		LearningRate:   [2]float64{0.01, 0.3},
		MinChildWeight: [2]float64{0.1, 30},
		Lambda:         [2]float64{0.01, 30},
		Subsample:      [2]float64{0.5, 1},
		ColSample:      [2]float64{0.4, 1},
		L2:             [2]float64{0.01, 1000},
	}
}

// check refuses a range a learner would refuse, or an empty one.
func (s SearchSpace) check() error {
	ints := []struct {
		name   string
		r      [2]int
		lo, hi int
	}{{"depth", s.Depth, 1, gbm.MaxDepth}, {"trees", s.Trees, 1, math.MaxInt32}}
	for _, c := range ints {
		if c.r[0] < c.lo || c.r[1] > c.hi || c.r[0] > c.r[1] {
			return fmt.Errorf("search space: %s range %v is not within [%d, %d]", c.name, c.r, c.lo, c.hi)
		}
	}
	floats := []struct {
		name string
		r    [2]float64
		unit bool // a fraction in (0, 1]
	}{
		{"learning_rate", s.LearningRate, true}, {"min_child_weight", s.MinChildWeight, false},
		{"lambda", s.Lambda, false}, {"subsample", s.Subsample, true}, {"colsample", s.ColSample, true},
		{"logistic_l2", s.L2, false},
	}
	for _, c := range floats {
		lo, hi := c.r[0], c.r[1]
		if !(lo > 0 && lo <= hi) || math.IsInf(hi, 0) || (c.unit && hi > 1) {
			return fmt.Errorf("search space: %s range %v is not positive, finite and ordered", c.name, c.r)
		}
	}
	return nil
}

// draw returns base with the searched settings drawn from rng. The GBM
// fields are drawn first, then L2, so the same rng gives the same trial.
func (s SearchSpace) draw(rng *rand.Rand, base TrialParams) TrialParams {
	logU := func(r [2]float64) float64 {
		return math.Exp(math.Log(r[0]) + rng.Float64()*(math.Log(r[1])-math.Log(r[0])))
	}
	uni := func(r [2]float64) float64 { return r[0] + rng.Float64()*(r[1]-r[0]) }
	g := *base.GBM
	g.Depth = s.Depth[0] + rng.IntN(s.Depth[1]-s.Depth[0]+1)
	g.Trees = min(s.Trees[1], int(math.Round(logU([2]float64{float64(s.Trees[0]), float64(s.Trees[1])}))))
	g.LearningRate = logU(s.LearningRate)
	g.MinChildWeight = logU(s.MinChildWeight)
	g.Lambda = logU(s.Lambda)
	g.Subsample = uni(s.Subsample)
	g.ColSample = uni(s.ColSample)
	l := *base.Logistic
	l.L2 = logU(s.L2)
	return TrialParams{GBM: &g, Logistic: &l}
}

// TuneOptions configure Tune.
type TuneOptions struct {
	// Kinds to tune: those of them that TunedKinds accepts. Nil means
	// both the GBM and logistic regression.
	Kinds []string
	// Params are trial 0, the defaults the search has to beat, and hold
	// what is not searched: seeds, class weights, bins.
	Params Params
	// Table and Split place the final out-of-time split, as for Train;
	// the folds lie before its validation weeks, inside its training
	// weeks.
	Table *features.Table
	Split features.SplitOptions
	// Folds is the number of cut-offs scoring a trial; zero means
	// DefaultTuneFolds. Fewer are used when the history is too short.
	Folds int
	// Trials caps the trials, trial 0 (the defaults) included; Budget
	// caps the time. Zero leaves a cap off; one of them must be set.
	// A trial is started only when the time so far plus the mean of a
	// trial fits the budget, so the search ends within it.
	Trials int
	Budget time.Duration
	// Seed seeds the draws: the same seed and the same number of trials
	// give the same table and the same choice.
	Seed uint64
	// Space bounds the draws; nil means DefaultSearchSpace.
	Space *SearchSpace
	// Now tells the time, for the budget and each trial's seconds; nil
	// means time.Now. Tests give a clock of their own.
	Now func() time.Time
	// OnTrial hears of each trial as it ends, with the best finished
	// trial of its kind so far (which may be itself).
	OnTrial func(t, best Trial)
	// Step and Progress are as in TrainOptions.
	Step     func(kind, step string)
	Progress func(kind string, done, total int)
}

// TrialParams are the settings of a trial for the kinds it fits.
type TrialParams struct {
	GBM      *gbm.Params      `json:"gbm,omitempty"`
	Logistic *logistic.Params `json:"logistic,omitempty"`
}

// Trial is one setting of one kind and its backtest.
type Trial struct {
	// Number counts trials from 0, the defaults; a trial number names a
	// draw of every tuned kind.
	Number int         `json:"trial"`
	Kind   string      `json:"kind"`
	Params TrialParams `json:"params"`
	// MeanAUC and SDAUC summarise the ROC AUC of the folds scored,
	// FoldAUC, latest cut-off first.
	MeanAUC float64   `json:"backtest_auc_mean"`
	SDAUC   float64   `json:"backtest_auc_sd"`
	FoldAUC []float64 `json:"fold_auc"`
	// Pruned marks a trial stopped after some folds for trailing the
	// best by more than pruneMargin; it is never chosen.
	Pruned bool `json:"pruned,omitempty"`
	// Error is why a trial's fit failed (a logistic fit that did not
	// converge, say); such a trial is never chosen.
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// TuneFold is one cut-off of the tuning backtest.
type TuneFold struct {
	ValidEnd features.Date   `json:"valid_end"`
	Train    features.Period `json:"train"`
	Valid    features.Period `json:"valid"`
}

// TuneBudget is what a search was allowed: zero means no cap.
type TuneBudget struct {
	Seconds float64 `json:"seconds"`
	Trials  int     `json:"trials"`
}

// Tuning is the outcome of Tune, as metrics.json's "tuning" reports it.
type Tuning struct {
	Budget    TuneBudget `json:"budget"`
	Seed      uint64     `json:"seed"`
	Selection string     `json:"selection"`
	Folds     []TuneFold `json:"folds"`
	// Stopped says what ended the search: "trials" or "budget".
	Stopped string  `json:"stopped"`
	Seconds float64 `json:"seconds"`
	Trials  []Trial `json:"trials"`
	// Chosen is the best trial of each kind; DefaultAUC the mean
	// backtest ROC AUC of trial 0, for comparison.
	Chosen     map[string]Trial   `json:"chosen"`
	DefaultAUC map[string]float64 `json:"default_backtest_auc"`
}

// Apply returns p with each tuned kind's settings replaced by the chosen
// trial's. Early stopping, which tuning leaves off (the number of trees
// is searched), is kept as p has it.
func (t *Tuning) Apply(p Params) Params {
	if c, ok := t.Chosen[GBM]; ok && c.Params.GBM != nil {
		es := p.GBM.EarlyStopping
		p.GBM = *c.Params.GBM
		p.GBM.EarlyStopping = es
	}
	if c, ok := t.Chosen[Logistic]; ok && c.Params.Logistic != nil {
		p.Logistic = *c.Params.Logistic
	}
	return p
}

// tuneFolds places the tuning cut-offs and splits the table at each.
// The latest fold's validation weeks end with the final split's last
// training week, and earlier ones a validation period apart before it,
// so every row a trial fits or scores is a training row of the final
// split with the same label: the final validation weeks, and the churn
// that labels them, never enter the search.
func tuneFolds(ctx context.Context, opt TuneOptions) ([]*features.Split, error) {
	so := opt.Split
	if so.Horizon == 0 {
		so.Horizon = features.DefaultHorizon
	}
	if so.ValidWeeks == 0 {
		so.ValidWeeks = features.DefaultValidWeeks
	}
	end := so.ValidEnd
	if end == 0 {
		end = opt.Table.Last - features.Date(7*so.Horizon)
	}
	validStart := end - features.Date(7*(so.ValidWeeks-1))
	latest := validStart - features.Date(7*(so.Horizon+1))
	n := opt.Folds
	if n == 0 {
		n = DefaultTuneFolds
	}
	var folds []*features.Split
	for k := range n {
		so.ValidEnd = latest - features.Date(7*so.ValidWeeks*k)
		sp, err := opt.Table.SplitContext(ctx, so)
		if err != nil {
			if ctx.Err() != nil || k == 0 {
				return nil, fmt.Errorf("tuning cut-off %d (validation ending %s, inside the training weeks): %w",
					k+1, so.ValidEnd, err)
			}
			break // the history is too short for more folds
		}
		folds = append(folds, sp)
	}
	// Latest first: pruning decides on the fold with the most training
	// weeks, the most like the final fit. The oldest folds' small
	// training sets spread the trials far more (0.69 to 0.84 on one
	// 78-week world), and pruning on them dropped settings that do well
	// on the rest.
	return folds, nil
}

// Tune searches the GBM's and logistic regression's settings by
// rolling-origin backtest: trial 0 is opt.Params, each later trial a
// seeded random draw from the search space, and every trial is fitted
// and scored at each cut-off of tuneFolds, all inside the training
// weeks. The trial with the highest mean ROC AUC over the folds is
// chosen per kind, the earlier trial on a tie, so the defaults stay
// unless something beats them. Trials run until opt.Trials or
// opt.Budget is reached; a done ctx stops the search with its error.
func Tune(ctx context.Context, opt TuneOptions) (*Tuning, error) {
	if opt.Table == nil {
		return nil, errors.New("tuning needs the snapshots, not a features directory or a customer table")
	}
	if opt.Trials < 0 || opt.Budget < 0 || (opt.Trials == 0 && opt.Budget == 0) {
		return nil, fmt.Errorf("tuning needs a positive number of trials or time budget (got %d trials, %s)", opt.Trials, opt.Budget)
	}
	space := DefaultSearchSpace()
	if opt.Space != nil {
		space = *opt.Space
	}
	if err := space.check(); err != nil {
		return nil, err
	}
	kinds := opt.Kinds
	if kinds == nil {
		kinds = []string{Logistic, GBM}
	}
	var tuned []string
	for _, k := range kinds {
		if TunedKinds(k) && !slices.Contains(tuned, k) {
			tuned = append(tuned, k)
		}
	}
	if len(tuned) == 0 {
		return nil, fmt.Errorf("tuning searches gbm and logistic, not %v", kinds)
	}
	base, err := defaultTrial(opt.Params)
	if err != nil {
		return nil, err
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	folds, err := tuneFolds(ctx, opt)
	if err != nil {
		return nil, err
	}
	t := &Tuning{
		Budget: TuneBudget{Seconds: opt.Budget.Seconds(), Trials: opt.Trials}, Seed: opt.Seed,
		Selection: TuneSelection, Chosen: map[string]Trial{}, DefaultAUC: map[string]float64{},
	}
	for _, f := range folds {
		t.Folds = append(t.Folds, TuneFold{ValidEnd: f.ValidStats.Last, Train: f.TrainStats, Valid: f.ValidStats})
	}
	for i := 0; ; i++ {
		if opt.Trials > 0 && i >= opt.Trials {
			t.Stopped = "trials"
			break
		}
		if elapsed := now().Sub(start); i > 0 && opt.Budget > 0 && elapsed+elapsed/time.Duration(i) > opt.Budget {
			t.Stopped = "budget"
			break
		}
		params := base
		if i > 0 {
			params = space.draw(rand.New(rand.NewPCG(opt.Seed, uint64(i))), base)
		}
		for _, kind := range tuned {
			tr, err := runTrial(ctx, opt, folds, kind, i, params, t.Chosen, now)
			if err != nil {
				return nil, err
			}
			t.Trials = append(t.Trials, tr)
			if i == 0 {
				t.DefaultAUC[kind] = tr.MeanAUC
			}
			if best, ok := t.Chosen[kind]; tr.Error == "" && !tr.Pruned && (!ok || tr.MeanAUC > best.MeanAUC) {
				t.Chosen[kind] = tr
			}
			if opt.OnTrial != nil {
				opt.OnTrial(tr, t.Chosen[kind])
			}
		}
	}
	t.Seconds = math.Round(now().Sub(start).Seconds()*1000) / 1000
	return t, nil
}

// defaultTrial is trial 0: p as the learners fill it in, so the table
// shows the numbers the defaults stand for. Early stopping is off in
// every trial: the number of trees is searched, and stopping on a
// fold's validation weeks would score the trial on the weeks that chose
// its trees.
func defaultTrial(p Params) (TrialParams, error) {
	g, err := p.GBM.WithDefaults()
	if err != nil {
		return TrialParams{}, err
	}
	g.EarlyStopping, g.Threads = 0, p.GBM.Threads
	l, err := p.Logistic.WithDefaults()
	if err != nil {
		return TrialParams{}, err
	}
	return TrialParams{GBM: &g, Logistic: &l}, nil
}

// runTrial fits kind with params at every fold and scores it, stopping
// early when it trails the best trial of its kind so far by more than
// pruneMargin. Only ctx's error is returned: a fit that fails is a
// failed trial, recorded.
func runTrial(ctx context.Context, opt TuneOptions, folds []*features.Split, kind string, number int,
	params TrialParams, chosen map[string]Trial, now func() time.Time) (Trial, error) {
	start := now()
	tr := Trial{Number: number, Kind: kind}
	var p Params
	switch kind {
	case GBM:
		tr.Params.GBM, p.GBM = params.GBM, *params.GBM
	case Logistic:
		tr.Params.Logistic, p.Logistic = params.Logistic, *params.Logistic
	}
	best, haveBest := chosen[kind]
	for j, f := range folds {
		if opt.Step != nil {
			opt.Step(kind, fmt.Sprintf("tuning trial %d, cut-off %d/%d", number, j+1, len(folds)))
		}
		m, err := Fit(ctx, kind, f.Train, f.Valid, p, func(done, total int) {
			if opt.Progress != nil {
				opt.Progress(kind, done, total)
			}
		})
		if ctx.Err() != nil {
			return tr, ctx.Err()
		}
		if err != nil {
			tr.Error = err.Error()
			break
		}
		tr.FoldAUC = append(tr.FoldAUC, metrics.ROCAUC(f.Valid.Label, scoreRows(m, f.Valid).z))
		if haveBest && j+1 < len(folds) && meanOf(tr.FoldAUC) < meanOf(best.FoldAUC[:j+1])-pruneMargin {
			tr.Pruned = true
			break
		}
	}
	tr.MeanAUC, tr.SDAUC = meanSD(tr.FoldAUC)
	tr.Seconds = math.Round(now().Sub(start).Seconds()*1000) / 1000
	return tr, nil
}

func meanOf(x []float64) float64 {
	m, _ := meanSD(x)
	return m
}

// meanSD returns the mean and the (population) standard deviation of x,
// as Backtest reports its folds; zeros for no values (a trial whose
// first fit failed, whose Error says so).
func meanSD(x []float64) (mean, sd float64) {
	if len(x) == 0 {
		return 0, 0
	}
	var sum, sq float64
	for _, v := range x {
		sum += v
		sq += v * v
	}
	n := float64(len(x))
	mean = sum / n
	return mean, math.Sqrt(math.Max(0, sq/n-mean*mean))
}

// WriteSummary tells a person what the search found: per kind, the
// chosen trial's settings and backtest against the defaults'.
func (t *Tuning) WriteSummary(w io.Writer) error {
	trials := 0
	for _, tr := range t.Trials {
		trials = max(trials, tr.Number+1)
	}
	if _, err := fmt.Fprintf(w, "tuning: %d trials, %d cut-offs inside the training weeks, %.0f s, stopped by the %s cap\n",
		trials, len(t.Folds), t.Seconds, map[string]string{"trials": "trial", "budget": "time"}[t.Stopped]); err != nil {
		return err
	}
	for _, kind := range []string{Logistic, GBM} {
		c, ok := t.Chosen[kind]
		if !ok {
			continue
		}
		var set string
		switch {
		case c.Params.GBM != nil:
			g := c.Params.GBM
			set = fmt.Sprintf("depth %d, %d trees, learning rate %.3g, min leaf hessian %.3g, L2 %.3g, subsample %.2f, colsample %.2f",
				g.Depth, g.Trees, g.LearningRate, g.MinChildWeight, g.Lambda, g.Subsample, g.ColSample)
		case c.Params.Logistic != nil:
			set = fmt.Sprintf("L2 %.3g", c.Params.Logistic.L2)
		}
		if _, err := fmt.Fprintf(w, "  %s: trial %d, backtest AUC %.4f ± %.4f against %.4f for the defaults: %s\n",
			kind, c.Number, c.MeanAUC, c.SDAUC, t.DefaultAUC[kind], set); err != nil {
			return err
		}
	}
	return nil
}
