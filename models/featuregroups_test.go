package models

import (
	"math"
	"testing"
)

func TestPairedDifference(t *testing.T) {
	for _, tc := range []struct {
		name        string
		d           []float64
		mean, noise float64
	}{
		{"one fold: the floor", []float64{0.003}, 0.003, GroupNoiseFloor},
		{"steady gain: the floor", []float64{0.002, 0.002, 0.002}, 0.002, GroupNoiseFloor},
		// sd 0.004 (n-1), standard error 0.004/sqrt(3).
		{"spread", []float64{0.004, 0, -0.004}, 0, 0.004 / math.Sqrt(3)},
		{"none", nil, 0, GroupNoiseFloor},
	} {
		mean, noise := pairedDifference(tc.d)
		if math.Abs(mean-tc.mean) > 1e-12 || math.Abs(noise-tc.noise) > 1e-12 {
			t.Errorf("%s: mean %v noise %v, want %v %v", tc.name, mean, noise, tc.mean, tc.noise)
		}
	}
}
