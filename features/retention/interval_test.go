package retention

import (
	"math"
	"testing"
)

// TestWilson checks the score interval against Newcombe (1998a), "Two-sided
// confidence intervals for the single proportion", Statistics in Medicine
// 17:857-872, Table I (method 3, no continuity correction), to its four
// printed decimals.
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		x, n         int
		lower, upper float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	} {
		got := Wilson(c.x, c.n, 0.95)
		if math.Abs(got.Lower-c.lower) > 5e-5 || math.Abs(got.Upper-c.upper) > 5e-5 {
			t.Errorf("Wilson(%d, %d) = [%.5f, %.5f], want [%.4f, %.4f]", c.x, c.n, got.Lower, got.Upper, c.lower, c.upper)
		}
		if want := float64(c.x) / float64(c.n); got.Estimate != want || !got.Contains(want) {
			t.Errorf("Wilson(%d, %d) estimate %v, want %v inside the interval", c.x, c.n, got.Estimate, want)
		}
	}
}

// TestNewcombe checks the hybrid score interval against Newcombe (1998b),
// "Interval estimation for the difference between independent
// proportions: comparison of eleven methods", Statistics in Medicine
// 17:873-890, Table II, method 10.
func TestNewcombe(t *testing.T) {
	for _, c := range []struct {
		x1, n1, x2, n2 int
		lower, upper   float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.0582, 0.8062},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{10, 10, 0, 20, 0.6791, 1.0000},
	} {
		got := Newcombe(c.x1, c.n1, c.x2, c.n2, 0.95)
		if math.Abs(got.Lower-c.lower) > 5e-5 || math.Abs(got.Upper-c.upper) > 5e-5 {
			t.Errorf("Newcombe(%d/%d - %d/%d) = [%.5f, %.5f], want [%.4f, %.4f]",
				c.x1, c.n1, c.x2, c.n2, got.Lower, got.Upper, c.lower, c.upper)
		}
	}
}

func TestIntervalWidensWithConfidence(t *testing.T) {
	narrow, wide := Newcombe(30, 50, 20, 50, 0.8), Newcombe(30, 50, 20, 50, 0.99)
	if !(wide.Lower < narrow.Lower && narrow.Upper < wide.Upper) {
		t.Errorf("80%% interval %+v is not inside the 99%% interval %+v", narrow, wide)
	}
}

func TestIntervalInvalid(t *testing.T) {
	for _, c := range []struct {
		name       string
		x, n       int
		confidence float64
	}{
		{"no rows", 0, 0, 0.95},
		{"negative count", -1, 10, 0.95},
		{"more successes than rows", 11, 10, 0.95},
		{"confidence 1", 5, 10, 1},
		{"confidence 0", 5, 10, 0},
		{"confidence NaN", 5, 10, math.NaN()},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := Wilson(c.x, c.n, c.confidence)
			d := Newcombe(c.x, c.n, 1, 2, c.confidence)
			for _, v := range []float64{w.Estimate, w.Lower, w.Upper, d.Lower, d.Upper} {
				if !math.IsNaN(v) {
					t.Fatalf("Wilson %+v, Newcombe %+v: want NaN", w, d)
				}
			}
		})
	}
}
