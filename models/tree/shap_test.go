package tree

import (
	"math"
	"math/rand/v2"
	"testing"
)

// condExpect returns E[f(x) | x_S] below node i for the set S of known
// features given as a bit mask: a split on a known feature follows x, any
// other split averages its branches by cover. This is the value function
// whose Shapley values path-dependent TreeSHAP computes.
func condExpect(t *Tree, i int, x []float64, known uint) float64 {
	n := &t.Nodes[i]
	if n.IsLeaf() {
		return n.Value
	}
	if known&(1<<n.Feature) != 0 {
		return condExpect(t, n.next(x[n.Feature]), x, known)
	}
	l, r := &t.Nodes[n.Left], &t.Nodes[n.Right]
	return (l.Cover*condExpect(t, n.Left, x, known) + r.Cover*condExpect(t, n.Right, x, known)) / n.Cover
}

// bruteForceShap returns the Shapley values of E[f(x) | x_S] for the
// ensemble and the value of the empty set, by enumerating every subset S
// of the features.
func bruteForceShap(e *Ensemble, x []float64) (phi []float64, base float64) {
	p := len(x)
	v := func(known uint) float64 {
		var sum float64
		for i := range e.Trees {
			sum += condExpect(&e.Trees[i], 0, x, known)
		}
		return e.Base + e.Weight*sum
	}
	fact := func(n int) float64 {
		f := 1.0
		for k := 2; k <= n; k++ {
			f *= float64(k)
		}
		return f
	}
	phi = make([]float64, p)
	for j := range p {
		for s := uint(0); s < 1<<p; s++ {
			if s&(1<<j) != 0 {
				continue
			}
			size := 0
			for k := range p {
				if s&(1<<k) != 0 {
					size++
				}
			}
			w := fact(size) * fact(p-size-1) / fact(p)
			phi[j] += w * (v(s|1<<j) - v(s))
		}
	}
	return phi, v(0)
}

func TestExplainMatchesBruteForce(t *testing.T) {
	nan := math.NaN()
	// twice splits on feature 0 at the root and again below it, the case
	// where TreeSHAP must unwind the feature's earlier path element.
	twice := Tree{Nodes: []Node{
		{Feature: 0, Threshold: 0.5, Left: 1, Right: 2, Cover: 100},
		{Feature: 1, Threshold: 0.3, MissingLeft: true, Left: 3, Right: 4, Cover: 60},
		{Feature: 0, Threshold: 0.8, Left: 5, Right: 6, Cover: 40},
		{Feature: 0, Threshold: 0.2, Left: 7, Right: 8, Cover: 25},
		{Feature: -1, Value: 1.5, Cover: 35},
		{Feature: 2, Threshold: 0.6, Left: 9, Right: 10, Cover: 30},
		{Feature: -1, Value: -2, Cover: 10},
		{Feature: -1, Value: 0.25, Cover: 5},
		{Feature: -1, Value: 3, Cover: 20},
		{Feature: -1, Value: -0.5, Cover: 12},
		{Feature: -1, Value: 0.75, Cover: 18},
	}}
	hand := Ensemble{Base: 0.2, Weight: 1, Trees: []Tree{twice, stump(3, 0.4, true, -1, 1)}}
	handRows := [][]float64{
		{0.1, 0.1, 0.1, 0.1},
		{0.1, 0.9, 0.5, 0.9},
		{0.3, 0.2, 0.9, 0.4},
		{0.6, 0.5, 0.5, 0.5},
		{0.9, 0.5, 0.7, 0.0},
		{nan, nan, nan, nan},
		{0.6, nan, 0.2, nan},
		{nan, 0.1, 0.9, 0.3},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name string
		e    Ensemble
		rows [][]float64
	}{
		{"hand-made", hand, handRows},
		{"single leaf", Ensemble{Base: 1, Weight: 1, Trees: []Tree{{Nodes: []Node{{Feature: -1, Value: 2, Cover: 3}}}}}, handRows[:2]},
	}
	for k := range 40 {
		p := 3 + k%2
		e := randomEnsemble(rng, 1+k%3, 2+k%4, p, 0.2)
		var rows [][]float64
		for range 10 {
			rows = append(rows, randomRow(rng, p))
		}
		tests = append(tests, struct {
			name string
			e    Ensemble
			rows [][]float64
		}{"random", e, rows})
	}
	for _, tt := range tests {
		for _, x := range tt.rows {
			want, wantBase := bruteForceShap(&tt.e, x)
			phi := make([]float64, len(x))
			base := tt.e.Explain(x, phi)
			if !near(base, wantBase, 1e-12) {
				t.Errorf("%s: Explain(%v) base = %v, want %v", tt.name, x, base, wantBase)
			}
			for j := range phi {
				if !near(phi[j], want[j], 1e-12) {
					t.Errorf("%s: Explain(%v) phi = %v, want %v", tt.name, x, phi, want)
					break
				}
			}
		}
	}
}

func TestExplainSumsToLogOdds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		name          string
		trees, depth  int
		features      int
		leafProb      float64
		forestWeights bool
	}{
		{"boosting depth 4", 300, 4, 35, 0.2, false},
		{"forest depth 8", 50, 8, 10, 0.2, true},
		{"deeper than the stack buffer", 3, 40, 6, 0.7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := randomEnsemble(rng, tt.trees, tt.depth, tt.features, tt.leafProb)
			e.Weight = 1
			if tt.forestWeights {
				e.Weight = 1 / float64(tt.trees)
			}
			phi := make([]float64, tt.features)
			for range 200 {
				x := randomRow(rng, tt.features)
				base := e.Explain(x, phi)
				sum := base
				for _, v := range phi {
					sum += v
				}
				want := e.LogOdds(x)
				if !near(sum, want, 1e-9) {
					t.Fatalf("base + sum(phi) = %v, LogOdds = %v", sum, want)
				}
				if ev := e.ExpectedValue(); base != ev {
					t.Fatalf("Explain base = %v, ExpectedValue = %v", base, ev)
				}
			}
		})
	}
}

func TestExplainDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	e := randomEnsemble(rng, 100, 6, 20, 0.2)
	x := randomRow(rng, 20)
	phi := make([]float64, 20)
	if n := testing.AllocsPerRun(20, func() { e.Explain(x, phi) }); n != 0 {
		t.Errorf("Explain allocates %v times per call", n)
	}
}

func TestExplainPanicsOnShortPhi(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Explain with a short phi did not panic")
		}
	}()
	e := Ensemble{Weight: 1, Trees: []Tree{stump(0, 1, false, 0, 1)}}
	e.Explain([]float64{1, 2}, make([]float64, 1))
}

// near reports whether a and b agree to tol relative to the larger of
// 1 and their magnitudes.
func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*max(1, math.Abs(a), math.Abs(b))
}

// benchEnsemble is the shape of the GBM the project ships: 300 trees of
// depth 4 on 35 features.
func benchEnsemble() (Ensemble, [][]float64) {
	rng := rand.New(rand.NewPCG(11, 12))
	e := randomEnsemble(rng, 300, 4, 35, 0.1)
	rows := make([][]float64, 256)
	for i := range rows {
		rows[i] = randomRow(rng, 35)
	}
	return e, rows
}

func BenchmarkLogOdds(b *testing.B) {
	e, rows := benchEnsemble()
	var sink float64
	i := 0
	for b.Loop() {
		sink += e.LogOdds(rows[i%len(rows)])
		i++
	}
	_ = sink
}

func BenchmarkExplain(b *testing.B) {
	e, rows := benchEnsemble()
	phi := make([]float64, 35)
	i := 0
	for b.Loop() {
		e.Explain(rows[i%len(rows)], phi)
		i++
	}
}
