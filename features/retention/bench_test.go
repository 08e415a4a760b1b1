package retention

import (
	"context"
	"sync"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

// benchRows is a simulated history of 3,000 accounts over two years, about
// 190,000 snapshot rows: the sample data's default size.
var benchRows = sync.OnceValues(func() ([]features.Snapshot, error) {
	return simulate.Snapshots(context.Background(), simulate.Config{Accounts: 3000, Seed: 1})
})

func benchBook(b *testing.B) (*History, []features.Snapshot) {
	b.Helper()
	rows, err := benchRows()
	if err != nil {
		b.Fatal(err)
	}
	return readRows(b, simulate.Schema(), rows), rows
}

func BenchmarkRead(b *testing.B) {
	_, rows := benchBook(b)
	src := features.MemorySource("bench", simulate.Schema(), rows)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(context.Background(), src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkChurn(b *testing.B) {
	hist, _ := benchBook(b)
	for b.Loop() {
		if _, err := hist.Churn(context.Background(), Monthly); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindIndicators(b *testing.B) {
	hist, _ := benchBook(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hist.FindIndicators(context.Background(), IndicatorOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
