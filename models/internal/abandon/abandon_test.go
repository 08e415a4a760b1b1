package abandon

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRun cancels work that never ends on its own: Run must return the
// cancellation, not wait for the work, however fast the machine is.
func TestRun(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan error, 1)
	go func() {
		_, err := Run(ctx, func() (int, error) {
			<-release // the work ends only with the test
			return 1, nil
		})
		returned <- err
	}()
	cancel()
	select {
	case err := <-returned:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run waited for the work after ctx was cancelled")
	}
}

// TestRunResult: work that ends first gives its own result and error.
func TestRunResult(t *testing.T) {
	if v, err := Run(context.Background(), func() (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Errorf("Run = %d, %v, want 7, nil", v, err)
	}
	bad := errors.New("bad")
	if _, err := Run(context.Background(), func() (int, error) { return 0, bad }); err != bad {
		t.Errorf("Run = %v, want the work's error", err)
	}
}
