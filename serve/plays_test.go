package serve

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/plays"
)

// TestPlays: GET /v1/plays lists the accounts renewing within the lead
// time of the served book's week, ARR at risk first, pages them, filters
// to the touchpoints due, and refuses a bad query by name.
func TestPlays(t *testing.T) {
	segs, err := plays.ParseSegments("s.yaml", []byte("segments:\n  - name: all\n    lead_days: 200\n    touchpoints:\n      signature: [200, 150, 100, 50, 25, 10]\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, models.Logistic, func(c *Config) { c.Segments = segs })
	book := e.srv.state.Load().book
	want := 0
	for _, a := range book.Accounts {
		if d := int(a.RenewalDate - book.AsOf); a.RenewalDate != features.NoDate && d >= 0 && d <= 200 {
			want++
		}
	}
	if want < 3 {
		t.Fatalf("the fixture has %d accounts renewing within 200 days", want)
	}
	type page struct {
		Week  features.Date `json:"week"`
		Plays []struct {
			ID        string   `json:"account_id"`
			Segment   string   `json:"segment"`
			Days      int      `json:"days_to_renewal"`
			ARRAtRisk *float64 `json:"arr_at_risk"`
			Due       []any    `json:"due"`
		} `json:"plays"`
		Total      int  `json:"total"`
		NextOffset *int `json:"next_offset"`
	}
	get := func(path string) page {
		t.Helper()
		w := e.do("GET", path, "")
		if w.Code != 200 {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
		var p page
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := get("/v1/plays?limit=1000")
	if all.Week != book.AsOf || all.Total != want || len(all.Plays) != want || all.NextOffset != nil {
		t.Fatalf("week %v total %d plays %d next %v, want %v and %d", all.Week, all.Total, len(all.Plays), all.NextOffset, book.AsOf, want)
	}
	due := 0
	for i, p := range all.Plays {
		if p.Segment != "all" || p.Days < 0 || p.Days > 200 {
			t.Errorf("play %s: segment %s, %d days", p.ID, p.Segment, p.Days)
		}
		if i > 0 && p.ARRAtRisk != nil && all.Plays[i-1].ARRAtRisk != nil && *p.ARRAtRisk > *all.Plays[i-1].ARRAtRisk {
			t.Errorf("play %d ARR at risk %g after %g", i, *p.ARRAtRisk, *all.Plays[i-1].ARRAtRisk)
		}
		if len(p.Due) > 0 {
			due++
		}
	}
	if p := get("/v1/plays?limit=1&offset=1"); len(p.Plays) != 1 || p.Plays[0].ID != all.Plays[1].ID || p.NextOffset == nil || *p.NextOffset != 2 {
		t.Errorf("second page: %+v", p)
	}
	if p := get("/v1/plays?due_only=true&limit=1000"); p.Total != due {
		t.Errorf("due_only: %d plays, want %d", p.Total, due)
	}
	for _, q := range []string{"limit=0", "offset=-1", "due_only=maybe", "segment=smb", "limit=5&limit=6"} {
		if w := e.do("GET", "/v1/plays?"+q, ""); w.Code != 400 {
			t.Errorf("GET /v1/plays?%s: %d %s", q, w.Code, w.Body)
		}
	}

	// Segments by seats need the model's seats column.
	seats, err := plays.ParseSegments("s.yaml", []byte("seats_column: no_such\nsegments:\n  - name: a\n    seats: {min: 5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The segments colour the whole book, so the server refuses them
	// when it loads the model, rather than at the first GET /v1/plays.
	dir := t.TempDir()
	installModel(t, models.Logistic, dir)
	snaps := &snapshots{schema: simulate.Schema(), rows: fixture.rows}
	if srv, err := New(context.Background(), Config{ModelDir: dir, Snapshots: snaps.source(), Segments: seats}); err == nil {
		srv.Close()
		t.Error("seats segments without the column: the server started")
	} else if !strings.Contains(err.Error(), `no "no_such" column`) {
		t.Errorf("seats segments without the column: %v", err)
	}
}
