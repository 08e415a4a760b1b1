package main

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/churnlabs/churn/features"
)

// ctxWriter passes writes on until ctx is done and fails them after, so
// that a writer deep in a library (a Parquet or CSV encoder) stops at its
// next write. It tells report of every megabyte written.
type ctxWriter struct {
	ctx    context.Context
	w      io.Writer
	n      int64
	report func(bytes int64)
}

func (c *ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(b)
	before := c.n
	c.n += int64(n)
	if c.report != nil && c.n>>20 != before>>20 {
		c.report(c.n)
	}
	return n, err
}

// ctxReaderAt fails reads once ctx is done, so that a reader deep in a
// library stops at its next read. It adds the bytes it reads to read,
// which several readers may share, and tells report of the total at
// every megabyte.
type ctxReaderAt struct {
	ctx    context.Context
	r      io.ReaderAt
	read   *atomic.Int64
	report func(total int64)
}

func (c *ctxReaderAt) ReadAt(b []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.ReadAt(b, off)
	if c.read != nil {
		if total := c.read.Add(int64(n)); total>>20 != (total-int64(n))>>20 && c.report != nil {
			c.report(total)
		}
	}
	return n, err
}

// countingReader counts the snapshots read through it, telling report
// of every 65536th, and fails once ctx is done: what gives "churn
// validate", which reads without features.Build and its Progress, its
// progress and its stop.
type countingReader struct {
	features.SnapshotReader
	ctx    context.Context
	n      int
	report func(rows int)
}

func (c *countingReader) Next(s *features.Snapshot) error {
	if c.n++; c.n%65536 == 0 {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		if c.report != nil {
			c.report(c.n)
		}
	}
	return c.SnapshotReader.Next(s)
}

// Close closes the reader it wraps, if that is a Closer.
func (c *countingReader) Close() error {
	if cl, ok := c.SnapshotReader.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// countedSource is src with its readers counted and cancelled as
// countingReader does.
func countedSource(ctx context.Context, src features.Source, report func(rows int)) features.Source {
	open := src.Open
	src.Open = func() (features.SnapshotReader, error) {
		r, err := open()
		if err != nil {
			return nil, err
		}
		return &countingReader{SnapshotReader: r, ctx: ctx, report: report}, nil
	}
	return src
}
