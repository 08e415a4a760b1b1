package serve

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/metrics"
	"github.com/churnlabs/churn/models/ranking"
)

// accountScore answers GET /v1/accounts/{id}/score from the score
// computed at load: the snapshots do not change between reloads, so
// neither does the score, and serving it costs one encoding.
func (s *Server) accountScore(c *gin.Context) {
	st := s.state.Load()
	a, ok := s.lookup(c, st)
	if !ok {
		return
	}
	v := accountView(a)
	s.metrics.scoredAccounts.Inc()
	s.writeScoreJSON(c, func(b []byte) []byte { return st.appendScore(b, &v) })
}

// account answers GET /v1/accounts/{id}: what the dashboard shows of one
// account, its ranking entry, score, feature values and recent weeks.
func (s *Server) account(c *gin.Context) {
	st := s.state.Load()
	a, ok := s.lookup(c, st)
	if !ok {
		return
	}
	v := accountView(a)
	s.metrics.scoredAccounts.Inc()
	recent := a.Recent
	if recent == nil {
		recent = []features.RawWeek{}
	}
	s.reply(c, http.StatusOK, struct {
		Account     *ranking.Account   `json:"account"`
		Score       json.RawMessage    `json:"score"`
		Features    json.RawMessage    `json:"features"`
		RecentWeeks []features.RawWeek `json:"recent_weeks"`
	}{a, st.appendScore(nil, &v), st.appendFeatures(nil, a.Features), recent})
}

// lookup finds the account the path names, or answers 404.
func (s *Server) lookup(c *gin.Context, st *state) (*ranking.Account, bool) {
	id := c.Param("id")
	if st.table != nil {
		s.fail(c, http.StatusNotFound, errTableModel)
		return nil, false
	}
	a, ok := st.book.Account(id)
	if !ok {
		s.fail(c, http.StatusNotFound, fmt.Sprintf(
			"no active account %q in the snapshots as of %s (churned accounts are not scored)", id, st.book.AsOf))
	}
	return a, ok
}

// Page sizes of GET /v1/ranking. Without a limit the route once wrote
// every account: 117 MB and seconds of encoding at 100k accounts, and
// the memory of a few such requests at once. A client pages with offset.
const (
	defaultRankingLimit = 100
	maxRankingLimit     = 1000
)

// ranking answers GET /v1/ranking: a page of the ranking, with how many
// accounts the filters keep in all and what they add up to, so a client
// can show the book's totals and page through it.
func (s *Server) ranking(c *gin.Context) {
	st := s.state.Load()
	if st.table != nil {
		s.fail(c, http.StatusNotFound, errTableModel)
		return
	}
	q, err := rankingQuery(c.Request.URL.Query())
	if err == nil {
		err = checkFilters(st.book, q)
	}
	if err != nil {
		s.fail(c, http.StatusBadRequest, err.Error())
		return
	}
	segments := st.book.Segments()
	if segments == nil {
		segments = []string{}
	}
	playSegments := st.book.PlaySegments()
	page := st.book.Page(q)
	// next_offset is null on the last page, so a client pages until it
	// is, without doing the arithmetic.
	var next *int
	if end := q.Offset + len(page.Accounts); end < page.Totals.Accounts {
		next = &end
	}
	// The dashboard fills its segment filter from the segments.
	s.reply(c, http.StatusOK, struct {
		ranking.Document
		Total      int            `json:"total"`
		Offset     int            `json:"offset"`
		Limit      int            `json:"limit"`
		NextOffset *int           `json:"next_offset"`
		Totals     ranking.Totals `json:"totals"`
		Segments   []string       `json:"segments"`
		// PlaySegments are the renewal segments, with a segment file.
		PlaySegments []string `json:"play_segments,omitempty"`
	}{st.book.Document(page.Accounts), page.Totals.Accounts, q.Offset, q.Limit, next, page.Totals, segments, playSegments})
}

// rankingQuery reads the ranking's query parameters. An unknown or
// repeated one is an error: a misspelt "limt=10" silently returning
// the default page is worse than a 400.
func rankingQuery(v url.Values) (ranking.Query, error) {
	if err := checkParams(v, "limit", "offset", "segment", "play_segment", "renewal_within_days", "sort"); err != nil {
		return ranking.Query{}, err
	}
	limit, offset, err := pageParams(v, defaultRankingLimit, maxRankingLimit)
	if err != nil {
		return ranking.Query{}, err
	}
	q, err := rankingFilters(v)
	q.Limit, q.Offset = limit, offset
	return q, err
}

// rankingFilters reads the parameters that choose and order the ranked
// accounts (segment, play_segment, renewal_within_days, sort), the same
// on every route that lists them, so a filter the dashboard carries from
// the ranking to another route keeps its meaning. The caller refuses
// parameters it does not take (checkParams).
func rankingFilters(v url.Values) (ranking.Query, error) {
	q := ranking.Query{Segment: v.Get("segment"), PlaySegment: v.Get("play_segment"), Sort: v.Get("sort")}
	var err error
	if q.RenewalWithinDays, err = count(v, "renewal_within_days"); err != nil {
		return q, err
	}
	return q, q.Check()
}

// checkFilters reports filters b cannot answer: a sort its model cannot
// give, or a segment or renewal segment no ranked account has. An
// unknown segment is a mistake (a typo, the wrong case), not an empty
// book: the error says which segments exist, as churn score does.
func checkFilters(b *ranking.Book, q ranking.Query) error {
	if err := b.Check(q); err != nil {
		return err
	}
	if q.Segment != "" {
		if segments := b.Segments(); !slices.Contains(segments, q.Segment) {
			return fmt.Errorf("segment %q: no ranked account has it; the segments are %s",
				q.Segment, strings.Join(segments, ", "))
		}
	}
	// Likewise an unknown renewal segment, or one asked of a book
	// without a segment file.
	if q.PlaySegment != "" {
		playSegments := b.PlaySegments()
		if len(playSegments) == 0 {
			return fmt.Errorf("play_segment %q: the server has no segment file (churn serve --segments)", q.PlaySegment)
		}
		if !slices.Contains(playSegments, q.PlaySegment) {
			return fmt.Errorf("play_segment %q: no ranked account has it; the renewal segments are %s",
				q.PlaySegment, strings.Join(playSegments, ", "))
		}
	}
	return nil
}

// checkParams refuses a query parameter that is not one of allowed, or
// that is given more than once: a misspelt filter silently ignored would
// answer another question than the one asked.
func checkParams(v url.Values, allowed ...string) error {
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if !slices.Contains(allowed, name) {
			if len(allowed) == 1 {
				return fmt.Errorf("unknown query parameter %q: want %s", name, allowed[0])
			}
			return fmt.Errorf("unknown query parameter %q: want %s or %s",
				name, strings.Join(allowed[:len(allowed)-1], ", "), allowed[len(allowed)-1])
		}
		if len(v[name]) > 1 {
			return fmt.Errorf("query parameter %q is given %d times", name, len(v[name]))
		}
	}
	return nil
}

// pageParams reads the page a client asks for: limit, from 1 to max (def
// when absent), and offset, 0 or more.
func pageParams(v url.Values, def, max int) (limit, offset int, err error) {
	limit = def
	if s := v.Get("limit"); s != "" {
		// A limit of 0 meant "all" to ranking.Query: here it is an
		// error, as is more than a page.
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > max {
			return 0, 0, fmt.Errorf("limit=%s: want a whole number from 1 to %d; page through more with offset=",
				excerpt(s), max)
		}
	}
	offset, err = count(v, "offset")
	return limit, offset, err
}

// count reads a whole number >= 0 from the named parameter, 0 when the
// parameter is absent or empty.
func count(v url.Values, name string) (int, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%s: want a whole number >= 0", name, excerpt(s))
	}
	return n, nil
}

// featureInfo names a model feature and says what it measures.
type featureInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// model answers GET /v1/model: what was trained, on what, and how well
// it validated.
func (s *Server) model(c *gin.Context) {
	st := s.state.Load()
	a := st.model
	feats := make([]featureInfo, len(a.Features))
	for j, f := range a.Features {
		feats[j] = featureInfo{f, features.Describe(f)}
	}
	s.reply(c, http.StatusOK, struct {
		Version     string          `json:"version"`
		Kind        string          `json:"kind"`
		Features    []featureInfo   `json:"features"`
		Horizon     int             `json:"horizon_weeks"`
		Train       features.Period `json:"train"`
		Valid       features.Period `json:"valid"`
		Metrics     metrics.Summary `json:"valid_metrics"`
		Calibration metrics.Platt   `json:"calibration"`
		Health      models.Health   `json:"health"`
		Fingerprint string          `json:"data_fingerprint"`
		Snapshots   snapshotsInfo   `json:"snapshots"`
		// Table is a customer table's spec: the columns POST /v1/score
		// takes, each category's levels, the label and id.
		Table *features.TableSpec `json:"table,omitempty"`
		// SegmentHealth are the segments' learned cut-offs, when the
		// model was trained with a segment file.
		SegmentHealth map[string]models.SegmentHealth `json:"segment_health,omitempty"`
		// Survival says the model has survival curves (GET
		// /v1/accounts/{id}/survival, sort=before_renewal); omitted
		// otherwise.
		Survival *survivalInfo `json:"survival,omitempty"`
	}{a.Version, a.Kind, feats, a.Horizon, a.Train, a.Valid, a.Metrics, a.Calibration, a.Health,
		a.Fingerprint, snapshotsInfo{s.cfg.Snapshots.Name, st.book.AsOf, len(st.book.Accounts), st.loaded.UTC()}, st.table,
		a.SegmentHealth, newSurvivalInfo(a.Hazard)})
}

// snapshotsInfo describes the snapshots being scored.
type snapshotsInfo struct {
	Name           string        `json:"name"`
	AsOf           features.Date `json:"as_of"`
	ActiveAccounts int           `json:"active_accounts"`
	LoadedAt       time.Time     `json:"loaded_at"`
}

// reload answers POST /v1/admin/reload. 422, not 500, when the new model
// or snapshots are rejected: the server is fine and still serving, it is
// what it was asked to load that is not.
func (s *Server) reload(c *gin.Context) {
	// A caller who hangs up stops waiting, not the reload: Reload runs
	// it apart, and drops a queued one that nobody waits for.
	ctx := c.Request.Context()
	// A large book reloads for longer than the server's write timeout
	// (2 min 41 s at a million accounts): without lifting it, the answer
	// of a reload that succeeded would never reach the caller who waited.
	// A writer without deadlines (a test's recorder) has none to lift.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
	if err := s.Reload(ctx); err != nil {
		if ctx.Err() != nil {
			s.requestError(c, err)
			return
		}
		s.fail(c, http.StatusUnprocessableEntity,
			fmt.Sprintf("reload rejected, still serving model %s: %v", s.ModelVersion(), err))
		return
	}
	st := s.state.Load()
	s.reply(c, http.StatusOK, struct {
		ModelVersion   string        `json:"model_version"`
		AsOf           features.Date `json:"as_of"`
		ActiveAccounts int           `json:"active_accounts"`
	}{st.model.Version, st.book.AsOf, len(st.book.Accounts)})
}

// Fixed bodies of the health routes.
const (
	okBody    = `{"status":"ok"}`
	emptyBody = `{}`
	notReady  = "draining: shutting down"
)

// healthz answers liveness: the process is up and answering.
func (s *Server) healthz(c *gin.Context) {
	c.Data(http.StatusOK, jsonType, []byte(okBody))
}

// readyz answers readiness: a model is loaded and the server is not
// shutting down. New never returns a Server without a model, so only
// draining makes it unready.
func (s *Server) readyz(c *gin.Context) {
	if s.draining.Load() {
		s.fail(c, http.StatusServiceUnavailable, notReady)
		return
	}
	s.reply(c, http.StatusOK, struct {
		Status       string `json:"status"`
		ModelVersion string `json:"model_version"`
	}{"ready", s.ModelVersion()})
}

// oipLive and oipReady are the Open Inference Protocol v2 health checks,
// whose body is an empty object.
func (s *Server) oipLive(c *gin.Context) {
	c.Data(http.StatusOK, jsonType, []byte(emptyBody))
}

func (s *Server) oipReady(c *gin.Context) {
	if s.draining.Load() {
		s.fail(c, http.StatusServiceUnavailable, notReady)
		return
	}
	c.Data(http.StatusOK, jsonType, []byte(emptyBody))
}

// oipTensor describes an input or output of the model in the Open
// Inference Protocol: every feature is a batch of float64s.
type oipTensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// oipMetadata answers the Open Inference Protocol v2 model metadata.
func (s *Server) oipMetadata(c *gin.Context) {
	st := s.state.Load()
	tensor := func(name string) oipTensor { return oipTensor{name, "FP64", []int{-1}} }
	inputs := make([]oipTensor, len(st.model.Features))
	for j, f := range st.model.Features {
		inputs[j] = tensor(f)
	}
	s.reply(c, http.StatusOK, struct {
		Name     string      `json:"name"`
		Versions []string    `json:"versions"`
		Platform string      `json:"platform"`
		Inputs   []oipTensor `json:"inputs"`
		Outputs  []oipTensor `json:"outputs"`
	}{"churn", []string{st.model.Version}, "churn-go", inputs, []oipTensor{tensor("churn_probability")}})
}

// errTableModel answers the account routes of a customer table's model,
// which has rows to score but no accounts.
const errTableModel = "the model was trained on a customer table: it has no accounts to look up or rank; " +
	"score rows with POST /v1/score (GET /v1/model lists the columns under table)"
