package gbm

import (
	"context"
	"encoding/json"
	"math"
	"testing"
)

// FuzzModelJSON feeds arbitrary model files to the decoder: a file it
// accepts must score and explain a row of the model's width without a
// panic, and the explanation must add up.
func FuzzModelJSON(f *testing.F) {
	train, _ := synthetic(500, 8, 15)
	m, err := Fit(context.Background(), train, train, Params{Trees: 3, Depth: 3}, nil)
	if err != nil {
		f.Fatal(err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, 1.0)
	f.Add([]byte(`{"ensemble":{"base":-1,"weight":1,"trees":[]},"features":["a"],"params":{}}`), math.NaN())
	f.Add([]byte(`{"ensemble":{"trees":[{"nodes":[{"f":1,"l":1,"r":2,"c":2},{"f":-1,"c":1},{"f":-1,"c":1}]}]},"features":["a"]}`), 0.0)
	f.Fuzz(func(t *testing.T, data []byte, v float64) {
		var m Model
		if json.Unmarshal(data, &m) != nil {
			return
		}
		x := make([]float64, len(m.Features))
		for j := range x {
			x[j] = v * float64(j%3-1)
		}
		phi := make([]float64, len(x))
		lo := m.LogOdds(x)
		sum := m.Explain(x, phi)
		for _, c := range phi {
			sum += c
		}
		if math.IsInf(lo, 0) || math.IsNaN(sum) || math.IsInf(sum, 0) || math.Abs(lo) > 1e100 {
			return
		}
		if math.Abs(sum-lo) > 1e-6*max(1, math.Abs(lo)) {
			t.Errorf("base + sum(phi) = %v, LogOdds = %v", sum, lo)
		}
	})
}
