package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// delongB is a second score of the scikit-learn fixture's rows, ranking
// them better than sklearnP does, with ties of its own and across.
var delongB = []float64{
	0.7, 0.4, 0.9, 0.1, 0.2, 0.6, 0.3, 0.5, 0.9, 0.5, 0.6, 0.1, 0.4, 0.2, 0.5,
	0.3, 0.8, 0.6, 0.7, 0.4, 0.3, 0.1, 0.8, 0.2, 0.0, 0.5, 0.6, 0.7, 0.2, 0.4,
}

// TestCompareAUCReference checks CompareAUC against testdata/delong.py, a
// direct implementation of DeLong et al. (1988) with numpy and scipy,
// whose output for these rows (Debian numpy 1.24.2, scipy 1.10.1) is
// written here. TestCompareAUCAgainstPython reruns it on random rows.
func TestCompareAUCReference(t *testing.T) {
	tests := []struct {
		name string
		a, b []float64
		want AUCComparison
	}{
		{"fixture", sklearnP, delongB, AUCComparison{A: 0.7790178571428571, B: 0.8392857142857143,
			Diff: -0.060267857142857206, SE: 0.08222698600360498, Z: -0.7329449864575476, P: 0.46359198365013465}},
		{"swapped", delongB, sklearnP, AUCComparison{A: 0.8392857142857143, B: 0.7790178571428571,
			Diff: 0.060267857142857206, SE: 0.08222698600360498, Z: 0.7329449864575476, P: 0.46359198365013465}},
		{"the same scores", sklearnP, sklearnP, AUCComparison{A: 0.7790178571428571, B: 0.7790178571428571, P: 1}},
		{"a monotone transform ranks alike", sklearnP, logits(sklearnP), AUCComparison{A: 0.7790178571428571, B: 0.7790178571428571, P: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CompareAUC(sklearnY, tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			sameComparison(t, got, tt.want, 1e-12)
			if got.Positives != 14 || got.Negatives != 16 {
				t.Errorf("counted %d positives and %d negatives, want 14 and 16", got.Positives, got.Negatives)
			}
		})
	}
}

func sameComparison(t *testing.T, got, want AUCComparison, tol float64) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want float64
	}{{"A", got.A, want.A}, {"B", got.B, want.B}, {"Diff", got.Diff, want.Diff},
		{"SE", got.SE, want.SE}, {"Z", got.Z, want.Z}, {"P", got.P, want.P}} {
		if !near(f.got, f.want, tol) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
}

// logits maps probabilities to log-odds, a strictly increasing map that
// keeps every tie.
func logits(p []float64) []float64 {
	z := make([]float64, len(p))
	for i, v := range p {
		z[i] = math.Log(v / (1 - v))
	}
	return z
}

// TestCompareAUCAgainstPython draws correlated scores, some rounded so
// that ties abound, and compares with testdata/delong.py. It is skipped
// where Debian's python3-numpy and python3-scipy are not installed.
func TestCompareAUCAgainstPython(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("no %s: %v", python, err)
	}
	cases := []struct {
		name    string
		n       int
		round   float64 // scores rounded to multiples of this; 0: not
		y, a, b []float64
	}{
		{name: "continuous", n: 400},
		{name: "ties", n: 300, round: 0.1},
		{name: "coarse ties", n: 200, round: 0.5},
	}
	// One run of the script for every case: starting scipy takes longer
	// than the tests.
	rng := rand.New(rand.NewPCG(1, 9))
	var rows strings.Builder
	for c := range cases {
		tt := &cases[c]
		tt.y, tt.a, tt.b = make([]float64, tt.n), make([]float64, tt.n), make([]float64, tt.n)
		for i := range tt.n {
			truth := rng.NormFloat64()
			if rng.Float64() < sigmoid(1.5*truth-1) {
				tt.y[i] = 1
			}
			tt.a[i] = truth + 0.8*rng.NormFloat64()
			tt.b[i] = truth + 1.2*rng.NormFloat64()
			if tt.round > 0 {
				tt.a[i] = math.Round(tt.a[i]/tt.round) * tt.round
				tt.b[i] = math.Round(tt.b[i]/tt.round) * tt.round
			}
			fmt.Fprintf(&rows, "%d,%g,%v,%v\n", c, tt.y[i], tt.a[i], tt.b[i])
		}
	}
	cmd := exec.Command(python, "testdata/delong.py")
	cmd.Stdin = strings.NewReader(rows.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if strings.Contains(stderr.String(), "ModuleNotFoundError") {
		t.Skipf("%s lacks numpy or scipy (Debian: python3-numpy python3-scipy): %s", python, stderr.String())
	}
	if err != nil {
		t.Fatalf("delong.py: %v: %s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for _, tt := range cases {
		var ref struct{ A, B, Diff, SE, Z, P float64 }
		if err := dec.Decode(&ref); err != nil {
			t.Fatalf("delong.py printed %q: %v", out, err)
		}
		t.Run(tt.name, func(t *testing.T) {
			got, err := CompareAUC(tt.y, tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			sameComparison(t, got, AUCComparison{A: ref.A, B: ref.B, Diff: ref.Diff, SE: ref.SE, Z: ref.Z, P: ref.P}, 1e-9)
			if auc := ROCAUC(tt.y, tt.a); !near(got.A, auc, 1e-12) {
				t.Errorf("A = %v, ROCAUC %v", got.A, auc)
			}
		})
	}
}

// TestCompareAUCPower checks the test's behaviour on large samples: a
// clearly better score is significant, and two scores equally good by
// construction are not, in about 95% of draws at the 5% level.
func TestCompareAUCPower(t *testing.T) {
	draw := func(rng *rand.Rand, n int, noiseA, noiseB float64) (y, a, b []float64) {
		y, a, b = make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			truth := rng.NormFloat64()
			if rng.Float64() < sigmoid(2*truth-1.5) {
				y[i] = 1
			}
			a[i] = truth + noiseA*rng.NormFloat64()
			b[i] = truth + noiseB*rng.NormFloat64()
		}
		return y, a, b
	}
	rng := rand.New(rand.NewPCG(4, 4))
	y, a, b := draw(rng, 5000, 0.3, 1.5)
	c, err := CompareAUC(y, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Diff <= 0 || c.P > 1e-6 {
		t.Errorf("a much better score: diff %v, p %v", c.Diff, c.P)
	}
	lo, hi := c.Interval(0.95)
	if !(lo > 0 && lo < c.Diff && c.Diff < hi) {
		t.Errorf("95%% interval [%v, %v] around %v", lo, hi, c.Diff)
	}
	rejected := 0
	const draws = 200
	for range draws {
		y, a, b := draw(rng, 400, 0.8, 0.8)
		c, err := CompareAUC(y, a, b)
		if err != nil {
			t.Fatal(err)
		}
		if c.P < 0.05 {
			rejected++
		}
	}
	// Binomial(200, 0.05) has mean 10 and sd 3.1: 22 is four sd out.
	if rejected > 22 {
		t.Errorf("equal scores called different in %d of %d draws at the 5%% level", rejected, draws)
	}
}

func TestCompareAUCRejects(t *testing.T) {
	for _, tt := range []struct {
		name    string
		y, a, b []float64
		want    string
	}{
		{"lengths", []float64{0, 1, 0, 1}, []float64{1, 2, 3, 4}, []float64{1, 2, 3}, "second scores: 4 labels but 3 scores"},
		{"NaN", []float64{0, 1, 0, 1}, []float64{1, math.NaN(), 3, 4}, []float64{1, 2, 3, 4}, "first scores: score 1 is NaN"},
		{"label", []float64{0, 2, 0, 1}, []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, "label 1 is 2"},
		{"one class", []float64{1, 1, 1}, []float64{1, 2, 3}, []float64{1, 2, 3}, "3 positives and 0 negatives"},
		{"one positive", []float64{1, 0, 0}, []float64{1, 2, 3}, []float64{1, 2, 3}, "at least 2 of each"},
		{"empty", nil, nil, nil, "no rows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompareAUC(tt.y, tt.a, tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestMidranks(t *testing.T) {
	for _, tt := range []struct {
		x, want []float64
	}{
		{[]float64{3, 1, 2}, []float64{3, 1, 2}},
		{[]float64{2, 1, 2, 2}, []float64{3, 1, 3, 3}},
		{[]float64{0, math.Copysign(0, -1), 1}, []float64{1.5, 1.5, 3}},
		{nil, []float64{}},
	} {
		got := midranks(tt.x)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("midranks(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
}

// TestDeLongAUC checks the one-AUC standard error against CompareAUC
// with a constant second score: a constant's placements are all one half,
// with no variance or covariance, so the difference's standard error is
// the first AUC's own.
func TestDeLongAUC(t *testing.T) {
	constant := make([]float64, len(sklearnY))
	for i := range constant {
		constant[i] = 0.5
	}
	tests := []struct {
		name   string
		y, p   []float64
		auc    float64
		se     float64 // NaN: take it from CompareAUC against a constant
		errSub string
	}{
		{"fixture", sklearnY, sklearnP, 0.7790178571428571, math.NaN(), ""},
		{"second fixture score", sklearnY, delongB, 0.8392857142857143, math.NaN(), ""},
		{"perfect ranking has no error", []float64{0, 0, 1, 1}, []float64{0.1, 0.2, 0.8, 0.9}, 1, 0, ""},
		{"one positive", []float64{0, 0, 1}, []float64{0.1, 0.2, 0.8}, 0, 0, "at least 2 of each"},
		{"lengths differ", []float64{0, 1}, []float64{0.1}, 0, 0, "labels but"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DeLongAUC(tt.y, tt.p)
			if tt.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("err %v, want one saying %q", err, tt.errSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			se := tt.se
			if math.IsNaN(se) {
				c, err := CompareAUC(tt.y, tt.p, constant)
				if err != nil {
					t.Fatal(err)
				}
				se = c.SE
			}
			if !near(got.AUC, tt.auc, 1e-12) || !near(got.SE, se, 1e-12) {
				t.Errorf("AUC %v ± %v, want %v ± %v", got.AUC, got.SE, tt.auc, se)
			}
			lo, hi := got.Interval(0.95)
			if !(lo <= got.AUC && got.AUC <= hi && lo >= 0 && hi <= 1) {
				t.Errorf("interval [%v, %v] does not hold AUC %v inside [0, 1]", lo, hi, got.AUC)
			}
		})
	}
}
