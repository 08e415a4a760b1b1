package serve

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/maturity"
)

// maturityJSON is GET /v1/maturity as a client decodes it.
type maturityJSON struct {
	Learned bool   `json:"learned"`
	Source  string `json:"source"`
	Week    string `json:"week"`
	Horizon int    `json:"horizon_weeks"`
	Steps   []struct {
		To         int    `json:"to_level"`
		Name       string `json:"name"`
		Indicators []struct {
			retention.Indicator
			Description string `json:"description"`
		} `json:"indicators"`
	} `json:"steps"`
	Levels []struct {
		Level     int                `json:"level"`
		Name      string             `json:"name"`
		Rows      int                `json:"rows"`
		Churned   int                `json:"churned"`
		ChurnRate retention.Interval `json:"churn_rate"`
		Accounts  int                `json:"accounts"`
	} `json:"levels"`
	Accounts int `json:"accounts"`
	Unplaced int `json:"unplaced"`
}

// rankedMaturity is the maturity of a ranking entry or an account page.
type rankedMaturity struct {
	ID    string `json:"account_id"`
	Week  string `json:"week"`
	Level *int   `json:"maturity_level"`
	Name  string `json:"maturity_name"`
	Lacks []struct {
		retention.Indicator
		Description string `json:"description"`
	} `json:"maturity_lacks"`
}

func (e *env) maturity(t *testing.T) maturityJSON {
	t.Helper()
	w := e.do("GET", "/v1/maturity", "")
	if w.Code != 200 {
		t.Fatalf("GET /v1/maturity: %d %s", w.Code, w.Body)
	}
	var m maturityJSON
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// rankedLevels reads every ranked account's maturity off GET /v1/ranking.
func (e *env) rankedLevels(t *testing.T) []rankedMaturity {
	t.Helper()
	var all []rankedMaturity
	for offset := 0; ; {
		w := e.do("GET", fmt.Sprintf("/v1/ranking?limit=1000&offset=%d", offset), "")
		if w.Code != 200 {
			t.Fatalf("GET /v1/ranking: %d %s", w.Code, w.Body)
		}
		var page struct {
			Accounts   []rankedMaturity `json:"accounts"`
			NextOffset *int             `json:"next_offset"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Accounts...)
		if page.NextOffset == nil {
			return all
		}
		offset = *page.NextOffset
	}
}

// ladderOf is the ladder GET /v1/maturity gives, as a configured one.
func (m maturityJSON) ladderOf() *maturity.Ladder {
	l := &maturity.Ladder{}
	for _, s := range m.Steps {
		step := maturity.Step{To: s.To}
		for _, ind := range s.Indicators {
			step.Indicators = append(step.Indicators, ind.Indicator)
		}
		l.Steps = append(l.Steps, step)
	}
	return l
}

// TestMaturityLevels serves the fixture with a learned ladder and checks
// every ranked account's level against the ladder applied to the history
// read apart, and GET /v1/maturity's table against the levels: its
// accounts add up to the ranked ones, each level's churn interval holds
// its rate. The same ladder configured from a file gives the same levels.
func TestMaturityLevels(t *testing.T) {
	e := newEnv(t, models.Logistic, func(c *Config) { c.Maturity = &Maturity{} })
	m := e.maturity(t)
	if !m.Learned || m.Source != "learned" || len(m.Steps) != maturity.Levels-1 || len(m.Levels) != maturity.Levels {
		t.Fatalf("GET /v1/maturity: %+v", m)
	}
	if m.Horizon != fixtureHorizon(t, e) {
		t.Errorf("horizon %d weeks, the model's is %d", m.Horizon, fixtureHorizon(t, e))
	}
	for i, s := range m.Steps {
		if s.To != i+2 || s.Name != maturity.Name(i+2) || len(s.Indicators) != 1 ||
			s.Indicators[0].Description != s.Indicators[0].Indicator.String() {
			t.Errorf("step %d: %+v", i+1, s)
		}
	}
	ranked := e.rankedLevels(t)
	if len(ranked) < 100 {
		t.Fatalf("%d ranked accounts", len(ranked))
	}
	sum := 0
	for i, lv := range m.Levels {
		sum += lv.Accounts
		if lv.Level != i+1 || lv.Name != maturity.Name(i+1) || lv.Rows == 0 ||
			!lv.ChurnRate.Contains(float64(lv.Churned)/float64(lv.Rows)) || lv.ChurnRate.Lower >= lv.ChurnRate.Upper {
			t.Errorf("level %d: %+v", i+1, lv)
		}
	}
	if sum != len(ranked) || m.Accounts != len(ranked) || m.Unplaced != 0 {
		t.Errorf("levels hold %d accounts, placed %d, unplaced %d; %d ranked", sum, m.Accounts, m.Unplaced, len(ranked))
	}

	// The ladder applied to the history read on its own.
	hist, err := retention.Read(t.Context(), e.snaps.source())
	if err != nil {
		t.Fatal(err)
	}
	if m.Week != hist.Last.String() {
		t.Errorf("week %s, the history's latest %s", m.Week, hist.Last)
	}
	ladder := m.ladderOf()
	perLevel := make([]int, maturity.Levels+1)
	for _, a := range ranked {
		w, err := features.ParseDate(a.Week)
		if err != nil {
			t.Fatal(err)
		}
		level, lacks, found := ladder.PlaceAt(hist, a.ID, w)
		if !found || a.Level == nil || *a.Level != level || a.Name != maturity.Name(level) || len(a.Lacks) != len(lacks) {
			t.Fatalf("%s: served level %v %q lacking %d, the ladder gives %d lacking %v", a.ID, a.Level, a.Name, len(a.Lacks), level, lacks)
		}
		for i, l := range a.Lacks {
			if l.Indicator != lacks[i] || l.Description != lacks[i].String() {
				t.Errorf("%s lacks %+v, want %v", a.ID, l, lacks[i])
			}
		}
		perLevel[level]++
	}
	for _, lv := range m.Levels {
		if lv.Accounts != perLevel[lv.Level] {
			t.Errorf("level %d counts %d accounts, %d ranked accounts are at it", lv.Level, lv.Accounts, perLevel[lv.Level])
		}
	}
	if perLevel[1] == len(ranked) || perLevel[maturity.Levels] == len(ranked) {
		t.Errorf("every account on one level: %v", perLevel)
	}
	want := "# HELP churn_maturity_accounts Active accounts at each maturity level (1 onboarding to 4 optimisation), with churn serve --maturity.\n" +
		"# TYPE churn_maturity_accounts gauge\n"
	for lv := 1; lv <= maturity.Levels; lv++ {
		want += fmt.Sprintf("churn_maturity_accounts{level=\"%d\"} %d\n", lv, perLevel[lv])
	}
	if err := testutil.GatherAndCompare(e.srv.metrics.reg, strings.NewReader(want), "churn_maturity_accounts"); err != nil {
		t.Error(err)
	}

	// The account page carries the ranking entry's level.
	a := ranked[len(ranked)/2]
	w := e.do("GET", "/v1/accounts/"+url.PathEscape(a.ID), "")
	var page struct {
		Account rankedMaturity `json:"account"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != 200 {
		t.Fatalf("GET /v1/accounts/%s: %d %v", a.ID, w.Code, err)
	}
	if *page.Account.Level != *a.Level || len(page.Account.Lacks) != len(a.Lacks) {
		t.Errorf("account page: level %v lacking %d, ranking %v lacking %d", page.Account.Level, len(page.Account.Lacks), *a.Level, len(a.Lacks))
	}

	// The learned ladder written to a file and configured places alike.
	data, err := json.Marshal(ladder)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ladder.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	configured, err := maturity.ReadLadder(file)
	if err != nil {
		t.Fatal(err)
	}
	c := newEnv(t, models.Logistic, func(c *Config) { c.Maturity = &Maturity{Ladder: configured, Source: file} })
	cm := c.maturity(t)
	if cm.Learned || cm.Source != file {
		t.Errorf("configured: learned %v, source %q", cm.Learned, cm.Source)
	}
	for i := range cm.Levels {
		if cm.Levels[i] != m.Levels[i] {
			t.Errorf("level %d: configured %+v, learned %+v", i+1, cm.Levels[i], m.Levels[i])
		}
	}
	for i, got := range c.rankedLevels(t) {
		if got.ID != ranked[i].ID || *got.Level != *ranked[i].Level {
			t.Fatalf("rank %d: configured %s at %v, learned %s at %v", i, got.ID, *got.Level, ranked[i].ID, *ranked[i].Level)
		}
	}
}

func fixtureHorizon(t *testing.T, e *env) int {
	t.Helper()
	return e.srv.state.Load().model.Horizon
}

// TestMaturityOff: without Config.Maturity the route is a 404 that says
// how to turn it on, and no account carries a level.
func TestMaturityOff(t *testing.T) {
	e := newEnv(t, models.Logistic)
	w := e.do("GET", "/v1/maturity", "")
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 404 || !strings.Contains(body.Error, "--maturity") {
		t.Errorf("GET /v1/maturity without maturity: %d %s", w.Code, w.Body)
	}
	if n, err := testutil.GatherAndCount(e.srv.metrics.reg, "churn_maturity_accounts"); err != nil || n != 0 {
		t.Errorf("%d maturity series without maturity (%v)", n, err)
	}
	w = e.do("GET", "/v1/ranking?limit=5", "")
	if w.Code != 200 || strings.Contains(w.Body.String(), "maturity") {
		t.Errorf("ranking without maturity: %d %.300s", w.Code, w.Body)
	}
	on := newEnv(t, models.Logistic, func(c *Config) { c.Maturity = &Maturity{} })
	if w := on.do("GET", "/v1/maturity?level=2", ""); w.Code != 400 || !strings.Contains(w.Body.String(), "level=2") {
		t.Errorf("GET /v1/maturity?level=2: %d %s", w.Code, w.Body)
	}
}

// TestMaturityReload: a reload places the accounts again on the new
// snapshots; a configured ladder of a column the snapshots lack fails the
// start, naming the ladder and the column.
func TestMaturityReload(t *testing.T) {
	e := newEnv(t, models.Logistic, func(c *Config) { c.Maturity = &Maturity{} })
	before := e.maturity(t)
	last, err := features.ParseDate(before.Week)
	if err != nil {
		t.Fatal(err)
	}
	var kept []features.Snapshot
	for _, s := range fixture.rows {
		if s.Week < last {
			kept = append(kept, s)
		}
	}
	e.snaps.set(kept, nil)
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	after := e.maturity(t)
	if want := last.AddDays(-7).String(); after.Week != want {
		t.Fatalf("after the reload the levels are of the week %s, want %s", after.Week, want)
	}
	ranked := e.rankedLevels(t)
	sum := 0
	for _, lv := range after.Levels {
		sum += lv.Accounts
	}
	if sum != len(ranked) || after.Accounts != len(ranked) {
		t.Errorf("after the reload the levels hold %d accounts, %d ranked", sum, len(ranked))
	}
	for _, a := range ranked {
		if a.Week != after.Week && a.Level == nil {
			t.Errorf("%s not placed", a.ID)
		}
	}

	// Snapshots too short to learn a ladder from are rejected, and the
	// levels loaded before keep serving.
	first := fixture.rows[0].Week
	var short []features.Snapshot
	for _, s := range fixture.rows {
		if s.Week <= first.AddDays(7*6) {
			short = append(short, s)
		}
	}
	e.snaps.set(short, nil)
	if err := e.srv.Reload(t.Context()); err == nil || !strings.Contains(err.Error(), "maturity ladder learned from memory") {
		t.Errorf("reload of 7 weeks: %v, want the ladder's error", err)
	}
	if m := e.maturity(t); m.Week != after.Week || m.Accounts != after.Accounts {
		t.Errorf("after a rejected reload the levels are of %s (%d accounts), want %s (%d)", m.Week, m.Accounts, after.Week, after.Accounts)
	}

	bad := before.ladderOf()
	bad.Steps[1].Indicators[0].Column = "logins_per_seat"
	_, err = New(t.Context(), Config{ModelDir: fixture.dirs[models.Logistic], Snapshots: e.snaps.source(),
		Maturity: &Maturity{Ladder: bad, Source: "ladder.yaml"}})
	if err == nil || !strings.Contains(err.Error(), "ladder.yaml") || !strings.Contains(err.Error(), `no column "logins_per_seat"`) {
		t.Errorf("a ladder of a missing column: %v", err)
	}
}

// TestMaturityEmptyLevel: a configured ladder whose last steps no account
// meets leaves levels without account-weeks, whose churn rate is unknown:
// null, as every unknown number of the API, not a failed encoding.
func TestMaturityEmptyLevel(t *testing.T) {
	never := retention.Indicator{Column: "frequency", Op: retention.AtLeast, Threshold: 1e9, Days: 28, Percent: 100}
	ladder := &maturity.Ladder{Steps: []maturity.Step{
		{To: 2, Indicators: []retention.Indicator{{Column: "recency_days", Op: retention.AtMost, Threshold: 6, Days: 28, Percent: 50}}},
		{To: 3, Indicators: []retention.Indicator{never}},
		{To: 4, Indicators: []retention.Indicator{never}},
	}}
	e := newEnv(t, models.Logistic, func(c *Config) { c.Maturity = &Maturity{Ladder: ladder, Source: "never.yaml"} })
	w := e.do("GET", "/v1/maturity", "")
	var m struct {
		Levels []struct {
			Level     int `json:"level"`
			Rows      int `json:"rows"`
			ChurnRate struct {
				Estimate, Lower, Upper *float64
			} `json:"churn_rate"`
		} `json:"levels"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 || len(m.Levels) != maturity.Levels {
		t.Fatalf("GET /v1/maturity: %d %s", w.Code, w.Body)
	}
	for _, lv := range m.Levels {
		known := lv.ChurnRate.Estimate != nil && lv.ChurnRate.Lower != nil && lv.ChurnRate.Upper != nil
		if (lv.Rows > 0) != known || (lv.Level >= 3) != (lv.Rows == 0) {
			t.Errorf("level %d: %d rows, churn rate %s", lv.Level, lv.Rows, w.Body)
		}
	}
}
