package serve

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// accessLogQueue is how many access records may wait for the writer
// before new ones are dropped.
const accessLogQueue = 1024

// maxLoggedPath bounds the path an access record quotes: the path is
// the client's, up to the header limit, and must not bloat the log.
const maxLoggedPath = 256

// accessLog writes one JSON record per request without making requests
// wait for the writer. Records are formatted on the request's goroutine
// and queued; one goroutine writes them. When the queue is full, as when
// the writer is a pipe nobody reads, records are dropped and counted:
// an access log is not worth a stalled server.
type accessLog struct {
	log     *slog.Logger
	queue   chan []byte
	written chan struct{} // closed when the writer goroutine ends
	dropped prometheus.Counter
	close   sync.Once
}

func newAccessLog(w io.Writer, dropped prometheus.Counter) *accessLog {
	a := &accessLog{queue: make(chan []byte, accessLogQueue), written: make(chan struct{}), dropped: dropped}
	a.log = slog.New(slog.NewJSONHandler(queueWriter{a}, nil))
	go func() {
		defer close(a.written)
		for b := range a.queue {
			if b == nil {
				return
			}
			// A failed write has nowhere to be reported but this log.
			_, _ = w.Write(b)
		}
	}()
	return a
}

// record logs one answered request. The method must be sanitized.
func (a *accessLog) record(method, route, path string, status, size int, took time.Duration, remote string) {
	if len(path) > maxLoggedPath {
		path = path[:maxLoggedPath] + "..."
	}
	a.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("method", method),
		slog.String("route", route),
		slog.String("path", path),
		slog.Int("status", status),
		slog.Int("bytes", max(size, 0)),
		slog.Float64("duration", took.Seconds()),
		slog.String("remote_addr", remote))
}

// Close writes the queued records and stops the writer. Records logged
// afterwards are dropped once the queue fills.
func (a *accessLog) Close() {
	a.close.Do(func() {
		a.queue <- nil
		<-a.written
	})
}

// queueWriter is the JSON handler's writer: it queues a copy of each
// record, since the handler reuses its buffer.
type queueWriter struct{ a *accessLog }

func (q queueWriter) Write(p []byte) (int, error) {
	select {
	case q.a.queue <- append([]byte(nil), p...):
	default:
		q.a.dropped.Inc()
	}
	return len(p), nil
}
