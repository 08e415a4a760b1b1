// Package alerts tells a customer-success team when an account needs a
// look: when it turns red, when its churn probability jumps week over
// week, or when it is red inside its renewal window. Alerts are derived
// from two consecutive recorded weeks of the score history (package
// lifecycle), kept once per account, cause and week by the store, and
// delivered to a webhook by a Sender that retries with backoff in the
// background, so that scoring never waits on a receiver.
package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
)

// Defaults of Options.
const (
	// DefaultJump is the rise in churn probability, in percentage
	// points, above which an account has jumped.
	DefaultJump = 15
	// DefaultRenewalDays is the renewal window: the 120 days before a
	// renewal, when the renewal sequence's first touchpoint is due.
	DefaultRenewalDays = 120
)

// Options are the thresholds of Derive.
type Options struct {
	// Jump is in percentage points: a probability up from 0.20 to 0.40
	// is 20 points. Zero means DefaultJump.
	Jump float64
	// RenewalDays is the renewal window in days. Zero means
	// DefaultRenewalDays.
	RenewalDays int
	// Windows, by account, replace RenewalDays for the accounts they
	// name: each account's renewal segment's lead time, under a segment
	// file, so an account is red "within its renewal window" when its
	// renewal plays have started.
	Windows map[string]int
}

func (o Options) withDefaults() Options {
	if o.Jump == 0 {
		o.Jump = DefaultJump
	}
	if o.RenewalDays == 0 {
		o.RenewalDays = DefaultRenewalDays
	}
	return o
}

// Shown returns, of one week's recorded scores, the one shown per
// account: shadow scores are left out and, of an account scored by
// several versions (a reload changed the model), the one recorded last
// is kept, as the store's history does.
func Shown(recs []lifecycle.ScoreRecord) map[string]lifecycle.ScoreRecord {
	out := make(map[string]lifecycle.ScoreRecord, len(recs))
	for _, r := range recs {
		if r.Shadow {
			continue
		}
		if o, ok := out[r.AccountID]; ok && (r.RecordedAt.Before(o.RecordedAt) ||
			r.RecordedAt.Equal(o.RecordedAt) && r.ModelVersion <= o.ModelVersion) {
			continue
		}
		out[r.AccountID] = r
	}
	return out
}

// Derive returns the alerts that the scores shown in week cur raise
// against those of the week before, prev (both as Shown returns them),
// by account then cause. renewals gives accounts' renewal dates; an
// account absent from it has none known, and cannot raise RenewalRed.
//
// Each cause is an entry into a state, so an account that stays red is
// not alerted again each week, only after it has left the state and
// entered it anew. An account not scored the week before raises nothing:
// there is nothing to compare it with, and a first run must not alert on
// every red account at once.
func Derive(prev, cur map[string]lifecycle.ScoreRecord, renewals map[string]features.Date, o Options) []lifecycle.Alert {
	o = o.withDefaults()
	inWindow := func(id string, week features.Date) bool {
		d, ok := renewals[id]
		days, own := o.Windows[id]
		if !own {
			days = o.RenewalDays
		}
		return ok && d != features.NoDate && d >= week && int(d-week) <= days
	}
	var out []lifecycle.Alert
	for id, c := range cur {
		p, ok := prev[id]
		if !ok || p.Week >= c.Week {
			continue
		}
		renewal, ok := renewals[id]
		if !ok {
			renewal = features.NoDate
		}
		alert := func(cause lifecycle.Cause) {
			out = append(out, lifecycle.Alert{
				AccountID: id, Cause: cause, Week: c.Week, ModelVersion: c.ModelVersion,
				Probability: c.Probability, Previous: p.Probability, Health: c.Health, PreviousHealth: p.Health,
				RenewalDate: renewal,
			})
		}
		if c.Health == red && p.Health != red {
			alert(lifecycle.TurnedRed)
		}
		// A rise of exactly Jump points, which float arithmetic may put a
		// hair above, is not a jump.
		if 100*(c.Probability-p.Probability) > o.Jump+1e-9 {
			alert(lifecycle.Jumped)
		}
		if c.Health == red && inWindow(id, c.Week) && !(p.Health == red && inWindow(id, p.Week)) {
			alert(lifecycle.RenewalRed)
		}
	}
	slices.SortFunc(out, func(a, b lifecycle.Alert) int {
		if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
			return c
		}
		return strings.Compare(string(a.Cause), string(b.Cause))
	})
	return out
}

// red is the health colour that alerts.
const red = "red"

// Message is a one-line summary of a, in words a CS team reads.
func Message(a *lifecycle.Alert) string {
	pts := 100 * (a.Probability - a.Previous)
	switch a.Cause {
	case lifecycle.TurnedRed:
		return fmt.Sprintf("%s turned red in week %s: churn risk %.0f%% (was %.0f%%, %s)",
			a.AccountID, a.Week, 100*a.Probability, 100*a.Previous, a.PreviousHealth)
	case lifecycle.Jumped:
		return fmt.Sprintf("%s jumped %+.0f points in week %s: churn risk %.0f%% (was %.0f%%), now %s",
			a.AccountID, pts, a.Week, 100*a.Probability, 100*a.Previous, a.Health)
	case lifecycle.RenewalRed:
		return fmt.Sprintf("%s is red %d days before its renewal on %s: churn risk %.0f%% in week %s",
			a.AccountID, a.DaysToRenewal(), a.RenewalDate, 100*a.Probability, a.Week)
	}
	return fmt.Sprintf("%s: %s in week %s", a.AccountID, a.Cause, a.Week)
}

// History is what Latest reads of the lifecycle store; *sqlstore.Store
// is one.
type History interface {
	ScoredWeeks(ctx context.Context) ([]features.Date, error)
	Scores(ctx context.Context, week features.Date) ([]lifecycle.ScoreRecord, error)
}

// Latest derives the alerts of the latest recorded week against the
// recorded week before it, and returns that week. With fewer than two
// recorded weeks there is nothing to compare: no alerts, and week is
// NoDate.
func Latest(ctx context.Context, h History, renewals map[string]features.Date, o Options) (features.Date, []lifecycle.Alert, error) {
	weeks, err := h.ScoredWeeks(ctx)
	if err != nil {
		return features.NoDate, nil, err
	}
	if len(weeks) < 2 {
		return features.NoDate, nil, nil
	}
	prevWeek, week := weeks[len(weeks)-2], weeks[len(weeks)-1]
	prev, err := h.Scores(ctx, prevWeek)
	if err != nil {
		return features.NoDate, nil, err
	}
	cur, err := h.Scores(ctx, week)
	if err != nil {
		return features.NoDate, nil, err
	}
	return week, Derive(Shown(prev), Shown(cur), renewals, o), nil
}

// Store is what a Notifier needs of the lifecycle store;
// *sqlstore.Store is one.
type Store interface {
	History
	AddAlerts(ctx context.Context, alerts []lifecycle.Alert) ([]lifecycle.Alert, error)
	UndeliveredAlerts(ctx context.Context) ([]lifecycle.Alert, error)
}

// Due returns the undelivered alerts a sender should send when week is
// the latest recorded one: those of week, and those of earlier weeks that
// a sender already tried (failed, or cut short). An alert raised while
// no webhook was set and never tried stays in the store, where GET
// /v1/alerts lists it, but is not sent late: the first run with a webhook
// would otherwise post every week's backlog to a Slack channel at once.
func Due(undelivered []lifecycle.Alert, week features.Date) []lifecycle.Alert {
	var due []lifecycle.Alert
	for _, a := range undelivered {
		if a.Week >= week || a.Attempts > 0 {
			due = append(due, a)
		}
	}
	return due
}

// Notifier raises the alerts of the latest recorded week and hands them
// to a Sender: what a server does after each weekly recording.
type Notifier struct {
	Store Store
	// Sender, when nil, delivers nothing: the alerts are raised into the
	// store, pending, where GET /v1/alerts lists them and a later run
	// with a webhook (churn alerts, churn serve --webhook) sends them.
	Sender  *Sender
	Options Options
}

// Notify derives the latest week's alerts with renewals' dates, and
// windows' renewal windows by account (see Options.Windows; nil for
// n.Options's), stores the new ones and queues every undelivered alert
// (those of earlier runs too) on the sender, if any, and returns how
// many were new. Undelivered alerts of earlier weeks that no sender ever
// tried are not sent (see Due). It waits on the store, never on the
// webhook.
func (n *Notifier) Notify(ctx context.Context, renewals map[string]features.Date, windows map[string]int) (int, error) {
	o := n.Options
	if windows != nil {
		o.Windows = windows
	}
	week, raised, err := Latest(ctx, n.Store, renewals, o)
	if err != nil {
		return 0, err
	}
	added, err := n.Store.AddAlerts(ctx, raised)
	if err != nil {
		return 0, err
	}
	if n.Sender == nil {
		return len(added), nil
	}
	undelivered, err := n.Store.UndeliveredAlerts(ctx)
	if err != nil {
		return len(added), err
	}
	for _, a := range Due(undelivered, week) {
		n.Sender.Enqueue(a)
	}
	return len(added), nil
}
