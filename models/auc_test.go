package models_test

import (
	"testing"

	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/metrics"
)

// TestHeadlineAUCIsServedScores checks, for every kind, that the one
// validation ROC AUC metrics.json and model.json report is that of the
// probabilities the model serves on its validation rows, to the last bit.
func TestHeadlineAUCIsServedScores(t *testing.T) {
	sp, res := trainAll(t)
	for i, e := range res.Report.Models {
		a := res.Artifacts[e.Name]
		s, err := models.NewScorer(a)
		if err != nil {
			t.Fatal(err)
		}
		p := make([]float64, sp.Valid.Len())
		for r := range p {
			p[r] = s.Probability(sp.Valid.Row(r))
		}
		served := metrics.ROCAUC(sp.Valid.Label, p)
		if e.ValidAUC != served || a.Metrics.ROCAUC != served || metrics.ROCAUC(sp.Valid.Label, res.Valid[i]) != served {
			t.Errorf("%s: valid_auc %v, model.json %v, plotted %v; the served scores' ROC AUC is %v",
				e.Name, e.ValidAUC, a.Metrics.ROCAUC, metrics.ROCAUC(sp.Valid.Label, res.Valid[i]), served)
		}
	}
}
