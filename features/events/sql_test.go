package events

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/sql")

// TestSQLRefuses checks that what a dialect cannot write is an error
// naming the source and saying what to give instead, not a statement
// that silently differs from Build.
func TestSQLRefuses(t *testing.T) {
	plain := func() *Mapping {
		return &Mapping{Sources: []Source{{Name: "query", Table: "events", Account: "account", Time: "ts"}}}
	}
	tests := []struct {
		name    string
		edit    func(m *Mapping)
		dialect string
		want    string
	}{
		{"unknown dialect", nil, "oracle", `dialect "oracle": want one of bigquery, duckdb, postgres, spark`},
		{"no rows", func(m *Mapping) { m.Sources[0].Table = "" }, "postgres", "source 1 (query): no path, table or query"},
		{"blank query", func(m *Mapping) { m.Sources[0].Table, m.Sources[0].Query = "", " ;" }, "postgres", "source 1 (query): no path, table or query"},
		{"query and table", func(m *Mapping) { m.Sources[0].Query = "SELECT 1" }, "duckdb", "query and table together"},
		{"postgres URL alone", func(m *Mapping) { m.Sources[0].Table, m.Sources[0].Path = "", "postgres://h/db" }, "postgres", "needs a query (or a table)"},
		{"a file on postgres", func(m *Mapping) { m.Sources[0].Table, m.Sources[0].Path = "", "e.parquet" }, "postgres", "source 1 (query): PostgreSQL does not read files"},
		{"a file on bigquery", func(m *Mapping) { m.Sources[0].Table, m.Sources[0].Path = "", "gs://b/e/" }, "bigquery", "external tables"},
		{"a CSV on spark", func(m *Mapping) { m.Sources[0].Table, m.Sources[0].Path = "", "e.csv.gz" }, "spark", "without its header"},
		{"whitespace on duckdb", func(m *Mapping) {
			m.Sources[0].Table, m.Sources[0].Path, m.Sources[0].Delimiter = "", "e.txt", "whitespace"
		}, "duckdb", "whitespace-delimited"},
		{"accounts file on postgres", func(m *Mapping) { m.Accounts = &Accounts{Path: "a.csv", Account: "a", ARR: "arr"} }, "postgres", "accounts: PostgreSQL does not read files"},
		{"time format", func(m *Mapping) { m.Sources[0].TimeFormat = "unix" }, "duckdb", `time_format "unix" is not written in SQL`},
		{"accounts time format", func(m *Mapping) {
			m.Accounts = &Accounts{Table: "accounts", Account: "a", ARR: "arr", TimeFormat: "20060102"}
		}, "spark", `accounts: time_format "20060102"`},
		{"no events source", func(m *Mapping) {
			m.Sources[0].Kind, m.Sources[0].Invoice = KindInvoices, &Invoice{Due: "due"}
		}, "postgres", "no events source"},
		{"filter without values", func(m *Mapping) { m.Sources[0].Logins = &Filter{Column: "kind"} }, "postgres", "logins: needs in or not_in"},
		{"time zone", func(m *Mapping) { m.Timezone = "Mars/Olympus" }, "postgres", "Mars/Olympus"},
		{"silence", func(m *Mapping) { m.ChurnAfterSilence = "3 months" }, "postgres", "3 months"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := plain()
			if tt.edit != nil {
				tt.edit(m)
			}
			sql, err := SQL(m, tt.dialect, features.NoDate)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q; SQL:\n%s", err, tt.want, sql)
			}
		})
	}
}

// TestCheckTable checks the table: key for Build: with a postgres:// path
// it stands for a query; without a path it is for SQL alone.
func TestCheckTable(t *testing.T) {
	for _, c := range []struct {
		name string
		src  Source
		want string // "" for no error
	}{
		{"table of a postgres URL", Source{Path: "postgres://h/db", Table: "events", Account: "a", Time: "t"}, ""},
		{"table beside a file export", Source{Path: "e.csv", Table: "events", Account: "a", Time: "t"}, ""},
		{"table alone", Source{Table: "events", Account: "a", Time: "t"}, "is for --emit-sql only"},
		{"query alone", Source{Query: "SELECT 1", Account: "a", Time: "t"}, "is for --emit-sql only"},
		{"both", Source{Path: "postgres://h/db", Table: "events", Query: "SELECT 1", Account: "a", Time: "t"}, "query and table together"},
		{"nothing", Source{Account: "a", Time: "t"}, "no path"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := (&Mapping{Sources: []Source{c.src}}).Check()
			if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
				t.Errorf("Check: %v, want %q", err, c.want)
			}
		})
	}
	if q := tableQuery("", "sales.events"); q != "SELECT * FROM sales.events" {
		t.Errorf("tableQuery gives %q", q)
	}
}

// TestDialectConstructs pins, per dialect, each construct that differs
// between engines: a change to one is a change to what users run.
func TestDialectConstructs(t *testing.T) {
	type constructs struct {
		ident, str, types, localDay, addDays, daysBetween, monday, offsets, sortKey string
		files                                                                       [3]string // a Parquet file, a CSV file with ;, a directory
	}
	want := map[string]constructs{
		"postgres": {
			ident: `"we""ird col"`, str: `'it''s \ fine'`, types: "text double precision bigint",
			localDay:    `CAST(CAST(ts AS timestamptz) AT TIME ZONE 'Asia/Tokyo' AS date)`,
			addDays:     "(d + 6)",
			daysBetween: "(a - b)",
			monday:      "(d - (CAST(EXTRACT(ISODOW FROM d) AS integer) - 1))",
			offsets:     "SELECT r.*, generate_series(0, r.n, 7) AS k FROM (TABLE x) AS r",
			sortKey:     `acct COLLATE "C"`,
			files:       [3]string{"PostgreSQL does not read files", "PostgreSQL does not read files", "PostgreSQL does not read files"},
		},
		"duckdb": {
			ident: `"we""ird col"`, str: `'it''s \ fine'`, types: "VARCHAR DOUBLE BIGINT",
			localDay:    `CAST(timezone('Asia/Tokyo', CAST(ts AS TIMESTAMPTZ)) AS DATE)`,
			addDays:     "(d + 6)",
			daysBetween: "(a - b)",
			monday:      "CAST(date_trunc('week', d) AS DATE)",
			offsets:     "SELECT r.*, UNNEST(range(0, r.n + 1, 7)) AS k FROM (TABLE x) AS r",
			sortKey:     "acct",
			files: [3]string{"read_parquet('/d/e.parquet')", "read_csv('/d/e.csv.gz', header = true, delim = ';')",
				"read_parquet('s3://b/events/**/*.parquet', hive_partitioning = true)"},
		},
		"spark": {
			ident: "`we\"ird col`", str: `'it\'s \\ fine'`, types: "STRING DOUBLE BIGINT",
			localDay:    `to_date(from_utc_timestamp(to_utc_timestamp(CAST(ts AS TIMESTAMP), current_timezone()), 'Asia/Tokyo'))`,
			addDays:     "date_add(d, 6)",
			daysBetween: "datediff(a, b)",
			monday:      "trunc(d, 'week')",
			offsets:     "SELECT r.*, explode(sequence(0, r.n, 7)) AS k FROM (TABLE x) AS r",
			sortKey:     "acct",
			files:       [3]string{"parquet.`/d/e.parquet`", "without its header", "parquet.`s3://b/events/`"},
		},
		"bigquery": {
			ident: "`we\"ird col`", str: `'it\'s \\ fine'`, types: "STRING FLOAT64 INT64",
			localDay:    `DATE(CAST(ts AS TIMESTAMP), 'Asia/Tokyo')`,
			addDays:     "DATE_ADD(d, INTERVAL 6 DAY)",
			daysBetween: "DATE_DIFF(a, b, DAY)",
			monday:      "DATE_TRUNC(d, ISOWEEK)",
			offsets:     "SELECT r.*, k FROM (TABLE x) AS r CROSS JOIN UNNEST(GENERATE_ARRAY(0, r.n, 7)) AS k",
			sortKey:     "acct",
			files:       [3]string{"external tables", "external tables", "external tables"},
		},
	}
	if len(want) != len(dialects) {
		t.Fatalf("%d dialects, %d tested", len(dialects), len(want))
	}
	for name, w := range want {
		d := dialects[name]
		var files [3]string
		for i, f := range []fileSource{{path: "/d/e.parquet"}, {path: "/d/e.csv.gz", delimiter: ";"}, {path: "s3://b/events/"}} {
			s, err := d.files(f)
			if err != nil {
				s = err.Error()
			}
			files[i] = s
		}
		got := constructs{
			ident: d.ident(`we"ird col`), str: d.str(`it's \ fine`), types: d.text() + " " + d.double() + " " + d.bigint(),
			localDay: d.localDay("ts", "Asia/Tokyo"), addDays: d.addDays("d", "6"), daysBetween: d.daysBetween("a", "b"),
			monday: d.monday("d"), offsets: d.offsets("TABLE x", "n"), sortKey: d.sortKey("acct"), files: files,
		}
		for i := range files {
			if !strings.Contains(got.files[i], w.files[i]) {
				t.Errorf("%s: files %d: %q, want %q", name, i, got.files[i], w.files[i])
			}
		}
		got.files, w.files = [3]string{}, [3]string{}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, w)
		}
	}
	// Spark and BigQuery read a backquote, a backslash and a newline in
	// a string literal as escapes: 'it''s' would be two literals there.
	for _, name := range []string{"spark", "bigquery"} {
		if got := dialects[name].str("a\nb\\'"); got != `'a\nb\\\''` {
			t.Errorf("%s: str gives %s", name, got)
		}
	}
	if got := dialects["bigquery"].ident("a`b"); got != "`a\\`b`" {
		t.Errorf("bigquery: ident gives %s", got)
	}
	if got := dialects["spark"].ident("a`b"); got != "`a``b`" {
		t.Errorf("spark: ident gives %s", got)
	}
}

// goldenMapping has every kind of source and every construct: filters of
// each form, a cancellation, signals, tickets by times and by flag,
// invoices, an accounts table over time, a zone and a silence. Its
// sources are tables, so every dialect writes it.
func goldenMapping() *Mapping {
	return &Mapping{
		Timezone:          "Europe/Paris",
		ChurnAfterSilence: "13w",
		From:              "2025-01-08",
		Sources: []Source{
			{Name: "product", Table: "app.events", Account: "account_id", Time: "ts", LoginCount: LoginRows,
				Logins:        &Filter{Column: "event", In: []string{"login", "sso_login"}},
				Actions:       &Filter{Column: "event", NotIn: []string{"login", "page_view"}},
				ChurnEvent:    &Filter{Column: "event", In: []string{"subscription_cancelled"}},
				Sum:           []Signal{{Column: "amount", As: "usage_amount"}},
				CountDistinct: []Signal{{Column: "user_id", As: "active_users"}}},
			{Name: "web", Query: "SELECT * FROM web.views WHERE page <> 'x';", Account: "account_id", Time: "viewed_at",
				Logins: &Filter{None: true}, Actions: &Filter{Column: "page", In: []string{"docs"}},
				Sum: []Signal{{Column: "seconds"}}},
			{Table: "support.tickets", Kind: KindTickets, Account: "account_id", Time: "created_at",
				SLA: &SLA{Response: "first_response_minutes", Limit: "sla_minutes"}},
			{Table: "support.escalations", Kind: KindTickets, Account: "account_id", Time: "at", SLA: &SLA{Flag: "breached"}},
			{Table: "billing.invoices", Kind: KindInvoices, Account: "account_id", Invoice: &Invoice{Due: "due_date", Paid: "paid_date"}},
		},
		Accounts: &Accounts{Table: "crm.accounts", Account: "account_id", EffectiveFrom: "changed_at", ARR: "arr",
			Segment: "segment", RenewalDate: "renewal_date", ContractEnd: "ended_on", ContractStart: "started_on",
			Extra: []Signal{{Column: "seats"}}},
	}
}

// TestSQLGolden compares each dialect's statement of goldenMapping with
// testdata/sql/DIALECT.sql (go test -run TestSQLGolden -update rewrites
// them): a diff shows what a change does to what users run. PostgreSQL's
// is also run for real, against the Go path, by cmd/churn's tests.
func TestSQLGolden(t *testing.T) {
	until, _ := features.ParseDate("2025-06-30")
	for _, name := range Dialects() {
		t.Run(name, func(t *testing.T) {
			sql, err := SQL(goldenMapping(), name, until)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "sql", name+".sql")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(sql), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if sql != string(want) {
				t.Errorf("%s differs from %s (rerun with -update if the change is meant):\n%s", name, path, sql)
			}
			// Each dialect's own constructs, and no other's.
			d := dialects[name]
			for _, c := range []string{d.monday("day"), d.localDay(`src.`+d.ident("ts"), "Europe/Paris"), d.str("subscription_cancelled")} {
				if !strings.Contains(sql, c) {
					t.Errorf("%s lacks its construct %s", name, c)
				}
			}
			for other, od := range dialects {
				if c := od.monday("day"); other != name && c != d.monday("day") && strings.Contains(sql, c) {
					t.Errorf("%s holds %s's %s", name, other, c)
				}
			}
		})
	}
}
