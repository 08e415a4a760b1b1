package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
)

// startCPUProfile profiles the command's CPU time into the file that
// CHURN_CPUPROFILE names, if it names one, until the returned function
// is called. Like CHURN_MEMPROFILE it is for benchmarking.
func startCPUProfile(e *env) func() {
	path := os.Getenv("CHURN_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: CHURN_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// writeMemProfile writes the heap profile to the file that
// CHURN_MEMPROFILE names, if it names one, as a command ends: its
// alloc_space view says which code allocated the most over the run, the
// first place to look when a step's peak RSS grows (go tool pprof
// -sample_index=alloc_space bin/churn FILE). It is for benchmarking,
// not documented in the usage.
func writeMemProfile(e *env) {
	path := os.Getenv("CHURN_MEMPROFILE")
	if path == "" {
		return
	}
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: CHURN_MEMPROFILE: %v\n", err)
	}
}

// The garbage collector's targets for the commands that hold a large
// table while they make garbage: the heap may grow by that share of what
// is live before a collection, not by all of it (Go's default,
// GOGC=100), which let churn train's peak RSS reach twice its live data.
// Collections cost little here: the big slices hold no pointers to scan.
const (
	// tightGC is for features and train, whose learners make garbage
	// throughout.
	tightGC = 25
	// bookGC is for score and serve, whose peak is where each account's
	// latest feature row and the history it was built from are live, and
	// the book starts beside them; the build makes garbage only as it
	// reads. At 100k accounts churn score peaks at 0.39 GB instead of
	// 0.44 GB at 25, 5% slower.
	bookGC = 10
)

// tightenGC sets the collector's target to percent unless GOGC says
// otherwise.
func tightenGC(percent int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}
