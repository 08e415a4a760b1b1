package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/metrics"
)

// GroupNoiseFloor is the smallest backtest ROC AUC a feature group must
// add to earn its place, whatever the spread of its folds: below it a
// difference is within what a reseeded fit moves, and a group that adds
// nothing more than that only adds columns to compute, store and explain.
const GroupNoiseFloor = 0.0005

// Feature group modes, as churn train --feature-groups takes them.
const (
	// GroupsAll measures every group and keeps them all.
	GroupsAll = "all"
	// GroupsAuto measures every group and leaves out those that do not
	// earn their place.
	GroupsAuto = "auto"
	// GroupsList measures the groups listed and keeps them all.
	GroupsList = "list"
)

// GroupOptions configure MeasureGroups.
type GroupOptions struct {
	// Kind is the learner fitted at each fold, with Params (early
	// stopping off, as tuning has it: a fold's validation weeks score
	// the fit and must not also choose its trees).
	Kind   string
	Params Params
	// Table holds every group measured, built with them all on; Split
	// places the final split, as for Train and Tune. The folds are
	// Tune's: inside the final training weeks, never its validation.
	Table *features.Table
	Split features.SplitOptions
	// Folds is the number of cut-offs; zero means DefaultTuneFolds.
	Folds int
	// Mode is GroupsAll, GroupsAuto or GroupsList: only GroupsAuto
	// leaves groups out.
	Mode string
	// Step and Progress are as in TrainOptions.
	Step     func(kind, step string)
	Progress func(kind string, done, total int)
}

// GroupReport is metrics.json's "feature_groups": each group's
// drop-group backtest and the groups the model kept.
type GroupReport struct {
	Mode      string     `json:"mode"`
	Kind      string     `json:"kind"`
	Selection string     `json:"selection"`
	Folds     []TuneFold `json:"folds"`
	// AUC is the mean backtest ROC AUC with every group measured.
	AUC    float64       `json:"backtest_auc_all"`
	Groups []GroupResult `json:"groups"`
	// Kept lists the groups of the final model; KeptAUC is the mean
	// backtest ROC AUC of those groups together, fitted when some were
	// left out.
	Kept    []string `json:"kept"`
	KeptAUC float64  `json:"backtest_auc_kept"`
	Seconds float64  `json:"seconds"`
}

// GroupResult is one feature group's drop-group backtest.
type GroupResult struct {
	Group   string   `json:"group"`
	Columns []string `json:"columns"`
	// With is the mean backtest ROC AUC with every group, Without with
	// this one left out (0 for the base columns, never left out), and
	// Difference With - Without, per fold in FoldDifference.
	With           float64   `json:"backtest_auc_with"`
	Without        float64   `json:"backtest_auc_without,omitempty"`
	Difference     float64   `json:"difference"`
	FoldDifference []float64 `json:"fold_difference,omitempty"`
	// Noise is the bar Difference had to clear: the standard error of
	// the mean of the fold differences, at least GroupNoiseFloor.
	Noise float64 `json:"noise,omitempty"`
	// Helps says that leaving the group out lowered the backtest AUC by
	// more than Noise; Kept that the final model has it.
	Helps bool `json:"helps"`
	Kept  bool `json:"kept"`
}

// GroupSelection says how MeasureGroups decides, for metrics.json.
const GroupSelection = "leave a group out when leaving it out lowers the mean backtest ROC AUC by no more than the standard error of the fold differences (at least 0.0005); if the groups left out together lower it by more than 0.0005, leave out only the one whose removal cost least"

// MeasureGroups refits opt.Kind at each backtest cut-off with every
// feature group of the table's spec, then with each left out in turn,
// and reports what each group adds. With GroupsAuto, the groups that do
// not help are left out of Kept, after a fit without them all confirms
// that leaving them out together costs no more than GroupNoiseFloor
// (groups that carry the same signal each look useless beside the
// other); otherwise only the one whose removal cost least (see cheapest). Every fit
// and score is inside the final split's training weeks.
func MeasureGroups(ctx context.Context, opt GroupOptions) (*GroupReport, error) {
	if opt.Table == nil {
		return nil, errors.New("measuring feature groups needs the snapshots")
	}
	start := time.Now()
	folds, err := tuneFolds(ctx, TuneOptions{Table: opt.Table, Split: opt.Split, Folds: opt.Folds})
	if err != nil {
		return nil, err
	}
	spec := opt.Table.Spec
	groups := spec.FeatureGroupsOn()
	r := &GroupReport{Mode: opt.Mode, Kind: opt.Kind, Selection: GroupSelection}
	for _, f := range folds {
		r.Folds = append(r.Folds, TuneFold{ValidEnd: f.ValidStats.Last, Train: f.TrainStats, Valid: f.ValidStats})
	}
	p := opt.Params
	p.GBM.EarlyStopping = 0
	fit := func(step string, without []string) ([]float64, error) {
		var aucs []float64
		for j, f := range folds {
			if opt.Step != nil {
				opt.Step(opt.Kind, fmt.Sprintf("feature groups: %s, cut-off %d/%d", step, j+1, len(folds)))
			}
			auc, err := foldAUC(ctx, opt, p, f, spec, without)
			if err != nil {
				return nil, fmt.Errorf("feature groups: %s, cut-off %d: %w", step, j+1, err)
			}
			aucs = append(aucs, auc)
		}
		return aucs, nil
	}
	all, err := fit("every group", nil)
	if err != nil {
		return nil, err
	}
	r.AUC = meanOf(all)
	base, _ := spec.GroupColumns(features.BaseGroup)
	r.Groups = append(r.Groups, GroupResult{Group: features.BaseGroup, Columns: base, With: r.AUC, Helps: true, Kept: true})
	var dropped []string
	for _, g := range groups {
		cols, _ := spec.GroupColumns(g)
		aucs, err := fit("without "+g, []string{g})
		if err != nil {
			return nil, err
		}
		res := GroupResult{Group: g, Columns: cols, With: r.AUC, Without: meanOf(aucs), Kept: true}
		for j := range aucs {
			res.FoldDifference = append(res.FoldDifference, all[j]-aucs[j])
		}
		res.Difference, res.Noise = pairedDifference(res.FoldDifference)
		res.Helps = res.Difference > res.Noise
		if !res.Helps {
			dropped = append(dropped, g)
		}
		r.Groups = append(r.Groups, res)
	}
	r.KeptAUC = r.AUC
	if opt.Mode == GroupsAuto && len(dropped) > 0 {
		var joint []float64
		if len(dropped) > 1 {
			aucs, err := fit("without "+strings.Join(dropped, ", "), dropped)
			if err != nil {
				return nil, err
			}
			for j := range aucs {
				joint = append(joint, all[j]-aucs[j])
			}
			r.KeptAUC = meanOf(aucs)
		}
		if dropped = leaveOut(r.Groups, joint); len(dropped) == 1 {
			r.KeptAUC = r.Groups[slices.IndexFunc(r.Groups, func(g GroupResult) bool { return g.Group == dropped[0] })].Without
		}
		for i := range r.Groups {
			r.Groups[i].Kept = !slices.Contains(dropped, r.Groups[i].Group)
		}
	}
	for _, g := range r.Groups[1:] {
		if g.Kept {
			r.Kept = append(r.Kept, g.Group)
		}
	}
	r.Seconds = math.Round(time.Since(start).Seconds()*1000) / 1000
	return r, nil
}

// leaveOut returns the groups auto leaves out: those that do not help,
// when leaving them out together costs, by joint (the fold differences
// of a fit without them all; nil for one group), no more than
// GroupNoiseFloor on average; otherwise only the one whose own removal
// cost least. The joint bar is the mean alone, not the fold spread that
// judged each group: with three folds that spread is wide enough to pass
// a loss of 0.005 (world 14 of the accuracy bench), and the groups were
// candidates for adding nothing on their own.
func leaveOut(groups []GroupResult, joint []float64) []string {
	var candidates []GroupResult
	for _, g := range groups {
		if g.Group != features.BaseGroup && !g.Helps {
			candidates = append(candidates, g)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	if len(candidates) == 1 || meanOf(joint) <= GroupNoiseFloor {
		out := make([]string, len(candidates))
		for i, g := range candidates {
			out[i] = g.Group
		}
		return out
	}
	return []string{slices.MinFunc(candidates, func(a, b GroupResult) int {
		return cmp.Compare(a.Difference, b.Difference)
	}).Group}
}

// foldAUC fits at one fold without the columns of the groups in without
// and returns the validation ROC AUC.
func foldAUC(ctx context.Context, opt GroupOptions, p Params, f *features.Split, spec features.Spec, without []string) (float64, error) {
	train, valid := f.Train, f.Valid
	if len(without) > 0 {
		narrow, err := spec.WithGroups(slices.DeleteFunc(spec.FeatureGroupsOn(), func(g string) bool { return slices.Contains(without, g) }))
		if err != nil {
			return 0, err
		}
		if train, err = train.Columns(narrow.Names()); err != nil {
			return 0, err
		}
		if valid, err = valid.Columns(narrow.Names()); err != nil {
			return 0, err
		}
	}
	m, err := Fit(ctx, opt.Kind, train, valid, p, func(done, total int) {
		if opt.Progress != nil {
			opt.Progress(opt.Kind, done, total)
		}
	})
	if err != nil {
		return 0, err
	}
	return metrics.ROCAUC(valid.Label, scoreRows(m, valid).z), nil
}

// pairedDifference returns the mean of the fold differences and the
// noise it must clear: their standard error, at least GroupNoiseFloor.
func pairedDifference(d []float64) (mean, noise float64) {
	mean = meanOf(d)
	noise = GroupNoiseFloor
	if n := float64(len(d)); n > 1 {
		var ss float64
		for _, v := range d {
			ss += (v - mean) * (v - mean)
		}
		noise = max(noise, math.Sqrt(ss/(n-1)/n))
	}
	return mean, noise
}

// WriteSummary prints the drop-group table for a person.
func (r *GroupReport) WriteSummary(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "feature groups (%s, %s at %d backtest cut-offs inside the training weeks; backtest AUC with every group %.4f):\n",
		r.Mode, r.Kind, len(r.Folds), r.AUC); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "group\tcolumns\tAUC without\tdifference\tnoise\tkept\t")
	for _, g := range r.Groups {
		if g.Group == features.BaseGroup {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\talways\t\n", g.Group, len(g.Columns))
			continue
		}
		kept := "yes"
		if !g.Kept {
			kept = "no"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%+.4f\t%.4f\t%s\t\n", g.Group, len(g.Columns), g.Without, g.Difference, g.Noise, kept)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "kept: %s (backtest AUC %.4f)\n", strings.Join(append([]string{features.BaseGroup}, r.Kept...), ", "), r.KeptAUC)
	return err
}
