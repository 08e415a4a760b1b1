package models

import (
	"slices"
	"testing"

	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/hybrid"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/tree"
)

// TestLearnersHoldTheirModels checks each kind's learner: it is the one
// learnerFor finds, it keeps the type of model its kind fits where
// Artifact.Model finds it again, and it leaves a model of another type
// out, for Check to refuse, rather than store it in a field it does not
// own.
func TestLearnersHoldTheirModels(t *testing.T) {
	if got := kindNames(); !slices.Equal(got, []string{Logistic, Tree, Forest, GBM, Hybrid}) {
		t.Fatalf("kinds %v: --model all fits them in this order", got)
	}
	others := []Model{&logistic.Model{}, &gbm.Model{}, &tree.Ensemble{}, &hybrid.Model{}}
	for _, c := range []struct {
		kind string
		m    Model
	}{
		{Logistic, others[0]},
		{Tree, others[2]},
		{Forest, others[2]},
		{GBM, others[1]},
		{Hybrid, others[3]},
	} {
		t.Run(c.kind, func(t *testing.T) {
			l, err := learnerFor(c.kind)
			if err != nil || l.kind() != c.kind {
				t.Fatalf("learnerFor(%q) = %v, %v", c.kind, l, err)
			}
			a := &Artifact{Kind: c.kind}
			a.attach(c.m)
			if m, err := a.Model(); err != nil || m != c.m {
				t.Fatalf("Model() = %v, %v after attaching %T", m, err, c.m)
			}
			for _, other := range others {
				if other == c.m {
					continue
				}
				b := &Artifact{Kind: c.kind}
				b.attach(other)
				if b.Logistic != nil || b.GBM != nil || b.Trees != nil || b.Hybrid != nil {
					t.Errorf("a %T attached to a %s model", other, c.kind)
				}
			}
		})
	}
}

// TestBestRound checks the choice of the number of trees from inner
// folds' loss curves: the lowest mean loss, over the rounds every curve
// reaches, the first of a tie.
func TestBestRound(t *testing.T) {
	for _, tc := range []struct {
		name   string
		curves [][]float64
		want   int
	}{
		{"one curve", [][]float64{{3, 2, 1, 2}}, 3},
		{"the mean, not any one curve", [][]float64{{3, 1, 2}, {3, 3, 1}}, 3},
		{"only rounds every curve reaches", [][]float64{{3, 2, 0}, {3, 2}}, 2},
		{"the first of a tie", [][]float64{{2, 1, 1}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bestRound(tc.curves); got != tc.want {
				t.Errorf("bestRound(%v) = %d, want %d", tc.curves, got, tc.want)
			}
		})
	}
}
