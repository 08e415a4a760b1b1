// Package webhook posts JSON bodies to a webhook the way every sender of
// churn does (the alerts, the CRM push): a 2xx accepts; a network error,
// 408, 429 or 5xx is tried again after an exponential backoff with
// jitter, up to a number of attempts; any other status refuses for good.
// It holds no queue: its callers post from goroutines of their own, so
// that scoring never waits on a receiver.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// Defaults of Retry.
const (
	DefaultMaxAttempts = 5
	DefaultBackoff     = time.Second
	DefaultMaxBackoff  = 5 * time.Minute
	// DefaultTimeout bounds one attempt of the default client, so that a
	// receiver that hangs counts as a failed attempt.
	DefaultTimeout = 10 * time.Second
)

// ErrRefused marks a refusal that retrying will not change: a 4xx other
// than 408 and 429, or a request that cannot be built.
var ErrRefused = errors.New("refused")

// ErrInterrupted marks a post whose context ended before its attempts
// were used up: the body may be worth sending again later.
var ErrInterrupted = errors.New("interrupted")

// Retry is how a body is posted: the client and the retry schedule. The
// zero value posts with the defaults.
type Retry struct {
	// Client posts; nil means one with a DefaultTimeout timeout.
	Client *http.Client
	// MaxAttempts is how many times Post tries a body before it gives
	// up; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; each further
	// one doubles it, up to MaxBackoff, before jitter. 0 means the
	// defaults.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Sleep waits d or until ctx ends; nil means a timer. Tests pass a
	// fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter spreads a wait of d so that many senders retrying at once
	// do not hit the receiver together; nil means Jitter.
	Jitter func(d time.Duration) time.Duration
}

// WithDefaults returns r with its zero fields filled in.
func (r Retry) WithDefaults() Retry {
	if r.Client == nil {
		r.Client = &http.Client{Timeout: DefaultTimeout}
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.Backoff <= 0 {
		r.Backoff = DefaultBackoff
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = DefaultMaxBackoff
	}
	if r.Sleep == nil {
		r.Sleep = sleep
	}
	if r.Jitter == nil {
		r.Jitter = Jitter
	}
	return r
}

// CheckURL reports what makes raw unfit as a webhook URL.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook %q: want an http or https URL", raw)
	}
	return nil
}

// Post posts body (JSON) to url until it is accepted, refused for good,
// out of attempts or ctx ends, and returns how many attempts it made.
// The error is nil when accepted; otherwise it is the last attempt's,
// and errors.Is it ErrRefused when refused for good, or ErrInterrupted
// when ctx ended before the attempts were used up.
func (r Retry) Post(ctx context.Context, url string, body []byte) (attempts int, err error) {
	r = r.WithDefaults()
	for attempts = 1; ; attempts++ {
		err = r.post(ctx, url, body)
		if err == nil || errors.Is(err, ErrRefused) || attempts >= r.MaxAttempts {
			return attempts, err
		}
		if ctx.Err() != nil || r.Sleep(ctx, r.Jitter(r.backoff(attempts))) != nil {
			return attempts, interrupted{err}
		}
	}
}

// interrupted is an attempt's error when ctx ended before the next one:
// it reads as that error and is ErrInterrupted.
type interrupted struct{ err error }

func (e interrupted) Error() string        { return e.err.Error() }
func (e interrupted) Unwrap() error        { return e.err }
func (e interrupted) Is(target error) bool { return target == ErrInterrupted }

// backoff is the wait after failed attempt n (from 1): Backoff doubled
// n-1 times, at most MaxBackoff.
func (r Retry) backoff(n int) time.Duration {
	d := r.Backoff
	for i := 1; i < n && d < r.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff)
}

// post sends body once. A 2xx accepts; 408, 429 and 5xx, like a network
// error, are worth another try; any other status refuses for good.
func (r Retry) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRefused, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post to the webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook answered HTTP %d", c)
	default:
		return fmt.Errorf("%w: webhook answered HTTP %d", ErrRefused, c)
	}
}

// Jitter is the default Retry.Jitter: uniform in [d/2, d].
func Jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
