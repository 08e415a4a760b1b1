package alerts

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
)

// fakeClock records the waits a sender asks for instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// receiver is a webhook that fails its first fail requests with 503 and
// keeps the bodies it accepts.
type receiver struct {
	fail     atomic.Int32
	requests atomic.Int32
	mu       sync.Mutex
	bodies   [][]byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	n := int(r.requests.Add(1))
	b, _ := io.ReadAll(req.Body)
	if f := int(r.fail.Load()); f < 0 || n <= f {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
}

// storedAlert adds one alert to a new store and returns both.
func storedAlert(t *testing.T) (*sqlstore.Store, lifecycle.Alert) {
	t.Helper()
	s := openStore(t)
	a := lifecycle.Alert{AccountID: "acme", Cause: lifecycle.RenewalRed, Week: mustDate(t, "2025-03-10"), ModelVersion: "m1",
		Probability: 0.62, Previous: 0.41, Health: "red", PreviousHealth: "yellow", RenewalDate: mustDate(t, "2025-05-09")}
	added, err := s.AddAlerts(context.Background(), []lifecycle.Alert{a})
	if err != nil || len(added) != 1 {
		t.Fatalf("AddAlerts = %v, %v", added, err)
	}
	return s, added[0]
}

// TestSenderRetries delivers one alert to receivers that fail their first
// attempts, or every attempt, with a fake clock: the waits between
// attempts double from Backoff up to MaxBackoff, the outcome is recorded
// in the store, and an alert given up on is delivered by a later sender
// (a restart) once the receiver is back.
func TestSenderRetries(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name         string
		fail         int // -1: every request
		wantStatus   lifecycle.AlertStatus
		wantAttempts int
		wantSleeps   []time.Duration
	}{
		{"accepts at once", 0, lifecycle.Delivered, 1, nil},
		{"fails twice then accepts", 2, lifecycle.Delivered, 3, []time.Duration{time.Second, 2 * time.Second}},
		{"always fails", -1, lifecycle.Failed, 5, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, a := storedAlert(t)
			rcv := &receiver{}
			rcv.fail.Store(int32(tt.fail))
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			clock := &fakeClock{}
			delivered := time.Date(2025, 3, 11, 8, 0, 0, 0, time.UTC)
			snd, err := NewSender(Config{URL: srv.URL, Format: JSON, MaxAttempts: 5, Backoff: time.Second, MaxBackoff: 5 * time.Second,
				Sleep: clock.Sleep, Jitter: func(d time.Duration) time.Duration { return d }, Now: func() time.Time { return delivered }}, s)
			if err != nil {
				t.Fatal(err)
			}
			if !snd.Enqueue(a) {
				t.Fatal("Enqueue refused the alert")
			}
			if err := snd.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if got := clock.Sleeps(); !slices.Equal(got, tt.wantSleeps) {
				t.Errorf("waits = %v, want %v", got, tt.wantSleeps)
			}
			if got := int(rcv.requests.Load()); got != tt.wantAttempts {
				t.Errorf("receiver saw %d requests, want %d", got, tt.wantAttempts)
			}
			stored, err := s.Alerts(ctx, a.Week)
			if err != nil || len(stored) != 1 {
				t.Fatalf("stored alerts = %v, %v", stored, err)
			}
			g := stored[0]
			if g.Status != tt.wantStatus || g.Attempts != tt.wantAttempts {
				t.Fatalf("stored alert: status %s after %d attempts, want %s after %d", g.Status, g.Attempts, tt.wantStatus, tt.wantAttempts)
			}
			if tt.wantStatus == lifecycle.Failed {
				if !strings.Contains(g.LastError, "HTTP 503") || !g.DeliveredAt.IsZero() {
					t.Errorf("failed alert: last error %q, delivered at %v", g.LastError, g.DeliveredAt)
				}
				if d, f := snd.Counts(); d != 0 || f != 1 {
					t.Errorf("Counts = %d delivered, %d failed; want 0, 1", d, f)
				}
				// A restart sends what is undelivered, once the receiver works.
				rcv.fail.Store(0)
				und, err := s.UndeliveredAlerts(ctx)
				if err != nil || len(und) != 1 {
					t.Fatalf("UndeliveredAlerts = %v, %v", und, err)
				}
				again, _ := NewSender(Config{URL: srv.URL, Format: JSON, Sleep: clock.Sleep}, s)
				again.Enqueue(und[0])
				again.Close(ctx)
				if und, err := s.UndeliveredAlerts(ctx); err != nil || len(und) != 0 {
					t.Fatalf("after the restart, UndeliveredAlerts = %v, %v", und, err)
				}
				return
			}
			if g.LastError != "" || !g.DeliveredAt.Equal(delivered) {
				t.Errorf("delivered alert: last error %q, delivered at %v", g.LastError, g.DeliveredAt)
			}
			var body map[string]any
			if err := json.Unmarshal(rcv.bodies[0], &body); err != nil {
				t.Fatal(err)
			}
			if body["account_id"] != "acme" || body["cause"] != "renewal_red" || body["week"] != "2025-03-10" ||
				body["probability"] != 0.62 || body["previous_probability"] != 0.41 || body["renewal_date"] != "2025-05-09" ||
				body["days_to_renewal"] != 60.0 || body["health"] != "red" {
				t.Errorf("JSON body = %s", rcv.bodies[0])
			}
		})
	}
}

// TestSenderNeverBlocks: with a receiver that hangs, Enqueue returns at
// once, refusing what the bounded queue cannot hold, and Close gives up
// when its context ends, leaving the alerts pending in the store.
func TestSenderNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s := openStore(t)
	w := mustDate(t, "2025-03-10")
	var as []lifecycle.Alert
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		as = append(as, lifecycle.Alert{AccountID: id, Cause: lifecycle.TurnedRed, Week: w, Health: "red", RenewalDate: features.NoDate})
	}
	if _, err := s.AddAlerts(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	snd, err := NewSender(Config{URL: srv.URL, Format: Slack, Queue: 2}, s)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	taken := 0
	for _, a := range as {
		if snd.Enqueue(a) {
			taken++
		}
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Enqueue of %d alerts took %v against a hanging receiver", len(as), d)
	}
	if taken < 2 || taken > 3 { // the queue's 2, and maybe one the worker took
		t.Errorf("Enqueue took %d alerts with a queue of 2", taken)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := snd.Close(ctx); err == nil {
		t.Error("Close returned nil while the receiver hung")
	}
	und, err := s.UndeliveredAlerts(context.Background())
	if err != nil || len(und) != len(as) {
		t.Fatalf("UndeliveredAlerts = %d, %v; want all %d", len(und), err, len(as))
	}
	for _, a := range und {
		if a.Status != lifecycle.Pending {
			t.Errorf("alert %s: status %s, want pending", a.AccountID, a.Status)
		}
	}
	if snd.Enqueue(as[0]) {
		t.Error("Enqueue after Close took the alert")
	}
}

// TestBody checks the Slack body has the text and blocks Slack needs,
// and the sender's checks of its configuration.
func TestBody(t *testing.T) {
	a := lifecycle.Alert{AccountID: "acme", Cause: lifecycle.Jumped, Week: mustDate(t, "2025-03-10"),
		Probability: 0.42, Previous: 0.2, Health: "yellow", RenewalDate: features.NoDate}
	b, err := Body(&a, Slack)
	if err != nil {
		t.Fatal(err)
	}
	var slack struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct{ Type, Text string }
		} `json:"blocks"`
	}
	if err := json.Unmarshal(b, &slack); err != nil {
		t.Fatal(err)
	}
	want := "acme jumped +22 points in week 2025-03-10: churn risk 42% (was 20%), now yellow"
	if slack.Text != want || len(slack.Blocks) != 1 || slack.Blocks[0].Type != "section" ||
		slack.Blocks[0].Text.Type != "mrkdwn" || !strings.HasSuffix(slack.Blocks[0].Text.Text, want) {
		t.Errorf("slack body = %s", b)
	}
	b, _ = Body(&a, JSON)
	if !strings.Contains(string(b), `"renewal_date":null`) || !strings.Contains(string(b), `"days_to_renewal":null`) {
		t.Errorf("JSON body without a renewal = %s", b)
	}
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "ftp://x", Format: JSON}, "want an http or https URL"},
		{Config{URL: "hooks.slack.com/x", Format: JSON}, "want an http or https URL"},
		{Config{URL: "https://x", Format: "xml"}, `format "xml"`},
	} {
		if _, err := NewSender(tt.cfg, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSender(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// TestNotifier raises the latest week's alerts and queues them, as a
// server does after each weekly recording: Notify returns at once while
// the receiver is still busy, a second Notify adds nothing and does not
// queue the alert in flight again, and the receiver gets each alert
// once, with the renewal date Notify was given.
func TestNotifier(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w1, w2 := mustDate(t, "2025-03-03"), mustDate(t, "2025-03-10")
	for _, week := range [][]lifecycle.ScoreRecord{{
		{AccountID: "acme", Week: w1, ModelVersion: "m1", Probability: 0.45, Health: "yellow"},
		{AccountID: "globex", Week: w1, ModelVersion: "m1", Probability: 0.1, Health: "green"},
	}, {
		{AccountID: "acme", Week: w2, ModelVersion: "m1", Probability: 0.55, Health: "red"},
		{AccountID: "globex", Week: w2, ModelVersion: "m1", Probability: 0.1, Health: "green"},
	}} {
		if _, err := s.RecordScores(ctx, week); err != nil {
			t.Fatal(err)
		}
	}
	release := make(chan struct{})
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		var b map[string]any
		json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer srv.Close()
	snd, err := NewSender(Config{URL: srv.URL, Format: JSON}, s)
	if err != nil {
		t.Fatal(err)
	}
	n := &Notifier{Store: s, Sender: snd}
	renewals := map[string]features.Date{"acme": w2.AddDays(45)}
	start := time.Now()
	for want := 2; want >= 0; want -= 2 { // turned_red and renewal_red, then nothing new
		if added, err := n.Notify(ctx, renewals, nil); err != nil || added != want {
			t.Fatalf("Notify = %d, %v; want %d", added, err, want)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Notify waited %v on a busy receiver", d)
	}
	close(release)
	if err := snd.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 {
		t.Fatalf("receiver got %d alerts, want 2: %v", len(bodies), bodies)
	}
	causes := []string{bodies[0]["cause"].(string), bodies[1]["cause"].(string)}
	slices.Sort(causes)
	if !slices.Equal(causes, []string{"renewal_red", "turned_red"}) || bodies[0]["renewal_date"] != "2025-04-24" {
		t.Errorf("receiver got %v", bodies)
	}
	if und, err := s.UndeliveredAlerts(ctx); err != nil || len(und) != 0 {
		t.Errorf("UndeliveredAlerts = %v, %v; want none", und, err)
	}
}

// TestNotifierWithoutSender: with no webhook a Notifier still raises the
// latest week's alerts into the store, pending, once each, so a server
// with a score history lists them even when it delivers none.
func TestNotifierWithoutSender(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w1, w2 := mustDate(t, "2025-03-03"), mustDate(t, "2025-03-10")
	for _, week := range [][]lifecycle.ScoreRecord{
		{{AccountID: "acme", Week: w1, ModelVersion: "m1", Probability: 0.45, Health: "yellow"}},
		{{AccountID: "acme", Week: w2, ModelVersion: "m1", Probability: 0.55, Health: "red"}},
	} {
		if _, err := s.RecordScores(ctx, week); err != nil {
			t.Fatal(err)
		}
	}
	n := &Notifier{Store: s}
	for want := 1; want >= 0; want-- { // turned_red, then nothing new
		if added, err := n.Notify(ctx, nil, nil); err != nil || added != want {
			t.Fatalf("Notify = %d, %v; want %d", added, err, want)
		}
	}
	got, err := s.Alerts(ctx, w2)
	if err != nil || len(got) != 1 || got[0].AccountID != "acme" || got[0].Cause != lifecycle.TurnedRed ||
		got[0].Status != lifecycle.Pending || got[0].Attempts != 0 {
		t.Fatalf("stored alerts = %+v, %v; want acme turned_red, pending", got, err)
	}
}

// TestNotifierSendsNoBacklog: alerts raised while the server had no
// webhook are not posted late when one is set; the latest week's are,
// and so is an earlier alert a sender already tried.
func TestNotifierSendsNoBacklog(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w1, w2, w3 := mustDate(t, "2025-03-03"), mustDate(t, "2025-03-10"), mustDate(t, "2025-03-17")
	record := func(recs ...lifecycle.ScoreRecord) {
		t.Helper()
		if _, err := s.RecordScores(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	record(lifecycle.ScoreRecord{AccountID: "acme", Week: w1, ModelVersion: "m1", Probability: 0.45, Health: "yellow"},
		lifecycle.ScoreRecord{AccountID: "beta", Week: w1, ModelVersion: "m1", Probability: 0.55, Health: "yellow"},
		lifecycle.ScoreRecord{AccountID: "gamma", Week: w1, ModelVersion: "m1", Probability: 0.50, Health: "yellow"})
	record(lifecycle.ScoreRecord{AccountID: "acme", Week: w2, ModelVersion: "m1", Probability: 0.55, Health: "red"},
		lifecycle.ScoreRecord{AccountID: "beta", Week: w2, ModelVersion: "m1", Probability: 0.60, Health: "yellow"},
		lifecycle.ScoreRecord{AccountID: "gamma", Week: w2, ModelVersion: "m1", Probability: 0.60, Health: "red"})
	// Week 2 without a webhook: acme and gamma turn red, stored pending;
	// gamma's was tried once by an earlier sender that gave up.
	if added, err := (&Notifier{Store: s}).Notify(ctx, nil, nil); err != nil || added != 2 {
		t.Fatalf("Notify without a sender = %d, %v; want 2", added, err)
	}
	stored, err := s.Alerts(ctx, w2)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range stored {
		if a.AccountID == "gamma" {
			a.Status, a.Attempts = lifecycle.Failed, 1
			if err := s.MarkAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Week 3, with a webhook: beta turns red.
	record(lifecycle.ScoreRecord{AccountID: "acme", Week: w3, ModelVersion: "m1", Probability: 0.56, Health: "red"},
		lifecycle.ScoreRecord{AccountID: "beta", Week: w3, ModelVersion: "m1", Probability: 0.70, Health: "red"},
		lifecycle.ScoreRecord{AccountID: "gamma", Week: w3, ModelVersion: "m1", Probability: 0.61, Health: "red"})
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	snd, err := NewSender(Config{URL: srv.URL, Format: JSON}, s)
	if err != nil {
		t.Fatal(err)
	}
	if added, err := (&Notifier{Store: s, Sender: snd}).Notify(ctx, nil, nil); err != nil || added != 1 {
		t.Fatalf("Notify with a sender = %d, %v; want 1", added, err)
	}
	if err := snd.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range rcv.bodies {
		var p Payload
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p.AccountID+" "+p.Week)
	}
	slices.Sort(got)
	if want := []string{"beta 2025-03-17", "gamma 2025-03-10"}; !slices.Equal(got, want) {
		t.Errorf("posted %v, want %v: the latest week's and the one tried before, not acme's backlog", got, want)
	}
	if due := Due([]lifecycle.Alert{{Week: w1}}, features.NoDate); len(due) != 1 {
		t.Errorf("Due before two recorded weeks = %v, want the alert", due)
	}
}
