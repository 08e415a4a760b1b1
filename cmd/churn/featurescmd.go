package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
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
training label sees the validation period. DIR/summary.json describes it.`)
	path := fs.String("snapshots", "", "snapshot file (.parquet or .csv)")
	out := fs.String("out", "", "output directory (created if needed)")
	horizon := fs.Int("horizon", features.DefaultHorizon, "label horizon H in weeks: positive when the account churns within H weeks")
	validWeeks := fs.Int("valid-weeks", features.DefaultValidWeeks, "weekly cohorts in the validation period")
	format := fs.String("format", "parquet", "output format: parquet or csv")
	normalize := weeksFlag(fs)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := required(fs, "snapshots", "out"); err != nil {
		return err
	}
	if *format != "parquet" && *format != "csv" {
		return fmt.Errorf("--format %q: want parquet or csv", *format)
	}
	// Checked here because SplitOptions reads 0 as "the default", which
	// would turn an explicit --horizon 0 into 12 weeks without a word.
	if *horizon < 1 {
		return fmt.Errorf("--horizon %d: want at least 1 week", *horizon)
	}
	tab, err := buildTable(ctx, e, *path, *normalize, nil)
	if err != nil {
		return err
	}
	sp, err := tab.Split(features.SplitOptions{Horizon: *horizon, ValidWeeks: *validWeeks})
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, part := range []struct {
		name string
		ds   *features.Dataset
	}{{"train", sp.Train}, {"valid", sp.Valid}} {
		if _, err := writeDataset(*out, part.name, *format, part.ds); err != nil {
			return err
		}
	}
	files, err := describeFeatureFiles(*out, *format, sp)
	if err != nil {
		return err
	}
	summary := featureSummary{Snapshots: *path, Format: *format, Files: files, Split: sp, Spec: tab.Spec, Features: tab.Spec.Names()}
	if err := writeJSON(filepath.Join(*out, "summary.json"), summary); err != nil {
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
// progress on a terminal.
func buildTable(ctx context.Context, e *env, path string, normalizeWeeks bool, spec *features.Spec) (*features.Table, error) {
	tab, err := features.Build(ctx, snapshotSource(e, path, normalizeWeeks), features.BuildOptions{
		Spec:     spec,
		Progress: func(rows int) { fmt.Fprintf(e.progress, "\rread %d rows", rows) },
	})
	fmt.Fprint(e.progress, "\r\033[K")
	return tab, err
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	return publish.File(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
