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
	// progress reports long steps on stderr (see progress); nil is
	// silent. run gives each command its own, named after it.
	progress *progress
	// opened, when set, is told each time a snapshot file is opened, so
	// that a test can count a command's passes over its input.
	opened func(path string)
}

func commands() []command {
	return []command{
		{"gen", "generate realistic sample snapshots (a simulated B2B SaaS)", runGen},
		{"snapshots", "roll raw event logs, tickets, invoices and an accounts table up into weekly snapshots", runSnapshots},
		{"validate", "review a snapshot file's data quality without training", runValidate},
		{"features", "build point-in-time features and the out-of-time train/valid split", runFeatures},
		{"train", "fit, validate (out of time), calibrate and compare models; write the chosen one", runTrain},
		{"models", "list, show, promote and roll back the models of a registry; print its audit", runModels},
		{"monitor", "check recorded scores against realized churn: AUC, PR-AUC, calibration, lift", runMonitor},
		{"alerts", "alert a webhook when accounts turn red, jump, or are red near renewal (from the recorded scores)", runAlerts},
		{"plays", "list the week's renewal touchpoints per segment, riskiest ARR first", runPlays},
		{"score", "rank active accounts by churn risk with health, ARR at risk, renewal and drivers", runScore},
		{"serve", "serve scores, rankings and the dashboard over HTTP", runServe},
		{"report", "retention report: churn, GRR/NRR, cohorts, leading indicators, adoption score, uplift", runReport},
		{"version", "print the version, the source revision it was built from and the Go version", runVersion},
	}
}

func main() {
	ctx, stop := notifyContext()
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr}
	e.progress = progressFromEnv(os.Stderr, os.Getenv("CHURN_PROGRESS"))
	stopCPU := startCPUProfile(e)
	code := run(ctx, e, os.Args[1:])
	stopCPU()
	writeMemProfile(e)
	os.Exit(code)
}

// interrupted is the cause of the context's cancellation when a signal
// stops a command.
type interrupted struct{ sig os.Signal }

func (i interrupted) Error() string { return "interrupted by " + i.sig.String() }

// exitCode follows the shell's convention for a process that a signal
// ended: 128 plus the signal's number (130 for SIGINT, 143 for SIGTERM).
func (i interrupted) exitCode() int {
	if s, ok := i.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// notifyContext returns a context cancelled, with an interrupted cause,
// by the first SIGINT or SIGTERM. The first signal restores the default
// handling, so a second one ends the process at once, even in the middle
// of a step that has not looked at the context yet.
func notifyContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(interrupted{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// progressFromEnv reports progress on stderr: redrawn in place on a
// terminal, a line every few seconds otherwise. CHURN_PROGRESS=off
// silences it.
func progressFromEnv(stderr *os.File, setting string) *progress {
	if setting == "off" {
		return nil
	}
	terminal := false
	if fi, err := stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		terminal = true
	}
	return newProgress(stderr, terminal, progressEvery)
}

// run executes the command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = append([]string{"version"}, args[1:]...) // what users of other tools type first
	}
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
		ce := *e
		ce.progress = e.progress.forCommand(c.name)
		err := c.run(ctx, &ce, args[1:])
		ce.progress.stop()
		var sig interrupted
		if err != nil && errors.As(context.Cause(ctx), &sig) {
			// Whatever error the cancellation surfaced as, the reason is
			// the signal; the outputs were left as they were.
			fmt.Fprintf(e.stderr, "churn %s: interrupted\n", c.name)
			return sig.exitCode()
		}
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
segment, renewal_date, renewal_type (auto or signature) and any extra
numeric columns.
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

// usageError reports a flag value that cannot be used, on one line, and
// returns errUsage: exit status 2, as for a flag the parser rejects.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "churn %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	return errUsage
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
