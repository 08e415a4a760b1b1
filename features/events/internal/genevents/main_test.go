package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGenerate checks that a file holds exactly the events asked for, in
// time order, with the columns the benchmark reads, and that the same
// flags give the same bytes while another seed does not.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	gen := func(name string, args ...string) []byte {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := run(append([]string{"-out", p}, args...), io.Discard); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct{ events, accounts string }{{"5000", "100"}, {"300", "1000"}, {"0", "10"}} {
		a := gen("a.csv", "-events", tc.events, "-accounts", tc.accounts, "-days", "120")
		b := gen("b.csv", "-events", tc.events, "-accounts", tc.accounts, "-days", "120")
		if !bytes.Equal(a, b) {
			t.Errorf("-events %s: two runs differ", tc.events)
		}
		lines := strings.Split(strings.TrimSuffix(string(a), "\n"), "\n")
		if lines[0] != "ts,account_id,user_id,event_type,amount" {
			t.Fatalf("header %q", lines[0])
		}
		if got := strconv.Itoa(len(lines) - 1); got != tc.events {
			t.Errorf("%s rows, want %s", got, tc.events)
		}
		var times []string
		for _, l := range lines[1:] {
			f := strings.Split(l, ",")
			if len(f) != 5 {
				t.Fatalf("row %q: %d fields", l, len(f))
			}
			if _, err := time.Parse(time.RFC3339, f[0]); err != nil {
				t.Fatalf("row %q: %v", l, err)
			}
			if (f[3] == "purchase") != (f[4] != "") {
				t.Errorf("row %q: an amount goes with a purchase, and only there", l)
			}
			times = append(times, f[0])
		}
		if !slices.IsSorted(times) {
			t.Errorf("-events %s: rows not in time order", tc.events)
		}
	}
	if a, c := gen("a.csv", "-events", "500", "-accounts", "50"), gen("c.csv", "-events", "500", "-accounts", "50", "-seed", "2"); bytes.Equal(a, c) {
		t.Error("seeds 1 and 2 give the same file")
	}
}
