package serve

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/churnlabs/churn/models"
)

// TestAccessLog sends requests and expects one JSON record each, with
// the method folded and the path cut short when the client sent junk.
func TestAccessLog(t *testing.T) {
	var out syncBuffer
	e := newEnv(t, models.Logistic, func(c *Config) { c.AccessLog = &out })
	id := e.anAccount()
	long := "/" + strings.Repeat("x", 4000)
	type record struct {
		Msg        string  `json:"msg"`
		Method     string  `json:"method"`
		Route      string  `json:"route"`
		Path       string  `json:"path"`
		Status     int     `json:"status"`
		Bytes      int     `json:"bytes"`
		Duration   float64 `json:"duration"`
		RemoteAddr string  `json:"remote_addr"`
	}
	var sizes []int
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/accounts/" + id + "/score"},
		{strings.Repeat("X", 2048), "/v1/model"},
		{"GET", long},
	} {
		req := httptest.NewRequest("GET", r.path, nil)
		req.Method = r.method
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		sizes = append(sizes, w.Body.Len())
	}
	e.srv.Close() // flushes the log
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d records for 3 requests:\n%s", len(lines), out.String())
	}
	want := []record{
		{"request", "GET", "/v1/accounts/:id/score", "/v1/accounts/" + id + "/score", 200, sizes[0], 0, "192.0.2.1:1234"},
		{"request", "unknown", "unmatched", "/v1/model", 405, sizes[1], 0, "192.0.2.1:1234"},
		{"request", "GET", "unmatched", long[:maxLoggedPath] + "...", 404, sizes[2], 0, "192.0.2.1:1234"},
	}
	for i, line := range lines {
		var got record
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("record %d is not JSON: %v: %s", i, err, line)
		}
		if got.Duration <= 0 || got.Duration > 10 {
			t.Errorf("record %d: duration %v seconds", i, got.Duration)
		}
		got.Duration = 0
		if got != want[i] {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	if len(out.String()) > 2000 {
		t.Errorf("%d bytes of log for 3 requests", len(out.String()))
	}
}

// blockedWriter blocks every write until released, like a log pipe
// that nobody reads.
type blockedWriter struct{ release chan struct{} }

func (w blockedWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

// TestAccessLogNeverBlocks serves through an access log whose writer
// is stuck: requests must still be answered, and the records that do
// not fit the queue dropped and counted.
func TestAccessLogNeverBlocks(t *testing.T) {
	w := blockedWriter{make(chan struct{})}
	e := newEnv(t, models.Logistic, func(c *Config) { c.AccessLog = w })
	defer close(w.release)
	const requests = accessLogQueue + 100
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range requests / 4 {
					e.do("GET", "/healthz", "")
				}
			})
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("requests blocked on the access log's writer")
	}
	if n := testutil.ToFloat64(e.srv.metrics.accessLogDropped); n < 99 {
		t.Errorf("%v records dropped, want at least 99", n)
	}
}
