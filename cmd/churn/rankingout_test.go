package main

import (
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features/publish"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

// rankedBook is a small ranking with known and unknown ARR, renewal and
// change, as ranking.Build leaves them.
func rankedBook() *ranking.Book {
	acc := func(id, seg string, p, arr float64, days int, change float64) *ranking.Account {
		return &ranking.Account{AccountID: id, Segment: seg, Probability: p, Health: "red", ARR: arr,
			ARRAtRisk: p * arr, DaysToRenewal: days, RenewalDate: features.Date(20000 + days),
			Change: change, Week: 20000, Drivers: []ranking.Driver{{
				Feature: features.LoginsMean4w, Description: features.Describe(features.LoginsMean4w),
				Value: 1.5, Contribution: 0.2, Direction: "raises risk"}}}
	}
	a := acc("a", "smb", 0.9, 1000, 10, 0.05)
	a.Groups = []ranking.GroupHealth{
		{Group: features.GroupProduct, LogOdds: -0.25, Health: "green"},
		{Group: features.GroupSupport, LogOdds: 1.5, Health: "red"},
		{Group: features.GroupFinancial, LogOdds: 0.75, Health: "yellow"},
		{Group: features.GroupAccount, LogOdds: 0.125, Health: "green"},
	}
	return &ranking.Book{
		Model: &models.Artifact{Version: "gbm-test", Horizon: 12, Health: models.Health{Yellow: 0.2, Red: 0.5, Rule: "test"}},
		Accounts: []*ranking.Account{
			a,
			acc("c", "smb", 0.3, math.NaN(), -1, math.NaN()),
		},
		AsOf: 20000,
	}
}

// TestRankingOutputs checks churn score's three formats, unknowns
// included: empty CSV cells, "-" in the table, null in JSON.
func TestRankingOutputs(t *testing.T) {
	b := rankedBook()
	for _, tc := range []struct {
		format string
		write  func(io.Writer) error
		want   []string
	}{
		{"csv", func(w io.Writer) error { return writeRankingCSV(w, b.Accounts) }, []string{
			"account_id,churn_probability,health,segment,arr,arr_at_risk,renewal_date,days_to_renewal,change,driver_1,driver_2,driver_3,week," +
				"product_use_log_odds,product_use_health,support_log_odds,support_health,financial_log_odds,financial_health,account_log_odds,account_health\n",
			"a,0.900000,red,smb,1000.00,900.00,2024-10-14,10,0.050000,\"logins per week, last 4 weeks = 1.5 (raises risk)\",,,2024-10-04," +
				"-0.250000,green,1.500000,red,0.750000,yellow,0.125000,green\n",
			"c,0.300000,red,smb,,,,,,\"logins per week, last 4 weeks = 1.5 (raises risk)\",,,2024-10-04,,,,,,,,\n",
		}},
		{"table", func(w io.Writer) error { return writeRankingTable(w, b, b.Accounts) }, []string{
			"churn risk as of 2024-10-04, model gbm-test, horizon 12 weeks; 2 accounts\n",
			"health: red >= 50.0%, yellow >= 20.0% (test)\n",
			"1  a        90.0%  red     smb      1000  900          2024-10-14 (10d)  +5.0pt  support red, financial yellow  logins per week, last 4 weeks = 1.5 (raises risk)\n",
			"2  c        30.0%  red     smb      -     -            -                 -       -                              logins per week, last 4 weeks = 1.5 (raises risk)\n",
		}},
		{"json", func(w io.Writer) error { return writeRankingJSON(w, b, b.Accounts) }, []string{
			"{\n  \"as_of\": \"2024-10-04\",\n  \"model_version\": \"gbm-test\",\n",
			"\"count\": 2,\n",
			"\"groups\": [\n        {\n          \"group\": \"product_use\",\n          \"log_odds\": -0.25,\n          \"health\": \"green\"\n        },",
			"\"account_id\": \"c\",",
			"\"arr\": null,\n      \"arr_at_risk\": null,\n      \"change\": null,\n      \"renewal_date\": null,\n      \"days_to_renewal\": null\n",
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("missing %q in:\n%s", w, buf.String())
				}
			}
		})
	}
}

// TestRankingRenewalType checks the renewal_type column of churn score's
// CSV, table and Parquet: there, auto or signature or empty (null), when
// the snapshots had the column, and not there otherwise.
func TestRankingRenewalType(t *testing.T) {
	for _, has := range []bool{true, false} {
		b := rankedBook()
		b.Model.Features = []string{features.LoginsMean4w}
		for _, a := range b.Accounts {
			a.Score.Contributions = []float64{0.25}
		}
		b.HasRenewalType = has
		b.Accounts[0].RenewalType = features.RenewalAuto // c's is unknown
		var csvOut, table bytes.Buffer
		if err := writeRankingCSV(&csvOut, b.Accounts, rankingColumns(b, nil)...); err != nil {
			t.Fatal(err)
		}
		if err := writeRankingTable(&table, b, b.Accounts, rankingColumns(b, nil)...); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "r.parquet")
		if err := publish.File(path, func(w io.Writer) error { return writeRankingParquet(w, b, b.Accounts) }); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&csvOut).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		pq := readRankingParquet(t, path)
		last := func(r []string) string { return r[len(r)-1] }
		if has {
			if last(rows[0]) != "renewal_type" || last(rows[1]) != "auto" || last(rows[2]) != "" {
				t.Errorf("CSV renewal types %q, %q, %q", last(rows[0]), last(rows[1]), last(rows[2]))
			}
			if last(pq[0]) != "renewal_type" || last(pq[1]) != "auto" || last(pq[2]) != "null" {
				t.Errorf("Parquet renewal types %q, %q, %q", last(pq[0]), last(pq[1]), last(pq[2]))
			}
			if !strings.Contains(table.String(), "renewal_type") || !strings.Contains(table.String(), " auto") {
				t.Errorf("table without renewal types:\n%s", table.String())
			}
			continue
		}
		if len(rows[0]) != len(rankingCSVHeader) || slices.Contains(pq[0], "renewal_type") || strings.Contains(table.String(), "renewal_type") {
			t.Errorf("a renewal_type column without the snapshots' column: CSV %q, Parquet %q", rows[0], pq[0])
		}
	}
}
