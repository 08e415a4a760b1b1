package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"

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

// snapshotSource opens a snapshot file by its extension.
func snapshotSource(path string) features.Source {
	return features.Source{Name: path, Open: func() (features.SnapshotReader, error) {
		// Each branch returns a nil interface on error, never an
		// interface holding a nil *Reader.
		if isParquet(path) {
			r, err := parquetfile.Open(path)
			if err != nil {
				return nil, err
			}
			return r, nil
		}
		r, err := csvfile.Open(path)
		if err != nil {
			return nil, err
		}
		return r, nil
	}}
}

// writeDataset writes a dataset as DIR/NAME.FORMAT, atomically,
// reporting progress and stopping once ctx is done.
func writeDataset(ctx context.Context, e *env, dir, name, format string, ds *features.Dataset) error {
	file := name + "." + format
	e.progress.begin("writing " + file)
	defer e.progress.end()
	return publish.File(filepath.Join(dir, file), func(w io.Writer) error {
		cw := &ctxWriter{ctx: ctx, w: w, report: func(n int64) { e.progress.update("%d MB", n>>20) }}
		if format == "parquet" {
			return parquetfile.WriteDatasetContext(ctx, cw, ds)
		}
		return csvfile.WriteDataset(cw, ds)
	})
}
