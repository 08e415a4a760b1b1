package features_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/simulate"
)

var benchFile = flag.String("bench-file", "", "snapshot CSV for BenchmarkBuildFile (default: simulate 10k accounts x 104 weeks)")

func simulated(b *testing.B, accounts int) []features.Snapshot {
	b.Helper()
	rows, err := simulate.Snapshots(context.Background(), simulate.Config{Accounts: accounts, Weeks: 104})
	if err != nil {
		b.Fatal(err)
	}
	return rows
}

// BenchmarkBuild measures feature building alone on 10k accounts x 104
// weeks held in memory, in the simulator's week-major row order.
func BenchmarkBuild(b *testing.B) {
	rows := simulated(b, 10000)
	src := features.MemorySource("mem", simulate.Schema(), rows)
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
	src := csvfile.Source(path)
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
