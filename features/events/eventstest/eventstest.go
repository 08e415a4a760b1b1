// Package eventstest writes random raw tables for the tests that compare
// the roll-up of package events across engines (the Go path, PostgreSQL,
// DuckDB): the same data-making in one place, as net/http/httptest keeps
// what tests of HTTP share.
package eventstest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Layouts are the time layouts of the tables' instants, so that each
// engine's test reads the spellings it must accept.
type Layouts struct {
	// Event is the product events' time; Cancel a cancellation's;
	// Flagged a flagged ticket's opening time.
	Event, Cancel, Flagged string
}

// Table is one table: its CSV text, header first, and the PostgreSQL
// types of its columns (for CREATE TABLE before a COPY).
type Table struct {
	CSV, Columns string
}

// Warehouse returns random tables of every kind a mapping reads, by name:
// product events with offsets (logins, key actions, views that are
// neither, cancellations, some followed by more activity), page views
// without a zone, tickets with SLA times and with a flag, invoices paid
// late, on time or never, an accounts table with changes over time and
// contract ends, and one row per account of the accounts as they are now
// (accounts_now). Some tickets and invoices belong to no account with
// events. The same seed and layouts give the same tables.
func Warehouse(seed uint64, l Layouts) map[string]Table {
	rng := rand.New(rand.NewPCG(seed, 2))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(from, length int) time.Time {
		return start.Add(time.Duration(from*24*60+rng.IntN(length*24*60)) * time.Minute)
	}
	opt := func(p float64, s string) string {
		if rng.Float64() < p {
			return ""
		}
		return s
	}
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	var events, views, tickets, flagged, invoices, accounts, accountsNow strings.Builder
	events.WriteString("account_id,at,event,user_id,amount\n")
	views.WriteString("account_id,ts,page,seconds\n")
	tickets.WriteString("account_id,opened,first_response_min,sla_min\n")
	flagged.WriteString("account_id,opened_at,breached\n")
	invoices.WriteString("account_id,due,paid\n")
	accounts.WriteString("account_id,from,arr,segment,renewal,ended\n")
	accountsNow.WriteString("account_id,arr,segment,ended\n")
	kinds := []string{"login", "login", "export", "invite", "view"}
	for a := range 30 {
		acct := fmt.Sprintf("acct-%02d", a)
		from, length := rng.IntN(60), 20+rng.IntN(120)
		for range 20 + rng.IntN(120) {
			t := at(from, length).In(time.FixedZone("", (rng.IntN(18)-8)*3600))
			fmt.Fprintf(&events, "%s,%s,%s,%s,%s\n", acct, t.Format(l.Event), kinds[rng.IntN(len(kinds))],
				opt(0.2, fmt.Sprintf("u%d", rng.IntN(5))), opt(0.3, fmt.Sprintf("%d.%02d", rng.IntN(300), rng.IntN(100))))
		}
		if a%5 == 1 {
			// A cancellation, sometimes before the last activity.
			fmt.Fprintf(&events, "%s,%s,cancel,,\n", acct, at(from+length/2, length).Format(l.Cancel))
		}
		for range rng.IntN(40) {
			fmt.Fprintf(&views, "%s,%s,%s,%d\n", acct, at(from, length+30).Format(time.DateTime), []string{"home", "docs", "pricing"}[rng.IntN(3)], rng.IntN(600))
		}
		for range rng.IntN(8) {
			fmt.Fprintf(&tickets, "%s,%s,%s,%d\n", acct, day(at(from, length)), opt(0.2, fmt.Sprint(rng.IntN(120))), 30+30*rng.IntN(3))
			fmt.Fprintf(&flagged, "%s,%s,%t\n", acct, at(from, length).Format(l.Flagged), rng.IntN(3) == 0)
		}
		for m := range length / 30 {
			due := start.AddDate(0, 0, from+30*m+rng.IntN(10))
			paid := ""
			switch rng.IntN(4) {
			case 0: // never
			case 1:
				paid = day(due.AddDate(0, 0, 5+rng.IntN(40)))
			default:
				paid = day(due.AddDate(0, 0, -rng.IntN(5)))
			}
			fmt.Fprintf(&invoices, "%s,%s,%s\n", acct, day(due), paid)
		}
		if a%7 == 3 {
			continue // no accounts row
		}
		for v, d := range rng.Perm(6)[:1+rng.IntN(3)] {
			ended := ""
			if a%4 == 2 && v == 0 {
				ended = day(at(from+length/2, length))
			}
			fmt.Fprintf(&accounts, "%s,%s,%s,%s,%s,%s\n", acct, day(start.AddDate(0, 0, -30+25*d)), opt(0.2, fmt.Sprint(1000*(1+rng.IntN(50)))),
				opt(0.2, []string{"smb", "mid", "ent"}[rng.IntN(3)]), opt(0.3, day(start.AddDate(1, 0, rng.IntN(300)))), ended)
		}
		fmt.Fprintf(&accountsNow, "%s,%s,%s,%s\n", acct, opt(0.2, fmt.Sprint(500*rng.IntN(20))), opt(0.2, "smb"), opt(0.7, day(at(from+length/2, length))))
	}
	// Tickets and invoices of an account with no events.
	tickets.WriteString("ghost,2025-02-03,500,60\n")
	invoices.WriteString("ghost,2025-02-03,\n")
	return map[string]Table{
		"events":       {events.String(), "account_id text, at timestamptz, event text, user_id text, amount numeric(10, 2)"},
		"views":        {views.String(), "account_id text, ts timestamp, page text, seconds integer"},
		"tickets":      {tickets.String(), "account_id text, opened date, first_response_min integer, sla_min integer"},
		"flagged":      {flagged.String(), "account_id text, opened_at timestamptz, breached boolean"},
		"invoices":     {invoices.String(), "account_id text, due date, paid date"},
		"accounts":     {accounts.String(), `account_id text, "from" date, arr double precision, segment text, renewal date, ended date`},
		"accounts_now": {accountsNow.String(), "account_id text, arr numeric, segment text, ended date"},
	}
}

// SameCells reports whether two result rows hold the same cells, numbers
// compared as numbers: Go writes 1e+06 where PostgreSQL and DuckDB write
// 1000000.
func SameCells(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		x, err1 := strconv.ParseFloat(a[i], 64)
		y, err2 := strconv.ParseFloat(b[i], 64)
		if err1 != nil || err2 != nil || x != y {
			return false
		}
	}
	return true
}

// CompareRows fails t at the first row where an engine's result (got,
// named engine) and the Go path's snapshots (want, named goPath) differ,
// cells compared by SameCells.
func CompareRows(t testing.TB, engine, goPath string, got, want [][]string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		if i >= len(got) || i >= len(want) || !SameCells(got[i], want[i]) {
			var g, w []string
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			t.Fatalf("row %d of %d (%s: %d): %s gives %q, %s %q", i, len(got), goPath, len(want), engine, g, goPath, w)
		}
	}
}
