package models_test

import (
	"testing"

	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/gbm"
)

// BenchmarkScore measures one calibrated score with its exact
// contributions, per model kind, at the sizes the CLI trains by default
// (GBM: 300 trees of depth 4). It is the per-request cost of serving.
func BenchmarkScore(b *testing.B) {
	tab := table(b)
	sp, err := tab.Split(testSplit)
	if err != nil {
		b.Fatal(err)
	}
	p := models.Params{GBM: gbm.Params{Trees: 300, Depth: 4, LearningRate: 0.05, Seed: 1}}
	res, err := models.Train(b.Context(), sp, tab.Spec, models.TrainOptions{Params: p})
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range models.Kinds {
		s, err := models.NewScorer(res.Artifacts[kind])
		if err != nil {
			b.Fatal(err)
		}
		phi := make([]float64, len(sp.Valid.Features))
		b.Run(kind+"/explain", func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				s.Score(sp.Valid.Row(i%sp.Valid.Len()), phi)
			}
		})
		b.Run(kind+"/probability", func(b *testing.B) {
			for i := range b.N {
				s.Probability(sp.Valid.Row(i % sp.Valid.Len()))
			}
		})
	}
}
