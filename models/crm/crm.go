// Package crm writes churn scores in the shape a CRM import expects: one
// record per account with its external id, churn probability, health,
// top drivers as text, renewal date, model version and the time scored,
// under each CRM's customary field names. The same records are written
// as a CSV file (churn score --format crm) and pushed as JSON to a
// webhook after each weekly scoring (churn serve --crm-webhook), so a
// CRM gets the same fields either way.
package crm

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

// Columns are a CRM's names for the fields of a record, in one order
// for every CRM: external account id, churn probability, health, top
// drivers as text, renewal date, model version and scored at, then the
// renewal type when the snapshots had one.
type Columns struct {
	ID, Probability, Health, Drivers, Renewal, ModelVersion, ScoredAt string
	// RenewalType is written (auto, signature, or empty when unknown;
	// capitalised with Title) only for a book whose snapshots had a
	// renewal_type column (ranking.Book.HasRenewalType), so the records
	// of other books keep their fields.
	RenewalType string
	// Percent writes the probability as a percentage (42.5 for 42.5%), as
	// a Salesforce Percent field takes it; otherwise as a fraction.
	Percent bool
	// Title writes the health capitalised (Red), as a picklist's label.
	Title bool
}

// The positions of the fields in Header and Row.
const (
	colID = iota
	colProbability
	colHealth
	colDrivers
	colRenewal
	colModelVersion
	colScoredAt
	// colRenewalType is written only for a book with renewal types.
	colRenewalType
	nCols
)

// known are the CRMs records are written for, with each one's customary
// names: Salesforce custom fields end in __c (the account id goes in an
// External ID field, which an upsert matches on); HubSpot property
// internal names are snake_case. It is never modified.
var known = map[string]Columns{
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

// Names lists the CRMs Lookup knows, sorted.
func Names() []string {
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the columns of the named CRM.
func Lookup(name string) (Columns, error) {
	c, ok := known[name]
	if !ok {
		return Columns{}, fmt.Errorf("CRM %q: want one of %s", name, strings.Join(Names(), ", "))
	}
	return c, nil
}

// Header returns the field names of b's records in record order: the
// CSV's header and the keys of a pushed record.
func (c Columns) Header(b *ranking.Book) []string {
	h := []string{c.ID, c.Probability, c.Health, c.Drivers, c.Renewal, c.ModelVersion, c.ScoredAt}
	if b.HasRenewalType {
		h = append(h, c.RenewalType)
	}
	return h
}

// row returns a's fields as text, in Header's order, into cells (of
// length nCols): the probability to four places as a fraction or two
// as a percentage, the drivers as one text ("; " between them), an
// unknown renewal date as "". scoredAt is already formatted.
// The renewal type is added when withType is set.
func (c Columns) row(cells []string, a *ranking.Account, modelVersion, scoredAt string, withType bool) []string {
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
	cells = append(cells[:0], a.AccountID, p, health, strings.Join(ds, "; "), renewal, modelVersion, scoredAt)
	if withType {
		typ := a.RenewalType
		if c.Title {
			typ = capitalize(typ)
		}
		cells = append(cells, typ)
	}
	return cells
}

// formatScoredAt is the time scored as a record holds it: UTC, ISO 8601.
func formatScoredAt(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// WriteCSV writes the accounts, scored by b's model at scoredAt, as a
// CRM import file: the header, then one row per account in the order
// given.
func WriteCSV(w io.Writer, c Columns, b *ranking.Book, accounts []*ranking.Account, scoredAt time.Time) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(c.Header(b)); err != nil {
		return err
	}
	at := formatScoredAt(scoredAt)
	cells := make([]string, nCols)
	for _, a := range accounts {
		if err := cw.Write(c.row(cells, a, b.Model.Version, at, b.HasRenewalType)); err != nil {
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
