package serve

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/models/ranking"
)

// openScores opens a new SQLite score store, closed at the end.
func openScores(t *testing.T) *sqlstore.Store {
	t.Helper()
	store, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// byVersion splits a week's recorded scores by model version, failing
// on a score whose shadow mark is not the version's.
func byVersion(t *testing.T, recs []lifecycle.ScoreRecord, shadow string) map[string]map[string]float64 {
	t.Helper()
	out := map[string]map[string]float64{}
	for _, r := range recs {
		if r.Shadow != (r.ModelVersion == shadow) {
			t.Fatalf("score of %s by %s marked shadow %v; the shadow is %s", r.AccountID, r.ModelVersion, r.Shadow, shadow)
		}
		if out[r.ModelVersion] == nil {
			out[r.ModelVersion] = map[string]float64{}
		}
		out[r.ModelVersion][r.AccountID] = r.Probability
	}
	return out
}

// TestShadowScoring serves the logistic model with the GBM as shadow:
// every response is what the logistic model alone answers, and the
// store holds both models' scores of the week, the GBM's marked shadow
// and equal to what the GBM serving alone gives each account.
func TestShadowScoring(t *testing.T) {
	ctx := t.Context()
	store := openScores(t)
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores, c.ShadowDir = store, fixture.dirs[models.GBM] })
	alone := newEnv(t, models.Logistic, func(c *Config) { c.Scores = openScores(t) })
	gbm := newEnv(t, models.GBM)
	champ, shadow := fixture.versions[models.Logistic], fixture.versions[models.GBM]
	if v := e.srv.ShadowVersion(); v != shadow {
		t.Fatalf("shadow %q, want %s", v, shadow)
	}
	book := e.srv.state.Load().book
	waitFor(t, "both books recorded", func() bool {
		return testutil.ToFloat64(e.srv.metrics.shadowRecorded) == 1 && testutil.ToFloat64(e.srv.metrics.historyRecorded) == 1
	})
	waitFor(t, "the champion-only book recorded", func() bool { return testutil.ToFloat64(alone.srv.metrics.historyRecorded) == 1 })

	id := url.PathEscape(e.anAccount())
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1/accounts/" + id + "/score", ""},
		{"GET", "/v1/accounts/" + id, ""},
		{"GET", "/v1/ranking?limit=100", ""},
		{"GET", "/v1/ranking?sort=arr_at_risk&limit=20&offset=5", ""},
		{"POST", "/v1/score", `{"rows": [{"recency_days": 30}, {"tenure_weeks": 20}]}`},
		{"GET", "/v2/models/churn", ""},
	} {
		got, want := e.do(r.method, r.path, r.body), alone.do(r.method, r.path, r.body)
		if got.Code != 200 || got.Code != want.Code || got.Body.String() != want.Body.String() {
			t.Errorf("%s %s with a shadow: %d %s\nwithout: %d %s", r.method, r.path, got.Code, got.Body, want.Code, want.Body)
		}
		if strings.Contains(got.Body.String(), shadow) {
			t.Errorf("%s %s shows the shadow's version", r.method, r.path)
		}
	}

	// GET /v1/model differs only in when each server loaded.
	model := func(e *env) map[string]any {
		m := decode[map[string]any](t, e.do("GET", "/v1/model", ""))
		delete(m["snapshots"].(map[string]any), "loaded_at")
		return m
	}
	if got, want := model(e), model(alone); !reflect.DeepEqual(got, want) {
		t.Errorf("GET /v1/model with a shadow: %v\nwithout: %v", got, want)
	}

	recs, err := store.Scores(ctx, book.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	got := byVersion(t, recs, shadow)
	if len(got) != 2 || len(got[champ]) != len(book.Accounts) || len(got[shadow]) != len(book.Accounts) {
		t.Fatalf("week %s holds %d versions, %d scores by %s and %d by %s; want %d each",
			book.AsOf, len(got), len(got[champ]), champ, len(got[shadow]), shadow, len(book.Accounts))
	}
	differ := 0
	for _, a := range gbm.srv.state.Load().book.Accounts {
		if p, ok := got[shadow][a.AccountID]; !ok || p != a.Probability {
			t.Fatalf("account %s: shadow score %v (%v), the GBM alone gives %v", a.AccountID, p, ok, a.Probability)
		}
		if got[champ][a.AccountID] != got[shadow][a.AccountID] {
			differ++
		}
	}
	if differ == 0 {
		t.Error("the shadow's scores are the champion's: not two models")
	}
	// The history shown leaves the shadow out.
	shown, err := store.ShownHistory(ctx, book.AsOf, book.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	for acc, ws := range shown {
		if len(ws) != 1 || ws[0].ModelVersion != champ {
			t.Fatalf("account %s shown %+v, want one score by %s", acc, ws, champ)
		}
	}
}

// shadowFailingStore records the served model's scores and fails the
// shadow's.
type shadowFailingStore struct{ *sqlstore.Store }

func (s shadowFailingStore) RecordScores(ctx context.Context, recs []lifecycle.ScoreRecord) (int, error) {
	if len(recs) > 0 && recs[0].Shadow {
		return 0, errors.New("shadow table full")
	}
	return s.Store.RecordScores(ctx, recs)
}

// TestShadowFailures: a shadow that is missing, is corrupt, or whose
// scores cannot be stored is logged and counted, and the served model
// starts, reloads, records and answers as without it.
func TestShadowFailures(t *testing.T) {
	broken := t.TempDir()
	writeFile(t, filepath.Join(broken, models.ModelFile), `{"version": "gbm-`)
	dir := func(d string) func(*testing.T) string { return func(*testing.T) string { return d } }
	for _, tt := range []struct {
		name      string
		dir       func(t *testing.T) string
		store     func(t *testing.T) ScoreHistory
		stage, in string
	}{
		{"missing", dir(filepath.Join(t.TempDir(), "nothing")), nil, "load", "shadow not scored"},
		{"corrupt", dir(broken), nil, "load", "shadow not scored"},
		{"a customer table's model", tableModel, nil, "load", "only a model of snapshots can shadow"},
		{"record", dir(fixture.dirs[models.GBM]), func(t *testing.T) ScoreHistory { return shadowFailingStore{openScores(t)} },
			"record", "shadow table full"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			shadowDir := tt.dir(t)
			e := newEnv(t, models.Logistic, func(c *Config) {
				c.ShadowDir = shadowDir
				if tt.store != nil {
					c.Scores = tt.store(t)
				}
			})
			if w := e.do("GET", "/v1/accounts/"+url.PathEscape(e.anAccount())+"/score", ""); w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if err := e.srv.Reload(t.Context()); err != nil {
				t.Fatalf("reload failed for the shadow's sake: %v", err)
			}
			waitFor(t, "two failures counted", func() bool {
				return testutil.ToFloat64(e.srv.metrics.shadowFailures.WithLabelValues(tt.stage)) == 2
			})
			if !strings.Contains(e.logs.String(), tt.in) {
				t.Errorf("log lacks %q:\n%s", tt.in, e.logs)
			}
			if tt.stage == "record" {
				waitFor(t, "the champion recorded", func() bool { return testutil.ToFloat64(e.srv.metrics.historyRecorded) == 2 })
			}
		})
	}
}

// TestShadowOfTableModel: a customer table's model has no accounts to
// shadow; the server says so and serves it.
func TestShadowOfTableModel(t *testing.T) {
	logs := &syncBuffer{}
	srv, err := New(t.Context(), Config{ModelDir: tableModel(t), ShadowDir: fixture.dirs[models.GBM],
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.Contains(logs.String(), "no shadow for a customer table's model") || srv.ShadowVersion() != "" {
		t.Errorf("shadow %q; log:\n%s", srv.ShadowVersion(), logs)
	}
}

// TestFollowShadow follows a registry's champion and shadow while two
// clients score: setting, replacing and clearing the shadow are each
// followed, the shadow's scores are recorded while it is one, and no
// request fails.
func TestFollowShadow(t *testing.T) {
	reg := newRegistry(t)
	store := openScores(t)
	e := newEnv(t, models.Logistic, func(c *Config) { c.ModelDir, c.Champion, c.Shadow, c.Scores = "", reg, reg, store })
	go e.srv.FollowChampion(t.Context(), 5*time.Millisecond)
	champ, gbm := fixture.versions[models.Logistic], fixture.versions[models.GBM]
	if v := e.srv.ShadowVersion(); v != "" {
		t.Fatalf("shadow %q before any", v)
	}
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var failed, served atomic.Int64
	id := url.PathEscape(e.anAccount())
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				w := e.do("GET", "/v1/accounts/"+id+"/score", "")
				if w.Code != 200 || !strings.Contains(w.Body.String(), champ) {
					failed.Add(1)
					continue
				}
				served.Add(1)
			}
		})
	}
	if _, err := reg.SetShadow(ctx, gbm, "test", "live check"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the shadow followed", func() bool { return e.srv.ShadowVersion() == gbm })
	week := e.srv.state.Load().book.AsOf
	waitFor(t, "the shadow recorded", func() bool {
		recs, err := store.Scores(t.Context(), week)
		return err == nil && len(byVersion(t, recs, gbm)[gbm]) > 0
	})
	if _, err := reg.ClearShadow(ctx, "test", "enough"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the shadow cleared", func() bool { return e.srv.ShadowVersion() == "" })
	stop()
	wg.Wait()
	if failed.Load() > 0 || served.Load() == 0 {
		t.Errorf("%d requests failed, %d served", failed.Load(), served.Load())
	}
}

// TestRecordPeriodically drives the recording timer with ticks of its
// own: each tick reads the snapshots again and records the latest week,
// the champion's and the shadow's; a tick in a week already recorded
// keeps one copy of it, and a new week of snapshots is recorded beside
// the earlier one.
func TestRecordPeriodically(t *testing.T) {
	ctx := t.Context()
	store := openScores(t)
	ticks := make(chan time.Time)
	var asked atomic.Int64
	last := fixture.rows[0].Week
	for _, r := range fixture.rows {
		last = max(last, r.Week)
	}
	var early []features.Snapshot
	for _, r := range fixture.rows {
		if r.Week < last {
			early = append(early, r)
		}
	}
	e := newEnv(t, models.Logistic, func(c *Config) {
		c.Scores, c.ShadowDir, c.RecordEvery = store, fixture.dirs[models.GBM], 24*time.Hour
		c.Tick = func(d time.Duration) (<-chan time.Time, func()) {
			asked.Store(int64(d))
			return ticks, func() {}
		}
	})
	e.snaps.set(early, nil)
	if err := e.srv.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	run, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.srv.RecordPeriodically(run); close(done) }()
	champ, shadow := fixture.versions[models.Logistic], fixture.versions[models.GBM]
	count := func(week features.Date) (int, int) {
		recs, err := store.Scores(ctx, week)
		if err != nil {
			t.Fatal(err)
		}
		got := byVersion(t, recs, shadow)
		return len(got[champ]), len(got[shadow])
	}
	recorded := 2.0 // at start and on the reload
	tick := func() {
		t.Helper()
		ticks <- time.Now()
		recorded++
		waitFor(t, "the tick's recording", func() bool {
			return testutil.ToFloat64(e.srv.metrics.historyRecorded) == recorded &&
				testutil.ToFloat64(e.srv.metrics.shadowRecorded) == recorded
		})
	}
	// A book puts an account that missed its latest week under the week
	// it was last seen in: the week's scores are the rest.
	inWeek := func(b *ranking.Book) int {
		n := 0
		for _, a := range b.Accounts {
			if a.Week == b.AsOf {
				n++
			}
		}
		return n
	}
	prev := e.srv.state.Load().book
	if prev.AsOf >= last {
		t.Fatalf("book of week %s, want one before %s", prev.AsOf, last)
	}
	for range 2 {
		tick()
		if c, s := count(prev.AsOf); c != inWeek(prev) || s != inWeek(prev) {
			t.Fatalf("week %s holds %d champion and %d shadow scores after a repeat, want %d each", prev.AsOf, c, s, inWeek(prev))
		}
	}
	e.snaps.set(fixture.rows, nil) // a week of snapshots comes
	tick()
	book := e.srv.state.Load().book
	if book.AsOf != last {
		t.Fatalf("after the tick the book is of week %s, want %s", book.AsOf, last)
	}
	if c, s := count(last); c != inWeek(book) || s != inWeek(book) {
		t.Errorf("new week %s holds %d champion and %d shadow scores, want %d each", last, c, s, inWeek(book))
	}
	if c, s := count(prev.AsOf); c < inWeek(prev) || s < inWeek(prev) {
		t.Errorf("week %s lost scores to the next: %d and %d, had %d", prev.AsOf, c, s, inWeek(prev))
	}
	if time.Duration(asked.Load()) != 24*time.Hour {
		t.Errorf("ticker asked for %v, want the configured 24h", time.Duration(asked.Load()))
	}
	stop()
	<-done
}

// TestShadowPerformance serves the logistic model with the GBM as
// shadow on snapshots that end a horizon and a week early, then on all
// of them: GET /v1/model/performance compares the two on that matured
// week's account-weeks, with the AUCs each version's own performance
// gives on those same rows.
func TestShadowPerformance(t *testing.T) {
	store := openScores(t)
	champ, shadow := fixture.versions[models.Logistic], fixture.versions[models.GBM]
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores, c.ShadowDir = store, fixture.dirs[models.GBM] })
	st := e.srv.state.Load()
	week := st.lastWeek.AddDays(-7 * (st.model.Horizon + 1))
	var early []features.Snapshot
	for _, r := range fixture.rows {
		if r.Week <= week {
			early = append(early, r)
		}
	}
	e.snaps.set(early, nil)
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.snaps.set(fixture.rows, nil)
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three recordings of each", func() bool { return testutil.ToFloat64(e.srv.metrics.shadowRecorded) == 3 })

	type auc struct {
		Estimate *float64 `json:"estimate"`
		Lower    *float64 `json:"lower"`
		Upper    *float64 `json:"upper"`
	}
	type perfJSON struct {
		Matured     []string `json:"matured_weeks"`
		Performance []struct {
			ModelVersion string `json:"model_version"`
			Segment      string `json:"segment"`
			Rows         int    `json:"rows"`
			AUC          auc    `json:"roc_auc"`
		} `json:"performance"`
		Shadows []struct {
			Champion      string   `json:"champion"`
			Challenger    string   `json:"challenger"`
			Rows          int      `json:"rows"`
			Weeks         int      `json:"weeks"`
			ChampionAUC   *float64 `json:"champion_roc_auc"`
			ChallengerAUC *float64 `json:"challenger_roc_auc"`
			Difference    auc      `json:"roc_auc_difference"`
			P             *float64 `json:"p_value"`
			Verdict       string   `json:"verdict"`
		} `json:"shadow_comparisons"`
	}
	got := decode[perfJSON](t, e.do("GET", "/v1/model/performance", ""))
	// An account gone before the week is recorded under the week it was
	// last seen in: the matured weeks end with the week.
	if len(got.Matured) == 0 || got.Matured[len(got.Matured)-1] != week.String() {
		t.Fatalf("matured weeks %v, want them to end with %s", got.Matured, week)
	}
	own := map[string]float64{}
	rows := map[string]int{}
	for _, g := range got.Performance {
		if g.Segment == "" && g.AUC.Estimate != nil {
			own[g.ModelVersion], rows[g.ModelVersion] = *g.AUC.Estimate, g.Rows
		}
	}
	if len(got.Shadows) != 1 {
		t.Fatalf("shadow comparisons %+v, want one", got.Shadows)
	}
	c := got.Shadows[0]
	if c.Champion != champ || c.Challenger != shadow || c.Weeks != len(got.Matured) || c.Rows != rows[champ] || c.Rows != rows[shadow] || c.Rows < 100 {
		t.Errorf("comparison %+v: want %s against %s on week %s's %d rows", c, champ, shadow, week, rows[champ])
	}
	if c.ChampionAUC == nil || c.ChallengerAUC == nil || *c.ChampionAUC != own[champ] || *c.ChallengerAUC != own[shadow] {
		t.Fatalf("paired AUCs %v and %v, want each version's own %v and %v", c.ChampionAUC, c.ChallengerAUC, own[champ], own[shadow])
	}
	d := *c.ChallengerAUC - *c.ChampionAUC
	if c.Difference.Estimate == nil || math.Abs(*c.Difference.Estimate-d) > 1e-12 || *c.Difference.Lower > d || *c.Difference.Upper < d ||
		c.P == nil || !(*c.P > 0 && *c.P <= 1) || c.Verdict == "" {
		t.Errorf("difference %+v, p %v, verdict %q: want %v inside its interval", c.Difference, c.P, c.Verdict, d)
	}
	if g := testutil.ToFloat64(e.srv.metrics.shadowAUCDiff.WithLabelValues(champ, shadow)); g != *c.Difference.Estimate {
		t.Errorf("churn_shadow_roc_auc_difference %v, want %v", g, *c.Difference.Estimate)
	}
	if g := testutil.ToFloat64(e.srv.metrics.shadowP.WithLabelValues(champ, shadow)); g != *c.P {
		t.Errorf("churn_shadow_roc_auc_p_value %v, want %v", g, *c.P)
	}
	t.Logf("week %s, %d account-weeks: %s AUC %.4f, shadow %s AUC %.4f, p %.3g: %s",
		week, c.Rows, champ, *c.ChampionAUC, shadow, *c.ChallengerAUC, *c.P, c.Verdict)
}
