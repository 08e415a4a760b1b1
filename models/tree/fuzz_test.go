package tree

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzEnsembleJSON feeds arbitrary model files through the decoder and
// Validate: whatever Validate accepts must score and explain any row
// without a panic, and the explanation must add up.
func FuzzEnsembleJSON(f *testing.F) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, depth := range []int{1, 3, 6} {
		e := randomEnsemble(rng, 2, depth, 3, 0.2)
		data, err := json.Marshal(&e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, 0.5, -1.0, 2.0)
	}
	f.Add([]byte(`{"base":0,"weight":1,"trees":[{"nodes":[{"f":2,"t":1,"l":1,"r":2,"c":2},{"f":-1,"v":1,"c":1},{"f":-1,"c":1}]}]}`), 0.0, 0.0, math.NaN())
	f.Add([]byte(`{"trees":[{"nodes":[{"f":0,"l":2,"r":1,"c":1},{"f":-1,"c":0},{"f":-1,"c":1}]}]}`), 1.0, 1.0, 1.0)
	f.Fuzz(func(t *testing.T, data []byte, x0, x1, x2 float64) {
		var e Ensemble
		if json.Unmarshal(data, &e) != nil || e.Validate(3) != nil {
			return
		}
		x := []float64{x0, x1, x2}
		phi := make([]float64, 3)
		f := e.LogOdds(x)
		base := e.Explain(x, phi)
		sum := base + phi[0] + phi[1] + phi[2]
		// Values near the float64 range overflow in the sums; below it
		// the explanation must be exact.
		if math.IsInf(f, 0) || math.IsNaN(sum) || math.IsInf(sum, 0) || math.Abs(f) > 1e100 {
			return
		}
		if math.Abs(sum-f) > 1e-6*max(1, math.Abs(f)) {
			t.Errorf("base + sum(phi) = %v, LogOdds = %v", sum, f)
		}
		got := make([]float64, 3)
		if b := NewExplainer(&e).Explain(x, got); b != base {
			t.Errorf("Explainer base %v, Explain's %v", b, base)
		}
		for j := range got {
			if math.Abs(got[j]-phi[j]) > 1e-6*max(1, math.Abs(phi[j])) {
				t.Errorf("Explainer phi %v, Explain's %v", got, phi)
			}
		}
	})
}
