package main

import (
	"runtime/debug"
	"testing"
)

// TestTightenGC checks that features and train lower the collector's
// target to tightGC, unless GOGC sets one.
func TestTightenGC(t *testing.T) {
	for _, c := range []struct {
		gogc string
		want int
	}{{"", tightGC}, {"100", 100}, {"off", 100}} {
		t.Setenv("GOGC", c.gogc)
		old := debug.SetGCPercent(100)
		tightenGC()
		if got := debug.SetGCPercent(old); got != c.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", c.gogc, got, c.want)
		}
	}
}
