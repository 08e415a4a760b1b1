package plots

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"slices"
	"testing"
)

// chart is one of the package's charts, over a shared set of curves.
type chart struct {
	name   string
	draw   func(w io.Writer, curves []Curve) error
	height int // pixels
}

var charts = []chart{
	{"ROC", ROC, 384},
	{"Lift", Lift, 384},
	{"Calibration", func(w io.Writer, curves []Curve) error { return Calibration(w, curves, 10) }, 384},
	{"Importance", func(w io.Writer, curves []Curve) error {
		names := make([]string, len(curves))
		meanAbs := make([]float64, len(curves))
		for i, c := range curves {
			names[i], meanAbs[i] = c.Name, float64(i+1)
		}
		return Importance(w, "Importance", names, meanAbs, len(curves))
	}, 384},
}

// TestChartsWritePNG checks that each chart is a 6×4-inch PNG at 96 dots
// per inch that draws each model in its own colour. An importance chart,
// which has one colour, stands in a bar per model.
func TestChartsWritePNG(t *testing.T) {
	curves := []Curve{
		synthetic("logistic", 5000, 1, 1.5),
		synthetic("gbm", 5000, 2, 2.5),
		synthetic("tree", 5000, 3, 0.8),
	}
	for _, ch := range charts {
		t.Run(ch.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := ch.draw(&buf, curves); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if got, want := img.Bounds().Size(), (image.Point{X: 576, Y: ch.height}); got != want {
				t.Errorf("size %v, want %v", got, want)
			}
			models := len(curves)
			if ch.name == "Importance" {
				models = 1
			}
			for i := range models {
				if n := countColor(img, SeriesColor(i)); n < 50 {
					t.Errorf("model %d's colour has %d pixels, want at least 50", i, n)
				}
			}
		})
	}
}

func TestChartErrors(t *testing.T) {
	good := synthetic("good", 100, 1, 1)
	stayers := Curve{Name: "stayers", Label: []float64{0, 0}, Prob: []float64{0.1, 0.2}}
	short := Curve{Name: "short", Label: []float64{0, 1}, Prob: []float64{0.1}}
	tests := []struct {
		name   string
		curves []Curve
		want   map[string]string // chart name to error; missing for none
	}{
		{"no curves", nil, map[string]string{
			"ROC": "no curves", "Lift": "no curves", "Calibration": "no curves",
		}},
		{"mismatched lengths", []Curve{good, short}, map[string]string{
			"ROC":         `curve 1 ("short"): 2 labels but 1 probabilities`,
			"Lift":        `curve 1 ("short"): 2 labels but 1 probabilities`,
			"Calibration": `curve 1 ("short"): 2 labels but 1 probabilities`,
		}},
		{"no churners", []Curve{stayers}, map[string]string{
			"ROC":  `curve 0 ("stayers"): a ROC curve needs both churners and non-churners`,
			"Lift": `curve 0 ("stayers"): a gains curve needs at least one churner`,
		}},
	}
	for _, tt := range tests {
		for _, ch := range charts[:3] {
			t.Run(tt.name+"/"+ch.name, func(t *testing.T) {
				var buf bytes.Buffer
				assertError(t, ch.draw(&buf, tt.curves), tt.want[ch.name])
			})
		}
	}
	t.Run("no calibration bins", func(t *testing.T) {
		assertError(t, Calibration(io.Discard, []Curve{good}, 0), "0 calibration bins")
	})
}

// TestCalibrationAxes checks that calibration's axes do not collapse when
// every probability and outcome is zero.
func TestCalibrationAxes(t *testing.T) {
	zeros := Curve{Name: "zeros", Label: []float64{0, 0, 0}, Prob: []float64{0, 0, 0}}
	var buf bytes.Buffer
	if err := Calibration(&buf, []Curve{zeros}, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
}

func TestImportance(t *testing.T) {
	names := []string{"logins", "frequency", "recency_days", "sla_breaches", "overdue_invoices"}
	tests := []struct {
		name    string
		names   []string
		meanAbs []float64
		n       int
		height  int // pixels; 0 when an error is wanted
		want    string
	}{
		{"top 3 of 5", names, []float64{0.2, 0.05, 0.4, 0.1, 0.3}, 3, 384, ""},
		{"n beyond the features", names, []float64{0.2, 0.05, 0.4, 0.1, 0.3}, 50, 384, ""},
		{"all zero", names[:2], []float64{0, 0}, 2, 384, ""},
		{"huge", names[:2], []float64{math.MaxFloat64, 1}, 2, 384, ""},
		{"tall for many features", manyNames(30), make([]float64, 30), 30, 840, ""},
		{"lengths differ", names, []float64{1}, 3, 0, "5 feature names but 1 importances"},
		{"no features", nil, nil, 3, 0, "no features"},
		{"n below 1", names[:1], []float64{1}, 0, 0, "top 0 features"},
		{"negative", names[:2], []float64{1, -1}, 2, 0, `importance of "frequency" is -1`},
		{"NaN", names[:2], []float64{math.NaN(), 1}, 2, 0, `importance of "logins" is NaN`},
		{"infinite", names[:2], []float64{math.Inf(1), 1}, 2, 0, `importance of "logins" is +Inf`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Importance(&buf, "Importance", tt.names, tt.meanAbs, tt.n)
			assertError(t, err, tt.want)
			if err != nil {
				return
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if got, want := img.Bounds().Size(), (image.Point{X: 576, Y: tt.height}); got != want {
				t.Errorf("size %v, want %v", got, want)
			}
			if countColor(img, SeriesColor(0)) == 0 && tt.meanAbs[0] != 0 {
				t.Error("no bar drawn")
			}
		})
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0%"},
		{0.07, "7%"},
		{0.005, "0.5%"},
		{0.1234, "12.34%"},
		{1, "100%"},
	}
	for _, tt := range tests {
		if got := percent(tt.v); got != tt.want {
			t.Errorf("percent(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func BenchmarkROC(b *testing.B) {
	curves := []Curve{synthetic("a", 500_000, 1, 1.5), synthetic("b", 500_000, 2, 2)}
	b.ReportAllocs()
	for b.Loop() {
		if err := ROC(io.Discard, curves); err != nil {
			b.Fatal(err)
		}
	}
}

func manyNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "extra_signal_" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	return names
}

// countColor counts the pixels of img that are exactly c, which only a
// model's own line or bar draws: anti-aliased edges blend into other
// colours, and the frame, text and grid are grey.
func countColor(img image.Image, c color.Color) int {
	r, g, b, a := c.RGBA()
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, pa := img.At(x, y).RGBA()
			if pr == r && pg == g && pb == b && pa == a {
				n++
			}
		}
	}
	return n
}

func TestRoundTicks(t *testing.T) {
	tests := []struct {
		name   string
		ticks  RoundTicks
		lo, hi float64
		want   []string // labels of the major ticks
		minor  int
	}{
		{"unit", RoundTicks{}, 0, 1, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}, 5},
		{"unit in percent", RoundTicks{Percent: true}, 0, 1, []string{"0%", "20%", "40%", "60%", "80%", "100%"}, 5},
		{"calibration", RoundTicks{Percent: true}, 0, 0.86, []string{"0%", "20%", "40%", "60%", "80%"}, 4},
		{"small shares", RoundTicks{Percent: true}, 0, 0.033, []string{"0%", "1%", "2%", "3%"}, 3},
		{"steps of 2.5", RoundTicks{}, 0, 0.11, []string{"0", "0.025", "0.05", "0.075", "0.1"}, 4},
		{"off zero", RoundTicks{}, 0.13, 0.97, []string{"0.2", "0.4", "0.6", "0.8"}, 4},
		{"huge", RoundTicks{}, 0, math.MaxFloat64, []string{"0", "5e+307", "1e+308", "1.5e+308"}, 4},
		// 150% goes unlabelled, so it counts with the minor ticks.
		{"labels up to 100%", RoundTicks{Percent: true, LabelMax: 1}, 0, 1.6, []string{"0%", "50%", "100%"}, 4},
		{"empty range", RoundTicks{}, 1, 1, nil, 0},
		{"reversed range", RoundTicks{}, 1, 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var labels []string
			minor := 0
			for _, tk := range tt.ticks.Ticks(tt.lo, tt.hi) {
				if tk.Value < tt.lo || tk.Value > tt.hi*(1+1e-12) {
					t.Errorf("tick %v outside [%v, %v]", tk.Value, tt.lo, tt.hi)
				}
				if tk.IsMinor() {
					minor++
				} else {
					labels = append(labels, tk.Label)
				}
			}
			if !slices.Equal(labels, tt.want) || minor != tt.minor {
				t.Errorf("labels %q and %d minor ticks, want %q and %d", labels, minor, tt.want, tt.minor)
			}
		})
	}
}
