package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/webhook"
)

// Format is the body a webhook receives.
type Format string

// The webhook formats: JSON is the alert's fields; Slack is what a Slack
// incoming webhook (and the many tools that copy it) takes, text and
// blocks.
const (
	JSON  Format = "json"
	Slack Format = "slack"
)

// ParseFormat checks s is a known format.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case JSON, Slack:
		return f, nil
	}
	return "", fmt.Errorf("webhook format %q: want json or slack", s)
}

// Payload is the JSON body of one alert, which GET /v1/alerts also
// serves, so that a receiver and a reader of the API see the same fields.
type Payload struct {
	AccountID      string  `json:"account_id"`
	Cause          string  `json:"cause"`
	Week           string  `json:"week"`
	ModelVersion   string  `json:"model_version"`
	Probability    float64 `json:"probability"`
	Previous       float64 `json:"previous_probability"`
	Health         string  `json:"health"`
	PreviousHealth string  `json:"previous_health"`
	RenewalDate    *string `json:"renewal_date"`
	DaysToRenewal  *int    `json:"days_to_renewal"`
	Message        string  `json:"message"`
}

// Body returns the request body that delivers a in format f.
func Body(a *lifecycle.Alert, f Format) ([]byte, error) {
	switch f {
	case JSON:
		return json.Marshal(PayloadOf(a))
	case Slack:
		msg := Message(a)
		type text struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		type block struct {
			Type string `json:"type"`
			Text text   `json:"text"`
		}
		return json.Marshal(struct {
			Text   string  `json:"text"`
			Blocks []block `json:"blocks"`
		}{msg, []block{{Type: "section", Text: text{Type: "mrkdwn", Text: "*Churn alert* (" + string(a.Cause) + ")\n" + msg}}}})
	}
	return nil, fmt.Errorf("webhook format %q: want json or slack", f)
}

// PayloadOf returns a's JSON body; the renewal date and days to it are
// null when the renewal is unknown.
func PayloadOf(a *lifecycle.Alert) Payload {
	p := Payload{AccountID: a.AccountID, Cause: string(a.Cause), Week: a.Week.String(), ModelVersion: a.ModelVersion,
		Probability: a.Probability, Previous: a.Previous, Health: a.Health, PreviousHealth: a.PreviousHealth, Message: Message(a)}
	if d := a.DaysToRenewal(); d >= 0 {
		s := a.RenewalDate.String()
		p.RenewalDate, p.DaysToRenewal = &s, &d
	}
	return p
}

// Marker records how a delivery went; *sqlstore.Store is one.
type Marker interface {
	MarkAlert(ctx context.Context, a lifecycle.Alert) error
}

// Defaults of Config.
const (
	DefaultMaxAttempts = webhook.DefaultMaxAttempts
	DefaultBackoff     = webhook.DefaultBackoff
	DefaultMaxBackoff  = webhook.DefaultMaxBackoff
	DefaultQueue       = 1000
)

// Config configures a Sender.
type Config struct {
	// URL is the webhook, http or https.
	URL    string
	Format Format
	// Client posts; nil means one with a 10 second timeout, so a
	// receiver that hangs counts as a failed attempt.
	Client *http.Client
	// MaxAttempts is how many times one run tries an alert before
	// recording it failed (it is tried again on the next run).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; each further
	// one doubles it, up to MaxBackoff, before jitter.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Queue is how many alerts wait for delivery at most; Enqueue
	// refuses more rather than block.
	Queue int
	// Sleep waits d or until ctx ends; nil means a timer. Tests pass a
	// fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter spreads a wait of d so that many senders retrying at once
	// do not hit the receiver together; nil means webhook.Jitter,
	// uniform in [d/2, d].
	Jitter func(d time.Duration) time.Duration
	// Now is the clock of delivery times; nil means time.Now.
	Now func() time.Time
	// Log reports deliveries and failures; nil discards.
	Log *slog.Logger
}

// Sender delivers alerts to a webhook from a bounded queue, in the
// background: Enqueue never waits on the receiver. Every outcome is
// recorded through the Marker, so an alert not delivered when the
// process stops is still pending (or failed) in the store, and sent by
// the next run.
type Sender struct {
	cfg    Config
	retry  webhook.Retry
	marker Marker
	q      chan lifecycle.Alert
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	closed    bool
	queued    map[alertKey]bool // queued or being delivered
	delivered int
	failed    int
}

// NewSender checks cfg and starts the sender's worker; Close stops it.
// marker records each outcome; nil records nothing.
func NewSender(cfg Config, marker Marker) (*Sender, error) {
	if err := webhook.CheckURL(cfg.URL); err != nil {
		return nil, err
	}
	if _, err := ParseFormat(string(cfg.Format)); err != nil {
		return nil, err
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	retry := webhook.Retry{Client: cfg.Client, MaxAttempts: cfg.MaxAttempts, Backoff: cfg.Backoff, MaxBackoff: cfg.MaxBackoff,
		Sleep: cfg.Sleep, Jitter: cfg.Jitter}.WithDefaults()
	s := &Sender{cfg: cfg, retry: retry, marker: marker, q: make(chan lifecycle.Alert, cfg.Queue), cancel: cancel, done: make(chan struct{}),
		queued: make(map[alertKey]bool)}
	go s.work(ctx)
	return s, nil
}

// alertKey identifies an alert, as the store's key does.
type alertKey struct {
	account string
	cause   lifecycle.Cause
	week    features.Date
}

func keyOf(a *lifecycle.Alert) alertKey { return alertKey{a.AccountID, a.Cause, a.Week} }

// Enqueue queues a for delivery and reports whether it was taken: when
// the queue is full or the sender closed it is not, and stays
// undelivered in the store for the next run. An alert already queued or
// being delivered is not queued twice, so a caller may queue everything
// the store holds undelivered. It never blocks.
func (s *Sender) Enqueue(a lifecycle.Alert) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.queued[keyOf(&a)] {
		return false
	}
	select {
	case s.q <- a:
		s.queued[keyOf(&a)] = true
		return true
	default:
		return false
	}
}

// Close stops taking alerts and waits until the queued ones are
// delivered or given up, or until ctx ends; then the delivery under way
// is abandoned (the alert stays pending) and ctx's error returned.
func (s *Sender) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.q)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		<-s.done
		return ctx.Err()
	}
}

// Counts returns how many alerts were delivered and how many given up
// so far.
func (s *Sender) Counts() (delivered, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered, s.failed
}

func (s *Sender) work(ctx context.Context) {
	defer close(s.done)
	for a := range s.q {
		if ctx.Err() == nil { // else closing: what is left stays pending in the store
			s.deliver(ctx, a)
		}
		s.mu.Lock()
		delete(s.queued, keyOf(&a))
		s.mu.Unlock()
	}
}

// deliver tries a until it is accepted, refused for good, out of
// attempts or ctx ends, and records the outcome.
func (s *Sender) deliver(ctx context.Context, a lifecycle.Alert) {
	log := s.cfg.Log.With("account_id", a.AccountID, "cause", a.Cause, "week", a.Week.String())
	body, err := Body(&a, s.cfg.Format)
	if err != nil {
		a.Status, a.LastError = lifecycle.Failed, err.Error()
	} else {
		n, err := s.retry.Post(ctx, s.cfg.URL, body)
		a.Attempts += n
		switch {
		case err == nil:
			a.Status, a.LastError, a.DeliveredAt = lifecycle.Delivered, "", s.cfg.Now()
		case errors.Is(err, webhook.ErrInterrupted):
			a.Status, a.LastError = lifecycle.Pending, err.Error()
		default:
			a.Status, a.LastError = lifecycle.Failed, err.Error()
		}
	}
	s.mu.Lock()
	switch a.Status {
	case lifecycle.Delivered:
		s.delivered++
		log.Info("alert delivered", "attempts", a.Attempts)
	case lifecycle.Failed:
		s.failed++
		log.Warn("alert not delivered; it is tried again on the next run", "attempts", a.Attempts, "err", a.LastError)
	}
	s.mu.Unlock()
	if s.marker == nil {
		return
	}
	// The outcome is recorded even when closing cancelled ctx.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.marker.MarkAlert(mctx, a); err != nil {
		log.Error("recording the alert's delivery", "err", err)
	}
}
