package golearn

import (
	"context"
	"fmt"
	"testing"

	"github.com/churnlabs/churn/models/tree"
)

// The fit benchmarks use 30 features, 26 of them continuous noise with
// almost every value distinct: the worst case for golearn's CART, which
// tries each distinct value as a threshold. Run them once each:
//
//	go test -run '^$' -bench 'Fit' -benchtime 1x ./models/golearn/
//
// sample=default fits golearn on the default MaxRows sample, as the
// product does; sample=all on every row, which shows how golearn itself
// scales. CART on all of 20,000 rows would take over ten minutes, so it
// is left out.

func BenchmarkFitTree(b *testing.B) {
	ctx := context.Background()
	for _, bench := range []struct {
		rows, maxRows int
	}{
		{2000, 0}, {5000, 0}, {20000, 0},
		{1000, 1000}, {2000, 2000}, {5000, 5000},
	} {
		b.Run(benchName(bench.rows, bench.maxRows), func(b *testing.B) {
			ds := churnLike(bench.rows, 30, 1)
			p := TreeParams{MaxRows: bench.maxRows}
			for b.Loop() {
				if _, err := FitTree(ctx, ds, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFitForest(b *testing.B) {
	ctx := context.Background()
	for _, bench := range []struct {
		rows, maxRows int
	}{
		{2000, 0}, {5000, 0}, {20000, 0}, {20000, 20000},
	} {
		b.Run(benchName(bench.rows, bench.maxRows), func(b *testing.B) {
			ds := churnLike(bench.rows, 30, 1)
			p := ForestParams{MaxRows: bench.maxRows}
			for b.Loop() {
				if _, err := FitForest(ctx, ds, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchName(rows, maxRows int) string {
	if maxRows == 0 {
		return fmt.Sprintf("rows=%d/sample=default", rows)
	}
	return fmt.Sprintf("rows=%d/sample=all", rows)
}

// BenchmarkScore measures what serving one account costs: its log-odds
// and the TreeSHAP contributions, for the default tree and forest.
func BenchmarkScore(b *testing.B) {
	ctx := context.Background()
	train := churnLike(5000, 30, 1)
	cart, err := FitTree(ctx, train, TreeParams{MaxRows: 2000})
	if err != nil {
		b.Fatal(err)
	}
	forest, err := FitForest(ctx, train, ForestParams{})
	if err != nil {
		b.Fatal(err)
	}
	rows := churnLike(1000, 30, 2) // a tenth with an unknown column 1
	for _, m := range []struct {
		name string
		e    *tree.Ensemble
	}{{"tree", cart}, {"forest", forest}} {
		b.Run(m.name, func(b *testing.B) {
			phi := make([]float64, len(rows.Features))
			var sink float64
			i := 0
			for b.Loop() {
				x := rows.Row(i % rows.Len())
				sink += m.e.LogOdds(x) + m.e.Explain(x, phi)
				i++
			}
			_ = sink
		})
	}
}
