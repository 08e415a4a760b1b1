package features_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

// simulatedSource is a small simulated book, in the simulator's week-major
// order or shuffled (which makes Build sort it on a second read).
func simulatedSource(t testing.TB, shuffled bool) features.Source {
	t.Helper()
	rows, err := simulate.Snapshots(context.Background(), simulate.Config{Accounts: 150, Weeks: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if shuffled {
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	}
	return features.MemorySource("sim.csv", simulate.Schema(), rows)
}

func mustBuild(t testing.TB, src features.Source, opt features.BuildOptions) *features.Table {
	t.Helper()
	tab, err := features.Build(context.Background(), src, opt)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// accountRows returns, by account id, the dataset of each account's
// latest n rows of tab, in week order.
func accountRows(tab *features.Table, n int) map[string]*features.Dataset {
	out := make(map[string]*features.Dataset, len(tab.Accounts))
	for i, rows := range tab.RecentRows(n) {
		out[tab.Accounts[i].ID] = tab.Dataset(rows)
	}
	return out
}

// sameRows reports how two datasets differ, bit for bit ("" when they
// do not): NaN is a value here, unknown, and must match.
func sameRows(a, b *features.Dataset) string {
	switch {
	case !slices.Equal(a.Features, b.Features):
		return fmt.Sprintf("features %v and %v", a.Features, b.Features)
	case !slices.Equal(a.Week, b.Week) || !slices.Equal(a.AccountID, b.AccountID):
		return fmt.Sprintf("weeks %v and %v", a.Week, b.Week)
	}
	for j := range a.X {
		if math.Float64bits(a.X[j]) != math.Float64bits(b.X[j]) {
			return fmt.Sprintf("value %d: %v and %v", j, a.X[j], b.X[j])
		}
	}
	return ""
}

// sameAccount compares what a Table knows of an account but its row
// number, which depends on the rows kept.
func sameAccount(a, b features.Account) bool {
	a.LastRow, b.LastRow = 0, 0
	return a.ID == b.ID && a.First == b.First && a.Last == b.Last && a.ChurnWeek == b.ChurnWeek &&
		math.Float64bits(a.ARR) == math.Float64bits(b.ARR) && a.Segment == b.Segment &&
		a.RenewalDate == b.RenewalDate && slices.Equal(a.Recent, b.Recent)
}

// TestKeepWeeks checks that a table keeping each account's latest k
// weeks holds exactly the whole table's latest k rows of every account,
// to the bit, and the same accounts: scoring from it is scoring from the
// whole table.
func TestKeepWeeks(t *testing.T) {
	for _, shuffled := range []bool{false, true} {
		src := simulatedSource(t, shuffled)
		whole := mustBuild(t, src, features.BuildOptions{})
		for _, k := range []int{1, 3, 12, 1000} {
			t.Run(fmt.Sprintf("shuffled=%v/k=%d", shuffled, k), func(t *testing.T) {
				kept := mustBuild(t, src, features.BuildOptions{KeepWeeks: k})
				if kept.First != whole.First || kept.Last != whole.Last || len(kept.Accounts) != len(whole.Accounts) {
					t.Fatalf("kept table spans %s..%s with %d accounts, whole %s..%s with %d",
						kept.First, kept.Last, len(kept.Accounts), whole.First, whole.Last, len(whole.Accounts))
				}
				want, got := accountRows(whole, k), accountRows(kept, k)
				rows := 0
				for i, a := range whole.Accounts {
					if !sameAccount(a, kept.Accounts[i]) {
						t.Fatalf("account %d: kept %+v, whole %+v", i, kept.Accounts[i], a)
					}
					if d := sameRows(want[a.ID], got[a.ID]); d != "" {
						t.Fatalf("account %s: %s", a.ID, d)
					}
					if w := kept.Week(kept.Accounts[i].LastRow); w != a.Last {
						t.Errorf("account %s: last row's week %s, want %s", a.ID, w, a.Last)
					}
					rows += want[a.ID].Len()
				}
				if kept.Len() != rows {
					t.Errorf("kept %d rows, want %d (the latest %d of each account)", kept.Len(), rows, k)
				}
				if d := sameRows(whole.Latest(), kept.Latest()); d != "" {
					t.Errorf("latest rows: %s", d)
				}
				if _, err := kept.Split(features.SplitOptions{Horizon: 4, ValidWeeks: 4}); err == nil ||
					!strings.Contains(err.Error(), "KeepWeeks") {
					t.Errorf("split of a table that keeps %d weeks: %v, want an error", k, err)
				}
			})
		}
	}
}

// TestPartitionBuild checks that the parts of a partitioned build hold
// every account once, each with the rows of the whole build, as of the
// whole file's weeks.
func TestPartitionBuild(t *testing.T) {
	src := simulatedSource(t, false)
	whole := mustBuild(t, src, features.BuildOptions{})
	want := accountRows(whole, 1000)
	for _, n := range []int{1, 3, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			seen := map[string]int{}
			for i := 1; i <= n; i++ {
				p := features.Partition{Index: i, Count: n}
				part := mustBuild(t, src, features.BuildOptions{Partition: p, KeepWeeks: 1000})
				if part.First != whole.First || part.Last != whole.Last {
					t.Errorf("part %s spans %s..%s, want the whole file's %s..%s", p, part.First, part.Last, whole.First, whole.Last)
				}
				for id, ds := range accountRows(part, 1000) {
					if prev, ok := seen[id]; ok {
						t.Fatalf("account %s in parts %d and %d", id, prev, i)
					}
					seen[id] = i
					if !p.Keeps(id) {
						t.Errorf("account %s built by part %s, which does not keep it", id, p)
					}
					if d := sameRows(want[id], ds); d != "" {
						t.Errorf("account %s: %s", id, d)
					}
				}
			}
			if len(seen) != len(whole.Accounts) {
				t.Errorf("%d parts hold %d accounts, the whole file %d", n, len(seen), len(whole.Accounts))
			}
		})
	}
}

// TestParsePartition checks the i/N syntax and its errors.
func TestParsePartition(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want features.Partition
		err  string
	}{
		{"1/1", features.Partition{Index: 1, Count: 1}, ""},
		{"2/3", features.Partition{Index: 2, Count: 3}, ""},
		{"3/3", features.Partition{Index: 3, Count: 3}, ""},
		{"0/3", features.Partition{}, "numbered 1 to 3, not 0"},
		{"4/3", features.Partition{}, "numbered 1 to 3, not 4"},
		{"-1/3", features.Partition{}, "numbered 1 to 3, not -1"},
		{"1/0", features.Partition{}, "at least 1 part"},
		{"1/-2", features.Partition{}, "at least 1 part"},
		{"a/b", features.Partition{}, `part "a" is not a whole number`},
		{"1/b", features.Partition{}, `count "b" is not a whole number`},
		{"3", features.Partition{}, "want i/N"},
		{"", features.Partition{}, "want i/N"},
		{"1/2/3", features.Partition{}, `count "2/3" is not a whole number`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := features.ParsePartition(tc.in)
			if tc.err == "" {
				if err != nil || p != tc.want {
					t.Errorf("got %+v, %v; want %+v", p, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got %+v, %v; want an error with %q", p, err, tc.err)
			}
		})
	}
}

// TestPartitionHash pins the documented hash: 64-bit FNV-1a of the id's
// bytes, modulo the count, so other tools can compute the parts.
func TestPartitionHash(t *testing.T) {
	for _, id := range []string{"", "a", "acct-000017", "ünïcode", strings.Repeat("x", 100)} {
		h := fnv.New64a()
		h.Write([]byte(id))
		for _, n := range []int{2, 3, 7, 1000} {
			want := int(h.Sum64()%uint64(n)) + 1
			for i := 1; i <= n; i++ {
				if got := (features.Partition{Index: i, Count: n}).Keeps(id); got != (i == want) {
					t.Errorf("part %d/%d keeps %q: %v, want part %d", i, n, id, got, want)
				}
			}
		}
	}
	// A value computed once, outside Go: FNV-1a-64("acct-1") % 10 is 6,
	// so part 7 of 10.
	if !(features.Partition{Index: 7, Count: 10}).Keeps("acct-1") {
		t.Error(`"acct-1" is not in part 7/10`)
	}
}

// TestDatasetInto checks that reusing a dataset's slices gives, call
// after call, the dataset Dataset gives, longer or shorter than the last.
func TestDatasetInto(t *testing.T) {
	tab := mustBuild(t, simulatedSource(t, false), features.BuildOptions{})
	var ds *features.Dataset
	for i, rows := range tab.RecentRows(5)[:40] {
		if i%3 == 1 {
			rows = rows[:len(rows)/2]
		}
		ds = tab.DatasetInto(ds, rows)
		if d := sameRows(tab.Dataset(rows), ds); d != "" {
			t.Fatalf("account %d: %s", i, d)
		}
	}
}

// TestRecent checks the rows handed to BuildOptions.Recent against the
// whole table's rows of the last weeks, bit for bit and in week order per
// account: as they are built when the reader tells the last week first,
// at the end otherwise, and afresh on the second pass over a file out of
// order.
func TestRecent(t *testing.T) {
	const weeks = 5
	for _, shuffled := range []bool{false, true} {
		src := simulatedSource(t, shuffled)
		whole := mustBuild(t, src, features.BuildOptions{})
		spec := whole.Spec
		from := whole.Last - 7*(weeks-1)
		want := map[string][]string{}
		ds := whole.Dataset(nil)
		for i := range ds.Len() {
			if ds.Week[i] >= from {
				want[ds.AccountID[i]] = append(want[ds.AccountID[i]], fmt.Sprint(ds.Week[i], bitsOf(ds.Row(i))))
			}
		}
		for _, told := range []bool{false, true} {
			name := fmt.Sprintf("shuffled %v, last week told %v", shuffled, told)
			s := src
			if told {
				s = lastWeekSource(src, whole.Last)
			}
			var got map[int][]string
			tab := mustBuild(t, s, features.BuildOptions{Spec: &spec, KeepWeeks: 1, RecentWeeks: weeks,
				Recent: func() func(int, features.Date, []float64) {
					got = map[int][]string{}
					return func(a int, w features.Date, row []float64) {
						got[a] = append(got[a], fmt.Sprint(w, bitsOf(row)))
					}
				}})
			if len(got) != len(want) {
				t.Errorf("%s: rows of %d accounts, want %d", name, len(got), len(want))
			}
			for a, rows := range got {
				if id := tab.Accounts[a].ID; !slices.Equal(rows, want[id]) {
					t.Errorf("%s: account %s: %d rows handed over, want %d, or they differ", name, id, len(rows), len(want[id]))
				}
			}
			if told && tab.Len() != len(tab.Accounts) {
				t.Errorf("%s: %d rows kept for %d accounts, want one each", name, tab.Len(), len(tab.Accounts))
			}
		}
		// A reader that names too early a last week is caught.
		_, err := features.Build(context.Background(), lastWeekSource(src, whole.Last-7),
			features.BuildOptions{Spec: &spec, KeepWeeks: 1, RecentWeeks: weeks, Recent: func() func(int, features.Date, []float64) {
				return func(int, features.Date, []float64) {}
			}})
		if err == nil || !strings.Contains(err.Error(), "did the file change") {
			t.Errorf("shuffled %v, last week told wrong: err %v", shuffled, err)
		}
	}
	_, err := features.Build(context.Background(), simulatedSource(t, false), features.BuildOptions{RecentWeeks: weeks,
		Recent: func() func(int, features.Date, []float64) { return nil }})
	if err == nil || !strings.Contains(err.Error(), "the spec given") {
		t.Errorf("Recent without a spec: err %v", err)
	}
}

func bitsOf(x []float64) []uint64 {
	u := make([]uint64, len(x))
	for i, v := range x {
		u[i] = math.Float64bits(v)
	}
	return u
}

// lastWeekSource is src with a reader that tells the file's last week
// before its rows, as a Parquet file's does.
func lastWeekSource(src features.Source, last features.Date) features.Source {
	open := src.Open
	src.Open = func() (features.SnapshotReader, error) {
		r, err := open()
		return lastWeekReader{r, last}, err
	}
	return src
}

type lastWeekReader struct {
	features.SnapshotReader
	last features.Date
}

func (r lastWeekReader) LastWeek() (features.Date, error) { return r.last, nil }
