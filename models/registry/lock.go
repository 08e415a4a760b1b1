package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lock takes the registry's exclusive lock, waiting for another holder
// (another goroutine or process) until ctx ends, and returns its release.
// flock locks belong to the open file, so two opens in one process
// exclude each other as two processes do, and the kernel drops the lock
// of a process that dies.
func (r *Registry) lock(ctx context.Context) (unlock func(), err error) {
	path := r.path(lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("registry %s: lock: %w", r.dir, err)
	}
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("registry %s: lock %s: %w", r.dir, path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("registry %s: waiting for another promotion to finish: %w", r.dir, context.Cause(ctx))
		case <-time.After(wait):
		}
	}
}
