package serve

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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
