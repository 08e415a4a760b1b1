package events_test

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/events"
)

// FuzzDayParser checks that no time cell panics a parser, and that what
// parses is a real day: an ISO date reads back as itself, and every
// layout's result lies in years 0-9999 (as ISO dates).
func FuzzDayParser(f *testing.F) {
	for _, s := range []string{"2025-01-06", "19970101", "2025-01-06T10:00:00Z", "2025-01-06 10:00:00+02:00",
		"1736150400", "1736150400000", "2025-02-29", "", "0000-00-00", "99999999", "-62135596801"} {
		f.Add(s)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Skip("no tz database:", err)
	}
	parsers := []events.DayParser{
		events.NewDayParser("", time.UTC), events.NewDayParser("", ny),
		events.NewDayParser("20060102", time.UTC), events.NewDayParser("unix", ny),
		events.NewDayParser("unix_ms", time.UTC), events.NewDayParser("02/01/2006 15:04", ny),
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, p := range parsers {
			d, err := p.Day(s)
			if err != nil {
				continue
			}
			if y := d.Time().Year(); y < 0 || y > 9999 {
				t.Errorf("parser %d: %q gave %s, outside years 0-9999", i, s, d)
			}
			if i == 0 && len(s) == 10 && d.String() != s {
				t.Errorf("%q parsed as %s", s, d)
			}
		}
	})
}

// FuzzParseMapping checks that no mapping file panics the parser, and
// that an accepted mapping is consistent: it passes Check and its schema
// names no column twice.
func FuzzParseMapping(f *testing.F) {
	f.Add([]byte("sources:\n  - path: e.csv\n    account: a\n    time: t\n"))
	f.Add([]byte("churn_after_silence: 90d\nsources:\n  - path: e.csv\n    account: a\n    time: t\n    sum: [{column: x}]\n    count_distinct: [{column: u, as: users}]\n    logins: {column: k, in: [login]}\n"))
	f.Add([]byte("sources:\n  - {path: i.csv, kind: invoices, account: a, invoice: {due: d}}\naccounts: {path: a.csv, account: a, arr: arr}\n"))
	f.Add([]byte("sources:\n  - {path: e.csv, account: a, time: t}\naccounts: {path: a.csv, account: a, renewal_type: contract}\n"))
	f.Add([]byte("timezone: Mars/Olympus\nsources: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := events.ParseMapping(data, "/tmp")
		if err != nil {
			return
		}
		if err := m.Check(); err != nil {
			t.Errorf("ParseMapping accepted a mapping Check rejects: %v", err)
		}
		cols := m.Schema().Columns()
		sorted := slices.Clone(cols)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(cols) {
			t.Errorf("schema names a column twice: %v", cols)
		}
	})
}

// FuzzOpenPath checks that no file content panics the CSV and
// whitespace readers, and that each row they return has as many cells as
// the header, or the error locates the file.
func FuzzOpenPath(f *testing.F) {
	f.Add([]byte(" customer_id  date n\r\n 00001 19970101  1\r\n"), "auto")
	f.Add([]byte("a,b\n1,\"2\n3\"\n"), ",")
	f.Add([]byte("a;b\n1;2;3\n"), "auto")
	f.Add([]byte("\ufeffa\tb\n\n1\t2\n"), "tab")
	f.Fuzz(func(t *testing.T, data []byte, delimiter string) {
		p := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := events.OpenPath(p, delimiter)
		if err != nil {
			return
		}
		defer r.Close()
		n := len(r.Columns())
		for range 1000 {
			row, err := r.Next()
			if err != nil {
				if err != io.EOF && !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if len(row) != n {
				t.Fatalf("row of %d cells under a header of %d", len(row), n)
			}
		}
	})
}

// FuzzSQL checks that no mapping file panics SQL in any dialect, and that
// a statement is written only for a mapping SQL's own checks accept:
// every source names where its rows come from.
func FuzzSQL(f *testing.F) {
	f.Add([]byte("sources:\n  - {table: e, account: a, time: t}\n"))
	f.Add([]byte("timezone: Asia/Tokyo\nchurn_after_silence: 13w\nsources:\n  - {path: e/, account: a, time: t, sum: [{column: x}], count_distinct: [{column: u, as: users}], logins: {column: k, in: [login]}, actions: {column: k, not_in: [view]}, churn_event: {column: k, in: [cancel]}}\n  - {query: SELECT 1 -- x, kind: tickets, account: a, time: t, sla_breach: {flag: f}}\n  - {path: i.csv, kind: invoices, account: a, invoice: {due: d, paid: p}}\naccounts: {table: acc, account: a, effective_from: f, arr: arr, segment: s, renewal_date: r, contract_end: c}\n"))
	f.Add([]byte("sources:\n  - {table: e, account: a, time: t}\naccounts: {table: acc, account: a, renewal_type: r, extra: [{column: seats}]}\n"))
	f.Add([]byte("from: 2025-01-08\nuntil: 2025-03-02\nsources:\n  - {table: e, account: a, time: t, login_count: rows, logins: {column: k, in: [login]}}\naccounts: {table: acc, account: a, contract_start: s, extra: [{column: seats}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := events.ReadMapping(data, "/tmp")
		if err != nil {
			return
		}
		for _, d := range events.Dialects() {
			sql, err := events.SQL(m, d, features.NoDate)
			if err != nil {
				continue
			}
			if !strings.HasPrefix(sql, "WITH ev AS (") || !strings.Contains(sql, "ORDER BY") {
				t.Errorf("%s: a statement that is not the roll-up:\n%s", d, sql)
			}
			for _, s := range m.Sources {
				if s.Table == "" && strings.TrimSpace(s.Query) == "" && s.Path == "" {
					t.Errorf("%s: a statement for a source with no rows", d)
				}
			}
		}
	})
}
