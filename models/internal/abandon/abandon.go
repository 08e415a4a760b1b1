// Package abandon runs work that does not look at a context (binning or
// standardising millions of rows, a third-party fit) so that a cancelled
// command need not wait for it.
package abandon

import "context"

// Run runs work in a goroutine of its own and returns its result, or
// ctx's error as soon as ctx is done, without waiting for work: its
// result is then dropped when it ends.
func Run[T any](ctx context.Context, work func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned work does not block
	go func() {
		v, err := work()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
