package serve

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/plays"
	"github.com/churnlabs/churn/models/ranking"
)

// TestSegmentsColourTheBook: under a segment file the ranking gives each
// account its renewal segment and the cut-offs its colour is under,
// filters by segment with the totals following, records those colours
// (which the alerts read) and hands the alerts each account's segment
// lead time; without one, the ranking has neither key.
func TestSegmentsColourTheBook(t *testing.T) {
	segs, err := plays.ParseSegments("s.yaml", []byte(`
segments:
  - name: smb
    segment: smb
    health: {yellow: 0.000001, red: 0.000002}
  - name: big
    arr: {min: 60000}
    lead_days: 200
`))
	if err != nil {
		t.Fatal(err)
	}
	store := openScores(t)
	al := &fakeAlerter{weeks: store.ScoredWeeks}
	e := newEnv(t, models.Logistic, func(c *Config) { c.Segments, c.Scores, c.Alerts = segs, store, al })
	waitFor(t, "alerts after the first recording", func() bool { return len(al.Calls()) == 1 })

	type page struct {
		Health   models.Health `json:"health"`
		Accounts []struct {
			ID          string         `json:"account_id"`
			Probability float64        `json:"churn_probability"`
			Health      string         `json:"health"`
			Segment     string         `json:"segment"`
			PlaySegment *string        `json:"play_segment"`
			Cutoffs     *models.Health `json:"cutoffs"`
		} `json:"accounts"`
		Totals       ranking.Totals `json:"totals"`
		PlaySegments []string       `json:"play_segments"`
	}
	get := func(e *env, query string) page {
		t.Helper()
		w := e.do("GET", "/v1/ranking?limit=1000"+query, "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET /v1/ranking%s: %d %s", query, w.Code, w.Body)
		}
		var p page
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := get(e, "")
	if strings.Join(all.PlaySegments, ",") != "big,default,smb" {
		t.Errorf("play_segments %q", all.PlaySegments)
	}
	book := e.srv.state.Load().book
	modelHealth := book.Model.Health
	differ := 0
	for _, a := range all.Accounts {
		if a.PlaySegment == nil || a.Cutoffs == nil {
			t.Fatalf("account %s: play_segment %v, cutoffs %v", a.ID, a.PlaySegment, a.Cutoffs)
		}
		want := modelHealth
		if *a.PlaySegment == "smb" {
			want = models.Health{Yellow: 0.000001, Red: 0.000002}
		}
		if a.Cutoffs.Yellow != want.Yellow || a.Cutoffs.Red != want.Red || a.Health != want.Colour(a.Probability) {
			t.Errorf("account %s (%s, %.4f): %s under %+v, want %s under %+v", a.ID, *a.PlaySegment, a.Probability,
				a.Health, *a.Cutoffs, want.Colour(a.Probability), want)
		}
		if a.Health != modelHealth.Colour(a.Probability) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("no account is coloured apart from the model's cut-offs")
	}
	smb := get(e, "&play_segment=smb")
	if smb.Totals.Accounts == 0 || smb.Totals.Red != smb.Totals.Accounts || len(smb.Accounts) != smb.Totals.Accounts {
		t.Errorf("play_segment=smb: totals %+v of %d accounts, want every one red", smb.Totals, len(smb.Accounts))
	}
	for _, a := range smb.Accounts {
		if *a.PlaySegment != "smb" {
			t.Errorf("play_segment=smb: account %s of %s", a.ID, *a.PlaySegment)
		}
	}
	for _, q := range []string{"play_segment=nope", "play_segment=smb&play_segment=big"} {
		if w := e.do("GET", "/v1/ranking?"+q, ""); w.Code != http.StatusBadRequest {
			t.Errorf("GET /v1/ranking?%s: %d %s", q, w.Code, w.Body)
		}
	}

	// The recorded colours, which the alerts compare, are the segments'.
	recs, err := store.Scores(t.Context(), book.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	colour := map[string]string{}
	for _, a := range all.Accounts {
		colour[a.ID] = a.Health
	}
	if len(recs) != len(all.Accounts) {
		t.Fatalf("%d scores recorded, %d ranked", len(recs), len(all.Accounts))
	}
	for _, r := range recs {
		if r.Health != colour[r.AccountID] {
			t.Errorf("account %s recorded %s, ranked %s", r.AccountID, r.Health, colour[r.AccountID])
		}
	}
	// The alerts' renewal windows are the segments' lead times.
	c := al.Calls()[0]
	for _, a := range all.Accounts {
		want := 120
		if *a.PlaySegment == "big" {
			want = 200
		}
		if c.windows[a.ID] != want {
			t.Errorf("account %s of %s: renewal window %d, want %d", a.ID, *a.PlaySegment, c.windows[a.ID], want)
		}
	}

	// Without a segment file: no play_segment, no cutoffs, the filter
	// refused.
	plain := newEnv(t, models.Logistic)
	if w := plain.do("GET", "/v1/ranking?limit=5", ""); strings.Contains(w.Body.String(), "play_segment") || strings.Contains(w.Body.String(), "cutoffs") {
		t.Errorf("ranking without segments: %s", w.Body)
	}
	if w := plain.do("GET", "/v1/ranking?play_segment=smb", ""); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "no segment file") {
		t.Errorf("play_segment without segments: %d %s", w.Code, w.Body)
	}
}

// TestSegmentsLearnedInServe: a model with learned segment cut-offs
// gives them in GET /v1/model, and the ranking colours a segment that
// asks for them by them; one without has no segment_health.
func TestSegmentsLearnedInServe(t *testing.T) {
	a, err := models.Load(fixture.dirs[models.Logistic])
	if err != nil {
		t.Fatal(err)
	}
	learned := models.Health{Yellow: 0.01, Red: 0.02, Rule: "red: riskiest 10% of the segment's validation account-weeks; yellow: next 20%"}
	a.SegmentHealth = map[string]models.SegmentHealth{
		"all":     {Health: learned, Rows: 900, Churners: 30, Learned: true},
		"default": {Health: a.Health, Rows: 0},
	}
	dir := t.TempDir()
	if err := models.Save(dir, a, &models.Report{}); err != nil {
		t.Fatal(err)
	}
	segs, err := plays.ParseSegments("s.yaml", []byte("segments:\n  - name: all\n    health: learned\n"))
	if err != nil {
		t.Fatal(err)
	}
	snaps := &snapshots{schema: simulate.Schema(), rows: fixture.rows}
	srv, err := New(t.Context(), Config{ModelDir: dir, Snapshots: snaps.source(), Segments: segs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e := &env{srv: srv, h: srv.Handler()}
	var model struct {
		SegmentHealth map[string]models.SegmentHealth `json:"segment_health"`
	}
	if err := json.Unmarshal(e.do("GET", "/v1/model", "").Body.Bytes(), &model); err != nil {
		t.Fatal(err)
	}
	if got := model.SegmentHealth["all"]; got.Health != learned || !got.Learned || got.Rows != 900 {
		t.Errorf("GET /v1/model segment_health %+v", model.SegmentHealth)
	}
	var page struct {
		Accounts []struct {
			Probability float64       `json:"churn_probability"`
			Health      string        `json:"health"`
			Cutoffs     models.Health `json:"cutoffs"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(e.do("GET", "/v1/ranking?limit=1000", "").Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	for _, acc := range page.Accounts {
		if acc.Cutoffs != learned || acc.Health != learned.Colour(acc.Probability) {
			t.Fatalf("account at %.4f: %s under %+v, want %s under the learned %+v", acc.Probability, acc.Health, acc.Cutoffs, learned.Colour(acc.Probability), learned)
		}
	}
	if w := newEnv(t, models.Logistic).do("GET", "/v1/model", ""); strings.Contains(w.Body.String(), "segment_health") {
		t.Errorf("GET /v1/model of a model without segments: %s", w.Body)
	}
}
