package models_test

import (
	"fmt"

	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/metrics"
)

// A Scorer turns a feature row into a calibrated churn probability and
// explains it: the base value plus the contributions is the log-odds.
func ExampleScorer_Score() {
	a := &models.Artifact{
		Kind:     models.Logistic,
		Features: []string{"logins_4w_mean", "overdue_invoices"},
		Logistic: &logistic.Model{
			Features:  []string{"logins_4w_mean", "overdue_invoices"},
			Mean:      []float64{10, 0.5},
			Scale:     []float64{5, 1},
			Coef:      []float64{-1, 0.5},
			Intercept: -3,
		},
		Calibration: metrics.Platt{A: 1, B: 0},
	}
	s, err := models.NewScorer(a)
	if err != nil {
		panic(err)
	}
	sc := s.Score([]float64{2, 3}, nil)
	fmt.Printf("p=%.3f log-odds=%.2f base=%.2f logins=%+.2f overdue=%+.2f\n",
		sc.Probability, sc.LogOdds, sc.Base, sc.Contributions[0], sc.Contributions[1])
	// Output: p=0.463 log-odds=-0.15 base=-3.00 logins=+1.60 overdue=+1.25
}
