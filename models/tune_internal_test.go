package models

import (
	"math/rand/v2"
	"testing"
)

// TestSearchSpaceDraws checks that every draw lies in its range, is
// accepted by its learner, and keeps what is not searched (seed, class
// weights), for the default space and a narrow one.
func TestSearchSpaceDraws(t *testing.T) {
	narrow := DefaultSearchSpace()
	narrow.Depth, narrow.Trees, narrow.Subsample = [2]int{3, 3}, [2]int{5, 5}, [2]float64{1, 1}
	for _, tt := range []struct {
		name  string
		space SearchSpace
	}{{"default", DefaultSearchSpace()}, {"narrow", narrow}} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.space.check(); err != nil {
				t.Fatal(err)
			}
			var p Params
			p.GBM.Seed, p.Logistic.Balanced = 42, true
			base, err := defaultTrial(p)
			if err != nil {
				t.Fatal(err)
			}
			s := tt.space
			for i := range 2000 {
				d := s.draw(rand.New(rand.NewPCG(1, uint64(i))), base)
				g, l := d.GBM, d.Logistic
				in := func(v float64, r [2]float64) bool { return v >= r[0] && v <= r[1] }
				if g.Depth < s.Depth[0] || g.Depth > s.Depth[1] || g.Trees < s.Trees[0] || g.Trees > s.Trees[1] ||
					!in(g.LearningRate, s.LearningRate) || !in(g.MinChildWeight, s.MinChildWeight) ||
					!in(g.Lambda, s.Lambda) || !in(g.Subsample, s.Subsample) || !in(g.ColSample, s.ColSample) ||
					!in(l.L2, s.L2) {
					t.Fatalf("draw %d out of the space: %+v %+v", i, g, l)
				}
				if _, err := g.WithDefaults(); err != nil {
					t.Fatalf("draw %d: %v", i, err)
				}
				if g.Seed != 42 || !l.Balanced || g.EarlyStopping != 0 {
					t.Fatalf("draw %d lost a setting not searched: %+v %+v", i, g, l)
				}
			}
			if base.GBM.Depth != 4 {
				t.Errorf("a draw changed the defaults it started from: %+v", base.GBM)
			}
		})
	}
}
