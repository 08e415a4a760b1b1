package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/crm"
	"github.com/churnlabs/churn/models/lifecycle/monitor"
	"github.com/churnlabs/churn/models/plays"
	"github.com/churnlabs/churn/models/ranking"
)

// Defaults for the zero fields of a Config.
const (
	DefaultMaxBatch     = 1000
	DefaultMaxBodyBytes = 1 << 20
	// DefaultDrain is the drain period of "churn serve": long enough for
	// a load balancer that probes readiness every second or two to see
	// it fail. Behind slower probes, set it to their period times their
	// failure threshold.
	DefaultDrain = 5 * time.Second
)

// Config configures a Server.
type Config struct {
	// ModelDir is the model directory "churn train" wrote. It is read
	// again on every reload.
	ModelDir string
	// Champion, instead of ModelDir, serves a registry's champion: each
	// load asks it for the champion's folder, and FollowChampion
	// reloads when the champion changes.
	Champion Champion
	// Snapshots is the snapshot file whose latest week is scored. It is
	// opened again on every reload, so new snapshots are picked up too.
	Snapshots features.Source
	// Token, when not empty, is the bearer token every route but health
	// and metrics requires.
	Token string
	// AdminToken, when not empty, is the bearer token POST
	// /v1/admin/reload requires instead of Token, which that route then
	// refuses: who may read scores need not be who may swap the model.
	AdminToken string
	// PublicDashboard makes the read-only routes the dashboard uses
	// (/v1/ranking, /v1/accounts/*, /v1/plays, /v1/maturity, /v1/alerts,
	// /v1/model) readable without the token.
	PublicDashboard bool
	// Dashboard, when not nil, serves GET and HEAD of / and /assets/*.
	// Those routes never need the token: the page and its scripts hold
	// no data, and the page is where a person types the token in.
	Dashboard http.Handler
	// MaxBatch is the most rows one POST /v1/score may carry; 0 means
	// DefaultMaxBatch.
	MaxBatch int
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Drain is how long Serve keeps serving once its context is done,
	// with readiness failing, before it closes the listener: time for
	// load balancers to stop sending requests. 0 means none; "churn
	// serve" uses DefaultDrain.
	Drain time.Duration
	// Logger receives load, reload, shutdown and error events; nil
	// discards them.
	Logger *slog.Logger
	// AccessLog, when not nil, receives one JSON line per request:
	// method, route, path, status, bytes, duration (seconds) and
	// remote_addr. Lines are written by a goroutine of their own behind
	// a bounded queue, so a slow writer never delays a request; lines
	// that do not fit are dropped and counted in
	// churn_access_log_dropped_total. Close flushes it.
	AccessLog io.Writer
	// Scores, when not nil, keeps the score history. The server records
	// every book it loads, at start and on each reload, in the
	// background; and it takes each account's past weeks, for the
	// sparkline and the change since last week, from the scores recorded
	// as shown. A failure to read or record is logged and counted in
	// churn_score_history_failures_total, and fails neither a load nor a
	// request. Close waits for the recording under way.
	Scores ScoreHistory
	// ShadowDir is a model folder scored beside the served model, the
	// shadow: its scores of the same accounts and week are recorded in
	// Scores, marked shadow and under its own version, whenever the
	// served model's are, and are never shown. A shadow that fails to
	// load or score is logged and counted in
	// churn_shadow_failures_total, and fails neither a load nor a
	// request.
	ShadowDir string
	// Shadow, instead of ShadowDir, follows a registry's shadow:
	// FollowChampion reloads when it changes.
	Shadow ShadowSource
	// RecordEvery is how often RecordPeriodically reloads, recording the
	// week's scores; 0 means never.
	RecordEvery time.Duration
	// Tick makes RecordPeriodically's ticks; nil means a time.Ticker's.
	Tick Ticker
	// Alerts, when not nil, is told after each book is recorded in
	// Scores (at start, on each reload and each RecordEvery), to raise
	// (and, with a webhook, send) the alerts of the latest week; it needs
	// Scores. GET /v1/alerts lists the alerts Scores keeps.
	Alerts Alerter
	// Segments are the renewal segments GET /v1/plays applies; nil puts
	// every account in plays.Default.
	Segments *plays.Segments
	// CRM, when not nil, pushes the scores of each book the server loads
	// (at start, on each reload and each RecordEvery) to a CRM webhook,
	// the fields of churn score --format crm as JSON, in batches, in the
	// background: neither a load nor a request waits on the receiver. A
	// book of the week and model version last pushed is not pushed again.
	// Records delivered and not are counted in
	// churn_crm_push_records_total, batches given up in
	// churn_crm_push_failures_total. Done and Log default to the
	// server's counters and Logger. Close gives the push under way
	// CRMCloseWait.
	CRM *crm.PushConfig
	// Maturity, when not nil, places every ranked account on a maturity
	// level at each load (its ranking entry's maturity_level and
	// maturity_lacks) and serves GET /v1/maturity. Each load then also
	// reads the snapshots' whole history, which it drops once the
	// accounts are placed; a ladder that cannot be learned or does not
	// fit the snapshots fails the load.
	Maturity *Maturity
}

// CRMCloseWait is how long Close waits for a CRM push under way before
// it abandons it; a restart pushes the week again.
const CRMCloseWait = 10 * time.Second

// withDefaults fills in the zero fields and rejects what cannot work.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.ModelDir == "" && c.Champion == nil:
		return c, errors.New("serve: no model directory")
	case c.ModelDir != "" && c.Champion != nil:
		return c, errors.New("serve: a model directory and a champion to follow: give one")
	case c.MaxBatch < 0:
		return c, fmt.Errorf("serve: max batch %d rows", c.MaxBatch)
	case c.MaxBodyBytes < 0:
		return c, fmt.Errorf("serve: max body %d bytes", c.MaxBodyBytes)
	case c.Drain < 0:
		return c, fmt.Errorf("serve: drain period %v", c.Drain)
	case c.AdminToken != "" && c.AdminToken == c.Token:
		return c, errors.New("serve: the admin token is the readers' token")
	case c.ShadowDir != "" && c.Shadow != nil:
		return c, errors.New("serve: a shadow folder and a shadow to follow: give one")
	case c.RecordEvery < 0:
		return c, fmt.Errorf("serve: recording period %v", c.RecordEvery)
	case c.Alerts != nil && c.Scores == nil:
		return c, errors.New("serve: alerts without a score history to raise them from")
	}
	if c.CRM != nil {
		if err := c.CRM.Check(); err != nil {
			return c, fmt.Errorf("serve: CRM push: %w", err)
		}
	}
	if c.Tick == nil {
		c.Tick = realTicker
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Server serves churn scores from one model and one snapshot file, and
// can swap both while it runs. It is safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	metrics *serverMetrics
	handler http.Handler
	access  *accessLog // nil without Config.AccessLog

	state   atomic.Pointer[state]
	reloads reloadQueue
	// writeTimeout, when set, replaces the HTTP server's write timeout:
	// tests shorten it to see what outlasts it.
	writeTimeout time.Duration
	// draining is set once shutdown starts, so /readyz turns a load
	// balancer away while in-flight requests finish.
	draining atomic.Bool
	// bufs recycles response buffers of the scoring routes.
	bufs sync.Pool
	// history records loaded books into Config.Scores.
	history recorder
	// perf keeps the realized-outcomes report between recordings.
	perf perfCache
	// crm pushes each loaded book to Config.CRM's webhook; nil without.
	crm *crm.Pusher
}

// state is everything a request reads, built whole and never modified,
// so a reload can replace it with one atomic store.
type state struct {
	model  *models.Artifact
	scorer *models.Scorer
	book   *ranking.Book
	// column maps a feature name to its index in model.Features.
	column map[string]int
	// table is the spec of a customer table's model, nil for snapshots:
	// its scores take raw columns and explain them per column.
	table *features.TableSpec
	// enc holds the model's names pre-encoded for the score writer.
	enc    encodedNames
	loaded time.Time
	// drift compares the book's week with the model's training weeks,
	// each feature's then the score's; nil when the model recorded no
	// training distribution.
	drift []models.Drift
	// fates and lastWeek are what the snapshots say of each account,
	// for realized outcomes; fates is nil for a customer table's model
	// and without a score history to read.
	fates    map[string]monitor.Fate
	lastWeek features.Date
	// shadow is the model scored beside this one, recorded and never
	// shown; nil without one. shadowSeen is what Config.Shadow said.
	shadow     *shadowState
	shadowSeen shadowSeen
	// maturity is the ladder and churn by level; nil without
	// Config.Maturity.
	maturity *maturityState
}

// New loads the model and scores every active account in the snapshots.
// It fails if either cannot be loaded: a server without a model would
// only answer errors. The first New puts gin in release mode, for the
// whole process: gin has no per-engine mode, and its debug mode lists
// every route on stdout.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: newServerMetrics()}
	s.history.s = s
	s.bufs.New = func() any { return new([]byte) }
	if cfg.CRM != nil {
		if s.crm, err = crm.NewPusher(s.crmConfig(*cfg.CRM)); err != nil {
			return nil, fmt.Errorf("serve: CRM push: %w", err)
		}
	}
	st, err := s.load(ctx)
	if err != nil {
		if s.crm != nil {
			s.crm.Close(ctx)
		}
		return nil, err
	}
	if cfg.AccessLog != nil {
		s.access = newAccessLog(cfg.AccessLog, s.metrics.accessLogDropped)
	}
	s.swap(st)
	s.log.Info("model loaded", "model_version", st.model.Version, "kind", st.model.Kind,
		"accounts", len(st.book.Accounts), "as_of", st.book.AsOf.String(), "snapshots", cfg.Snapshots.Name)
	s.handler = s.routes()
	return s, nil
}

// Close waits for the score history being recorded and, up to
// CRMCloseWait, for the CRM push under way, writes out the access log's
// queued lines and stops its writer. Call it once the server no longer
// serves, after Serve returns.
func (s *Server) Close() {
	s.history.wait()
	if s.crm != nil {
		ctx, cancel := context.WithTimeout(context.Background(), CRMCloseWait)
		if err := s.crm.Close(ctx); err != nil {
			s.log.Warn("CRM push abandoned on shutdown; the next start pushes the week again", "err", err)
		}
		cancel()
	}
	if s.access != nil {
		s.access.Close()
	}
}

// Handler returns the server's HTTP handler, with every route and
// middleware; Serve serves it, and tests can call it directly.
func (s *Server) Handler() http.Handler { return s.handler }

// ModelVersion returns the version of the model being served.
func (s *Server) ModelVersion() string { return s.state.Load().model.Version }

// reloadQueue coalesces reloads. A reload reads every snapshot and
// scores every account, so a burst of calls must not become a burst of
// reloads: at most one runs and one waits to run after it, and every
// caller who arrives while one waits shares its result. That reload
// starts after they called, so it still sees what they changed.
type reloadQueue struct {
	mu sync.Mutex
	// running is set while a goroutine runs reloads.
	running bool
	// next is the reload to run after the running one, if any.
	next *reloadCall
}

// reloadCall is one reload and the callers waiting for it.
type reloadCall struct {
	ctx  context.Context // the first caller's, for its values only
	done chan struct{}   // closed when err is set
	err  error
	// waiters counts the callers still waiting; a queued reload that
	// every caller abandoned is dropped.
	waiters int
}

// Reload loads the model directory and the snapshots again and, only if
// both succeed, swaps them in for every request that starts afterwards.
// On error the previous model and scores keep serving; the error says
// what was rejected.
//
// Concurrent calls are coalesced: a call made while a reload runs waits
// for one more reload, shared with every other call made meanwhile. A
// call whose ctx ends returns ctx's error at once; the reload it shares
// still runs for the others, and one that nobody waits for any more
// does not run.
func (s *Server) Reload(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		// A caller already gone would only start work nobody awaits.
		return fmt.Errorf("reload: %w", context.Cause(ctx))
	}
	q := &s.reloads
	q.mu.Lock()
	var call *reloadCall
	if q.running {
		if q.next == nil {
			q.next = &reloadCall{ctx: context.WithoutCancel(ctx), done: make(chan struct{})}
		}
		call = q.next
		call.waiters++
		q.mu.Unlock()
	} else {
		q.running = true
		call = &reloadCall{ctx: context.WithoutCancel(ctx), done: make(chan struct{}), waiters: 1}
		q.mu.Unlock()
		// The reload runs apart from its caller, so a caller who hangs
		// up neither stops it half done nor stops the queued one.
		go s.runReloads(call)
	}
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		q.mu.Lock()
		call.waiters--
		q.mu.Unlock()
		return fmt.Errorf("reload: %w", context.Cause(ctx))
	}
}

// runReloads runs call, then each queued reload that someone still
// waits for, until none is left.
func (s *Server) runReloads(call *reloadCall) {
	q := &s.reloads
	for call != nil {
		call.err = s.reloadNow(call.ctx)
		close(call.done)
		q.mu.Lock()
		call, q.next = q.next, nil
		if call != nil && call.waiters == 0 {
			call.err = errors.New("reload abandoned by every caller")
			close(call.done)
			call = nil
		}
		if call == nil {
			q.running = false
		}
		q.mu.Unlock()
	}
}

// reloadNow reloads at once. Only runReloads calls it, so reloads never
// interleave their swaps and leave an older result serving.
func (s *Server) reloadNow(ctx context.Context) error {
	start := time.Now()
	old := s.state.Load()
	st, err := s.load(ctx)
	s.metrics.reloads.Inc()
	if err != nil {
		s.metrics.reloadFailures.Inc()
		s.log.Error("reload rejected; still serving the previous model",
			"model_version", old.model.Version, "model_dir", s.modelDir(), "err", err)
		return err
	}
	s.swap(st)
	s.log.Info("reloaded", "model_version", st.model.Version, "previous_version", old.model.Version,
		"accounts", len(st.book.Accounts), "as_of", st.book.AsOf.String(), "took", time.Since(start))
	return nil
}

// load builds a complete state from the configured model and snapshots.
func (s *Server) load(ctx context.Context) (*state, error) {
	dir := s.cfg.ModelDir
	if s.cfg.Champion != nil {
		var err error
		if _, dir, err = s.cfg.Champion.ChampionDir(); err != nil {
			return nil, err
		}
	}
	a, err := models.Load(dir)
	if err != nil {
		return nil, err
	}
	scorer, err := models.NewScorer(a)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	if a.Spec.Table != nil {
		// A customer table's model scores the raw rows it is sent
		// (POST /v1/score); it has no accounts to rank, nor to shadow.
		if s.cfg.ShadowDir != "" || s.cfg.Shadow != nil {
			s.log.Warn("no shadow for a customer table's model: it scores no accounts to compare", "model_version", a.Version)
		}
		st := &state{model: a, scorer: scorer, book: &ranking.Book{}, table: a.Spec.Table,
			enc: encodeNames(a), loaded: time.Now()}
		st.enc.keys = st.enc.keys[:0]
		for _, c := range scorer.Columns() {
			st.enc.keys = append(st.enc.keys, append(appendString(nil, c), ':'))
		}
		return st, nil
	}
	if s.cfg.Snapshots.Open == nil {
		return nil, fmt.Errorf("serve: model %s was trained on snapshots: it needs a snapshot source", s.cfg.ModelDir)
	}
	// ranking.Load builds the rows with the model's spec, so every row
	// lines up with what the model was trained on whatever segments the
	// file holds, and scores each account's sparkline as they are built:
	// the table keeps only each account's latest row.
	var opt features.BuildOptions
	var col *retention.Collector
	if s.cfg.Maturity != nil {
		// The indicators look back further than the rows scoring keeps,
		// and at columns it does not: the history is read in the same
		// pass, and dropped once the accounts are placed.
		col = retention.NewCollector(s.cfg.Snapshots.Name)
		opt.Observe = col.Observe
	}
	book, tab, err := ranking.Load(ctx, a, s.cfg.Snapshots, opt)
	if err != nil {
		return nil, fmt.Errorf("load snapshots %s: %w", s.cfg.Snapshots.Name, err)
	}
	for _, u := range tab.UnknownSegments {
		s.log.Warn("segment unknown to the model: its accounts are scored with every segment indicator 0",
			"segment", u.Segment, "accounts", u.Accounts, "snapshots", s.cfg.Snapshots.Name)
	}
	var mat *maturityState
	if col != nil {
		hist, err := col.History()
		if err != nil {
			return nil, fmt.Errorf("load snapshots %s: %w", s.cfg.Snapshots.Name, err)
		}
		if mat, err = placeMaturity(ctx, s.cfg.Maturity, a.Horizon, hist, book); err != nil {
			return nil, err
		}
	}
	if s.cfg.Segments != nil {
		// Before the book is shared or recorded: its colours, totals
		// and the alerts drawn from its recorded scores follow the
		// segments' cut-offs.
		if err := plays.Apply(book, s.cfg.Segments); err != nil {
			return nil, fmt.Errorf("segments: %w", err)
		}
	}
	s.useShownHistory(ctx, book)
	drift, err := book.Drift()
	if err != nil {
		return nil, fmt.Errorf("drift of snapshots %s: %w", s.cfg.Snapshots.Name, err)
	}
	if a.Drift == nil {
		s.log.Info("the model has no training distribution (trained before churn recorded one): no drift gauges",
			"model_version", a.Version)
	}
	st := &state{model: a, scorer: scorer, book: book, column: make(map[string]int, len(a.Features)),
		enc: encodeNames(a), loaded: time.Now(), lastWeek: tab.Last, drift: drift, maturity: mat}
	if _, ok := s.cfg.Scores.(monitor.History); ok {
		// Kept only for GET /v1/model/performance, which needs a
		// history: a million accounts' fates cost tens of megabytes.
		st.fates = monitor.Fates(tab)
	}
	for j, f := range a.Features {
		st.column[f] = j
	}
	st.shadow, st.shadowSeen = s.loadShadow(ctx, a, tab)
	return st, nil
}

// swap publishes st and the metrics that describe it, and has its book
// recorded in the score history and pushed to the CRM.
func (s *Server) swap(st *state) {
	s.state.Store(st)
	s.metrics.describe(st)
	s.history.record(st)
	if s.crm != nil {
		s.crm.Push(st.book, st.loaded)
	}
}

// ginRelease puts gin in release mode once per process, before the first
// engine is built. The mode is gin's global and it has no per-engine
// setting: in its default debug mode gin prints a warning and every route
// on stdout, which belongs to the program that embeds the server, and
// nothing of debug mode is of use to us. Setting it here, where the
// engine is built, spares every caller (churn serve, tests, other
// programs) from writing the global themselves. A program that wants
// gin's debug output back can call gin.SetMode after New.
var ginRelease sync.Once

// newEngine returns a gin engine with none of gin's defaults that would
// answer for us: no logger or recovery middleware (ours log with slog
// and answer JSON), no trailing-slash redirects, and 405 with Allow for
// a known path with the wrong method.
func newEngine() *gin.Engine {
	ginRelease.Do(func() { gin.SetMode(gin.ReleaseMode) })
	e := gin.New()
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	// Account ids are the customer's own keys and may hold a slash:
	// match on the escaped path so /v1/accounts/a%2Fb/score finds "a/b".
	e.UseRawPath = true
	e.UnescapePathValues = true
	return e
}

// routes builds the handler: every route with its access rule.
func (s *Server) routes() http.Handler {
	e := newEngine()
	e.Use(s.observe, s.catchPanics, s.limitBody)
	e.NoRoute(func(c *gin.Context) { s.fail(c, http.StatusNotFound, "no such route: "+c.Request.URL.Path) })
	e.NoMethod(func(c *gin.Context) {
		// The method is quoted short: it is the client's, of any length.
		s.fail(c, http.StatusMethodNotAllowed, excerpt(c.Request.Method)+" is not allowed on "+c.Request.URL.Path)
	})

	// Health, metrics and the API's description stay open: probes and
	// scrapers carry no token.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/v2/health/live", s.oipLive)
	e.GET("/v2/health/ready", s.oipReady)
	e.GET("/v2/models/churn/ready", s.oipReady)
	e.GET("/metrics", gin.WrapH(s.metrics.handler()))
	e.GET("/openapi.json", s.openapi)
	if s.cfg.Dashboard != nil {
		h := gin.WrapH(s.cfg.Dashboard)
		for _, path := range []string{"/", "/assets/*path"} {
			e.GET(path, h)
			e.HEAD(path, h)
		}
	}

	read := e.Group("/")
	private := e.Group("/")
	if s.cfg.Token != "" {
		auth := s.authorize(s.cfg.Token)
		private.Use(auth)
		if !s.cfg.PublicDashboard {
			read.Use(auth)
		}
	}
	read.GET("/v1/accounts/:id", s.account)
	read.GET("/v1/accounts/:id/score", s.accountScore)
	read.GET("/v1/accounts/:id/survival", s.survival)
	read.GET("/v1/ranking", s.ranking)
	read.GET("/v1/crm", s.crmExport)
	read.GET("/v1/plays", s.plays)
	read.GET("/v1/maturity", s.maturity)
	read.GET("/v1/alerts", s.alerts)
	read.GET("/v1/model", s.model)
	read.GET("/v1/model/performance", s.performance)

	admin := private
	if s.cfg.AdminToken != "" {
		admin = e.Group("/", s.authorize(s.cfg.AdminToken))
	}

	private.POST("/v1/score", s.score)
	admin.POST("/v1/admin/reload", s.reload)
	private.GET("/v2/models/churn", s.oipMetadata)
	return e
}
