package main

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCRMGolden checks churn score --format crm's file for each CRM
// against a golden file: the CRM's column names, a percentage or a
// fraction, the health as the CRM's picklist has it, the drivers as one
// cell, an unknown renewal date as an empty cell and the time in UTC.
func TestCRMGolden(t *testing.T) {
	b := rankedBook()
	d := b.Accounts[0].Drivers[0]
	d.Feature, d.Description, d.Value, d.Contribution, d.Direction = "sla_breaches_4w_sum", "SLA breaches, last 4 weeks", 3, 0.1, "raises risk"
	b.Accounts[0].Drivers = append(b.Accounts[0].Drivers, d)
	// Scored at 01:30 in Paris: the file says 00:30 UTC.
	at := time.Date(2024, 10, 7, 1, 30, 0, 0, time.FixedZone("CET", 3600))
	for _, crm := range []string{"salesforce", "hubspot"} {
		t.Run(crm, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeCRM(&buf, crm, b, b.Accounts, at); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", "crm_"+crm+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			if buf.String() != string(want) {
				t.Errorf("got:\n%s\nwant (testdata/crm_%s.csv):\n%s", buf.String(), crm, want)
			}
		})
	}
	// With renewal types, each CRM's file ends with them, empty when unknown.
	b.HasRenewalType = true
	b.Accounts[0].RenewalType = "signature"
	for crm, want := range map[string][]string{
		"salesforce": {"Renewal_Type__c", "Signature", ""},
		"hubspot":    {"renewal_type", "signature", ""},
	} {
		var buf bytes.Buffer
		if err := writeCRM(&buf, crm, b, b.Accounts, at); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r[len(r)-1])
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: renewal type column %q, want %q", crm, got, want)
		}
	}
	b.HasRenewalType = false
	if err := writeCRM(&bytes.Buffer{}, "pipedrive", b, b.Accounts, at); err == nil || !strings.Contains(err.Error(), "hubspot, salesforce") {
		t.Errorf("an unknown CRM: %v, want an error listing the CRMs", err)
	}
}

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
	// churn gen writes a renewal_type column: the file ends with it.
	if len(rows) != len(ranked) || strings.Join(rows[0], ",") !=
		"external_account_id,churn_probability,churn_health,churn_top_drivers,renewal_date,churn_model_version,churn_scored_at,renewal_type" ||
		ranked[0][len(ranked[0])-1] != "renewal_type" {
		t.Fatalf("crm file:\n%s", out)
	}
	for i := 1; i < len(rows); i++ {
		r, want := rows[i], ranked[i]
		if r[0] != want[0] || r[2] != want[2] || r[4] != want[6] || !close4(r[1], want[1]) ||
			!strings.HasPrefix(r[3], want[9]) || !strings.HasPrefix(r[5], "logistic-") || r[7] != want[len(want)-1] || r[7] == "" {
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
