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
