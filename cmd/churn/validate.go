package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/churnlabs/churn/features"
)

func runValidate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "validate", "--snapshots FILE [--json]",
		`Reviews a snapshot file's data quality without training: duplicated
(account_id, week) pairs and rows after an account's churned week (errors
that stop training), gaps in an account's weeks and accounts with no
activity at all (warnings). Exits 1 when the file has errors.`)
	path := fs.String("snapshots", "", "snapshot file (.parquet or .csv)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := required(fs, "snapshots"); err != nil {
		return err
	}
	var rep *features.Report
	e.progress.begin("reading " + *path)
	src := countedSource(ctx, snapshotSource(*path), func(rows int) { e.progress.update("%d rows", rows) })
	err := src.Read(func(r features.SnapshotReader) (err error) {
		rep, err = features.Inspect(ctx, r, *path)
		return err
	})
	e.progress.end()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	if n := rep.Errors(); n > 0 {
		return fmt.Errorf("%s has %d errors that stop training (see above)", *path, n)
	}
	return nil
}
