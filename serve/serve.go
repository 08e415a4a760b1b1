package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
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

// Serve listens on addr (host:port) and serves until ctx is done, then
// shuts down gracefully: it stops accepting connections, reports not
// ready, and waits for in-flight requests to finish. SIGHUP reloads the
// model and snapshots, as Reload does. Serve returns nil after a clean
// shutdown.
func (s *Server) Serve(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener is Serve on a listener the caller opened, such as one on
// port 0 whose address the caller needs to know. It closes ln.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return s.serve(ctx, ln, hup)
}

// serve runs the HTTP server on ln, reloading on every value from hup.
func (s *Server) serve(ctx context.Context, ln net.Listener, hup <-chan os.Signal) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "model_version", s.ModelVersion())
	for {
		select {
		case err := <-done:
			return fmt.Errorf("serve: %w", err)
		case <-hup:
			s.log.Info("SIGHUP: reloading the model and snapshots")
			// Reload logs its own outcome; a rejected reload leaves the
			// server serving, so there is nothing more to do here.
			_ = s.Reload(ctx)
		case <-ctx.Done():
			return s.shutdown(ctx, srv, done)
		}
	}
}

// shutdown stops srv gracefully, draining in-flight requests.
func (s *Server) shutdown(ctx context.Context, srv *http.Server, done <-chan error) error {
	s.draining.Store(true)
	s.log.Info("shutting down: draining in-flight requests", "grace", shutdownTimeout)
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
