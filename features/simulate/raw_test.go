package simulate_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/events"
	"github.com/churnlabs/churn/features/simulate"
)

// writeRaw writes cfg's raw tables and mapping under dir.
func writeRaw(t *testing.T, dir string, cfg simulate.Config) {
	t.Helper()
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
	if err := simulate.RunRaw(context.Background(), cfg, tables, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	m, err := simulate.RawMappingYAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, simulate.RawMapping), m, 0o644); err != nil {
		t.Fatal(err)
	}
}

// csvLines writes snapshots as churn gen's CSV and returns the header and
// the rows, sorted: gen writes week by week, the roll-up account by
// account.
func csvLines(t *testing.T, schema features.Schema, rows []features.Snapshot) (string, []string) {
	t.Helper()
	var b bytes.Buffer
	w, err := csvfile.NewWriter(&b, schema)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	slices.Sort(lines[1:])
	return lines[0], lines[1:]
}

// snapshotsOf collects a roll-up's snapshots.
type snapshotsOf struct{ rows []features.Snapshot }

func (c *snapshotsOf) Write(s *features.Snapshot) error {
	r := *s
	r.Extra = slices.Clone(s.Extra)
	c.rows = append(c.rows, r)
	return nil
}

// TestRawRollsUpToSnapshots checks that the raw tables, rolled up with
// their mapping by package events, give exactly the snapshots of the same
// run with NoGaps, and that Run's rows are those less its gap weeks.
func TestRawRollsUpToSnapshots(t *testing.T) {
	for _, c := range []struct {
		cfg simulate.Config
		// varied runs must hold every kind of change.
		varied bool
	}{
		{simulate.Config{Accounts: 40, Weeks: 40, Seed: 3}, true},
		{simulate.Config{Accounts: 30, Weeks: 60, Seed: 3, Start: simulate.DefaultStart.AddDays(7 * 9)}, true},
		// One week: the data's last day is its Sunday, whatever the
		// events say.
		{simulate.Config{Accounts: 1, Weeks: 1, Seed: 2}, false},
		{simulate.Config{Accounts: 8, Weeks: 5, Seed: 7, Start: simulate.DefaultStart.AddDays(7 * 30)}, false},
	} {
		cfg := c.cfg
		dir := t.TempDir()
		writeRaw(t, dir, cfg)
		data, err := os.ReadFile(filepath.Join(dir, simulate.RawMapping))
		if err != nil {
			t.Fatal(err)
		}
		m, err := events.ParseMapping(data, dir)
		if err != nil {
			t.Fatal(err)
		}
		var got snapshotsOf
		rep, err := events.Build(context.Background(), m, events.Options{Today: features.NoDate}, &got)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Warnings) > 0 || len(rep.Notes) > 0 {
			t.Errorf("roll-up warnings %v, notes %v", rep.Warnings, rep.Notes)
		}
		full := cfg
		full.NoGaps = true
		want, err := simulate.Snapshots(context.Background(), full)
		if err != nil {
			t.Fatal(err)
		}
		gotHead, gotRows := csvLines(t, m.Schema(), got.rows)
		wantHead, wantRows := csvLines(t, simulate.Schema(), want)
		if gotHead != wantHead {
			t.Fatalf("header %q, want %q", gotHead, wantHead)
		}
		if len(gotRows) != len(wantRows) {
			t.Errorf("%d rows rolled up, want %d", len(gotRows), len(wantRows))
		}
		diffs := 0
		for i := range min(len(gotRows), len(wantRows)) {
			if gotRows[i] != wantRows[i] && diffs < 5 {
				diffs++
				t.Errorf("row %d:\n got %s\nwant %s", i+1, gotRows[i], wantRows[i])
			}
		}

		if !c.varied {
			continue
		}
		checkCancellations(t, filepath.Join(dir, simulate.RawEvents))

		// The run has every kind of change the raw tables must carry.
		var churned, overdue, breaches, changes, renewals int
		arr, renewal := map[string]float64{}, map[string]features.Date{}
		for _, s := range want {
			churned += b2i(s.Churned)
			overdue += b2i(s.OverdueInvoices > 0)
			breaches += b2i(s.SLABreaches > 0)
			if x, ok := arr[s.AccountID]; ok {
				changes += b2i(x != s.ARR)
				renewals += b2i(renewal[s.AccountID] != s.RenewalDate)
			}
			arr[s.AccountID], renewal[s.AccountID] = s.ARR, s.RenewalDate
		}
		t.Logf("%d rows: %d churned, %d overdue, %d with breaches, %d ARR changes, %d renewals", len(want), churned, overdue, breaches, changes, renewals)
		if churned == 0 || overdue == 0 || breaches == 0 || changes == 0 || renewals == 0 {
			t.Error("the run lacks a churn, an overdue invoice, a breach, an ARR change or a renewal: choose another")
		}

		// Run's rows are NoGaps's less the gaps, otherwise the same.
		gapped, err := simulate.Snapshots(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, gappedRows := csvLines(t, simulate.Schema(), gapped)
		if len(gappedRows) >= len(wantRows) {
			t.Errorf("%d rows with gaps, %d without: want fewer with", len(gappedRows), len(wantRows))
		}
		for _, r := range gappedRows {
			if _, ok := slices.BinarySearch(wantRows, r); !ok {
				t.Fatalf("row %s of Run is not among NoGaps's", r)
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func BenchmarkRunRaw(b *testing.B) {
	cfg := simulate.Config{Accounts: 100, Weeks: 52}
	var n int64
	for b.Loop() {
		w := &countBytes{}
		if err := simulate.RunRaw(context.Background(), cfg, simulate.RawTables{Events: w, Tickets: io.Discard, Invoices: io.Discard, Accounts: io.Discard}, nil); err != nil {
			b.Fatal(err)
		}
		n = w.lines
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// countBytes counts the lines written to it.
type countBytes struct{ lines int64 }

func (c *countBytes) Write(p []byte) (int, error) {
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// checkCancellations checks that no account has an event after its
// cancellation.
func checkCancellations(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last, cancelled := map[string]string{}, map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		f := strings.Split(line, ",")
		id, ts := f[0], f[2]
		if f[3] == "subscription_cancelled" {
			cancelled[id] = ts
			continue
		}
		last[id] = max(last[id], ts)
	}
	if len(cancelled) == 0 {
		t.Error("no cancellation")
	}
	for id, ts := range cancelled {
		if last[id] > ts {
			t.Errorf("%s: an event at %s after its cancellation at %s", id, last[id], ts)
		}
	}
}

// TestRunRawDeterministic checks that a seed gives the same raw tables,
// byte for byte, and another seed others.
func TestRunRawDeterministic(t *testing.T) {
	raw := func(seed int64) [4]string {
		var b [4]bytes.Buffer
		cfg := simulate.Config{Accounts: 12, Weeks: 10, Seed: seed}
		if err := simulate.RunRaw(context.Background(), cfg, simulate.RawTables{Events: &b[0], Tickets: &b[1], Invoices: &b[2], Accounts: &b[3]}, nil); err != nil {
			t.Fatal(err)
		}
		return [4]string{b[0].String(), b[1].String(), b[2].String(), b[3].String()}
	}
	one, again, other := raw(5), raw(5), raw(6)
	for i, name := range []string{simulate.RawEvents, simulate.RawTickets, simulate.RawInvoices, simulate.RawAccounts} {
		if one[i] != again[i] {
			t.Errorf("%s differs between two runs of one seed", name)
		}
		if strings.Count(one[i], "\n") < 2 {
			t.Errorf("%s has no rows:\n%s", name, one[i])
		}
		if one[i] == other[i] {
			t.Errorf("%s is the same for seeds 5 and 6", name)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestRunRawErrors checks that a table that cannot be written, or a
// cancelled context, stops RunRaw with an error saying so.
func TestRunRawErrors(t *testing.T) {
	cfg := simulate.Config{Accounts: 30, Weeks: 20}
	tables := simulate.RawTables{Events: failingWriter{}, Tickets: io.Discard, Invoices: io.Discard, Accounts: io.Discard}
	if err := simulate.RunRaw(context.Background(), cfg, tables, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("RunRaw to a full disk: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tables.Events = io.Discard
	if err := simulate.RunRaw(ctx, cfg, tables, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("RunRaw cancelled: %v", err)
	}
}
