package metrics

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestFitIsotonic(t *testing.T) {
	tests := []struct {
		name string
		p, y []float64
		want Isotonic
	}{
		// 1 then 0 violate: pool to ½; the next 0 violates ½: pool to ⅓;
		// 1 at 0.4 stands; the 1 at 0.5 equals it and joins its step.
		{"pools violators", []float64{0.1, 0.2, 0.3, 0.4, 0.5}, []float64{1, 0, 0, 1, 1}, Isotonic{[]float64{0.1, 0.4}, []float64{1.0 / 3, 1}}},
		// The two rows at 0.2 are pooled to ½ before anything else.
		{"ties pooled", []float64{0.2, 0.2, 0.1, 0.3}, []float64{1, 0, 0, 1}, Isotonic{[]float64{0.1, 0.2, 0.3}, []float64{0, 0.5, 1}}},
		// Every score order is wrong: one step at the base rate 2/4.
		{"reversed", []float64{0.9, 0.7, 0.3, 0.1}, []float64{0, 0, 1, 1}, Isotonic{[]float64{0.1}, []float64{0.5}}},
		// Log-odds work as well as probabilities.
		{"log-odds", []float64{-3, 2, math.Inf(-1)}, []float64{0, 1, 0}, Isotonic{[]float64{math.Inf(-1), 2}, []float64{0, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FitIsotonic(tt.p, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.X, tt.want.X) || !slices.EqualFunc(got.Y, tt.want.Y, func(a, b float64) bool { return near(a, b, 1e-15) }) {
				t.Errorf("FitIsotonic = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIsotonicPredict(t *testing.T) {
	c := Isotonic{X: []float64{0.1, 0.4, 0.7}, Y: []float64{0.2, 0.5, 0.9}}
	tests := []struct {
		p, want float64
	}{
		{0, 0.2},    // below every step
		{0.1, 0.2},  // on a breakpoint
		{0.39, 0.2}, // between breakpoints: the lower step
		{0.4, 0.5},
		{0.69, 0.5},
		{0.7, 0.9},
		{5, 0.9}, // above every step
		{math.Inf(1), 0.9},
		{math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		if got := c.Predict(tt.p); !near(got, tt.want, 0) {
			t.Errorf("Predict(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	for _, bad := range []Isotonic{{}, {X: []float64{0.1, 0.2}, Y: []float64{0.3}}} {
		if got := bad.Predict(0.5); !math.IsNaN(got) {
			t.Errorf("%+v.Predict(0.5) = %v, want NaN", bad, got)
		}
	}
}

// TestFitIsotonicNeverWorse checks, on miscalibrated scores, that the fit
// is monotone and does not lose to the raw scores on its training data.
func TestFitIsotonicNeverWorse(t *testing.T) {
	for _, tt := range []struct{ a, b float64 }{{0.4, -1}, {2, 0.5}, {1, 0}} {
		z, y := simulate(20_000, tt.a, tt.b, 5)
		p := probabilities(z)
		for i := range p {
			p[i] = math.Round(p[i]*200) / 200 // ties, as real scores have
		}
		c, err := FitIsotonic(p, y)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(c.X) || !slices.IsSorted(c.Y) || len(slices.Compact(slices.Clone(c.X))) != len(c.X) ||
			len(slices.Compact(slices.Clone(c.Y))) != len(c.Y) || c.Y[0] < 0 || c.Y[len(c.Y)-1] > 1 {
			t.Fatalf("a=%v: fit is not strictly increasing within [0, 1]: %+v", tt.a, c)
		}
		fitted := make([]float64, len(p))
		for i, v := range p {
			fitted[i] = c.Predict(v)
		}
		if raw, got := Brier(y, p), Brier(y, fitted); got > raw {
			t.Errorf("a=%v: Brier %v after the fit, %v before", tt.a, got, raw)
		}
		if raw, got := LogLoss(y, p), LogLoss(y, fitted); got > raw {
			t.Errorf("a=%v: log-loss %v after the fit, %v before", tt.a, got, raw)
		}
	}
}

func ExampleFitIsotonic() {
	p := []float64{0.1, 0.2, 0.3, 0.4, 0.5}
	y := []float64{1, 0, 0, 1, 1}
	c, err := FitIsotonic(p, y)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The first three rows are out of order and pool into one step.
	for _, s := range []float64{0.25, 0.45} {
		fmt.Printf("%.2f → %.3f\n", s, c.Predict(s))
	}
	// Output:
	// 0.25 → 0.333
	// 0.45 → 1.000
}

func BenchmarkFitIsotonic(b *testing.B) {
	z, y := simulate(500_000, 0.6, -2, 1)
	p := probabilities(z)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitIsotonic(p, y); err != nil {
			b.Fatal(err)
		}
	}
}
