package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
)

// TestAlerts records two weeks of scores, lists the alerts they raise
// with --dry-run, sends them to a local Slack-style receiver that is down
// for the first run (exit 1, kept undelivered) and up for the second
// (delivered), and checks a third run sends nothing.
func TestAlerts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "churn.db")
	s, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	w1, _ := features.ParseDate("2025-03-03")
	w2 := w1.AddDays(7)
	rec := func(id string, week features.Date, p float64, health string) lifecycle.ScoreRecord {
		return lifecycle.ScoreRecord{AccountID: id, Week: week, ModelVersion: "m1", Probability: p, Health: health}
	}
	if _, err := s.RecordScores(ctx, []lifecycle.ScoreRecord{rec("acme", w1, 0.40, "yellow"), rec("globex", w1, 0.70, "red"),
		rec("initech", w1, 0.10, "green")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordScores(ctx, []lifecycle.ScoreRecord{rec("acme", w2, 0.52, "red"), rec("globex", w2, 0.72, "red"),
		rec("initech", w2, 0.12, "green")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Renewal dates come from the snapshots: globex renews 100 days after
	// the latest week (107 after the one before, both in the window; it
	// was red in both, so no alert) and acme 30 days after it.
	snap := filepath.Join(dir, "snapshots.csv")
	var csv strings.Builder
	csv.WriteString("account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,renewal_date\n")
	for _, row := range []string{"acme,%s,3,1,2,0,0,2025-04-09", "globex,%s,1,1,9,2,1,2025-06-18", "initech,%s,20,5,0,0,0,"} {
		for _, w := range []features.Date{w1, w2} {
			csv.WriteString(strings.Replace(row, "%s", w.String(), 1) + "\n")
		}
	}
	if err := os.WriteFile(snap, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	out := mustChurn(t, "alerts", "--db", db, "--snapshots", snap, "--dry-run")
	if !strings.Contains(out, "would send 2 new alerts and resend 0 undelivered") ||
		!strings.Contains(out, "acme     turned_red   52.0%  40.0%  red     2025-04-09") ||
		!strings.Contains(out, "acme     renewal_red") || strings.Contains(out, "globex") || strings.Contains(out, "jumped") {
		t.Errorf("alerts --dry-run:\n%s", out)
	}

	var mu sync.Mutex
	up := false
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !up {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
	}))
	defer srv.Close()
	args := []string{"alerts", "--db", db, "--snapshots", snap, "--webhook", srv.URL, "--webhook-format", "slack",
		"--max-attempts", "2", "--backoff", "1ms"}
	code, out, errs := churn(t, args...)
	if code != 1 || !strings.Contains(out, "2 new alerts; 0 delivered to the webhook, 2 not delivered") ||
		!strings.Contains(errs, "2 alerts not delivered") {
		t.Fatalf("alerts to a receiver that is down: exit %d\n%s\n%s", code, out, errs)
	}
	out = mustChurn(t, "alerts", "--db", db, "--dry-run")
	if !strings.Contains(out, "would send 0 new alerts and resend 2 undelivered") || !strings.Contains(out, "failed after 2 attempts") {
		t.Errorf("alerts --dry-run after a failed run:\n%s", out)
	}

	mu.Lock()
	up = true
	mu.Unlock()
	out = mustChurn(t, args...)
	if !strings.Contains(out, "0 new alerts; 2 delivered to the webhook, 0 not delivered") {
		t.Errorf("alerts once the receiver is up:\n%s", out)
	}
	out = mustChurn(t, args...)
	if !strings.Contains(out, "0 new alerts; 0 delivered") {
		t.Errorf("alerts run again:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 {
		t.Fatalf("receiver got %d alerts, want 2", len(bodies))
	}
	for _, b := range bodies {
		var slack struct {
			Text   string            `json:"text"`
			Blocks []json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal([]byte(b), &slack); err != nil || !strings.HasPrefix(slack.Text, "acme ") || len(slack.Blocks) != 1 {
			t.Errorf("slack body %s: %v", b, err)
		}
	}
}

// TestAlertsUsage: flags that cannot work are refused before any work.
func TestAlertsUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "churn.db")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--dry-run"}, "--db or --model"},
		{[]string{"--db", db}, "--webhook URL"},
		{[]string{"--db", db, "--webhook", "localhost:9"}, "http or https URL"},
		{[]string{"--db", db, "--dry-run", "--webhook-format", "xml"}, `format "xml"`},
		{[]string{"--db", db, "--dry-run", "--jump", "0"}, "--jump 0"},
		{[]string{"--db", db, "--dry-run", "--renewal-days", "0"}, "--renewal-days 0"},
	} {
		code, _, errs := churn(t, append([]string{"alerts"}, tt.args...)...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("alerts %v: exit %d, %q; want 2 and %q", tt.args, code, errs, tt.want)
		}
	}
}

// TestServeWebhookNeedsHistory: alerts are raised from the score
// history, so serve refuses --webhook with --db off, and a bad
// --webhook, before loading anything.
func TestServeWebhookNeedsHistory(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", "off", "--webhook", "http://127.0.0.1:9/hook"}, "there is none (see --db)"},
		{[]string{"--db", filepath.Join(dir, "churn.db"), "--webhook", "127.0.0.1:9"}, "http or https URL"},
		{[]string{"--db", filepath.Join(dir, "churn.db"), "--webhook", "http://127.0.0.1:9/hook", "--webhook-format", "xml"}, `format "xml"`},
	} {
		args := append([]string{"serve", "--model", filepath.Join(dir, "model"), "--snapshots", filepath.Join(dir, "s.csv")}, tt.args...)
		code, _, errs := churn(t, args...)
		if code == 0 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, %q; want %q", tt.args, code, errs, tt.want)
		}
	}
}

// testServeAlertsWithoutWebhook runs churn serve with a score history
// and no --webhook: once the week before holds a score from which the
// riskiest account turned red, a reload raises that alert into the
// store, pending, and GET /v1/alerts lists it.
func testServeAlertsWithoutWebhook(t *testing.T, snap, model string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "churn.db")
	srv := startServe(t, "--model", model, "--snapshots", snap, "--db", db, "--drain", "0s", "--access-log", "off")
	get := func(path string, v any) int {
		resp, err := http.Get(srv.url + path)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		if v != nil {
			json.NewDecoder(resp.Body).Decode(v)
		}
		return resp.StatusCode
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+" (serve exited %d)\n%s", append(args, srv.stop(), srv.stderr.String())...)
	}
	var ranking struct {
		Accounts []struct {
			ID     string  `json:"account_id"`
			Week   string  `json:"week"`
			P      float64 `json:"churn_probability"`
			Health string  `json:"health"`
		} `json:"accounts"`
	}
	for deadline := time.Now().Add(20 * time.Second); get("/v1/ranking?limit=1", &ranking) != http.StatusOK; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			fail("serve did not answer")
		}
	}
	top := ranking.Accounts[0]
	if top.Health != "red" {
		fail("the riskiest account %s is %s, want red", top.ID, top.Health)
	}
	week, err := features.ParseDate(top.Week)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.RecordScores(t.Context(), []lifecycle.ScoreRecord{{AccountID: top.ID, Week: week.AddDays(-7), ModelVersion: "earlier",
		Probability: top.P, Health: "green"}})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.url+"/v1/admin/reload", "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		fail("POST /v1/admin/reload: %v %v", resp, err)
	}
	resp.Body.Close()
	var alerts struct {
		Alerts []struct {
			ID     string `json:"account_id"`
			Cause  string `json:"cause"`
			Status string `json:"status"`
		} `json:"alerts"`
	}
	for deadline := time.Now().Add(20 * time.Second); get("/v1/alerts", &alerts) != http.StatusOK || len(alerts.Alerts) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			fail("GET /v1/alerts lists no alert")
		}
	}
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, srv.stderr.String())
	}
	// It may also be red near its renewal; no other account was scored
	// the week before, so none other alerts.
	turned := false
	for _, a := range alerts.Alerts {
		if a.ID != top.ID || a.Status != "pending" {
			t.Errorf("GET /v1/alerts lists %+v, want only %s's alerts, pending", a, top.ID)
		}
		turned = turned || a.Cause == "turned_red"
	}
	if !turned {
		t.Errorf("GET /v1/alerts = %+v, want %s turned_red", alerts.Alerts, top.ID)
	}
}
