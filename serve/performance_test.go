package serve

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/models/ranking"
)

// TestPerformance records, for a week a horizon before the snapshots
// end, scores that know who churned, and reads them back as realized
// outcomes: ROC AUC 1 on that week, the current week not yet matured,
// and the gauges set.
func TestPerformance(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores = store })
	st := e.srv.state.Load()
	h := st.model.Horizon
	week := st.lastWeek.AddDays(-7 * (h + 1)).Monday()
	var recs []lifecycle.ScoreRecord
	positives := 0
	for id, f := range st.fates {
		p := 0.1
		switch features.Outcome(week, week+features.Date(7*h), f.ChurnWeek, f.Last) {
		case features.Positive:
			p = 0.9
			positives++
		case features.Censored:
			continue
		}
		recs = append(recs, lifecycle.ScoreRecord{AccountID: id, Week: week, ModelVersion: "earlier", Probability: p})
	}
	if positives < 2 || len(recs)-positives < 2 {
		t.Fatalf("fixture week %s: %d positives of %d, want both classes", week, positives, len(recs))
	}
	if _, err := store.RecordScores(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// The server records its own (immature) week in the background.
	waitFor(t, "the book to be recorded", func() bool {
		rs, err := store.Scores(ctx, st.book.AsOf)
		return err == nil && len(rs) > 0
	})

	type perfJSON struct {
		Horizon     int      `json:"horizon_weeks"`
		Matured     []string `json:"matured_weeks"`
		Immature    []string `json:"immature_weeks"`
		Performance []struct {
			ModelVersion string `json:"model_version"`
			Segment      string `json:"segment"`
			Rows         int    `json:"rows"`
			AUC          struct {
				Estimate *float64 `json:"estimate"`
			} `json:"roc_auc"`
		} `json:"performance"`
	}
	got := decode[perfJSON](t, e.do("GET", "/v1/model/performance", ""))
	if got.Horizon != h || len(got.Matured) != 1 || got.Matured[0] != week.String() {
		t.Errorf("horizon %d, matured %v: want %d and [%s]", got.Horizon, got.Matured, h, week)
	}
	if len(got.Immature) == 0 || got.Immature[len(got.Immature)-1] != st.book.AsOf.String() {
		t.Errorf("immature %v: want the served week %s", got.Immature, st.book.AsOf)
	}
	if len(got.Performance) == 0 {
		t.Fatal("no performance")
	}
	all := got.Performance[0]
	if all.ModelVersion != "earlier" || all.Segment != "" || all.Rows != len(recs) || all.AUC.Estimate == nil || *all.AUC.Estimate != 1 {
		t.Errorf("performance %+v: want model earlier, %d rows, AUC 1", all, len(recs))
	}
	m := e.do("GET", "/metrics", "").Body.String()
	if !strings.Contains(m, `churn_realized_roc_auc{model_version="earlier",segment=""} 1`) {
		t.Errorf("/metrics lacks the realized AUC gauge:\n%s", grepLines(m, "churn_realized"))
	}
}

// TestPerformanceWithoutHistory: a server with no score history says so.
func TestPerformanceWithoutHistory(t *testing.T) {
	e := newEnv(t, models.Logistic)
	w := e.do("GET", "/v1/model/performance", "")
	if w.Code != 404 || !strings.Contains(w.Body.String(), "no score history") {
		t.Errorf("status %d: %s; want 404 saying there is no score history", w.Code, w.Body)
	}
}

// TestPerformanceVersionHorizon: a version registered with a longer
// horizon than the served model's is judged over its own, as "churn
// monitor" judges it: scores that know who churned within that horizon
// give ROC AUC 1, and its line says the horizon.
func TestPerformanceVersionHorizon(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores = store })
	st := e.srv.state.Load()
	long := st.model.Horizon + 6
	v := lifecycle.ModelVersion{Version: "longer", Path: "/nowhere", Learner: models.Logistic,
		Details: []byte(fmt.Sprintf(`{"horizon_weeks": %d}`, long))}
	if _, err := store.RegisterModel(ctx, v, "test", "a longer horizon"); err != nil {
		t.Fatal(err)
	}
	week := st.lastWeek.AddDays(-7 * (long + 1)).Monday()
	var recs []lifecycle.ScoreRecord
	differ := 0 // account-weeks whose label over the served horizon is not the one over long
	for id, f := range st.fates {
		o := features.Outcome(week, week+features.Date(7*long), f.ChurnWeek, f.Last)
		if o == features.Censored {
			continue
		}
		p := 0.1
		if o == features.Positive {
			p = 0.9
		}
		if features.Outcome(week, week+features.Date(7*st.model.Horizon), f.ChurnWeek, f.Last) != o {
			differ++
		}
		recs = append(recs, lifecycle.ScoreRecord{AccountID: id, Week: week, ModelVersion: "longer", Probability: p})
	}
	if differ == 0 {
		t.Fatalf("fixture week %s: no account churns between the two horizons; the test could not fail", week)
	}
	if _, err := store.RecordScores(ctx, recs); err != nil {
		t.Fatal(err)
	}
	e.srv.perf.invalidate()
	type perfJSON struct {
		Performance []struct {
			ModelVersion string `json:"model_version"`
			Segment      string `json:"segment"`
			Horizon      int    `json:"horizon_weeks"`
			AUC          struct {
				Estimate *float64 `json:"estimate"`
			} `json:"roc_auc"`
		} `json:"performance"`
	}
	got := decode[perfJSON](t, e.do("GET", "/v1/model/performance", ""))
	for _, g := range got.Performance {
		if g.ModelVersion != "longer" || g.Segment != "" {
			continue
		}
		auc := math.NaN()
		if g.AUC.Estimate != nil {
			auc = *g.AUC.Estimate
		}
		if g.Horizon != long || auc != 1 {
			t.Errorf("version longer judged over %d weeks with ROC AUC %.3f; want %d weeks and 1", g.Horizon, auc, long)
		}
		return
	}
	t.Errorf("no line for version longer in %+v", got.Performance)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// countingStore is a score history that counts how often the realized
// outcomes read it.
type countingStore struct {
	*sqlstore.Store
	weekReads, scoreReads atomic.Int64
	// slow, when set, makes each read of the weeks take that long, as a
	// long history does: time for other requests to arrive meanwhile.
	slow atomic.Int64
}

func (c *countingStore) ScoredWeeks(ctx context.Context) ([]features.Date, error) {
	c.weekReads.Add(1)
	time.Sleep(time.Duration(c.slow.Load()))
	return c.Store.ScoredWeeks(ctx)
}

func (c *countingStore) Scores(ctx context.Context, week features.Date) ([]lifecycle.ScoreRecord, error) {
	c.scoreReads.Add(1)
	return c.Store.Scores(ctx, week)
}

// TestPerformanceCache: the realized outcomes are read from the store
// once, and read again only after the server records scores or reloads.
func TestPerformanceCache(t *testing.T) {
	ctx := context.Background()
	sq, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	store := &countingStore{Store: sq}
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores = store })
	st := e.srv.state.Load()
	// The server records its own book in the background; wait for it, so
	// that recording is not what the requests below see change.
	waitFor(t, "the book to be recorded", func() bool {
		rs, err := sq.Scores(ctx, st.book.AsOf)
		return err == nil && len(rs) > 0
	})
	e.srv.history.wait()

	type perfJSON struct {
		Matured     []string `json:"matured_weeks"`
		Performance []struct {
			ModelVersion string `json:"model_version"`
			Rows         int    `json:"rows"`
		} `json:"performance"`
	}
	get := func() perfJSON {
		t.Helper()
		w := e.do("GET", "/v1/model/performance", "")
		if w.Code != 200 {
			t.Fatalf("GET /v1/model/performance: %d %s", w.Code, w.Body)
		}
		return decode[perfJSON](t, w)
	}
	reads := func() int64 { return store.weekReads.Load() }

	before := get()
	if n := reads(); n != 1 {
		t.Fatalf("first request read the scored weeks %d times, want 1", n)
	}
	if again := get(); reads() != 1 || !reflect.DeepEqual(again, before) {
		t.Errorf("a second request without a recording read the store %d times in all (want 1) and answered %+v, first %+v",
			reads(), again, before)
	}
	if len(before.Performance) != 0 {
		t.Fatalf("performance %+v before any week matured", before.Performance)
	}

	// The server records a matured week (as a weekly recording of an
	// older book would): the next answer holds it.
	week := st.lastWeek.AddDays(-7 * (st.model.Horizon + 1)).Monday()
	book := &ranking.Book{Model: &models.Artifact{Version: "recorded-later"}, AsOf: week}
	for _, a := range st.book.Accounts[:20] {
		book.Accounts = append(book.Accounts, &ranking.Account{AccountID: a.AccountID, Week: week, Probability: a.Probability})
	}
	e.srv.history.record(&state{book: book})
	e.srv.history.wait()
	after := get()
	if reads() != 2 {
		t.Errorf("after a recording the scored weeks were read %d times in all, want 2", reads())
	}
	if len(after.Performance) == 0 || after.Performance[0].ModelVersion != "recorded-later" || len(after.Matured) != 1 {
		t.Errorf("after recording week %s the answer is %+v, want it evaluated", week, after)
	}
	get()
	if reads() != 2 {
		t.Errorf("a request after the recorded one read the store again: %d reads, want 2", reads())
	}

	// A reload brings new fates: the report is computed again, once for
	// requests that arrive together.
	if err := e.srv.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	e.srv.history.wait()
	n := reads()
	store.slow.Store(int64(200 * time.Millisecond))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if w := e.do("GET", "/v1/model/performance", ""); w.Code != 200 {
				t.Errorf("GET /v1/model/performance: %d %s", w.Code, w.Body)
			}
		})
	}
	wg.Wait()
	if reads() != n+1 {
		t.Errorf("8 requests together after a reload read the scored weeks %d times, want once", reads()-n)
	}
}
