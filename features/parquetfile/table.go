package parquetfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// batchSize bounds the rows decoded ahead of the caller: enough to amortise
// parquet-go's per-call cost, few enough that memory does not grow with the
// file.
const batchSize = 1024

var errClosed = errors.New("parquetfile: reader is closed")

// table streams the rows of some top-level columns of a Parquet file, one
// row group and one batch at a time. It is the part the snapshot Reader and
// ReadDataset share: opening the file defensively, projecting columns, and
// turning parquet-go's panics on malformed input into errors.
type table struct {
	name   string
	r      io.ReaderAt
	size   int64
	file   *parquet.File
	groups []parquet.RowGroup
	leaves []int // the selected leaf columns, in ascending order
	codecs []format.CompressionCodec

	group int          // index of the next row group to open
	rows  parquet.Rows // the open row group, nil between groups
	batch []parquet.Row
	n, i  int // rows in batch, index of the next one to return
	row   int // 1-based number of the row last returned
	err   error
}

// catch turns a panic into an error about the file. parquet-go panics on
// some malformed input, and a damaged file is the caller's problem to
// report, not a reason to crash; so every entry point that reaches into
// parquet-go defers catch.
func catch(name string, err *error) {
	if p := recover(); p != nil {
		*err = &features.InputError{File: name, Err: fmt.Errorf("corrupt parquet file: %v", p)}
	}
}

// openTable reads the file's footer. Only the footer: pages are read as
// rows are asked for.
func openTable(r io.ReaderAt, size int64, name string) (t *table, err error) {
	if err := checkFooter(r, size); err != nil {
		return nil, &features.InputError{File: name, Err: err}
	}
	defer catch(name, &err)
	// The page index and bloom filters serve lookups, not full scans:
	// skipping them makes opening cheaper and exposes less to corruption.
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, &features.InputError{File: name, Err: fmt.Errorf("not a readable parquet file: %w", err)}
	}
	return &table{name: name, r: r, size: size, file: f, groups: f.RowGroups()}, nil
}

// checkFooter rejects what parquet-go would otherwise trust: it allocates
// whatever footer length the last bytes of the file claim, up to 4 GiB.
func checkFooter(r io.ReaderAt, size int64) error {
	const overhead = 12 // "PAR1", then the footer, its 4-byte length, "PAR1"
	if size < overhead {
		return fmt.Errorf("not a parquet file: only %d bytes", size)
	}
	var tail [8]byte
	if n, err := r.ReadAt(tail[:], size-8); n < len(tail) {
		return fmt.Errorf("read parquet footer: %w", err)
	}
	if footer := int64(binary.LittleEndian.Uint32(tail[:4])); footer > size-overhead {
		return fmt.Errorf("not a parquet file: a %d-byte footer in a %d-byte file", footer, size)
	}
	return nil
}

// columns returns the file's top-level columns in file order.
func (t *table) columns() []*parquet.Column { return t.file.Root().Columns() }

// numRows returns the row count the footer claims; it is only a hint.
func (t *table) numRows() int64 { return t.file.NumRows() }

// project selects the flat columns next returns, which must be in file
// order; each row then holds one value per selected column, in that order.
// A column compressed with a codec this package cannot read safely is an
// error.
func (t *table) project(cols []*parquet.Column) error {
	for _, c := range cols {
		// parquet-go decodes every row group of a column with the codec
		// of its first; the page checks must expect the same.
		codec := format.Uncompressed
		if c.Compression() != nil {
			codec = c.Compression().CompressionCodec()
		}
		if err := checkCodec(codec); err != nil {
			return &features.InputError{File: t.name, Column: c.Name(), Err: err}
		}
		t.leaves = append(t.leaves, c.Index())
		t.codecs = append(t.codecs, codec)
	}
	t.batch = make([]parquet.Row, batchSize)
	return nil
}

// next returns the next row. The row and the byte slices its values hold
// are valid only until the following call.
func (t *table) next() (parquet.Row, error) {
	if t.err != nil {
		return nil, t.err
	}
	for t.i == t.n {
		if err := t.fill(); err != nil {
			t.err = err
			return nil, err
		}
	}
	row := t.batch[t.i]
	t.i++
	t.row++
	return row, nil
}

// fill reads the next batch, moving on to the next row group as each one
// runs out.
func (t *table) fill() (err error) {
	defer func() {
		if p := recover(); p != nil {
			t.abandon()
			err = &features.InputError{File: t.name, Err: fmt.Errorf("corrupt parquet data after row %d: %v", t.row, p)}
		}
	}()
	for {
		if t.rows == nil {
			if t.group == len(t.groups) {
				return io.EOF
			}
			rows, err := t.openGroup(t.group)
			if err != nil {
				return err
			}
			t.rows = rows
			t.group++
		}
		n, err := t.rows.ReadRows(t.batch)
		t.n, t.i = n, 0
		switch {
		case err == io.EOF:
			cerr := t.rows.Close()
			t.rows = nil
			if cerr != nil {
				return t.groupError(t.group-1, cerr)
			}
			if n > 0 {
				return nil
			}
		case err != nil:
			return t.groupError(t.group-1, err)
		case n == 0:
			return t.groupError(t.group-1, io.ErrNoProgress)
		default:
			return nil
		}
	}
}

// abandon drops the row reader after a panic left its state unknown. It
// closes the reader now, under recover, because parquet-go would otherwise
// close it from a finalizer, where a second panic could not be caught.
func (t *table) abandon() {
	rows := t.rows
	t.rows = nil
	if rows != nil {
		defer func() { _ = recover() }()
		rows.Close()
	}
}

// openGroup checks the selected column chunks of row group g and returns
// a reader of their rows.
func (t *table) openGroup(g int) (parquet.Rows, error) {
	all := t.groups[g].ColumnChunks()
	meta := t.file.Metadata().RowGroups[g]
	chunks := make([]parquet.ColumnChunk, len(t.leaves))
	for i, leaf := range t.leaves {
		if leaf >= len(all) || leaf >= len(meta.Columns) {
			return nil, t.groupError(g, fmt.Errorf("%d column chunks for %d columns", len(all), leaf+1))
		}
		check := chunkCheck{meta: &meta.Columns[leaf].MetaData, codec: t.codecs[i], fileSize: t.size, rows: meta.NumRows}
		if err := checkChunk(t.r, check); err != nil {
			return nil, t.groupError(g, fmt.Errorf("column %s: %w", strings.Join(meta.Columns[leaf].MetaData.PathInSchema, "."), err))
		}
		chunks[i] = all[leaf]
	}
	return parquet.NewRowGroupRowReader(projection{t.groups[g], chunks}), nil
}

func (t *table) groupError(g int, err error) error {
	return &features.InputError{File: t.name, Err: fmt.Errorf("read row group %d: %w", g, err)}
}

// close releases the open row group. It leaves the io.ReaderAt alone:
// whoever opened that closes it.
func (t *table) close() (err error) {
	defer catch(t.name, &err)
	if t.err == nil || t.err == io.EOF {
		t.err = errClosed
	}
	if t.rows != nil {
		rows := t.rows
		t.rows = nil
		return rows.Close()
	}
	return nil
}

// projection is a row group narrowed to the selected columns, so that the
// columns nobody reads (skipped strings, nested data) are never decoded.
// Its Schema still describes the whole file; the row reader only hands
// the schema back, and every value carries its own column index.
type projection struct {
	parquet.RowGroup
	chunks []parquet.ColumnChunk
}

func (p projection) ColumnChunks() []parquet.ColumnChunk { return p.chunks }

func (p projection) Rows() parquet.Rows { return parquet.NewRowGroupRowReader(p) }
