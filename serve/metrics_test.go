package serve

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/churnlabs/churn/models"
)

// TestMetrics sends requests of each kind and compares the counters they
// leave with the exposition a scraper would read.
func TestMetrics(t *testing.T) {
	e := newEnv(t, models.Forest)
	id := e.anAccount()
	for range 3 {
		e.do("GET", "/v1/accounts/"+id+"/score", "")
	}
	e.do("GET", "/v1/accounts/nobody/score", "")
	e.do("POST", "/v1/score", `{"rows": [{"recency_days": 3}, {"recency_days": 4}]}`)
	e.do("GET", "/no/such/path", "")
	e.do("DELETE", "/v1/model", "")
	e.do("post", "/v1/score", "")
	e.do("BREW", "/v1/model", "")
	e.do("POST", "/v1/admin/reload", "")
	if w := e.do("GET", "/metrics", ""); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	want := fmt.Sprintf(`
# HELP churn_http_requests_total HTTP requests answered, by route, method and status code.
# TYPE churn_http_requests_total counter
churn_http_requests_total{code="200",method="GET",route="/v1/accounts/:id/score"} 3
churn_http_requests_total{code="404",method="GET",route="/v1/accounts/:id/score"} 1
churn_http_requests_total{code="200",method="POST",route="/v1/score"} 1
churn_http_requests_total{code="404",method="GET",route="unmatched"} 1
churn_http_requests_total{code="405",method="DELETE",route="unmatched"} 1
churn_http_requests_total{code="405",method="POST",route="unmatched"} 1
churn_http_requests_total{code="200",method="GET",route="/metrics"} 1
churn_http_requests_total{code="405",method="unknown",route="unmatched"} 1
churn_http_requests_total{code="200",method="POST",route="/v1/admin/reload"} 1
# HELP churn_scores_served_total Scores served: account scores by id, and raw rows scored.
# TYPE churn_scores_served_total counter
churn_scores_served_total{endpoint="account"} 3
churn_scores_served_total{endpoint="row"} 2
# HELP churn_model_info The model being served: 1 for its version and kind.
# TYPE churn_model_info gauge
churn_model_info{kind="forest",version=%q} 1
# HELP churn_reloads_total Reloads attempted, by signal or by the admin route.
# TYPE churn_reloads_total counter
churn_reloads_total 1
# HELP churn_reload_failures_total Reloads rejected; the previous model kept serving.
# TYPE churn_reload_failures_total counter
churn_reload_failures_total 0
# HELP churn_active_accounts Active accounts scored from the latest snapshots.
# TYPE churn_active_accounts gauge
churn_active_accounts %d
`, fixture.versions[models.Forest], len(e.srv.state.Load().book.Accounts))
	if err := testutil.GatherAndCompare(e.srv.metrics.reg, strings.NewReader(want),
		"churn_http_requests_total", "churn_scores_served_total", "churn_model_info",
		"churn_reloads_total", "churn_reload_failures_total", "churn_active_accounts"); err != nil {
		t.Error(err)
	}
	// The latency histogram has one series per request counter series.
	if n, err := testutil.GatherAndCount(e.srv.metrics.reg, "churn_http_request_duration_seconds"); err != nil || n != 9 {
		t.Errorf("%d latency histograms (%v), want 9", n, err)
	}
	if n, err := testutil.GatherAndCount(e.srv.metrics.reg, "go_goroutines"); err != nil || n != 1 {
		t.Errorf("no Go runtime metrics (%d, %v)", n, err)
	}
}

// TestMetricsCardinality sends 10,000 hostile requests, with made-up and
// 2 KB methods and random paths, with and without the token, and expects
// them to add no series: every label value comes from a bounded set, so
// no client can grow /metrics.
func TestMetricsCardinality(t *testing.T) {
	const token = "s3cret-token"
	e := newEnv(t, models.Logistic, func(c *Config) { c.Token = token })
	id := e.anAccount()
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	paths := []string{"/v1/model", "/v1/accounts/" + id + "/score", "/v1/score", "/v1/admin/reload", "/healthz"}
	hostile := func(i int) {
		method := word(3 + rng.IntN(8))
		switch i % 4 {
		case 1:
			method = word(2048)
		case 2:
			method = []string{"GET", "POST", "get", "PATCH"}[rng.IntN(4)]
		}
		path := paths[rng.IntN(len(paths))]
		if rng.IntN(2) == 0 {
			path = "/" + word(1+rng.IntN(40)) + "/" + word(1+rng.IntN(40))
		}
		var header []string
		if rng.IntN(2) == 0 {
			header = []string{"Authorization", "Bearer " + token}
		} else if rng.IntN(2) == 0 {
			header = []string{"Authorization", "Bearer " + word(20)}
		}
		req := httptest.NewRequest("GET", path, nil)
		req.Method = method
		for j := 0; j+1 < len(header); j += 2 {
			req.Header.Set(header[j], header[j+1])
		}
		e.h.ServeHTTP(httptest.NewRecorder(), req)
	}
	series := func() int {
		t.Helper()
		n, err := testutil.GatherAndCount(e.srv.metrics.reg, "churn_http_requests_total", "churn_http_request_duration_seconds")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A first round reaches every label combination a hostile request
	// can: after it, nothing a client sends may add a series.
	for i := range 2000 {
		hostile(i)
	}
	before := series()
	for i := range 10000 {
		hostile(i)
	}
	if after := series(); after != before {
		t.Errorf("10,000 hostile requests took the series from %d to %d", before, after)
	}
	// The bound: every route, method and status this server can answer.
	if limit := 2 * 20 * 10 * 6; before > limit {
		t.Errorf("%d series after hostile requests, want at most %d", before, limit)
	}
	if w := e.do("GET", "/metrics", ""); w.Body.Len() > 256<<10 {
		t.Errorf("/metrics is %d bytes", w.Body.Len())
	}
}

// TestDriftGauges checks the drift gauges: one series per model feature
// and one for the score, with the values Book.Drift computes, set at load
// and at each reload; a model saved without a training distribution
// leaves no series behind after a reload to it.
func TestDriftGauges(t *testing.T) {
	e := newEnv(t, models.Logistic)
	st := e.srv.state.Load()
	want, err := st.book.Drift()
	if err != nil {
		t.Fatal(err)
	}
	n := len(st.model.Features)
	if len(want) != n+1 {
		t.Fatalf("%d drifts for %d features and the score", len(want), n)
	}
	check := func(stage string, features, scores int) {
		t.Helper()
		for _, c := range []struct {
			name string
			want int
		}{{"churn_feature_psi", features}, {"churn_feature_missing_share", features}, {"churn_score_psi", scores}} {
			if got, err := testutil.GatherAndCount(e.srv.metrics.reg, c.name); err != nil || got != c.want {
				t.Errorf("%s: %d series of %s (%v), want %d", stage, got, c.name, err, c.want)
			}
		}
	}
	check("at load", n, 1)
	for _, d := range want[:n] {
		if got := testutil.ToFloat64(e.srv.metrics.featurePSI.WithLabelValues(d.Name)); got != d.PSI {
			t.Errorf("churn_feature_psi{feature=%q} %v, want %v", d.Name, got, d.PSI)
		}
	}
	if got := testutil.ToFloat64(e.srv.metrics.scorePSI.WithLabelValues()); got != want[n].PSI {
		t.Errorf("churn_score_psi %v, want %v", got, want[n].PSI)
	}

	// The same model without its training distribution, as churn train
	// saved it before it recorded one.
	a, err := models.Load(e.modelDir)
	if err != nil {
		t.Fatal(err)
	}
	report, err := models.LoadReport(e.modelDir)
	if err != nil {
		t.Fatal(err)
	}
	a.Drift = nil
	if err := models.Save(e.modelDir, a, report); err != nil {
		t.Fatal(err)
	}
	if w := e.do("POST", "/v1/admin/reload", ""); w.Code != 200 {
		t.Fatalf("reload: %d %s", w.Code, w.Body)
	}
	check("after a reload to a model without one", 0, 0)
	if !strings.Contains(e.logs.String(), "no drift gauges") {
		t.Errorf("no note of the skipped drift check in the log:\n%s", e.logs.String())
	}
}
