package plays

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

func day(t *testing.T, s string) features.Date {
	t.Helper()
	if s == "" {
		return features.NoDate
	}
	d, err := features.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// book is a Book of week 2026-11-30 (a Monday): the week's touchpoints
// are those dated 2026-11-30 to 2026-12-06.
func book(t *testing.T) *ranking.Book {
	t.Helper()
	acc := func(id, segment string, arr, p, seats float64, renewal string) *ranking.Account {
		return &ranking.Account{AccountID: id, Segment: segment, ARR: arr, Probability: p, ARRAtRisk: arr * p,
			Health: "red", RenewalDate: day(t, renewal), Features: []float64{1, seats}}
	}
	return &ranking.Book{
		Model: &models.Artifact{Features: []string{"logins", "seats"}},
		AsOf:  day(t, "2026-11-30"),
		Accounts: []*ranking.Account{
			acc("at120", "smb", 10000, 0.5, 5, "2027-03-30"),     // 120 days: the 120-day touchpoint is today
			acc("at32", "smb", 20000, 0.1, 5, "2027-01-01"),      // the 30-day touchpoint is on 2026-12-02
			acc("at77", "smb", 40000, 0.2, 5, "2027-02-15"),      // nothing due; next the 60-day on 2026-12-17
			acc("big180", "smb", 90000, 0.1, 5, "2027-05-29"),    // 180 days: out by default, in "enterprise"
			acc("team60", "smb", 1000, 0.9, 80, "2027-01-29"),    // 60 days, 80 seats
			acc("soon", "smb", math.NaN(), 0.3, 5, "2026-12-06"), // 6 days; unknown ARR sorts last
			acc("past", "smb", 5000, 0.5, 5, "2026-11-29"),       // renewal already past
			acc("unknown", "smb", 5000, 0.5, 5, ""),              // no renewal date
		},
	}
}

type want struct {
	id, segment string
	days        int
	due         []int
	next        int // days before of Next; -1 for none
}

func TestFor(t *testing.T) {
	segFile := `
segments:
  - name: enterprise
    arr: {min: 50000}
    lead_days: 180
    touchpoints:
      signature: [180, 90, 30]
  - name: team
    seats: {min: 50}
    lead_days: 90
    touchpoints:
      signature: [60, 14]
      auto: [30]
`
	segs, err := ParseSegments("segments.yaml", []byte(segFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		segs *Segments
		want []want
	}{
		// ARR at risk: big180 9000, at77 8000, at120 5000, at32 2000, team60 900.
		{"default segment", nil, []want{
			{"at77", "default", 77, nil, 60},
			{"at120", "default", 120, []int{120}, 90},
			{"at32", "default", 32, []int{30}, -1},
			{"team60", "default", 60, []int{60}, 30},
			{"soon", "default", 6, nil, -1},
		}},
		{"segment file", segs, []want{
			{"big180", "enterprise", 180, []int{180}, 90},
			{"at77", "default", 77, nil, 60},
			{"at120", "default", 120, []int{120}, 90},
			{"at32", "default", 32, []int{30}, -1},
			{"team60", "team", 60, []int{60}, 14},
			{"soon", "default", 6, nil, -1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := For(book(t), tt.segs)
			if w.Week != day(t, "2026-11-30") {
				t.Errorf("week %v", w.Week)
			}
			if len(w.Plays) != len(tt.want) {
				t.Fatalf("%d plays, want %d: %+v", len(w.Plays), len(tt.want), w.Plays)
			}
			for i, p := range w.Plays {
				wt := tt.want[i]
				var due []int
				for _, d := range p.Due {
					due = append(due, d.DaysBefore)
					if got := p.RenewalDate.AddDays(-d.DaysBefore); d.Date != got {
						t.Errorf("%s: touchpoint %d dated %v, want %v", p.AccountID, d.DaysBefore, d.Date, got)
					}
				}
				next := -1
				if p.Next != nil {
					next = p.Next.DaysBefore
				}
				if p.AccountID != wt.id || p.Segment != wt.segment || p.DaysToRenewal != wt.days || !slices.Equal(due, wt.due) || next != wt.next {
					t.Errorf("play %d = %s %s %d days due %v next %d, want %+v", i, p.AccountID, p.Segment, p.DaysToRenewal, due, next, wt)
				}
				if p.RenewalType != Signature {
					t.Errorf("%s: renewal type %q", p.AccountID, p.RenewalType)
				}
			}
			if got := w.DueOnly(); len(got.Plays) >= len(w.Plays) {
				t.Errorf("DueOnly kept %d of %d", len(got.Plays), len(w.Plays))
			}
		})
	}
}

// TestForRenewalType checks that each account follows its renewal type's
// touchpoints, and one of unknown type the signature list: three accounts
// renewing the same day, 60 days out, get different touchpoints due.
func TestForRenewalType(t *testing.T) {
	segs, err := ParseSegments("segments.yaml", []byte(`
segments:
  - name: all
    lead_days: 90
    touchpoints:
      signature: [90, 14]
      auto: [60]
`))
	if err != nil {
		t.Fatal(err)
	}
	b := book(t)
	renewal := day(t, "2027-01-29") // 60 days after 2026-11-30
	b.Accounts = nil
	for _, c := range []struct{ id, typ string }{{"a-auto", features.RenewalAuto}, {"b-signature", features.RenewalSignature}, {"c-unknown", ""}} {
		b.Accounts = append(b.Accounts, &ranking.Account{AccountID: c.id, ARR: 1000, Probability: 0.5, ARRAtRisk: 500,
			RenewalDate: renewal, RenewalType: c.typ, Features: []float64{1, 5}})
	}
	w := For(b, segs)
	want := map[string]struct {
		typ       string
		due, next []int
	}{
		"a-auto":      {Auto, []int{60}, nil},
		"b-signature": {Signature, nil, []int{14}},
		"c-unknown":   {Signature, nil, []int{14}},
	}
	if len(w.Plays) != len(want) {
		t.Fatalf("%d plays, want %d", len(w.Plays), len(want))
	}
	for _, p := range w.Plays {
		var due, next []int
		for _, d := range p.Due {
			due = append(due, d.DaysBefore)
		}
		if p.Next != nil {
			next = []int{p.Next.DaysBefore}
		}
		wt := want[p.AccountID]
		if p.RenewalType != wt.typ || !slices.Equal(due, wt.due) || !slices.Equal(next, wt.next) {
			t.Errorf("%s: %s, due %v, next %v; want %s, due %v, next %v", p.AccountID, p.RenewalType, due, next, wt.typ, wt.due, wt.next)
		}
	}
}

func TestDueDates(t *testing.T) {
	// The 30-day touchpoint of a 2027-01-01 renewal is dated 2026-12-02,
	// inside the week of 2026-11-30 and not inside the week before or
	// after.
	b := book(t)
	b.Accounts = b.Accounts[1:2]
	for _, tt := range []struct {
		week string
		due  bool
	}{{"2026-11-23", false}, {"2026-11-30", true}, {"2026-12-07", false}} {
		b.AsOf = day(t, tt.week)
		w := For(b, nil)
		if got := len(w.Plays) == 1 && len(w.Plays[0].Due) == 1 && w.Plays[0].Due[0].Date == day(t, "2026-12-02"); got != tt.due {
			t.Errorf("week %s: due %v, want %v (%+v)", tt.week, got, tt.due, w.Plays)
		}
	}
}

func TestJSONUnknownARR(t *testing.T) {
	w := For(book(t), nil)
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"account_id":"soon","segment":"default","renewal_type":"signature","renewal_date":"2026-12-06","days_to_renewal":6,"churn_probability":0.3,"health":"red","arr":null,"arr_at_risk":null,"due":[],"next":null`) {
		t.Errorf("json: %s", data)
	}
}

// TestSegmentHealth: a segment's own cut-offs colour its plays; the
// others keep the model's colour.
func TestSegmentHealth(t *testing.T) {
	segs, err := ParseSegments("s.yaml", []byte("segments:\n  - name: strict\n    segment: smb\n    arr: {max: 15000}\n    health: {yellow: 0.2, red: 0.4}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range For(book(t), segs).Plays {
		got[p.AccountID] = p.Segment + " " + p.Health
	}
	// at120: ARR 10000, p 0.5 (red); team60: ARR 1000, p 0.9 (red); at32:
	// ARR 20000, the default segment, keeps the book's "red".
	want := map[string]string{"at120": "strict red", "team60": "strict red", "at32": "default red", "at77": "default red"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
	b := book(t)
	b.Accounts[0].Probability = 0.3 // at120 under strict cut-offs: yellow
	b.Accounts[4].Probability = 0.1 // team60: green
	for _, p := range For(b, segs).Plays {
		if w := map[string]string{"at120": "yellow", "team60": "green"}[p.AccountID]; w != "" && p.Health != w {
			t.Errorf("%s at %g: %s, want %s", p.AccountID, p.Probability, p.Health, w)
		}
	}
	for _, bad := range []string{"{yellow: 0.5, red: 0.4}", "{yellow: 0, red: 0.4}", "{yellow: 0.2, red: 1}"} {
		if _, err := ParseSegments("s.yaml", []byte("segments:\n  - name: a\n    health: "+bad+"\n")); err == nil || !strings.Contains(err.Error(), `s.yaml:3: segment "a" health:`) {
			t.Errorf("health %s: %v", bad, err)
		}
	}
}
