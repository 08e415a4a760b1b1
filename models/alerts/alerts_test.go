package alerts

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
)

func mustDate(t testing.TB, s string) features.Date {
	t.Helper()
	d, err := features.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// colour is the health of p by the cut-offs the generated book uses.
func colour(p float64) string {
	switch {
	case p >= 0.5:
		return "red"
	case p >= 0.3:
		return "yellow"
	}
	return "green"
}

// TestLatest records two weeks of generated scores in a store: two
// hundred accounts that move by less than the jump threshold and keep
// their colour, and a few written to turn red, jump, enter their renewal
// window while red, or stay put in ways that must not alert. The alerts
// of the latest week are exactly the ones written in; storing them
// twice adds nothing the second time.
func TestLatest(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w1, w2 := mustDate(t, "2025-03-03"), mustDate(t, "2025-03-10")
	rng := rand.New(rand.NewPCG(1, 2))
	var prev, cur []lifecycle.ScoreRecord
	renewals := make(map[string]features.Date)
	add := func(id string, p1, p2 float64, renewal features.Date) {
		if p1 >= 0 {
			prev = append(prev, lifecycle.ScoreRecord{AccountID: id, Week: w1, ModelVersion: "m1", Probability: p1, Health: colour(p1)})
		}
		cur = append(cur, lifecycle.ScoreRecord{AccountID: id, Week: w2, ModelVersion: "m1", Probability: p2, Health: colour(p2)})
		if renewal != features.NoDate {
			renewals[id] = renewal
		}
	}
	for i := range 200 {
		// Steady: within its colour band both weeks, moving less than
		// 10 points, renewing far away or inside the window but green.
		lo, hi := []float64{0, 0.3, 0.5}[i%3], []float64{0.3, 0.5, 1}[i%3]
		p1 := lo + rng.Float64()*(hi-lo)
		p2 := min(max(p1+(rng.Float64()-0.5)*0.1, lo), hi-1e-6)
		renewal := w2.AddDays(200 + i)
		if i%3 == 0 {
			renewal = w2.AddDays(30) // green inside the window: no alert
		}
		add(fmt.Sprintf("steady-%03d", i), p1, p2, renewal)
	}
	add("turns-red-and-jumps", 0.35, 0.55, features.NoDate)
	add("turns-red", 0.45, 0.50, features.NoDate)
	add("jumps-green-to-yellow", 0.05, 0.25, features.NoDate)
	add("exactly-15-points", 0.05, 0.20, features.NoDate)
	add("enters-renewal-window-red", 0.7, 0.72, w2.AddDays(115)) // 122 days out last week
	add("red-renewal-already-in-window", 0.7, 0.72, w2.AddDays(60))
	add("turns-red-near-renewal", 0.25, 0.6, w2.AddDays(30))
	add("renewal-passed", 0.7, 0.72, w2.AddDays(-3))
	add("new-and-red", -1, 0.9, w2.AddDays(10))
	// A challenger's shadow score of a green account is never shown.
	cur = append(cur, lifecycle.ScoreRecord{AccountID: "steady-000", Week: w2, ModelVersion: "m2", Probability: 0.99, Health: "red", Shadow: true})
	for _, b := range [][]lifecycle.ScoreRecord{prev, cur} {
		if _, err := s.RecordScores(ctx, b); err != nil {
			t.Fatal(err)
		}
	}

	week, got, err := Latest(ctx, s, renewals, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if week != w2 {
		t.Fatalf("Latest's week = %s, want %s", week, w2)
	}
	var keys []string
	for _, a := range got {
		keys = append(keys, a.AccountID+" "+string(a.Cause))
	}
	want := []string{
		"enters-renewal-window-red renewal_red",
		"jumps-green-to-yellow jumped",
		"turns-red turned_red",
		"turns-red-and-jumps jumped",
		"turns-red-and-jumps turned_red",
		"turns-red-near-renewal jumped",
		"turns-red-near-renewal renewal_red",
		"turns-red-near-renewal turned_red",
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("alerts =\n%q\nwant\n%q", keys, want)
	}
	r := got[len(got)-2] // turns-red-near-renewal renewal_red
	if r.Week != w2 || r.Probability != 0.6 || r.Previous != 0.25 || r.Health != "red" || r.PreviousHealth != "green" ||
		r.DaysToRenewal() != 30 || r.ModelVersion != "m1" {
		t.Errorf("renewal alert = %+v", r)
	}
	if msg := Message(&r); msg != "turns-red-near-renewal is red 30 days before its renewal on 2025-04-09: churn risk 60% in week 2025-03-10" {
		t.Errorf("message = %q", msg)
	}

	added, err := s.AddAlerts(ctx, got)
	if err != nil || len(added) != len(want) {
		t.Fatalf("first AddAlerts = %d, %v; want %d", len(added), err, len(want))
	}
	_, again, err := Latest(ctx, s, renewals, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if added, err := s.AddAlerts(ctx, again); err != nil || len(added) != 0 {
		t.Fatalf("the same run again adds %d alerts, %v; want none", len(added), err)
	}

	// Thresholds are options: at 40 points nothing has jumped, and a
	// 20-day window holds no red account that was outside it.
	_, got, err = Latest(ctx, s, renewals, Options{Jump: 40, RenewalDays: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got {
		if a.Cause != lifecycle.TurnedRed {
			t.Errorf("with --jump 40 --renewal-days 20: unexpected %s %s", a.AccountID, a.Cause)
		}
	}
	if len(got) != 3 {
		t.Errorf("with --jump 40 --renewal-days 20: %d alerts, want the 3 turned red", len(got))
	}
}

// TestLatestNeedsTwoWeeks: with one recorded week there is nothing to
// compare, so nothing alerts.
func TestLatestNeedsTwoWeeks(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := mustDate(t, "2025-03-03")
	if _, err := s.RecordScores(ctx, []lifecycle.ScoreRecord{{AccountID: "a", Week: w, ModelVersion: "m", Probability: 0.9, Health: "red"}}); err != nil {
		t.Fatal(err)
	}
	week, got, err := Latest(ctx, s, nil, Options{})
	if err != nil || week != features.NoDate || len(got) != 0 {
		t.Errorf("Latest with one week = %s, %v, %v; want nothing", week, got, err)
	}
}

// TestDeriveWindows: an account's own renewal window (its segment's lead
// time) replaces RenewalDays for renewal_red, either way.
func TestDeriveWindows(t *testing.T) {
	w1, w2 := mustDate(t, "2025-03-03"), mustDate(t, "2025-03-10")
	for _, c := range []struct {
		name    string
		days    int // to the renewal from w2
		windows map[string]int
		want    bool
	}{
		{"150 days, default window", 150, nil, false},
		{"150 days, 180-day segment", 150, map[string]int{"a": 180}, true},
		{"100 days, default window", 100, nil, true},
		{"100 days, 60-day segment", 100, map[string]int{"a": 60}, false},
		{"100 days, another account's window", 100, map[string]int{"b": 60}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			prev := map[string]lifecycle.ScoreRecord{"a": {AccountID: "a", Week: w1, Probability: 0.2, Health: "green"}}
			cur := map[string]lifecycle.ScoreRecord{"a": {AccountID: "a", Week: w2, Probability: 0.6, Health: "red"}}
			renewals := map[string]features.Date{"a": w2.AddDays(c.days)}
			got := slices.ContainsFunc(Derive(prev, cur, renewals, Options{Windows: c.windows}), func(a lifecycle.Alert) bool {
				return a.Cause == lifecycle.RenewalRed
			})
			if got != c.want {
				t.Errorf("renewal_red %v, want %v", got, c.want)
			}
		})
	}
}
