package serve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the HTTP server. Reads are short because every request
// body is small; writes allow for a full ranking or a large batch on a
// slow link; shutdown allows in-flight requests, reloads included, to
// finish.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 30 * time.Second
	maxHeaderBytes    = 64 << 10
)

// ListenAndServe listens on addr (host:port) and serves as Serve does.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, then shuts down gracefully and
// returns nil; it closes ln. Shutting down goes in three steps, so that
// neither a load balancer nor a keep-alive client sees a request fail:
//
//  1. readiness (/readyz, /v2/health/ready) answers 503 "draining", and
//     every response asks its client to close the connection, while the
//     server keeps serving for Config.Drain, time for load balancers to
//     take it out of rotation;
//  2. the listener closes and idle connections are closed;
//  3. requests in flight get up to 30 seconds to finish.
//
// Serve handles no signals: the caller maps them to ctx and to Reload.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      cmp.Or(s.writeTimeout, writeTimeout),
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "model_version", s.ModelVersion())
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		return s.shutdown(ctx, srv, done)
	}
}

// shutdown drains srv as Serve describes.
func (s *Server) shutdown(ctx context.Context, srv *http.Server, done <-chan error) error {
	s.draining.Store(true)
	// From now on every response carries "Connection: close": a client
	// reconnects for its next request, through a load balancer that no
	// longer routes to us, instead of finding its idle connection gone.
	srv.SetKeepAlivesEnabled(false)
	s.log.Info("shutting down: draining", "drain", s.cfg.Drain, "grace", shutdownTimeout)
	select {
	case <-time.After(s.cfg.Drain):
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	}
	// ctx is already done: the grace period needs a deadline of its own.
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(grace)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}
