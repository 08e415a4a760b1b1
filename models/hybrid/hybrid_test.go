package hybrid_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/hybrid"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/metrics"
	"github.com/churnlabs/churn/models/tree"
)

// world draws n accounts whose churn log-odds fall linearly with tenure
// and jump where two behaviours are both high: a smooth trend a
// regression extrapolates and an interaction only trees find. Tenure is
// drawn from [lo, hi) weeks.
func world(n int, lo, hi float64, seed uint64) *features.Dataset {
	r := rand.New(rand.NewPCG(seed, 7))
	ds := &features.Dataset{Features: []string{"tenure", "breaches", "overdue", "noise"}}
	for i := range n {
		x := []float64{lo + (hi-lo)*r.Float64(), r.Float64(), r.Float64(), r.NormFloat64()}
		z := 1 - 0.06*x[0]
		if x[1] > 0.6 && x[2] > 0.6 {
			z += 2
		}
		if i%50 == 0 {
			x[1] = math.NaN() // unknown, as real rows have
		}
		ds.Append(fmt.Sprint(i), features.Date(20000), x)
		y := 0.0
		if r.Float64() < 1/(1+math.Exp(-z)) {
			y = 1
		}
		ds.Label = append(ds.Label, y)
	}
	return ds
}

var (
	lp = logistic.Params{}
	gp = gbm.Params{Trees: 150, Depth: 3, LearningRate: 0.05, MinChildWeight: 5, Seed: 1}
)

// TestHybridRanksPastTraining checks what the hybrid is for: scored on
// accounts older than any in training, it ranks them better than either
// part alone, the GBM being blind past the oldest tenure it saw and the
// regression to the interaction.
func TestHybridRanksPastTraining(t *testing.T) {
	ctx := context.Background()
	train, later := world(20_000, 0, 40, 1), world(5_000, 40, 70, 2)
	h, err := hybrid.Fit(ctx, train, nil, lp, gp, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := logistic.Fit(ctx, train, lp)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gbm.Fit(ctx, train, nil, gp, nil)
	if err != nil {
		t.Fatal(err)
	}
	auc := func(f func(x []float64) float64) float64 {
		z := make([]float64, later.Len())
		for i := range z {
			z[i] = f(later.Row(i))
		}
		return metrics.ROCAUC(later.Label, z)
	}
	ah, al, ag := auc(h.LogOdds), auc(l.LogOdds), auc(g.LogOdds)
	t.Logf("ROC AUC past the training tenures: hybrid %.4f, logistic %.4f, gbm %.4f", ah, al, ag)
	if ah < max(al, ag)+0.01 {
		t.Errorf("hybrid %.4f: not clearly above logistic %.4f and gbm %.4f", ah, al, ag)
	}
}

// TestHybridExplainsExactly checks that the contributions add up to the
// log-odds, the server's way (a tree.Explainer) and the model's alike,
// and that the validation log-odds of the fit are LogOdds bit for bit.
func TestHybridExplainsExactly(t *testing.T) {
	train, valid := world(5_000, 0, 40, 3), world(1_000, 0, 60, 4)
	p := gp
	p.EarlyStopping = 10
	h, err := hybrid.Fit(context.Background(), train, valid, lp, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
	x := tree.NewExplainer(&h.GBM.Ensemble)
	z := h.ValidationLogOdds(valid)
	if len(z) != valid.Len() {
		t.Fatalf("%d validation log-odds for %d rows", len(z), valid.Len())
	}
	phi, fast := make([]float64, 4), make([]float64, 4)
	for i := range valid.Len() {
		row := valid.Row(i)
		want := h.LogOdds(row)
		if z[i] != want {
			t.Fatalf("row %d: validation log-odds %v, LogOdds %v", i, z[i], want)
		}
		base := h.Explain(row, phi)
		baseFast := h.ExplainWith(x.Explain, row, fast)
		sum, sumFast := base, baseFast
		for j := range phi {
			sum += phi[j]
			sumFast += fast[j]
			if math.Abs(phi[j]-fast[j]) > 1e-12 {
				t.Fatalf("row %d feature %d: Explain %v, ExplainWith a tree.Explainer %v", i, j, phi[j], fast[j])
			}
		}
		if math.Abs(sum-want) > 1e-9 || math.Abs(sumFast-want) > 1e-9 {
			t.Fatalf("row %d: base + contributions %v (%v the fast way), log-odds %v", i, sum, sumFast, want)
		}
	}
	if h.ValidationLogOdds(train) != nil {
		t.Error("validation log-odds for a set the model was not validated on")
	}
}

// TestHybridJSON checks that a model read back from its JSON scores as
// the one written, and that Check refuses a broken one.
func TestHybridJSON(t *testing.T) {
	train := world(2_000, 0, 40, 5)
	h, err := hybrid.Fit(context.Background(), train, nil, lp, gbm.Params{Trees: 20, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back hybrid.Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if a, b := h.LogOdds(train.Row(i)), back.LogOdds(train.Row(i)); a != b {
			t.Fatalf("row %d: log-odds %v, read back %v", i, a, b)
		}
	}
	back.GBM.Ensemble.Base = 0.5
	if err := back.Check(); err == nil {
		t.Error("Check passed a gbm part with a base of its own")
	}
	back.GBM = nil
	if err := back.Check(); err == nil {
		t.Error("Check passed a model without its gbm part")
	}
}

func ExampleFit() {
	// Older accounts churn less, steadily; accounts both breaching SLAs
	// and overdue churn much more. Training saw tenures under 40 weeks.
	train := world(20_000, 0, 40, 1)
	m, err := hybrid.Fit(context.Background(), train, nil, logistic.Params{}, gbm.Params{Trees: 150, Depth: 3, Seed: 1}, nil)
	if err != nil {
		panic(err)
	}
	for _, x := range [][]float64{{30, 0.2, 0.2, 0}, {60, 0.2, 0.2, 0}, {60, 0.9, 0.9, 0}} {
		phi := make([]float64, len(x))
		base := m.Explain(x, phi)
		fmt.Printf("tenure %2.0f, breaches %.1f, overdue %.1f: churn %.2f (base %+.2f, tenure %+.2f, breaches %+.2f, overdue %+.2f)\n",
			x[0], x[1], x[2], 1/(1+math.Exp(-m.LogOdds(x))), base, phi[0], phi[1], phi[2])
	}
	// Output:
	// tenure 30, breaches 0.2, overdue 0.2: churn 0.35 (base +0.12, tenure -0.54, breaches -0.15, overdue -0.08)
	// tenure 60, breaches 0.2, overdue 0.2: churn 0.11 (base +0.12, tenure -2.09, breaches -0.12, overdue -0.02)
	// tenure 60, breaches 0.9, overdue 0.9: churn 0.42 (base +0.12, tenure -2.10, breaches +0.93, overdue +0.73)
}
