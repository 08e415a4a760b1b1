package metrics

import (
	"fmt"
	"math"
	"testing"
)

// liftY and liftP are 20 rows with 5 positives (base rate ¼). By score the
// ranking is row 3 (0.95, +), then the tie at 0.90 in index order: rows 1
// (−), 4 (+), 7 (−); then 6 (0.80), 11 (0.75), 16 (0.70), 13 (0.65), 5
// (0.60, +), 9 (0.55, +), … 14 (0.15, +).
var (
	liftY = []float64{0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}
	liftP = []float64{
		0.30, 0.90, 0.05, 0.95, 0.90, 0.60, 0.80, 0.90, 0.10, 0.55,
		0.50, 0.75, 0.20, 0.65, 0.15, 0.45, 0.70, 0.40, 0.35, 0.25,
	}
)

func TestTopFraction(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		y, p []float64
		frac float64
		want Lift
	}{
		// Rows 3 and 1: the cut falls in the tie, and index order takes
		// the negative row 1 before the positive row 4. Precision ½,
		// lift ½ / ¼ = 2, capture 1 of 5.
		{"top decile", liftY, liftP, 0.1, Lift{0.1, 2, 1, 0.5, 2, 0.2}},
		// Rows 3, 1, 4: 2 positives. 2/3 ÷ ¼ = 8/3; 2 of 5.
		{"top 15%", liftY, liftP, 0.15, Lift{0.15, 3, 2, 2.0 / 3, 8.0 / 3, 0.4}},
		// Rows 3, 1, 4, 7, 6: 2 positives. 0.4 ÷ ¼ = 1.6.
		{"top quarter", liftY, liftP, 0.25, Lift{0.25, 5, 2, 0.4, 1.6, 0.4}},
		// The ten rows down to 9 hold positives 3, 4, 5, 9.
		{"top half", liftY, liftP, 0.5, Lift{0.5, 10, 4, 0.4, 1.6, 0.8}},
		// ⌈0.2⌉ = 1 row, the positive row 3: 1 ÷ ¼ = 4.
		{"rounds up", liftY, liftP, 0.01, Lift{0.01, 1, 1, 1, 4, 0.2}},
		{"everything", liftY, liftP, 1, Lift{1, 20, 5, 0.25, 1, 1}},
		// 0.1·30 is 3.0000000000000004 in float64; the top decile of 30
		// rows is still 3 rows.
		{"inexact fraction", make([]float64, 30), make([]float64, 30), 0.1, Lift{0.1, 3, 0, 0, nan, nan}},
		{"zero fraction", liftY, liftP, 0, Lift{0, 0, 0, nan, nan, nan}},
		{"fraction above 1", liftY, liftP, 1.5, Lift{1.5, 0, 0, nan, nan, nan}},
		{"NaN fraction", liftY, liftP, nan, Lift{nan, 0, 0, nan, nan, nan}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TopFraction(tt.y, tt.p, tt.frac)
			if !sameLift(got, tt.want) {
				t.Errorf("TopFraction(%v) = %+v, want %+v", tt.frac, got, tt.want)
			}
		})
	}
}

func sameLift(a, b Lift) bool {
	return a.Rows == b.Rows && a.Positives == b.Positives &&
		near(a.Fraction, b.Fraction, 0) && near(a.Precision, b.Precision, 1e-12) &&
		near(a.Lift, b.Lift, 1e-12) && near(a.Capture, b.Capture, 1e-12)
}

func ExampleTopFraction() {
	y := []float64{1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	p := []float64{0.9, 0.8, 0.1, 0.7, 0.3, 0.2, 0.2, 0.4, 0.1, 0.3}
	// The top 30% are the rows scored 0.9, 0.8 and 0.7: two of the three
	// are positives, against a base rate of one in five.
	top := TopFraction(y, p, 0.3)
	fmt.Printf("rows %d, positives %d, precision %.2f, lift %.2f, capture %.0f%%\n",
		top.Rows, top.Positives, top.Precision, top.Lift, 100*top.Capture)
	// Output: rows 3, positives 2, precision 0.67, lift 3.33, capture 100%
}
