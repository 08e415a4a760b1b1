package serve

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/monitor"
)

// performance answers GET /v1/model/performance: the recorded scores of
// every matured week checked against the churn the served snapshots
// show, as "churn monitor" prints them, over the served model's horizon.
// The report is computed once and kept until the server records scores
// or loads a new model or snapshots (see perfCache), as rereading a
// year of scores on every request, for an answer that changes weekly,
// would make each dashboard visit cost a full scan of the history. It
// also sets the churn_realized_* and churn_shadow_roc_auc_* gauges when
// it computes the report.
func (s *Server) performance(c *gin.Context) {
	// The generation is read before the state, so that a report
	// computed from a state replaced meanwhile is never kept as current
	// (see perfCache).
	gen := s.perf.generation()
	st := s.state.Load()
	if st.table != nil {
		s.fail(c, http.StatusNotFound, errTableModel)
		return
	}
	h, ok := s.cfg.Scores.(monitor.History)
	if !ok || st.fates == nil {
		s.fail(c, http.StatusNotFound, "no score history: the server was started with --db off")
		return
	}
	rep, err := s.perf.get(c.Request.Context(), st, gen, func(ctx context.Context) (*monitor.Report, error) {
		horizons, err := s.versionHorizons(ctx, st)
		if err != nil {
			return nil, err
		}
		rep, err := monitor.Run(ctx, h, st.fates, monitor.Options{Horizon: st.model.Horizon, Horizons: horizons, AsOf: st.lastWeek})
		if err == nil {
			s.setRealizedGauges(rep)
		}
		return rep, err
	})
	if err != nil {
		if ctxErr := c.Request.Context().Err(); ctxErr != nil {
			s.fail(c, http.StatusServiceUnavailable, "realized outcomes: "+ctxErr.Error())
			return
		}
		s.fail(c, http.StatusInternalServerError, "realized outcomes: "+err.Error())
		return
	}
	s.reply(c, http.StatusOK, rep)
}

// versionLister is a score store that also keeps the model versions
// registered with it (sqlstore.Store).
type versionLister interface {
	ModelVersions(ctx context.Context) ([]lifecycle.ModelVersion, error)
}

// versionHorizons is monitor.Options.Horizons for st: every version the
// store knows, and st's shadow, judged over its own horizon, as "churn
// monitor" judges them, so that a version trained for another horizon
// than the served model's is not labelled over the served one's.
func (s *Server) versionHorizons(ctx context.Context, st *state) (map[string]int, error) {
	horizons := map[string]int{}
	if l, ok := s.cfg.Scores.(versionLister); ok {
		versions, err := l.ModelVersions(ctx)
		if err != nil {
			return nil, fmt.Errorf("model versions: %w", err)
		}
		horizons = monitor.VersionHorizons(versions, st.model.Horizon)
	}
	if st.shadow != nil {
		if a := st.shadow.book.Model; a.Horizon >= 1 && a.Horizon != st.model.Horizon {
			horizons[a.Version] = a.Horizon
		}
	}
	delete(horizons, st.model.Version) // the served model's is Horizon
	return horizons, nil
}

// setRealizedGauges publishes rep in the churn_realized_* gauges.
func (s *Server) setRealizedGauges(rep *monitor.Report) {
	s.metrics.realizedAUC.Reset()
	s.metrics.realizedRows.Reset()
	for _, g := range rep.Groups {
		s.metrics.realizedRows.WithLabelValues(g.ModelVersion, g.Segment).Set(float64(g.Rows))
		if g.AUC.Estimate == g.AUC.Estimate { // not NaN: both classes seen
			s.metrics.realizedAUC.WithLabelValues(g.ModelVersion, g.Segment).Set(g.AUC.Estimate)
		}
	}
	s.metrics.shadowAUCDiff.Reset()
	s.metrics.shadowP.Reset()
	for _, c := range rep.Shadows {
		if c.Difference.Estimate == c.Difference.Estimate { // not NaN: tested
			s.metrics.shadowAUCDiff.WithLabelValues(c.Champion, c.Challenger).Set(c.Difference.Estimate)
			s.metrics.shadowP.WithLabelValues(c.Champion, c.Challenger).Set(c.P)
		}
	}
}

// perfCache keeps the last realized-outcomes report. A report depends on
// the scores stored and on the served state (the model's horizon, the
// snapshots' fates and latest week), so it is current while both are:
// the state is compared by identity, through a weak pointer so that a
// cached report never keeps a replaced book in memory, and the scores by
// a generation the server bumps whenever it records into its store
// (invalidate). Scores another process records into a shared store
// (churn score --record) show once this server records or reloads.
//
// One report is computed at a time: concurrent requests for a report not
// yet cached wait for the one being computed rather than each reading
// the whole history.
type perfCache struct {
	gen atomic.Uint64
	// computing holds a token while a report is computed; a channel, not
	// a mutex, so that a waiting request can give up with its context.
	computing chan struct{}
	once      sync.Once

	mu    sync.Mutex
	state weak.Pointer[state]
	atGen uint64
	rep   *monitor.Report
}

// invalidate marks the stored scores changed: the next request computes
// the report again. Call it after every recording into the store.
func (p *perfCache) invalidate() { p.gen.Add(1) }

// generation is the count of invalidations so far.
func (p *perfCache) generation() uint64 { return p.gen.Load() }

// cached returns the report of st at generation gen, or nil.
func (p *perfCache) cached(st *state, gen uint64) *monitor.Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rep != nil && p.atGen == gen && p.state == weak.Make(st) {
		return p.rep
	}
	return nil
}

// get returns the report of st at generation gen (read before st was
// loaded), computing it with compute when it is not cached. A report is
// kept only while gen is current: one computed across a recording may
// miss its scores, and the next request computes it again.
func (p *perfCache) get(ctx context.Context, st *state, gen uint64, compute func(context.Context) (*monitor.Report, error)) (*monitor.Report, error) {
	if rep := p.cached(st, gen); rep != nil {
		return rep, nil
	}
	p.once.Do(func() { p.computing = make(chan struct{}, 1) })
	select {
	case p.computing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.computing }()
	// Another request may have computed it while this one waited.
	if rep := p.cached(st, gen); rep != nil {
		return rep, nil
	}
	rep, err := compute(ctx)
	if err != nil {
		return nil, err
	}
	if p.gen.Load() == gen {
		p.mu.Lock()
		p.state, p.atGen, p.rep = weak.Make(st), gen, rep
		p.mu.Unlock()
	}
	return rep, nil
}
