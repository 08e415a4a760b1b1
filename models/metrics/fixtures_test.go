package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// near reports whether got is within tol of want; a NaN want asks for NaN.
func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol
}

// simulate draws n rows whose true churn log-odds are a·z + b for model
// log-odds z ~ N(0, 1.5²), the shape of a model that ranks well but is
// miscalibrated unless a = 1 and b = 0.
func simulate(n int, a, b float64, seed uint64) (z, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	z = make([]float64, n)
	y = make([]float64, n)
	for i := range n {
		z[i] = 1.5 * rng.NormFloat64()
		if rng.Float64() < sigmoid(a*z[i]+b) {
			y[i] = 1
		}
	}
	return z, y
}

// probabilities maps log-odds to probabilities.
func probabilities(z []float64) []float64 {
	p := make([]float64, len(z))
	for i, v := range z {
		p[i] = sigmoid(v)
	}
	return p
}

// labelled is a named pair of labels and scores.
type labelled struct {
	name string
	y, p []float64
}

// Malformed inputs that every function must reject.
var malformed = []labelled{
	{"length mismatch", []float64{0, 1}, []float64{0.5}},
	{"empty", nil, nil},
	{"label 2", []float64{0, 2}, []float64{0.1, 0.2}},
	{"label 0.5", []float64{0, 0.5, 1}, []float64{0.1, 0.2, 0.3}},
	{"NaN label", []float64{0, math.NaN(), 1}, []float64{0.1, 0.2, 0.3}},
	{"NaN score", []float64{0, 1, 1}, []float64{0.1, math.NaN(), 0.3}},
}

// TestMalformedInput checks that every function refuses malformed input:
// the metrics with NaN (or nil, or zero counts), the Fit functions with an
// error.
func TestMalformedInput(t *testing.T) {
	for _, m := range malformed {
		t.Run(m.name, func(t *testing.T) {
			for name, got := range map[string]float64{
				"ROCAUC":  ROCAUC(m.y, m.p),
				"PRAUC":   PRAUC(m.y, m.p),
				"LogLoss": LogLoss(m.y, m.p),
				"Brier":   Brier(m.y, m.p),
			} {
				if !math.IsNaN(got) {
					t.Errorf("%s = %v, want NaN", name, got)
				}
			}
			if l := TopFraction(m.y, m.p, 0.1); l.Rows != 0 || l.Positives != 0 ||
				!math.IsNaN(l.Precision) || !math.IsNaN(l.Lift) || !math.IsNaN(l.Capture) {
				t.Errorf("TopFraction = %+v, want zero counts and NaN ratios", l)
			}
			if bins := Calibration(m.y, m.p, 2); bins != nil {
				t.Errorf("Calibration = %+v, want nil", bins)
			}
			if c, err := FitPlatt(m.p, m.y); err == nil {
				t.Errorf("FitPlatt = %+v, want an error", c)
			}
			if c, err := FitIsotonic(m.p, m.y); err == nil {
				t.Errorf("FitIsotonic = %+v, want an error", c)
			}
		})
	}
}
