package serve

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/crm"
	"github.com/churnlabs/churn/models/ranking"
	"github.com/churnlabs/churn/models/webhook"
)

// crmReceiver is a CRM webhook. Each request first waits for gate (when
// not nil), then is answered fail(n) for the nth request (from 1; 0
// accepts); it keeps the bodies it accepts.
type crmReceiver struct {
	gate chan struct{}
	fail func(n int) int

	mu       sync.Mutex
	requests int
	bodies   []crmBody
}

// crmBody is a push request's body as a receiver decodes it: the
// records as maps, numbers kept as their text.
type crmBody struct {
	CRM          string           `json:"crm"`
	Week         string           `json:"week"`
	ModelVersion string           `json:"model_version"`
	ScoredAt     string           `json:"scored_at"`
	Batch        int              `json:"batch"`
	Batches      int              `json:"batches"`
	Records      []map[string]any `json:"records"`
}

func (r *crmReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-req.Context().Done():
			return
		}
	}
	var b crmBody
	d := json.NewDecoder(req.Body)
	d.UseNumber()
	err := d.Decode(&b)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.fail != nil {
		if code := r.fail(r.requests); code != 0 {
			w.WriteHeader(code)
			return
		}
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.bodies = append(r.bodies, b)
}

func (r *crmReceiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Bodies returns the bodies accepted so far.
func (r *crmReceiver) Bodies() []crmBody {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies)
}

// rows returns the records accepted as CSV rows of header's columns: a
// number as its text, null as an empty cell.
func (r *crmReceiver) rows(t *testing.T, header []string) [][]string {
	t.Helper()
	var rows [][]string
	for _, b := range r.Bodies() {
		for _, rec := range b.Records {
			if len(rec) != len(header) {
				t.Fatalf("record %v: want the fields %v", rec, header)
			}
			row := make([]string, len(header))
			for i, h := range header {
				switch v := rec[h].(type) {
				case json.Number:
					row[i] = v.String()
				case string:
					row[i] = v
				case nil:
				default:
					t.Fatalf("record %v: field %s is a %T", rec, h, v)
				}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// crmEnv serves the kind's model with a score history and a CRM push to
// rcv in batches of batch, retrying at once up to attempts times.
func crmEnv(t *testing.T, rcv http.Handler, batch, attempts int) *env {
	t.Helper()
	hook := httptest.NewServer(rcv)
	t.Cleanup(hook.Close)
	store := openScores(t)
	return newEnv(t, models.Logistic, func(c *Config) {
		c.Scores = store
		c.CRM = &crm.PushConfig{URL: hook.URL + "/crm", CRM: "salesforce", Batch: batch,
			Retry: webhook.Retry{MaxAttempts: attempts, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}}
	})
}

// crmCounts returns the CRM push metrics: records delivered and failed,
// and requests given up.
func crmCounts(e *env) (delivered, failed, failures float64) {
	m := e.srv.metrics
	return testutil.ToFloat64(m.crmRecords.WithLabelValues("delivered")), testutil.ToFloat64(m.crmRecords.WithLabelValues("failed")),
		testutil.ToFloat64(m.crmFailures)
}

// TestCRMPush: the server pushes the book it loads, in ceil(n/batch)
// requests, the records being the rows of the CRM CSV of the same book;
// a reload of the same model and week pushes nothing, a new model
// pushes again; the metrics count the records.
func TestCRMPush(t *testing.T) {
	rcv := &crmReceiver{}
	const batch = 7
	e := crmEnv(t, rcv, batch, 3)
	st := e.srv.state.Load()
	book := st.book
	n := len(book.Accounts)
	if n <= 2*batch || n%batch == 0 {
		t.Fatalf("the fixture's %d accounts do not make a last, partial batch of %d", n, batch)
	}
	waitFor(t, "the book pushed", func() bool { d, _, _ := crmCounts(e); return d == float64(n) })
	if want := (n + batch - 1) / batch; rcv.Requests() != want {
		t.Errorf("%d requests for %d records in batches of %d, want %d", rcv.Requests(), n, batch, want)
	}
	cols, _ := crm.Lookup("salesforce")
	var buf bytes.Buffer
	if err := crm.WriteCSV(&buf, cols, book, book.Accounts, st.loaded); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rcv.rows(t, rows[0]); !slices.EqualFunc(got, rows[1:], slices.Equal) {
		t.Errorf("records pushed:\n%v\nthe CSV's rows:\n%v", got, rows[1:])
	}
	for i, b := range rcv.Bodies() {
		if b.CRM != "salesforce" || b.Week != book.AsOf.String() || b.ModelVersion != st.model.Version ||
			b.Batch != i+1 || b.Batches != rcv.Requests() || b.ScoredAt != st.loaded.UTC().Format(time.RFC3339) {
			t.Errorf("body %d: %+v", i, b)
		}
	}

	// A reload of the same model and week: recorded again, not pushed.
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload recorded", func() bool { return testutil.ToFloat64(e.srv.metrics.historyRecorded) == 2 })
	// A new model: pushed again, under its version.
	installModel(t, models.GBM, e.modelDir)
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new model's book pushed", func() bool { d, _, _ := crmCounts(e); return d == float64(2*n) })
	e.srv.Close()
	bodies := rcv.Bodies()
	if want := 2 * ((n + batch - 1) / batch); len(bodies) != want || bodies[len(bodies)-1].ModelVersion != fixture.versions[models.GBM] {
		t.Errorf("%d bodies, the last of %s; want two pushes of %d, the second of %s", len(bodies), bodies[len(bodies)-1].ModelVersion, want/2, fixture.versions[models.GBM])
	}
	if d, f, fails := crmCounts(e); d != float64(2*n) || f != 0 || fails != 0 {
		t.Errorf("metrics: %v delivered, %v failed, %v failures; want %d, 0, 0", d, f, fails, 2*n)
	}
}

// TestCRMPushRetries: a receiver that fails twice then accepts gets
// every record exactly once.
func TestCRMPushRetries(t *testing.T) {
	rcv := &crmReceiver{fail: func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return 0
	}}
	e := crmEnv(t, rcv, 10, 3)
	n := len(e.srv.state.Load().book.Accounts)
	waitFor(t, "the book pushed", func() bool { d, _, _ := crmCounts(e); return d == float64(n) })
	e.srv.Close()
	var ids []string
	for _, b := range rcv.Bodies() {
		for _, r := range b.Records {
			ids = append(ids, r["External_Account_Id__c"].(string))
		}
	}
	want := make([]string, n)
	for i, a := range e.srv.state.Load().book.Accounts {
		want[i] = a.AccountID
	}
	if !slices.Equal(ids, want) {
		t.Errorf("the receiver got %d records, want each of the %d once, in order", len(ids), n)
	}
	if wantReq := (n+9)/10 + 2; rcv.Requests() != wantReq {
		t.Errorf("%d requests, want %d (two failed)", rcv.Requests(), wantReq)
	}
	if d, f, fails := crmCounts(e); d != float64(n) || f != 0 || fails != 0 {
		t.Errorf("metrics: %v delivered, %v failed, %v failures; want %d, 0, 0", d, f, fails, n)
	}
}

// TestCRMPushReceiverDown: a receiver that hangs, then always fails,
// neither delays /v1 responses nor the recording of the week; the
// failure is counted once it gives up, and the rest of the week is not
// sent.
func TestCRMPushReceiverDown(t *testing.T) {
	rcv := &crmReceiver{gate: make(chan struct{}), fail: func(int) int { return http.StatusBadGateway }}
	e := crmEnv(t, rcv, 10, 2)
	n := len(e.srv.state.Load().book.Accounts)
	start := time.Now()
	for _, path := range []string{"/v1/accounts/" + url.PathEscape(e.anAccount()) + "/score", "/v1/ranking?limit=5", "/v1/model"} {
		if w := e.do("GET", path, ""); w.Code != http.StatusOK {
			t.Fatalf("GET %s while the CRM hangs: %d %s", path, w.Code, w.Body)
		}
	}
	waitFor(t, "the week recorded while the CRM hangs", func() bool {
		return testutil.ToFloat64(e.srv.metrics.historyRecorded) == 1
	})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("requests and the recording took %v beside a hanging CRM", d)
	}
	if d, f, fails := crmCounts(e); d != 0 || f != 0 || fails != 0 {
		t.Errorf("metrics while the first request hangs: %v, %v, %v; want nothing counted", d, f, fails)
	}
	close(rcv.gate)
	waitFor(t, "the push given up", func() bool { _, f, _ := crmCounts(e); return f == float64(n) })
	if d, _, fails := crmCounts(e); d != 0 || fails != 1 {
		t.Errorf("metrics: %v delivered, %v failures; want 0 and 1", d, fails)
	}
	if rcv.Requests() != 2 {
		t.Errorf("%d requests, want the first batch's 2 attempts only", rcv.Requests())
	}
	if !bytes.Contains([]byte(e.logs.String()), []byte("CRM push incomplete")) {
		t.Errorf("log lacks the failed push:\n%s", e.logs.String())
	}
}

// TestCRMExport downloads GET /v1/crm: the file is crm.WriteCSV over the
// accounts the ranking's filters keep, in the ranking's order, scored at
// the time the book was loaded (so two downloads are the same file),
// with a filter narrowing the rows to accounts that pass it and the
// first row the ranking's first account; a missing or unknown CRM, or a
// filter the ranking refuses, is a 400 naming it.
func TestCRMExport(t *testing.T) {
	e := newEnv(t, models.GBM)
	st := e.srv.state.Load()
	book := st.book
	segment := book.Segments()[0]
	week := book.AsOf.String()

	for _, tc := range []struct {
		query, crm string
		q          ranking.Query
		narrower   bool
	}{
		{query: "crm=salesforce", crm: "salesforce"},
		{query: "crm=hubspot&sort=arr_at_risk", crm: "hubspot", q: ranking.Query{Sort: ranking.ByARRAtRisk}},
		{query: "crm=hubspot&segment=" + url.QueryEscape(segment) + "&renewal_within_days=120", crm: "hubspot",
			q: ranking.Query{Segment: segment, RenewalWithinDays: 120}, narrower: true},
	} {
		t.Run(tc.query, func(t *testing.T) {
			w := e.do("GET", "/v1/crm?"+tc.query, "")
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			wantName := `attachment; filename="churn-` + tc.crm + "-" + week + `.csv"`
			if cd := w.Header().Get("Content-Disposition"); cd != wantName {
				t.Errorf("Content-Disposition %q, want %q", cd, wantName)
			}
			cols, err := crm.Lookup(tc.crm)
			if err != nil {
				t.Fatal(err)
			}
			accounts := book.Rank(tc.q)
			var want bytes.Buffer
			if err := crm.WriteCSV(&want, cols, book, accounts, st.loaded); err != nil {
				t.Fatal(err)
			}
			if w.Body.String() != want.String() {
				t.Errorf("body is not crm.WriteCSV of the filtered book:\n%.600s\nwant:\n%.600s", w.Body, want.String())
			}
			if again := e.do("GET", "/v1/crm?"+tc.query, ""); again.Body.String() != w.Body.String() {
				t.Error("a second download differs from the first")
			}

			rows, err := csv.NewReader(w.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) < 2 || rows[0][0] != cols.ID || rows[0][6] != cols.ScoredAt {
				t.Fatalf("%d rows, header %q", len(rows), rows[0])
			}
			if got, want := len(rows)-1, len(book.Accounts); tc.narrower && (got == 0 || got >= want) || !tc.narrower && got != want {
				t.Errorf("%d accounts of %d (narrowed: %v)", got, want, tc.narrower)
			}
			for _, r := range rows[1:] {
				a, ok := book.Account(r[0])
				if !ok {
					t.Fatalf("row %q: no such account", r)
				}
				if tc.q.Segment != "" && (a.Segment != segment || a.DaysToRenewal < 0 || a.DaysToRenewal > 120) {
					t.Errorf("account %s (segment %s, renewal in %d days) passes segment=%s&renewal_within_days=120",
						a.AccountID, a.Segment, a.DaysToRenewal, segment)
				}
				if at := r[6]; at != st.loaded.UTC().Format(time.RFC3339) {
					t.Errorf("scored at %s, want the load time %s", at, st.loaded.UTC().Format(time.RFC3339))
				}
			}
			// The first row is the ranking's first account under the
			// same filters.
			rq := strings.TrimPrefix(strings.Replace(tc.query, "crm="+tc.crm, "", 1), "&")
			p := decode[rankingPage](t, e.do("GET", "/v1/ranking?limit=1&"+rq, ""))
			if len(p.Accounts) != 1 || p.Accounts[0].ID != rows[1][0] || p.Total != len(rows)-1 {
				t.Errorf("first row %s of %d, ranking's first %+v of %d", rows[1][0], len(rows)-1, p.Accounts, p.Total)
			}
		})
	}

	for _, tc := range []struct{ query, want string }{
		{"", "query parameter crm is required: want one of hubspot, salesforce"},
		{"segment=" + url.QueryEscape(segment), "query parameter crm is required: want one of hubspot, salesforce"},
		{"crm=pipedrive", "crm=pipedrive: want one of hubspot, salesforce"},
		{"crm=Salesforce", "crm=Salesforce: want one of hubspot, salesforce"},
		{"crm=hubspot&crm=salesforce", `query parameter "crm" is given 2 times`},
		{"crm=hubspot&limit=5", `unknown query parameter "limit"`},
		{"crm=hubspot&segment=nope", `segment "nope": no ranked account has it`},
		{"crm=hubspot&play_segment=x", "the server has no segment file"},
		{"crm=hubspot&renewal_within_days=-1", "renewal_within_days=-1: want a whole number >= 0"},
		{"crm=hubspot&sort=before_renewal", "no survival curves"},
	} {
		w := e.do("GET", "/v1/crm?"+tc.query, "")
		var body errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusBadRequest || !strings.Contains(body.Error, tc.want) {
			t.Errorf("GET /v1/crm?%s: %d %s, want 400 saying %q", tc.query, w.Code, w.Body, tc.want)
		}
	}
}
