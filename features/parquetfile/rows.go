package parquetfile

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
)

// Rows streams any Parquet file's flat columns as text cells, row group by
// row group: the raw tables (event logs, tickets, invoices) that
// features/events rolls up into snapshots, whatever their columns. Each
// cell is the value as a person would write it in a CSV file: strings as
// they are, numbers in decimal, DATE as YYYY-MM-DD, timestamps in RFC 3339
// (UTC), a null as "". Nested and repeated columns are left out.
type Rows struct {
	t      *table
	closer io.Closer
	names  []string
	codecs []codec
	cells  []string
	text   []byte
}

// OpenRows opens the Parquet file at path for Rows. Closing the Rows
// closes the file.
func OpenRows(path string) (_ *Rows, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := newRows(f, info.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

func newRows(r io.ReaderAt, size int64, name string) (_ *Rows, err error) {
	defer catch(name, &err)
	t, err := openTable(r, size, name)
	if err != nil {
		return nil, err
	}
	rows := &Rows{t: t}
	var cols []*parquet.Column
	for _, col := range t.columns() {
		if !col.Leaf() || col.Repeated() {
			continue
		}
		cols = append(cols, col)
		rows.names = append(rows.names, col.Name())
		rows.codecs = append(rows.codecs, codecOf(col.Type()))
	}
	if err := t.project(cols); err != nil {
		return nil, err
	}
	rows.cells = make([]string, len(cols))
	return rows, nil
}

// Columns returns the names of the columns Next returns, in file order.
func (r *Rows) Columns() []string { return r.names }

// Row returns the 1-based number of the row Next returned last.
func (r *Rows) Row() int { return r.t.row }

// Next returns the next row's cells, or io.EOF after the last. The slice
// is reused by the following call.
func (r *Rows) Next() (_ []string, err error) {
	defer catch(r.t.name, &err)
	row, err := r.t.next()
	if err != nil {
		return nil, err
	}
	if len(row) != len(r.names) {
		return nil, &features.InputError{File: r.t.name, Row: r.t.row, Err: fmt.Errorf("corrupt row: %d values for %d columns", len(row), len(r.names))}
	}
	for i, v := range row {
		if v.Column() != r.t.leaves[i] {
			return nil, &features.InputError{File: r.t.name, Row: r.t.row, Column: r.names[i], Err: fmt.Errorf("corrupt row: value of column %d where %d belongs", v.Column(), r.t.leaves[i])}
		}
		if v.IsNull() {
			r.cells[i] = ""
			continue
		}
		s, err := r.cell(&r.codecs[i], v)
		if err != nil {
			return nil, &features.InputError{File: r.t.name, Row: r.t.row, Column: r.names[i], Err: err}
		}
		r.cells[i] = s
	}
	return r.cells, nil
}

// cell formats one value as text.
func (r *Rows) cell(c *codec, v parquet.Value) (string, error) {
	if err := c.check(v); err != nil {
		return "", err
	}
	switch c.kind {
	case kindString:
		return string(v.ByteArray()), nil
	case kindBool:
		return strconv.FormatBool(v.Boolean()), nil
	case kindInt32, kindUint32, kindInt64, kindUint64, kindUUID:
		b, err := c.appendText(r.text[:0], v)
		r.text = b
		return string(b), err
	case kindFloat, kindDouble, kindDecimal:
		f, err := c.number(v)
		return strconv.FormatFloat(f, 'g', -1, 64), err
	case kindDate:
		d, err := c.date(v)
		return d.String(), err
	case kindTimestamp:
		var t time.Time
		switch units := v.Int64(); c.unitsPerDay {
		case nanosPerDay / int64(time.Millisecond):
			t = time.UnixMilli(units)
		case nanosPerDay / int64(time.Microsecond):
			t = time.UnixMicro(units)
		default:
			t = time.Unix(0, units)
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	case kindInt96:
		d, err := c.date(v)
		if err != nil {
			return "", err
		}
		i := v.Int96()
		nanos := uint64(i[1])<<32 | uint64(i[0])
		return d.Time().Add(time.Duration(nanos)).Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("type %s cannot be read as text", c.typ)
}

// Close releases the reader and closes the file.
func (r *Rows) Close() error {
	err := r.t.close()
	if r.closer != nil {
		if cerr := r.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
