package serve

import (
	"context"
	"sync"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/ranking"
)

// ScoreHistory keeps the scores a server has shown, week by week
// (sqlstore.Store is one).
type ScoreHistory interface {
	// RecordScores stores scores, replacing those of the same week and
	// model version.
	RecordScores(ctx context.Context, recs []lifecycle.ScoreRecord) (int, error)
	// ShownHistory returns the scores shown in the weeks from from to
	// to, by account.
	ShownHistory(ctx context.Context, from, to features.Date) (map[string][]lifecycle.WeekScore, error)
}

// Alerter raises the alerts of the latest recorded week and queues
// them for delivery (alerts.Notifier is one). renewals are the renewal
// dates the book knows, by account; windows, under Config.Segments, each
// account's renewal window in days, its segment's lead time (nil
// without segments). It must not wait on a webhook.
type Alerter interface {
	Notify(ctx context.Context, renewals map[string]features.Date, windows map[string]int) (int, error)
}

// recordTimeout bounds one recording: a store that hangs must not keep a
// recording, and Close, waiting for ever.
const recordTimeout = 5 * time.Minute

// useShownHistory replaces the book's past weeks by the scores recorded
// as shown, before the book is published. A store that cannot be read
// leaves the rescored history in place: the history is a courtesy, the
// scores are the service.
func (s *Server) useShownHistory(ctx context.Context, book *ranking.Book) {
	if s.cfg.Scores == nil || len(book.Accounts) == 0 {
		return
	}
	start := time.Now()
	shown, err := s.cfg.Scores.ShownHistory(ctx, book.HistoryStart(), book.AsOf.AddDays(-1))
	if err != nil {
		s.metrics.historyFailures.WithLabelValues("read").Inc()
		s.log.Error("score history not read; past weeks are scored again with this model", "err", err)
		return
	}
	n := book.UseRecorded(lifecycle.Shown(shown))
	s.log.Debug("score history read", "weekly_scores", n, "took", time.Since(start))
}

// recorder records the books a server loads into its ScoreHistory, the
// served model's and its shadow's, one state at a time, off the request
// and reload paths. A state that arrives while one is being recorded
// waits; a newer one replaces it, as the latest is the one being shown.
type recorder struct {
	s *Server

	mu      sync.Mutex
	pending *state
	running bool
	wg      sync.WaitGroup
}

// record queues st's books to be recorded.
func (r *recorder) record(st *state) {
	if r.s.cfg.Scores == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = st
	if r.running {
		return
	}
	r.running = true
	r.wg.Add(1)
	go r.run()
}

// run records pending books until none is left.
func (r *recorder) run() {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		st := r.pending
		r.pending = nil
		if st == nil {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		r.recordNow(st)
	}
}

// recordNow records st's book, then its shadow's in a transaction of
// its own, so that a shadow's failure never costs the shown scores; a
// failure is logged and counted, nothing more.
func (r *recorder) recordNow(st *state) {
	s := r.s
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	b := st.book
	start := time.Now()
	n, err := s.cfg.Scores.RecordScores(ctx, lifecycle.Records(b))
	if err != nil {
		s.metrics.historyFailures.WithLabelValues("record").Inc()
		s.log.Error("score history not recorded", "model_version", b.Model.Version, "as_of", b.AsOf.String(), "err", err)
	} else {
		s.perf.invalidate()
		s.metrics.historyRecorded.Inc()
		s.log.Info("score history recorded", "model_version", b.Model.Version, "as_of", b.AsOf.String(),
			"scores", n, "took", time.Since(start))
		s.alert(ctx, b)
	}
	if st.shadow == nil {
		return
	}
	b = st.shadow.book
	start = time.Now()
	n, err = s.cfg.Scores.RecordScores(ctx, shadowRecords(st.shadow))
	if err != nil {
		s.metrics.shadowFailures.WithLabelValues("record").Inc()
		s.log.Error("shadow scores not recorded", "shadow_version", b.Model.Version, "as_of", b.AsOf.String(), "err", err)
		return
	}
	s.perf.invalidate()
	s.metrics.shadowRecorded.Inc()
	s.log.Info("shadow scores recorded", "shadow_version", b.Model.Version, "as_of", b.AsOf.String(),
		"scores", n, "took", time.Since(start))
}

// alert hands the week just recorded to Config.Alerts, on the
// recorder's goroutine: the alerts are raised once the scores they
// compare are stored, and neither a load nor a request waits for them.
// A failure is logged.
func (s *Server) alert(ctx context.Context, b *ranking.Book) {
	if s.cfg.Alerts == nil {
		return
	}
	renewals := make(map[string]features.Date)
	var windows map[string]int
	if s.cfg.Segments != nil {
		windows = s.cfg.Segments.Windows(b)
	}
	for _, a := range b.Accounts {
		if a.RenewalDate != features.NoDate {
			renewals[a.AccountID] = a.RenewalDate
		}
	}
	n, err := s.cfg.Alerts.Notify(ctx, renewals, windows)
	if err != nil {
		s.log.Error("alerts not raised", "as_of", b.AsOf.String(), "err", err)
		return
	}
	s.log.Info("alerts raised", "as_of", b.AsOf.String(), "new", n)
}

// wait waits for the recordings queued so far.
func (r *recorder) wait() { r.wg.Wait() }
