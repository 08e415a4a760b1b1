// Command churn trains churn-prediction models from weekly account
// snapshots and serves per-account churn scores with their reasons.
//
// Usage:
//
//	churn <command> [flags]
//
// Run "churn help" for the commands and "churn <command> --help" for a
// command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand: its one-line summary and how to run it.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env carries the process's streams, so commands can be run in tests.
type env struct {
	stdout, stderr io.Writer
	// progress is where long jobs report progress: stderr when it is a
	// terminal, nowhere otherwise, so logs and CI output stay clean.
	progress io.Writer
	// opened, when set, is told each time a snapshot file is opened, so
	// that a test can count a command's passes over its input.
	opened func(path string)
}

func commands() []command {
	return []command{
		{"gen", "generate realistic sample snapshots (a simulated B2B SaaS)", runGen},
		{"validate", "review a snapshot file's data quality without training", runValidate},
		{"features", "build point-in-time features and the out-of-time train/valid split", runFeatures},
		{"train", "fit, validate (out of time), calibrate and compare models; write the chosen one", runTrain},
		{"score", "rank active accounts by churn risk with health, ARR at risk, renewal and drivers", runScore},
		{"serve", "serve scores, rankings and the dashboard over HTTP", runServe},
		{"report", "retention report: churn, GRR/NRR, cohorts, leading indicators, adoption score, uplift", runReport},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, progress: io.Discard}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		e.progress = os.Stderr
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run executes the command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		}
		fmt.Fprintf(e.stderr, "churn %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(e.stderr, "churn: unknown command %q (run \"churn help\" for the list)\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `churn trains churn-prediction models from weekly account snapshots and
serves per-account churn scores with the reasons behind each score.

Usage:

	churn <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "churn <command> --help" for a command's flags.
Snapshot files are Parquet (*.parquet) or CSV (anything else), with the
columns listed in the product contract: account_id, week, logins, frequency,
recency_days, sla_breaches, overdue_invoices, and optionally churned, arr,
segment, renewal_date and any extra numeric columns.
`)
}

// errUsage reports a flag error already explained on stderr.
var errUsage = errors.New("usage")

// newFlags returns a flag set whose --help prints the command's summary,
// its longer description and every flag with its default.
func newFlags(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: churn %s %s\n\n%s\n\nFlags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning flag errors into errUsage (the flag package
// has already printed them) and rejecting stray arguments.
func parse(e *env, fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(e.stdout) // asked-for help is output, not an error
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "churn %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// required reports the first of the named flags left empty.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			fmt.Fprintf(fs.Output(), "churn %s: --%s is required\n", fs.Name(), n)
			fs.Usage()
			return errUsage
		}
	}
	return nil
}
