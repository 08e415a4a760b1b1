package gbm

import (
	"sync"
	"sync/atomic"
)

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

// eachBlock calls fn(w, blk) for every block of rows, on b.workers
// goroutines that take the blocks one at a time as they finish the one
// before, each calling start(w) first when start is not nil. The work of
// a block varies with the rows of the nodes in it, and fixed shares of
// the blocks left one worker waiting for the other. Whichever worker
// takes a block, the sums come out the same: they are integers, or kept
// per block.
func (b *booster) eachBlock(start func(w int), fn func(w, blk int)) {
	var next atomic.Int64
	n := int64(len(b.rowCount))
	parallel(b.workers, func(w int) {
		if start != nil {
			start(w)
		}
		for blk := next.Add(1) - 1; blk < n; blk = next.Add(1) - 1 {
			fn(w, int(blk))
		}
	})
}
