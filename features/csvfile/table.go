package csvfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/churnlabs/churn/features"
)

// table reads the records of a named CSV input that starts with a header
// row, and reports every problem with its contents as a
// *features.InputError. Snapshot and dataset files both build on it.
type table struct {
	rr      *recordReader
	name    string
	header  []string
	headRow int // the header's line: 1 unless blank lines come first
}

// openTable reads the header of r. Column names must be unique, except
// that any number of columns may have no name.
func openTable(r io.Reader, name string) (*table, error) {
	rr, err := newRecordReader(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	t := &table{rr: rr, name: name}
	header, line, err := t.next()
	if err == io.EOF {
		return nil, &features.InputError{File: name, Err: errors.New("empty file: want a header row")}
	}
	if err != nil {
		return nil, err
	}
	t.header, t.headRow = slices.Clone(header), line
	seen := make(map[string]bool, len(header))
	for _, col := range header {
		if col != "" && seen[col] {
			return nil, t.headerError(col, "duplicate column")
		}
		seen[col] = true
	}
	return t, nil
}

// next reads the next record and the line it starts on, and checks that
// it is as wide as the header. It returns io.EOF after the last record.
func (t *table) next() ([]string, int, error) {
	rec, line, err := t.rr.read()
	// A type assertion, not errors.As: recordReader returns the error
	// unwrapped, and errors.As would cost an allocation every row.
	pe, _ := err.(*csv.ParseError)
	switch {
	case pe != nil:
		column := ""
		if i := t.rr.completeFields(); i < len(t.header) {
			column = t.header[i]
		}
		return nil, 0, &features.InputError{File: t.name, Row: pe.StartLine, Column: column, Err: syntaxError(pe)}
	case err == io.EOF:
		return nil, 0, io.EOF
	case isTooLong(err):
		return nil, 0, &features.InputError{File: t.name, Row: err.(*tooLongError).line, Err: err}
	case err != nil:
		return nil, 0, fmt.Errorf("read %s: %w", t.name, err)
	case t.header != nil && len(rec) != len(t.header):
		return nil, 0, &features.InputError{File: t.name, Row: line,
			Err: fmt.Errorf("%w: %d, header has %d", csv.ErrFieldCount, len(rec), len(t.header))}
	}
	return rec, line, nil
}

// isTooLong reports whether err is a *tooLongError, without the
// allocation errors.As costs on every row.
func isTooLong(err error) bool {
	_, ok := err.(*tooLongError)
	return ok
}

// column returns the index of the named column, or -1.
func (t *table) column(name string) int { return slices.Index(t.header, name) }

func (t *table) headerError(column, msg string) error {
	return &features.InputError{File: t.name, Row: t.headRow, Column: column, Err: errors.New(msg)}
}

func (t *table) cellError(line, field int, err error) error {
	return &features.InputError{File: t.name, Row: line, Column: t.header[field], Err: err}
}
