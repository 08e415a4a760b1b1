package tree

import (
	"math/rand/v2"
	"testing"
)

func TestExplainerMatchesExplain(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, depth := range []int{0, 1, 3, 4, 5, 6, 9} {
		e := randomEnsemble(rng, 20, depth, 6, 0.2)
		// A deep tree among shallow ones: both paths in one ensemble.
		e.Trees = append(e.Trees, randomTree(rng, 8, 6, 0.5))
		ex := NewExplainer(&e)
		want := make([]float64, 6)
		got := make([]float64, 6)
		for range 100 {
			x := randomRow(rng, 6)
			wantBase := e.Explain(x, want)
			base := ex.Explain(x, got)
			if base != wantBase {
				t.Fatalf("depth %d: base %v, Ensemble.Explain's %v", depth, base, wantBase)
			}
			for j := range got {
				if !near(got[j], want[j], 1e-12) {
					t.Fatalf("depth %d, row %v: phi %v, Ensemble.Explain's %v", depth, x, got, want)
				}
			}
		}
	}
}

func TestExplainerDoesNotAllocate(t *testing.T) {
	e, rows := benchEnsemble()
	ex := NewExplainer(&e)
	phi := make([]float64, 35)
	if n := testing.AllocsPerRun(20, func() { ex.Explain(rows[0], phi) }); n != 0 {
		t.Errorf("Explainer.Explain allocates %v times per call", n)
	}
}

func BenchmarkExplainer(b *testing.B) {
	e, rows := benchEnsemble()
	ex := NewExplainer(&e)
	phi := make([]float64, 35)
	i := 0
	for b.Loop() {
		ex.Explain(rows[i%len(rows)], phi)
		i++
	}
}
