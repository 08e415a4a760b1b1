package main

import (
	"context"
	csvpkg "encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features/events/eventstest"
	"github.com/churnlabs/churn/features/postgres"
	"github.com/churnlabs/churn/features/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// pg is this test binary's throwaway PostgreSQL, stopped by TestMain.
var pg = pgtest.New()

// eventsTable is the table the Postgres tests load, and the CSV header of
// the same rows: one time in three spellings (with a zone, without one,
// a date), and numbers of three types, some NULL.
const eventsTable = `CREATE TABLE events (
	account text NOT NULL,
	ts timestamptz NOT NULL,
	local_ts timestamp NOT NULL,
	day date NOT NULL,
	amount numeric(12, 2),
	seats integer,
	score double precision,
	user_id text
)`

// genEvents writes n random event rows as CSV, times spread over 20 weeks
// of early 2025 in UTC offsets from -08 to +09 so that days and weeks
// differ by zone, with NULL (empty) cells among the numbers and users.
func genEvents(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("account,ts,local_ts,day,amount,seats,score,user_id\n")
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		// Each account is active in a window of its own, so that some
		// start late and churn by silence; later accounts have few
		// events, so silences in the middle of a history happen too.
		a := int(25 * rng.Float64() * rng.Float64())
		from, length := a*4, min(140-a*4, 20+a*6)
		acct := fmt.Sprintf("acct-%02d", a)
		at := start.Add(time.Duration(from*24*60+rng.IntN(length*24*60)) * time.Minute).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		zone := time.FixedZone("", (rng.IntN(18)-8)*3600)
		local := at.In(zone)
		cell := func(p float64, s string) string {
			if rng.Float64() < p {
				return ""
			}
			return s
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s\n", acct,
			local.Format("2006-01-02 15:04:05.999Z07"),
			local.Format("2006-01-02 15:04:05.999"),
			local.Format(time.DateOnly),
			cell(0.1, fmt.Sprintf("%d.%02d", rng.IntN(500), rng.IntN(100))),
			cell(0.1, fmt.Sprint(rng.IntN(40))),
			cell(0.1, fmt.Sprint(float64(rng.IntN(1000))/8)),
			cell(0.2, strings.Replace(fmt.Sprintf("u%d", rng.IntN(6)), "u5", "n/a", 1))) // n/a: missing, as NULL
	}
	return b.String()
}

// loadEvents creates the events table in db and copies csv's rows into
// it, empty cells as NULL.
func loadEvents(t *testing.T, db, csv string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, eventsTable); err != nil {
		t.Fatal(err)
	}
	_, err = conn.PgConn().CopyFrom(ctx, strings.NewReader(csv), "COPY events FROM STDIN (FORMAT csv, HEADER true)")
	if err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotsPostgresEqualsCSV rolls the same rows up from a CSV file
// and from a PostgreSQL table (in another order) and wants the same
// bytes, for each spelling of the time and each numeric type.
func TestSnapshotsPostgresEqualsCSV(t *testing.T) {
	db := pg.DB(t)
	csv := genEvents(7, 3000)
	loadEvents(t, db, csv)
	dir := t.TempDir()
	in := filepath.Join(dir, "events.csv")
	if err := os.WriteFile(in, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"timestamptz", []string{"--time", "ts", "--sum", "amount", "--sum", "seats", "--sum", "score", "--count-distinct", "user_id", "--churn-after-silence", "21d"}},
		{"timestamptz in a zone", []string{"--time", "ts", "--timezone", "Asia/Tokyo", "--sum", "amount", "--churn-after-silence", "10d"}},
		{"timestamp", []string{"--time", "local_ts", "--timezone", "America/Los_Angeles", "--sum", "score"}},
		{"date", []string{"--time", "day", "--timezone", "America/New_York", "--count-distinct", "user_id", "--churn-after-silence", "4w"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"snapshots", "--account", "account", "--until", "2025-05-18"}, c.args...)
			fromCSV := filepath.Join(dir, c.name+".csv.out.csv")
			fromPG := filepath.Join(dir, c.name+".pg.out.csv")
			mustChurn(t, append(args, "--events", in, "--out", fromCSV)...)
			stdout := mustChurn(t, append(args, "--events", db, "--query", "SELECT * FROM events ORDER BY user_id DESC, ts", "--out", fromPG)...)
			if !strings.Contains(stdout, "from 3000 rows") {
				t.Errorf("stdout %q", stdout)
			}
			want, err := os.ReadFile(fromCSV)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(fromPG)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 1000 {
				t.Fatalf("only %d bytes of snapshots: the test data is too thin", len(want))
			}
			if string(got) != string(want) {
				t.Errorf("from PostgreSQL:\n%.2000s\nfrom the CSV file:\n%.2000s", got, want)
			}
		})
	}
}

// TestSnapshotsPostgresErrors checks that a bad query, a bad value and a
// wrong flag fail with a message naming the problem and write nothing,
// and that cancelling stops a query still running.
func TestSnapshotsPostgresErrors(t *testing.T) {
	db := pg.DB(t)
	loadEvents(t, db, genEvents(1, 50))
	out := filepath.Join(t.TempDir(), "snap.csv")
	base := []string{"snapshots", "--events", db, "--account", "account", "--time", "ts", "--out", out}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a missing comma", append(base, "--query", "SELECT account ts FROM events"), 1, `column "account": no such column (the file has ts)`},
		{"unknown table", append(base, "--query", "SELECT * FROM evnts"), 1, `relation "evnts" does not exist`},
		{"bad time at a row", append(base, "--query", "SELECT account, CASE WHEN row_number() OVER () = 7 THEN 'soon' ELSE ts::text END AS ts FROM events"),
			1, `(query): row 7: column "ts": time "soon"`},
		{"negative sum", append(base, "--query", "SELECT account, ts, -1 AS amount FROM events", "--sum", "amount"), 1, `row 1: column "amount"`},
		{"no query", base, 2, "needs --query"},
		{"query without postgres", []string{"snapshots", "--events", "x.csv", "--query", "SELECT 1", "--account", "a", "--time", "t", "--out", out}, 2, "--query reads from a postgres://"},
		{"postgres and a file", append(base, "--events", "x.csv", "--query", "SELECT 1"), 2, "is the only one"},
		{"no server", []string{"snapshots", "--events", "postgres://u:hush@127.0.0.1:1/db?connect_timeout=3", "--query", "SELECT 1", "--account", "a", "--time", "t", "--out", out}, 1, "connect to postgres://u:xxxxx@127.0.0.1:1/db"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := churn(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, c.code, c.want)
			}
			if strings.Contains(errs, "hush") {
				t.Errorf("stderr %q shows a password", errs)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("an output file was written")
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(300*time.Millisecond, cancel)
		start := time.Now()
		var sink strings.Builder
		code := run(ctx, &env{stdout: &sink, stderr: &sink}, append(base, "--query", "SELECT account, ts FROM events UNION ALL SELECT 'x', now() FROM pg_sleep(60)"))
		if code == 0 {
			t.Error("a cancelled roll-up succeeded")
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("cancelling took %v", d)
		}
		if _, err := os.Stat(out); err == nil {
			t.Error("a cancelled roll-up left an output file")
		}
	})
}

// TestSnapshotsEmitSQLEqualsGo runs the SQL that --emit-sql prints on
// PostgreSQL and wants, row for row, the snapshots the Go roll-up writes
// from the same query.
func TestSnapshotsEmitSQLEqualsGo(t *testing.T) {
	db := pg.DB(t)
	loadEvents(t, db, genEvents(11, 3000))
	dir := t.TempDir()
	const query = "SELECT * FROM events"
	for _, c := range []struct {
		name string
		args []string
	}{
		{"no churn", nil},
		{"silence", []string{"--churn-after-silence", "21d"}},
		{"zone and silence", []string{"--timezone", "Asia/Tokyo", "--churn-after-silence", "10d"}},
		{"until a Wednesday", []string{"--until", "2025-04-16", "--timezone", "America/Los_Angeles", "--churn-after-silence", "2w"}},
		{"until a Sunday", []string{"--until", "2025-05-18", "--churn-after-silence", "30d"}},
		{"signals", []string{"--sum", "amount", "--sum", "score", "--sum", "seats", "--count-distinct", "user_id", "--count-distinct", "seats", "--churn-after-silence", "21d"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"snapshots", "--account", "account", "--time", "ts"}, c.args...)
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".csv")
			mustChurn(t, append(args, "--events", db, "--query", query, "--out", out)...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := csvpkg.NewReader(strings.NewReader(string(data))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			sql := mustChurn(t, append(args, "--emit-sql", "--dialect", "postgres", "--query", query)...)
			r, err := postgres.Query(context.Background(), db, sql)
			if err != nil {
				t.Fatalf("%v\n%s", err, sql)
			}
			defer r.Close()
			got := [][]string{r.Columns()}
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, append([]string(nil), row...))
			}
			churned := 0
			for _, row := range want[1:] {
				if row[7] == "1" {
					churned++
				}
			}
			if len(want) < 100 || (churned == 0) != (len(c.args) == 0) || len(want[0]) != len(got[0]) {
				t.Fatalf("%d snapshots, %d churned: the test data is too thin", len(want), churned)
			}
			t.Logf("%d snapshots, %d churned", len(want)-1, churned)
			eventstest.CompareRows(t, "SQL", "Go", got, want)
		})
	}
}

// TestSnapshotsEmitSQLFlags checks --emit-sql's flags: what it cannot
// write is a usage error, and the statement goes to stdout.
func TestSnapshotsEmitSQLFlags(t *testing.T) {
	base := []string{"snapshots", "--emit-sql", "--account", "a", "--time", "t"}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no query", base, 2, "--emit-sql needs --query"},
		{"with --out", append(base, "--query", "TABLE e", "--out", "x.csv"), 2, "leave out --out"},
		{"a query of a file", append(base, "--query", "TABLE e", "--events", "x.csv"), 2, "not from files"},
		{"two files", append(base, "--events", "x.parquet", "--events", "y.parquet", "--dialect", "duckdb"), 2, "one --events path"},
		{"a file on postgres", append(base, "--events", "x.parquet"), 2, "PostgreSQL does not read files"},
		{"a csv on spark", append(base, "--events", "x.csv", "--dialect", "spark"), 2, "make it a table or view"},
		{"a time format", append(base, "--query", "TABLE e", "--time-format", "unix"), 2, `time_format "unix"`},
		{"with --map", append(base, "--query", "TABLE e", "--map", "m.yaml"), 2, "--map names the sources"},
		{"unknown dialect", append(base, "--query", "TABLE e", "--dialect", "oracle"), 2, `dialect "oracle": want one of bigquery, duckdb, postgres, spark`},
		{"no account", []string{"snapshots", "--emit-sql", "--query", "TABLE e", "--time", "t"}, 2, "--account is required"},
		{"bad until", append(base, "--query", "TABLE e", "--until", "2025-13-01"), 2, "--until"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, errs := churn(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, errs, c.code, c.want)
			}
		})
	}
	// A mapping file: what a dialect cannot read is an error naming the
	// file and the source.
	dir := t.TempDir()
	mf := filepath.Join(dir, "m.yaml")
	mapping := "sources:\n  - {name: product, path: events/, account: a, time: t}\n  - {path: i.csv, kind: invoices, account: a, invoice: {due: d}}\n"
	if err := os.WriteFile(mf, []byte(mapping), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dialect, want string }{
		{"postgres", mf + ": mapping: source 1 (product): PostgreSQL does not read files: give the source a table: or query:"},
		{"bigquery", "source 1 (product): BigQuery reads files through external tables"},
		{"spark", "source 2 (" + filepath.Join(dir, "i.csv") + "): Spark SQL reads a CSV file without its header"},
	} {
		code, stdout, errs := churn(t, "snapshots", "--emit-sql", "--map", mf, "--dialect", c.dialect)
		if code != 2 || !strings.Contains(errs, c.want) || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.dialect, code, stdout, errs, c.want)
		}
	}
	stdout := mustChurn(t, "snapshots", "--emit-sql", "--map", mf, "--dialect", "duckdb", "--timezone", "Europe/Paris")
	for _, want := range []string{"read_parquet('" + filepath.Join(dir, "events") + "/**/*.parquet', hive_partitioning = true)", "read_csv('" + filepath.Join(dir, "i.csv") + "', header = true)", "'Europe/Paris'"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("DuckDB SQL lacks %q:\n%s", want, stdout)
		}
	}

	stdout = mustChurn(t, append(base, "--query", "TABLE e", "--until", "2025-03-02", "--churn-after-silence", "90d")...)
	for _, want := range []string{"FROM (TABLE e\n) AS src", "DATE '2025-03-02'", "(next_day - day) > 90"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("SQL lacks %q:\n%s", want, stdout)
		}
	}
}

// TestSnapshotsPostgresMap reads every table of a mapping file (events,
// tickets, invoices, accounts) from PostgreSQL and wants the bytes the
// same mapping gives from CSV files of the same rows.
func TestSnapshotsPostgresMap(t *testing.T) {
	db := pg.DB(t)
	tables := map[string]string{
		"events": `account_id,at,event,user,amount
acme,2025-01-06T10:00:00Z,login,u1,
acme,2025-01-07T10:00:00Z,login,u2,
acme,2025-01-07T11:00:00Z,export,u2,10.5
acme,2025-01-14T11:00:00Z,export,u1,0.25
acme,2025-01-29T11:00:00Z,cancel,u1,
beta,2025-01-06T11:00:00Z,login,u9,
`,
		"tickets": `account_id,opened,first_response_min,sla_min
acme,2025-01-08,30,60
acme,2025-01-09,90,60
beta,2025-01-15,,60
`,
		"invoices": `account_id,due,paid
acme,2025-01-10,2025-01-20
beta,2025-01-12,
beta,2025-01-19,2025-01-19
`,
		"accounts": `account_id,from,arr,segment,renewal
acme,2024-06-01,1000,smb,2025-06-01
acme,2025-01-15,5000,mid,2026-01-15
beta,2024-01-01,200,smb,
`,
	}
	// Typed columns, as a warehouse holds them: the reader must turn
	// them back into what the CSV cells say.
	types := map[string]string{
		"events":   "account_id text, at timestamptz, event text, \"user\" text, amount numeric",
		"tickets":  "account_id text, opened date, first_response_min integer, sla_min bigint",
		"invoices": "account_id text, due date, paid date",
		"accounts": "account_id text, \"from\" date, arr double precision, segment text, renewal date",
	}
	dir := t.TempDir()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for name, csv := range tables {
		if err := os.WriteFile(filepath.Join(dir, name+".csv"), []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE "+name+" ("+types[name]+")"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(csv), "COPY "+name+" FROM STDIN (FORMAT csv, HEADER true)"); err != nil {
			t.Fatal(err)
		}
	}
	mapping := func(from func(table string) string) string {
		return `sources:
  - name: product
` + from("events") + `    account: account_id
    time: at
    logins: {column: event, in: [login]}
    actions: {column: event, in: [export]}
    churn_event: {column: event, in: [cancel]}
    sum: [{column: amount, as: exported}]
    count_distinct: [{column: user, as: active_users}]
` + strings.Replace(from("tickets"), "    ", "  - ", 1) + `    kind: tickets
    account: account_id
    time: opened
    sla_breach: {response: first_response_min, limit: sla_min}
` + strings.Replace(from("invoices"), "    ", "  - ", 1) + `    kind: invoices
    account: account_id
    invoice: {due: due, paid: paid}
accounts:
` + strings.ReplaceAll(from("accounts"), "    ", "  ") + `  account: account_id
  effective_from: from
  arr: arr
  segment: segment
  renewal_date: renewal
`
	}
	files := mapping(func(table string) string { return "    path: " + table + ".csv\n" })
	queries := mapping(func(table string) string {
		return "    path: " + db + "\n    query: SELECT * FROM " + table + " ORDER BY random()\n"
	})
	var outs [2][]byte
	for i, m := range []string{files, queries} {
		mf := filepath.Join(dir, fmt.Sprintf("map%d.yaml", i))
		if err := os.WriteFile(mf, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, fmt.Sprintf("snap%d.csv", i))
		mustChurn(t, "snapshots", "--map", mf, "--until", "2025-02-02", "--out", out)
		if outs[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(string(outs[0]), "acme,2025-01-13,0,1,5,0,1,0,5000,mid,2026-01-15,0.25,1") {
		t.Errorf("from the files:\n%s", outs[0])
	}
	if string(outs[1]) != string(outs[0]) {
		t.Errorf("from PostgreSQL:\n%s\nfrom the files:\n%s", outs[1], outs[0])
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"no query", "sources:\n  - path: " + db + "\n    account: a\n    time: t\n", "a postgres:// path needs a query"},
		{"query of a file", "sources:\n  - path: e.csv\n    query: TABLE e\n    account: a\n    time: t\n", "not from files"},
	} {
		mf := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(mf, []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, errs := churn(t, "snapshots", "--map", mf, "--out", filepath.Join(dir, "bad.csv")); code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, %q; want %q", c.name, code, errs, c.want)
		}
	}
}

// pgLayouts spell the warehouse's instants as PostgreSQL's timestamptz
// reads them: an offset of hours alone, and RFC 3339.
var pgLayouts = eventstest.Layouts{Event: "2006-01-02 15:04:05Z07", Cancel: time.RFC3339, Flagged: time.RFC3339}

// warehouseMapping is a mapping of eventstest.Warehouse's tables with every kind
// of source and filter. Each table is a postgres:// path with a table:,
// which Build reads as SELECT * FROM it and SQL reads in place; the web
// source's query ends with a comment, as a query pasted from an editor
// may.
func warehouseMapping(db, accounts string) string {
	m := `sources:
  - name: product
    path: ` + db + `
    table: events
    account: account_id
    time: at
    logins: {column: event, in: [login]}
    actions: {column: event, not_in: [login, view, cancel]}
    churn_event: {column: event, in: [cancel]}
    sum: [{column: amount, as: spent}]
    count_distinct: [{column: user_id, as: active_users}]
  - name: web
    path: ` + db + `
    query: SELECT * FROM views WHERE page <> 'pricing' -- the sales team's visits
    account: account_id
    time: ts
    logins: {column: page, in: [home]}
    actions: {none: true}
    sum: [{column: seconds, as: time_on_site}]
  - path: ` + db + `
    table: tickets
    kind: tickets
    account: account_id
    time: opened
    sla_breach: {response: first_response_min, limit: sla_min}
  - path: ` + db + `
    table: flagged
    kind: tickets
    account: account_id
    time: opened_at
    sla_breach: {flag: breached}
  - path: ` + db + `
    table: invoices
    kind: invoices
    account: account_id
    invoice: {due: due, paid: paid}
accounts:
  path: ` + db + `
  table: ` + accounts + `
  account: account_id
  arr: arr
  segment: segment
  contract_end: ended
`
	if accounts == "accounts" {
		m += "  effective_from: from\n  renewal_date: renewal\n"
	}
	return m
}

// TestSnapshotsEmitSQLMapEqualsGo runs the SQL --emit-sql prints for a
// mapping with every kind of source on PostgreSQL and wants, row for row,
// the snapshots the Go roll-up writes from the same tables (with
// --lenient: the SQL does not refuse events after a cancellation, nor
// tickets and invoices of unknown accounts, it leaves them out as
// --lenient does). A timestamp or date is read in the session's time
// zone, so the statement runs with the mapping's.
func TestSnapshotsEmitSQLMapEqualsGo(t *testing.T) {
	db := pg.DB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for name, table := range eventstest.Warehouse(5, pgLayouts) {
		if _, err := conn.Exec(ctx, "CREATE TABLE "+name+" ("+table.Columns+")"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(table.CSV), "COPY "+name+" FROM STDIN (FORMAT csv, HEADER true)"); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	// newKeys adds what churn gen --raw's mappings use: login rows in
	// one source beside login days in another, contract starts (an
	// account begins at its first accounts row, maybe before any
	// activity), an extra column (NULL before the first row), from:.
	newKeys := func(m string) string {
		m = "from: 2025-02-05\n" + strings.Replace(m, "    logins: {column: page, in: [home]}\n", "    logins: {column: page, in: [home]}\n    login_count: rows\n", 1)
		return m + "  contract_start: from\n  extra: [{column: arr, as: arr_again}]\n"
	}
	for _, c := range []struct {
		name, accounts, zone string
		args                 []string
		edit                 func(string) string
	}{
		{"accounts over time", "accounts", "UTC", nil, nil},
		{"gen --raw's keys", "accounts", "Asia/Tokyo", []string{"--churn-after-silence", "3w"}, newKeys},
		{"silence in a zone", "accounts", "Asia/Tokyo", []string{"--churn-after-silence", "21d"}, nil},
		{"until a Wednesday", "accounts", "America/Los_Angeles", []string{"--until", "2025-04-16", "--churn-after-silence", "2w"}, nil},
		{"one row per account", "accounts_now", "Europe/Paris", []string{"--until", "2025-06-01"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			mf := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yaml")
			mapping := warehouseMapping(db, c.accounts)
			if c.edit != nil {
				mapping = c.edit(mapping)
			}
			if err := os.WriteFile(mf, []byte(mapping), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"snapshots", "--map", mf, "--timezone", c.zone}, c.args...)
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".csv")
			mustChurn(t, append(args, "--lenient", "--out", out)...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := csvpkg.NewReader(strings.NewReader(string(data))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			sql := mustChurn(t, append(args, "--emit-sql")...)
			got := queryAll(t, db+"&TimeZone="+c.zone, sql)
			// The data must exercise what the SQL writes: every column
			// non-zero somewhere, churn of each kind.
			nonZero := make([]int, len(want[0]))
			churned := 0
			for _, row := range want[1:] {
				for i, v := range row {
					if v != "" && v != "0" {
						nonZero[i]++
					}
				}
				if row[7] == "1" {
					churned++
				}
			}
			for i, n := range nonZero {
				if n == 0 {
					t.Errorf("column %s is always zero or empty: the test data is too thin", want[0][i])
				}
			}
			if len(want) < 300 || churned < 3 {
				t.Fatalf("%d snapshots, %d churned: the test data is too thin", len(want), churned)
			}
			t.Logf("%d snapshots, %d churned", len(want)-1, churned)
			eventstest.CompareRows(t, "SQL", "Go", got, want)
		})
	}
}

// queryAll runs sql and returns its header and rows.
func queryAll(t *testing.T, db, sql string) [][]string {
	t.Helper()
	r, err := postgres.Query(context.Background(), db, sql)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	defer r.Close()
	got := [][]string{r.Columns()}
	for {
		row, err := r.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
		got = append(got, append([]string(nil), row...))
	}
}

// TestSnapshotsEmitSQLGenRawEqualsGo loads the raw tables churn gen --raw
// writes into PostgreSQL and wants the SQL --emit-sql prints for its
// mapping, which uses login_count: rows, from: and until:, the accounts
// table's contract_start and an extra column, to give the snapshots the
// Go roll-up writes from the same tables, row for row; then the same with
// --from, which overrides the mapping's from:.
func TestSnapshotsEmitSQLGenRawEqualsGo(t *testing.T) {
	db := pg.DB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw")
	mustChurn(t, "gen", "--raw", raw, "--accounts", "12", "--weeks", "16", "--seed", "3")
	mapping, err := os.ReadFile(filepath.Join(raw, "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Every table as text columns named by the CSV header: the
	// statement casts as the Go path parses.
	text := string(mapping)
	for _, name := range []string{"events", "tickets", "invoices", "accounts"} {
		f, err := os.Open(filepath.Join(raw, name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		header, err := csvpkg.NewReader(f).Read()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for _, h := range header {
			cols = append(cols, strconv.Quote(h)+" text")
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE "+name+" ("+strings.Join(cols, ", ")+")"); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(raw, name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(string(data)), "COPY "+name+" FROM STDIN (FORMAT csv, HEADER true)"); err != nil {
			t.Fatal(err)
		}
		indent := "    "
		if name == "accounts" {
			indent = "  "
		}
		path := "path: " + name + ".csv\n"
		if !strings.Contains(text, path) {
			t.Fatalf("mapping.yaml has no %q", path)
		}
		text = strings.Replace(text, path, "path: "+db+"\n"+indent+"table: "+name+"\n", 1)
	}
	for _, key := range []string{"from:", "until:", "login_count: rows", "contract_start:", "extra:"} {
		if !strings.Contains(text, key) {
			t.Fatalf("mapping.yaml lacks %s: the test no longer covers it", key)
		}
	}
	// Without from:, weeks begin at the contract starts, years before
	// the first events; until: a Wednesday ends the data mid-week.
	whole := regexp.MustCompile(`(?m)^from: .*\n`).ReplaceAllString(text, "")
	whole = regexp.MustCompile(`(?m)^until: .*$`).ReplaceAllString(whole, "until: 2023-04-12")
	for _, c := range []struct {
		name, mapping string
		args          []string
	}{
		{"mapping's from", text, nil},
		{"--from", text, []string{"--from", "2023-02-15"}},
		{"contract starts, until a Wednesday", whole, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			mf := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yaml")
			if err := os.WriteFile(mf, []byte(c.mapping), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"snapshots", "--map", mf}, c.args...)
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".csv")
			mustChurn(t, append(args, "--out", out)...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := csvpkg.NewReader(strings.NewReader(string(data))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			got := queryAll(t, db+"&TimeZone=UTC", mustChurn(t, append(args, "--emit-sql")...))
			if len(want) < 50 {
				t.Fatalf("%d snapshots: the test data is too thin", len(want)-1)
			}
			t.Logf("%d snapshots", len(want)-1)
			eventstest.CompareRows(t, "SQL", "Go", got, want)
		})
	}
}
