package csvfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/churnlabs/churn/features"
)

// Writer writes snapshots as CSV, in the columns and order of
// Schema.Columns: counts as integers, churned as 0 or 1, dates as
// YYYY-MM-DD, numbers in the shortest form that reads back exactly, and an
// unknown number or date as an empty cell. It refuses a snapshot that
// Reader would reject, so whatever it writes reads back unchanged; the one
// exception is CSV's own: a "\r\n" inside a string reads back as "\n".
type Writer struct {
	w      *bufio.Writer
	schema features.Schema
	line   []byte // the row being formatted, reused
	err    error  // the first write error; the output is broken past it
}

// NewWriter returns a Writer to w of snapshots with the given schema, and
// writes the header. The extras must have distinct names, none empty or
// one of the contract's columns, for the file to read back. Call Flush
// when done.
func NewWriter(w io.Writer, schema features.Schema) (*Writer, error) {
	if err := checkExtras(schema.Extras); err != nil {
		return nil, fmt.Errorf("csvfile: %w", err)
	}
	schema.Extras = slices.Clone(schema.Extras)
	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10), schema: schema}
	wr.line = appendHeader(wr.line, schema.Columns())
	if err := wr.writeLine(); err != nil {
		return nil, err
	}
	return wr, nil
}

// checkExtras checks that extra columns can be told apart from each other
// and from the contract's columns when the file is read.
func checkExtras(extras []string) error {
	seen := make(map[string]bool, len(extras))
	for _, name := range extras {
		switch {
		case name == "":
			return errors.New("extra column with no name")
		case isContractColumn(name):
			return fmt.Errorf("extra column %q is a contract column", name)
		case seen[name]:
			return fmt.Errorf("duplicate extra column %q", name)
		}
		seen[name] = true
	}
	return nil
}

// Write writes one snapshot. s.Row is ignored; s.Extra must hold one value
// per extra column of the schema. An invalid snapshot is an error that
// leaves the output as it was, so the caller may skip it and go on.
func (w *Writer) Write(s *features.Snapshot) error {
	if w.err != nil {
		return w.err
	}
	if err := w.check(s); err != nil {
		if !validDate(s.Week) {
			return fmt.Errorf("csvfile: snapshot of %q: %w", s.AccountID, err)
		}
		return fmt.Errorf("csvfile: snapshot of %q at %s: %w", s.AccountID, s.Week, err)
	}
	b := appendText(w.line[:0], s.AccountID)
	b = append(b, ',')
	b = appendDate(b, s.Week)
	for _, n := range [...]int64{s.Logins, s.Frequency, s.RecencyDays, s.SLABreaches, s.OverdueInvoices} {
		b = append(b, ',')
		b = strconv.AppendInt(b, n, 10)
	}
	if w.schema.HasChurned {
		b = append(b, ',', '0')
		if s.Churned {
			b[len(b)-1] = '1'
		}
	}
	if w.schema.HasARR {
		b = append(b, ',')
		b = appendNumber(b, s.ARR)
	}
	if w.schema.HasSegment {
		b = append(b, ',')
		b = appendText(b, s.Segment)
	}
	if w.schema.HasRenewal {
		b = append(b, ',')
		if s.RenewalDate != features.NoDate {
			b = appendDate(b, s.RenewalDate)
		}
	}
	if w.schema.HasRenewalType {
		b = append(b, ',')
		b = append(b, s.RenewalType...)
	}
	for _, v := range s.Extra {
		b = append(b, ',')
		b = appendNumber(b, v)
	}
	w.line = append(b, '\n')
	return w.writeLine()
}

// check reports why Reader would reject s as w would write it, if it would:
// the contract's rules, and dates a CSV cell can hold.
func (w *Writer) check(s *features.Snapshot) error {
	if err := s.Check(w.schema); err != nil {
		return err
	}
	if err := checkDate(s.Week); err != nil {
		return fmt.Errorf("%s: %w", features.ColWeek, err)
	}
	if w.schema.HasRenewal && s.RenewalDate != features.NoDate {
		if err := checkDate(s.RenewalDate); err != nil {
			return fmt.Errorf("%s: %w", features.ColRenewalDate, err)
		}
	}
	return nil
}

// Flush writes any buffered rows to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("csvfile: write snapshots: %w", err)
	}
	return w.err
}

func (w *Writer) writeLine() error {
	if _, err := w.w.Write(w.line); err != nil {
		w.err = fmt.Errorf("csvfile: write snapshots: %w", err)
	}
	return w.err
}

// appendHeader appends a header row of the named columns.
func appendHeader(b []byte, columns []string) []byte {
	for i, name := range columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendText(b, name)
	}
	return append(b, '\n')
}
