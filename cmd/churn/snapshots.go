package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/parquetfile"
	"github.com/churnlabs/churn/features/publish"
)

// isParquet reports whether a path names a Parquet file; anything else is
// read and written as CSV.
func isParquet(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".parquet")
}

// weeksFlag adds --normalize-weeks to a command that reads snapshots.
func weeksFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("normalize-weeks", false,
		"move each snapshot's week to the Monday that starts it (default: a week that is not a Monday is an error)")
}

// snapshotSource opens a snapshot file by its extension. The first time
// it is opened, it warns on stderr about the columns the reader leaves
// out, so that a column a user meant as a feature is not lost unseen.
func snapshotSource(e *env, path string, normalizeWeeks bool) features.Source {
	src := csvfile.Source(path)
	if isParquet(path) {
		src = parquetfile.Source(path)
	}
	src.NormalizeWeeks = normalizeWeeks
	var once sync.Once
	open := src.Open
	src.Open = func() (features.SnapshotReader, error) {
		if e.opened != nil {
			e.opened(path)
		}
		r, err := open()
		if err != nil {
			return nil, err
		}
		if ig, ok := r.(interface{ Ignored() []string }); ok {
			once.Do(func() {
				for _, col := range ig.Ignored() {
					if col != "" {
						fmt.Fprintf(e.stderr, "warning: %s: column %q is not numeric: left out of the features\n", path, col)
					}
				}
			})
		}
		return r, nil
	}
	return src
}

// writeDataset writes one side of a split as DIR/NAME.FORMAT, atomically,
// in pieces of datasetPieceRows rows, reporting progress and stopping
// once ctx is done.
func writeDataset(ctx context.Context, e *env, dir, name, format string, names []string, plan *features.SplitPlan, part features.Part) error {
	file := name + "." + format
	e.progress.begin("writing " + file)
	defer e.progress.end()
	return publish.File(filepath.Join(dir, file), func(w io.Writer) error {
		cw := &ctxWriter{ctx: ctx, w: w, report: func(n int64) { e.progress.update("%d MB", n>>20) }}
		var write func(*features.Dataset) error
		var close func() error
		if format == "parquet" {
			dw, err := parquetfile.NewDatasetWriter(ctx, cw, names, true)
			if err != nil {
				return err
			}
			write, close = dw.Write, dw.Close
		} else {
			dw, err := csvfile.NewDatasetWriter(cw, names, true)
			if err != nil {
				return err
			}
			write, close = dw.Write, dw.Close
		}
		if err := plan.Batches(ctx, part, datasetPieceRows, write); err != nil {
			return err
		}
		return close()
	})
}

// datasetPieceRows is how many rows writeDataset copies out of the table
// at a time: a few megabytes.
const datasetPieceRows = 1 << 14
