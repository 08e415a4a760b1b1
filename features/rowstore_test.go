package features_test

import (
	"context"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

// spillRows is enough simulated snapshots for several chunks of the row
// store (8192 rows each), so that a spilled table reads most rows back
// from its file, and the last chunk from memory.
func spillRows(t *testing.T) features.Source {
	t.Helper()
	rows, err := simulate.Snapshots(context.Background(), simulate.Config{Accounts: 600, Weeks: 80, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3*8192 {
		t.Fatalf("%d rows: want several chunks", len(rows))
	}
	return features.MemorySource("sim", simulate.Schema(), rows)
}

// sameDataset compares two datasets value for value, NaNs by their bits.
func sameDataset(t *testing.T, name string, got, want *features.Dataset) {
	t.Helper()
	if !reflect.DeepEqual(got.Features, want.Features) || !reflect.DeepEqual(got.AccountID, want.AccountID) ||
		!reflect.DeepEqual(got.Week, want.Week) || !reflect.DeepEqual(got.Label, want.Label) {
		t.Fatalf("%s: ids, weeks, labels or columns differ", name)
	}
	if len(got.X) != len(want.X) {
		t.Fatalf("%s: %d values, want %d", name, len(got.X), len(want.X))
	}
	for i := range got.X {
		if math.Float64bits(got.X[i]) != math.Float64bits(want.X[i]) {
			t.Fatalf("%s: value %d (row %d) is %v, want %v", name, i, i/len(got.Features), got.X[i], want.X[i])
		}
	}
}

// TestSpilledTableSplitsAsInMemory builds the same snapshots in memory
// and spilled to a file, and checks that every split, in one piece or
// in batches, has the same rows bit for bit, and that the file is gone
// from its folder.
func TestSpilledTableSplitsAsInMemory(t *testing.T) {
	ctx := context.Background()
	src := spillRows(t)
	mem, err := features.Build(ctx, src, features.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	spilled, err := features.Build(ctx, src, features.BuildOptions{Spill: true, SpillDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("spill folder holds %d files while the table is open, want its file unlinked", len(left))
	}
	for _, opt := range []features.SplitOptions{
		{Horizon: 8, ValidWeeks: 6},
		{Horizon: 4, ValidWeeks: 3, ValidEnd: mem.Last - 7*30},
	} {
		want, err := mem.SplitContext(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := spilled.SplitContext(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		sameDataset(t, "train", got.Train, want.Train)
		sameDataset(t, "valid", got.Valid, want.Valid)
		if got.TrainStats != want.TrainStats || got.ValidStats != want.ValidStats || got.Censored != want.Censored {
			t.Fatalf("stats %+v %+v %d, want %+v %+v %d", got.TrainStats, got.ValidStats, got.Censored,
				want.TrainStats, want.ValidStats, want.Censored)
		}
		for _, tab := range []*features.Table{mem, spilled} {
			plan, err := tab.PlanSplit(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Split.Train != nil || plan.Split.Valid != nil {
				t.Fatal("a plan holds datasets")
			}
			for _, part := range []struct {
				part features.Part
				want *features.Dataset
			}{{features.TrainPart, want.Train}, {features.ValidPart, want.Valid}} {
				all := &features.Dataset{Features: part.want.Features, Label: []float64{}}
				batches := 0
				err := plan.Batches(ctx, part.part, 1000, func(ds *features.Dataset) error {
					if ds.Len() > 1000 {
						t.Fatalf("batch of %d rows, want at most 1000", ds.Len())
					}
					batches++
					for i := range ds.Len() {
						all.Append(ds.AccountID[i], ds.Week[i], ds.Row(i))
					}
					all.Label = append(all.Label, ds.Label...)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if want := (part.want.Len() + 999) / 1000; batches != want {
					t.Errorf("%d batches of %d rows, want %d", batches, part.want.Len(), want)
				}
				sameDataset(t, "batches", all, part.want)
			}
		}
	}
	// Rows read on their own, out of order, come back too.
	sameDataset(t, "latest", spilled.Latest(), mem.Latest())
	rows := []int{spilled.Len() - 1, 0, 9000, 8191, 8192, 17}
	sameDataset(t, "rows", spilled.Dataset(rows), mem.Dataset(rows))
	if err := spilled.Close(); err != nil {
		t.Fatal(err)
	}
	if err := mem.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSpillFolderMissing checks that a spill folder that cannot hold the
// file is an error before any row is read.
func TestSpillFolderMissing(t *testing.T) {
	_, err := features.Build(context.Background(), spillRows(t),
		features.BuildOptions{Spill: true, SpillDir: t.TempDir() + "/missing"})
	if err == nil {
		t.Fatal("Build spilled into a missing folder without error")
	}
}

// TestBatchesStopOnError checks that Batches hands on fn's error and
// stops.
func TestBatchesStopOnError(t *testing.T) {
	ctx := context.Background()
	tab, err := features.Build(ctx, spillRows(t), features.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := tab.PlanSplit(ctx, features.SplitOptions{Horizon: 8, ValidWeeks: 6})
	if err != nil {
		t.Fatal(err)
	}
	stop := os.ErrClosed
	calls := 0
	err = plan.Batches(ctx, features.TrainPart, 100, func(*features.Dataset) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("Batches = %v after %d calls, want fn's error after 1", err, calls)
	}
	if err := plan.Batches(ctx, features.TrainPart, 0, func(*features.Dataset) error { return nil }); err == nil {
		t.Fatal("Batches of 0 rows: no error")
	}
}
