package plots

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/churnlabs/churn/models/metrics"
)

// tiedCurve has a tie between a churner and a stayer at 0.8 and between
// two stayers at 0.3. Its three churners and three stayers rank as
// 0.9+ | 0.8+ 0.8− | 0.5+ | 0.3− 0.3−.
var tiedCurve = Curve{
	Name:  "tied",
	Label: []float64{0, 1, 0, 1, 0, 1},
	Prob:  []float64{0.3, 0.9, 0.8, 0.5, 0.3, 0.8},
}

func TestROCCurve(t *testing.T) {
	tests := []struct {
		name string
		c    Curve
		want plotter.XYs
	}{
		{
			"ties enter together",
			tiedCurve,
			plotter.XYs{{X: 0, Y: 0}, {X: 0, Y: 1.0 / 3}, {X: 1.0 / 3, Y: 2.0 / 3}, {X: 1.0 / 3, Y: 1}, {X: 1, Y: 1}},
		},
		{
			"perfect ranking",
			Curve{Name: "perfect", Label: []float64{0, 1, 0, 1}, Prob: []float64{0.1, 0.9, 0.2, 0.8}},
			plotter.XYs{{X: 0, Y: 0}, {X: 0, Y: 0.5}, {X: 0, Y: 1}, {X: 0.5, Y: 1}, {X: 1, Y: 1}},
		},
		{
			"reversed ranking",
			Curve{Name: "reversed", Label: []float64{1, 0}, Prob: []float64{0.2, 0.7}},
			plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}},
		},
		{
			"one tie holds every row",
			Curve{Name: "constant", Label: []float64{1, 0, 0}, Prob: []float64{0.4, 0.4, 0.4}},
			plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.rocCurve()
			if err != nil {
				t.Fatal(err)
			}
			assertXYs(t, got, tt.want)
		})
	}
}

func TestGainsCurve(t *testing.T) {
	tests := []struct {
		name string
		c    Curve
		want plotter.XYs
	}{
		{
			"ties enter together",
			tiedCurve,
			plotter.XYs{{X: 0, Y: 0}, {X: 1.0 / 6, Y: 1.0 / 3}, {X: 3.0 / 6, Y: 2.0 / 3}, {X: 4.0 / 6, Y: 1}, {X: 1, Y: 1}},
		},
		{
			"every row churned",
			Curve{Name: "all", Label: []float64{1, 1}, Prob: []float64{0.6, 0.9}},
			plotter.XYs{{X: 0, Y: 0}, {X: 0.5, Y: 0.5}, {X: 1, Y: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.gainsCurve()
			if err != nil {
				t.Fatal(err)
			}
			assertXYs(t, got, tt.want)
		})
	}
}

func TestCurvesNeedTheirClasses(t *testing.T) {
	stayers := Curve{Name: "stayers", Label: []float64{0, 0}, Prob: []float64{0.1, 0.2}}
	churners := Curve{Name: "churners", Label: []float64{1, 1}, Prob: []float64{0.1, 0.2}}
	if _, err := stayers.rocCurve(); err == nil {
		t.Error("rocCurve without churners: no error")
	}
	if _, err := churners.rocCurve(); err == nil {
		t.Error("rocCurve without stayers: no error")
	}
	if _, err := stayers.gainsCurve(); err == nil {
		t.Error("gainsCurve without churners: no error")
	}
}

// TestCurvesOnSyntheticData checks properties on data large enough to
// need downsampling: the area under the drawn ROC curve is the AUC that
// metrics reports, and both curves run monotonically from (0, 0) to (1, 1).
func TestCurvesOnSyntheticData(t *testing.T) {
	c := synthetic("synthetic", 20_000, 1, 1.5)
	roc, err := c.rocCurve()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := trapezoid(roc), metrics.ROCAUC(c.Label, c.Prob); math.Abs(got-want) > 1e-12 {
		t.Errorf("area under ROC curve = %v, metrics.ROCAUC = %v", got, want)
	}
	if got, drawn := trapezoid(roc), trapezoid(downsample(roc, maxPoints)); math.Abs(got-drawn) > 0.005 {
		t.Errorf("area under downsampled ROC curve = %v, want near %v", drawn, got)
	}
	gains, err := c.gainsCurve()
	if err != nil {
		t.Fatal(err)
	}
	for name, xys := range map[string]plotter.XYs{"ROC": roc, "gains": gains} {
		assertUnitPath(t, name, xys)
		assertUnitPath(t, name+" downsampled", downsample(xys, maxPoints))
	}
}

func TestDownsample(t *testing.T) {
	staircase := make(plotter.XYs, 2001)
	for i := range staircase {
		staircase[i] = plotter.XY{X: float64((i + 1) / 2), Y: float64(i / 2)}
	}
	flat := make(plotter.XYs, 1000)
	zigzag := make(plotter.XYs, 1000)
	for i := range zigzag {
		zigzag[i] = plotter.XY{X: float64(i), Y: float64(i % 2)}
	}
	tests := []struct {
		name     string
		xys      plotter.XYs
		limit    int
		min, max int // points kept
	}{
		{"short path unchanged", staircase[:10], 10, 10, 10},
		{"staircase", staircase, 500, 499, 500},
		{"staircase to the minimum", staircase, 2, 2, 2},
		{"staircase to three", staircase, 3, 3, 3},
		{"path that never moves", flat, 50, 2, 2},
		{"not monotone", zigzag, 100, 99, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := downsample(tt.xys, tt.limit)
			if len(got) < tt.min || len(got) > tt.max {
				t.Errorf("kept %d points, want %d to %d", len(got), tt.min, tt.max)
			}
			if got[0] != tt.xys[0] || got[len(got)-1] != tt.xys[len(tt.xys)-1] {
				t.Errorf("ends %v, %v; want %v, %v", got[0], got[len(got)-1], tt.xys[0], tt.xys[len(tt.xys)-1])
			}
			assertSubsequence(t, got, tt.xys)
		})
	}
}

// TestDownsampleSpendsPointsWhereTheCurveMoves draws a path that climbs
// in its first 10 points and then creeps along for 10,000: half its length
// is the climb, so about half the kept points must fall there, where
// keeping every k-th point would keep none of them.
func TestDownsampleSpendsPointsWhereTheCurveMoves(t *testing.T) {
	xys := plotter.XYs{{X: 0, Y: 0}}
	for i := 1; i <= 10; i++ {
		xys = append(xys, plotter.XY{X: 0, Y: float64(i) / 10})
	}
	for i := 1; i <= 10_000; i++ {
		xys = append(xys, plotter.XY{X: float64(i) / 10_000, Y: 1})
	}
	got := downsample(xys, 102)
	climb := 0
	for _, xy := range got {
		if xy.X == 0 {
			climb++
		}
	}
	if climb < 11 {
		t.Errorf("kept %d points of the climb, want all 11", climb)
	}
}

func TestCheckCurves(t *testing.T) {
	good := Curve{Name: "m", Label: []float64{0, 1}, Prob: []float64{0.2, 0.7}}
	tests := []struct {
		name   string
		curves []Curve
		want   string // in the error; "" for none
	}{
		{"good", []Curve{good}, ""},
		{"boundaries", []Curve{{Name: "m", Label: []float64{0, 1}, Prob: []float64{0, 1}}}, ""},
		{"no curves", nil, "no curves"},
		{"no name", []Curve{good, {Label: good.Label, Prob: good.Prob}}, `curve 1 (""): no name`},
		{"no rows", []Curve{{Name: "m"}}, "no rows"},
		{"lengths differ", []Curve{{Name: "m", Label: []float64{0, 1}, Prob: []float64{0.5}}}, "2 labels but 1 probabilities"},
		{"label not 0 or 1", []Curve{{Name: "m", Label: []float64{0, 2}, Prob: []float64{0.2, 0.7}}}, "label 1 is 2"},
		{"NaN probability", []Curve{{Name: "m", Label: []float64{0, 1}, Prob: []float64{math.NaN(), 0.7}}}, "probability 0 is NaN"},
		{"probability above 1", []Curve{{Name: "m", Label: []float64{0, 1}, Prob: []float64{0.2, 1.5}}}, "probability 1 is 1.5"},
		{"negative probability", []Curve{{Name: "m", Label: []float64{0, 1}, Prob: []float64{-0.1, 0.5}}}, "probability 0 is -0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, checkCurves(tt.curves), tt.want)
		})
	}
}

// FuzzCurves builds a curve from arbitrary bytes, each giving a label
// (its low bit) and a probability (its other bits, so that ties are
// common), and checks the invariants of the curves and their thinning.
func FuzzCurves(f *testing.F) {
	f.Add([]byte{0, 1})
	f.Add([]byte{0x11, 0x10, 0x21, 0xff, 0xfe, 0x10, 0x11})
	f.Add([]byte(strings.Repeat("churn", 300)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Curve{Name: "fuzz"}
		for _, b := range data {
			c.Label = append(c.Label, float64(b&1))
			c.Prob = append(c.Prob, float64(b>>1)/127)
		}
		if checkCurves([]Curve{c}) != nil {
			return
		}
		if roc, err := c.rocCurve(); err == nil {
			if got, want := trapezoid(roc), metrics.ROCAUC(c.Label, c.Prob); math.Abs(got-want) > 1e-9 {
				t.Errorf("area under ROC curve = %v, metrics.ROCAUC = %v", got, want)
			}
			assertUnitPath(t, "ROC", roc)
			for _, limit := range []int{2, 3, 17, maxPoints} {
				thin := downsample(roc, limit)
				if len(thin) > limit {
					t.Errorf("downsample to %d kept %d points", limit, len(thin))
				}
				assertUnitPath(t, "ROC downsampled", thin)
				assertSubsequence(t, thin, roc)
			}
		}
		if gains, err := c.gainsCurve(); err == nil {
			assertUnitPath(t, "gains", gains)
			assertUnitPath(t, "gains downsampled", downsample(gains, 7))
		}
	})
}

func BenchmarkROCCurve(b *testing.B) {
	c := synthetic("bench", 500_000, 1, 1.5)
	b.ReportAllocs()
	for b.Loop() {
		xys, err := c.rocCurve()
		if err != nil {
			b.Fatal(err)
		}
		downsample(xys, maxPoints)
	}
}

// synthetic returns n rows of a model whose churn log-odds follow a latent
// risk with the given strength, plus noise, about 8% of accounts churning:
// the stronger the model, the better it ranks and the more overconfident. The
// probabilities are rounded to 1/1000 so that, as with a tree model's
// scores, many rows tie.
func synthetic(name string, n int, seed uint64, strength float64) Curve {
	rng := rand.New(rand.NewPCG(seed, 0x636875726e))
	c := Curve{Name: name, Label: make([]float64, n), Prob: make([]float64, n)}
	for i := range n {
		risk := rng.NormFloat64()
		if rng.Float64() < sigmoid(-2.8+1.2*risk) {
			c.Label[i] = 1
		}
		c.Prob[i] = math.Round(1000*sigmoid(-2.8+strength*risk+0.8*rng.NormFloat64())) / 1000
	}
	return c
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// trapezoid returns the area under the path xys.
func trapezoid(xys plotter.XYs) float64 {
	var area float64
	for i := 1; i < len(xys); i++ {
		area += (xys[i].X - xys[i-1].X) * (xys[i].Y + xys[i-1].Y) / 2
	}
	return area
}

func assertXYs(t *testing.T, got, want plotter.XYs) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d points %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if math.Abs(got[i].X-want[i].X) > 1e-12 || math.Abs(got[i].Y-want[i].Y) > 1e-12 {
			t.Errorf("point %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// assertUnitPath checks that xys runs from (0, 0) to (1, 1) without ever
// stepping down or left.
func assertUnitPath(t *testing.T, name string, xys plotter.XYs) {
	t.Helper()
	first, last := xys[0], xys[len(xys)-1]
	if first != (plotter.XY{}) || last != (plotter.XY{X: 1, Y: 1}) {
		t.Errorf("%s runs from %v to %v, want (0, 0) to (1, 1)", name, first, last)
	}
	for i := 1; i < len(xys); i++ {
		if xys[i].X < xys[i-1].X || xys[i].Y < xys[i-1].Y {
			t.Fatalf("%s steps back from %v to %v at point %d", name, xys[i-1], xys[i], i)
		}
	}
}

// assertSubsequence checks that sub is xys with points left out.
func assertSubsequence(t *testing.T, sub, xys plotter.XYs) {
	t.Helper()
	j := 0
	for _, xy := range sub {
		for j < len(xys) && xys[j] != xy {
			j++
		}
		if j == len(xys) {
			t.Fatalf("%v is not a point of the path, or out of order", xy)
		}
		j++
	}
}

// assertError checks that err holds want, or is nil when want is empty.
func assertError(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q does not contain %q", err, want)
	}
}
