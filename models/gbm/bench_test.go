package gbm

import (
	"context"
	"testing"
)

// BenchmarkFit fits the production shape: 200k rows x 35 features, 300
// trees of depth 4 (the defaults). One fit takes seconds: run it with
// -benchtime=1x.
func BenchmarkFit(b *testing.B) {
	train, _ := synthetic(200_000, 35, 1)
	for b.Loop() {
		if _, err := Fit(context.Background(), train, nil, Params{}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/fit")
}

// BenchmarkScore is the serving cost of one row: its log-odds and its
// explanation, with the production model's shape.
func BenchmarkScore(b *testing.B) {
	train, _ := synthetic(20_000, 35, 2)
	m, err := Fit(context.Background(), train, nil, Params{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	phi := make([]float64, len(m.Features))
	i := 0
	for b.Loop() {
		x := train.Row(i % train.Len())
		m.LogOdds(x)
		m.Explain(x, phi)
		i++
	}
}
