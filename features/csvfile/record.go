package csvfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// recordReader splits CSV text into records. It accepts what encoding/csv's
// Reader accepts under its default settings and yields the same fields, the
// same start lines and the same *csv.ParseError values (FuzzRecordReader
// holds it to that), but a line without a double quote, which is nearly
// every line of a snapshot file, takes a fast path: one allocation and one
// byte scan for commas. encoding/csv instead copies every field twice and
// bookkeeps positions for each, which made it the single largest cost of
// reading a snapshot file (see BenchmarkRecordReader).
//
// The deliberate differences are that an I/O error is returned at once,
// without the partial record encoding/csv returns beside it, and that a
// record longer than MaxRecordBytes is an error, found without reading
// more of it than that.
type recordReader struct {
	br   *bufio.Reader
	sep  byte     // the field separator: ',' but for Records' callers
	line int      // physical lines consumed so far
	long []byte   // a line longer than br's buffer, assembled
	buf  []byte   // unescaped text of a record that holds quotes, a separator between fields
	ends []int    // end of each field of the record being read
	rec  []string // the last record, reused
	// blocks, when set, makes text copy records into shared blocks
	// rather than one string each (see Records).
	blocks bool
	block  strings.Builder
}

// blockBytes is the size of the blocks text copies records into.
const blockBytes = 64 << 10

// text returns b as a string: its own, or, with r.blocks, a slice of a
// block that later records are appended to, which spares an allocation
// per record. A Builder's String shares its bytes and never changes the
// ones it has returned, as long as it does not grow: a record that does
// not fit starts a new block.
func (r *recordReader) text(b []byte) string {
	if !r.blocks {
		return string(b)
	}
	if r.block.Cap()-r.block.Len() < len(b) {
		r.block = strings.Builder{}
		r.block.Grow(max(blockBytes, len(b)))
	}
	at := r.block.Len()
	r.block.Write(b)
	return r.block.String()[at:]
}

// MaxRecordBytes bounds one record of a CSV file, its line breaks and
// quotes included: 1 MiB, a thousand times a wide snapshot row. Without
// a bound, one line with no newline (a binary file, a runaway quote, a
// gigabyte account id) would be read into memory whole.
const MaxRecordBytes = 1 << 20

// tooLongError reports a record longer than MaxRecordBytes.
type tooLongError struct{ line int }

func (e *tooLongError) Error() string {
	return fmt.Sprintf("row is longer than %d bytes (1 MiB), the limit for one row: is this a CSV file?", MaxRecordBytes)
}

// utf8BOM is what some spreadsheet programs put before the first header.
const utf8BOM = "\xef\xbb\xbf"

// newRecordReader reads records from r, skipping a UTF-8 byte order mark
// at its start.
func newRecordReader(r io.Reader) (*recordReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(utf8BOM))
	if err != nil && err != io.EOF {
		return nil, err
	}
	if string(head) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	return &recordReader{br: br, sep: ','}, nil
}

// read returns the next record and the line it starts on, skipping blank
// lines, or io.EOF after the last record. The record is valid until the
// next call, but its strings may be kept.
func (r *recordReader) read() (rec []string, line int, err error) {
	var b []byte
	var nl bool
	for {
		b, nl, err = r.readLine()
		if err != nil {
			return nil, 0, err
		}
		if len(b) > 0 {
			break
		}
	}
	line = r.line
	if len(b) > MaxRecordBytes {
		return nil, 0, &tooLongError{line}
	}
	if r.findCommas(b) {
		return r.fields(r.text(b)), line, nil
	}
	rec, err = r.readQuoted(b, nl)
	return rec, line, err
}

// readUnquoted is read for a caller that only looks at a record's
// fields before the next call: a line without quotes comes back as its
// bytes, found with one vectorised search for a quote and no allocation,
// and the caller delimits the fields it needs; any other record comes
// back as rec, as read returns it.
func (r *recordReader) readUnquoted() (raw []byte, rec []string, line int, err error) {
	var b []byte
	var nl bool
	for {
		b, nl, err = r.readLine()
		if err != nil {
			return nil, nil, 0, err
		}
		if len(b) > 0 {
			break
		}
	}
	line = r.line
	if len(b) > MaxRecordBytes {
		return nil, nil, 0, &tooLongError{line}
	}
	if bytes.IndexByte(b, '"') < 0 {
		return b, nil, line, nil
	}
	rec, err = r.readQuoted(b, nl)
	return nil, rec, line, err
}

// findCommas records in r.ends where the fields of line b end, and reports
// whether b holds no quote, so that its separators are all the CSV syntax
// in it: no field can then hold a separator or span lines.
func (r *recordReader) findCommas(b []byte) bool {
	ends := r.ends[:0]
	for i, c := range b {
		switch c {
		case r.sep:
			ends = append(ends, i)
		case '"':
			return false
		}
	}
	r.ends = append(ends, len(b))
	return true
}

// readLine returns the next physical line without its terminator, "\n" or
// "\r\n", and whether it had one. Like encoding/csv it drops a '\r' that
// ends the input.
func (r *recordReader) readLine() (line []byte, nl bool, err error) {
	line, err = r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > MaxRecordBytes+2 { // the limit and a "\r\n"
				return nil, false, &tooLongError{r.line + 1}
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	switch {
	case err == nil:
		r.line++
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, true, nil
	case err == io.EOF && len(line) > 0:
		r.line++
		if n := len(line); line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, false, nil
	}
	return nil, false, err
}

// readQuoted parses a record whose first line b holds a quote; nl says
// whether b was terminated by a line break. It mirrors encoding/csv's
// parser, including where a *csv.ParseError says the problem is.
func (r *recordReader) readQuoted(b []byte, nl bool) ([]string, error) {
	start, ln := r.line, r.line
	col := 1 // 1-based byte column of b[0] within line ln
	r.buf, r.ends = r.buf[:0], r.ends[:0]
field:
	for {
		if len(b) == 0 || b[0] != '"' {
			i := bytes.IndexByte(b, r.sep)
			text := b
			if i >= 0 {
				text = b[:i]
			}
			if j := bytes.IndexByte(text, '"'); j >= 0 {
				return nil, &csv.ParseError{StartLine: start, Line: ln, Column: col + j, Err: csv.ErrBareQuote}
			}
			r.buf = append(r.buf, text...)
			r.ends = append(r.ends, len(r.buf))
			if i < 0 {
				return r.fields(r.text(r.buf)), nil
			}
			r.buf = append(r.buf, r.sep)
			b, col = b[i+1:], col+i+1
			continue
		}

		b, col = b[1:], col+1
		for {
			i := bytes.IndexByte(b, '"')
			if i < 0 {
				// The quoted field goes on past this line, if there is another.
				r.buf = append(r.buf, b...)
				col += len(b)
				if !nl {
					return nil, &csv.ParseError{StartLine: start, Line: ln, Column: col, Err: csv.ErrQuote}
				}
				r.buf = append(r.buf, '\n')
				col++
				if len(r.buf) > MaxRecordBytes {
					return nil, &tooLongError{start}
				}
				next, nextNL, err := r.readLine()
				// A lone '\r' before the end of input counts as no line at all.
				if err == io.EOF || err == nil && len(next) == 0 && !nextNL {
					return nil, &csv.ParseError{StartLine: start, Line: ln, Column: col, Err: csv.ErrQuote}
				}
				if tl, ok := err.(*tooLongError); ok {
					tl.line = start
				}
				if err != nil {
					return nil, err
				}
				b, nl, ln, col = next, nextNL, r.line, 1
				continue
			}
			r.buf = append(r.buf, b[:i]...)
			b, col = b[i+1:], col+i+1
			switch {
			case len(b) == 0:
				r.ends = append(r.ends, len(r.buf))
				return r.fields(r.text(r.buf)), nil
			case b[0] == '"': // an escaped quote
				r.buf = append(r.buf, '"')
				b, col = b[1:], col+1
			case b[0] == r.sep:
				r.ends = append(r.ends, len(r.buf))
				r.buf = append(r.buf, r.sep)
				b, col = b[1:], col+1
				continue field
			default:
				return nil, &csv.ParseError{StartLine: start, Line: ln, Column: col - 1, Err: csv.ErrQuote}
			}
		}
	}
}

// fields slices a record's fields out of s at the ends in r.ends, one
// separator apart, so that the whole record costs a single allocation.
func (r *recordReader) fields(s string) []string {
	rec := r.rec[:0]
	start := 0
	for _, end := range r.ends {
		rec = append(rec, s[start:end])
		start = end + 1
	}
	r.rec = rec
	return rec
}

// completeFields reports how many fields of the record being read were
// complete when read returned a *csv.ParseError: the index of the field
// at fault.
func (r *recordReader) completeFields() int { return len(r.ends) }

// syntaxError describes a *csv.ParseError for a person, without repeating
// the record's line, which the enclosing features.InputError names.
func syntaxError(pe *csv.ParseError) error {
	if pe.Line != pe.StartLine {
		return fmt.Errorf("line %d, byte %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("byte %d: %w", pe.Column, pe.Err)
}
