package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cdnowLike is a purchase log laid out as CDNOW's: whitespace-separated
// columns padded with spaces, a header line, CRLF line ends.
const cdnowLike = " customer_id  date number_of_cds  dollar_value\r\n" +
	" 00001 20250106  1   11.77\r\n" +
	" 00002 20250107  1   12.00\r\n" +
	" 00002 20250107  5   77.00\r\n" +
	" 00002 20250203  2   20.76\r\n"

// TestSnapshotsCommand runs churn snapshots on a CDNOW-like file, checks
// the CSV it writes, and checks that both the CSV and the Parquet output
// read back through churn validate.
func TestSnapshotsCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "log.txt")
	if err := os.WriteFile(in, []byte(cdnowLike), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"snapshots", "--events", in, "--account", "customer_id", "--time", "date",
		"--time-format", "20060102", "--sum", "dollar_value", "--churn-after-silence", "14d", "--until", "2025-02-09"}
	out := filepath.Join(dir, "snap.csv")
	stdout := mustChurn(t, append(args, "--out", out)...)
	if !strings.Contains(stdout, "6 snapshots of 2 accounts (2 churned)") {
		t.Errorf("stdout %q", stdout)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned,dollar_value
00001,2025-01-06,1,1,6,0,0,0,11.77
00001,2025-01-13,0,0,13,0,0,0,0
00001,2025-01-20,0,0,20,0,0,1,0
00002,2025-01-06,1,2,5,0,0,0,89
00002,2025-01-13,0,0,12,0,0,0,0
00002,2025-01-20,0,0,19,0,0,1,0
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// --from writes the weeks from its own on; recency still counts
	// from the purchases before it.
	mustChurn(t, append(args, "--out", out, "--from", "2025-01-15")...)
	if got, err := os.ReadFile(out); err != nil || !strings.Contains(string(got), "\n00001,2025-01-13,0,0,13,0,0,0,0\n00001,2025-01-20") || strings.Contains(string(got), "2025-01-06") {
		t.Errorf("with --from 2025-01-15: %s (%v), want the weeks of 01-13 and 01-20", got, err)
	}
	pq := filepath.Join(dir, "snap.parquet")
	mustChurn(t, append(args, "--out", pq)...)
	for _, f := range []string{out, pq} {
		if code, _, errs := churn(t, "validate", "--snapshots", f); code != 0 {
			t.Errorf("validate %s: exit %d\n%s", f, code, errs)
		}
	}
}

// TestSnapshotsCommandErrors checks that bad input and bad flags fail with
// a message naming the problem and leave no output file, and that an
// interrupted roll-up leaves none either.
func TestSnapshotsCommandErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "log.txt")
	if err := os.WriteFile(in, []byte(cdnowLike+" 00003 2025013x 1 1.00\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "snap.csv")
	base := []string{"snapshots", "--events", in, "--account", "customer_id", "--time", "date", "--time-format", "20060102", "--out", out}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad time", base, 1, `log.txt: row 6: column "date": time "2025013x" is not a valid YYYYMMDD date`},
		{"map and events", []string{"snapshots", "--map", "m.yaml", "--events", in, "--out", out}, 2, "--map names the sources"},
		{"no account", []string{"snapshots", "--events", in, "--time", "date", "--out", out}, 2, "--account is required"},
		{"bad silence", append(base[:len(base):len(base)], "--churn-after-silence", "3 months"), 2, `silence "3 months"`},
		{"bad from", append(base[:len(base):len(base)], "--from", "2025-02-30"), 2, `--from`},
		{"bad from with emit-sql", []string{"snapshots", "--emit-sql", "--query", "TABLE e", "--account", "a", "--time", "t", "--from", "2025-02-30"}, 2, `--from: `},
		{"missing column", []string{"snapshots", "--events", in, "--account", "id", "--time", "date", "--out", out}, 1, `column "id": no such column (the file has customer_id, date, number_of_cds, dollar_value)`},
	} {
		code, _, errs := churn(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", c.name, code, errs, c.code, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: an output file was written", c.name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var sink strings.Builder
	if code := run(ctx, &env{stdout: &sink, stderr: &sink}, append(base, "--lenient")); code == 0 {
		t.Error("an interrupted roll-up succeeded")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an interrupted roll-up left an output file")
	}
}

// TestSnapshotsCommandMap runs churn snapshots with a mapping file whose
// paths are relative to it, and a --churn-after-silence that overrides the
// mapping's.
func TestSnapshotsCommandMap(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"data/events.csv":  "acct,at,kind\nx,2025-01-06T10:00:00Z,login\nx,2025-01-07T10:00:00Z,report\n",
		"data/tickets.csv": "acct,at,late\nx,2025-01-08,1\n",
		"data/map.yaml": `churn_after_silence: 90d
sources:
  - path: events.csv
    account: acct
    time: at
    logins: {column: kind, in: [login]}
    actions: {column: kind, not_in: [login]}
  - path: tickets.csv
    kind: tickets
    account: acct
    time: at
    sla_breach: {flag: late}
`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "snap.csv")
	mustChurn(t, "snapshots", "--map", filepath.Join(dir, "data", "map.yaml"), "--churn-after-silence", "7d", "--until", "2025-01-19", "--out", out)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned
x,2025-01-06,1,1,5,1,0,0
x,2025-01-13,0,0,12,0,0,1
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	code, _, errs := churn(t, "snapshots", "--map", filepath.Join(dir, "data", "events.csv"), "--out", out)
	if code != 1 || !strings.Contains(errs, "mapping:") {
		t.Errorf("a CSV file as the mapping: exit %d, %q", code, errs)
	}
}

// TestSnapshotsCommandSeveralFiles checks that --sum adds up its column in
// every --events file, not only the first.
func TestSnapshotsCommandSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	var args []string
	for i, content := range []string{"id,t,n\nx,2025-01-06,1\n", "id,t,n\nx,2025-01-07,2\n"} {
		p := filepath.Join(dir, "part"+string(rune('0'+i))+".csv")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--events", p)
	}
	out := filepath.Join(dir, "snap.csv")
	mustChurn(t, append([]string{"snapshots", "--account", "id", "--time", "t", "--sum", "n", "--until", "2025-01-12", "--out", out}, args...)...)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned,n\nx,2025-01-06,2,2,5,0,0,0,3\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
