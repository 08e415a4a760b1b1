package metrics

import (
	"fmt"
	"math"
	"testing"
)

func TestFitPlattRecovers(t *testing.T) {
	tests := []struct {
		name string
		a, b float64
	}{
		{"overconfident", 0.5, -1},
		{"underconfident", 1.7, -0.8},
		{"calibrated", 1, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, y := simulate(100_000, tt.a, tt.b, uint64(i))
			c, err := FitPlatt(z, y)
			if err != nil {
				t.Fatal(err)
			}
			// The standard errors at this size are below 0.01.
			if !near(c.A, tt.a, 0.03) || !near(c.B, tt.b, 0.03) {
				t.Errorf("FitPlatt = %+v, want A≈%v B≈%v", c, tt.a, tt.b)
			}
		})
	}
}

// TestFitPlattImprovesLogLoss fits scores that are three times too
// confident and checks the calibrated log-loss beats the raw one and
// nearly matches the true probabilities'.
func TestFitPlattImprovesLogLoss(t *testing.T) {
	z, y := simulate(50_000, 1.0/3, 0.4, 9)
	c, err := FitPlatt(z, y)
	if err != nil {
		t.Fatal(err)
	}
	calibrated := make([]float64, len(z))
	truth := make([]float64, len(z))
	for i, v := range z {
		calibrated[i] = c.Probability(v)
		truth[i] = sigmoid(v/3 + 0.4)
	}
	raw, fitted, ideal := LogLoss(y, probabilities(z)), LogLoss(y, calibrated), LogLoss(y, truth)
	if !(fitted < raw) || fitted > ideal+1e-3 {
		t.Errorf("log-loss raw %v, calibrated %v, true probabilities %v", raw, fitted, ideal)
	}
}

// TestFitPlattOptimal checks the first-order conditions the fit must
// satisfy, Σ(σ(Az+B) − t) = 0 and Σ(σ(Az+B) − t)·z = 0, with Platt's
// targets t, on inputs whose optimum is hard to reach.
func TestFitPlattOptimal(t *testing.T) {
	tests := []struct {
		name string
		z, y []float64
	}{
		// Perfect separation: without Platt's targets A would diverge.
		{"separable", []float64{-2, -1, 1, 2}, []float64{0, 0, 1, 1}},
		{"wide scale", []float64{-300, -40, 0.5, 12, 250, 800}, []float64{0, 1, 0, 1, 0, 1}},
		{"one row", []float64{0.7}, []float64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FitPlatt(tt.z, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			var np, nn float64
			for _, v := range tt.y {
				np += v
			}
			nn = float64(len(tt.y)) - np
			var gA, gB float64
			for i, z := range tt.z {
				target := 1 / (nn + 2)
				if tt.y[i] == 1 {
					target = (np + 1) / (np + 2)
				}
				d := c.Probability(z) - target
				gA += d * z
				gB += d
			}
			if math.Abs(gA) > 1e-6 || math.Abs(gB) > 1e-6 || math.IsInf(c.A, 0) {
				t.Errorf("FitPlatt = %+v: gradient (%g, %g), want 0", c, gA, gB)
			}
		})
	}
}

func TestFitPlattDegenerate(t *testing.T) {
	tests := []struct {
		name string
		z, y []float64
		at   float64 // a log-odds to evaluate the fit at
		want float64 // calibrated log-odds at it
	}{
		// All targets are 1/(4+2): the fit is the constant logit(1/6) =
		// −ln 5, whatever z.
		{"only negatives", []float64{-1, 0, 2, 5}, []float64{0, 0, 0, 0}, 3, -math.Log(5)},
		// Targets 2/3 for the positive and 1/5 for the three negatives:
		// the mean target is (2/3 + 3/5)/4 = 19/60, log-odds ln(19/41).
		{"all equal log-odds", []float64{1, 1, 1, 1}, []float64{1, 0, 0, 0}, 1, math.Log(19.0 / 41)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FitPlatt(tt.z, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.LogOdds(tt.at); !near(got, tt.want, 1e-6) {
				t.Errorf("FitPlatt = %+v; LogOdds(%v) = %v, want %v", c, tt.at, got, tt.want)
			}
		})
	}
}

func TestFitPlattInfinite(t *testing.T) {
	for _, v := range []float64{math.Inf(1), math.Inf(-1)} {
		if c, err := FitPlatt([]float64{0, v}, []float64{0, 1}); err == nil {
			t.Errorf("FitPlatt with log-odds %v = %+v, want an error", v, c)
		}
	}
}

func ExamplePlatt_LogOdds() {
	// A model explains a row's log-odds of 0 as a base of −2 plus two
	// contributions.
	base, contributions := -2.0, []float64{1.5, 0.5}
	c := Platt{A: 0.5, B: -1}

	// Scaling the contributions by A and mapping the base to A·base + B
	// explains the calibrated log-odds exactly.
	sum := c.A*base + c.B
	for _, x := range contributions {
		sum += c.A * x
	}
	fmt.Println(c.LogOdds(base+contributions[0]+contributions[1]), sum)
	// Output: -1 -1
}

func BenchmarkFitPlatt(b *testing.B) {
	z, y := simulate(500_000, 0.6, -2, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitPlatt(z, y); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFitPlattOverflow checks that log-odds too large to square give an
// error rather than a NaN calibrator.
func TestFitPlattOverflow(t *testing.T) {
	if c, err := FitPlatt([]float64{-1e200, 1e200, 3}, []float64{0, 1, 0}); err == nil {
		t.Errorf("FitPlatt = %+v, want an error", c)
	}
}
