package gbm_test

import (
	"context"
	"fmt"
	"log"
	"math"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
)

func ExampleFit() {
	// Accounts with few logins churn more, and so do accounts whose
	// revenue is unknown; one row in five bucks the trend.
	train := &features.Dataset{Features: []string{"logins", "arr"}}
	for i := range 5000 {
		logins := float64(i % 10)
		arr := float64(1000 * (i % 7))
		if i%3 == 0 {
			arr = math.NaN()
		}
		churned := logins < 3 || math.IsNaN(arr)
		if (i/210)%5 == 0 { // independent of the features, which repeat every 210 rows
			churned = !churned
		}
		label := 0.0
		if churned {
			label = 1
		}
		train.Append(fmt.Sprint(i), 0, []float64{logins, arr})
		train.Label = append(train.Label, label)
	}

	m, err := gbm.Fit(context.Background(), train, nil, gbm.Params{Trees: 50, Depth: 2, LearningRate: 0.2}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, x := range [][]float64{{1, math.NaN()}, {8, 5000}} {
		phi := make([]float64, len(x))
		base := m.Explain(x, phi)
		fmt.Printf("logins %v, arr %v: P(churn) %.2f = sigmoid(%.2f %+.2f (logins) %+.2f (arr))\n",
			x[0], x[1], m.Probability(x), base, phi[0], phi[1])
	}
	// Output:
	// logins 1, arr NaN: P(churn) 0.79 = sigmoid(0.09 +0.62 (logins) +0.62 (arr))
	// logins 8, arr 5000: P(churn) 0.21 = sigmoid(0.09 -0.66 (logins) -0.75 (arr))
}

func ExampleFitFrom() {
	// Another model already knows that churn falls with logins, but not
	// that accounts whose revenue is unknown churn more: every row starts
	// from its log-odds, and the trees add what it missed.
	train := &features.Dataset{Features: []string{"logins", "arr"}}
	var start []float64
	for i := range 4000 {
		logins := float64(i % 10)
		arr := float64(1000 * (i % 7))
		if i%3 == 0 {
			arr = math.NaN()
		}
		z := 1 - 0.4*logins // what the other model says
		truth := z
		if math.IsNaN(arr) {
			truth += 1.5
		}
		label := 0.0
		if float64((i*7919)%1000)/1000 < 1/(1+math.Exp(-truth)) {
			label = 1
		}
		train.Append(fmt.Sprint(i), 0, []float64{logins, arr})
		train.Label = append(train.Label, label)
		start = append(start, z)
	}
	m, err := gbm.FitFrom(context.Background(), train, nil, gbm.Starts{Train: start}, gbm.Params{Trees: 60, Depth: 2, LearningRate: 0.2}, nil)
	if err != nil {
		log.Fatal(err)
	}
	// The trees' own log-odds, added to the other model's.
	fmt.Printf("base %.1f, unknown ARR %+.1f, known ARR %+.1f\n",
		m.Ensemble.Base, m.LogOdds([]float64{5, math.NaN()}), m.LogOdds([]float64{5, 3000}))
	// Output:
	// base 0.0, unknown ARR +1.5, known ARR -0.2
}
