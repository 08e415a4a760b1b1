package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// TestPlays lists the renewal plays of generated data under a segment
// file and checks them against churn score's own renewal dates: every
// account renewing within its segment's lead time is there, no other,
// each touchpoint due is dated within the week, riskiest ARR first.
func TestPlays(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "40", "--seed", "5", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "4", "--valid-weeks", "6", "--model", "logistic", "--out", model, "--no-plots")
	segFile := filepath.Join(dir, "segments.yaml")
	if err := os.WriteFile(segFile, []byte(`
segments:
  - name: big
    arr: {min: 20000}
    lead_days: 180
    touchpoints:
      signature: [180, 120, 60, 30, 7]
  - name: small-team
    seats: {max: 10}
    lead_days: 60
    touchpoints:
      signature: [60, 30]
`), 0o644); err != nil {
		t.Fatal(err)
	}

	var doc struct {
		AsOf     features.Date `json:"as_of"`
		Accounts []struct {
			ID      string   `json:"account_id"`
			ARR     *float64 `json:"arr"`
			Renewal *string  `json:"renewal_date"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Week  features.Date `json:"week"`
		Plays []struct {
			ID        string        `json:"account_id"`
			Segment   string        `json:"segment"`
			Renewal   features.Date `json:"renewal_date"`
			Days      int           `json:"days_to_renewal"`
			ARRAtRisk *float64      `json:"arr_at_risk"`
			Due       []struct {
				DaysBefore int           `json:"days_before"`
				Date       features.Date `json:"date"`
			} `json:"due"`
		} `json:"plays"`
	}
	out := mustChurn(t, "plays", "--snapshots", snap, "--model", model, "--segments", segFile, "--format", "json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Week != doc.AsOf {
		t.Fatalf("plays week %v, score as of %v", got.Week, doc.AsOf)
	}
	inPlays := map[string]int{}
	due, withDue, segCount := 0, 0, map[string]int{}
	prev := math.Inf(1)
	for i, p := range got.Plays {
		inPlays[p.ID] = i
		segCount[p.Segment]++
		if p.Days != int(p.Renewal-got.Week) {
			t.Errorf("%s: %d days to %v from %v", p.ID, p.Days, p.Renewal, got.Week)
		}
		if len(p.Due) > 0 {
			withDue++
		}
		for _, d := range p.Due {
			due++
			if d.Date != p.Renewal.AddDays(-d.DaysBefore) || d.Date < got.Week || d.Date >= got.Week.AddDays(7) {
				t.Errorf("%s: touchpoint %d days before %v dated %v, not in the week of %v", p.ID, d.DaysBefore, p.Renewal, d.Date, got.Week)
			}
		}
		if p.ARRAtRisk != nil {
			if *p.ARRAtRisk > prev {
				t.Errorf("play %d (%s) ARR at risk %g after %g", i, p.ID, *p.ARRAtRisk, prev)
			}
			prev = *p.ARRAtRisk
		}
	}
	for _, a := range doc.Accounts {
		if a.Renewal == nil {
			continue
		}
		r, err := features.ParseDate(*a.Renewal)
		if err != nil {
			t.Fatal(err)
		}
		days := int(r - doc.AsOf)
		i, ok := inPlays[a.ID]
		switch {
		case days > 180 && ok:
			t.Errorf("%s renews in %d days, beyond every lead time, and is in the plays", a.ID, days)
		case days >= 0 && days <= 60 && !ok:
			t.Errorf("%s renews in %d days, within every lead time, and is not in the plays", a.ID, days)
		case ok && a.ARR != nil && *a.ARR >= 20000 && got.Plays[i].Segment != "big":
			t.Errorf("%s (ARR %g) is in segment %s, want big", a.ID, *a.ARR, got.Plays[i].Segment)
		}
	}
	if len(got.Plays) == 0 || due == 0 || segCount["big"] == 0 {
		t.Errorf("%d plays, %d touchpoints due, segments %v: the test data should have some of each", len(got.Plays), due, segCount)
	}

	// The CSV has the same plays in the same order; the table says the week.
	rows, err := csv.NewReader(strings.NewReader(mustChurn(t, "plays", "--snapshots", snap, "--model", model, "--segments", segFile, "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(got.Plays)+1 || rows[0][0] != "account_id" || len(got.Plays) > 0 && rows[1][0] != got.Plays[0].ID {
		t.Errorf("CSV has %d rows for %d plays", len(rows), len(got.Plays))
	}
	if table := mustChurn(t, "plays", "--snapshots", snap, "--model", model, "--segments", segFile, "--due-only"); !strings.Contains(table, fmt.Sprintf("week of %s: %d accounts in their renewal window, %d with a touchpoint due", got.Week, len(got.Plays), withDue)) {
		t.Errorf("table: %s", table)
	}

	checkPlaysByRenewalType(t, dir, snap, model)

	// A bad segment file is refused naming file, line and field.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("segments:\n  - name: x\n    lead_days: 30\n    touchpoints:\n      signature: [60]\n"), 0o644)
	if code, _, stderr := churn(t, "plays", "--snapshots", snap, "--model", model, "--segments", bad); code == 0 || !strings.Contains(stderr, bad+`:5: segment "x" touchpoints.signature: 60 days`) {
		t.Errorf("bad segment file: exit %d, %s", code, stderr)
	}
	if code, _, stderr := churn(t, "serve", "--snapshots", snap, "--model", model, "--segments", bad); code == 0 || !strings.Contains(stderr, bad+`:5: segment "x"`) {
		t.Errorf("serve with a bad segment file: exit %d, %s", code, stderr)
	}
}

// checkPlaysByRenewalType lists the plays of a generated book, whose
// accounts are auto or signature, under a segment file with a touchpoint
// every week for each type, three days apart: every account in the window
// has one due, from its own type's list, so an auto account and a
// signature account renewing the same day get different touchpoints due.
func checkPlaysByRenewalType(t *testing.T, dir, snap, model string) {
	t.Helper()
	var sig, auto []string
	for d := 364; d >= 0; d -= 7 {
		sig = append(sig, strconv.Itoa(d))
		if d >= 7 {
			auto = append(auto, strconv.Itoa(d-3))
		}
	}
	typed := filepath.Join(dir, "typed.yaml")
	if err := os.WriteFile(typed, []byte("segments:\n  - name: year\n    lead_days: 364\n    touchpoints:\n"+
		"      signature: ["+strings.Join(sig, ", ")+"]\n      auto: ["+strings.Join(auto, ", ")+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var scored struct {
		Accounts []struct {
			ID          string `json:"account_id"`
			RenewalType string `json:"renewal_type"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "json")), &scored); err != nil {
		t.Fatal(err)
	}
	typeOf := map[string]string{}
	for _, a := range scored.Accounts {
		typeOf[a.ID] = a.RenewalType
	}
	var got struct {
		Plays []struct {
			ID          string        `json:"account_id"`
			RenewalType string        `json:"renewal_type"`
			Renewal     features.Date `json:"renewal_date"`
			Days        int           `json:"days_to_renewal"`
			Due         []struct {
				DaysBefore int `json:"days_before"`
			} `json:"due"`
		} `json:"plays"`
	}
	if err := json.Unmarshal([]byte(mustChurn(t, "plays", "--snapshots", snap, "--model", model, "--segments", typed, "--format", "json")), &got); err != nil {
		t.Fatal(err)
	}
	// due[renewal date][renewal type] is the touchpoint due, in days before.
	due := map[features.Date]map[string]int{}
	for _, p := range got.Plays {
		if p.RenewalType != typeOf[p.ID] || p.RenewalType != features.RenewalAuto && p.RenewalType != features.RenewalSignature {
			t.Fatalf("%s: play of renewal type %q, the ranking says %q", p.ID, p.RenewalType, typeOf[p.ID])
		}
		if len(p.Due) == 0 && p.RenewalType == features.RenewalAuto && p.Days < 4 {
			continue // the auto list ends 4 days before the renewal
		}
		if len(p.Due) != 1 {
			t.Fatalf("%s (%s, %d days): %d touchpoints due, want 1", p.ID, p.RenewalType, p.Days, len(p.Due))
		}
		d := p.Due[0].DaysBefore
		if auto := d%7 == 4; auto != (p.RenewalType == features.RenewalAuto) {
			t.Errorf("%s (%s) has the %d-day touchpoint due, from the other type's list", p.ID, p.RenewalType, d)
		}
		if due[p.Renewal] == nil {
			due[p.Renewal] = map[string]int{}
		}
		due[p.Renewal][p.RenewalType] = d
	}
	pairs := 0
	for r, byType := range due {
		a, okA := byType[features.RenewalAuto]
		s, okS := byType[features.RenewalSignature]
		if okA && okS {
			pairs++
			if a == s {
				t.Errorf("renewal %s: auto and signature accounts both have the %d-day touchpoint due", r, a)
			}
		}
	}
	if pairs == 0 {
		t.Errorf("no renewal date has both an auto and a signature account among %d plays: the test data should", len(got.Plays))
	}

	// The CSV and the table say the type too.
	rows, err := csv.NewReader(strings.NewReader(mustChurn(t, "plays", "--snapshots", snap, "--model", model, "--segments", typed, "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || rows[0][2] != "renewal_type" || rows[1][2] != got.Plays[0].RenewalType {
		t.Errorf("CSV renewal types: %q", rows[:min(2, len(rows))])
	}
	table := mustChurn(t, "plays", "--snapshots", snap, "--model", model, "--segments", typed)
	if !strings.Contains(table, "TYPE") || !strings.Contains(table, " auto ") || !strings.Contains(table, " signature ") {
		t.Errorf("table without renewal types:\n%s", table)
	}
}
