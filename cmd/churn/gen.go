package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/parquetfile"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/simulate"
)

func runGen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "gen", "--out FILE [flags]",
		`Simulates a B2B SaaS customer base and writes its weekly account snapshots:
staggered sign-ups, segments with ARR and seats, monthly and annual contracts
with renewals, engagement that drifts, outages, overdue invoices, seasonality,
missing weeks, and churn preceded by declining behaviour. The same seed gives
the same file. FILE ending in .parquet is written as Parquet, otherwise CSV.`)
	out := fs.String("out", "", "snapshot file to write (.parquet or .csv)")
	accounts := fs.Int("accounts", 3000, "accounts that ever sign up")
	weeks := fs.Int("weeks", 104, "weeks of snapshots")
	start := fs.String("start", "2023-01-02", "first snapshot week (YYYY-MM-DD)")
	seed := fs.Int64("seed", 1, "random seed")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	first, err := features.ParseDate(*start)
	if err != nil {
		return usageError(fs, "--start: %v", err)
	}
	if m := first.Monday(); m != first {
		// Checked before anything is created, as every snapshot's week
		// must be the Monday that starts it.
		return usageError(fs, "--start %s is a %s: weeks start on Mondays (%s)", first, first.Weekday(), m)
	}
	if *accounts < 1 || *weeks < 1 {
		return usageError(fs, "--accounts and --weeks must be at least 1")
	}
	// Every command refuses snapshots of weeks that have not started, so
	// a file reaching past this week would be written only to be refused.
	thisWeek := features.DateOf(time.Now()).Monday()
	if last := first.AddDays(7 * (*weeks - 1)); last > thisWeek {
		return usageError(fs, "--weeks %d from --start %s ends on %s, after this week (%s): choose --start %s or earlier",
			*weeks, first, last, thisWeek, thisWeek.AddDays(-7*(*weeks-1)))
	}
	cfg := simulate.Config{Accounts: *accounts, Weeks: *weeks, Start: first, Seed: *seed}
	progress := func(week, weeks int) { e.progress.update("week %d/%d", week, weeks) }
	undo, err := publish.Parents(*out)
	if err != nil {
		return err
	}
	e.progress.begin("simulating " + *out)
	defer e.progress.end()
	err = publish.File(*out, func(w io.Writer) error {
		w = &ctxWriter{ctx: ctx, w: w}
		if isParquet(*out) {
			pw, err := parquetfile.NewWriter(w, simulate.Schema())
			if err != nil {
				return err
			}
			if err := simulate.Run(ctx, cfg, pw, progress); err != nil {
				return err
			}
			if err := pw.Close(); err != nil {
				return err
			}
			return ctx.Err() // not renamed into place once interrupted
		}
		cw, err := csvfile.NewWriter(w, simulate.Schema())
		if err != nil {
			return err
		}
		if err := simulate.Run(ctx, cfg, cw, progress); err != nil {
			return err
		}
		if err := cw.Flush(); err != nil {
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		undo() // an unwritten file leaves no empty folders either
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d accounts over %d weeks from %s (seed %d)\n", *out, *accounts, *weeks, first, *seed)
	return nil
}
