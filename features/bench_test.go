package features_test

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/simulate"
)

var benchFile = flag.String("bench-file", "", "snapshot CSV for BenchmarkBuildFile (default: simulate 10k accounts x 104 weeks)")

// collector keeps simulated snapshots in memory.
type collector struct{ rows []features.Snapshot }

func (c *collector) Write(s *features.Snapshot) error {
	r := *s
	r.Extra = slices.Clone(s.Extra)
	c.rows = append(c.rows, r)
	return nil
}

// memReader replays snapshots from memory.
type memReader struct {
	rows []features.Snapshot
	i    int
}

func (r *memReader) Schema() features.Schema { return simulate.Schema() }

func (r *memReader) Next(s *features.Snapshot) error {
	if r.i == len(r.rows) {
		return io.EOF
	}
	*s = r.rows[r.i]
	r.i++
	return nil
}

func simulated(b *testing.B, accounts int) []features.Snapshot {
	b.Helper()
	var c collector
	if err := simulate.Run(context.Background(), simulate.Config{Accounts: accounts, Weeks: 104}, &c, nil); err != nil {
		b.Fatal(err)
	}
	return c.rows
}

// BenchmarkBuild measures feature building alone on 10k accounts x 104
// weeks held in memory, in the simulator's week-major row order.
func BenchmarkBuild(b *testing.B) {
	rows := simulated(b, 10000)
	src := features.Source{Name: "mem", Open: func() (features.SnapshotReader, error) { return &memReader{rows: rows}, nil }}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := features.Build(context.Background(), src, features.BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkBuildFile measures reading a snapshot CSV and building its
// features: the work pandas_bench.py does with read_csv and rolling.
func BenchmarkBuildFile(b *testing.B) {
	path := *benchFile
	if path == "" {
		path = filepath.Join(b.TempDir(), "snapshots.csv")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w, err := csvfile.NewWriter(f, simulate.Schema())
		if err != nil {
			b.Fatal(err)
		}
		if err := simulate.Run(context.Background(), simulate.Config{Accounts: 10000, Weeks: 104}, w, nil); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	src := features.Source{Name: path, Open: func() (features.SnapshotReader, error) { return csvfile.Open(path) }}
	b.ResetTimer()
	var tab *features.Table
	for range b.N {
		var err error
		if tab, err = features.Build(context.Background(), src, features.BuildOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(tab.Len())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	// Live heap per row with the table still held: the output and the
	// per-account state, not the input.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/float64(tab.Len()), "heap-B/row")
	runtime.KeepAlive(tab)
}
