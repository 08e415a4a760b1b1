package logistic_test

import (
	"context"
	"fmt"
	"log"
	"math"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/logistic"
)

// exampleData is a small churn table: accounts that log in less and
// have more overdue invoices churn more often. One account's invoice
// count is unknown.
func exampleData() *features.Dataset {
	ds := &features.Dataset{Features: []string{"logins", "overdue_invoices"}}
	rows := []struct {
		logins, overdue, churned float64
	}{
		{12, 0, 0}, {9, 1, 0}, {15, 0, 0}, {7, 0, 0}, {11, 2, 0},
		{8, math.NaN(), 0}, {10, 0, 0}, {2, 3, 1}, {4, 1, 1}, {1, 2, 1},
		{6, 3, 0}, {3, 0, 1}, {5, 4, 1}, {13, 1, 0}, {9, 3, 1},
	}
	for i, r := range rows {
		ds.Append(fmt.Sprintf("acct-%02d", i), features.Date(20000), []float64{r.logins, r.overdue})
		ds.Label = append(ds.Label, r.churned)
	}
	return ds
}

func ExampleFit() {
	m, err := logistic.Fit(context.Background(), exampleData(), logistic.Params{L2: 0.5})
	if err != nil {
		log.Fatal(err)
	}
	coef, intercept := m.Original()
	fmt.Printf("log-odds = %.3f %+.3f*logins %+.3f*overdue_invoices\n", intercept, coef[0], coef[1])
	fmt.Printf("churn probability at 2 logins, 3 overdue: %.2f\n", m.Probability([]float64{2, 3}))
	// Output:
	// log-odds = 1.913 -0.437*logins +0.476*overdue_invoices
	// churn probability at 2 logins, 3 overdue: 0.92
}

func ExampleModel_Explain() {
	m, err := logistic.Fit(context.Background(), exampleData(), logistic.Params{L2: 0.5})
	if err != nil {
		log.Fatal(err)
	}
	x := []float64{2, math.NaN()} // the invoice count is unknown
	phi := make([]float64, len(x))
	base := m.Explain(x, phi)
	fmt.Printf("base value %+.3f\n", base)
	sum := base
	for j, name := range m.Features {
		fmt.Printf("%-16s %+.3f\n", name, phi[j])
		sum += phi[j]
	}
	fmt.Printf("sum %+.3f = log-odds %+.3f\n", sum, m.LogOdds(x))
	// Output:
	// base value -0.755
	// logins           +2.475
	// overdue_invoices +0.000
	// sum +1.719 = log-odds +1.719
}
