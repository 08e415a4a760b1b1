package gbm

import (
	"testing"

	"github.com/churnlabs/churn/features/csvfile"
)

func TestZZGroups(t *testing.T) {
	ds, err := csvfile.ReadDatasetFile("/work/main/out/bench/features/train.csv")
	if err != nil {
		t.Fatal(err)
	}
	b := binFeatures(ds.X, ds.Len(), len(ds.Features), 255, 2)
	for _, g := range b.groups {
		t.Logf("group first %d width %d entries %d", g.first, g.width, len(g.entries))
	}
}
