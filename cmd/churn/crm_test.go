package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestScoreCRM runs churn score --format crm on simulated data: one row
// per ranked account, in the ranking's order, with the ranking's values,
// and the flags checked.
func TestScoreCRM(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "120", "--weeks", "40", "--seed", "4", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "4", "--valid-weeks", "6", "--model", "logistic", "--out", model, "--no-plots")
	ranked, err := csv.NewReader(strings.NewReader(mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "csv", "--top", "10"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "crm", "--crm", "hubspot", "--top", "10")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// churn gen writes a renewal_type column: the file ends with it.
	if len(rows) != len(ranked) || strings.Join(rows[0], ",") !=
		"external_account_id,churn_probability,churn_health,churn_top_drivers,renewal_date,churn_model_version,churn_scored_at,renewal_type" ||
		ranked[0][len(ranked[0])-1] != "renewal_type" {
		t.Fatalf("crm file:\n%s", out)
	}
	for i := 1; i < len(rows); i++ {
		r, want := rows[i], ranked[i]
		if r[0] != want[0] || r[2] != want[2] || r[4] != want[6] || !close4(r[1], want[1]) ||
			!strings.HasPrefix(r[3], want[9]) || !strings.HasPrefix(r[5], "logistic-") || r[7] != want[len(want)-1] || r[7] == "" {
			t.Errorf("row %d %v; the ranking's %v", i, r, want)
		}
		if _, err := time.Parse(time.RFC3339, r[6]); err != nil || !strings.HasSuffix(r[6], "Z") {
			t.Errorf("row %d scored at %q: want RFC 3339 in UTC", i, r[6])
		}
	}
	testServeCRMPush(t, snap, model)
	testServeAlertsWithoutWebhook(t, snap, model)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "crm"}, `--crm ""`},
		{[]string{"--format", "crm", "--crm", "pipedrive"}, "want one of hubspot, salesforce"},
		{[]string{"--format", "csv", "--crm", "hubspot"}, "--crm is for --format crm"},
	} {
		code, _, errs := churn(t, append([]string{"score", "--snapshots", snap, "--model", model}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

// close4 reports whether two probabilities written as text agree to the
// four places a CRM file keeps.
func close4(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) <= 5e-5+1e-12
}

// testServeCRMPush runs churn serve --crm-webhook against a local
// receiver: the records it receives, in batches of --crm-batch, are the
// rows of churn score --format crm's file of the same snapshots and
// model, all but the time scored (each its own run's, in UTC).
func testServeCRMPush(t *testing.T, snap, model string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(mustChurn(t, "score", "--snapshots", snap, "--model", model,
		"--format", "crm", "--crm", "hubspot"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := rows[0], rows[1:]
	var mu sync.Mutex
	var got [][]string
	var batches []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			CRM     string           `json:"crm"`
			Batch   int              `json:"batch"`
			Batches int              `json:"batches"`
			Records []map[string]any `json:"records"`
		}
		d := json.NewDecoder(r.Body)
		d.UseNumber()
		if err := d.Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		batches = append(batches, fmt.Sprintf("%s %d/%d", body.CRM, body.Batch, body.Batches))
		for _, rec := range body.Records {
			row := make([]string, len(header))
			for i, h := range header {
				switch v := rec[h].(type) {
				case json.Number:
					row[i] = v.String()
				case string:
					row[i] = v
				}
			}
			got = append(got, row)
		}
	}))
	defer hook.Close()
	received := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	srv := startServe(t, "--model", model, "--snapshots", snap, "--db", "off", "--drain", "0s", "--access-log", "off",
		"--crm-webhook", hook.URL+"/churn", "--crm", "hubspot", "--crm-batch", "40")
	for deadline := time.Now().Add(20 * time.Second); received() < len(rows); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d records of %d (serve exited %d)\n%s", received(), len(rows), srv.stop(), srv.stderr.String())
		}
	}
	testServeCRMFile(t, srv.url, snap, model, got[0][slices.Index(header, "churn_scored_at")])
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, srv.stderr.String())
	}
	scoredAt := slices.Index(header, "churn_scored_at")
	for i, row := range got {
		if _, err := time.Parse(time.RFC3339, row[scoredAt]); err != nil || !strings.HasSuffix(row[scoredAt], "Z") {
			t.Errorf("record %d scored at %q: want RFC 3339 in UTC", i, row[scoredAt])
		}
		row[scoredAt] = ""
	}
	for _, row := range rows {
		row[scoredAt] = ""
	}
	if !slices.EqualFunc(got, rows, slices.Equal) {
		t.Errorf("records pushed:\n%v\nchurn score --format crm's rows:\n%v", got, rows)
	}
	n := (len(rows) + 39) / 40
	if len(batches) != n || batches[0] != fmt.Sprintf("hubspot 1/%d", n) {
		t.Errorf("requests %v: want %d batches of hubspot records", batches, n)
	}
}

// testServeCRMFile checks that GET /v1/crm of the serve at base is, byte
// for byte, what churn score --format crm writes with the same CRM and
// filters, but for the time scored: the book's load time, the push's
// scoredAt, the same on every download.
func testServeCRMFile(t *testing.T, base, snap, model, scoredAt string) {
	t.Helper()
	stamp := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	for _, tc := range []struct {
		query string
		args  []string
	}{
		{"crm=hubspot", []string{"--crm", "hubspot"}},
		{"crm=salesforce&sort=arr_at_risk&renewal_within_days=120", []string{"--crm", "salesforce", "--sort", "arr_at_risk", "--renewal-within", "120"}},
	} {
		resp, err := http.Get(base + "/v1/crm?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("GET /v1/crm?%s: %s %s %v: %.300s", tc.query, resp.Status, resp.Header.Get("Content-Type"), err, body)
		}
		cli := mustChurn(t, append([]string{"score", "--snapshots", snap, "--model", model, "--format", "crm"}, tc.args...)...)
		stamps := stamp.FindAllString(string(body), -1)
		if len(stamps) == 0 || slices.ContainsFunc(stamps, func(s string) bool { return s != scoredAt }) {
			t.Errorf("GET /v1/crm?%s: times scored %v, want the push's %s on every row", tc.query, stamps, scoredAt)
		}
		if got, want := stamp.ReplaceAllString(string(body), ""), stamp.ReplaceAllString(cli, ""); got != want {
			t.Errorf("GET /v1/crm?%s:\n%.800s\nchurn score --format crm %v:\n%.800s", tc.query, got, tc.args, want)
		}
	}
}

// TestServeCRMUsage: the CRM push flags that cannot work are refused
// before anything is loaded.
func TestServeCRMUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--crm-webhook", "http://127.0.0.1:9/crm"}, "--crm-webhook needs --crm"},
		{[]string{"--crm-webhook", "http://127.0.0.1:9/crm", "--crm", "pipedrive"}, "want one of hubspot, salesforce"},
		{[]string{"--crm-webhook", "127.0.0.1:9/crm", "--crm", "hubspot"}, "http or https URL"},
		{[]string{"--crm-webhook", "http://127.0.0.1:9/crm", "--crm", "hubspot", "--crm-batch", "0"}, "--crm-batch 0: want at least 1"},
		{[]string{"--crm", "hubspot"}, "--crm is for --crm-webhook"},
		{[]string{"--crm-batch", "10"}, "--crm-batch is for --crm-webhook"},
	} {
		args := append([]string{"serve", "--model", filepath.Join(dir, "model"), "--snapshots", filepath.Join(dir, "s.csv")}, tt.args...)
		code, _, errs := churn(t, args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tt.args, code, errs, tt.want)
		}
	}
}
