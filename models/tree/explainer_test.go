package tree

import (
	"math"
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

func TestExplainBatchMatchesExplain(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, depth := range []int{0, 3, 4, 6} {
		e := randomEnsemble(rng, 20, depth, 6, 0.2)
		e.Trees = append(e.Trees, randomTree(rng, 8, 6, 0.5)) // one too deep to tabulate
		ex := NewExplainer(&e)
		for _, n := range []int{0, 1, 5, batchRows, batchRows + 1, 3*batchRows + 7} {
			rows, phis := make([][]float64, n), make([][]float64, n)
			for i := range rows {
				rows[i], phis[i] = randomRow(rng, 6), make([]float64, 6)
			}
			base := ex.ExplainBatch(rows, phis)
			want := make([]float64, 6)
			for i, row := range rows {
				if b := ex.Explain(row, want); b != base {
					t.Fatalf("depth %d: base %v, Explain's %v", depth, base, b)
				}
				for j := range want {
					if phis[i][j] != want[j] {
						t.Fatalf("depth %d, %d rows: row %d phi %v, Explain's %v", depth, n, i, phis[i], want)
					}
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

// BenchmarkExplainerBatch is BenchmarkExplainer's work, batchRows rows
// at a time; it reports the time per row.
func BenchmarkExplainerBatch(b *testing.B) {
	e, rows := benchEnsemble()
	ex := NewExplainer(&e)
	phis := make([][]float64, batchRows)
	for i := range phis {
		phis[i] = make([]float64, 35)
	}
	batch := make([][]float64, batchRows)
	i := 0
	for b.Loop() {
		for j := range batch {
			batch[j] = rows[(i+j)%len(rows)]
		}
		ex.ExplainBatch(batch, phis)
		i += batchRows
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchRows), "ns/row")
}

func TestOrderKey(t *testing.T) {
	values := []float64{math.Inf(-1), -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64, math.Copysign(0, -1), 0,
		math.SmallestNonzeroFloat64, 0.5, 1, math.MaxFloat64, math.Inf(1)}
	for _, a := range values {
		for _, b := range values {
			if got := orderKey(a) < orderKey(b); got != (a < b) {
				t.Errorf("orderKey(%v) < orderKey(%v) is %v, want %v", a, b, got, a < b)
			}
		}
	}
}
