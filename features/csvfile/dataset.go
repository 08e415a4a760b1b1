package csvfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
)

// Column names of a dataset file besides its features.
const (
	colAccountID = features.ColAccountID
	colWeek      = features.ColWeek
	colLabel     = "label"
)

// WriteDataset writes ds as CSV: a header account_id,week,<features...>,
// with a final label column when ds.Label is not nil, then one row per
// account-week. Values are written in the shortest form that reads back
// exactly, NaN as an empty cell and infinities as +Inf and -Inf. ds is
// checked before anything is written, so a dataset ReadDataset could not
// read back is an error that leaves w untouched.
func WriteDataset(w io.Writer, ds *features.Dataset) error {
	if err := checkDataset(ds); err != nil {
		return fmt.Errorf("csvfile: write dataset: %w", err)
	}
	dw, err := NewDatasetWriter(w, ds.Features, ds.Label != nil)
	if err != nil {
		return err
	}
	if err := dw.Write(ds); err != nil {
		return err
	}
	return dw.Close()
}

// DatasetWriter writes a dataset as WriteDataset does, in pieces: the
// same rows written in any number of pieces make the same file, so a
// caller never needs the whole dataset in memory. Each piece is checked
// before any of it is written.
type DatasetWriter struct {
	bw       *bufio.Writer
	features []string
	labelled bool
	b        []byte
}

// NewDatasetWriter writes the header of a dataset with the named feature
// columns, and a label column when labelled.
func NewDatasetWriter(w io.Writer, names []string, labelled bool) (*DatasetWriter, error) {
	shape := &features.Dataset{Features: names}
	if labelled {
		shape.Label = []float64{}
	}
	if err := checkDataset(shape); err != nil {
		return nil, fmt.Errorf("csvfile: write dataset: %w", err)
	}
	columns := make([]string, 0, len(names)+3)
	columns = append(columns, colAccountID, colWeek)
	columns = append(columns, names...)
	if labelled {
		columns = append(columns, colLabel)
	}
	dw := &DatasetWriter{bw: bufio.NewWriterSize(w, 64<<10), features: names, labelled: labelled}
	dw.b = appendHeader(nil, columns)
	if _, err := dw.bw.Write(dw.b); err != nil {
		return nil, fmt.Errorf("csvfile: write dataset: %w", err)
	}
	return dw, nil
}

// Write appends the rows of ds, which must have the writer's columns and
// a label exactly when the writer is labelled.
func (dw *DatasetWriter) Write(ds *features.Dataset) error {
	if err := checkDataset(ds); err != nil {
		return fmt.Errorf("csvfile: write dataset: %w", err)
	}
	if !slices.Equal(ds.Features, dw.features) || (ds.Label != nil) != dw.labelled {
		return fmt.Errorf("csvfile: write dataset: columns %v (labelled %v) for a file of %v (labelled %v)",
			ds.Features, ds.Label != nil, dw.features, dw.labelled)
	}
	b := dw.b
	for i := range ds.Len() {
		b = appendText(b[:0], ds.AccountID[i])
		b = append(b, ',')
		b = appendDate(b, ds.Week[i])
		for _, v := range ds.Row(i) {
			b = append(b, ',')
			b = appendNumber(b, v)
		}
		if ds.Label != nil {
			b = append(b, ',', '0')
			if ds.Label[i] == 1 {
				b[len(b)-1] = '1'
			}
		}
		b = append(b, '\n')
		if _, err := dw.bw.Write(b); err != nil {
			return fmt.Errorf("csvfile: write dataset: %w", err)
		}
	}
	dw.b = b
	return nil
}

// Close writes out what is buffered.
func (dw *DatasetWriter) Close() error {
	if err := dw.bw.Flush(); err != nil {
		return fmt.Errorf("csvfile: write dataset: %w", err)
	}
	return nil
}

// checkDataset reports why ReadDataset could not read ds back, if it
// could not.
func checkDataset(ds *features.Dataset) error {
	if err := ds.Check(); err != nil {
		return err
	}
	seen := make(map[string]bool, len(ds.Features))
	for _, name := range ds.Features {
		switch {
		case name == "":
			return errors.New("feature with no name")
		case name == colAccountID || name == colWeek || name == colLabel:
			return fmt.Errorf("feature named %q", name)
		case seen[name]:
			return fmt.Errorf("duplicate feature %q", name)
		}
		seen[name] = true
	}
	for i := range ds.Len() {
		switch {
		case ds.AccountID[i] == "":
			return fmt.Errorf("AccountID[%d] is empty", i)
		case checkDate(ds.Week[i]) != nil:
			return fmt.Errorf("Week[%d]: %w", i, checkDate(ds.Week[i]))
		case ds.Label != nil && ds.Label[i] != 0 && ds.Label[i] != 1:
			return fmt.Errorf("Label[%d] is %v, want 0 or 1", i, ds.Label[i])
		}
	}
	return nil
}

// WriteDatasetFile writes ds to the named file with WriteDataset. The file
// appears complete or not at all: see publish.File.
func WriteDatasetFile(path string, ds *features.Dataset) error {
	return publish.File(path, func(w io.Writer) error {
		return WriteDataset(w, ds)
	})
}

// ReadDataset reads a dataset that WriteDataset wrote, or any CSV file
// with account_id and week columns: the columns may come in any order,
// a column named label is the label (0 or 1), columns with no name are
// skipped and every other column is a feature, in file order. An empty
// feature cell or NaN is NaN. The name identifies the input in error
// messages; every problem with its contents is a *features.InputError.
func ReadDataset(r io.Reader, name string) (*features.Dataset, error) {
	return readDataset(r, name, nil)
}

// readDataset is ReadDataset reading into the slices that room, when not
// nil, returns for the number of features and whether there is a label:
// a training set has millions of values, and growing one slice to hold
// them copies it tens of times (at 1.25x a step), which took longer than
// parsing the file. The slices are appended to, so those room returns
// must be empty; rows past their capacity still fit, more slowly.
func readDataset(r io.Reader, name string, room func(features int, label bool) *features.Dataset) (*features.Dataset, error) {
	t, err := openTable(r, name)
	if err != nil {
		return nil, err
	}
	idCol, weekCol, labelCol := t.column(colAccountID), t.column(colWeek), t.column(colLabel)
	for _, c := range [...]struct {
		name  string
		field int
	}{{colAccountID, idCol}, {colWeek, weekCol}} {
		if c.field < 0 {
			return nil, t.headerError(c.name, "missing required column")
		}
	}
	var names []string
	var featCols []int
	for i, col := range t.header {
		if col != "" && i != idCol && i != weekCol && i != labelCol {
			featCols = append(featCols, i)
			names = append(names, col)
		}
	}
	ds := &features.Dataset{}
	if room != nil {
		ds = room(len(names), labelCol >= 0)
	}
	ds.Features = names
	if labelCol >= 0 && ds.Label == nil {
		ds.Label = []float64{}
	}
	var ids interner
	for {
		rec, line, err := t.next()
		if err == io.EOF {
			return ds, nil
		}
		if err != nil {
			return nil, err
		}
		id := rec[idCol]
		if id == "" {
			return nil, t.cellError(line, idCol, errMissing)
		}
		if rec[weekCol] == "" {
			return nil, t.cellError(line, weekCol, errMissing)
		}
		week, err := parseDate(rec[weekCol])
		if err != nil {
			return nil, t.cellError(line, weekCol, err)
		}
		ds.AccountID = append(ds.AccountID, ids.intern(id))
		ds.Week = append(ds.Week, week)
		for _, i := range featCols {
			v, err := parseValue(rec[i])
			if err != nil {
				return nil, t.cellError(line, i, err)
			}
			ds.X = append(ds.X, v)
		}
		if labelCol >= 0 {
			y, err := parseLabel(rec[labelCol])
			if err != nil {
				return nil, t.cellError(line, labelCol, err)
			}
			ds.Label = append(ds.Label, y)
		}
	}
}

// ReadDatasetFile reads the named dataset file with ReadDataset. A large
// file is read in parts side by side, one per CPU: see readParts.
func ReadDatasetFile(path string) (*features.Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return readParts(f, fi.Size(), path, runtime.GOMAXPROCS(0))
}

// ReadDatasetAt reads a dataset file of size bytes from r as
// ReadDatasetFile reads a named one, in parts side by side; name
// identifies it in errors. Through r a caller can watch or stop the
// reading: an error from r ends it.
func ReadDatasetAt(r io.ReaderAt, size int64, name string) (*features.Dataset, error) {
	return readParts(r, size, name, runtime.GOMAXPROCS(0))
}

// minPart is the least number of bytes readParts gives a part of its own.
const minPart = 1 << 20

// readParts reads the dataset in r, size bytes long, with ReadDataset, in
// up to n parts read side by side when it is large. A part is a run of
// whole lines read under a copy of the header, which is possible only
// when no cell is quoted, and so no newline can be inside a cell: that is
// every file WriteDataset writes. Each part fills its own stretch of the
// dataset's slices, sized by its lines, so the parts' rows need no
// joining unless blank lines leave gaps. The first error in the file is
// the one reported, with its row in the whole file. Each part is read
// twice, once to count its lines and look for quotes, from the page
// cache the second time; the file is never held in memory whole.
func readParts(r io.ReaderAt, size int64, name string, n int) (*features.Dataset, error) {
	// plain reads r in one go, with room for the given lines, counted
	// first when not known (-1).
	plain := func(lines int) (*features.Dataset, error) {
		if lines < 0 {
			var err error
			if lines, _, err = scanLines(io.NewSectionReader(r, 0, size)); err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
		}
		return readDataset(io.NewSectionReader(r, 0, size), name, presized(lines))
	}
	n = int(min(int64(n), size/minPart))
	if n < 2 {
		return plain(-1)
	}
	head := make([]byte, min(size, 1<<16))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	header := int64(bytes.IndexByte(head, '\n') + 1)
	// A blank first line or a byte order mark takes the plain way, which
	// handles them; so does a quote, found as the parts are scanned.
	if header <= 1 || size-header < minPart || head[0] == '\r' || bytes.HasPrefix(head, []byte(utf8BOM)) {
		return plain(-1)
	}
	type part struct {
		start, end  int64
		first, rows int // the file's line number of the part's first line; its lines
		quoted      bool
		ds          *features.Dataset
		err         error
	}
	var parts []part
	for start := header; start < size; {
		end := size
		if left := int64(n - len(parts)); left > 1 {
			// Cut after the first newline past an even share.
			cut, err := nextLine(r, start+(size-start)/left, size)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			end = cut
		}
		parts = append(parts, part{start: start, end: end})
		start = end
	}
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			p := &parts[i]
			p.rows, p.quoted, p.err = scanLines(io.NewSectionReader(r, p.start, p.end-p.start))
		})
	}
	wg.Wait()
	line, rows, quoted := 2, 0, false
	for i := range parts {
		p := &parts[i]
		if p.err != nil {
			return nil, fmt.Errorf("read %s: %w", name, p.err)
		}
		quoted = quoted || p.quoted
		p.first = line
		line, rows = line+p.rows, rows+p.rows
	}
	if quoted {
		return plain(1 + rows) // the header's line and the parts'
	}
	headerText := head[:header]

	// The parts share one dataset's slices, made once the first part has
	// read the header; every part has the same.
	var all *features.Dataset
	var once sync.Once
	for i := range parts {
		wg.Go(func() {
			p := &parts[i]
			off := p.first - 2 // rows before the part, blank lines aside
			room := func(nf int, label bool) *features.Dataset {
				once.Do(func() { all = presized(rows)(nf, label) })
				ds := &features.Dataset{
					AccountID: all.AccountID[off : off : off+p.rows],
					Week:      all.Week[off : off : off+p.rows],
					X:         all.X[off*nf : off*nf : (off+p.rows)*nf],
				}
				if label {
					ds.Label = all.Label[off : off : off+p.rows]
				}
				return ds
			}
			text := io.MultiReader(bytes.NewReader(headerText), io.NewSectionReader(r, p.start, p.end-p.start))
			p.ds, p.err = readDataset(text, name, room)
			var ie *features.InputError
			if errors.As(p.err, &ie) && ie.Row > 0 {
				ie.Row += off // the part's first line is line 2 of its reader
			}
		})
	}
	wg.Wait()
	for _, p := range parts {
		if p.err != nil {
			return nil, p.err
		}
	}
	out := &features.Dataset{Features: parts[0].ds.Features, AccountID: all.AccountID[:0],
		Week: all.Week[:0], X: all.X[:0]}
	if all.Label != nil {
		out.Label = all.Label[:0]
	}
	for _, p := range parts {
		// Appending a part's rows where they already are copies
		// nothing but the rows a gap moved.
		out.AccountID = appendRows(out.AccountID, p.ds.AccountID)
		out.Week = appendRows(out.Week, p.ds.Week)
		out.X = appendRows(out.X, p.ds.X)
		if out.Label != nil {
			out.Label = appendRows(out.Label, p.ds.Label)
		}
	}
	return out, nil
}

// appendRows appends rows to s, copying nothing when rows already sit
// right after s in its array.
func appendRows[T any](s, rows []T) []T {
	if len(rows) == 0 {
		return s
	}
	if n := len(s); n+len(rows) <= cap(s) && &s[:n+1][n] == &rows[0] {
		return s[:n+len(rows)]
	}
	return append(s, rows...)
}

// presized returns a room function for readDataset that makes slices for
// the given number of rows.
func presized(rows int) func(nf int, label bool) *features.Dataset {
	return func(nf int, label bool) *features.Dataset {
		ds := &features.Dataset{
			AccountID: make([]string, 0, rows),
			Week:      make([]features.Date, 0, rows),
			X:         make([]float64, 0, rows*nf),
		}
		if label {
			ds.Label = make([]float64, 0, rows)
		}
		return ds
	}
}

// scanLines counts the lines of r: its newlines, plus one for a last
// line without. With quoted newlines it is an upper bound on the rows,
// which is what making room needs. It reports whether r holds a quote.
func scanLines(r io.Reader) (lines int, quoted bool, err error) {
	buf := make([]byte, 1<<20)
	last := byte('\n')
	for {
		k, err := r.Read(buf)
		if k > 0 {
			lines += bytes.Count(buf[:k], []byte{'\n'})
			quoted = quoted || bytes.IndexByte(buf[:k], '"') >= 0
			last = buf[k-1]
		}
		if err == io.EOF {
			if last != '\n' {
				lines++
			}
			return lines, quoted, nil
		}
		if err != nil {
			return 0, false, err
		}
	}
}

// nextLine returns the offset just past the first newline of r at or
// after off, or size when there is none.
func nextLine(r io.ReaderAt, off, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for off < size {
		k, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if i := bytes.IndexByte(buf[:k], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		off += int64(k)
	}
	return size, nil
}

// parseValue parses a feature value: a missing spelling
// (features.IsMissing) is NaN. Unlike a snapshot's numbers it may be
// infinite, so that a dataset reads back exactly as it was written.
func parseValue(s string) (float64, error) {
	if features.IsMissing(s) {
		return math.NaN(), nil
	}
	f, err := parseDecimal(s)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return f, nil
}

// parseLabel parses a label: 0 or 1, also written as 0.0 or 1.0.
func parseLabel(s string) (float64, error) {
	if s == "" {
		return 0, errMissing
	}
	y, err := parseDecimal(s)
	switch {
	case err == nil && y == 0:
		return 0, nil
	case err == nil && y == 1:
		return 1, nil
	}
	return 0, fmt.Errorf("invalid label %q (want 0 or 1)", s)
}
