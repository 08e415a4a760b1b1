package gbm

import (
	"math"
	"testing"
)

func TestPackExtremes(t *testing.T) {
	for _, rows := range []int{1, 1000, 600_000, math.MaxInt32} {
		s := newGradScale(rows, 1)
		tests := []struct{ g, h float64 }{{1, 0.25}, {-1, 0.25}, {-1, 0}, {1, 0}, {0, 0}}
		for _, tt := range tests {
			// Every row at the extreme must still decode exactly: the
			// halves may not spill into each other.
			var sum int64
			x := s.pack(tt.g, tt.h, 0, 0)
			for range min(rows, 1000) {
				sum += x
			}
			gq, hq := unpack(x)
			sg, sh := unpack(sum)
			if k := int64(min(rows, 1000)); sg != k*gq || sh != k*hq {
				t.Errorf("rows %d: sum of %d x (%v, %v) decodes to (%d, %d), want (%d, %d)",
					rows, k, tt.g, tt.h, sg, sh, k*gq, k*hq)
			}
			// The largest sums Fit can form, every row at the extreme.
			big := int64(rows) * x
			bg, bh := unpack(big)
			if bg != int64(rows)*gq || bh != int64(rows)*hq {
				t.Errorf("rows %d: sum of all rows at (%v, %v) does not decode", rows, tt.g, tt.h)
			}
		}
	}
}

func TestPackUnbiased(t *testing.T) {
	s := newGradScale(600_000, 7)
	// Values a third of a unit past a whole number of units: rounding
	// to nearest would be off by a third of a unit on every row.
	g := (-100 + 1.0/3) / s.g
	h := (40 + 1.0/3) / s.h
	const n = 100_000
	var sum int64
	for r := range n {
		sum += s.pack(g, h, 5, r)
	}
	gs, hs := s.value(sum)
	// The dither's error over n rows has a standard deviation below
	// sqrt(n)/2 units.
	tol := 3 * math.Sqrt(n) / 2
	if d := math.Abs(gs-n*g) * s.g; d > tol {
		t.Errorf("gradient sum off by %.1f units, want within %.1f", d, tol)
	}
	if d := math.Abs(hs-n*h) * s.h; d > tol {
		t.Errorf("hessian sum off by %.1f units, want within %.1f", d, tol)
	}
	if a, b := s.pack(g, h, 1, 2), s.pack(g, h, 1, 2); a != b {
		t.Error("pack is not deterministic")
	}
}
