package ranking

import (
	"context"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

// TestBookSlicesCapped checks that the accounts' slices, which Build
// carves out of shared backing arrays, each end at their own length: an
// append to one account's history or drivers must copy, not write over
// the next account's.
func TestBookSlicesCapped(t *testing.T) {
	a := logisticModel(t)
	rows, err := simulate.Snapshots(context.Background(), simulate.Config{Accounts: 200, Weeks: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := features.Build(context.Background(), features.MemorySource("sim", simulate.Schema(), rows),
		features.BuildOptions{Spec: &a.Spec, KeepWeeks: HistoryWeeks})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(context.Background(), a, tab)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Accounts) < 2 {
		t.Fatalf("%d accounts: want several", len(b.Accounts))
	}
	for _, acc := range b.Accounts {
		for _, tc := range []struct {
			name     string
			len, cap int
		}{
			{"features", len(acc.Features), cap(acc.Features)},
			{"contributions", len(acc.Score.Contributions), cap(acc.Score.Contributions)},
			{"history", len(acc.History), cap(acc.History)},
			{"drivers", len(acc.Drivers), cap(acc.Drivers)},
			{"groups", len(acc.Groups), cap(acc.Groups)},
		} {
			if tc.len != tc.cap {
				t.Fatalf("account %s: %s of length %d has capacity %d", acc.AccountID, tc.name, tc.len, tc.cap)
			}
		}
		if len(acc.Drivers) != topDrivers || len(acc.Groups) != len(features.SignalGroups) || len(acc.Features) != len(a.Features) {
			t.Fatalf("account %s: %d drivers, %d groups, %d features", acc.AccountID, len(acc.Drivers), len(acc.Groups), len(acc.Features))
		}
	}
}
