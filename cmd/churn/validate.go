package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/churnlabs/churn/features"
)

func runValidate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "validate", "--snapshots FILE [--json --normalize-weeks]",
		`Reviews a snapshot file's data quality without training: duplicated
(account_id, week) pairs, rows after an account's churned week, weeks in the
future and weeks more than a year after the rest of the file (errors), gaps
in an account's weeks and accounts with no activity at all (warnings). A
week that is not a Monday, a malformed account id or a file with no rows
stops the review with an error naming the row. Exits 1 when the file has
errors.`)
	path := fs.String("snapshots", "", "snapshot file (.parquet or .csv)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	normalize := weeksFlag(fs)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := required(fs, "snapshots"); err != nil {
		return err
	}
	var rep *features.Report
	e.progress.begin("reading " + *path)
	src := countedSource(ctx, snapshotSource(e, *path, *normalize), func(rows int) { e.progress.update("%d rows", rows) })
	err := src.Read(func(r features.SnapshotReader) (err error) {
		rep, err = features.Inspect(ctx, r, *path, features.InspectOptions{})
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
