package tree_test

import (
	"fmt"
	"math"

	"github.com/churnlabs/churn/models/tree"
)

func ExampleEnsemble_Explain() {
	// Two stumps over the features (logins, sla_breaches): few logins
	// and a breached SLA each raise the churn log-odds. An unknown
	// breach count goes with the breached side.
	e := tree.Ensemble{
		Base:   -2,
		Weight: 1,
		Trees: []tree.Tree{
			{Nodes: []tree.Node{
				{Feature: 0, Threshold: 3, Left: 1, Right: 2, Cover: 100},
				{Feature: -1, Value: 0.8, Cover: 25},
				{Feature: -1, Value: -0.2, Cover: 75},
			}},
			{Nodes: []tree.Node{
				{Feature: 1, Threshold: 1, Left: 1, Right: 2, Cover: 100},
				{Feature: -1, Value: -0.1, Cover: 90},
				{Feature: -1, Value: 0.9, Cover: 10},
			}},
		},
	}
	x := []float64{1, math.NaN()} // one login, breaches unknown
	phi := make([]float64, len(x))
	base := e.Explain(x, phi)
	fmt.Printf("base %.2f, logins %+.2f, sla_breaches %+.2f\n", base, phi[0], phi[1])
	fmt.Printf("base + contributions = %.2f = LogOdds %.2f\n", base+phi[0]+phi[1], e.LogOdds(x))
	// Output:
	// base -1.95, logins +0.75, sla_breaches +0.90
	// base + contributions = -0.30 = LogOdds -0.30
}

func ExampleEnsemble_Validate() {
	// A split whose child points back at the root would loop forever.
	e := tree.Ensemble{Weight: 1, Trees: []tree.Tree{{Nodes: []tree.Node{
		{Feature: 0, Threshold: 1, Left: 1, Right: 0, Cover: 2},
		{Feature: -1, Value: 1, Cover: 1},
	}}}}
	fmt.Println(e.Validate(1))
	// Output:
	// tree: tree 0: node 0: child 0 is not a node after it
}

func ExampleExplainer() {
	// A server builds the Explainer once per model and shares it
	// between requests.
	e := tree.Ensemble{Base: 0, Weight: 1, Trees: []tree.Tree{{Nodes: []tree.Node{
		{Feature: 1, Threshold: 30, Left: 1, Right: 2, Cover: 10},
		{Feature: -1, Value: -0.5, Cover: 8},
		{Feature: -1, Value: 2, Cover: 2},
	}}}}
	ex := tree.NewExplainer(&e)
	phi := make([]float64, 2)
	base := ex.Explain([]float64{7, 45}, phi) // 45 days since the last key action
	fmt.Printf("base %.1f, contributions %v, log-odds %.1f\n", base, phi, e.LogOdds([]float64{7, 45}))
	// Output:
	// base 0.0, contributions [0 2], log-odds 2.0
}
