package dashboard_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/churnlabs/churn/models/alerts"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/serve"
)

// apiAlerts is GET /v1/alerts's answer, the fields the view shows.
type apiAlerts struct {
	Week   *string  `json:"week"`
	Weeks  []string `json:"weeks"`
	Total  int      `json:"total"`
	Alerts []struct {
		ID          string  `json:"account_id"`
		Cause       string  `json:"cause"`
		Probability float64 `json:"probability"`
		Previous    float64 `json:"previous_probability"`
		Status      string  `json:"status"`
	} `json:"alerts"`
}

func fetchAlerts(t *testing.T, base string) apiAlerts {
	t.Helper()
	resp, err := http.Get(base + "/v1/alerts?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc apiAlerts
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/alerts: %s %v", resp.Status, err)
	}
	return doc
}

// alertsServer starts a server over a store holding two recorded weeks
// that raise alerts: the week before the latest, scored by the fixture's
// model, then the latest, which the server records itself and raises the
// alerts of. The riskiest account is made green the week before, so that
// at least it turned red; it is returned with the server's address.
func (fx *fixture) alertsServer(t *testing.T) (base, turnedRed string) {
	t.Helper()
	top := fetchRanking(t, fx.server(t, serve.Config{}).URL, "limit=1").Accounts[0]
	if top.Health != "red" || top.History[len(top.History)-1].Week != fx.lastWeek.String() {
		t.Fatalf("the riskiest account %s is %s at week %s: want red at %s", top.ID, top.Health,
			top.History[len(top.History)-1].Week, fx.lastWeek)
	}
	store, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	fx.recordPastWeeks(t, store, map[int]string{1: ""})
	// Recorded after the week's scores, so shown in their place.
	if _, err := store.RecordScores(t.Context(), []lifecycle.ScoreRecord{{AccountID: top.ID, Week: fx.lastWeek.AddDays(-7),
		ModelVersion: "earlier", Probability: 0.01, Health: "green", RecordedAt: time.Now().Add(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	ts := fx.server(t, serve.Config{Scores: store, Alerts: &alerts.Notifier{Store: store}})
	deadline := time.Now().Add(tabTimeout)
	for fetchAlerts(t, ts.URL).Total == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server raised no alerts")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ts.URL, top.ID
}

// checkAlerts checks that the Alerts view lists the alerts GET
// /v1/alerts serves, in its order, with their cause, probabilities and
// delivery status, that turnedRed is among them, and that an account's
// link opens its account page.
func (tb *tab) checkAlerts(base, turnedRed string) {
	t := tb.t
	t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(`#alerts[data-state="ready"] #alerts-table tbody tr`)))
	doc := fetchAlerts(t, base)
	if doc.Week == nil || *doc.Week != tb.eval(`document.querySelector("#alerts-week").value`) {
		t.Errorf("the view's week is %q, the API's %v", tb.eval(`document.querySelector("#alerts-week").value`), doc.Week)
	}
	b := run(tb, chromedp.Evaluate[[]byte](`Array.from(document.querySelectorAll("#alerts-table tbody tr"), (r) =>
		[r.dataset.account, r.dataset.cause, r.dataset.probability, r.dataset.previous, r.dataset.status,
		 r.querySelector("a").textContent])`))
	var rows [][]string
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(doc.Alerts) || len(rows) != doc.Total {
		t.Fatalf("the view lists %d alerts, the API %d of %d", len(rows), len(doc.Alerts), doc.Total)
	}
	t.Logf("the view lists the %d alerts of week %s", len(rows), *doc.Week)
	found := false
	for i, a := range doc.Alerts {
		want := []string{a.ID, a.Cause, strconv.FormatFloat(a.Probability, 'g', -1, 64),
			strconv.FormatFloat(a.Previous, 'g', -1, 64), a.Status, a.ID}
		if strings.Join(rows[i], "|") != strings.Join(want, "|") {
			t.Errorf("row %d = %v, want %v", i, rows[i], want)
		}
		found = found || a.ID == turnedRed && a.Cause == string(lifecycle.TurnedRed)
	}
	if !found {
		t.Errorf("no turned_red alert for %s among %v", turnedRed, rows)
	}
	tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#alerts-table tr[data-account=%q] a`, turnedRed))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q]`, turnedRed))))
	if tb.visible("#alerts") {
		t.Error("the alerts view stays shown after opening an account")
	}
}
