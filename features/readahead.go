package features

import "unsafe"

// readAhead reads snapshots on its own goroutine in batches, so that
// parsing the next rows overlaps building features from these: on two
// cores that hides most of the cost of reading a file.
type readAhead struct {
	full chan *batch // batches read, in file order; closed when reading ends
	free chan *batch // batches the builder is done with
	done chan struct{}
}

// batch is a run of consecutive snapshots. Its rows' Extra slices point
// into extra, which belongs to the batch, because readers reuse the
// slice they are given.
type batch struct {
	rows  []Snapshot
	extra []float64
	// err ends the stream after rows: io.EOF or the reader's error.
	err error
}

const (
	batchRows     = 2048
	batchesInUse  = 3 // one being built, one being read, one waiting
	batchesQueued = 2
)

func startReadAhead(r SnapshotReader) *readAhead {
	ra := &readAhead{
		full: make(chan *batch, batchesQueued),
		free: make(chan *batch, batchesInUse),
		done: make(chan struct{}),
	}
	width := len(r.Schema().Extras)
	for range batchesInUse {
		ra.free <- &batch{rows: make([]Snapshot, batchRows), extra: make([]float64, batchRows*width)}
	}
	go ra.run(r, width)
	return ra
}

func (ra *readAhead) run(r SnapshotReader, width int) {
	defer close(ra.full)
	for {
		var b *batch
		select {
		case b = <-ra.free:
		case <-ra.done:
			return
		}
		b.rows = b.rows[:cap(b.rows)]
		n := 0
		for ; n < len(b.rows); n++ {
			s := &b.rows[n]
			slot := b.extra[n*width : (n+1)*width : (n+1)*width]
			s.Extra = slot
			if b.err = r.Next(s); b.err != nil {
				break
			}
			if width > 0 && unsafe.SliceData(s.Extra) != unsafe.SliceData(slot) {
				copy(slot, s.Extra) // the reader replaced the slice instead of filling it
				s.Extra = slot
			}
		}
		b.rows = b.rows[:n]
		select {
		case ra.full <- b:
		case <-ra.done:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// release hands a batch back for reading.
func (ra *readAhead) release(b *batch) { ra.free <- b }

// stop ends reading and waits until the reader is no longer in use, so
// the caller may close it.
func (ra *readAhead) stop() {
	close(ra.done)
	for range ra.full {
	}
}
