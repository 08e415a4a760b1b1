package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
)

// TestAlerts stores alerts, stores them again, marks their delivery and
// reads them back on every backend: each alert is kept once, by
// account, cause and week, with every field, and a delivered one is no
// longer undelivered.
func TestAlerts(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s := openStore(t, addr)
		w := mustDate(t, "2025-03-10")
		red := lifecycle.Alert{AccountID: "a", Cause: lifecycle.TurnedRed, Week: w, ModelVersion: "m1",
			Probability: 0.62, Previous: 0.31, Health: "red", PreviousHealth: "yellow", RenewalDate: features.NoDate}
		jump := red
		jump.Cause = lifecycle.Jumped
		renewal := red
		renewal.AccountID, renewal.Cause, renewal.RenewalDate = "b", lifecycle.RenewalRed, w.AddDays(60)
		added, err := s.AddAlerts(ctx, []lifecycle.Alert{red, jump, renewal})
		if err != nil || len(added) != 3 {
			t.Fatalf("AddAlerts = %d added, %v; want 3", len(added), err)
		}
		nextWeek := red
		nextWeek.Week = w.AddDays(7)
		added, err = s.AddAlerts(ctx, []lifecycle.Alert{renewal, red, nextWeek})
		if err != nil || len(added) != 1 || added[0].Week != nextWeek.Week {
			t.Fatalf("AddAlerts again = %+v, %v; want only the next week's", added, err)
		}
		got, err := s.Alerts(ctx, w)
		if err != nil || len(got) != 3 {
			t.Fatalf("Alerts(%s) = %d, %v; want 3", w, len(got), err)
		}
		g := got[2] // b's, after a's two
		if g.AccountID != "b" || g.Cause != lifecycle.RenewalRed || g.RenewalDate != w.AddDays(60) ||
			g.DaysToRenewal() != 60 || g.Probability != 0.62 || g.Previous != 0.31 || g.Health != "red" ||
			g.PreviousHealth != "yellow" || g.ModelVersion != "m1" || g.Status != lifecycle.Pending ||
			time.Since(g.CreatedAt) > time.Minute {
			t.Fatalf("stored alert = %+v, want %+v pending", g, renewal)
		}
		if got[0].RenewalDate != features.NoDate || got[0].DaysToRenewal() != -1 {
			t.Errorf("alert without renewal reads back renewal %v", got[0].RenewalDate)
		}
		at := time.Date(2025, 3, 11, 9, 0, 0, 0, time.UTC)
		g.Status, g.Attempts, g.DeliveredAt = lifecycle.Delivered, 3, at
		if err := s.MarkAlert(ctx, g); err != nil {
			t.Fatal(err)
		}
		failed := got[0]
		failed.Status, failed.Attempts, failed.LastError = lifecycle.Failed, 5, "HTTP 503"
		if err := s.MarkAlert(ctx, failed); err != nil {
			t.Fatal(err)
		}
		und, err := s.UndeliveredAlerts(ctx)
		if err != nil || len(und) != 3 {
			t.Fatalf("UndeliveredAlerts = %d, %v; want 3 (a's two and next week's)", len(und), err)
		}
		if und[0].Status != lifecycle.Failed || und[0].Attempts != 5 || und[0].LastError != "HTTP 503" {
			t.Errorf("failed alert reads back %+v", und[0])
		}
		got, _ = s.Alerts(ctx, w)
		if got[2].Status != lifecycle.Delivered || got[2].Attempts != 3 || !got[2].DeliveredAt.Equal(at) {
			t.Errorf("delivered alert reads back %+v", got[2])
		}
		missing := red
		missing.AccountID, missing.Status = "nobody", lifecycle.Delivered
		if err := s.MarkAlert(ctx, missing); !errors.Is(err, lifecycle.ErrNotFound) {
			t.Errorf("MarkAlert of an unknown alert = %v, want ErrNotFound", err)
		}
	})
}

// TestAlertWeeks lists the weeks that hold alerts, oldest first, once
// each, on every backend: what GET /v1/alerts defaults to the last of.
func TestAlertWeeks(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s := openStore(t, addr)
		if weeks, err := s.AlertWeeks(ctx); err != nil || len(weeks) != 0 {
			t.Fatalf("AlertWeeks of an empty store = %v, %v; want none", weeks, err)
		}
		w1, w2 := mustDate(t, "2025-03-10"), mustDate(t, "2025-03-24")
		mk := func(id string, c lifecycle.Cause, w features.Date) lifecycle.Alert {
			return lifecycle.Alert{AccountID: id, Cause: c, Week: w, Health: "red", RenewalDate: features.NoDate}
		}
		if _, err := s.AddAlerts(ctx, []lifecycle.Alert{
			mk("b", lifecycle.TurnedRed, w2), mk("a", lifecycle.TurnedRed, w1),
			mk("a", lifecycle.Jumped, w1), mk("c", lifecycle.Jumped, w2),
		}); err != nil {
			t.Fatal(err)
		}
		weeks, err := s.AlertWeeks(ctx)
		if err != nil || len(weeks) != 2 || weeks[0] != w1 || weeks[1] != w2 {
			t.Fatalf("AlertWeeks = %v, %v; want [%s %s]", weeks, err, w1, w2)
		}
	})
}
