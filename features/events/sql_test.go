package events

import (
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// TestSQLRefuses checks that what SQL does not write yet is an error
// saying so, not a statement that silently differs from Build.
func TestSQLRefuses(t *testing.T) {
	plain := func() *Mapping {
		return &Mapping{Sources: []Source{{Name: "query", Account: "account", Time: "ts"}}}
	}
	tests := []struct {
		name    string
		edit    func(m *Mapping)
		dialect string
		from    string
		want    string
	}{
		{"dialect", nil, "duckdb", "TABLE events", `dialect "duckdb"`},
		{"no query", nil, "postgres", " ", "no query"},
		{"filter", func(m *Mapping) { m.Sources[0].Logins = &Filter{} }, "postgres", "TABLE e", "filters"},
		{"accounts", func(m *Mapping) { m.Accounts = &Accounts{} }, "postgres", "TABLE e", "accounts table"},
		{"tickets", func(m *Mapping) { m.Sources[0].Kind = KindTickets }, "postgres", "TABLE e", "tickets"},
		{"two sources", func(m *Mapping) { m.Sources = append(m.Sources, m.Sources[0]) }, "postgres", "TABLE e", "one events source"},
		{"time format", func(m *Mapping) { m.Sources[0].TimeFormat = "unix" }, "postgres", "TABLE e", "time format"},
		{"time zone", func(m *Mapping) { m.Timezone = "Mars/Olympus" }, "postgres", "TABLE e", "Mars/Olympus"},
		{"silence", func(m *Mapping) { m.ChurnAfterSilence = "3 months" }, "postgres", "TABLE e", "3 months"},
		{"login rows", func(m *Mapping) { m.Sources[0].LoginCount = LoginRows }, "postgres", "TABLE e", "login_count"},
		{"from", func(m *Mapping) { m.From = "2025-01-06" }, "postgres", "TABLE e", "from:"},
		{"until", func(m *Mapping) { m.Until = "2025-01-06" }, "postgres", "TABLE e", "until:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := plain()
			if tt.edit != nil {
				tt.edit(m)
			}
			sql, err := SQL(m, tt.dialect, tt.from, features.NoDate)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q; SQL:\n%s", err, tt.want, sql)
			}
		})
	}
}

// TestSQLQuotes checks that column names, the time zone and the rows'
// query reach the statement quoted, whatever they hold.
func TestSQLQuotes(t *testing.T) {
	m := &Mapping{Sources: []Source{{Account: `acc"t`, Time: "time stamp"}}, Timezone: "America/Port-au-Prince"}
	sql, err := SQL(m, "postgres", "SELECT * FROM events;", features.NoDate)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`src."acc""t"`, `src."time stamp"`, `AT TIME ZONE 'America/Port-au-Prince'`, "FROM (SELECT * FROM events) AS src"} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
}
