package main

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// readRankingParquet reads a ranking written by churn score --format
// parquet as text cells, doubles to the bit (shortest round-trip form),
// nulls as "null", with the header first.
func readRankingParquet(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var header []string
	for _, c := range pf.Schema().Fields() {
		header = append(header, c.Name())
	}
	out := [][]string{header}
	for _, rg := range pf.RowGroups() {
		rr := rg.Rows()
		buf := make([]parquet.Row, 64)
		for {
			n, err := rr.ReadRows(buf)
			for _, r := range buf[:n] {
				var cells []string
				for _, v := range r {
					switch {
					case v.IsNull():
						cells = append(cells, "null")
					case v.Kind() == parquet.Double:
						cells = append(cells, strconv.FormatFloat(v.Double(), 'g', -1, 64))
					default:
						cells = append(cells, v.String())
					}
				}
				out = append(out, cells)
			}
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		rr.Close()
	}
	return out
}

// TestScorePartition checks that the parts of churn score --partition i/N
// hold every account of the whole ranking once, each with the whole
// run's row to the bit (score, log-odds, base, contributions, health,
// change, drivers), for Parquet and CSV alike, and that sorting the
// concatenated parts as the ranking is sorted gives the whole ranking.
func TestScorePartition(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "60", "--seed", "11", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--model", "gbm", "--out", model, "--no-plots")

	whole := filepath.Join(dir, "whole.parquet")
	mustChurn(t, "score", "--snapshots", snap, "--model", model, "--out", whole)
	wantPQ := readRankingParquet(t, whole)
	wantCSV := readCSV(t, mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "csv"))
	if len(wantPQ) < 100 || len(wantPQ) != len(wantCSV) {
		t.Fatalf("whole ranking: %d Parquet rows, %d CSV rows", len(wantPQ), len(wantCSV))
	}
	if i := slices.Index(wantPQ[0], "contribution_"+"logins_4w_mean"); i < 0 {
		t.Fatalf("Parquet columns %v: no contribution column", wantPQ[0])
	}
	for _, n := range []int{1, 3, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			gotPQ, gotCSV := [][]string{wantPQ[0]}, [][]string{wantCSV[0]}
			owner := map[string]int{}
			for i := 1; i <= n; i++ {
				part := fmt.Sprintf("%d/%d", i, n)
				path := filepath.Join(dir, fmt.Sprintf("part-%d-of-%d.parquet", i, n))
				mustChurn(t, "score", "--snapshots", snap, "--model", model, "--partition", part, "--out", path)
				rows := readRankingParquet(t, path)
				if !slices.Equal(rows[0], wantPQ[0]) {
					t.Fatalf("part %s columns %v, want %v", part, rows[0], wantPQ[0])
				}
				for _, r := range rows[1:] {
					if j, ok := owner[r[0]]; ok {
						t.Fatalf("account %s in parts %d/%d and %s", r[0], j, n, part)
					}
					owner[r[0]] = i
				}
				gotPQ = append(gotPQ, rows[1:]...)
				c := readCSV(t, mustChurn(t, "score", "--snapshots", snap, "--model", model, "--partition", part, "--format", "csv"))
				gotCSV = append(gotCSV, c[1:]...)
			}
			used := map[int]bool{}
			for _, i := range owner {
				used[i] = true
			}
			if len(used) != n {
				t.Errorf("%d parts, of which %d hold accounts", n, len(used))
			}
			for _, tc := range []struct {
				format    string
				got, want [][]string
			}{{"parquet", gotPQ, wantPQ}, {"csv", gotCSV, wantCSV}} {
				sortRanking(t, tc.got)
				if tc.format == "csv" {
					// The CSV rounds probabilities to six places, so ties
					// are ranked by the exact value: compare as sorted
					// here; the Parquet rows check the order.
					tc.want = slices.Clone(tc.want)
					sortRanking(t, tc.want)
				}
				if len(tc.got) != len(tc.want) {
					t.Fatalf("%s: %d parts hold %d rows, the whole ranking %d", tc.format, n, len(tc.got)-1, len(tc.want)-1)
				}
				for k := range tc.want {
					if !slices.Equal(tc.got[k], tc.want[k]) {
						t.Fatalf("%s row %d:\n got %v\nwant %v", tc.format, k, tc.got[k], tc.want[k])
					}
				}
			}
		})
	}
}

// sortRanking sorts a ranking's rows (after the header) as churn score
// ranks: churn_probability descending, then account_id.
func sortRanking(t *testing.T, rows [][]string) {
	t.Helper()
	slices.SortStableFunc(rows[1:], func(a, b []string) int {
		pa, err1 := strconv.ParseFloat(a[1], 64)
		pb, err2 := strconv.ParseFloat(b[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("churn_probability %q, %q", a[1], b[1])
		}
		return cmp.Or(cmp.Compare(pb, pa), strings.Compare(a[0], b[0]))
	})
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestScorePartitionErrors checks that a malformed --partition, or one
// that does not combine with the other flags, is a usage error (exit 2)
// that names the flag, before any file is read.
func TestScorePartitionErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--partition", "0/3"}, "parts are numbered 1 to 3, not 0"},
		{[]string{"--partition", "4/3"}, "parts are numbered 1 to 3, not 4"},
		{[]string{"--partition", "a/b"}, `part "a" is not a whole number`},
		{[]string{"--partition", "1/0"}, "want at least 1 part"},
		{[]string{"--partition", "2"}, "want i/N"},
		{[]string{"--partition", "1/2", "--record"}, "--record replaces the scores of the week whole"},
		{[]string{"--format", "parquet"}, "--format parquet writes a file: give --out FILE"},
		{[]string{"--out", "ranking.txt"}, `the extension ".txt" names none`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"score", "--snapshots", "missing.parquet", "--model", "missing"}, tc.args...)
			code, _, stderr := churn(t, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, tc.want)
			}
		})
	}
}
