package serve

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/alerts"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/ranking"
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

// alertsPage is GET /v1/alerts's answer as a client decodes it.
type alertsPage struct {
	Week   *string  `json:"week"`
	Weeks  []string `json:"weeks"`
	Alerts []struct {
		AccountID      string  `json:"account_id"`
		Cause          string  `json:"cause"`
		Week           string  `json:"week"`
		ModelVersion   string  `json:"model_version"`
		Probability    float64 `json:"probability"`
		Previous       float64 `json:"previous_probability"`
		Health         string  `json:"health"`
		PreviousHealth string  `json:"previous_health"`
		RenewalDate    *string `json:"renewal_date"`
		DaysToRenewal  *int    `json:"days_to_renewal"`
		Message        string  `json:"message"`
		Status         string  `json:"status"`
		Attempts       int     `json:"attempts"`
	} `json:"alerts"`
	Total      int  `json:"total"`
	NextOffset *int `json:"next_offset"`
}

func (e *env) alerts(t *testing.T, query string) alertsPage {
	t.Helper()
	w := e.do("GET", "/v1/alerts"+query, "")
	if w.Code != 200 {
		t.Fatalf("GET /v1/alerts%s: %d %s", query, w.Code, w.Body)
	}
	var p alertsPage
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAlertsRoute: a server whose store holds two recorded weeks, in
// the second of which one account turned red, serves exactly that alert
// from GET /v1/alerts, with the webhook's fields and its delivery
// status; a reload, which records the week and raises its alerts again,
// adds no second copy.
func TestAlertsRoute(t *testing.T) {
	store := openScores(t)
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores, c.Alerts = store, &alerts.Notifier{Store: store} })
	e.srv.history.wait()
	if p := e.alerts(t, ""); p.Week != nil || len(p.Alerts) != 0 || p.Total != 0 {
		t.Fatalf("alerts of one recorded week = %+v, want none", p)
	}
	book := e.srv.state.Load().book
	var red *ranking.Account
	for i, a := range book.Accounts {
		if a.Health == "red" && (a.RenewalDate == features.NoDate || int(a.RenewalDate-a.Week) > alerts.DefaultRenewalDays) {
			red = book.Accounts[i]
			break
		}
	}
	if red == nil {
		t.Fatal("the fixture has no red account outside its renewal window")
	}
	// The week before, the account was yellow at the same risk: it
	// turned red without jumping. No other account was scored then, so
	// none other can alert.
	prev := red.Week.AddDays(-7)
	if _, err := store.RecordScores(t.Context(), []lifecycle.ScoreRecord{{AccountID: red.AccountID, Week: prev,
		ModelVersion: book.Model.Version, Probability: red.Probability, Health: "yellow"}}); err != nil {
		t.Fatal(err)
	}
	for reload := range 2 {
		if err := e.srv.Reload(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.srv.history.wait()
		p := e.alerts(t, "")
		if p.Week == nil || *p.Week != red.Week.String() || !slices.Equal(p.Weeks, []string{red.Week.String()}) ||
			p.Total != 1 || len(p.Alerts) != 1 || p.NextOffset != nil {
			t.Fatalf("reload %d: GET /v1/alerts = %+v, want one alert in week %s", reload, p, red.Week)
		}
		a := p.Alerts[0]
		if a.AccountID != red.AccountID || a.Cause != "turned_red" || a.Week != red.Week.String() ||
			a.ModelVersion != book.Model.Version || a.Probability != red.Probability || a.Previous != red.Probability ||
			a.Health != "red" || a.PreviousHealth != "yellow" || a.Status != "pending" || a.Attempts != 0 ||
			!strings.HasPrefix(a.Message, red.AccountID+" turned red in week "+red.Week.String()) {
			t.Errorf("reload %d: alert = %+v, want %s turned red", reload, a, red.AccountID)
		}
		if (a.RenewalDate == nil) != (red.RenewalDate == features.NoDate) ||
			a.RenewalDate != nil && (*a.RenewalDate != red.RenewalDate.String() || *a.DaysToRenewal != int(red.RenewalDate-red.Week)) {
			t.Errorf("reload %d: renewal %v in %v days, want %v", reload, a.RenewalDate, a.DaysToRenewal, red.RenewalDate)
		}
	}
	for _, tt := range []struct {
		query         string
		alerts, total int
	}{
		{"?cause=turned_red", 1, 1},
		{"?cause=jumped", 0, 0},
		{"?week=" + red.Week.String() + "&limit=1", 1, 1},
		{"?week=" + prev.String(), 0, 0},
		{"?offset=1", 0, 1},
	} {
		if p := e.alerts(t, tt.query); len(p.Alerts) != tt.alerts || p.Total != tt.total {
			t.Errorf("GET /v1/alerts%s = %d alerts of %d, want %d of %d", tt.query, len(p.Alerts), p.Total, tt.alerts, tt.total)
		}
	}
}

// TestAlertsRouteErrors: without a score history the route is 404 with
// a reason; a bad parameter is 400 naming it; with a token it needs the
// token, as the other read routes do.
func TestAlertsRouteErrors(t *testing.T) {
	bare := newEnv(t, models.Logistic)
	if w := bare.do("GET", "/v1/alerts", ""); w.Code != 404 || !strings.Contains(w.Body.String(), "--db off") {
		t.Errorf("GET /v1/alerts without a score history = %d %s, want 404 naming --db", w.Code, w.Body)
	}
	store := openScores(t)
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores = store })
	for _, tt := range []struct{ query, want string }{
		{"?week=monday", "week=monday"},
		{"?cause=red", "cause=red"},
		{"?limit=0", "limit=0"},
		{"?limit=1001", "limit=1001"},
		{"?offset=-1", "offset=-1"},
		{"?page=2", `\"page\"`},
		{"?cause=jumped&cause=jumped", `\"cause\" is given 2 times`},
	} {
		w := e.do("GET", "/v1/alerts"+tt.query, "")
		if w.Code != 400 || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("GET /v1/alerts%s = %d %s, want 400 naming %s", tt.query, w.Code, w.Body, tt.want)
		}
	}
	guarded := newEnv(t, models.Logistic, func(c *Config) { c.Scores, c.Token = store, "s3cret" })
	if w := guarded.do("GET", "/v1/alerts", ""); w.Code != 401 {
		t.Errorf("GET /v1/alerts without the token = %d %s, want 401", w.Code, w.Body)
	}
	if w := guarded.do("GET", "/v1/alerts", "", "Authorization", "Bearer s3cret"); w.Code != 200 {
		t.Errorf("GET /v1/alerts with the token = %d %s, want 200", w.Code, w.Body)
	}
}
