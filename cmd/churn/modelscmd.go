package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/models/registry"
)

// modelsSubcommands are the actions of "churn models", with their
// synopses.
var modelsSubcommands = []struct{ name, synopsis string }{
	{"list", "list the registered versions; * marks the champion, s the shadow"},
	{"show", "show a version (default: the champion) and its audit entries"},
	{"promote", "make VERSION the champion (--reason required)"},
	{"rollback", "make the previous champion the champion again (--reason required)"},
	{"shadow", "score VERSION beside the champion, recorded and never shown; --clear stops (--reason required)"},
	{"audit", "print the audit of registrations, promotions and rollbacks"},
}

func runModels(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		modelsUsage(e.stdout) // asked-for help is output, not an error
		return flag.ErrHelp
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		modelsUsage(e.stderr)
		return errUsage
	}
	sub, args := args[0], args[1:]
	var synopsis string
	for _, s := range modelsSubcommands {
		if s.name == sub {
			synopsis = s.synopsis
		}
	}
	if synopsis == "" {
		fmt.Fprintf(e.stderr, "churn models: unknown action %q\n", sub)
		modelsUsage(e.stderr)
		return errUsage
	}
	positional := "--registry DIR [--db URL]"
	switch sub {
	case "show":
		positional = "[VERSION] " + positional
	case "promote":
		positional = "VERSION --reason TEXT " + positional
	case "rollback":
		positional = "--reason TEXT " + positional
	case "shadow":
		positional = "(VERSION | --clear) --reason TEXT " + positional
	}
	fs := newFlags(e, "models "+sub, positional, synopsis+`.

The registry is a folder that "churn train --registry DIR" fills: every
trained model under its version, and champion.json naming the champion,
which "churn serve --registry DIR" serves. Promotions and rollbacks are
recorded, with the user ($CHURN_USER, else $USER or $LOGNAME) and the
reason, in the lifecycle store's append-only audit: by default the SQLite
file DIR/`+lifecycle.DefaultDBName+`, or the PostgreSQL database --db postgres://...
A VERSION may be shortened to any prefix that names one version.

The shadow (DIR/shadow.json) is a challenger "churn serve --registry DIR"
scores beside the champion on the same accounts and week, recording its
scores in the score history under its own version without ever showing
them, so that "churn monitor" compares the two on live traffic. Setting and
clearing it are audited as promotions are; promoting the shadow clears it.`)
	dir := fs.String("registry", "", "registry folder")
	db := fs.String("db", "", "lifecycle store: a postgres:// URL or a SQLite file (default DIR/"+lifecycle.DefaultDBName+")")
	reason := fs.String("reason", "", "why, for the audit (promote, rollback and shadow)")
	clear := fs.Bool("clear", false, "shadow: stop shadowing")
	rest, err := parseWithArgs(e, fs, args)
	if err != nil {
		return err
	}
	if err := required(fs, "registry"); err != nil {
		return err
	}
	maxArgs := 0
	switch sub {
	case "show":
		maxArgs = 1
	case "promote":
		if len(rest) == 0 {
			return usageError(fs, "name the VERSION to promote (\"churn models list\" lists them)")
		}
		maxArgs = 1
	case "shadow":
		if len(rest) == 0 && !*clear {
			return usageError(fs, "name the VERSION to shadow, or give --clear")
		}
		if *clear && len(rest) > 0 {
			return usageError(fs, "give a VERSION to shadow or --clear, not both")
		}
		maxArgs = 1
	}
	if isSet(fs, "clear") && sub != "shadow" {
		return usageError(fs, "--clear is for shadow")
	}
	if len(rest) > maxArgs {
		return usageError(fs, "unexpected argument %q", rest[maxArgs])
	}
	changes := sub == "promote" || sub == "rollback" || sub == "shadow"
	if changes && strings.TrimSpace(*reason) == "" {
		what := "champion"
		if sub == "shadow" {
			what = "shadow"
		}
		return usageError(fs, "--reason is required: the audit records why the %s changed", what)
	}
	if isSet(fs, "reason") && !changes {
		return usageError(fs, "--reason is for promote, rollback and shadow")
	}
	if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("registry %s: not a folder (\"churn train --registry %s\" creates it)", *dir, *dir)
	}
	reg, closeStore, err := openRegistry(ctx, *dir, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	switch sub {
	case "list":
		return listModels(e.stdout, reg)
	case "show":
		name := ""
		if len(rest) == 1 {
			name = rest[0]
		}
		return showModel(ctx, e.stdout, reg, name)
	case "audit":
		es, err := reg.Audit(ctx)
		if err != nil {
			return err
		}
		return writeAudit(e.stdout, es)
	}
	user, err := registry.User(os.Getenv, user.Current)
	if err != nil {
		return err
	}
	var entry registry.Entry
	switch {
	case sub == "promote":
		entry, err = reg.Promote(ctx, rest[0], user, *reason)
	case sub == "rollback":
		entry, err = reg.Rollback(ctx, user, *reason)
	case *clear:
		entry, err = reg.ClearShadow(ctx, user, *reason)
	default:
		entry, err = reg.SetShadow(ctx, rest[0], user, *reason)
	}
	if err != nil {
		return err
	}
	printChange(e.stdout, entry)
	return nil
}

func modelsUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: churn models <action> --registry DIR [flags]\n\nActions:\n")
	for _, s := range modelsSubcommands {
		fmt.Fprintf(w, "\t%-9s %s\n", s.name, s.synopsis)
	}
	fmt.Fprintf(w, "\nRun \"churn models <action> --help\" for an action's flags.\n")
}

// parseWithArgs parses flags that may come before, between or after the
// positional arguments ("promote VERSION --reason ..."), which the flag
// package alone stops at, and returns the positional ones.
func parseWithArgs(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(e.stdout)
		}
	}
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openRegistry opens the registry in dir with its lifecycle store: db,
// or the SQLite file in dir.
func openRegistry(ctx context.Context, dir, db string) (*registry.Registry, func(), error) {
	if db == "" {
		db = filepath.Join(dir, lifecycle.DefaultDBName)
	}
	store, err := sqlstore.Open(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	return registry.Open(dir, store), func() { store.Close() }, nil
}

func listModels(w io.Writer, reg *registry.Registry) error {
	vs, err := reg.Versions()
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		fmt.Fprintf(w, "no models registered in %s: \"churn train --registry %s\" registers one\n", reg.Dir(), reg.Dir())
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tVERSION\tKIND\tTRAINED ON\tVALIDATED ON\tVALID AUC\tREGISTERED")
	for _, v := range vs {
		mark := ""
		switch {
		case v.Champion:
			mark = "*"
		case v.Shadow:
			mark = "s"
		}
		if v.Err != nil {
			fmt.Fprintf(tw, "%s\t%s\tunusable: %v\n", mark, v.Version, v.Err)
			continue
		}
		a := v.Model
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s to %s\t%s to %s\t%.4f\t%s\n", mark, v.Version, a.Kind,
			a.Train.First, a.Train.Last, a.Valid.First, a.Valid.Last, a.Metrics.ROCAUC,
			v.Registered.Local().Format(time.DateTime))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := reg.Champion(); err != nil {
		fmt.Fprintf(w, "champion: %v\n", err)
	}
	return nil
}

func showModel(ctx context.Context, w io.Writer, reg *registry.Registry, name string) error {
	if name == "" {
		c, err := reg.Champion()
		if err != nil {
			return err
		}
		name = c.Version
	}
	v, err := reg.Version(name)
	if err != nil {
		return err
	}
	a := v.Model
	role := "registered"
	switch {
	case v.Champion:
		role = "champion"
	case v.Shadow:
		role = "shadow, scored beside the champion"
	}
	fmt.Fprintf(w, "version:      %s (%s)\n", v.Version, role)
	fmt.Fprintf(w, "folder:       %s\n", v.Dir)
	fmt.Fprintf(w, "kind:         %s, %d features, horizon %d weeks\n", a.Kind, len(a.Features), a.Horizon)
	fmt.Fprintf(w, "trained on:   %s to %s, %d rows (%d churned)\n", a.Train.First, a.Train.Last, a.Train.Rows, a.Train.Positives)
	fmt.Fprintf(w, "validated on: %s to %s, %d rows (%d churned)\n", a.Valid.First, a.Valid.Last, a.Valid.Rows, a.Valid.Positives)
	fmt.Fprintf(w, "validation:   ROC AUC %.4f, PR AUC %.4f, log-loss %.4f, Brier %.4f\n",
		a.Metrics.ROCAUC, a.Metrics.PRAUC, a.Metrics.LogLoss, a.Metrics.Brier)
	if r := a.Refit; r != nil {
		f := r.FirstFit.Train
		fmt.Fprintf(w, "first fit:    %s to %s, %d rows: the validation above is of this fit, out of time; the model was then refitted on every matured week\n",
			f.First, f.Last, f.Rows)
	}
	fmt.Fprintf(w, "data:         %s\n", a.Fingerprint)
	es, err := reg.Audit(ctx)
	if err != nil {
		return err
	}
	var mine []registry.Entry
	for _, e := range es {
		if e.Version == v.Version || e.Previous == v.Version && e.Action != registry.Register {
			mine = append(mine, e)
		}
	}
	fmt.Fprintln(w, "audit:")
	if len(mine) == 0 {
		fmt.Fprintln(w, "  (none)")
		return nil
	}
	return writeAudit(w, mine)
}

// writeAudit prints audit entries, one a line, oldest first.
func writeAudit(w io.Writer, es []registry.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tWHEN\tWHO\tACTION\tVERSION\tPREVIOUS CHAMPION\tREASON")
	for _, e := range es {
		prev := e.Previous
		if prev == "" || e.Action == registry.Register {
			prev = "-"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Local().Format(time.DateTime), e.User, e.Action, e.Version, prev, e.Reason)
	}
	return tw.Flush()
}

// printChange reports a promotion, rollback or change of shadow.
func printChange(w io.Writer, e registry.Entry) {
	switch e.Action {
	case registry.ShadowOn:
		fmt.Fprintf(w, "shadowing %s beside the champion %s; audit entry %d by %s: %s\n", e.Version, e.Previous, e.Seq, e.User, e.Reason)
		return
	case registry.ShadowOff:
		fmt.Fprintf(w, "no longer shadowing %s; audit entry %d by %s: %s\n", e.Version, e.Seq, e.User, e.Reason)
		return
	}
	verb := "promoted"
	if e.Action == registry.Rollback {
		verb = "rolled back to"
	}
	was := "no champion before"
	if e.Previous != "" {
		was = "was " + e.Previous
	}
	fmt.Fprintf(w, "%s %s (%s); audit entry %d by %s: %s\n", verb, e.Version, was, e.Seq, e.User, e.Reason)
}
