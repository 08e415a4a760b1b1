package models_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
)

// tinySpace keeps every trial's GBM as small as the other tests' models,
// so a search of a few trials takes a second or two.
func tinySpace() *models.SearchSpace {
	s := models.DefaultSearchSpace()
	s.Depth, s.Trees = [2]int{2, 3}, [2]int{10, 40}
	return &s
}

// fixedClock is a clock the test moves by hand: no trial takes time, so
// runs compare to the last bit, seconds included.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

func tuneOptions(tab *features.Table, seed uint64, trials int) models.TuneOptions {
	clock := &fixedClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return models.TuneOptions{
		Params: fastParams(), Table: tab, Split: testSplit, Trials: trials, Seed: seed,
		Space: tinySpace(), Now: clock.now,
	}
}

// TestTuneReproducible checks that the same seed and number of trials
// give the same table and choice, that another seed draws other
// settings, that trial 0 is the defaults, and that the choice is the
// best trial that ran every fold.
func TestTuneReproducible(t *testing.T) {
	tab := table(t)
	a, err := models.Tune(context.Background(), tuneOptions(tab, 5, 4))
	if err != nil {
		t.Fatal(err)
	}
	b, err := models.Tune(context.Background(), tuneOptions(tab, 5, 4))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, same trials, different tuning:\n%+v\n%+v", a, b)
	}
	if got := len(a.Trials); got != 2*4 {
		t.Fatalf("%d trials, want 4 of each of logistic and gbm", got)
	}
	if len(a.Folds) != models.DefaultTuneFolds {
		t.Fatalf("%d folds, want %d", len(a.Folds), models.DefaultTuneFolds)
	}
	// Latest first: pruning decides on the fold most like the final fit.
	for j := 1; j < len(a.Folds); j++ {
		if a.Folds[j].ValidEnd >= a.Folds[j-1].ValidEnd || a.Folds[j].Train.Rows >= a.Folds[j-1].Train.Rows {
			t.Errorf("fold %d (validation to %s, %d training rows) is not before fold %d (%s, %d)", j,
				a.Folds[j].ValidEnd, a.Folds[j].Train.Rows, j-1, a.Folds[j-1].ValidEnd, a.Folds[j-1].Train.Rows)
		}
	}
	c, err := models.Tune(context.Background(), tuneOptions(tab, 6, 2))
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Trials[2].Params, c.Trials[2].Params) {
		t.Errorf("seeds 5 and 6 drew the same trial 1: %+v", a.Trials[2].Params)
	}
	def := fastParams()
	for _, tr := range a.Trials {
		switch {
		case tr.Number == 0 && tr.Kind == models.GBM:
			g := tr.Params.GBM
			if g.Trees != def.GBM.Trees || g.Depth != def.GBM.Depth || g.LearningRate != def.GBM.LearningRate || g.Lambda != 1 {
				t.Errorf("trial 0 gbm %+v, want the defaults %+v filled in", g, def.GBM)
			}
		case tr.Number == 0 && tr.Kind == models.Logistic:
			if tr.Params.Logistic.L2 != 1 {
				t.Errorf("trial 0 logistic L2 %v, want the default 1", tr.Params.Logistic.L2)
			}
		}
		if tr.Number == 0 && a.DefaultAUC[tr.Kind] != tr.MeanAUC {
			t.Errorf("%s default AUC %v, trial 0 %v", tr.Kind, a.DefaultAUC[tr.Kind], tr.MeanAUC)
		}
		if best := a.Chosen[tr.Kind]; !tr.Pruned && tr.Error == "" && tr.MeanAUC > best.MeanAUC {
			t.Errorf("%s trial %d (%.4f) beats the chosen trial %d (%.4f)", tr.Kind, tr.Number, tr.MeanAUC, best.Number, best.MeanAUC)
		}
		if !tr.Pruned && tr.Error == "" && len(tr.FoldAUC) != len(a.Folds) {
			t.Errorf("%s trial %d scored %d folds of %d", tr.Kind, tr.Number, len(tr.FoldAUC), len(a.Folds))
		}
	}
	p := a.Apply(def)
	if !reflect.DeepEqual(p.GBM, *a.Chosen[models.GBM].Params.GBM) || p.Logistic != *a.Chosen[models.Logistic].Params.Logistic {
		t.Errorf("Apply did not set the chosen settings: %+v", p)
	}
	if p.Forest != def.Forest || p.Tree != def.Tree {
		t.Errorf("Apply changed the untuned kinds: %+v", p)
	}
}

// corruptFrom rewrites every snapshot from week from on: accounts that
// left then stay, every third of the others still there two weeks later
// leaves, and the behaviour columns are scrambled. The validation weeks' features and
// labels change; nothing before them does.
func corruptFrom(rows []features.Snapshot, from features.Date) []features.Snapshot {
	var out []features.Snapshot
	left, seen := map[string]bool{}, map[string]int{}
	for _, s := range rows {
		if left[s.AccountID] {
			continue
		}
		if s.Week >= from {
			s.Logins, s.Frequency, s.RecencyDays = 1000-s.Logins, 7-s.Frequency, 90-s.RecencyDays
			switch {
			case s.Churned:
				s.Churned = false
			case s.Week >= from+14:
				if _, ok := seen[s.AccountID]; !ok {
					seen[s.AccountID] = len(seen)
				}
				if seen[s.AccountID]%3 == 0 {
					s.Churned, left[s.AccountID] = true, true
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// TestTuneNeverSeesValidationWeeks corrupts the snapshots of the final
// validation weeks and after (labels and features): the validation
// labels change, and the search, its every trial's score and its choice
// do not.
func TestTuneNeverSeesValidationWeeks(t *testing.T) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 600, Weeks: 80, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	build := func(rows []features.Snapshot) (*features.Table, *features.Split) {
		tab, err := features.Build(ctx, features.MemorySource("sim", simulate.Schema(), rows), features.BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := tab.Split(testSplit)
		if err != nil {
			t.Fatal(err)
		}
		return tab, sp
	}
	clean, sp := build(rows)
	bad, badSp := build(corruptFrom(rows, sp.ValidStats.First))
	changed := 0
	for i := range min(sp.Valid.Len(), badSp.Valid.Len()) {
		if sp.Valid.Label[i] != badSp.Valid.Label[i] {
			changed++
		}
	}
	if changed == 0 && sp.Valid.Len() == badSp.Valid.Len() {
		t.Fatal("the corruption left the validation labels as they were: the test proves nothing")
	}
	a, err := models.Tune(ctx, tuneOptions(clean, 5, 3))
	if err != nil {
		t.Fatal(err)
	}
	b, err := models.Tune(ctx, tuneOptions(bad, 5, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		for i := range min(len(a.Trials), len(b.Trials)) {
			t.Logf("trial %d %s: %v against %v", a.Trials[i].Number, a.Trials[i].Kind, a.Trials[i].FoldAUC, b.Trials[i].FoldAUC)
		}
		t.Fatalf("corrupting the validation weeks (%d labels changed) changed the tuning", changed)
	}
	for _, f := range a.Folds {
		if f.Valid.Last+features.Date(7*testSplit.Horizon) >= sp.ValidStats.First {
			t.Errorf("a fold's labels (weeks to %s, %d-week horizon) reach the validation weeks from %s",
				f.Valid.Last, testSplit.Horizon, sp.ValidStats.First)
		}
	}
}

// TestTuneStops checks the two caps: trials, and a time budget read from
// the injected clock (each trial "takes" ten minutes), a trial being
// started only when the mean trial still fits.
func TestTuneStops(t *testing.T) {
	tab := table(t)
	for _, tt := range []struct {
		name        string
		trials      int
		budget      time.Duration
		wantTrials  int
		wantStopped string
	}{
		{"trial cap", 3, 0, 3, "trials"},
		{"budget", 0, 25 * time.Minute, 2, "budget"},
		{"budget of exactly three", 0, 30 * time.Minute, 3, "budget"},
		{"trial cap first", 2, 100 * time.Minute, 2, "trials"},
		{"budget shorter than a trial runs the defaults", 0, 5 * time.Minute, 1, "budget"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fixedClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			opt := tuneOptions(tab, 1, tt.trials)
			opt.Kinds, opt.Budget, opt.Now = []string{models.Logistic}, tt.budget, clock.now
			var heard []int
			opt.OnTrial = func(tr, best models.Trial) {
				clock.t = clock.t.Add(10 * time.Minute)
				heard = append(heard, tr.Number)
			}
			res, err := models.Tune(context.Background(), opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Trials) != tt.wantTrials || len(heard) != tt.wantTrials || res.Stopped != tt.wantStopped {
				t.Errorf("%d trials (heard %v), stopped by %q; want %d, %q", len(res.Trials), heard, res.Stopped, tt.wantTrials, tt.wantStopped)
			}
			if want := float64(tt.wantTrials * 600); res.Seconds != want {
				t.Errorf("search took %v s by the clock, want %v", res.Seconds, want)
			}
		})
	}
}

// TestTuneCancelled stops the search in the middle of a trial: Tune
// returns the cancellation, not a partial choice.
func TestTuneCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt := tuneOptions(table(t), 1, 5)
	opt.Step = func(kind, step string) {
		if strings.HasPrefix(step, "tuning trial 1,") {
			cancel()
		}
	}
	if _, err := models.Tune(ctx, opt); !errors.Is(err, context.Canceled) {
		t.Fatalf("Tune = %v, want context.Canceled", err)
	}
}

// TestTuneRefuses checks that options Tune cannot honour are refused
// before any fitting, with a message saying what is wrong.
func TestTuneRefuses(t *testing.T) {
	tab := table(t)
	for _, tt := range []struct {
		name   string
		change func(*models.TuneOptions)
		want   string
	}{
		{"no table", func(o *models.TuneOptions) { o.Table = nil }, "needs the snapshots"},
		{"no cap", func(o *models.TuneOptions) { o.Trials, o.Budget = 0, 0 }, "positive number of trials"},
		{"negative trials", func(o *models.TuneOptions) { o.Trials = -1 }, "positive number of trials"},
		{"negative budget", func(o *models.TuneOptions) { o.Budget = -time.Minute }, "positive number of trials"},
		{"untuned kinds", func(o *models.TuneOptions) { o.Kinds = []string{models.Tree, models.Forest} }, "searches gbm and logistic"},
		{"depth out of range", func(o *models.TuneOptions) { o.Space.Depth = [2]int{0, 3} }, "depth range"},
		{"rate above one", func(o *models.TuneOptions) { o.Space.LearningRate = [2]float64{0.1, 2} }, "learning_rate range"},
		{"reversed penalty", func(o *models.TuneOptions) { o.Space.L2 = [2]float64{10, 1} }, "logistic_l2 range"},
		{"too little history", func(o *models.TuneOptions) { o.Split.ValidWeeks = 40 }, "tuning cut-off 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opt := tuneOptions(tab, 1, 2)
			tt.change(&opt)
			_, err := models.Tune(context.Background(), opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Tune = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestMeasureGroups checks the drop-group backtest on the fixture: its
// folds are tuning's (inside the training weeks), every group of the
// spec is measured with its columns, the difference is with minus
// without, "all" keeps every group, and the same run gives the same
// report.
func TestMeasureGroups(t *testing.T) {
	tab := table(t)
	opt := models.GroupOptions{Kind: models.Logistic, Params: fastParams(), Table: tab, Split: testSplit, Folds: 2, Mode: models.GroupsAll}
	r, err := models.MeasureGroups(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	tu, err := models.Tune(context.Background(), models.TuneOptions{Kinds: []string{models.Logistic}, Params: fastParams(),
		Table: tab, Split: testSplit, Folds: 2, Trials: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Folds, tu.Folds) {
		t.Fatalf("folds %+v, tuning's %+v", r.Folds, tu.Folds)
	}
	if r.AUC != tu.Trials[0].MeanAUC {
		t.Errorf("backtest AUC with every group %v, tuning's trial 0 %v", r.AUC, tu.Trials[0].MeanAUC)
	}
	want := tab.Spec.FeatureGroupsOn()
	if len(r.Groups) != 1+len(want) || r.Groups[0].Group != features.BaseGroup {
		t.Fatalf("groups %+v, want base and %v", r.Groups, want)
	}
	for i, g := range r.Groups[1:] {
		cols, _ := tab.Spec.GroupColumns(want[i])
		if g.Group != want[i] || !reflect.DeepEqual(g.Columns, cols) || !g.Kept {
			t.Errorf("group %d: %+v", i, g)
		}
		if math.Abs(g.Difference-(g.With-g.Without)) > 1e-12 || len(g.FoldDifference) != 2 {
			t.Errorf("group %s: difference %v, with %v, without %v", g.Group, g.Difference, g.With, g.Without)
		}
	}
	again, err := models.MeasureGroups(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	again.Seconds, r.Seconds = 0, 0
	if !reflect.DeepEqual(r, again) {
		t.Errorf("two runs differ:\n%+v\n%+v", r, again)
	}
}
