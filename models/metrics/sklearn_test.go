package metrics

import (
	"math"
	"testing"
)

// The reference values below were computed once with scikit-learn 1.2.1
// (Debian python3-sklearn) from these 30 rows:
//
//	rng = np.random.default_rng(7)
//	p = np.round(rng.uniform(0, 1, 30) * 10) / 10
//	y = (rng.uniform(0, 1, 30) < 0.2 + 0.6 * p).astype(float)
//
// p has ten levels, so ties abound, and includes 0 and 1 with the wrong
// label, which exercises the log-loss clipping.
var (
	sklearnY = []float64{
		1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0,
		0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0,
	}
	sklearnP = []float64{
		0.6, 0.9, 0.8, 0.2, 0.3, 0.9, 0.0, 0.8, 0.8, 0.5, 0.3, 0.3, 0.3, 0.4, 0.5,
		0.6, 1.0, 0.8, 0.6, 1.0, 0.2, 0.2, 0.6, 0.0, 0.0, 0.5, 0.5, 0.9, 0.6, 0.5,
	}
)

func TestAgainstScikitLearn(t *testing.T) {
	tests := []struct {
		name      string
		got, want float64
	}{
		{"roc_auc_score", ROCAUC(sklearnY, sklearnP), 0.7790178571428571},
		{"average_precision_score", PRAUC(sklearnY, sklearnP), 0.6928238254366074},
		// log_loss(y, p, eps=1e-15): since 1.2 the default clips at
		// machine epsilon instead.
		{"log_loss", LogLoss(sklearnY, sklearnP), 1.6268622872835914},
		{"brier_score_loss", Brier(sklearnY, sklearnP), 0.196},
	}
	for _, tt := range tests {
		if !near(tt.got, tt.want, 1e-12) {
			t.Errorf("%s: got %v, scikit-learn %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestIsotonicAgainstScikitLearn compares the fitted values at the
// training scores with IsotonicRegression().fit(p, y).predict(p).
func TestIsotonicAgainstScikitLearn(t *testing.T) {
	want := []float64{
		0.6, 0.8, 0.75, 0.25, 0.25, 0.8, 0.0, 0.75, 0.75, 0.4, 0.25, 0.25, 0.25, 0.25, 0.4,
		0.6, 0.8, 0.75, 0.6, 0.8, 0.25, 0.25, 0.6, 0.0, 0.0, 0.4, 0.4, 0.8, 0.6, 0.4,
	}
	c, err := FitIsotonic(sklearnP, sklearnY)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range sklearnP {
		if got := c.Predict(p); !near(got, want[i], 1e-12) {
			t.Errorf("Predict(%v) = %v, scikit-learn %v", p, got, want[i])
		}
	}
}

// TestPlattAgainstScikitLearn compares with sklearn.calibration.
// _sigmoid_calibration(z, y), which minimizes the same smoothed log-loss
// by BFGS and returns (a, b) for 1/(1+exp(a·z+b)), that is A = −a and
// B = −b, where z = logit(clip(p, 0.001, 0.999)).
func TestPlattAgainstScikitLearn(t *testing.T) {
	z := make([]float64, len(sklearnP))
	for i, p := range sklearnP {
		p = min(max(p, 0.001), 0.999)
		z[i] = math.Log(p / (1 - p))
	}
	c, err := FitPlatt(z, sklearnY)
	if err != nil {
		t.Fatal(err)
	}
	// BFGS stops at a gradient norm of 1e-5, so agreement is to about
	// five digits.
	if !near(c.A, 0.28133679212996243, 1e-4) || !near(c.B, -0.15558463879104611, 1e-4) {
		t.Errorf("FitPlatt = %+v, scikit-learn A=0.28133679 B=-0.15558464", c)
	}
}
