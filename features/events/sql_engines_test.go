package events_test

import (
	"bytes"
	"context"
	csvpkg "encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/events"
	"github.com/churnlabs/churn/features/events/eventstest"
	"github.com/churnlabs/churn/features/simulate"
)

// sqlcheckEnv set to "require" turns a skip for want of the SQL checkers
// into a failure, as CHURN_POSTGRES does for PostgreSQL.
const sqlcheckEnv = "CHURN_SQLCHECK"

// sqlcheck runs a node script of testdata/sqlcheck (DuckDB, and a parser
// of BigQuery's SQL: the npm packages make sqlcheck installs there) with stdin and the environment variables env, and returns its
// stdout, or its stderr as an error when it fails. Without node or the
// packages the test skips.
func sqlcheck(t *testing.T, stdin string, env []string, args ...string) (string, error) {
	t.Helper()
	dir := filepath.Join("testdata", "sqlcheck")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api"))
	}
	if err != nil {
		msg := fmt.Sprintf("no SQL checkers (make sqlcheck installs them): %v", err)
		if os.Getenv(sqlcheckEnv) == "require" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, stderr.String())
	}
	return string(out), nil
}

// duckdb runs sql in DuckDB after the setup statements, with the session
// time zone zone, and returns its result's header and rows.
func duckdb(t *testing.T, zone, setup, sql string) [][]string {
	t.Helper()
	out, err := sqlcheck(t, sql, []string{"DUCKDB_SETUP=SET TimeZone = '" + zone + "';\n" + setup}, "run.cjs")
	if err != nil {
		t.Fatalf("duckdb: %v\n%s", err, sql)
	}
	rows, err := csvpkg.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSQLParses parses the BigQuery statements of a mapping with every
// kind of source, and of the plain flags, with a parser of BigQuery's
// SQL: no BigQuery runs here, so this and the golden files are its test.
// A statement with a syntax error must fail it. (Spark SQL has the golden
// file only: the one parser of its grammar on npm takes seconds.)
func TestSQLParses(t *testing.T) {
	plain := &events.Mapping{ChurnAfterSilence: "90d", Sources: []events.Source{{Table: "events", Account: "a", Time: "t",
		Sum: []events.Signal{{Column: "amount"}}, CountDistinct: []events.Signal{{Column: "user", As: "users"}}}}}
	full, err := events.ReadMapping([]byte(duckdbMapping(t.TempDir(), "events/")), "/data")
	if err != nil {
		t.Fatal(err)
	}
	full.Timezone, full.From = "Europe/Paris", "2025-02-05"
	full.Sources[0].LoginCount = events.LoginRows
	full.Accounts.ContractStart, full.Accounts.Extra = "started", []events.Signal{{Column: "seats"}}
	for i := range full.Sources {
		full.Sources[i].Path, full.Sources[i].Table = "", "db.table"+strconv.Itoa(i)
	}
	full.Accounts.Path, full.Accounts.Query = "", "SELECT * FROM crm.accounts WHERE region = 'eu';"
	// Both statements in one script: node starts twice, not four times.
	until, _ := features.ParseDate("2025-06-30")
	var script []string
	for _, m := range []*events.Mapping{plain, full} {
		sql, err := events.SQL(m, "bigquery", until)
		if err != nil {
			t.Fatal(err)
		}
		script = append(script, sql)
	}
	sql := strings.Join(script, ";\n")
	if _, err := sqlcheck(t, sql, nil, "parse.mjs"); err != nil {
		t.Errorf("BigQuery's SQL does not parse: %v\n%s", err, sql)
	}
	broken := strings.Replace(sql, "GROUP BY account, week", "GROUP BY account, week,", 1)
	if _, err := sqlcheck(t, broken, nil, "parse.mjs"); err == nil {
		t.Error("a broken statement parses: the check cannot fail")
	}
}

// genTables writes eventstest.Warehouse's tables into dir as CSV files,
// their instants with offsets of hours and minutes.
func genTables(t *testing.T, dir string, seed uint64) {
	l := eventstest.Layouts{Event: "2006-01-02 15:04:05-07:00", Cancel: "2006-01-02 15:04:05-07:00", Flagged: "2006-01-02 15:04:05-07:00"}
	for name, table := range eventstest.Warehouse(seed, l) {
		write(t, dir, name+".csv", table.CSV)
	}
}

// duckdbMapping maps genTables' files with every kind of source and
// filter; events is the path of the product events (a CSV file or a
// directory of Parquet files).
func duckdbMapping(dir, events string) string {
	return `sources:
  - name: product
    path: ` + events + `
    account: account_id
    time: at
    logins: {column: event, in: [login]}
    actions: {column: event, not_in: [login, view, cancel]}
    churn_event: {column: event, in: [cancel]}
    sum: [{column: amount, as: spent}]
    count_distinct: [{column: user_id, as: active_users}]
  - name: web
    path: views.csv
    account: account_id
    time: ts
    logins: {column: page, in: [home]}
    actions: {none: true}
    sum: [{column: seconds, as: time_on_site}]
  - path: tickets.csv
    kind: tickets
    account: account_id
    time: opened
    sla_breach: {response: first_response_min, limit: sla_min}
  - path: flagged.csv
    kind: tickets
    account: account_id
    time: opened_at
    sla_breach: {flag: breached}
  - path: invoices.csv
    kind: invoices
    account: account_id
    invoice: {due: due, paid: paid}
accounts:
  path: accounts.csv
  account: account_id
  effective_from: from
  arr: arr
  segment: segment
  renewal_date: renewal
  contract_end: ended
`
}

// TestSQLDuckDBEqualsBuild runs the DuckDB statement of a mapping with
// every kind of source on DuckDB, reading the same files Build reads (CSV
// files, and a directory of Hive-partitioned Parquet files that DuckDB
// writes from the events), and wants Build's snapshots row for row.
// Build runs with Lenient: the SQL does not refuse events after a
// cancellation, nor tickets and invoices of unknown accounts.
func TestSQLDuckDBEqualsBuild(t *testing.T) {
	dir := t.TempDir()
	genTables(t, dir, 9)
	for _, c := range []struct {
		name, events, setup, zone string
		silence                   string
		until                     string
	}{
		{name: "csv files", events: "events.csv", zone: "UTC"},
		{name: "hive partitions, silence in a zone", events: "parts", zone: "America/Los_Angeles", silence: "2w", until: "2025-04-16",
			setup: "COPY (SELECT *, strftime(CAST(\"at\" AS TIMESTAMPTZ), '%Y-%m') AS month FROM read_csv('" + filepath.Join(dir, "events.csv") + "', header = true)) TO '" + filepath.Join(dir, "parts") + "' (FORMAT parquet, PARTITION_BY (month))"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mapping := duckdbMapping(dir, c.events)
			m, err := events.ReadMapping([]byte(mapping), dir)
			if err != nil {
				t.Fatal(err)
			}
			m.Timezone, m.ChurnAfterSilence = c.zone, c.silence
			until := features.NoDate
			if c.until != "" {
				until, _ = features.ParseDate(c.until)
			}
			sql, err := events.SQL(m, "duckdb", until)
			if err != nil {
				t.Fatal(err)
			}
			got := duckdb(t, c.zone, c.setup, sql)

			var buf bytes.Buffer
			w, err := csvfile.NewWriter(&buf, m.Schema())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := events.Build(context.Background(), m, events.Options{Until: until, Lenient: true}, w); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want, err := csvpkg.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			churned := 0
			for _, row := range want[1:] {
				if row[7] == "1" {
					churned++
				}
			}
			if len(want) < 200 || churned < 3 {
				t.Fatalf("%d snapshots, %d churned: the test data is too thin", len(want)-1, churned)
			}
			t.Logf("%d snapshots, %d churned", len(want)-1, churned)
			eventstest.CompareRows(t, "DuckDB", "Build", got, want)
		})
	}
}

// TestSQLDuckDBGenRawEqualsBuild runs the DuckDB statement of the raw
// tables churn gen --raw writes, and of its mapping (login_count: rows,
// from: and until:, the accounts table's contract_start and an extra
// column), on DuckDB reading the CSV files Build reads, and wants Build's
// snapshots row for row: with the mapping's from:, and without it, where
// the weeks begin at the contract starts.
func TestSQLDuckDBGenRawEqualsBuild(t *testing.T) {
	dir := t.TempDir()
	var files []*os.File
	create := func(name string) *os.File {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		return f
	}
	tables := simulate.RawTables{
		Events: create(simulate.RawEvents), Tickets: create(simulate.RawTickets),
		Invoices: create(simulate.RawInvoices), Accounts: create(simulate.RawAccounts),
	}
	cfg := simulate.Config{Accounts: 12, Weeks: 16, Seed: 5}
	if err := simulate.RunRaw(context.Background(), cfg, tables, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	data, err := simulate.RawMappingYAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(m *events.Mapping)
	}{
		{"mapping's from", func(*events.Mapping) {}},
		{"contract starts", func(m *events.Mapping) { m.From = "" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := events.ReadMapping(data, dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.From == "" || m.Until == "" || m.Sources[0].LoginCount != events.LoginRows || m.Accounts.ContractStart == "" || len(m.Accounts.Extra) == 0 {
				t.Fatal("gen --raw's mapping no longer uses every key the test is for")
			}
			c.edit(m)
			sql, err := events.SQL(m, "duckdb", features.NoDate)
			if err != nil {
				t.Fatal(err)
			}
			got := duckdb(t, "UTC", "", sql)
			var buf bytes.Buffer
			w, err := csvfile.NewWriter(&buf, m.Schema())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := events.Build(context.Background(), m, events.Options{}, w); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want, err := csvpkg.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 100 {
				t.Fatalf("%d snapshots: the test data is too thin", len(want)-1)
			}
			t.Logf("%d snapshots", len(want)-1)
			eventstest.CompareRows(t, "DuckDB", "Build", got, want)
		})
	}
}
