package main

import (
	"runtime/debug"
	"testing"
)

// TestTightenGC checks that tightenGC lowers the collector's target,
// unless GOGC sets one.
func TestTightenGC(t *testing.T) {
	for _, c := range []struct {
		gogc string
		want int
	}{{"", bookGC}, {"100", 100}, {"off", 100}} {
		t.Setenv("GOGC", c.gogc)
		old := debug.SetGCPercent(100)
		tightenGC(bookGC)
		if got := debug.SetGCPercent(old); got != c.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", c.gogc, got, c.want)
		}
	}
}
