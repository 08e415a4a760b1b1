package logistic

import (
	"context"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

// churnTrain builds the training side of the out-of-time split of a
// simulated book: the real feature set, with its correlated windows (a
// 4-week sum and mean, a 12-week sum), which is what makes the problem
// ill-conditioned, unlike synthetic().
func churnTrain(tb testing.TB, accounts int) *features.Dataset {
	tb.Helper()
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: accounts, Weeks: 104, Seed: 7})
	if err != nil {
		tb.Fatal(err)
	}
	tab, err := features.Build(ctx, features.MemorySource("sim", simulate.Schema(), rows), features.BuildOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	sp, err := tab.Split(features.SplitOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return sp.Train
}

// BenchmarkFitChurn fits the default model on the training rows of 10k
// simulated accounts (about 358k rows x 27 features), the scale issue's
// yardstick.
func BenchmarkFitChurn(b *testing.B) {
	ds := churnTrain(b, 10000)
	b.ReportMetric(float64(ds.Len()), "rows")
	for b.Loop() {
		if _, err := Fit(context.Background(), ds, Params{}); err != nil {
			b.Fatal(err)
		}
	}
}
