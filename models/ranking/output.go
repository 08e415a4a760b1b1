package ranking

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// csvHeader begins with the contract's account_id,churn_probability.
var csvHeader = []string{
	"account_id", "churn_probability", "health", "segment", "arr", "arr_at_risk",
	"renewal_date", "days_to_renewal", "change", "driver_1", "driver_2", "driver_3", "week",
}

// WriteCSV writes the accounts as CSV, unknown numbers as empty cells.
func WriteCSV(w io.Writer, accounts []*Account) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, a := range accounts {
		rec := []string{
			a.AccountID, num(a.Probability, 6), a.Health, a.Segment, num(a.ARR, 2), num(a.ARRAtRisk, 2),
			"", "", num(a.Change, 6),
		}
		if a.DaysToRenewal >= 0 {
			rec[6], rec[7] = a.RenewalDate.String(), strconv.Itoa(a.DaysToRenewal)
		}
		for k := range 3 {
			d := ""
			if k < len(a.Drivers) {
				d = a.Drivers[k].Sentence()
			}
			rec = append(rec, d)
		}
		rec = append(rec, a.Week.String())
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Document is a ranking as JSON carries it, from "churn score --format
// json" and from the server alike: the accounts with the date, model and
// health rule they were ranked under.
type Document struct {
	AsOf         features.Date `json:"as_of"`
	ModelVersion string        `json:"model_version"`
	Health       models.Health `json:"health"`
	Count        int           `json:"count"`
	Accounts     []*Account    `json:"accounts"`
}

// Document returns the accounts, ranked from b, as a Document.
func (b *Book) Document(accounts []*Account) Document {
	return Document{b.AsOf, b.Model.Version, b.Model.Health, len(accounts), accounts}
}

// WriteJSON writes the accounts as an indented Document.
func WriteJSON(w io.Writer, b *Book, accounts []*Account) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b.Document(accounts))
}

// WriteTable prints the accounts for a terminal, with the health rule
// stated so a reader knows what red means.
func WriteTable(w io.Writer, b *Book, accounts []*Account) error {
	h := b.Model.Health
	fmt.Fprintf(w, "churn risk as of %s, model %s, horizon %d weeks; %d accounts\n",
		b.AsOf, b.Model.Version, b.Model.Horizon, len(accounts))
	fmt.Fprintf(w, "health: red >= %.1f%%, yellow >= %.1f%% (%s)\n\n", 100*h.Red, 100*h.Yellow, h.Rule)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\taccount\tchurn\thealth\tsegment\tARR\tARR at risk\trenewal\tchange\ttop drivers")
	for i, a := range accounts {
		renewal := "-"
		if a.DaysToRenewal >= 0 {
			renewal = fmt.Sprintf("%s (%dd)", a.RenewalDate, a.DaysToRenewal)
		}
		change := "-"
		if !math.IsNaN(a.Change) {
			change = fmt.Sprintf("%+.1fpt", 100*a.Change)
		}
		var ds []string
		for _, d := range a.Drivers {
			ds = append(ds, d.Sentence())
		}
		fmt.Fprintf(tw, "%d\t%s\t%.1f%%\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, a.AccountID, 100*a.Probability,
			a.Health, a.Segment, money(a.ARR), money(a.ARRAtRisk), renewal, change, strings.Join(ds, "; "))
	}
	return tw.Flush()
}

// Sentence tells the driver in plain words, e.g. "logins per week, last 4
// weeks = 1.5 (raises risk)".
func (d Driver) Sentence() string {
	return fmt.Sprintf("%s = %s (%s)", d.Description, strconv.FormatFloat(d.Value, 'g', 4, 64), d.Direction)
}

func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func money(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
