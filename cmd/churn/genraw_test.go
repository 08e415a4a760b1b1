package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// sortedLines returns a CSV file's header and its rows, sorted.
func sortedLines(t *testing.T, path string) (string, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	slices.Sort(lines[1:])
	return lines[0], lines[1:]
}

// TestGenRaw runs churn gen --raw and rolls its tables up with churn
// snapshots --map: the snapshots are those of churn gen --no-gaps with the
// same flags, row for row (gen writes week by week, the roll-up account
// by account), and churn gen's own are those less its gap weeks.
func TestGenRaw(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw")
	flags := []string{"--accounts", "25", "--weeks", "40", "--seed", "4"}
	out := mustChurn(t, append([]string{"gen", "--raw", raw}, flags...)...)
	if !strings.Contains(out, "churn snapshots --map "+filepath.Join(raw, "mapping.yaml")) {
		t.Errorf("gen --raw output %q does not say how to roll the tables up", out)
	}
	entries, err := os.ReadDir(raw)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"accounts.csv", "events.csv", "invoices.csv", "mapping.yaml", "tickets.csv"}; !slices.Equal(names, want) {
		t.Errorf("gen --raw wrote %v, want %v", names, want)
	}

	rolled := filepath.Join(dir, "rolled.csv")
	mustChurn(t, "snapshots", "--map", filepath.Join(raw, "mapping.yaml"), "--out", rolled)
	full := filepath.Join(dir, "full.csv")
	mustChurn(t, append([]string{"gen", "--no-gaps", "--out", full}, flags...)...)
	gotHead, got := sortedLines(t, rolled)
	wantHead, want := sortedLines(t, full)
	if gotHead != wantHead || !slices.Equal(got, want) {
		t.Errorf("churn snapshots of gen --raw differs from gen --no-gaps: %d rows and %d\n%s\n%s", len(got), len(want), gotHead, wantHead)
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("first difference:\n got %s\nwant %s", got[i], want[i])
			}
		}
	}
	gapped := filepath.Join(dir, "gapped.csv")
	mustChurn(t, append([]string{"gen", "--out", gapped}, flags...)...)
	_, rows := sortedLines(t, gapped)
	if len(rows) >= len(want) {
		t.Errorf("gen wrote %d rows, gen --no-gaps %d: want fewer with gaps", len(rows), len(want))
	}
	for _, r := range rows {
		if _, ok := slices.BinarySearch(want, r); !ok {
			t.Fatalf("gen's row %s is not gen --no-gaps's", r)
		}
	}

	// The folder is replaced whole by a second run, and kept as it was
	// by an interrupted one; another folder is refused.
	mustChurn(t, append([]string{"gen", "--raw", raw}, flags...)...)
	before, err := os.ReadFile(filepath.Join(raw, "events.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var sink strings.Builder
	if code := run(ctx, &env{stdout: &sink, stderr: &sink}, []string{"gen", "--raw", raw, "--seed", "9", "--accounts", "25", "--weeks", "40"}); code == 0 {
		t.Error("an interrupted gen --raw succeeded")
	}
	if after, err := os.ReadFile(filepath.Join(raw, "events.csv")); err != nil || string(after) != string(before) {
		t.Errorf("an interrupted gen --raw changed the previous folder (%v)", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".raw*")); len(left) > 0 {
		t.Errorf("an interrupted gen --raw left %v", left)
	}
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	if code, _, errs := churn(t, "gen", "--raw", other, "--accounts", "2", "--weeks", "2"); code != 1 || !strings.Contains(errs, "holds other files") {
		t.Errorf("gen --raw into a user's folder: exit %d, %q", code, errs)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"gen", "--raw", raw, "--out", full}, "one of them"},
		{[]string{"gen"}, "one of them"},
	}
	// This week has not ended (unless today is its Sunday): its raw rows
	// would be in the future, which a roll-up refuses.
	if now := time.Now().UTC(); now.Weekday() != time.Sunday {
		monday := now.AddDate(0, 0, -(int(now.Weekday())+6)%7).Format("2006-01-02")
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"gen", "--raw", raw, "--start", monday, "--weeks", "1"}, "after today"})
	}
	for _, c := range cases {
		if code, _, errs := churn(t, c.args...); code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}
