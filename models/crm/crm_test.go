package crm

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

// book is a ranked book of two accounts: a, with a renewal date and two
// drivers, and c, with no renewal date and one driver.
func book() *ranking.Book {
	acc := func(id string, p float64, days int) *ranking.Account {
		return &ranking.Account{AccountID: id, Segment: "smb", Probability: p, Health: "red", ARR: math.NaN(),
			DaysToRenewal: days, RenewalDate: features.Date(20000 + days), Week: 20000, Drivers: []ranking.Driver{{
				Feature: features.LoginsMean4w, Description: features.Describe(features.LoginsMean4w),
				Value: 1.5, Contribution: 0.2, Direction: "raises risk"}}}
	}
	a := acc("a", 0.9, 10)
	a.Drivers = append(a.Drivers, ranking.Driver{Feature: "sla_breaches_4w_sum", Description: "SLA breaches, last 4 weeks",
		Value: 3, Contribution: 0.1, Direction: "raises risk"})
	return &ranking.Book{
		Model:    &models.Artifact{Version: "gbm-test", Horizon: 12, Health: models.Health{Yellow: 0.2, Red: 0.5, Rule: "test"}},
		Accounts: []*ranking.Account{a, acc("c", 0.3, -1)},
		AsOf:     20000,
	}
}

// TestWriteCSVGolden checks the CRM import file of each CRM against a
// golden file (the files churn score --format crm wrote before the
// mapping moved here, unchanged): the CRM's column names, a percentage
// or a fraction, the health as the CRM's picklist has it, the drivers as
// one cell, an unknown renewal date as an empty cell and the time in UTC.
func TestWriteCSVGolden(t *testing.T) {
	b := book()
	// Scored at 01:30 in Paris: the file says 00:30 UTC.
	at := time.Date(2024, 10, 7, 1, 30, 0, 0, time.FixedZone("CET", 3600))
	for _, name := range []string{"salesforce", "hubspot"} {
		t.Run(name, func(t *testing.T) {
			c, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteCSV(&buf, c, b, b.Accounts, at); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", "crm_"+name+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			if buf.String() != string(want) {
				t.Errorf("got:\n%s\nwant (testdata/crm_%s.csv):\n%s", buf.String(), name, want)
			}
		})
	}
	// With renewal types, each CRM's file ends with them, as the CRM's
	// picklist has them, empty when unknown.
	b.HasRenewalType = true
	b.Accounts[0].RenewalType = "signature"
	for name, want := range map[string][]string{
		"salesforce": {"Renewal_Type__c", "Signature", ""},
		"hubspot":    {"renewal_type", "signature", ""},
	} {
		c, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, c, b, b.Accounts, at); err != nil {
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
			t.Errorf("%s: renewal type column %q, want %q", name, got, want)
		}
	}
	if _, err := Lookup("pipedrive"); err == nil || !strings.Contains(err.Error(), "want one of hubspot, salesforce") {
		t.Errorf("an unknown CRM: %v, want an error listing the CRMs", err)
	}
}
