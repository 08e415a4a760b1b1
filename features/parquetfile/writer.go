package parquetfile

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
)

// DefaultRowGroupRows is the number of rows NewWriter puts in a row group.
// A row group is buffered whole before it is written, so this bounds the
// writer's memory; 64k rows keep that to a few megabytes while leaving the
// columns long enough to compress well.
const DefaultRowGroupRows = 64 << 10

var errWriterClosed = errors.New("parquetfile: writer is closed")

// Writer writes snapshots to a Parquet file, one row group per
// DefaultRowGroupRows rows (or the size given to NewWriterSize), so that
// a file of any length streams through a bounded buffer.
//
// The file has the columns of Schema.Columns, in order: account_id
// (STRING), week (DATE), the five counts (INT64), then as the schema says
// churned (BOOLEAN), arr (nullable DOUBLE, NaN written as null), segment
// (nullable STRING, "" written as null), renewal_date (nullable DATE,
// NoDate written as null) and the extras (nullable DOUBLE).
type Writer struct {
	pw     *parquet.Writer
	schema features.Schema
	row    parquet.Row
	batch  [1]parquet.Row
	// id, segment and renewalType hold the current row's strings: the
	// values point into them until WriteRows has copied them.
	id, segment, renewalType []byte
	n                        int // snapshots written
	err                      error
}

// NewWriter returns a Writer of snapshots with the given schema to w. The
// caller must Close the Writer to complete the file; closing it does not
// close w.
func NewWriter(w io.Writer, schema features.Schema) (*Writer, error) {
	return NewWriterSize(w, schema, DefaultRowGroupRows)
}

// NewWriterSize is like NewWriter but flushes a row group every
// rowGroupRows rows.
func NewWriterSize(w io.Writer, schema features.Schema, rowGroupRows int) (*Writer, error) {
	if rowGroupRows <= 0 {
		return nil, fmt.Errorf("parquetfile: %d rows per row group", rowGroupRows)
	}
	ps, err := snapshotSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("parquetfile: snapshot schema: %w", err)
	}
	schema.Extras = append([]string(nil), schema.Extras...)
	return &Writer{
		pw:     newParquetWriter(w, ps, rowGroupRows),
		schema: schema,
		row:    make(parquet.Row, 0, len(schema.Columns())),
	}, nil
}

// newParquetWriter returns a writer of zstd-compressed row groups. The
// files are written once and read by every later command, and zstd makes
// them smaller than snappy does for a decoding cost that is minor next to
// converting the values.
func newParquetWriter(w io.Writer, schema *parquet.Schema, rowGroupRows int) *parquet.Writer {
	return parquet.NewWriter(w, schema,
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(int64(rowGroupRows)))
}

// Write writes one snapshot. A snapshot the reader would reject, such as
// one with a negative count, is an error and is not written; the Writer
// stays usable. An error from the underlying io.Writer is final.
func (w *Writer) Write(s *features.Snapshot) error {
	if w.err != nil {
		return w.err
	}
	if err := w.check(s); err != nil {
		return fmt.Errorf("parquetfile: snapshot %d (account %q, week %s): %w", w.n+1, s.AccountID, s.Week, err)
	}
	w.id = append(w.id[:0], s.AccountID...)
	row := append(w.row[:0],
		required(parquet.ByteArrayValue(w.id), 0),
		required(parquet.Int32Value(int32(s.Week)), 1),
		required(parquet.Int64Value(s.Logins), 2),
		required(parquet.Int64Value(s.Frequency), 3),
		required(parquet.Int64Value(s.RecencyDays), 4),
		required(parquet.Int64Value(s.SLABreaches), 5),
		required(parquet.Int64Value(s.OverdueInvoices), 6),
	)
	col := 7
	if w.schema.HasChurned {
		row = append(row, required(parquet.BooleanValue(s.Churned), col))
		col++
	}
	if w.schema.HasARR {
		row = append(row, optionalDouble(s.ARR, col))
		col++
	}
	if w.schema.HasSegment {
		v := parquet.NullValue()
		if s.Segment != "" {
			w.segment = append(w.segment[:0], s.Segment...)
			v = parquet.ByteArrayValue(w.segment)
		}
		row = append(row, optional(v, col))
		col++
	}
	if w.schema.HasRenewal {
		v := parquet.NullValue()
		if s.RenewalDate != features.NoDate {
			v = parquet.Int32Value(int32(s.RenewalDate))
		}
		row = append(row, optional(v, col))
		col++
	}
	if w.schema.HasRenewalType {
		v := parquet.NullValue()
		if s.RenewalType != "" {
			w.renewalType = append(w.renewalType[:0], s.RenewalType...)
			v = parquet.ByteArrayValue(w.renewalType)
		}
		row = append(row, optional(v, col))
		col++
	}
	for _, x := range s.Extra {
		row = append(row, optionalDouble(x, col))
		col++
	}
	w.row = row
	w.batch[0] = row
	if _, err := w.pw.WriteRows(w.batch[:]); err != nil {
		w.err = fmt.Errorf("parquetfile: write snapshot %d: %w", w.n+1, err)
		return w.err
	}
	w.n++
	return nil
}

// check rejects what the contract forbids, so that every file the Writer
// completes is one the Reader accepts.
func (w *Writer) check(s *features.Snapshot) error { return s.Check(w.schema) }

// Close writes the buffered rows and the file footer. It does not close
// the underlying io.Writer.
func (w *Writer) Close() error {
	if w.err == errWriterClosed {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	if err := w.pw.Close(); err != nil {
		w.err = fmt.Errorf("parquetfile: close: %w", err)
		return w.err
	}
	w.err = errWriterClosed
	return nil
}

// required and optional set a value's levels for a flat column: a
// required column has no definition level, an optional one's value is
// defined at level 1.
func required(v parquet.Value, col int) parquet.Value { return v.Level(0, 0, col) }

func optional(v parquet.Value, col int) parquet.Value {
	if v.IsNull() {
		return v.Level(0, 0, col)
	}
	return v.Level(0, 1, col)
}

// optionalDouble writes NaN, the package's "unknown", as Parquet's null,
// which every reader understands.
func optionalDouble(x float64, col int) parquet.Value {
	if math.IsNaN(x) {
		return optional(parquet.NullValue(), col)
	}
	return optional(parquet.DoubleValue(x), col)
}
