package serve

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

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
	go func() { served <- e.srv.ServeListener(ctx, ln) }()
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

// TestServeReloadsOnSIGHUP sends the process a real SIGHUP while Serve
// runs and expects the new model served.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	e := newEnv(t, models.Logistic)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base, served := start(t, e, ctx)
	// ServeListener installs its signal handler before it serves, so an
	// answered request means a SIGHUP can no longer kill the test.
	if status, body, err := get(base + "/healthz"); err != nil || status != 200 {
		t.Fatalf("healthz: %d %s %v", status, body, err)
	}
	installModel(t, models.GBM, e.modelDir)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	want := fixture.versions[models.GBM]
	for deadline := time.Now().Add(20 * time.Second); e.srv.ModelVersion() != want; {
		if time.Now().After(deadline) {
			t.Fatalf("still serving %s after SIGHUP, want %s", e.srv.ModelVersion(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status, body, _ := get(base + "/v1/model"); status != 200 || !strings.Contains(body, want) {
		t.Errorf("model after SIGHUP: %d %s", status, body)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestServeBadAddress(t *testing.T) {
	e := newEnv(t, models.Logistic)
	if err := e.srv.Serve(t.Context(), "127.0.0.1:http-alt-nope"); err == nil {
		t.Fatal("Serve on a bad address returned nil")
	}
}
