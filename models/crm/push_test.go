package crm

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
	"github.com/churnlabs/churn/models/webhook"
)

// receiver is a CRM webhook: it answers fail(n) for its nth request
// (from 1; 0 accepts) and keeps the bodies it accepts.
type receiver struct {
	fail func(n int) int

	mu       sync.Mutex
	requests int
	bodies   []request
	raw      [][]byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	data, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.fail != nil {
		if code := r.fail(r.requests); code != 0 {
			w.WriteHeader(code)
			return
		}
	}
	var b request
	if err := json.Unmarshal(data, &b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.bodies = append(r.bodies, b)
	r.raw = append(r.raw, data)
}

func (r *receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// accepted returns the ids of the records accepted, in order.
func (r *receiver) accepted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, b := range r.bodies {
		for _, rec := range b.Records {
			ids = append(ids, rec.cells[colID])
		}
	}
	return ids
}

// UnmarshalJSON reads a record back as text cells, for the tests: the
// probability as the number's text, null as "".
func (r *record) UnmarshalJSON(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if _, err := d.Token(); err != nil {
		return err
	}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return err
		}
		var v any
		if err := d.Decode(&v); err != nil {
			return err
		}
		cell := ""
		switch v := v.(type) {
		case json.Number:
			cell = v.String()
		case string:
			cell = v
		case nil:
		default:
			return fmt.Errorf("field %v: %T", k, v)
		}
		r.header = append(r.header, k.(string))
		r.cells = append(r.cells, cell)
	}
	return nil
}

// bigBook is a book of n accounts, riskiest first, every fourth with no
// renewal date.
func bigBook(n int, version string, week features.Date) *ranking.Book {
	b := &ranking.Book{Model: &models.Artifact{Version: version}, AsOf: week}
	for i := range n {
		days := 30 + i
		if i%4 == 3 {
			days = -1
		}
		b.Accounts = append(b.Accounts, &ranking.Account{AccountID: fmt.Sprintf("acct-%04d", i), Probability: 1 - float64(i)/float64(n+1),
			Health: "yellow", DaysToRenewal: days, RenewalDate: week.AddDays(days), Week: week,
			Drivers: []ranking.Driver{{Feature: features.LoginsMean4w, Description: features.Describe(features.LoginsMean4w),
				Value: float64(i), Contribution: 0.1, Direction: "raises risk"}}})
	}
	return b
}

// noWait retries at once, recording the waits.
type noWait struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

func (c *noWait) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	return ctx.Err()
}

// results collects a pusher's batch results.
type results struct {
	mu  sync.Mutex
	all []BatchResult
}

func (r *results) add(b BatchResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, b)
}

// newPusher starts a pusher for rcv's server with a clock that does not
// wait, and stops both at the end of the test.
func newPusher(t *testing.T, rcv http.Handler, crm string, batch int) (*Pusher, *results, *noWait) {
	t.Helper()
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	res, clock := &results{}, &noWait{}
	p, err := NewPusher(PushConfig{URL: srv.URL, CRM: crm, Batch: batch, Done: res.add,
		Retry: webhook.Retry{MaxAttempts: 4, Backoff: time.Second, Sleep: clock.Sleep, Jitter: func(d time.Duration) time.Duration { return d }}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, res, clock
}

// TestPushRecordsAreTheCSV: the records pushed are the rows of the CSV
// file of the same book, cell for cell, under the CSV's column names in
// its order, for each CRM; the probability a JSON number, an unknown
// renewal date null.
func TestPushRecordsAreTheCSV(t *testing.T) {
	at := time.Date(2024, 10, 7, 1, 30, 0, 0, time.FixedZone("CET", 3600))
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			b := bigBook(7, "gbm-7", 20000)
			rcv := &receiver{}
			p, _, _ := newPusher(t, rcv, name, 3)
			if !p.Push(b, at) {
				t.Fatal("Push refused the book")
			}
			if err := p.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			c, _ := Lookup(name)
			var buf bytes.Buffer
			if err := WriteCSV(&buf, c, b, b.Accounts, at); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for i, body := range rcv.bodies {
				if body.CRM != name || body.Week != "2024-10-04" || body.ModelVersion != "gbm-7" || body.ScoredAt != "2024-10-07T00:30:00Z" ||
					body.Batch != i+1 || body.Batches != 3 {
					t.Errorf("body %d: %+v", i, body)
				}
				for _, r := range body.Records {
					if !slices.Equal(r.header, rows[0]) {
						t.Fatalf("record keys %v, want the CSV's header %v", r.header, rows[0])
					}
					got = append(got, r.cells)
				}
			}
			if !slices.EqualFunc(got, rows[1:], slices.Equal) {
				t.Errorf("records pushed:\n%v\nCSV rows:\n%v", got, rows[1:])
			}
			raw := string(rcv.raw[1])
			for _, want := range []string{`"` + c.Probability + `":`, `"` + c.Renewal + `":null`} {
				if !strings.Contains(raw, want) {
					t.Errorf("body 2 lacks %s: %s", want, raw)
				}
			}
			if strings.Contains(raw, `"`+c.Probability+`":"`) {
				t.Errorf("the probability is a string: %s", raw)
			}
		})
	}
}

// TestPushBatches: n records in batches of size are ceil(n/size)
// requests, every record once, in the book's order.
func TestPushBatches(t *testing.T) {
	for _, tt := range []struct{ n, size, requests int }{
		{1, 500, 1},
		{500, 500, 1},
		{501, 500, 2},
		{10, 3, 4},
		{9, 3, 3},
		{7, 1, 7},
		{1200, 0, 3}, // DefaultBatch
	} {
		t.Run(fmt.Sprintf("%d by %d", tt.n, tt.size), func(t *testing.T) {
			rcv := &receiver{}
			p, res, _ := newPusher(t, rcv, "hubspot", tt.size)
			b := bigBook(tt.n, "m1", 20000)
			p.Push(b, time.Now())
			p.Close(context.Background())
			if rcv.Requests() != tt.requests || len(res.all) != tt.requests {
				t.Errorf("%d requests, %d results; want %d", rcv.Requests(), len(res.all), tt.requests)
			}
			var want []string
			for _, a := range b.Accounts {
				want = append(want, a.AccountID)
			}
			if got := rcv.accepted(); !slices.Equal(got, want) {
				t.Errorf("accepted %d records, want the %d of the book in order", len(got), len(want))
			}
			for _, r := range res.all {
				if r.Err != nil || r.Attempts != 1 {
					t.Errorf("result %+v", r)
				}
			}
		})
	}
}

// TestPushRetries: a receiver that fails twice then accepts gets every
// record exactly once, after waits of 1 s and 2 s; one that always fails
// gets the first batch MaxAttempts times and nothing after it, and the
// week is pushed again by the next Push of it; one that refuses a batch
// for good (400) gets the others.
func TestPushRetries(t *testing.T) {
	for _, tt := range []struct {
		name      string
		fail      func(n int) int
		requests  int
		sleeps    int
		delivered int // records
		results   []BatchResult
	}{
		{"fails twice then accepts", func(n int) int {
			if n <= 2 {
				return http.StatusServiceUnavailable
			}
			return 0
		}, 5, 2, 7, []BatchResult{{Records: 3, Attempts: 3}, {Records: 3, Attempts: 1}, {Records: 1, Attempts: 1}}},
		{"always fails", func(int) int { return http.StatusBadGateway }, 4, 3, 0,
			[]BatchResult{{Records: 3, Attempts: 4, Err: errors.New("HTTP 502")}, {Records: 4, Err: errors.New("not sent after batch 1 failed")}}},
		{"refuses the second batch", func(n int) int {
			if n == 2 {
				return http.StatusBadRequest
			}
			return 0
		}, 3, 0, 4, []BatchResult{{Records: 3, Attempts: 1}, {Records: 3, Attempts: 1, Err: errors.New("HTTP 400")}, {Records: 1, Attempts: 1}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rcv := &receiver{fail: tt.fail}
			p, res, clock := newPusher(t, rcv, "salesforce", 3)
			b := bigBook(7, "m1", 20000)
			p.Push(b, time.Now())
			p.Close(context.Background())
			if rcv.Requests() != tt.requests || len(clock.sleeps) != tt.sleeps {
				t.Errorf("%d requests after %d waits (%v); want %d after %d", rcv.Requests(), len(clock.sleeps), clock.sleeps, tt.requests, tt.sleeps)
			}
			ids := rcv.accepted()
			if len(ids) != tt.delivered || len(slices.Compact(slices.Clone(ids))) != len(ids) {
				t.Errorf("accepted %v: want %d records, each once", ids, tt.delivered)
			}
			if len(res.all) != len(tt.results) {
				t.Fatalf("results %+v, want %+v", res.all, tt.results)
			}
			for i, got := range res.all {
				want := tt.results[i]
				if got.Records != want.Records || got.Attempts != want.Attempts || (got.Err == nil) != (want.Err == nil) ||
					got.Err != nil && !strings.Contains(got.Err.Error(), want.Err.Error()) {
					t.Errorf("result %d = %+v, want %+v", i, got, want)
				}
			}
		})
	}
}

// TestPushOnce: a book of the week and model version last pushed is not
// pushed again, one of a new version or week is; a push that failed is
// forgotten, so the same book pushes again; after Close nothing is
// taken.
func TestPushOnce(t *testing.T) {
	var failing sync.Mutex
	down := false
	rcv := &receiver{fail: func(int) int {
		failing.Lock()
		defer failing.Unlock()
		if down {
			return http.StatusServiceUnavailable
		}
		return 0
	}}
	p, res, _ := newPusher(t, rcv, "hubspot", 0)
	// Each book below is one batch: one result when pushed.
	results := 0
	wait := func() {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			res.mu.Lock()
			n := len(res.all)
			res.mu.Unlock()
			if n == results {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d batch results, want %d", n, results)
			}
		}
	}
	for _, step := range []struct {
		book   *ranking.Book
		down   bool
		pushed bool
	}{
		{bigBook(2, "m1", 20000), false, true},
		{bigBook(2, "m1", 20000), false, false}, // a reload that changed nothing
		{bigBook(2, "m2", 20000), false, true},  // a new model
		{bigBook(2, "m2", 20007), true, true},   // a new week, the receiver down
		{bigBook(2, "m2", 20007), false, true},  // the failed week again
		{bigBook(2, "m2", 20007), false, false},
		{bigBook(0, "m3", 20007), false, false}, // no accounts
	} {
		failing.Lock()
		down = step.down
		failing.Unlock()
		if got := p.Push(step.book, time.Now()); got != step.pushed {
			t.Fatalf("Push of %s %s = %t, want %t", step.book.Model.Version, step.book.AsOf, got, step.pushed)
		}
		if step.pushed {
			results++
		}
		wait()
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.Push(bigBook(2, "m9", 20014), time.Now()) {
		t.Error("Push after Close took the book")
	}
	var weeks []string
	for _, b := range rcv.bodies {
		weeks = append(weeks, b.ModelVersion+" "+b.Week)
	}
	if want := []string{"m1 2024-10-04", "m2 2024-10-04", "m2 2024-10-11"}; !slices.Equal(weeks, want) {
		t.Errorf("pushes delivered %v, want %v", weeks, want)
	}
}

// TestPushConfig: what NewPusher refuses.
func TestPushConfig(t *testing.T) {
	for _, tt := range []struct {
		cfg  PushConfig
		want string
	}{
		{PushConfig{URL: "crm.example.com/hook", CRM: "hubspot"}, "http or https URL"},
		{PushConfig{URL: "https://crm.example.com/hook", CRM: "pipedrive"}, "want one of hubspot, salesforce"},
		{PushConfig{URL: "https://crm.example.com/hook", CRM: "hubspot", Batch: -1}, "want at least 1"},
	} {
		if _, err := NewPusher(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewPusher(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}
