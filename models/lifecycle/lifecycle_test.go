package lifecycle

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

func TestDefaultDB(t *testing.T) {
	for _, tt := range []struct{ model, want string }{
		{"out/model", filepath.Join("out", DefaultDBName)},
		{"out/model/", filepath.Join("out", DefaultDBName)},
		{"model", DefaultDBName},
		{"/srv/registry/v1", filepath.Join("/srv/registry", DefaultDBName)},
	} {
		if got := DefaultDB(tt.model); got != tt.want {
			t.Errorf("DefaultDB(%q) = %q, want %q", tt.model, got, tt.want)
		}
	}
}

func TestActions(t *testing.T) {
	for _, tt := range []struct {
		a              Action
		valid, changes bool
	}{
		{Register, true, false},
		{Promote, true, true},
		{Rollback, true, true},
		{"delete", false, false},
		{"", false, false},
	} {
		if tt.a.Valid() != tt.valid || tt.a.ChangesChampion() != tt.changes {
			t.Errorf("%q: valid %v, changes champion %v; want %v, %v", tt.a, tt.a.Valid(), tt.a.ChangesChampion(), tt.valid, tt.changes)
		}
	}
}

// TestRecords turns a book into records: one per account, with the
// book's model version and the account's drivers as top contributions.
func TestRecords(t *testing.T) {
	w, _ := features.ParseDate("2025-03-03")
	b := &ranking.Book{Model: &models.Artifact{Version: "m1"}, AsOf: w, Accounts: []*ranking.Account{{
		AccountID: "acme", Week: w, Probability: 0.3, Health: "yellow", Segment: "smb",
		Score:   models.Score{Probability: 0.3, LogOdds: math.Log(0.3 / 0.7)},
		Drivers: []ranking.Driver{{Feature: "logins", Value: 2, Contribution: 0.7}},
	}}}
	recs := Records(b)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if r.AccountID != "acme" || r.Week != w || r.ModelVersion != "m1" || r.Probability != 0.3 ||
		r.LogOdds != math.Log(0.3/0.7) || r.Health != "yellow" || r.Segment != "smb" || r.Shadow ||
		len(r.Top) != 1 || r.Top[0] != (Contribution{Feature: "logins", Value: 2, Contribution: 0.7}) {
		t.Errorf("record %+v", r)
	}
	if err := r.Check(); err != nil {
		t.Error(err)
	}
	shown := Shown(map[string][]WeekScore{"acme": {{Week: w, Probability: 0.4}}})
	if p, ok := shown("acme", w); !ok || p != 0.4 {
		t.Errorf("shown(acme, %s) = %v, %v", w, p, ok)
	}
	if _, ok := shown("acme", w.AddDays(7)); ok {
		t.Error("a week not recorded was found")
	}
	if _, ok := shown("other", w); ok {
		t.Error("an account not recorded was found")
	}
}
