package metrics

import (
	"testing"
)

func TestCalibration(t *testing.T) {
	tests := []struct {
		name string
		y, p []float64
		bins int
		want []CalibrationBin
	}{
		// Sorted: 0.1− 0.2− | 0.3− 0.4+ | 0.5− 0.6− | 0.7+ 0.8+ | 0.9+ 1+.
		{
			"even bins",
			[]float64{1, 0, 0, 1, 0, 0, 1, 1, 0, 1},
			[]float64{0.9, 0.1, 0.3, 0.7, 0.5, 0.2, 0.4, 0.8, 0.6, 1},
			5,
			[]CalibrationBin{
				{0.1, 0.2, 2, 0.15, 0},
				{0.3, 0.4, 2, 0.35, 0.5},
				{0.5, 0.6, 2, 0.55, 0},
				{0.7, 0.8, 2, 0.75, 1},
				{0.9, 1, 2, 0.95, 1},
			},
		},
		// 7 rows in 3 bins end after rows ⌊7/3⌋ = 2, ⌊14/3⌋ = 4 and 7.
		{
			"uneven bins",
			[]float64{0, 0, 1, 0, 1, 1, 1},
			[]float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7},
			3,
			[]CalibrationBin{
				{0.1, 0.2, 2, 0.15, 0},
				{0.3, 0.4, 2, 0.35, 0.5},
				{0.5, 0.7, 3, 0.6, 1},
			},
		},
		// The first bin should end after row 2, inside the run of 0.2s;
		// it takes the whole run instead (4 rows, mean 0.7/4), which
		// leaves the second bin, due to end after row 4, empty.
		{
			"tie crosses a boundary",
			[]float64{0, 1, 0, 0, 1, 1},
			[]float64{0.1, 0.2, 0.2, 0.2, 0.5, 0.6},
			3,
			[]CalibrationBin{
				{0.1, 0.2, 4, 0.175, 0.25},
				{0.5, 0.6, 2, 0.55, 1},
			},
		},
		{
			"more bins than rows",
			[]float64{0, 1},
			[]float64{0.3, 0.6},
			10,
			[]CalibrationBin{{0.3, 0.3, 1, 0.3, 0}, {0.6, 0.6, 1, 0.6, 1}},
		},
		{"all equal", []float64{0, 1, 1, 0}, []float64{0.4, 0.4, 0.4, 0.4}, 3, []CalibrationBin{{0.4, 0.4, 4, 0.4, 0.5}}},
		{"no bins", []float64{0, 1}, []float64{0.3, 0.6}, 0, nil},
		{"probability above 1", []float64{0, 1}, []float64{0.3, 1.6}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Calibration(tt.y, tt.p, tt.bins)
			if !sameBins(got, tt.want) {
				t.Errorf("Calibration = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func sameBins(a, b []CalibrationBin) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if a[i].Rows != b[i].Rows || a[i].Lo != b[i].Lo || a[i].Hi != b[i].Hi ||
			!near(a[i].MeanPredicted, b[i].MeanPredicted, 1e-12) ||
			!near(a[i].ObservedRate, b[i].ObservedRate, 1e-12) {
			return false
		}
	}
	return true
}
