package gbm

import "sync"

// parallel calls fn(0), ..., fn(n-1) concurrently and waits for them;
// fn(0) runs on the calling goroutine.
func parallel(n int, fn func(w int)) {
	var wg sync.WaitGroup
	for w := 1; w < n; w++ {
		wg.Go(func() { fn(w) })
	}
	fn(0)
	wg.Wait()
}

// parallelRange splits [0, n) into the given number of contiguous
// ranges and calls fn on each concurrently.
func parallelRange(workers, n int, fn func(lo, hi int)) {
	workers = max(1, min(workers, n))
	parallel(workers, func(w int) {
		fn(w*n/workers, (w+1)*n/workers)
	})
}
