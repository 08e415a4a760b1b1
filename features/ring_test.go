package features

import (
	"slices"
	"testing"
)

// TestRing checks the queue of an account's latest rows: it keeps them
// oldest first through pushes, drops and wrap-arounds, its buffer is the
// size its pushes ask for (not rounded up to a power of two: a million
// accounts' rings are much of what Build holds), and take hands a full
// ring's own buffer over in order.
func TestRing(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size, keep int // ring size asked; rows kept (drop before push past it)
		pushes     int
		wantCap    int
	}{
		{"empty", 12, 12, 0, 0},
		{"part full", 12, 12, 5, 12},
		{"exactly full", 12, 12, 12, 12},
		{"wrapped", 12, 12, 31, 12},
		{"26 weeks", 26, 26, 104, 26},
		{"grows past its size", 4, 100, 9, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r ring[int]
			var want []int
			for v := range tc.pushes {
				if r.n == tc.keep {
					r.drop()
					want = want[1:]
				}
				r.push(v, tc.size)
				want = append(want, v)
			}
			if len(r.buf) != tc.wantCap {
				t.Errorf("buffer of %d rows, want %d", len(r.buf), tc.wantCap)
			}
			for i := range r.n {
				if got := *r.at(i); got != want[i] {
					t.Fatalf("at(%d) = %d, want %d", i, got, want[i])
				}
			}
			buf := r.buf
			got := r.take()
			if !slices.Equal(got, want) && len(want) > 0 {
				t.Errorf("take = %v, want %v", got, want)
			}
			if len(got) == len(buf) && len(got) > 0 && &got[0] != &buf[0] {
				t.Error("a full ring's take copied its buffer")
			}
			if r.n != 0 || r.buf != nil {
				t.Errorf("the ring holds %d rows after take", r.n)
			}
		})
	}
}
