package metrics

import (
	"math"
	"testing"
)

func TestLogLoss(t *testing.T) {
	top := 1 - 1e-15 // a variable, so that it is rounded to float64
	tests := []struct {
		name string
		y, p []float64
		want float64
	}{
		// −(ln 0.8 + ln(1−0.4))/2 = (0.2231 + 0.5108)/2 ≈ 0.3670.
		{"two rows", []float64{1, 0}, []float64{0.8, 0.4}, -(math.Log(0.8) + math.Log(0.6)) / 2},
		// Both rows certain and wrong. The positive costs −ln(1e-15) =
		// 15 ln 10 ≈ 34.539; the negative −ln(1 − (1−1e-15)), a little
		// more, because 1−1e-15 rounds down in float64.
		{"clipped mistakes", []float64{1, 0}, []float64{0, 1}, (15*math.Ln10 - math.Log(1-top)) / 2},
		// Certain and right: −ln(1 − 1e-15) ≈ 1e-15, not exactly 0.
		{"clipped hits", []float64{1, 0}, []float64{1, 0}, 1e-15},
		{"probability above 1", []float64{1, 0}, []float64{1.2, 0.4}, math.NaN()},
		{"negative probability", []float64{1, 0}, []float64{0.8, -0.1}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LogLoss(tt.y, tt.p); !near(got, tt.want, 1e-12) {
				t.Errorf("LogLoss = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBrier(t *testing.T) {
	tests := []struct {
		name string
		y, p []float64
		want float64
	}{
		// (0.2² + 0.4² + 0.5²)/3 = (0.04 + 0.16 + 0.25)/3 = 0.15.
		{"three rows", []float64{1, 0, 1}, []float64{0.8, 0.4, 0.5}, 0.15},
		{"perfect", []float64{1, 0}, []float64{1, 0}, 0},
		{"certain and wrong", []float64{1, 0}, []float64{0, 1}, 1},
		{"probability above 1", []float64{1, 0}, []float64{1.5, 0.4}, math.NaN()},
		{"infinite probability", []float64{1, 0}, []float64{math.Inf(1), 0.4}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Brier(tt.y, tt.p); !near(got, tt.want, 1e-12) {
				t.Errorf("Brier = %v, want %v", got, tt.want)
			}
		})
	}
}
