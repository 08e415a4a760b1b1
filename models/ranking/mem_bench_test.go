package ranking

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

// BenchmarkBookBytes reports what a loaded book costs per account, the
// figure that decides whether churn serve fits a million accounts in its
// memory budget (issue 15: 4 GB, so about 3.5 KB an account all in):
// live-B/account is the heap the book holds once the table is dropped,
// after a collection, as a server holds it while it serves;
// peak-live-B/account is the most heap live while the features and the
// book are built (a collection every 10 ms, then the heap allocated),
// which times the collector's headroom (GOGC) is peak RSS. Both are per
// active account of a generated book of 2,000 accounts x 104 weeks,
// built as churn serve builds it, and neither depends on the collector's
// pace: the heap in use at its peak would, much.
// Run with
//
//	go test -run '^$' -bench BookBytes -benchtime 3x ./models/ranking/
func BenchmarkBookBytes(b *testing.B) {
	ms := trainedModels(b)
	rows, err := simulate.Snapshots(context.Background(), simulate.Config{Accounts: 2000, Weeks: 104, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	src := features.MemorySource("sim", simulate.Schema(), rows)
	for _, kind := range []string{"logistic", "gbm"} {
		b.Run("model="+kind, func(b *testing.B) {
			a := ms[kind]
			ctx := context.Background()
			var live, peak float64
			for range b.N {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				top := sampleLive()
				tab, err := features.Build(ctx, src, features.BuildOptions{Spec: &a.Spec, KeepWeeks: HistoryWeeks})
				if err != nil {
					b.Fatal(err)
				}
				book, err := Build(ctx, a, tab)
				if err != nil {
					b.Fatal(err)
				}
				tab = nil
				most := top()
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				n := float64(len(book.Accounts))
				live = max(live, float64(after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc))/n)
				peak = max(peak, float64(most-min(most, before.HeapAlloc))/n)
				runtime.KeepAlive(book)
			}
			b.ReportMetric(live, "live-B/account")
			b.ReportMetric(peak, "peak-live-B/account")
		})
	}
}

// sampleLive collects garbage every 10 ms until the function it returns
// is called, which returns the most heap it found live.
func sampleLive() func() uint64 {
	return sampleMem(10*time.Millisecond, true, func(m *runtime.MemStats) uint64 { return m.HeapAlloc })
}
