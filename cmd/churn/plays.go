package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/plays"
)

func runPlays(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "plays", "--snapshots FILE --model DIR [--segments FILE] [flags]",
		`Lists the week's renewal plays: every active account whose renewal is within
its segment's lead time (default 120 days) of the latest snapshot week, with
the touchpoints due that week (a touchpoint D days before the renewal is due
in the week containing renewal - D; by default 120, 90, 60 and 30 days) and
the next one, riskiest ARR first (churn probability x ARR).

--segments FILE is a YAML segment file: segments picked by the segment
column, an ARR range and a team-size (seats column) range, the first match
winning, each with lead_days and touchpoints for signature and auto
contracts. A contract follows its segment's list for its renewal type, the
snapshots' renewal_type column (auto or signature); one of unknown type, or
of a file without the column, follows the signature list. A segment's health
is its own cut-offs set by hand ({yellow, red}), or those churn train
--segments learned for it ("learned", or health left out under a model that
has them); else the model's.`)
	snapshots := fs.String("snapshots", "", "snapshot file (.parquet or .csv)")
	modelDir := fs.String("model", "", "model directory written by \"churn train\"")
	segFile := fs.String("segments", "", "YAML segment file (default: one segment, 120 days, 120/90/60/30)")
	format := fs.String("format", "table", "output format: table, csv or json")
	dueOnly := fs.Bool("due-only", false, "only accounts with a touchpoint due this week")
	normalize := weeksFlag(fs)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := required(fs, "snapshots", "model"); err != nil {
		return err
	}
	switch *format {
	case "table", "csv", "json":
	default:
		return usageError(fs, "--format %q: want table, csv or json", *format)
	}
	var segs *plays.Segments
	if *segFile != "" {
		s, err := plays.Read(*segFile)
		if err != nil {
			return err
		}
		segs = s
	}
	a, err := models.Load(*modelDir)
	if err != nil {
		return err
	}
	if a.Spec.Table != nil {
		return fmt.Errorf("%s was trained on a customer table: it has no renewals to play", *modelDir)
	}
	if err := segs.Check(a); err != nil {
		return fmt.Errorf("%s: %w", *segFile, err)
	}
	book, _, err := loadBook(ctx, e, *snapshots, *normalize, a, features.Partition{}, nil)
	if err != nil {
		return err
	}
	w := plays.For(book, segs)
	window := len(w.Plays)
	if *dueOnly {
		w = w.DueOnly()
	}
	switch *format {
	case "csv":
		return writePlaysCSV(e.stdout, w)
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(w)
	}
	return writePlaysTable(e.stdout, w, window)
}

// touchpoints formats touchpoints as "60d 2026-12-17; ...".
func touchpoints(ts []plays.Touchpoint) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%dd %s", t.DaysBefore, t.Date)
	}
	return strings.Join(parts, "; ")
}

func nextTouchpoint(p plays.Play) []plays.Touchpoint {
	if p.Next == nil {
		return nil
	}
	return []plays.Touchpoint{*p.Next}
}

func writePlaysCSV(w io.Writer, wk plays.Week) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"account_id", "segment", "renewal_type", "renewal_date", "days_to_renewal",
		"churn_probability", "health", "arr", "arr_at_risk", "due", "next"})
	for _, p := range wk.Plays {
		cw.Write([]string{p.AccountID, p.Segment, p.RenewalType, p.RenewalDate.String(), strconv.Itoa(p.DaysToRenewal),
			strconv.FormatFloat(p.Probability, 'f', 4, 64), p.Health,
			num(float64(p.ARR), 2), num(float64(p.ARRAtRisk), 2),
			touchpoints(p.Due), touchpoints(nextTouchpoint(p))})
	}
	cw.Flush()
	return cw.Error()
}

// writePlaysTable prints the plays under a line saying how many of the
// window's accounts have a touchpoint due (window counts them all, even
// when wk keeps only those due).
func writePlaysTable(w io.Writer, wk plays.Week, window int) error {
	due := 0
	for _, p := range wk.Plays {
		if len(p.Due) > 0 {
			due++
		}
	}
	fmt.Fprintf(w, "Renewal plays, week of %s: %d accounts in their renewal window, %d with a touchpoint due\n\n",
		wk.Week, window, due)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSEGMENT\tTYPE\tRENEWAL\tDAYS\tCHURN\tHEALTH\tARR AT RISK\tDUE THIS WEEK\tNEXT")
	for _, p := range wk.Plays {
		d := touchpoints(p.Due)
		if d == "" {
			d = "-"
		}
		n := touchpoints(nextTouchpoint(p))
		if n == "" {
			n = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.1f%%\t%s\t%s\t%s\t%s\n", p.AccountID, p.Segment, p.RenewalType, p.RenewalDate,
			p.DaysToRenewal, 100*p.Probability, p.Health, money(float64(p.ARRAtRisk)), d, n)
	}
	return tw.Flush()
}
