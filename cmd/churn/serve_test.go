package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"
)

// countingReloader counts reloads and reports each on a channel.
type countingReloader chan struct{}

func (r countingReloader) Reload(context.Context) error {
	r <- struct{}{}
	return nil
}

// TestReloadOnSignal sends two SIGHUPs and expects two reloads, then
// cancels and expects the loop to end.
func TestReloadOnSignal(t *testing.T) {
	sig := make(chan os.Signal)
	r := make(countingReloader, 2)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		reloadOnSignal(ctx, sig, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	for range 2 {
		sig <- syscall.SIGHUP
		select {
		case <-r:
		case <-time.After(5 * time.Second):
			t.Fatal("no reload after SIGHUP")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not end with its context")
	}
}
