package report

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/features/simulate"
)

// simulated is a simulated history of 600 accounts over two years with its
// out-of-time split, shared by the tests that need one.
var simulated = sync.OnceValues(func() (*simBook, error) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 600, Seed: 11})
	if err != nil {
		return nil, err
	}
	src := features.MemorySource("simulated", simulate.Schema(), rows)
	b, err := retention.Read(ctx, src)
	if err != nil {
		return nil, err
	}
	tab, err := features.Build(ctx, src, features.BuildOptions{})
	if err != nil {
		return nil, err
	}
	sp, err := tab.Split(features.SplitOptions{})
	if err != nil {
		return nil, err
	}
	return &simBook{b, sp}, nil
})

type simBook struct {
	hist  *retention.History
	split *features.Split
}

// topKeys returns the keys of a JSON object in order.
func topKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func BenchmarkCharts(b *testing.B) {
	s, err := simulated()
	if err != nil {
		b.Fatal(err)
	}
	stats, err := retention.Measure(context.Background(), s.hist, retention.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := New(stats)
	for b.Loop() {
		if _, err := r.Charts(); err != nil {
			b.Fatal(err)
		}
	}
}
