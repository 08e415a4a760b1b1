package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/alerts"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/models/plays"
	"github.com/churnlabs/churn/models/registry"
	"github.com/churnlabs/churn/models/webhook"
)

func runAlerts(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "alerts", "(--db URL|FILE | --model DIR) (--webhook URL | --dry-run) [flags]",
		`Raises alerts from the recorded scores (churn score --record, churn serve):
comparing the latest recorded week with the one before, an account alerts when
it turned red (turned_red), when its churn probability rose by more than
--jump points (jumped), or when it is red within --renewal-days of its renewal
and was not last week (renewal_red; renewal dates come from --snapshots).
With --segments FILE (see churn plays) an account's renewal window is its
segment's lead time instead. The colours are those recorded: scores recorded
with --segments (churn score --record --segments, churn serve --segments)
are coloured by their segment's cut-offs.

Each alert is kept once in the store, by account, cause and week, so running
again sends nothing new; an account alerts again for a cause only after it has
left that state. Alerts are POSTed to --webhook one by one (JSON, or a
Slack-compatible body with --webhook-format slack), retried with exponential
backoff; those not delivered stay in the store and are sent by the next run,
which then exits with status 1. --dry-run lists what would be sent and
stores nothing.`)
	db := dbFlag(fs, "the score history")
	modelDir := fs.String("model", "", "model directory: the default store beside it")
	snapshots := fs.String("snapshots", "", "snapshot file (.parquet or .csv) giving renewal dates (without it, no renewal_red)")
	normalize := weeksFlag(fs)
	hookURL := fs.String("webhook", "", "URL to POST each alert to")
	format := fs.String("webhook-format", string(alerts.JSON), "webhook body: json or slack")
	dryRun := fs.Bool("dry-run", false, "list the alerts that would be sent; store and send nothing")
	jump := fs.Float64("jump", alerts.DefaultJump, "rise in churn probability, in points, that alerts")
	renewalDays := fs.Int("renewal-days", alerts.DefaultRenewalDays, "renewal window in days")
	segFile := fs.String("segments", "", "with --snapshots: YAML segment file (see churn plays) whose lead_days are each account's renewal window")
	attempts := fs.Int("max-attempts", alerts.DefaultMaxAttempts, "attempts per alert before it is left for the next run")
	backoff := fs.Duration("backoff", alerts.DefaultBackoff, "wait after the first failed attempt, doubled after each further one")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *db == "" && *modelDir == "" {
		return usageError(fs, "name the score history: --db or --model")
	}
	if *hookURL == "" && !*dryRun {
		return usageError(fs, "give --webhook URL to send the alerts, or --dry-run to list them")
	}
	f, err := alerts.ParseFormat(*format)
	if err != nil {
		return usageError(fs, "--webhook-format: %v", err)
	}
	switch {
	case !(*jump > 0 && *jump < 100):
		return usageError(fs, "--jump %g: want points between 0 and 100", *jump)
	case *renewalDays < 1:
		return usageError(fs, "--renewal-days %d: want at least 1", *renewalDays)
	case *attempts < 1:
		return usageError(fs, "--max-attempts %d: want at least 1", *attempts)
	case *backoff <= 0:
		return usageError(fs, "--backoff %v: want a positive duration", *backoff)
	}
	var segs *plays.Segments
	if *segFile != "" {
		if *snapshots == "" {
			return usageError(fs, "--segments matches accounts on their snapshots: give --snapshots")
		}
		if isSet(fs, "renewal-days") {
			return usageError(fs, "--renewal-days and --segments: each segment's lead_days is its accounts' renewal window")
		}
		if segs, err = plays.Read(*segFile); err != nil {
			return err
		}
	}
	cfg := alerts.Config{URL: *hookURL, Format: f, MaxAttempts: *attempts, Backoff: *backoff}
	if *hookURL != "" {
		if err := webhook.CheckURL(*hookURL); err != nil {
			return usageError(fs, "--webhook: %v", err)
		}
	}
	addr := *db
	if addr == "" {
		addr = registry.DefaultDB(*modelDir)
	}
	store, err := sqlstore.Open(ctx, addr)
	if err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	defer store.Close()
	var renewals map[string]features.Date
	var windows map[string]int
	if *snapshots != "" {
		tab, err := buildTable(ctx, e, *snapshots, *normalize, nil)
		if err != nil {
			return err
		}
		renewals = make(map[string]features.Date, len(tab.Accounts))
		for _, a := range tab.Accounts {
			if a.RenewalDate != features.NoDate {
				renewals[a.ID] = a.RenewalDate
			}
		}
		if segs != nil {
			if windows, err = segs.TableWindows(tab); err != nil {
				return fmt.Errorf("%s: %w", *segFile, err)
			}
		}
	}
	week, raised, err := alerts.Latest(ctx, store, renewals, alerts.Options{Jump: *jump, RenewalDays: *renewalDays, Windows: windows})
	if err != nil {
		return err
	}
	if week == features.NoDate {
		fmt.Fprintf(e.stderr, "churn alerts: %s holds fewer than two recorded weeks: nothing to compare yet\n", store)
	}
	if *dryRun {
		return listAlerts(ctx, e.stdout, store, week, raised)
	}
	added, err := store.AddAlerts(ctx, raised)
	if err != nil {
		return err
	}
	undelivered, err := store.UndeliveredAlerts(ctx)
	if err != nil {
		return err
	}
	undelivered = alerts.Due(undelivered, week)
	cfg.Log = slog.New(slog.NewTextHandler(e.stderr, nil))
	cfg.Queue = len(undelivered) // a run sends all it has; it is the only producer
	snd, err := alerts.NewSender(cfg, store)
	if err != nil {
		return err
	}
	for _, a := range undelivered {
		snd.Enqueue(a)
	}
	if err := snd.Close(ctx); err != nil {
		return err
	}
	delivered, failed := snd.Counts()
	left := len(undelivered) - delivered
	fmt.Fprintf(e.stdout, "week %s: %d new alerts; %d delivered to the webhook, %d not delivered (kept for the next run)\n",
		weekText(week), len(added), delivered, left)
	if left > 0 {
		return fmt.Errorf("%d alerts not delivered (%d gave up after %d attempts); run again to resend them", left, failed, *attempts)
	}
	return nil
}

// listAlerts prints the alerts of week that a run would send: those of
// raised the store does not hold yet, and the ones it holds undelivered.
func listAlerts(ctx context.Context, w io.Writer, store *sqlstore.Store, week features.Date, raised []lifecycle.Alert) error {
	stored, err := store.Alerts(ctx, week)
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(stored))
	for _, a := range stored {
		have[a.AccountID+"\x00"+string(a.Cause)] = true
	}
	var send []lifecycle.Alert
	for _, a := range raised {
		if !have[a.AccountID+"\x00"+string(a.Cause)] {
			send = append(send, a)
		}
	}
	undelivered, err := store.UndeliveredAlerts(ctx)
	if err != nil {
		return err
	}
	undelivered = alerts.Due(undelivered, week)
	fmt.Fprintf(w, "week %s: would send %d new alerts and resend %d undelivered\n", weekText(week), len(send), len(undelivered))
	if len(send)+len(undelivered) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WEEK\tACCOUNT\tCAUSE\tCHURN\tWAS\tHEALTH\tRENEWAL\tSTATUS")
	for _, a := range append(send, undelivered...) {
		status := "new"
		if a.Status != "" {
			status = fmt.Sprintf("%s after %d attempts", a.Status, a.Attempts)
		}
		renewal := "-"
		if a.RenewalDate != features.NoDate {
			renewal = a.RenewalDate.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f%%\t%.1f%%\t%s\t%s\t%s\n", a.Week, a.AccountID, a.Cause,
			100*a.Probability, 100*a.Previous, a.Health, renewal, status)
	}
	return tw.Flush()
}

func weekText(w features.Date) string {
	if w == features.NoDate {
		return "-"
	}
	return w.String()
}
