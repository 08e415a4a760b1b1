package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/events"
	"github.com/churnlabs/churn/features/parquetfile"
	"github.com/churnlabs/churn/features/postgres"
	"github.com/churnlabs/churn/features/publish"
)

// listFlag collects a repeatable flag's values.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runSnapshots(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "snapshots", "(--out FILE | --emit-sql [--dialect D]) (--events FILE|DIR --account COL --time COL | --map mapping.yaml) [flags]",
		`Rolls raw, time-stamped rows (event logs, tickets, invoices) and an accounts
table up into weekly snapshots, streamed: memory grows with accounts x weeks,
not with events. With --account and --time, every row of --events is a login
day and a key action: logins = days with an event, frequency = events,
recency_days = days since the last event at the end of the week. A mapping
file (--map, see the README) says which rows are logins and key actions, where
SLA breaches, overdue invoices, ARR, segment, renewal and churn come from.
Weeks start on Monday; only complete weeks are written; weeks without events
are zero weeks. Churn: cancellation rows or contract ends from the mapping,
or --churn-after-silence, declared on an account's FIRST silence of that
length. FILE ending in .parquet is written as Parquet, otherwise CSV.
--events postgres://... --query "SELECT ..." reads the rows from PostgreSQL.
--emit-sql prints the same roll-up as one SQL statement for --dialect
(postgres, duckdb, spark, bigquery) to run in the warehouse instead: of
--query's rows (or, for duckdb and spark, of an --events file or Parquet
directory) with the plain flags, or of a mapping file whose sources name
a table:, a query: or (duckdb, spark) a path.`)
	out := fs.String("out", "", "snapshot file to write (.parquet or .csv)")
	var paths, sums, distinct listFlag
	fs.Var(&paths, "events", "event file or directory (CSV, CSV.gz, Parquet; Hive partitions), repeatable; or a postgres:// URL with --query")
	query := fs.String("query", "", "SQL query giving the rows: of a --events postgres:// URL (streamed), or of --emit-sql's statement")
	mapFile := fs.String("map", "", "mapping file (YAML): sources, logins, actions, SLA, invoices, accounts, churn")
	account := fs.String("account", "", "account column of --events")
	timeCol := fs.String("time", "", "time column of --events")
	timeFormat := fs.String("time-format", "", "Go layout of the time column (20060102, 2006-01-02 15:04:05), unix or unix_ms (default: ISO dates and RFC 3339)")
	delimiter := fs.String("delimiter", "auto", "CSV delimiter: auto, \",\", \";\", \"|\", tab or whitespace")
	fs.Var(&sums, "sum", "column of --events to sum per account-week, as an extra signal; repeatable")
	fs.Var(&distinct, "count-distinct", "column of --events whose distinct values to count per account-week; repeatable")
	silence := fs.String("churn-after-silence", "", "declare churn on the first silence this long (90d, 13w)")
	tz := fs.String("timezone", "", "IANA time zone weeks start in (default UTC)")
	until := fs.String("until", "", "last day of the data, YYYY-MM-DD (default: the last event's day); only complete weeks are written")
	from := fs.String("from", "", "first week to write, YYYY-MM-DD (a day in it); earlier rows count as history only (default: each account's first week)")
	lenient := fs.Bool("lenient", false, "leave bad rows out with a counted warning instead of failing")
	emitSQL := fs.Bool("emit-sql", false, "print the roll-up as one SQL statement (--dialect) instead of running it: of --query's rows (or one --events file) with the plain flags, or of --map's sources")
	dialect := fs.String("dialect", "postgres", "SQL dialect of --emit-sql: "+strings.Join(events.Dialects(), ", "))
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *emitSQL && *out != "" {
		return usageError(fs, "--emit-sql prints the statement to stdout: leave out --out")
	}
	if !*emitSQL {
		if err := required(fs, "out"); err != nil {
			return err
		}
	}
	var m *events.Mapping
	if *mapFile != "" {
		if len(paths) > 0 || *account != "" || *timeCol != "" || len(sums) > 0 || len(distinct) > 0 || *timeFormat != "" || *query != "" {
			return usageError(fs, "--map names the sources and their columns: leave out --events, --query, --account, --time, --time-format, --sum and --count-distinct")
		}
		data, err := os.ReadFile(*mapFile)
		if err != nil {
			return err
		}
		read := events.ParseMapping
		if *emitSQL {
			read = events.ReadMapping // SQL checks what it needs
		}
		if m, err = read(data, filepath.Dir(*mapFile)); err != nil {
			return fmt.Errorf("%s: %w", *mapFile, err)
		}
	} else if *emitSQL {
		if len(paths) > 1 {
			return usageError(fs, "--emit-sql reads one --events path (or --query's rows): put every row in one relation")
		}
		if len(paths) == 0 && *query == "" {
			return usageError(fs, "--emit-sql needs --query \"SELECT ...\" (or a table: --query \"TABLE events\") for the rows, or (duckdb, spark) an --events file or directory")
		}
		if err := required(fs, "account", "time"); err != nil {
			return err
		}
		src := events.Source{Name: "query", Query: *query, Account: *account, Time: *timeCol, TimeFormat: *timeFormat, Delimiter: *delimiter}
		if len(paths) == 1 {
			src.Path, src.Name = paths[0], paths[0]
			if postgres.IsURL(paths[0]) {
				src.Name = postgres.Redact(paths[0])
			}
		}
		for _, c := range sums {
			src.Sum = append(src.Sum, events.Signal{Column: c})
		}
		for _, c := range distinct {
			src.CountDistinct = append(src.CountDistinct, events.Signal{Column: c, As: "distinct_" + c})
		}
		m = &events.Mapping{Sources: []events.Source{src}}
	} else {
		if len(paths) == 0 {
			return usageError(fs, "give --events with --account and --time, or --map")
		}
		if err := required(fs, "account", "time"); err != nil {
			return err
		}
		// One source over every --events path: the signals are its
		// columns in every file.
		src := events.Source{Name: strings.Join(paths, ", "), Path: paths[0], Account: *account, Time: *timeCol,
			TimeFormat: *timeFormat, Delimiter: *delimiter}
		switch {
		case slices.ContainsFunc(paths, postgres.IsURL):
			if len(paths) > 1 {
				return usageError(fs, "a postgres:// --events is the only one: put every row in its --query")
			}
			if *query == "" {
				return usageError(fs, "--events %s needs --query \"SELECT ...\"", postgres.Redact(paths[0]))
			}
			src.Name, src.Query = postgres.Redact(paths[0]), *query
		case *query != "":
			return usageError(fs, "--query reads from a postgres:// --events URL, not from files")
		case len(paths) > 1:
			src.Open = func() (events.RowReader, error) { return events.OpenPaths(paths, *delimiter) }
		}
		for _, c := range sums {
			src.Sum = append(src.Sum, events.Signal{Column: c})
		}
		for _, c := range distinct {
			src.CountDistinct = append(src.CountDistinct, events.Signal{Column: c, As: "distinct_" + c})
		}
		m = &events.Mapping{Sources: []events.Source{src}}
	}
	if *tz != "" {
		m.Timezone = *tz
	}
	if *silence != "" {
		m.ChurnAfterSilence = *silence
	}
	if *emitSQL {
		if *from != "" {
			// --from overrides the mapping's from:, as in Build.
			if _, err := features.ParseDate(*from); err != nil {
				return usageError(fs, "--from: %v", err)
			}
			m.From = *from
		}
		return printSQL(e, fs, m, *mapFile, *dialect, *until)
	}
	if err := m.Check(); err != nil {
		return usageError(fs, "%v", err)
	}
	loc, _ := m.Location()
	opt := events.Options{
		Until:   features.NoDate,
		Today:   features.DateOf(time.Now().In(loc)),
		Lenient: *lenient,
	}
	if *until != "" {
		d, err := features.ParseDate(*until)
		if err != nil {
			return usageError(fs, "--until: %v", err)
		}
		opt.Until = d
	}
	if *from != "" {
		d, err := features.ParseDate(*from)
		if err != nil {
			return usageError(fs, "--from: %v", err)
		}
		opt.From = d
	}
	opt.Progress = func(n int64) { e.progress.update("%d rows", n) }
	if dir := filepath.Dir(*out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	e.progress.begin("rolling up " + *out)
	defer e.progress.end()
	var rep *events.Report
	err := publish.File(*out, func(w io.Writer) error {
		w = &ctxWriter{ctx: ctx, w: w}
		sw, err := newSnapshotWriter(w, isParquet(*out), m.Schema())
		if err != nil {
			return err
		}
		if rep, err = events.Build(ctx, m, opt, sw); err != nil {
			return err
		}
		if err := sw.close(); err != nil {
			return err
		}
		return ctx.Err() // not renamed into place once interrupted
	})
	for _, c := range reportCounts(rep) {
		fmt.Fprintln(e.stderr, c)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d snapshots of %d accounts (%d churned), weeks %s to %s, from %d rows\n",
		*out, rep.Written, rep.Accounts, rep.Churned, rep.First, rep.Last, rep.Rows)
	return nil
}

// printSQL prints m's roll-up as one SQL statement of dialect. What the
// statement cannot express is a usage error, naming the mapping file
// when there is one.
func printSQL(e *env, fs *flag.FlagSet, m *events.Mapping, mapFile, dialect, until string) error {
	d := features.NoDate
	if until != "" {
		var err error
		if d, err = features.ParseDate(until); err != nil {
			return usageError(fs, "--until: %v", err)
		}
	}
	sql, err := events.SQL(m, dialect, d)
	if err != nil && mapFile != "" {
		return usageError(fs, "%s: %v", mapFile, err)
	}
	if err != nil {
		return usageError(fs, "%v", err)
	}
	_, err = io.WriteString(e.stdout, sql)
	return err
}

// reportCounts formats a roll-up's warnings and notes for stderr.
func reportCounts(rep *events.Report) []string {
	if rep == nil {
		return nil
	}
	var lines []string
	for _, c := range rep.Warnings {
		lines = append(lines, fmt.Sprintf("warning: %d left out: %s (first: %s)", c.N, c.Reason, c.First))
	}
	for _, c := range rep.Notes {
		lines = append(lines, fmt.Sprintf("note: %d: %s (first: %s)", c.N, c.Reason, c.First))
	}
	return lines
}

// snapshotWriter writes snapshots as Parquet or CSV.
type snapshotWriter struct {
	pw *parquetfile.Writer
	cw *csvfile.Writer
}

func newSnapshotWriter(w io.Writer, parquet bool, schema features.Schema) (*snapshotWriter, error) {
	var err error
	sw := &snapshotWriter{}
	if parquet {
		sw.pw, err = parquetfile.NewWriter(w, schema)
	} else {
		sw.cw, err = csvfile.NewWriter(w, schema)
	}
	return sw, err
}

func (s *snapshotWriter) Write(snap *features.Snapshot) error {
	if s.pw != nil {
		return s.pw.Write(snap)
	}
	return s.cw.Write(snap)
}

func (s *snapshotWriter) close() error {
	if s.pw != nil {
		return s.pw.Close()
	}
	return s.cw.Flush()
}
