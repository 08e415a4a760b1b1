package serve

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/churnlabs/churn/models"
)

// quiet drops the debug request log that tests keep, which a benchmark
// would otherwise time and accumulate.
func quiet(c *Config) { c.Logger = nil }

// benchmark times one request through the whole handler, middleware
// included, with no network.
func benchmark(b *testing.B, e *env, method, path, body string) {
	b.Helper()
	if w := e.do(method, path, body); w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, path, r)
		e.h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkHealthz is the floor: routing, middleware and a fixed body.
func BenchmarkHealthz(b *testing.B) {
	e := newEnv(b, models.GBM, quiet)
	benchmark(b, e, "GET", "/healthz", "")
}

// BenchmarkAccountScore serves an account's score with its
// contributions, for each kind of model.
func BenchmarkAccountScore(b *testing.B) {
	for _, kind := range models.Kinds {
		b.Run(kind, func(b *testing.B) {
			e := newEnv(b, kind, quiet)
			benchmark(b, e, "GET", "/v1/accounts/"+e.anAccount()+"/score", "")
		})
	}
}

// BenchmarkScoreRow scores and explains one raw row sent in the request,
// the cost that the account route pays once at load.
func BenchmarkScoreRow(b *testing.B) {
	for _, kind := range models.Kinds {
		b.Run(kind, func(b *testing.B) {
			e := newEnv(b, kind, quiet)
			benchmark(b, e, "POST", "/v1/score",
				`{"features": {"logins_4w_mean": 2.5, "recency_days": 40, "overdue_invoices": 1, "tenure_weeks": 60, "log_arr": 10.2}}`)
		})
	}
}

// BenchmarkRanking serves the top 50 accounts.
func BenchmarkRanking(b *testing.B) {
	e := newEnv(b, models.GBM, quiet)
	benchmark(b, e, "GET", "/v1/ranking?limit=50", "")
}

// BenchmarkHealthzAccessLog is BenchmarkHealthz with the access log on:
// the difference is what a log line costs a request.
func BenchmarkHealthzAccessLog(b *testing.B) {
	e := newEnv(b, models.GBM, quiet, func(c *Config) { c.AccessLog = io.Discard })
	benchmark(b, e, "GET", "/healthz", "")
}
