package main

import (
	"path/filepath"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/parquetfile"
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

// writeDataset writes a dataset as DIR/NAME.FORMAT, atomically.
func writeDataset(dir, name, format string, ds *features.Dataset) (string, error) {
	path := filepath.Join(dir, name+"."+format)
	if format == "parquet" {
		return path, parquetfile.WriteDatasetFile(path, ds)
	}
	return path, csvfile.WriteDatasetFile(path, ds)
}
