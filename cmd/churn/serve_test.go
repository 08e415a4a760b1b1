package main

import (
	"context"
	"io"
	"log/slog"
	"net"
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

// cliServer is a "churn serve" a test runs in-process on a free port of
// the loopback, so it can talk to the command as a user's client would.
type cliServer struct {
	url    string // http:// and the server's address
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
	code   int
	ended  bool
}

// startServe runs "churn serve" with args and --addr on a free port. It is
// stopped at the end of the test if the test has not stopped it.
func startServe(t *testing.T, args ...string) *cliServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the port is free again for "churn serve" to take
	ctx, cancel := context.WithCancel(context.Background())
	s := &cliServer{url: "http://" + addr, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- run(ctx, &env{stdout: io.Discard, stderr: s.stderr}, append([]string{"serve", "--addr", addr}, args...))
	}()
	t.Cleanup(func() { s.stop() })
	return s
}

// stop cancels the server, as SIGTERM would, and returns its exit code;
// a second call returns the same code.
func (s *cliServer) stop() int {
	if !s.ended {
		s.cancel()
		s.code, s.ended = <-s.done, true
	}
	return s.code
}
