package main

import (
	"encoding/csv"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestScoreCRM runs churn score --format crm on simulated data: one row
// per ranked account, in the ranking's order, with the ranking's values,
// and the flags checked.
func TestScoreCRM(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "120", "--weeks", "40", "--seed", "4", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "4", "--valid-weeks", "6", "--model", "logistic", "--out", model, "--no-plots")
	ranked, err := csv.NewReader(strings.NewReader(mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "csv", "--top", "10"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "crm", "--crm", "hubspot", "--top", "10")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ranked) || strings.Join(rows[0], ",") !=
		"external_account_id,churn_probability,churn_health,churn_top_drivers,renewal_date,churn_model_version,churn_scored_at" {
		t.Fatalf("crm file:\n%s", out)
	}
	for i := 1; i < len(rows); i++ {
		r, want := rows[i], ranked[i]
		if r[0] != want[0] || r[2] != want[2] || r[4] != want[6] || !close4(r[1], want[1]) ||
			!strings.HasPrefix(r[3], want[9]) || !strings.HasPrefix(r[5], "logistic-") {
			t.Errorf("row %d %v; the ranking's %v", i, r, want)
		}
		if _, err := time.Parse(time.RFC3339, r[6]); err != nil || !strings.HasSuffix(r[6], "Z") {
			t.Errorf("row %d scored at %q: want RFC 3339 in UTC", i, r[6])
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "crm"}, `--crm ""`},
		{[]string{"--format", "crm", "--crm", "pipedrive"}, "want one of hubspot, salesforce"},
		{[]string{"--format", "csv", "--crm", "hubspot"}, "--crm is for --format crm"},
	} {
		code, _, errs := churn(t, append([]string{"score", "--snapshots", snap, "--model", model}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

// close4 reports whether two probabilities written as text agree to the
// four places a CRM file keeps.
func close4(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) <= 5e-5+1e-12
}
