package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

// rankingCSVHeader begins with the contract's account_id,churn_probability;
// the signal groups' sub-scores and colours come last, so readers of the
// earlier columns by position are not disturbed.
var rankingCSVHeader = append([]string{
	"account_id", "churn_probability", "health", "segment", "arr", "arr_at_risk",
	"renewal_date", "days_to_renewal", "change", "driver_1", "driver_2", "driver_3", "week",
}, groupCSVHeader()...)

// groupCSVHeader names each signal group's columns: <group>_log_odds and
// <group>_health.
func groupCSVHeader() []string {
	var h []string
	for _, g := range features.SignalGroups {
		h = append(h, g+"_log_odds", g+"_health")
	}
	return h
}

// colRenewalType heads the ranking's renewal type column, in the CSV,
// table and Parquet outputs of snapshots that had a renewal_type column.
const colRenewalType = features.ColRenewalType

// renewalTypeColumn is the ranking's renewal_type column: auto or
// signature, empty when the account's is unknown.
var renewalTypeColumn = column{colRenewalType, func(a *ranking.Account) string { return a.RenewalType }}

// rankingColumns returns the optional columns of a ranking's CSV and
// table: the renewal type when the snapshots had one, then extra. A
// ranking of snapshots without a renewal_type column keeps its columns as
// they were.
func rankingColumns(b *ranking.Book, extra []column) []column {
	if !b.HasRenewalType {
		return extra
	}
	return append([]column{renewalTypeColumn}, extra...)
}

// column is an optional column of the ranking's CSV and table, after the
// others: its heading and each account's value.
type column struct {
	head  string
	value func(*ranking.Account) string
}

// segmentColumns are churn score --segments's columns: each account's
// renewal segment and the health cut-offs its colours are under.
func segmentColumns() []column {
	cut := func(f func(*models.Health) float64) func(*ranking.Account) string {
		return func(a *ranking.Account) string {
			if a.Cutoffs == nil {
				return ""
			}
			return num(f(a.Cutoffs), 6)
		}
	}
	return []column{
		{"play_segment", func(a *ranking.Account) string { return a.PlaySegment }},
		{"health_yellow", cut(func(h *models.Health) float64 { return h.Yellow })},
		{"health_red", cut(func(h *models.Health) float64 { return h.Red })},
	}
}

// survivalColumns are the columns a model with survival curves adds: the
// probability of leaving before the renewal date (empty without one) and
// the expected weeks to churn within the curve's 26.
func survivalColumns() []column {
	return []column{
		{"before_renewal", func(a *ranking.Account) string {
			if a.Survival == nil || math.IsNaN(a.Survival.BeforeRenewal) {
				return ""
			}
			return strconv.FormatFloat(a.Survival.BeforeRenewal, 'f', 4, 64)
		}},
		{"expected_weeks_to_churn", func(a *ranking.Account) string {
			if a.Survival == nil {
				return ""
			}
			return strconv.FormatFloat(a.Survival.ExpectedWeeks, 'f', 1, 64)
		}},
	}
}

// writeRankingCSV writes the accounts as CSV (churn score --format csv),
// unknown numbers as empty cells, with the extra columns last.
func writeRankingCSV(w io.Writer, accounts []*ranking.Account, extra ...column) error {
	cw := csv.NewWriter(w)
	header := slices.Clone(rankingCSVHeader)
	for _, c := range extra {
		header = append(header, c.head)
	}
	if err := cw.Write(header); err != nil {
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
		for k := range features.SignalGroups {
			if k < len(a.Groups) {
				rec = append(rec, num(a.Groups[k].LogOdds, 6), a.Groups[k].Health)
			} else {
				rec = append(rec, "", "")
			}
		}
		for _, c := range extra {
			rec = append(rec, c.value(a))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeRankingJSON writes the accounts as an indented ranking.Document
// (churn score --format json).
func writeRankingJSON(w io.Writer, b *ranking.Book, accounts []*ranking.Account) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b.Document(accounts))
}

// writeRankingTable prints the accounts for a terminal (churn score's
// default format), with the health rule
// stated so a reader knows what red means.
func writeRankingTable(w io.Writer, b *ranking.Book, accounts []*ranking.Account, extra ...column) error {
	h := b.Model.Health
	fmt.Fprintf(w, "churn risk as of %s, model %s, horizon %d weeks; %d accounts\n",
		b.AsOf, b.Model.Version, b.Model.Horizon, len(accounts))
	if cut := segmentCutoffs(b); len(cut) > 0 {
		fmt.Fprintln(w, "health by renewal segment:")
		for _, name := range slices.Sorted(maps.Keys(cut)) {
			c := cut[name]
			fmt.Fprintf(w, "  %s: red >= %.1f%%, yellow >= %.1f%% (%s)\n", name, 100*c.Red, 100*c.Yellow, c.Rule)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "health: red >= %.1f%%, yellow >= %.1f%% (%s)\n\n", 100*h.Red, 100*h.Yellow, h.Rule)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	segmented := len(segmentCutoffs(b)) > 0
	segment := func(a *ranking.Account) string {
		if segmented {
			return a.Segment + "\t" + a.PlaySegment
		}
		return a.Segment
	}
	head := "#\taccount\tchurn\thealth\tsegment\tARR\tARR at risk\trenewal\tchange\tgroups not green\ttop drivers"
	if segmented {
		head = strings.Replace(head, "\tsegment\t", "\tsegment\trenewal segment\t", 1)
	}
	for _, c := range extra {
		head += "\t" + c.head
	}
	fmt.Fprintln(tw, head)
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
		fmt.Fprintf(tw, "%d\t%s\t%.1f%%\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", i+1, a.AccountID, 100*a.Probability,
			a.Health, segment(a), money(a.ARR), money(a.ARRAtRisk), renewal, change, notGreen(a.Groups), strings.Join(ds, "; "))
		for _, c := range extra {
			fmt.Fprintf(tw, "\t%s", c.value(a))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// segmentCutoffs returns the cut-offs of each renewal segment of b's
// accounts, empty when no segment file was applied.
func segmentCutoffs(b *ranking.Book) map[string]*models.Health {
	cut := map[string]*models.Health{}
	for _, a := range b.Accounts {
		if a.Cutoffs != nil {
			cut[a.PlaySegment] = a.Cutoffs
		}
	}
	return cut
}

// notGreen lists the signal groups that are not green, red first, as
// "support red, financial yellow": what makes an account unhealthy, at a
// glance. It is "-" when every group is green.
func notGreen(gs []ranking.GroupHealth) string {
	var out []string
	for _, colour := range []string{"red", "yellow"} {
		for _, g := range gs {
			if g.Health == colour {
				out = append(out, g.Group+" "+colour)
			}
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
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
