package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/churnlabs/churn/models/ranking"
)

// crmColumns are the columns of a CRM import file (churn score --format
// crm), in one order for every CRM: external account id, churn
// probability, health, top drivers as text, renewal date, model version
// and scored at, then the renewal type when the snapshots had one.
type crmColumns struct {
	ID, Probability, Health, Drivers, Renewal, ModelVersion, ScoredAt string
	// RenewalType is written (auto, signature, or empty when unknown;
	// capitalised with Title) only for snapshots with a renewal_type
	// column, so other files keep their columns.
	RenewalType string
	// Percent writes the probability as a percentage (42.5 for 42.5%), as
	// a Salesforce Percent field takes it; otherwise as a fraction.
	Percent bool
	// Title writes the health capitalised (Red), as a picklist's label.
	Title bool
}

// crms are the CRMs churn score --format crm writes for, with each one's
// customary names: Salesforce custom fields end in __c (the account id
// goes in an External ID field, which an upsert matches on); HubSpot
// property internal names are snake_case.
var crms = map[string]crmColumns{
	"salesforce": {
		ID: "External_Account_Id__c", Probability: "Churn_Probability__c", Health: "Churn_Health__c",
		Drivers: "Churn_Top_Drivers__c", Renewal: "Renewal_Date__c", ModelVersion: "Churn_Model_Version__c",
		ScoredAt: "Churn_Scored_At__c", RenewalType: "Renewal_Type__c", Percent: true, Title: true,
	},
	"hubspot": {
		ID: "external_account_id", Probability: "churn_probability", Health: "churn_health",
		Drivers: "churn_top_drivers", Renewal: "renewal_date", ModelVersion: "churn_model_version",
		ScoredAt: "churn_scored_at", RenewalType: "renewal_type",
	},
}

// crmNames lists the CRMs churn score --crm knows, sorted.
func crmNames() []string {
	var names []string
	for n := range crms {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// writeCRM writes the accounts as a CRM import CSV (churn score --format
// crm --crm NAME): dates as YYYY-MM-DD, the time scored in UTC as ISO
// 8601, the top drivers as one text cell ("; " between them), an unknown
// renewal date as an empty cell.
func writeCRM(w io.Writer, crm string, b *ranking.Book, accounts []*ranking.Account, scoredAt time.Time) error {
	c, ok := crms[crm]
	if !ok {
		return fmt.Errorf("CRM %q: want one of %s", crm, strings.Join(crmNames(), ", "))
	}
	cw := csv.NewWriter(w)
	header := []string{c.ID, c.Probability, c.Health, c.Drivers, c.Renewal, c.ModelVersion, c.ScoredAt}
	if b.HasRenewalType {
		header = append(header, c.RenewalType)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	at := scoredAt.UTC().Format(time.RFC3339)
	for _, a := range accounts {
		p := strconv.FormatFloat(a.Probability, 'f', 4, 64)
		if c.Percent {
			p = strconv.FormatFloat(100*a.Probability, 'f', 2, 64)
		}
		health := a.Health
		if c.Title {
			health = capitalize(health)
		}
		ds := make([]string, len(a.Drivers))
		for k, d := range a.Drivers {
			ds[k] = d.Sentence()
		}
		renewal := ""
		if a.DaysToRenewal >= 0 {
			renewal = a.RenewalDate.String()
		}
		rec := []string{a.AccountID, p, health, strings.Join(ds, "; "), renewal, b.Model.Version, at}
		if b.HasRenewalType {
			typ := a.RenewalType
			if c.Title {
				typ = capitalize(typ)
			}
			rec = append(rec, typ)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// capitalize upper-cases the first letter of an ASCII word.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
