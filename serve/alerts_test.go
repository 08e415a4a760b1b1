package serve

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// fakeAlerter records what each Notify was given and how many weeks the
// store held when it was called.
type fakeAlerter struct {
	weeks func(ctx context.Context) ([]features.Date, error)
	mu    sync.Mutex
	calls []alerterCall
}

type alerterCall struct {
	renewals map[string]features.Date
	windows  map[string]int
	weeks    int
}

func (f *fakeAlerter) Notify(ctx context.Context, renewals map[string]features.Date, windows map[string]int) (int, error) {
	w, err := f.weeks(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, alerterCall{renewals, windows, len(w)})
	return 0, err
}

func (f *fakeAlerter) Calls() []alerterCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]alerterCall(nil), f.calls...)
}

// TestAlertsAfterRecording: a server with alerts tells them after each
// recording, once the week is stored, with the renewal dates of the
// book's accounts; and refuses alerts without a score history.
func TestAlertsAfterRecording(t *testing.T) {
	store := openScores(t)
	al := &fakeAlerter{weeks: store.ScoredWeeks}
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores, c.Alerts = store, al })
	waitFor(t, "alerts after the first recording", func() bool { return len(al.Calls()) == 1 })
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alerts after the reload's recording", func() bool { return len(al.Calls()) == 2 })
	book := e.srv.state.Load().book
	want := 0
	for _, a := range book.Accounts {
		if a.RenewalDate != features.NoDate {
			want++
		}
	}
	if want == 0 {
		t.Fatal("the fixture has no renewal dates to pass on")
	}
	for i, c := range al.Calls() {
		if c.weeks == 0 {
			t.Errorf("call %d: Notify before the week was recorded", i)
		}
		if len(c.renewals) != want {
			t.Errorf("call %d: %d renewal dates, want %d", i, len(c.renewals), want)
		}
		for _, a := range book.Accounts {
			if a.RenewalDate != features.NoDate && c.renewals[a.AccountID] != a.RenewalDate {
				t.Fatalf("call %d: renewal of %s = %v, want %v", i, a.AccountID, c.renewals[a.AccountID], a.RenewalDate)
			}
		}
	}

	cfg := Config{ModelDir: e.modelDir, Snapshots: e.snaps.source(), Alerts: al}
	if _, err := New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "alerts without a score history") {
		t.Errorf("New with alerts and no score history = %v", err)
	}
}
