package ranking

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
)

var (
	benchModelsOnce sync.Once
	benchModels     map[string]*models.Artifact
	benchModelsErr  error
)

// trainedModels trains a logistic and a GBM model on a small simulated
// book once per test binary: the load path's cost depends on the model's
// kind, a GBM's trees costing more per row than a dot product.
func trainedModels(b *testing.B) map[string]*models.Artifact {
	b.Helper()
	benchModelsOnce.Do(func() {
		ctx := context.Background()
		rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 1000, Weeks: 104, Seed: 7})
		if benchModelsErr = err; err != nil {
			return
		}
		tab, err := features.Build(ctx, features.MemorySource("sim", simulate.Schema(), rows), features.BuildOptions{})
		if benchModelsErr = err; err != nil {
			return
		}
		sp, err := tab.Split(features.SplitOptions{})
		if benchModelsErr = err; err != nil {
			return
		}
		benchModels = map[string]*models.Artifact{}
		for _, kind := range []string{"logistic", "gbm"} {
			res, err := models.Train(ctx, sp, tab.Spec, models.TrainOptions{Kinds: []string{kind}})
			if benchModelsErr = err; err != nil {
				return
			}
			benchModels[kind] = res.Chosen
		}
	})
	if benchModelsErr != nil {
		b.Fatal(benchModelsErr)
	}
	return benchModels
}

// BenchmarkLoad measures what churn serve and churn score do before they
// answer: build the features of a book of accounts x 104 weeks and score
// every active account with its weekly history. "load-parquet" is Load
// from a Parquet file in memory, as they do from Parquet: one row kept per
// account, the history scored as the rows are built, the file's decoding
// included. "keep" builds from rows held in memory (no parsing) and keeps
// each account's latest HistoryWeeks rows, as they do from CSV; "all"
// keeps every row, as they once did. The
// live-MB metric is the heap in use once the book is built and the table
// dropped, after a collection: what a server holds while it serves;
// peak-heap-MB is the most heap in use seen while loading (sampled every
// 5 ms), which with the garbage collector's headroom drives peak RSS.
// Run with
//
//	go test -run '^$' -bench Load -benchtime 1x ./models/ranking/
//
// and compare accounts=2500, 5000, 10000 for linearity.
func BenchmarkLoad(b *testing.B) {
	ms := trainedModels(b)
	for _, accounts := range []int{2500, 5000, 10000} {
		rows, err := simulate.Snapshots(context.Background(), simulate.Config{Accounts: accounts, Weeks: 104, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		src := features.MemorySource("sim", simulate.Schema(), rows)
		pq := parquetSource(b, rows)
		for _, kind := range []string{"logistic", "gbm"} {
			for _, c := range []struct {
				name string
				src  features.Source
				keep int
			}{{"keep", src, HistoryWeeks}, {"all", src, 0}, {"load-parquet", pq, loadParquet}} {
				b.Run(fmt.Sprintf("accounts=%d/model=%s/rows=%s", accounts, kind, c.name), func(b *testing.B) {
					benchLoad(b, c.src, ms[kind], c.keep, len(rows))
				})
			}
		}
		rows = nil
	}
}

// loadParquet, as benchLoad's keep, loads the book with Load from a
// Parquet file in memory, as churn score and churn serve do: one row
// kept per account, the history scored as the rows are built.
const loadParquet = -1

func benchLoad(b *testing.B, src features.Source, a *models.Artifact, keep, rows int) {
	ctx := context.Background()
	var book *Book
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := sampleHeap()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		book = nil
		var err error
		if keep == loadParquet {
			if book, _, err = Load(ctx, a, src, features.BuildOptions{}); err != nil {
				b.Fatal(err)
			}
			continue
		}
		tab, err := features.Build(ctx, src, features.BuildOptions{Spec: &a.Spec, KeepWeeks: keep})
		if err != nil {
			b.Fatal(err)
		}
		if book, err = Build(ctx, a, tab); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	top := peak()
	// Twice: what a sync.Pool held (parquet-go's page buffers) survives
	// one collection in the pool's victim cache.
	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	mb := func(n uint64, base uint64) float64 { return float64(n-min(n, base)) / (1 << 20) }
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(mb(after.HeapAlloc, before.HeapAlloc), "live-MB")
	b.ReportMetric(mb(top, before.HeapInuse), "peak-heap-MB")
	runtime.KeepAlive(book)
}

// sampleHeap samples the heap in use every 5 ms until the function it
// returns is called, which returns the most it saw.
func sampleHeap() func() uint64 {
	return sampleMem(5*time.Millisecond, false, func(m *runtime.MemStats) uint64 { return m.HeapInuse })
}

// sampleMem reads the memory statistics every period, after collecting
// garbage when gc is set, until the function it returns is called, which
// returns the most of measure it saw.
func sampleMem(period time.Duration, gc bool, measure func(*runtime.MemStats) uint64) func() uint64 {
	done := make(chan struct{})
	top := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var most uint64
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			if gc {
				runtime.GC()
			}
			runtime.ReadMemStats(&m)
			most = max(most, measure(&m))
			select {
			case <-done:
				top <- most
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-top
	}
}
