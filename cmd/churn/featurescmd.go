package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
)

func runFeatures(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "features", "--snapshots FILE --out DIR [flags]",
		`Builds point-in-time features for every account-week (a feature at week w
uses only rows up to w), labels each row (1: churns within the horizon, 0:
observed active through it, censored rows left out) and writes the
out-of-time split: DIR/valid.* holds the latest weeks whose labels are fully
observed, DIR/train.* the weeks before, ending a horizon earlier so no
training label sees the validation period. DIR/summary.json describes it.

--feature-groups builds optional groups of features besides the base
columns (lifetime, since, baseline, windows-52, shape, renewal-term,
extras-windows, per-seat, vs-lifetime): "all" every group the data can
carry (windows-52 needs a year of history before the last training week,
renewal-term renewal dates, extras-windows an extra column, per-seat a
"seats" column, vs-lifetime ARR or an extra column), or a list such as
baseline,shape,per-seat. Without it the default groups are built
(lifetime, since, baseline, shape, renewal-term, vs-lifetime, and
windows-52 where the data has a year of history before the last training
week). A model
that "churn train --features DIR" fits keeps the groups, and scores with
them. "churn train --feature-groups" also measures them.

DIR is replaced whole, and only when everything is written: an error or an
interrupt leaves the previous DIR as it was. A DIR that holds other files
than an earlier "churn features" output is refused.`)
	path := fs.String("snapshots", "", "snapshot file (.parquet or .csv)")
	out := fs.String("out", "", "output directory, replaced whole (created if needed)")
	horizon := fs.Int("horizon", features.DefaultHorizon, "label horizon H in weeks: positive when the account churns within H weeks")
	validWeeks := fs.Int("valid-weeks", features.DefaultValidWeeks, "weekly cohorts in the validation period")
	format := fs.String("format", "parquet", "output format: parquet or csv")
	normalize := weeksFlag(fs)
	featureGroups := fs.String("feature-groups", "", "optional feature groups to build: all, or a list such as baseline,shape,per-seat (default: lifetime, since, baseline, shape, vs-lifetime, and windows-52 with a year of history before the last training week)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := required(fs, "snapshots", "out"); err != nil {
		return err
	}
	groupList, err := parseGroupsFlag(fs, *featureGroups, false)
	if err != nil {
		return err
	}
	if *format != "parquet" && *format != "csv" {
		return usageError(fs, "--format %q: want parquet or csv", *format)
	}
	if err := checkSplitFlags(fs, *horizon, *validWeeks); err != nil {
		return err
	}
	// The folder is checked before the long work, and written aside:
	// nothing of an earlier run (say train.parquet beside a new
	// train.csv) survives in it.
	dir, err := publish.NewDir(*out, summaryFile)
	if err != nil {
		return err
	}
	defer dir.Discard()
	tightenGC(tightGC)
	// The rows go to a spill file as they are built and from there to
	// train and valid in pieces: no side of the split is held whole.
	tab, err := buildSpilledTable(ctx, e, *path, *normalize, *featureGroups != "")
	if err != nil {
		return err
	}
	defer tab.Close()
	if err := narrowToGroups(tab, groupList, *horizon, *validWeeks); err != nil {
		return fmt.Errorf("--feature-groups: %w", err)
	}
	e.progress.begin("splitting out of time")
	plan, err := tab.PlanSplit(ctx, features.SplitOptions{Horizon: *horizon, ValidWeeks: *validWeeks})
	e.progress.end()
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	sp := plan.Split
	for _, part := range []struct {
		name string
		part features.Part
	}{{"train", features.TrainPart}, {"valid", features.ValidPart}} {
		if err := writeDataset(ctx, e, dir.Path(), part.name, *format, tab.Spec.Names(), plan, part.part); err != nil {
			return err
		}
	}
	if err := tab.Close(); err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	files, err := describeFeatureFiles(dir.Path(), *format, sp)
	if err != nil {
		return err
	}
	summary := featureSummary{Snapshots: *path, Format: *format, Files: files, Split: sp, Spec: tab.Spec, Features: tab.Spec.Names()}
	if err := writeJSON(filepath.Join(dir.Path(), summaryFile), summary); err != nil {
		return err
	}
	if err := commit(ctx, dir); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d accounts, weeks %s to %s, %d features, horizon %d weeks\n",
		*path, len(tab.Accounts), tab.First, tab.Last, len(summary.Features), sp.Horizon)
	for _, p := range []struct {
		name string
		p    features.Period
	}{{"train", sp.TrainStats}, {"valid", sp.ValidStats}} {
		fmt.Fprintf(e.stdout, "  %-5s %8d rows %7d positives (%.1f%%)  weeks %s to %s  -> %s\n",
			p.name, p.p.Rows, p.p.Positives, 100*float64(p.p.Positives)/float64(p.p.Rows),
			p.p.First, p.p.Last, filepath.Join(*out, p.name+"."+*format))
	}
	fmt.Fprintf(e.stdout, "  %d censored rows left out (labels not yet observable)\n", sp.Censored)
	return nil
}

// summaryFile names the file that describes a features folder, and marks
// a folder as one "churn features" wrote.
const summaryFile = "summary.json"

// commit publishes dir unless ctx is done: an interrupt that came during
// the last write leaves the previous folder.
func commit(ctx context.Context, dir *publish.Dir) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return dir.Commit()
}

// featureSummary is DIR/summary.json.
type featureSummary struct {
	Snapshots string `json:"snapshots"`
	// Format and Files say which data files the run wrote: training
	// reads those and refuses any other (see checkFiles).
	Format   string                 `json:"format"`
	Files    map[string]featureFile `json:"files"`
	Split    *features.Split        `json:"split"`
	Spec     features.Spec          `json:"spec"`
	Features []string               `json:"features"`
}

// buildTable builds the feature table of a snapshot file, reporting
// progress.
func buildTable(ctx context.Context, e *env, path string, normalizeWeeks bool, spec *features.Spec) (*features.Table, error) {
	e.progress.begin("reading " + path + " and building features")
	defer e.progress.end()
	return features.Build(ctx, snapshotSource(e, path, normalizeWeeks), features.BuildOptions{
		Spec:     spec,
		Progress: func(rows int) { e.progress.update("%d rows", rows) },
	})
}

// buildSpilledTable is buildTable for a command that only splits the
// table: its rows are kept in a temporary file (see
// features.BuildOptions.Spill), which the caller releases with Close.
// With allGroups every feature group the file's columns can carry is
// built (see features.BuildOptions.AllGroups), else the default groups
// and windows-52. The caller then narrows the table with narrowToGroups,
// which leaves windows-52 out where the data has no year of history
// before the last training week.
func buildSpilledTable(ctx context.Context, e *env, path string, normalizeWeeks, allGroups bool) (*features.Table, error) {
	e.progress.begin("reading " + path + " and building features")
	defer e.progress.end()
	return features.Build(ctx, snapshotSource(e, path, normalizeWeeks), features.BuildOptions{
		Progress:  func(rows int) { e.progress.update("%d rows", rows) },
		Spill:     true,
		AllGroups: allGroups,
		Year:      true,
	})
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	return publish.File(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// checkSplitFlags checks --horizon and --valid-weeks before any work.
// SplitOptions reads 0 as "the default", which would turn an explicit
// --horizon 0 into 12 weeks without a word.
func checkSplitFlags(fs *flag.FlagSet, horizon, validWeeks int) error {
	if horizon < 1 {
		return usageError(fs, "--horizon %d: want at least 1 week", horizon)
	}
	if validWeeks < 1 {
		return usageError(fs, "--valid-weeks %d: want at least 1 week", validWeeks)
	}
	return nil
}
