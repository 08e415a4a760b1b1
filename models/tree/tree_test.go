package tree

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// stump returns a one-split tree on feature f: x[f] < t gives left,
// else right, and NaN follows missingLeft.
func stump(f int, t float64, missingLeft bool, left, right float64) Tree {
	return Tree{Nodes: []Node{
		{Feature: f, Threshold: t, MissingLeft: missingLeft, Left: 1, Right: 2, Cover: 10},
		{Feature: -1, Value: left, Cover: 4},
		{Feature: -1, Value: right, Cover: 6},
	}}
}

func TestPredictRouting(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name        string
		x           float64
		missingLeft bool
		want        float64
	}{
		{"below", 0.5, false, -1},
		{"equal goes right", 1, false, 2},
		{"above", 3, false, 2},
		{"minus infinity", math.Inf(-1), false, -1},
		{"plus infinity", math.Inf(1), true, 2},
		{"NaN right", nan, false, 2},
		{"NaN left", nan, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := stump(1, 1, tt.missingLeft, -1, 2)
			x := []float64{99, tt.x}
			if got := tr.Predict(x); got != tt.want {
				t.Errorf("Predict = %v, want %v", got, tt.want)
			}
			wantLeaf := 2
			if tt.want == -1 {
				wantLeaf = 1
			}
			if got := tr.Leaf(x); got != wantLeaf {
				t.Errorf("Leaf = %d, want %d", got, wantLeaf)
			}
		})
	}
}

func TestEnsembleLogOdds(t *testing.T) {
	e := Ensemble{
		Base:   0.5,
		Weight: 0.25,
		Trees:  []Tree{stump(0, 1, false, -1, 2), stump(1, 0, true, 4, 8)},
	}
	tests := []struct {
		x    []float64
		want float64
	}{
		{[]float64{0, -1}, 0.5 + 0.25*(-1+4)},
		{[]float64{2, 1}, 0.5 + 0.25*(2+8)},
		{[]float64{math.NaN(), math.NaN()}, 0.5 + 0.25*(2+4)},
	}
	for _, tt := range tests {
		if got := e.LogOdds(tt.x); got != tt.want {
			t.Errorf("LogOdds(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
	if got := (&Ensemble{Base: -2, Weight: 1}).LogOdds(nil); got != -2 {
		t.Errorf("empty ensemble LogOdds = %v, want its base -2", got)
	}
}

func TestDepth(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		tree Tree
		want int
	}{
		{"empty", Tree{}, 0},
		{"leaf", Tree{Nodes: []Node{{Feature: -1, Value: 1}}}, 0},
		{"stump", stump(0, 1, false, 0, 1), 1},
		{"full depth 5", randomTree(rng, 5, 3, 0), 5},
		{"full depth 30", randomTree(rng, 30, 3, 0.9), 30},
	}
	for _, tt := range tests {
		if got := tt.tree.Depth(); got != tt.want {
			t.Errorf("%s: Depth = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := func() Ensemble {
		return Ensemble{Base: 0.1, Weight: 1, Trees: []Tree{stump(2, 0.5, false, 1, 2)}}
	}
	tests := []struct {
		name   string
		mutate func(e *Ensemble)
		want   string // "" for a valid ensemble
	}{
		{"valid", func(e *Ensemble) {}, ""},
		{"no trees", func(e *Ensemble) { e.Trees = nil }, ""},
		{"NaN base", func(e *Ensemble) { e.Base = math.NaN() }, "base"},
		{"infinite weight", func(e *Ensemble) { e.Weight = math.Inf(1) }, "weight"},
		{"empty tree", func(e *Ensemble) { e.Trees[0].Nodes = nil }, "no nodes"},
		{"feature out of range", func(e *Ensemble) { e.Trees[0].Nodes[0].Feature = 3 }, "feature 3 out of range"},
		{"NaN threshold", func(e *Ensemble) { e.Trees[0].Nodes[0].Threshold = math.NaN() }, "threshold"},
		{"infinite leaf", func(e *Ensemble) { e.Trees[0].Nodes[1].Value = math.Inf(-1) }, "leaf value"},
		{"negative cover", func(e *Ensemble) { e.Trees[0].Nodes[2].Cover = -1 }, "cover"},
		{"split without cover", func(e *Ensemble) { e.Trees[0].Nodes[0].Cover = 0 }, "cover 0"},
		{"covers do not add up", func(e *Ensemble) { e.Trees[0].Nodes[2].Cover = 7 }, "add up to 11"},
		{"covers add up to rounding", func(e *Ensemble) { e.Trees[0].Nodes[2].Cover = 6 + 1e-9 }, ""},
		{"child before parent", func(e *Ensemble) { e.Trees[0].Nodes[0].Left = 0 }, "child 0"},
		{"child out of range", func(e *Ensemble) { e.Trees[0].Nodes[0].Right = 3 }, "child 3"},
		{"same child twice", func(e *Ensemble) { e.Trees[0].Nodes[0].Right = 1 }, "both children"},
		{"unreachable node", func(e *Ensemble) {
			e.Trees[0].Nodes = append(e.Trees[0].Nodes, Node{Feature: -1, Cover: 1})
		}, "node 3 is not reachable"},
		{"shared child", func(e *Ensemble) {
			e.Trees[0].Nodes[1] = Node{Feature: 0, Threshold: 1, Left: 2, Right: 3, Cover: 4}
			e.Trees[0].Nodes = append(e.Trees[0].Nodes, Node{Feature: -1, Cover: 1})
		}, "already a child"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok()
			tt.mutate(&e)
			err := e.Validate(3)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate accepted a broken ensemble")
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate: %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	e := randomEnsemble(rng, 20, 5, 4, 0.2)
	e.Base = -1.0 / 3
	data, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	var got Ensemble
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(4); err != nil {
		t.Fatalf("decoded ensemble is invalid: %v", err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip changed the ensemble")
	}
	for range 100 {
		x := randomRow(rng, 4)
		if a, b := e.LogOdds(x), got.LogOdds(x); a != b {
			t.Fatalf("LogOdds(%v) = %v after the round trip, %v before", x, b, a)
		}
	}
	// The compact keys keep a 300-tree model file small; the reader of
	// model.json depends on them.
	var leaf Node
	if err := json.Unmarshal([]byte(`{"f":-1,"v":0.25,"c":7}`), &leaf); err != nil {
		t.Fatal(err)
	}
	if want := (Node{Feature: -1, Value: 0.25, Cover: 7}); leaf != want {
		t.Errorf("decoded leaf %+v, want %+v", leaf, want)
	}
}

// randomEnsemble returns an ensemble of n random trees of the given
// depth on p features, as randomTree makes them.
func randomEnsemble(rng *rand.Rand, n, depth, p int, leafProb float64) Ensemble {
	e := Ensemble{Base: rng.NormFloat64(), Weight: 1 / float64(1+rng.IntN(3))}
	for range n {
		e.Trees = append(e.Trees, randomTree(rng, depth, p, leafProb))
	}
	return e
}

// randomTree returns a tree of the given depth on p features. Each node
// above that depth is a leaf with probability leafProb, except that the
// leftmost path always reaches full depth. Features repeat freely along
// a path, thresholds and row values share [0, 1), and the children's
// covers add up to their parent's, as a learner's would.
func randomTree(rng *rand.Rand, depth, p int, leafProb float64) Tree {
	var t Tree
	var grow func(d int, cover float64, spine bool) int
	grow = func(d int, cover float64, spine bool) int {
		i := len(t.Nodes)
		if d == depth || cover < 2 || (!spine && rng.Float64() < leafProb) {
			t.Nodes = append(t.Nodes, Node{Feature: -1, Value: rng.NormFloat64(), Cover: cover})
			return i
		}
		t.Nodes = append(t.Nodes, Node{
			Feature:     rng.IntN(p),
			Threshold:   rng.Float64(),
			MissingLeft: rng.IntN(2) == 0,
			Cover:       cover,
		})
		left := 1 + math.Floor(rng.Float64()*(cover-1))
		if spine {
			// Most of the cover stays on the spine so that it can reach
			// full depth.
			left = cover - 1 - math.Floor(rng.Float64()*cover/4)
		}
		l := grow(d+1, left, spine)
		r := grow(d+1, cover-left, false)
		t.Nodes[i].Left, t.Nodes[i].Right = l, r
		return i
	}
	grow(0, math.Ldexp(1, depth+2), true)
	return t
}

// randomRow returns p values in [0, 1), a quarter of them NaN.
func randomRow(rng *rand.Rand, p int) []float64 {
	x := make([]float64, p)
	for j := range x {
		x[j] = rng.Float64()
		if rng.IntN(4) == 0 {
			x[j] = math.NaN()
		}
	}
	return x
}
