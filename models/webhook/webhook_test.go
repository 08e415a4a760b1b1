package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock records the waits a post asks for instead of waiting; it
// ends ctx after cancelAfter waits when cancelAfter is set.
type fakeClock struct {
	mu          sync.Mutex
	sleeps      []time.Duration
	cancelAfter int
	cancel      context.CancelFunc
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if c.cancelAfter > 0 && len(c.sleeps) >= c.cancelAfter {
		c.cancel()
	}
	return ctx.Err()
}

// TestPost posts to receivers that answer a status for their first
// attempts and 200 afterwards: which statuses are retried, after which
// waits, and which error Post returns.
func TestPost(t *testing.T) {
	for _, tt := range []struct {
		name         string
		status       int
		fail         int // the first fail requests answer status; -1: all
		cancelAfter  int // the clock ends the context after this many waits
		wantAttempts int
		wantSleeps   []time.Duration
		wantErr      error // nil: accepted
		wantText     string
	}{
		{"accepts at once", 503, 0, 0, 1, nil, nil, ""},
		{"503 twice then accepts", 503, 2, 0, 3, []time.Duration{time.Second, 2 * time.Second}, nil, ""},
		{"408 is retried", 408, 1, 0, 2, []time.Duration{time.Second}, nil, ""},
		{"429 is retried", 429, 1, 0, 2, []time.Duration{time.Second}, nil, ""},
		{"always 500: gives up", 500, -1, 0, 5, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second}, errors.New("gave up"), "HTTP 500"},
		{"400 is refused at once", 400, -1, 0, 1, nil, ErrRefused, "HTTP 400"},
		{"404 is refused at once", 404, -1, 0, 1, nil, ErrRefused, "HTTP 404"},
		{"interrupted while waiting", 503, -1, 2, 2, []time.Duration{time.Second, 2 * time.Second}, ErrInterrupted, "HTTP 503"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(requests.Add(1))
				if r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
				}
				if tt.fail < 0 || n <= tt.fail {
					w.WriteHeader(tt.status)
				}
			}))
			defer srv.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clock := &fakeClock{cancelAfter: tt.cancelAfter, cancel: cancel}
			r := Retry{MaxAttempts: 5, Backoff: time.Second, MaxBackoff: 5 * time.Second, Sleep: clock.Sleep,
				Jitter: func(d time.Duration) time.Duration { return d }}
			n, err := r.Post(ctx, srv.URL, []byte(`{}`))
			if n != tt.wantAttempts || int(requests.Load()) != tt.wantAttempts {
				t.Errorf("attempts %d, receiver saw %d; want %d", n, requests.Load(), tt.wantAttempts)
			}
			if !slices.Equal(clock.sleeps, tt.wantSleeps) {
				t.Errorf("waits %v, want %v", clock.sleeps, tt.wantSleeps)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v, want accepted", err)
			case tt.wantErr != nil && (err == nil || !strings.Contains(err.Error(), tt.wantText)):
				t.Errorf("err = %v, want one saying %q", err, tt.wantText)
			case errors.Is(tt.wantErr, ErrRefused) != errors.Is(err, ErrRefused),
				errors.Is(tt.wantErr, ErrInterrupted) != errors.Is(err, ErrInterrupted):
				t.Errorf("err = %v: refused %t, interrupted %t; want %v", err, errors.Is(err, ErrRefused), errors.Is(err, ErrInterrupted), tt.wantErr)
			}
		})
	}
}

// TestPostNetworkError: a receiver that is not there is retried, then
// given up, with the network error.
func TestPostNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	clock := &fakeClock{}
	n, err := Retry{MaxAttempts: 3, Sleep: clock.Sleep}.Post(context.Background(), url, nil)
	if n != 3 || err == nil || errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "post to the webhook") {
		t.Errorf("Post to a closed server = %d attempts, %v; want 3 and the network error", n, err)
	}
	if len(clock.sleeps) != 2 {
		t.Errorf("waits %v, want 2", clock.sleeps)
	}
}

// TestJitterAndCheckURL: the jitter stays within [d/2, d]; CheckURL
// takes http and https URLs only.
func TestJitterAndCheckURL(t *testing.T) {
	for d := time.Duration(2); d < time.Hour; d *= 7 {
		if j := Jitter(d); j < d/2 || j > d {
			t.Errorf("Jitter(%v) = %v, want within [%v, %v]", d, j, d/2, d)
		}
	}
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://hooks.example.com/x", true},
		{"http://127.0.0.1:8080/crm", true},
		{"ftp://x", false},
		{"hooks.slack.com/x", false},
		{"https://", false},
	} {
		if err := CheckURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v, want ok %t", tt.url, err, tt.ok)
		}
	}
}
