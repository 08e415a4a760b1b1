package serve

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// start serves e on a loopback port until the test ends, and returns the
// base URL and the channel Serve's result arrives on.
func start(t *testing.T, e *env, ctx context.Context) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), served
}

// get fetches url with a fresh connection, so no test leaves an idle
// keep-alive connection behind for the next.
func get(url string) (int, string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestServeDrainsOnShutdown cancels Serve's context while a request is
// in flight and expects the request to finish, readiness to drop, new
// connections to be refused, and Serve to return nil.
func TestServeDrainsOnShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	e := newEnv(t, models.Logistic, func(c *Config) {
		c.Dashboard = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
			fmt.Fprint(w, "slow page")
		})
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base, served := start(t, e, ctx)

	type result struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		status, body, err := get(base + "/")
		inflight <- result{status, body, err}
	}()
	<-started
	cancel()
	for !e.srv.draining.Load() {
		time.Sleep(time.Millisecond)
	}
	if w := e.do("GET", "/readyz", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz while draining: status %d", w.Code)
	}
	if w := e.do("GET", "/v2/health/ready", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("OIP ready while draining: status %d", w.Code)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if r := <-inflight; r.err != nil || r.status != 200 || r.body != "slow page" {
		t.Errorf("in-flight request: %d %q %v", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, _, err := get(base + "/healthz"); err == nil {
		t.Error("a new connection was served after shutdown")
	}
}

func TestServeBadAddress(t *testing.T) {
	e := newEnv(t, models.Logistic)
	if err := e.srv.ListenAndServe(t.Context(), "127.0.0.1:http-alt-nope"); err == nil {
		t.Fatal("Serve on a bad address returned nil")
	}
}

// TestShutdownLosesNoKeepAliveRequest runs keep-alive clients in a loop
// while the server shuts down, as a load balancer's backends see a
// rollout: readiness must turn 503 while the server still serves, and
// clients that stop once it has must see no request fail.
func TestShutdownLosesNoKeepAliveRequest(t *testing.T) {
	const drain = 300 * time.Millisecond
	e := newEnv(t, models.Logistic, func(c *Config) { c.Drain = drain })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base, served := start(t, e, ctx)

	// The load balancer: it stops sending once readiness fails.
	var stop atomic.Bool
	readyz := make(chan string, 1)
	go func() {
		for !stop.Load() {
			status, body, err := get(base + "/readyz")
			if err != nil || status != 200 {
				readyz <- fmt.Sprintf("%d %s %v", status, body, err)
				stop.Store(true)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()

	const clients = 16
	var wg sync.WaitGroup
	var requests, failed, closing atomic.Int64
	for range clients {
		wg.Go(func() {
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
			defer c.CloseIdleConnections()
			for !stop.Load() {
				resp, err := c.Get(base + "/v1/model")
				if err != nil {
					failed.Add(1)
					t.Errorf("request failed during shutdown: %v", err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					t.Errorf("request failed during shutdown: status %d, %v", resp.StatusCode, err)
					return
				}
				if resp.Close {
					closing.Add(1)
				}
				requests.Add(1)
			}
		})
	}
	for requests.Load() < 5*clients {
		time.Sleep(time.Millisecond)
	}
	began := time.Now()
	cancel()
	var got string
	select {
	case got = <-readyz:
	case <-time.After(5 * time.Second):
		stop.Store(true)
		t.Fatal("readiness never failed")
	}
	if !strings.HasPrefix(got, "503 ") || !strings.Contains(got, "draining") {
		t.Errorf("readyz while draining: %s", got)
	}
	wg.Wait()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if took := time.Since(began); took < drain {
		t.Errorf("Serve returned %v after the signal, before the %v drain period", took, drain)
	}
	t.Logf("%d requests, %d failed, %d answered with Connection: close", requests.Load(), failed.Load(), closing.Load())
	if closing.Load() == 0 {
		t.Error("no response told its client the connection would close")
	}
}

// TestReloadOutlastsWriteTimeout reloads over HTTP through a reload that
// takes longer than the server's write timeout, as a million accounts'
// does, and expects the caller to get its 200 and the new book.
func TestReloadOutlastsWriteTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	var slow atomic.Bool
	e := newEnv(t, models.Logistic, func(c *Config) {
		open := c.Snapshots.Open
		c.Snapshots.Open = func() (features.SnapshotReader, error) {
			if slow.Load() {
				time.Sleep(3 * timeout)
			}
			return open()
		}
	})
	e.srv.writeTimeout = timeout
	base, _ := start(t, e, t.Context())
	slow.Store(true)
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	resp, err := c.Post(base+"/v1/admin/reload", "application/json", nil)
	if err != nil {
		t.Fatalf("reload outlasting the write timeout: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"active_accounts"`) {
		t.Fatalf("reload: status %d, body %q, %v", resp.StatusCode, b, err)
	}
}
