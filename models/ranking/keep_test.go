package ranking

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/parquetfile"
	"github.com/churnlabs/churn/features/simulate"
)

// bookBits is everything a book shows of its accounts, floats to the
// bit: the JSON document (probabilities, health, change, drivers,
// history) and, per account, the score's log-odds, base and
// contributions, the features and the recent raw weeks.
func bookBits(t *testing.T, b *Book) string {
	t.Helper()
	doc, err := json.Marshal(b.Document(b.Accounts))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.Write(doc)
	bits := func(xs []float64) []uint64 {
		u := make([]uint64, len(xs))
		for i, x := range xs {
			u[i] = math.Float64bits(x)
		}
		return u
	}
	for _, a := range b.Accounts {
		fmt.Fprintf(&out, "\n%s %x %x %x %x %v", a.AccountID, math.Float64bits(a.Score.LogOdds),
			math.Float64bits(a.Score.Base), bits(a.Score.Contributions), bits(a.Features), a.Recent)
	}
	return out.String()
}

// TestBuildFromLatestWeeks checks that a book built from a table that
// keeps each account's latest HistoryWeeks rows, as churn score and churn
// serve build it, is the book of the whole table to the bit, whatever
// the number of workers that score it.
func TestBuildFromLatestWeeks(t *testing.T) {
	a := logisticModel(t)
	rows, err := simulate.Snapshots(context.Background(), simulate.Config{Accounts: 1500, Weeks: 30, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	src := features.MemorySource("sim", simulate.Schema(), rows)
	book := func(keep, procs int) *Book {
		tab, err := features.Build(context.Background(), src, features.BuildOptions{Spec: &a.Spec, KeepWeeks: keep})
		if err != nil {
			t.Fatal(err)
		}
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		b, err := Build(context.Background(), a, tab)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := book(0, 1)
	if len(want.Accounts) <= 1024 {
		t.Fatalf("%d active accounts: want more than one block of workers' work", len(want.Accounts))
	}
	if n := slices.IndexFunc(want.Accounts, func(a *Account) bool { return len(a.History) == HistoryWeeks }); n < 0 {
		t.Fatal("no account has a full history: the test would not see rows dropped")
	}
	wantBits := bookBits(t, want)
	for _, tc := range []struct{ keep, procs int }{{HistoryWeeks, 1}, {HistoryWeeks, 3}, {0, 3}} {
		if got := bookBits(t, book(tc.keep, tc.procs)); got != wantBits {
			t.Errorf("keep %d weeks, %d workers: the book differs from the whole table's", tc.keep, tc.procs)
		}
	}
	// Load scores the history as the rows are built when the reader
	// tells the last week first, as a Parquet file's does, and from the
	// rows it kept otherwise.
	fromParquet := parquetSource(t, rows)
	for _, tc := range []struct {
		name string
		src  features.Source
	}{{"memory", src}, {"parquet", fromParquet}} {
		b, tab, err := Load(context.Background(), a, tc.src, features.BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := bookBits(t, b); got != wantBits {
			t.Errorf("Load from %s: the book differs from the whole table's", tc.name)
		}
		if tc.name == "parquet" && tab.Len() != len(tab.Accounts) {
			t.Errorf("Load from %s: the table keeps %d rows of %d accounts, want one each", tc.name, tab.Len(), len(tab.Accounts))
		}
	}
}

// parquetSource is rows written as a Parquet file in memory, read back by
// the Parquet reader, which tells the file's last week before its rows.
func parquetSource(t testing.TB, rows []features.Snapshot) features.Source {
	t.Helper()
	var pq bytes.Buffer
	w, err := parquetfile.NewWriter(&pq, simulate.Schema())
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return features.FileSource("sim.parquet", func(string) (*parquetfile.Reader, error) {
		return parquetfile.NewReader(bytes.NewReader(pq.Bytes()), int64(pq.Len()), "sim.parquet")
	})
}
