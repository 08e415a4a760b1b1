package events_test

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/events"
	"github.com/parquet-go/parquet-go"
)

func day(t testing.TB, s string) features.Date {
	t.Helper()
	d, err := features.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPlainFlags covers the simplest mapping (account and time columns):
// logins are days with an event, frequency the events, recency the days
// from the last event to the week's Sunday; weeks without events are zero
// weeks; the last, incomplete week is left out.
func TestPlainFlags(t *testing.T) {
	dir := t.TempDir()
	// 2025-01-06 is a Monday.
	p := write(t, dir, "events.csv", `account,ts
a,2025-01-06T09:00:00Z
a,2025-01-06T17:00:00Z
a,2025-01-08
b,2025-01-12 23:59:59
a,2025-01-21T00:00:00+00:00
b,2025-01-27
`)
	m := &events.Mapping{Sources: []events.Source{{Path: p, Account: "account", Time: "ts"}}}
	var got collect
	rep, err := events.Build(context.Background(), m, events.Options{}, &got)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"a": {
			"2025-01-06": "2 3 4 0 0 false", // Mon twice, Wed: 2 days, 3 events, Sun 12 - Wed 8
			"2025-01-13": "0 0 11 0 0 false",
			"2025-01-20": "1 1 5 0 0 false", // Tue 21 -> Sun 26
		},
		"b": {
			"2025-01-06": "1 1 0 0 0 false", // Sunday itself
			"2025-01-13": "0 0 7 0 0 false",
			"2025-01-20": "0 0 14 0 0 false",
		},
	}
	if !reflect.DeepEqual(got.byAccount, want) {
		t.Errorf("got %v\nwant %v", got.byAccount, want)
	}
	if rep.Written != 6 || rep.Last != day(t, "2025-01-20") {
		t.Errorf("report: %d rows up to %s, want 6 up to 2025-01-20 (the week of 01-27 is not complete)", rep.Written, rep.Last)
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0].Reason, "after the last complete week") {
		t.Errorf("notes %v, want one about the incomplete last week", rep.Notes)
	}
}

// TestSilenceChurn checks that churn is declared on the FIRST silence of
// the length, in the week it is reached, and that a return after it ends
// the history with a note rather than an error.
func TestSilenceChurn(t *testing.T) {
	dir := t.TempDir()
	// a: 2025-01-06, then nothing for 20 days, back on 2025-02-03 (a
	// return after a 14-day silence churn on 2025-01-20).
	// b: active every 10 days: never 14 days silent, never churns.
	// c: 2025-01-06 and 2025-01-20: exactly 14 days apart, so days 7..20
	// hold an event on day 14: no silence of 14 full days.
	p := write(t, dir, "e.csv", `id,day
a,2025-01-06
a,2025-02-03
a,2025-02-10
b,2025-01-06
b,2025-01-16
b,2025-01-26
b,2025-02-05
b,2025-02-15
c,2025-01-06
c,2025-01-20
`)
	m := &events.Mapping{ChurnAfterSilence: "2w", Sources: []events.Source{{Path: p, Account: "id", Time: "day"}}}
	var got collect
	rep, err := events.Build(context.Background(), m, events.Options{Until: day(t, "2025-02-16")}, &got)
	if err != nil {
		t.Fatal(err)
	}
	a := got.byAccount["a"]
	if len(a) != 3 || a["2025-01-20"] != "0 0 20 0 0 true" {
		t.Errorf("a: %v, want 3 weeks ending with a churn in the week of 2025-01-20 (06 + 14 days)", a)
	}
	if b := got.byAccount["b"]; len(b) != 6 || strings.Contains(fmt.Sprint(b), "true") {
		t.Errorf("b: %v, want 6 weeks and no churn", b)
	}
	// c's silence after its last event (01-20) is reached on 02-03.
	if c := got.byAccount["c"]; len(c) != 5 || c["2025-02-03"] != "0 0 20 0 0 true" {
		t.Errorf("c: %v, want churn in the week of 2025-02-03 (last event 01-20 + 14)", c)
	}
	if rep.Churned != 2 || len(rep.Notes) != 1 || rep.Notes[0].N != 1 || !strings.Contains(rep.Notes[0].Reason, "back after a silence churn") {
		t.Errorf("churned %d, notes %v: want 2 churned and a note for a's return", rep.Churned, rep.Notes)
	}
}

// TestMapping covers a multi-table mapping: login and action filters,
// cancellation rows, sums and distinct counts, SLA breaches by time and
// by flag, overdue invoices as a state at each week's end, and an
// accounts table whose ARR changes take effect only from their date.
func TestMapping(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "events.csv", `account_id,at,event,user,amount
acme,2025-01-06T10:00:00Z,login,u1,
acme,2025-01-07T10:00:00Z,login,u2,
acme,2025-01-07T11:00:00Z,export,u2,10.5
acme,2025-01-14T11:00:00Z,export,u1,0.25
acme,2025-01-29T11:00:00Z,cancel,u1,
beta,2025-01-06T11:00:00Z,login,u9,
`)
	write(t, dir, "tickets.csv", `account_id,opened,first_response_min,sla_min
acme,2025-01-08,30,60
acme,2025-01-09,90,60
beta,2025-01-15,,60
`)
	write(t, dir, "flagged.csv", `account_id,opened,breached
beta,2025-01-16,yes
`)
	write(t, dir, "invoices.csv", `account_id,due,paid
acme,2025-01-10,2025-01-20
beta,2025-01-12,
beta,2025-01-19,2025-01-19
`)
	write(t, dir, "accounts.csv", `account_id,from,arr,segment,renewal
acme,2024-06-01,1000,smb,2025-06-01
acme,2025-01-15,5000,mid,2026-01-15
beta,2024-01-01,200,smb,
`)
	mapping := `
sources:
  - name: product
    path: events.csv
    account: account_id
    time: at
    logins: {column: event, in: [login]}
    actions: {column: event, in: [export]}
    churn_event: {column: event, in: [cancel]}
    sum: [{column: amount, as: exported}]
    count_distinct: [{column: user, as: active_users}]
  - path: tickets.csv
    kind: tickets
    account: account_id
    time: opened
    sla_breach: {response: first_response_min, limit: sla_min}
  - path: flagged.csv
    kind: tickets
    account: account_id
    time: opened
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
`
	m, err := events.ParseMapping([]byte(mapping), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got collect
	if _, err := events.Build(context.Background(), m, events.Options{Until: day(t, "2025-02-02")}, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{
		// acme: logins Mon+Tue; one export (recency Sun 12 - Tue 7); 2
		// users; invoice due 01-10 unpaid at Sun 01-12.
		"acme 2025-01-06 2 1 5 1 1 false 10.5 2 arr=1000 segment=smb renewal=2025-06-01",
		// the ARR change of 01-15 is in effect by Sunday 01-19; the
		// invoice is paid on 01-20: still overdue at the end of 01-19.
		"acme 2025-01-13 0 1 5 0 1 false 0.25 1 arr=5000 segment=mid renewal=2026-01-15",
		"acme 2025-01-20 0 0 12 0 0 false 0 0 arr=5000 segment=mid renewal=2026-01-15",
		// cancelled on Wed 01-29.
		"acme 2025-01-27 0 0 19 0 0 true 0 0 arr=5000 segment=mid renewal=2026-01-15",
		// beta: a login, no action ever: recency counts from its first
		// day. Due 01-12, unpaid: overdue from the end of 01-13 on; the
		// invoice due and paid on 01-19 never is.
		"beta 2025-01-06 1 0 6 0 0 false 0 1 arr=200 segment=smb renewal=",
		"beta 2025-01-13 0 0 13 1 1 false 0 0 arr=200 segment=smb renewal=",
		"beta 2025-01-20 0 0 20 0 1 false 0 0 arr=200 segment=smb renewal=",
		"beta 2025-01-27 0 0 27 0 1 false 0 0 arr=200 segment=smb renewal=",
	}
	if !reflect.DeepEqual(got.rows, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got.rows, "\n"), strings.Join(want, "\n"))
	}
}

// TestOrderIndependent checks that the same rows in another order, and
// split over files of a directory, give the same snapshots.
func TestOrderIndependent(t *testing.T) {
	lines := []string{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		d := day(t, "2025-01-06") + features.Date(r.IntN(120))
		lines = append(lines, strings.Join([]string{
			string(rune('a' + i%7)), d.String(), []string{"0.1", "0.2", "0.7", "1e-6"}[r.IntN(4)],
		}, ","))
	}
	run := func(files map[string][]string) []string {
		dir := t.TempDir()
		for name, ls := range files {
			write(t, dir, name, "acct,day,x\n"+strings.Join(ls, "\n")+"\n")
		}
		m := &events.Mapping{ChurnAfterSilence: "30d", Sources: []events.Source{{
			Path: dir, Account: "acct", Time: "day", Sum: []events.Signal{{Column: "x"}},
		}}}
		var got collect
		if _, err := events.Build(context.Background(), m, events.Options{}, &got); err != nil {
			t.Fatal(err)
		}
		return got.rows
	}
	first := run(map[string][]string{"all.csv": lines})
	shuffled := append([]string(nil), lines...)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	second := run(map[string][]string{"p1.csv": shuffled[:150], "late/p2.csv": shuffled[150:]})
	if !reflect.DeepEqual(first, second) {
		t.Errorf("the same rows in another order gave other snapshots")
	}
}

// TestDirectory reads a Hive-partitioned directory mixing CSV and gzipped
// CSV: the partition value becomes a column, and hidden or _SUCCESS files
// are skipped.
func TestDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "region=eu/part-0.csv", "ts,n\n2025-01-06,1\n")
	write(t, dir, "_SUCCESS", "")
	write(t, dir, ".part-0.csv.crc", "garbage")
	if err := os.MkdirAll(filepath.Join(dir, "region=us"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "region=us", "part-0.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	gz.Write([]byte("ts,n\n2025-01-07,2\n2025-01-08,3\n"))
	gz.Close()
	f.Close()
	m := &events.Mapping{Sources: []events.Source{{Path: dir, Account: "region", Time: "ts", Sum: []events.Signal{{Column: "n"}}}}}
	var got collect
	if _, err := events.Build(context.Background(), m, events.Options{Until: day(t, "2025-01-12")}, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"eu": {"2025-01-06": "1 1 6 0 0 false 1"},
		"us": {"2025-01-06": "2 2 4 0 0 false 5"},
	}
	if !reflect.DeepEqual(got.byAccount, want) {
		t.Errorf("got %v, want %v", got.byAccount, want)
	}
}

// TestTimezone checks that weeks start on Monday in the mapping's zone: an
// event late on Sunday evening in New York is Monday in UTC.
func TestTimezone(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "e.csv", "a,t\nx,2025-01-13T02:00:00Z\nx,2025-01-19T12:00:00Z\n")
	for _, tc := range []struct{ tz, want string }{
		{"", "2025-01-13"},
		{"America/New_York", "2025-01-06"},
	} {
		m := &events.Mapping{Timezone: tc.tz, Sources: []events.Source{{Path: p, Account: "a", Time: "t"}}}
		var got collect
		rep, err := events.Build(context.Background(), m, events.Options{}, &got)
		if err != nil {
			t.Fatal(err)
		}
		if rep.First.String() != tc.want {
			t.Errorf("timezone %q: first week %s, want %s", tc.tz, rep.First, tc.want)
		}
	}
}

// TestBadInput checks that each kind of bad row is an error naming the
// file, row and column, and a counted warning with Lenient.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, events, tickets string
		explicit              bool
		want                  string
	}{
		{"unparseable time", "acct,t,amount\na,2025-01-06,1\na,yesterday,1\n", "", false,
			`events.csv: row 3: column "t": time "yesterday" is neither YYYY-MM-DD nor an RFC 3339 timestamp`},
		{"future date", "acct,t,amount\na,2025-01-06,1\na,2999-01-01,1\n", "", false,
			`events.csv: row 3: column "t": 2999-01-01 is in the future`},
		{"negative amount", "acct,t,amount\na,2025-01-06,1\na,2025-01-07,-3\n", "", false,
			`events.csv: row 3: column "amount": negative amount -3`},
		{"unknown account", "acct,t,amount\na,2025-01-06,1\n", "acct,t,response,limit\nzed,2025-01-07,5,1\n", false,
			`tickets.csv: row 2: account "zed" has no events: unknown account`},
		{"event after cancellation", "acct,t,amount,kind\na,2025-01-06,1,use\na,2025-01-07,1,cancel\na,2025-01-21,1,use\n", "", true,
			`events.csv: row 4: account "a" has an event on 2025-01-21 after it churned on 2025-01-07 (`},
		{"short row", "acct,t,amount\na,2025-01-06\n", "", false,
			`events.csv: row 2: 2 fields, the header has 3`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := events.Source{Path: write(t, dir, "events.csv", tc.events), Account: "acct", Time: "t", Sum: []events.Signal{{Column: "amount"}}}
			if tc.explicit {
				src.ChurnEvent = &events.Filter{Column: "kind", In: []string{"cancel"}}
			}
			m := &events.Mapping{Sources: []events.Source{src}}
			if tc.tickets != "" {
				m.Sources = append(m.Sources, events.Source{Path: write(t, dir, "tickets.csv", tc.tickets), Kind: events.KindTickets,
					Account: "acct", Time: "t", SLA: &events.SLA{Response: "response", Limit: "limit"}})
			}
			opt := events.Options{Today: day(t, "2026-01-01"), Until: day(t, "2025-02-02")}
			_, err := events.Build(context.Background(), m, opt, &collect{})
			var ie *features.InputError
			if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want an InputError containing %q", err, tc.want)
			}
			opt.Lenient = true
			rep, err := events.Build(context.Background(), m, opt, &collect{})
			if tc.name == "short row" {
				if err == nil {
					t.Fatal("a malformed file passed with Lenient")
				}
				return // a broken file is not a bad row: still an error
			}
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			if len(rep.Warnings) != 1 || rep.Warnings[0].N != 1 {
				t.Errorf("lenient: warnings %v, want one", rep.Warnings)
			}
		})
	}
}

// TestInterrupted checks that a cancelled context stops the roll-up.
func TestInterrupted(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("a,t\n")
	for i := range 100000 {
		b.WriteString("x" + string(rune('a'+i%26)) + ",2025-01-06\n")
	}
	p := write(t, dir, "e.csv", b.String())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := &events.Mapping{Sources: []events.Source{{Path: p, Account: "a", Time: "t"}}}
	if _, err := events.Build(ctx, m, events.Options{}, &collect{}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestParquet reads events from a Parquet file in a Hive partition: a
// timestamp column, a DATE column for invoices' due dates, a number.
func TestParquet(t *testing.T) {
	type event struct {
		Account string    `parquet:"account"`
		At      time.Time `parquet:"at,timestamp(millisecond)"`
		Amount  float64   `parquet:"amount"`
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "week=2025-01-06", "part-0.parquet")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	rows := []event{
		{"x", time.Date(2025, 1, 6, 23, 30, 0, 0, time.UTC), 1.5},
		{"x", time.Date(2025, 1, 9, 1, 0, 0, 0, time.UTC), 2},
		{"y", time.Date(2025, 1, 12, 12, 0, 0, 0, time.UTC), 0},
	}
	if err := parquet.WriteFile(p, rows); err != nil {
		t.Fatal(err)
	}
	m := &events.Mapping{Sources: []events.Source{{
		Path: dir, Account: "account", Time: "at",
		Sum:           []events.Signal{{Column: "amount"}},
		CountDistinct: []events.Signal{{Column: "week", As: "partitions"}},
	}}}
	var got collect
	if _, err := events.Build(context.Background(), m, events.Options{}, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"x": {"2025-01-06": "2 2 3 0 0 false 3.5 1"},
		"y": {"2025-01-06": "1 1 0 0 0 false 0 1"},
	}
	if !reflect.DeepEqual(got.byAccount, want) {
		t.Errorf("got %v, want %v", got.byAccount, want)
	}
}

// TestAccountsTable covers an accounts table with one row per account (no
// effective_from): its values hold for every week, a contract end is the
// churn week, an event after it is an error, and a second row for an
// account is an error naming both rows.
func TestAccountsTable(t *testing.T) {
	dir := t.TempDir()
	ev := write(t, dir, "events.csv", "id,t\nx,2025-01-06\nx,2025-01-15\ny,2025-01-07\ny,2025-01-28\n")
	mapping := func(accounts string) *events.Mapping {
		return &events.Mapping{
			Sources: []events.Source{{Path: ev, Account: "id", Time: "t"}},
			Accounts: &events.Accounts{Path: write(t, dir, "accounts.csv", accounts), Account: "id",
				ARR: "arr", Segment: "seg", ContractEnd: "ended"},
		}
	}
	opt := events.Options{Until: day(t, "2025-02-02")}
	var got collect
	if _, err := events.Build(context.Background(), mapping("id,arr,seg,ended\nx,100,smb,2025-01-22\ny,,mid,\n"), opt, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"x 2025-01-06 1 1 6 0 0 false arr=100 segment=smb renewal=",
		"x 2025-01-13 1 1 4 0 0 false arr=100 segment=smb renewal=",
		"x 2025-01-20 0 0 11 0 0 true arr=100 segment=smb renewal=", // contract ended Wed 01-22
		"y 2025-01-06 1 1 5 0 0 false arr=NaN segment=mid renewal=",
		"y 2025-01-13 0 0 12 0 0 false arr=NaN segment=mid renewal=",
		"y 2025-01-20 0 0 19 0 0 false arr=NaN segment=mid renewal=",
		"y 2025-01-27 1 1 5 0 0 false arr=NaN segment=mid renewal=",
	}
	if !reflect.DeepEqual(got.rows, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got.rows, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range []struct{ accounts, want string }{
		{"id,arr,seg,ended\nx,100,smb,2025-01-10\n", `events.csv: row 3: account "x" has an event on 2025-01-15 after it churned on 2025-01-10`},
		{"id,arr,seg,ended\nx,100,smb,\ny,1,a,\nx,200,mid,\n", `accounts.csv: row 4: column "id": a second row for the account (map effective_from to give one row per change); the first is`},
		{"id,arr,seg,ended\nx,-5,smb,\n", `accounts.csv: row 2: column "arr": "-5" is not a number >= 0`},
	} {
		_, err := events.Build(context.Background(), mapping(c.accounts), opt, &collect{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("accounts %q: error %v, want %q", c.accounts, err, c.want)
		}
	}
}

// TestChurnBeforeActivity checks that an account cancelled before the week
// of its first activity has no snapshots and is not counted as churned.
func TestChurnBeforeActivity(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "e.csv", "id,t,k\nx,2025-01-01,cancel\nx,2025-01-14,use\ny,2025-01-06,use\n")
	m := &events.Mapping{Sources: []events.Source{{Path: p, Account: "id", Time: "t",
		ChurnEvent: &events.Filter{Column: "k", In: []string{"cancel"}}}}}
	rep, err := events.Build(context.Background(), m, events.Options{Until: day(t, "2025-01-19"), Lenient: true}, &collect{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accounts != 1 || rep.Churned != 0 {
		t.Errorf("%d accounts, %d churned; want 1 account (y) and no churn", rep.Accounts, rep.Churned)
	}
}

// TestStrayDate checks that one row dated decades away from the rest (a
// mistyped year) does not widen every account's weeks to span it: memory
// stays near accounts x the weeks they live.
func TestStrayDate(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,t\nstray,1925-01-06\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "a%d,2025-01-%02d\n", i, 6+i%7)
	}
	p := write(t, dir, "e.csv", b.String())
	m := &events.Mapping{Sources: []events.Source{{Path: p, Account: "id", Time: "t"}}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := events.Build(context.Background(), m, events.Options{}, &collect{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// 2000 accounts x 5,200 weeks x 16 bytes would be 166 MB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 50<<20 {
		t.Errorf("allocated %d MB for 2,001 accounts", alloc>>20)
	}
}

// TestDirectoryBadFile checks that a directory whose first file cannot be
// read reports that file, not a missing column.
func TestDirectoryBadFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.csv.gz", "not gzip")
	m := &events.Mapping{Sources: []events.Source{{Path: dir, Account: "id", Time: "t"}}}
	_, err := events.Build(context.Background(), m, events.Options{}, &collect{})
	if err == nil || !strings.Contains(err.Error(), "a.csv.gz: not a gzip file") {
		t.Errorf("error %v, want one about a.csv.gz not being gzip", err)
	}
}

// TestUntilInFuture checks that a last day after today is refused: the
// weeks up to it would be zero weeks that have not happened.
func TestUntilInFuture(t *testing.T) {
	p := write(t, t.TempDir(), "e.csv", "id,t\nx,2025-01-06\n")
	m := &events.Mapping{Sources: []events.Source{{Path: p, Account: "id", Time: "t"}}}
	opt := events.Options{Until: day(t, "2025-03-02"), Today: day(t, "2025-02-01")}
	if _, err := events.Build(context.Background(), m, opt, &collect{}); err == nil || !strings.Contains(err.Error(), "after today") {
		t.Errorf("error %v, want one about a last day after today", err)
	}
}

// TestLongLine: an event file with a line over csvfile.MaxRecordBytes is
// an error naming the file and the row, whatever the delimiter, and it
// is found without reading the line whole.
func TestLongLine(t *testing.T) {
	huge := strings.Repeat("x", 12<<20)
	for _, tc := range []struct{ name, body string }{
		{"events.csv", "acct,t,amount\na,2025-01-06,1\n" + huge + ",2025-01-07,1\n"},
		{"events.txt", "acct t amount\na 2025-01-06 1\n" + huge + " 2025-01-07 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := events.Source{Path: write(t, t.TempDir(), tc.name, tc.body), Account: "acct", Time: "t"}
			opt := events.Options{Today: day(t, "2026-01-01"), Until: day(t, "2025-02-02"), Lenient: true}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := events.Build(context.Background(), &events.Mapping{Sources: []events.Source{src}}, opt, &collect{})
			runtime.ReadMemStats(&after)
			var ie *features.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.name+": row 3") || !strings.Contains(err.Error(), "longer than") {
				t.Fatalf("error %v, want an InputError at row 3 about its length", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 { // the buffers, not the 12 MiB line
				t.Errorf("reading allocated %d bytes: the line was read whole", grew)
			}
		})
	}
}

// TestHistoryOptions covers what a B2B export with history needs: logins
// counted as rows (login_count: rows), an account whose weeks begin at its
// contract start before any activity (contract_start), a first week
// (from:) with the rows before it kept as history (recency, overdue
// invoices, ARR), the data's last day in the mapping (until:), and an
// accounts-table number as an extra column, as of each week.
func TestHistoryOptions(t *testing.T) {
	dir := t.TempDir()
	// 2025-01-06 is a Monday; from: 2025-01-13.
	write(t, dir, "events.csv", `account_id,at,event,user
a,2024-12-30T09:00:00Z,export,u1
a,2025-01-13T09:00:00Z,login,u1
a,2025-01-13T10:00:00Z,login,u1
a,2025-01-14T10:00:00Z,login,u2
b,2025-01-22T10:00:00Z,login,u7
b,2025-01-23T10:00:00Z,export,u7
`)
	write(t, dir, "invoices.csv", `account_id,due,paid
a,2025-01-08,2025-01-15
`)
	write(t, dir, "accounts.csv", `account_id,from,arr,seats,started
a,2024-06-03,1000,3,2024-06-03
a,2025-01-20,2000,6,2024-06-03
b,2025-01-15,500,2,2025-01-15
`)
	mapping := `
from: 2025-01-13
until: 2025-02-02
sources:
  - path: events.csv
    account: account_id
    time: at
    logins: {column: event, in: [login]}
    login_count: rows
    actions: {column: event, in: [export]}
    count_distinct: [{column: user, as: active_users}]
  - path: invoices.csv
    kind: invoices
    account: account_id
    invoice: {due: due, paid: paid}
accounts:
  path: accounts.csv
  account: account_id
  effective_from: from
  arr: arr
  contract_start: started
  extra: [{column: seats}]
`
	m, err := events.ParseMapping([]byte(mapping), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Schema().Extras; !reflect.DeepEqual(got, []string{"seats", "active_users"}) {
		t.Errorf("extras %v, want the accounts table's first: [seats active_users]", got)
	}
	var got collect
	rep, err := events.Build(context.Background(), m, events.Options{}, &got)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		// a: weeks from 2025-01-13 only; three login rows on two days;
		// recency from the export of 2024-12-30 (before from:); the
		// invoice due 01-08 is unpaid at the end of 01-12 only.
		"a 2025-01-13 3 0 20 0 0 false 3 2 arr=1000 segment= renewal=",
		"a 2025-01-20 0 0 27 0 0 false 6 0 arr=2000 segment= renewal=",
		"a 2025-01-27 0 0 34 0 0 false 6 0 arr=2000 segment= renewal=",
		// b: its contract starts Wed 01-15, before its first activity:
		// a zero week counting recency from the start.
		"b 2025-01-13 0 0 4 0 0 false 2 0 arr=500 segment= renewal=",
		"b 2025-01-20 1 1 3 0 0 false 2 1 arr=500 segment= renewal=",
		"b 2025-01-27 0 0 10 0 0 false 2 0 arr=500 segment= renewal=",
	}
	if !reflect.DeepEqual(got.rows, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got.rows, "\n"), strings.Join(want, "\n"))
	}
	if rep.First != day(t, "2025-01-13") || rep.Last != day(t, "2025-01-27") {
		t.Errorf("weeks %s to %s, want 2025-01-13 to 2025-01-27", rep.First, rep.Last)
	}
	// A first week after the data is an error, not an empty file.
	_, err = events.Build(context.Background(), m, events.Options{From: day(t, "2025-02-03")}, &collect{})
	if err == nil || !strings.Contains(err.Error(), "from 2025-02-03 is after the last complete week of the data (2025-01-27)") {
		t.Errorf("from after the data: error %v", err)
	}
}

// TestHistoryOptionsBad checks the new keys' errors.
func TestHistoryOptionsBad(t *testing.T) {
	base := "sources:\n  - {path: e.csv, account: a, time: t%s}\n%s"
	for _, c := range []struct{ src, rest, want string }{
		{", login_count: sessions", "", `login_count "sessions": want days or rows`},
		{", kind: tickets, sla_breach: {flag: f}, login_count: rows", "", "login_count belongs to an events source"},
		{"", "from: 2025-13-01\n", "from"},
		{"", "until: yesterday\n", "until"},
		{"", "accounts: {path: a.csv, account: a, extra: [{column: arr}]}\n", `"arr"`},
		{"", "accounts: {path: a.csv, account: a, extra: [{column: ''}]}\n", "no column"},
	} {
		_, err := events.ParseMapping(fmt.Appendf(nil, base, c.src, c.rest), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %q: error %v, want %q", c.src, c.rest, err, c.want)
		}
	}
}

// TestDistinctMemory checks what a distinct count keeps: the same users
// active week after week (a B2B product's) are stored once, and each
// account-week holds a few bytes per user, not a copy of every value.
func TestDistinctMemory(t *testing.T) {
	dir := t.TempDir()
	const accounts, users, weeks = 4, 300, 50
	var b strings.Builder
	b.WriteString("account,ts,user\n")
	start := day(t, "2024-01-01")
	for a := range accounts {
		for w := range weeks {
			for u := range users {
				fmt.Fprintf(&b, "acct-%d,%s,acct-%d-user-%06d\n", a, start.AddDays(7*w+u%7), a, u)
			}
		}
	}
	p := write(t, dir, "e.csv", b.String())
	// alloc returns the bytes a roll-up allocates, and its snapshots.
	alloc := func(signals []events.Signal) (uint64, *collect) {
		m := &events.Mapping{Sources: []events.Source{{Path: p, Account: "account", Time: "ts", CountDistinct: signals}}}
		var got collect
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := events.Build(context.Background(), m, events.Options{}, &got); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, &got
	}
	plain, _ := alloc(nil)
	counted, got := alloc([]events.Signal{{Column: "user", As: "active_users"}})
	if line := got.byAccount["acct-1"]["2024-01-08"]; !strings.HasSuffix(line, " 300") {
		t.Fatalf("acct-1 2024-01-08: %q, want 300 active users", line)
	}
	if perValue := float64(counted-plain) / (accounts * users * weeks); perValue > 50 {
		t.Errorf("%.0f bytes allocated per account-week-user, want under 50: each week keeps its own copy of every value?", perValue)
	}
}

// TestRowOrderMemory checks that rows sorted by time, as exports come, or
// in reverse, fold in memory near accounts x weeks: an account's weeks
// are not copied each time a later (or earlier) week arrives. It also
// checks that the order does not change the output.
func TestRowOrderMemory(t *testing.T) {
	const accounts, weeks = 200, 260
	start := day(t, "2020-01-06")
	var lines []string
	for w := range weeks {
		for a := range accounts {
			lines = append(lines, fmt.Sprintf("a%03d,%sT10:00:00Z,%d.5,u%d", a, start+features.Date(7*w+a%7), a%10, w%3))
		}
	}
	var want []string
	for _, order := range []string{"time", "reverse"} {
		t.Run(order, func(t *testing.T) {
			body := slices.Clone(lines)
			if order == "reverse" {
				slices.Reverse(body)
			}
			p := write(t, t.TempDir(), "e.csv", "id,t,amount,user\n"+strings.Join(body, "\n")+"\n")
			m := &events.Mapping{ChurnAfterSilence: "90d", Sources: []events.Source{{Path: p, Account: "id", Time: "t",
				Sum: []events.Signal{{Column: "amount"}}, CountDistinct: []events.Signal{{Column: "user", As: "users"}}}}}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var c collect
			if _, err := events.Build(context.Background(), m, events.Options{}, &c); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if len(c.rows) != accounts*weeks {
				t.Fatalf("%d snapshots, want %d", len(c.rows), accounts*weeks)
			}
			// The rows' strings and the snapshots kept by collect are
			// about 15 MB; copying the weeks on every new week was 400.
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d MB", alloc>>20)
			if alloc > 60<<20 {
				t.Errorf("allocated %d MB for %d accounts x %d weeks", alloc>>20, accounts, weeks)
			}
			if want == nil {
				want = c.rows
			} else if !slices.Equal(c.rows, want) {
				t.Errorf("the output depends on the order of the rows")
			}
		})
	}
}

// TestLongQuotedCell: a quoted cell whose many short lines add up to more
// than csvfile.MaxRecordBytes is one record over the bound, an error at
// the row it starts on, found without reading it whole: the bound is on
// the record, not on each of its lines.
func TestLongQuotedCell(t *testing.T) {
	cell := `"` + strings.Repeat("note\n", 12<<20/5) + `"`
	body := "acct;t;note\na;2025-01-06;x\nb;2025-01-07;" + cell + "\nc;2025-01-08;y\n"
	src := events.Source{Path: write(t, t.TempDir(), "events.csv", body), Account: "acct", Time: "t"}
	opt := events.Options{Today: day(t, "2026-01-01"), Until: day(t, "2025-02-02")}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := events.Build(context.Background(), &events.Mapping{Sources: []events.Source{src}}, opt, &collect{})
	runtime.ReadMemStats(&after)
	var ie *features.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "events.csv: row 3") || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("error %v, want an InputError at row 3 about its length", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 { // the 1 MiB bound and buffers, not the 12 MiB cell
		t.Errorf("reading allocated %d bytes: the cell was read whole", grew)
	}
}

// TestCountDistinct checks distinct counts against a brute-force count,
// on rows in random order over weeks that span several chunks and both
// directions of growth, with repeated and missing values, values that
// share their first 8 bytes, an account with more values than a short
// list holds, one whose values are all missing, and two distinct columns
// beside a sum.
func TestCountDistinct(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := day(t, "2024-12-30") // a Monday
	values := []string{"u1", "u2", "u3", "u10", "", "NA", "u1 ", "session-0001", "session-0002", "session-00010", "u1\x00"}
	type key struct{ acct, week string }
	want := map[key][2]map[string]bool{}
	var b strings.Builder
	b.WriteString("acct,t,user,page,amount\n")
	for range 3000 {
		acct := fmt.Sprintf("a%d", rng.IntN(5))
		d := start + features.Date(rng.IntN(7*30))
		user, page := values[rng.IntN(len(values))], values[rng.IntN(3)]
		switch acct {
		case "a3":
			user = fmt.Sprintf("user-%d", rng.IntN(100)) // more than a short list holds
		case "a4":
			user, page = "", "NA" // all missing
		}
		fmt.Fprintf(&b, "%s,%sT08:00:00Z,%s,%s,1\n", acct, d, user, page)
		k := key{acct, d.Monday().String()}
		if want[k][0] == nil {
			want[k] = [2]map[string]bool{{}, {}}
		}
		if !features.IsMissing(user) {
			want[k][0][user] = true
		}
		if !features.IsMissing(page) {
			want[k][1][page] = true
		}
	}
	src := events.Source{Path: write(t, t.TempDir(), "e.csv", b.String()), Account: "acct", Time: "t",
		Sum:           []events.Signal{{Column: "amount"}},
		CountDistinct: []events.Signal{{Column: "user", As: "users"}, {Column: "page", As: "pages"}}}
	var c collect
	if _, err := events.Build(context.Background(), &events.Mapping{Sources: []events.Source{src}}, events.Options{}, &c); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for acct, weeks := range c.byAccount {
		for week, line := range weeks {
			f := strings.Fields(line)
			got := f[len(f)-2:]
			w := want[key{acct, week}]
			if exp := []string{strconv.Itoa(len(w[0])), strconv.Itoa(len(w[1]))}; !slices.Equal(got, exp) {
				t.Errorf("%s %s: users, pages %v, want %v", acct, week, got, exp)
			}
			if w[0] != nil {
				seen++
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d account-weeks with rows written, want %d", seen, len(want))
	}
}

// TestCSVSyntaxError checks that a CSV syntax error in an event file is
// an InputError naming the file and the row the record starts on, and
// where in it the problem is, for each separator.
func TestCSVSyntaxError(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"bare.csv", "acct,t\na,2025-01-06\nb\"x,2025-01-07\n", `bare.csv: row 3: byte 2: bare " in non-quoted-field`},
		{"semi.csv", "acct;t\na;2025-01-06\n\"b\nc\"x;2025-01-07\n", `semi.csv: row 3: line 4, byte 2: extraneous or missing " in quoted-field`},
		{"open.csv", "acct|t\na|2025-01-06\n\"b|2025-01-07\n", `open.csv: row 3: byte 15: extraneous or missing " in quoted-field`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := events.Source{Path: write(t, t.TempDir(), tc.name, tc.body), Account: "acct", Time: "t"}
			_, err := events.Build(context.Background(), &events.Mapping{Sources: []events.Source{src}}, events.Options{}, &collect{})
			var ie *features.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want an InputError with %q", err, tc.want)
			}
		})
	}
}

// TestErrorStopsReaders checks that a bad row after thousands of good
// ones, in a roll-up with a distinct count, is reported at its row and
// leaves no reading or recording goroutine behind.
func TestErrorStopsReaders(t *testing.T) {
	var b strings.Builder
	b.WriteString("acct,t,user\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "a%d,2025-01-%02dT10:00:00Z,u%d\n", i%50, 6+i%20, i%7)
	}
	b.WriteString("a1,yesterday,u1\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "a%d,2025-01-%02dT10:00:00Z,u%d\n", i%50, 6+i%20, i%7)
	}
	src := events.Source{Path: write(t, t.TempDir(), "e.csv", b.String()), Account: "acct", Time: "t",
		CountDistinct: []events.Signal{{Column: "user", As: "users"}}}
	before := runtime.NumGoroutine()
	_, err := events.Build(context.Background(), &events.Mapping{Sources: []events.Source{src}}, events.Options{}, &collect{})
	if err == nil || !strings.Contains(err.Error(), "e.csv: row 5002") {
		t.Fatalf("error %v, want one at row 5002", err)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after the roll-up, %d before", after, before)
	}
}
