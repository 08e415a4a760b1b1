package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/ranking"
	"github.com/churnlabs/churn/models/webhook"
)

// DefaultBatch is how many records one request of a push carries by
// default: small enough for the bulk endpoints of the common CRMs and
// for the integration tools in between (Salesforce's composite
// collections take 200 records at a time, HubSpot's batch upsert 100,
// so a receiver splits a batch further anyway), large enough that a book
// of 100,000 accounts is 200 requests.
const DefaultBatch = 500

// PushConfig configures a Pusher.
type PushConfig struct {
	// URL is the webhook, http or https.
	URL string
	// CRM names the field names the records carry (see Names).
	CRM string
	// Batch is how many records one request carries at most; 0 means
	// DefaultBatch.
	Batch int
	// Retry is how each request is posted and retried.
	Retry webhook.Retry
	// Done, when not nil, is told each batch's outcome, on the pusher's
	// goroutine: it must not block.
	Done func(BatchResult)
	// Log reports pushes and failures; nil discards.
	Log *slog.Logger
}

// Check reports what makes c unusable.
func (c PushConfig) Check() error {
	if err := webhook.CheckURL(c.URL); err != nil {
		return err
	}
	if _, err := Lookup(c.CRM); err != nil {
		return err
	}
	if c.Batch < 0 {
		return fmt.Errorf("CRM batch of %d records: want at least 1", c.Batch)
	}
	return nil
}

// BatchResult is the outcome of one batch of a push.
type BatchResult struct {
	// Records is how many records the batch held.
	Records int
	// Attempts is how many requests were made: 0 for records not sent
	// because an earlier batch of the same push found the receiver down.
	Attempts int
	// Err is nil when the receiver accepted the batch, else why the
	// records were not delivered.
	Err error
}

// request is the JSON body of one POST: the records of one batch of a
// week's push, with what identifies it. Each record's keys are the CSV
// columns of churn score --format crm for the CRM, in the same order;
// the probability is a number, a renewal date unknown is null, the rest
// are strings, each exactly the CSV's cell.
type request struct {
	CRM          string `json:"crm"`
	Week         string `json:"week"`
	ModelVersion string `json:"model_version"`
	ScoredAt     string `json:"scored_at"`
	// Batch is this request's place (from 1) among Batches, the
	// requests of the week's push: a receiver can tell it has them all.
	Batch   int      `json:"batch"`
	Batches int      `json:"batches"`
	Records []record `json:"records"`
}

// record is one account's fields, in Header's order.
type record struct {
	header, cells []string
}

// MarshalJSON writes the record as an object in the header's order.
func (r record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range r.header {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		switch v := r.cells[i]; {
		case i == colProbability:
			b.WriteString(v) // strconv's 'f' format is a JSON number
		case i == colRenewal && v == "":
			b.WriteString("null")
		default:
			s, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			b.Write(s)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Pusher pushes books of scores to a CRM webhook in the background:
// Push never waits on the receiver. One push is under way at a time;
// a book that arrives meanwhile waits, and a newer one replaces it, as
// the CRM is to hold the latest scores (it upserts by external id).
type Pusher struct {
	cfg  PushConfig
	cols Columns
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}

	mu      sync.Mutex
	pending *push
	last    pushKey // the week and model of the latest book queued
	closed  bool
}

// push is one book to push.
type push struct {
	book *ranking.Book
	at   time.Time
	key  pushKey
}

// pushKey is what a push is done once for.
type pushKey struct {
	week    features.Date
	version string
}

// NewPusher checks cfg and starts the pusher's worker; Close stops it.
func NewPusher(cfg PushConfig) (*Pusher, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cols, _ := Lookup(cfg.CRM)
	if cfg.Batch == 0 {
		cfg.Batch = DefaultBatch
	}
	cfg.Retry = cfg.Retry.WithDefaults() // one client for every request
	if cfg.Done == nil {
		cfg.Done = func(BatchResult) {}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pusher{cfg: cfg, cols: cols, log: log.With("crm", cfg.CRM), ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go p.work()
	return p, nil
}

// Push queues b's accounts, scored at scoredAt, to be pushed, and
// reports whether it did. A book of the same week and model version as
// the last one queued is not pushed again (a reload that changed
// nothing), nor is a book with no accounts. It never blocks.
func (p *Pusher) Push(b *ranking.Book, scoredAt time.Time) bool {
	if b == nil || b.Model == nil || len(b.Accounts) == 0 {
		return false
	}
	key := pushKey{b.AsOf, b.Model.Version}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || key == p.last {
		return false
	}
	if old := p.pending; old != nil {
		p.log.Info("CRM push replaced by a newer book before it started",
			"week", old.key.week.String(), "model_version", old.key.version)
	}
	p.pending, p.last = &push{book: b, at: scoredAt, key: key}, key
	select {
	case p.wake <- struct{}{}:
	default: // the worker is already awake
	}
	return true
}

// Close stops taking books and waits until the push under way and the
// one waiting are done, or until ctx ends; then the retries under way
// are abandoned and ctx's error returned.
func (p *Pusher) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	p.mu.Unlock()
	select {
	case <-p.done:
		p.cancel()
		return nil
	case <-ctx.Done():
		p.cancel()
		<-p.done
		return ctx.Err()
	}
}

func (p *Pusher) work() {
	defer close(p.done)
	for {
		p.mu.Lock()
		job, closed := p.pending, p.closed
		p.pending = nil
		p.mu.Unlock()
		if job != nil {
			p.push(job)
			continue
		}
		if closed {
			return
		}
		<-p.wake
	}
}

// push posts job's records batch by batch. A batch refused for good
// (its records rejected) does not stop the others; one given up after
// its attempts, or interrupted by Close, means the receiver is down, and
// the rest of the week is not sent. A push that did not deliver every
// record is forgotten, so that the next book of the same week and model
// (the next reload or restart) pushes it again.
func (p *Pusher) push(job *push) {
	b := job.book
	log := p.log.With("week", job.key.week.String(), "model_version", job.key.version)
	start := time.Now()
	n, size := len(b.Accounts), p.cfg.Batch
	body := request{CRM: p.cfg.CRM, Week: b.AsOf.String(), ModelVersion: b.Model.Version, ScoredAt: formatScoredAt(job.at),
		Batches: (n + size - 1) / size}
	header := p.cols.Header(b)
	delivered, failed := 0, 0
	var lastErr error
	for i := 0; i < body.Batches; i++ {
		accounts := b.Accounts[i*size : min(n, (i+1)*size)]
		body.Batch = i + 1
		body.Records = body.Records[:0]
		for _, a := range accounts {
			body.Records = append(body.Records, record{header, p.cols.row(make([]string, nCols), a, body.ModelVersion, body.ScoredAt, b.HasRenewalType)})
		}
		res := BatchResult{Records: len(accounts)}
		data, err := json.Marshal(&body)
		if err != nil {
			res.Err = fmt.Errorf("encode batch %d: %w", body.Batch, err)
		} else {
			res.Attempts, res.Err = p.cfg.Retry.Post(p.ctx, p.cfg.URL, data)
		}
		if res.Err != nil {
			p.forget(job.key) // before Done, so that whoever it tells may push again
		}
		p.cfg.Done(res)
		if res.Err == nil {
			delivered += res.Records
			continue
		}
		failed += res.Records
		lastErr = res.Err
		log.Warn("CRM batch not delivered", "batch", body.Batch, "batches", body.Batches, "records", res.Records,
			"attempts", res.Attempts, "err", res.Err)
		if errors.Is(res.Err, webhook.ErrRefused) {
			continue
		}
		if rest := n - (i+1)*size; rest > 0 {
			p.cfg.Done(BatchResult{Records: rest, Err: fmt.Errorf("not sent after batch %d failed: %w", body.Batch, res.Err)})
			failed += rest
		}
		break
	}
	if failed == 0 {
		log.Info("CRM push delivered", "records", delivered, "requests", body.Batches, "took", time.Since(start))
		return
	}
	log.Error("CRM push incomplete; the next reload or restart of this week pushes it again",
		"delivered", delivered, "failed", failed, "err", lastErr)
}

// forget lets the next book of key's week and model be pushed again,
// unless a newer one was queued since.
func (p *Pusher) forget(key pushKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == key {
		p.last = pushKey{}
	}
}
