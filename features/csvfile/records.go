package csvfile

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/churnlabs/churn/features"
)

// Records reads delimited text record by record with the snapshot
// reader's parser, for tables that are not snapshot files (raw event
// logs): what encoding/csv accepts under its default settings, with the
// separator given, yields the same fields, and a line without a double
// quote takes the fast path. A record longer than MaxRecordBytes, its
// quoted line breaks included, is an error found without reading more of
// it than that.
type Records struct {
	rr   *recordReader
	name string
}

// NewRecords reads the records of r, named name in errors, whose fields
// are separated by sep: ',', ';', '\t', '|' or any byte but a double
// quote or a line break. A UTF-8 byte order mark at the start is skipped.
func NewRecords(r io.Reader, name string, sep byte) (*Records, error) {
	if sep == '"' || sep == '\r' || sep == '\n' {
		return nil, fmt.Errorf("%q cannot separate fields", sep)
	}
	rr, err := newRecordReader(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	rr.sep, rr.blocks = sep, true
	return &Records{rr: rr, name: name}, nil
}

// Read returns the next record and the line it starts on, skipping blank
// lines, or io.EOF after the last. The slice is valid until the next
// call; its strings may be kept, but they share 64 KiB blocks with other
// records' (one allocation per block rather than per record), which a
// kept string keeps alive: clone what is kept for long. A syntax error or a record over
// MaxRecordBytes is a *features.InputError naming the record's first
// line. Records of any width are returned: the caller checks them
// against its header.
func (r *Records) Read() ([]string, int, error) {
	rec, line, err := r.rr.read()
	if err == nil {
		return rec, line, nil
	}
	// Type assertions, not errors.As: read returns its errors unwrapped.
	if pe, ok := err.(*csv.ParseError); ok {
		return nil, 0, &features.InputError{File: r.name, Row: pe.StartLine, Err: syntaxError(pe)}
	}
	if tl, ok := err.(*tooLongError); ok {
		return nil, 0, &features.InputError{File: r.name, Row: tl.line, Err: err}
	}
	if err == io.EOF {
		return nil, 0, err
	}
	return nil, 0, fmt.Errorf("read %s: %w", r.name, err)
}
