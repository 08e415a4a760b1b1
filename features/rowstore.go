package features

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sync"
)

// rowStore keeps rows of features in fixed-size chunks, so that growing
// it never copies what it already holds: a million rows would otherwise
// be copied again at every doubling of one huge slice.
//
// A spilling store (see spill) keeps only the chunk being filled in
// memory and writes every full chunk to a temporary file: a table of a
// hundred thousand accounts over two years is over a gigabyte of float64,
// which a command that only splits it and writes it out (churn features)
// or copies out the rows it trains on (churn train) need not hold twice.
// The values go to the file bit for bit, so rows read back are the rows
// built.
type rowStore struct {
	width  int
	chunks [][]float64
	n      int

	// file is the spill file, nil when every chunk is in memory. Only
	// chunks[0], the chunk being filled, is then in memory, and chunks
	// 0..spilled-1 are in the file, each chunkBytes long.
	file    *os.File
	spilled int
	buf     []byte // encoding and decoding buffer
	// mu guards the read cache below: reading a spilled row decodes it
	// into a buffer of the store's.
	mu     sync.Mutex
	cached int // chunk held in cache, -1 for none
	cache  []float64
	one    []float64 // a row read on its own
	err    error     // the first read or write error, final
}

const rowsPerChunk = 1 << 13

// spill makes the store keep its full chunks in a temporary file in dir
// (os.TempDir when empty). The file is unlinked at once where the system
// allows, so nothing is left behind even if the process dies; close
// releases it.
func (s *rowStore) spill(dir string) error {
	f, err := os.CreateTemp(dir, "churn-rows-*")
	if err != nil {
		return fmt.Errorf("feature rows: %w", err)
	}
	_ = os.Remove(f.Name()) // where an open file cannot be removed, close does
	s.file, s.cached = f, -1
	return nil
}

// close releases a spilling store's file and returns the first error
// that reading or writing it met.
func (s *rowStore) close() error {
	if s.file == nil {
		return s.err
	}
	name := s.file.Name()
	err := s.file.Close()
	_ = os.Remove(name) // already gone where the system allowed it
	s.file, s.chunks, s.cache = nil, nil, nil
	if s.err != nil {
		return s.err
	}
	if err != nil {
		return fmt.Errorf("feature rows: %w", err)
	}
	return nil
}

// chunkBytes is the size of one chunk in the spill file.
func (s *rowStore) chunkBytes() int { return rowsPerChunk * s.width * 8 }

// next adds a row and returns it to be filled in place.
func (s *rowStore) next() ([]float64, error) {
	if s.n%rowsPerChunk == 0 {
		if s.file == nil {
			s.chunks = append(s.chunks, make([]float64, rowsPerChunk*s.width))
		} else if s.n == 0 {
			s.chunks = [][]float64{make([]float64, rowsPerChunk*s.width)}
		} else if err := s.flush(); err != nil {
			return nil, err
		}
	}
	s.n++
	j := ((s.n - 1) % rowsPerChunk) * s.width
	return s.chunks[len(s.chunks)-1][j : j+s.width : j+s.width], nil
}

// at returns row i of a store held in memory (not spilled), to read or
// write in place: BuildOptions.KeepWeeks rewrites its rings of rows.
func (s *rowStore) at(i int) []float64 {
	if s.file != nil {
		panic("features: rowStore.at on a spilled store")
	}
	j := (i % rowsPerChunk) * s.width
	return s.chunks[i/rowsPerChunk][j : j+s.width : j+s.width]
}

// truncate drops the rows from n on, and the chunks only they used, of a
// store held in memory.
func (s *rowStore) truncate(n int) {
	chunks := (n + rowsPerChunk - 1) / rowsPerChunk
	clear(s.chunks[chunks:])
	s.chunks = s.chunks[:chunks]
	s.n = n
}

// flush writes the full chunk in memory to the spill file, to make room
// for the next.
func (s *rowStore) flush() error {
	if s.err != nil {
		return s.err
	}
	s.buf = encodeFloats(s.buf[:0], s.chunks[0])
	if _, err := s.file.Write(s.buf); err != nil {
		s.err = fmt.Errorf("feature rows: %w", err)
		return s.err
	}
	s.spilled++
	return nil
}

// row calls fn with row i. The row is valid only during the call: a
// spilled row is decoded into a buffer that the next read reuses. Rows
// read in order cost one read of the file per chunk; a row read on its
// own costs one small read.
func (s *rowStore) row(i int, fn func([]float64)) error {
	c, j := i/rowsPerChunk, (i%rowsPerChunk)*s.width
	if s.file == nil {
		fn(s.chunks[c][j : j+s.width : j+s.width])
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	switch {
	case c == s.spilled:
		fn(s.chunks[0][j : j+s.width : j+s.width])
		return nil
	case c == s.cached:
	case j == 0:
		// The first row of a chunk: likely a scan, so read it whole.
		if err := s.read(int64(c)*int64(s.chunkBytes()), rowsPerChunk*s.width, &s.cache); err != nil {
			return err
		}
		s.cached = c
	default:
		off := int64(c)*int64(s.chunkBytes()) + int64(j)*8
		if err := s.read(off, s.width, &s.one); err != nil {
			return err
		}
		fn(s.one)
		return nil
	}
	fn(s.cache[j : j+s.width : j+s.width])
	return nil
}

// read decodes n values at offset off of the spill file into *dst.
func (s *rowStore) read(off int64, n int, dst *[]float64) error {
	if cap(s.buf) < n*8 {
		s.buf = make([]byte, n*8)
	}
	b := s.buf[:n*8]
	if _, err := s.file.ReadAt(b, off); err != nil {
		s.err = fmt.Errorf("feature rows: read back: %w", err)
		return s.err
	}
	if cap(*dst) < n {
		*dst = make([]float64, n)
	}
	*dst = decodeFloats((*dst)[:n], b)
	return nil
}

// encodeFloats appends the bits of xs, little-endian, to b.
func encodeFloats(b []byte, xs []float64) []byte {
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// decodeFloats fills xs from the bits encodeFloats wrote into b.
func decodeFloats(xs []float64, b []byte) []float64 {
	for i := range xs {
		xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return xs
}
