package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/parquetfile"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/simulate"
)

func runGen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "gen", "(--out FILE | --raw DIR) [flags]",
		`Simulates a B2B SaaS customer base and writes its weekly account snapshots:
staggered sign-ups, segments with ARR and seats, monthly and annual contracts
with renewals, engagement that drifts, outages, overdue invoices, seasonality,
missing weeks, and churn preceded by declining behaviour. The same seed gives
the same file. FILE ending in .parquet is written as Parquet, otherwise CSV.

--mix changes what drives churn, for judging models on worlds whose signals
differ: each key scales a mechanism (churn: how often declines start, the
class balance; usage: how much activity shows health; support: how much SLA
breaches hurt; billing: how often financial distress strikes; abrupt: exits
nothing foreshadows; noise: weekly noise of health and activity). Without
it, or with every factor 1, the output is the default world's, byte for byte.

--raw DIR writes instead the raw tables behind those snapshots, as CSV: product
events (one row per login session, key action and cancellation, with times),
support tickets with SLA and response minutes, invoices with due and paid
dates, and the accounts table's history (ARR, seats, segment, renewal date,
one row per change), with half a year of history before the first week, and
DIR/mapping.yaml: "churn snapshots --map DIR/mapping.yaml" rolls them up into
the same snapshots as "churn gen --no-gaps" with the same flags (sorted by
account instead of week). DIR is replaced whole when it is complete. Events
are many, one per login: 300 accounts over 104 weeks are about 370 MB.`)
	out := fs.String("out", "", "snapshot file to write (.parquet or .csv)")
	raw := fs.String("raw", "", "folder to write the raw tables and their mapping.yaml into, instead of --out")
	noGaps := fs.Bool("no-gaps", false, "write every week: no week left out as unreported (as the raw tables' roll-up)")
	accounts := fs.Int("accounts", 3000, "accounts that ever sign up")
	weeks := fs.Int("weeks", 104, "weeks of snapshots")
	start := fs.String("start", "2023-01-02", "first snapshot week (YYYY-MM-DD)")
	seed := fs.Int64("seed", 1, "random seed")
	mixFlag := fs.String("mix", "", "signal mix: comma-separated key=factor scaling what drives churn, keys churn (class balance), usage, support, billing, abrupt, noise; 1 is the default world, 0 turns a mechanism off (e.g. usage=0.5,support=2)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	mix, err := simulate.ParseMix(*mixFlag)
	if err != nil {
		return usageError(fs, "--mix: %v", err)
	}
	if (*out == "") == (*raw == "") {
		return usageError(fs, "give --out FILE for snapshots or --raw DIR for raw tables (one of them)")
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
	cfg := simulate.Config{Accounts: *accounts, Weeks: *weeks, Start: first, Seed: *seed, NoGaps: *noGaps, Mix: mix}
	progress := func(week, weeks int) { e.progress.update("week %d/%d", week, weeks) }
	if *raw != "" {
		// Raw rows run to the last week's Sunday, and a roll-up refuses
		// dates after today.
		today := features.DateOf(time.Now())
		if end := first.AddDays(7**weeks - 1); end > today {
			return usageError(fs, "--raw: --weeks %d from --start %s ends on %s, after today (%s): choose --start %s or earlier",
				*weeks, first, end, today, today.AddDays(1).Monday().AddDays(-7**weeks))
		}
		return genRaw(ctx, e, *raw, cfg, progress)
	}
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
	fmt.Fprintf(e.stdout, "wrote %s: %d accounts over %d weeks from %s (seed %d%s)\n", *out, *accounts, *weeks, first, *seed, mixNote(mix))
	return nil
}

// genRaw writes the raw tables of cfg and their mapping into the folder
// raw, published whole once everything is written.
func genRaw(ctx context.Context, e *env, raw string, cfg simulate.Config, progress func(week, weeks int)) error {
	dir, err := publish.NewDir(raw, simulate.RawMapping)
	if err != nil {
		return err
	}
	defer dir.Discard()
	mapping, err := simulate.RawMappingYAML(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir.Path(), simulate.RawMapping), mapping, 0o644); err != nil {
		return err
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	create := func(name string) io.Writer {
		f, ferr := os.Create(filepath.Join(dir.Path(), name))
		if ferr != nil {
			err = cmp.Or(err, ferr)
			return io.Discard
		}
		files = append(files, f)
		return &ctxWriter{ctx: ctx, w: f}
	}
	tables := simulate.RawTables{
		Events:   create(simulate.RawEvents),
		Tickets:  create(simulate.RawTickets),
		Invoices: create(simulate.RawInvoices),
		Accounts: create(simulate.RawAccounts),
	}
	if err != nil {
		return err
	}
	e.progress.begin("simulating raw tables into " + raw)
	err = simulate.RunRaw(ctx, cfg, tables, progress)
	e.progress.end()
	if err != nil {
		return err
	}
	var size int64
	for _, f := range files {
		if err := f.Sync(); err != nil {
			return err
		}
		if fi, err := f.Stat(); err == nil {
			size += fi.Size()
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	files = nil
	if err := commit(ctx, dir); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: raw tables (%.1f MB) of %d accounts over %d weeks from %s (seed %d); roll them up with churn snapshots --map %s\n",
		raw, float64(size)/1e6, cfg.Accounts, cfg.Weeks, cfg.Start, cfg.Seed, filepath.Join(raw, simulate.RawMapping))
	return nil
}

// mixNote describes a signal mix for gen's last line: nothing for the
// default world, whose line stays as it was.
func mixNote(m simulate.Mix) string {
	if m == simulate.DefaultMix() {
		return ""
	}
	return ", mix " + m.String()
}
