package golearn_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/golearn"
)

// accounts returns 600 account-weeks of two features, weekly logins and
// SLA breaches, where few logins and repeated breaches each make churn
// likelier.
func accounts() *features.Dataset {
	rng := rand.New(rand.NewPCG(1, 2))
	ds := &features.Dataset{Features: []string{"logins", "sla_breaches"}}
	for i := range 600 {
		logins, breaches := float64(rng.IntN(10)), float64(rng.IntN(4))
		p := 0.05
		if logins < 3 {
			p += 0.3
		}
		if breaches >= 2 {
			p += 0.3
		}
		ds.Append(fmt.Sprintf("acct-%d", i), features.Date(20000), []float64{logins, breaches})
		ds.Label = append(ds.Label, float64(b2f(rng.Float64() < p)))
	}
	return ds
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func prob(logOdds float64) float64 { return 1 / (1 + math.Exp(-logOdds)) }

func ExampleFitTree() {
	model, err := golearn.FitTree(context.Background(), accounts(), golearn.TreeParams{MaxDepth: 2})
	if err != nil {
		log.Fatal(err)
	}
	quiet := []float64{1, 3} // one login, three breaches
	busy := []float64{8, 0}
	fmt.Printf("P(churn): quiet %.2f, busy %.2f\n", prob(model.LogOdds(quiet)), prob(model.LogOdds(busy)))

	phi := make([]float64, 2)
	base := model.Explain(quiet, phi)
	fmt.Printf("quiet: base %.2f %+.2f logins %+.2f sla_breaches = %.2f\n",
		base, phi[0], phi[1], model.LogOdds(quiet))
	// Output:
	// P(churn): quiet 0.67, busy 0.09
	// quiet: base -0.97 +1.01 logins +0.66 sla_breaches = 0.69
}

func ExampleFitForest() {
	model, err := golearn.FitForest(context.Background(), accounts(), golearn.ForestParams{Trees: 20, Seed: 7})
	if err != nil {
		log.Fatal(err)
	}
	// The breach count is unknown: each split on it sends the row the
	// way the training median goes. With two features golearn's ID3
	// trees are stumps, so the forest is additive in them.
	x := []float64{1, math.NaN()}
	phi := make([]float64, 2)
	base := model.Explain(x, phi)
	fmt.Printf("%d trees, P(churn) %.2f\n", len(model.Trees), prob(model.LogOdds(x)))
	fmt.Printf("base %.2f %+.2f logins %+.2f sla_breaches = %.2f\n", base, phi[0], phi[1], model.LogOdds(x))
	// Output:
	// 20 trees, P(churn) 0.48
	// base -0.85 +0.47 logins +0.29 sla_breaches = -0.08
}
