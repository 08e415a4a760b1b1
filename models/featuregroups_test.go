package models

import (
	"math"
	"slices"
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

func TestLeaveOut(t *testing.T) {
	groups := []GroupResult{
		{Group: "base", Helps: true},
		{Group: "lifetime", Difference: 0.0003},
		{Group: "baseline", Difference: -0.0020},
		{Group: "per-seat", Difference: 0.004, Helps: true},
	}
	for _, tc := range []struct {
		name  string
		joint []float64
		want  []string
	}{
		{"together free", []float64{0.0002, -0.0001, 0.0004}, []string{"lifetime", "baseline"}},
		// A mean loss of 0.0047 whose folds spread wide: their standard
		// error (0.0052) would pass it, the mean does not.
		{"together costly", []float64{0.015, 0, -0.001}, []string{"baseline"}},
	} {
		if got := leaveOut(groups, tc.joint); !slices.Equal(got, tc.want) {
			t.Errorf("%s: left out %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := leaveOut(groups[:2], nil); !slices.Equal(got, []string{"lifetime"}) {
		t.Errorf("one candidate: left out %v", got)
	}
	if got := leaveOut(groups[3:], nil); got != nil {
		t.Errorf("every group helps: left out %v", got)
	}
}
