package events

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/parquetfile"
)

// RowReader yields the rows of one table as text cells. Files, directories
// and database queries all come through it, so the roll-up reads them
// alike.
type RowReader interface {
	// Columns names the cells of every row.
	Columns() []string
	// Next returns the next row's cells, or io.EOF after the last; the
	// slice is valid until the following call, its strings for good (the
	// roll-up reads ahead of the row it folds).
	Next() ([]string, error)
	// Where locates the row Next returned last, for error messages: the
	// file and its row (a CSV file's line, the header being line 1; a
	// Parquet file's 1-based row).
	Where() (file string, row int)
	Close() error
}

// OpenPath opens a file or a directory as one RowReader. A directory
// stands for every file under it, in name order, skipping names starting
// with "." or "_" (Spark's _SUCCESS, checksum files); a directory named
// key=value on the way down (Hive-style partitions, as Spark, Trino and
// BigQuery export them) adds a column key holding value to its files'
// rows, unless the file has that column. Parquet files are named
// *.parquet; anything else is CSV, gzipped when it ends in .gz, with the
// delimiter given ("" or "auto" guesses it from the header line).
func OpenPath(path, delimiter string) (RowReader, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return openFile(path, delimiter, nil)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != path && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no files in the directory", path)
	}
	m := &multiReader{root: path, files: files, delimiter: delimiter}
	// The first file is opened now, so that Columns has its columns and
	// a file that cannot be read is reported as such.
	if err := m.open(); err != nil {
		return nil, err
	}
	return m, nil
}

// OpenPaths opens several files or directories, each as OpenPath does, as
// one RowReader: one source spread over several paths.
func OpenPaths(paths []string, delimiter string) (RowReader, error) {
	if len(paths) == 0 {
		return nil, errors.New("no paths")
	}
	c := &chain{paths: paths, delimiter: delimiter}
	r, err := OpenPath(paths[0], delimiter)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", paths[0], err)
	}
	c.cur = r
	return c, nil
}

// chain reads several RowReaders one after the other; like multiReader,
// it returns errNextFile when the next one starts.
type chain struct {
	paths     []string
	delimiter string
	i         int
	cur       RowReader
}

func (c *chain) Columns() []string {
	if c.cur == nil {
		return nil
	}
	return c.cur.Columns()
}

func (c *chain) Next() ([]string, error) {
	row, err := c.cur.Next()
	if err != io.EOF {
		return row, err
	}
	if err := c.cur.Close(); err != nil {
		return nil, err
	}
	c.cur = nil
	if c.i++; c.i == len(c.paths) {
		return nil, io.EOF
	}
	r, err := OpenPath(c.paths[c.i], c.delimiter)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", c.paths[c.i], err)
	}
	c.cur = r
	return nil, errNextFile
}

func (c *chain) Where() (string, int) {
	if c.cur == nil {
		return c.paths[len(c.paths)-1], 0
	}
	return c.cur.Where()
}

func (c *chain) Close() error {
	if c.cur != nil {
		return c.cur.Close()
	}
	return nil
}

// partitions returns the key=value directories between root and file.
func partitions(root, file string) ([][2]string, error) {
	rel, err := filepath.Rel(root, filepath.Dir(file))
	if err != nil || rel == "." {
		return nil, err
	}
	var kv [][2]string
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			continue
		}
		if u, err := url.PathUnescape(v); err == nil {
			v = u // Hive escapes '/', '=' and such in values
		}
		kv = append(kv, [2]string{k, v})
	}
	return kv, nil
}

func openFile(path, delimiter string, parts [][2]string) (RowReader, error) {
	var r RowReader
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		pr, err := parquetfile.OpenRows(path)
		if err != nil {
			return nil, err
		}
		r = parquetRows{pr, path}
	} else {
		cr, err := openCSV(path, delimiter)
		if err != nil {
			return nil, err
		}
		r = cr
	}
	if len(parts) == 0 {
		return r, nil
	}
	return withPartitions(r, parts), nil
}

type parquetRows struct {
	*parquetfile.Rows
	path string
}

func (p parquetRows) Where() (string, int) { return p.path, p.Row() }

// partitioned appends partition values to a file's rows.
type partitioned struct {
	RowReader
	cols  []string
	vals  []string
	cells []string
}

func withPartitions(r RowReader, parts [][2]string) RowReader {
	p := &partitioned{RowReader: r, cols: slices.Clone(r.Columns())}
	for _, kv := range parts {
		if !slices.Contains(p.cols, kv[0]) {
			p.cols = append(p.cols, kv[0])
			p.vals = append(p.vals, kv[1])
		}
	}
	return p
}

func (p *partitioned) Columns() []string { return p.cols }

func (p *partitioned) Next() ([]string, error) {
	row, err := p.RowReader.Next()
	if err != nil {
		return nil, err
	}
	p.cells = append(append(p.cells[:0], row...), p.vals...)
	return p.cells, nil
}

// multiReader reads a directory's files one after the other. Each file
// keeps its own columns: Columns changes when a new file starts, which
// the roll-up notices through columnsChanged.
type multiReader struct {
	root      string
	files     []string
	delimiter string
	i         int
	cur       RowReader
}

func (m *multiReader) open() error {
	parts, err := partitions(m.root, m.files[m.i])
	if err != nil {
		return err
	}
	r, err := openFile(m.files[m.i], m.delimiter, parts)
	if err != nil {
		return err
	}
	m.cur = r
	return nil
}

func (m *multiReader) Columns() []string {
	if m.cur == nil {
		return nil // after the last file
	}
	return m.cur.Columns()
}

// Next returns the next row; at a file boundary it returns errNextFile
// once, so the caller can map the new file's columns.
func (m *multiReader) Next() ([]string, error) {
	for {
		if m.cur == nil {
			if err := m.open(); err != nil {
				return nil, err
			}
		}
		row, err := m.cur.Next()
		if err != io.EOF {
			return row, err
		}
		if err := m.cur.Close(); err != nil {
			return nil, err
		}
		m.cur = nil
		if m.i++; m.i == len(m.files) {
			return nil, io.EOF
		}
		if err := m.open(); err != nil {
			return nil, err
		}
		return nil, errNextFile
	}
}

func (m *multiReader) Where() (string, int) {
	if m.cur == nil {
		return m.root, 0
	}
	return m.cur.Where()
}

func (m *multiReader) Close() error {
	if m.cur != nil {
		return m.cur.Close()
	}
	return nil
}

// errNextFile tells the roll-up that a directory reader moved on to a
// file whose columns may differ.
var errNextFile = errors.New("next file")

// parseDelimiter returns the CSV delimiter a name stands for: 0 for auto,
// ' ' for runs of whitespace.
func parseDelimiter(name string) (rune, error) {
	switch name {
	case "", "auto":
		return 0, nil
	case ",", ";", "|":
		return rune(name[0]), nil
	case "tab", "\t":
		return '\t', nil
	case "whitespace", "space":
		return ' ', nil
	}
	return 0, fmt.Errorf("delimiter %q: want auto, \",\", \";\", \"|\", tab or whitespace", name)
}

// sniff guesses a header line's delimiter: the first of comma, tab,
// semicolon and pipe it holds, otherwise runs of whitespace (CDNOW's
// fixed-width columns).
func sniff(header string) rune {
	for _, d := range []rune{',', '\t', ';', '|'} {
		if strings.ContainsRune(header, d) {
			return d
		}
	}
	return ' '
}

// csvRows reads a delimited text file.
type csvRows struct {
	path   string
	f      *os.File
	gz     *gzip.Reader
	br     *bufio.Reader    // whitespace-separated files
	recs   *csvfile.Records // the others
	cols   []string
	line   int
	fields []string
}

func openCSV(path, delimiter string) (_ *csvRows, err error) {
	d, err := parseDelimiter(delimiter)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := &csvRows{path: path, f: f}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	var in io.Reader = f
	if strings.EqualFold(filepath.Ext(path), ".gz") {
		if r.gz, err = gzip.NewReader(f); err != nil {
			return nil, &features.InputError{File: path, Err: fmt.Errorf("not a gzip file: %w", err)}
		}
		in = r.gz
	}
	head := bufio.NewReaderSize(in, 64<<10)
	if d == 0 {
		peek, _ := head.Peek(64 << 10)
		header, _, _ := strings.Cut(string(peek), "\n")
		d = sniff(strings.TrimPrefix(header, "\ufeff"))
	}
	if d != ' ' {
		// The snapshot reader's parser, with its bound on one record,
		// quoted line breaks included.
		if r.recs, err = csvfile.NewRecords(head, path, byte(d)); err != nil {
			return nil, err
		}
	} else {
		// The same bound on a line: one runaway line (a binary file, a
		// gigabyte cell) must not be read into memory whole.
		r.br = bufio.NewReaderSize(&lineCap{r: head, path: path}, 1<<20)
	}
	header, err := r.read()
	if err == io.EOF {
		return nil, &features.InputError{File: path, Err: errors.New("empty file: no header line")}
	}
	if err != nil {
		return nil, err
	}
	r.cols = slices.Clone(header)
	if len(r.cols) > 0 {
		r.cols[0] = strings.TrimPrefix(r.cols[0], "\ufeff")
	}
	for i, c := range r.cols {
		if c == "" {
			return nil, &features.InputError{File: path, Row: 1, Err: fmt.Errorf("column %d has no name in the header", i+1)}
		}
		if slices.Contains(r.cols[:i], c) {
			return nil, &features.InputError{File: path, Row: 1, Column: c, Err: errors.New("column named twice in the header")}
		}
	}
	return r, nil
}

// read returns the next record, skipping blank lines.
func (r *csvRows) read() ([]string, error) {
	if r.recs != nil {
		rec, line, err := r.recs.Read()
		if err != nil {
			return nil, err
		}
		r.line = line
		return rec, nil
	}
	for {
		line, err := r.br.ReadString('\n')
		if line == "" && err != nil {
			return nil, err
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		r.line++
		r.fields = appendFields(r.fields[:0], line)
		if len(r.fields) > 0 {
			return r.fields, nil
		}
	}
}

// appendFields splits a line on runs of spaces, tabs and the CR of a CRLF
// line end, without allocating beyond the line itself.
func appendFields(dst []string, line string) []string {
	start := -1
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ', '\t', '\r', '\n':
			if start >= 0 {
				dst = append(dst, line[start:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		dst = append(dst, line[start:])
	}
	return dst
}

func (r *csvRows) Columns() []string { return r.cols }

func (r *csvRows) Next() ([]string, error) {
	rec, err := r.read()
	if err != nil {
		return nil, err
	}
	if len(rec) != len(r.cols) {
		return nil, &features.InputError{File: r.path, Row: r.line, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(r.cols))}
	}
	return rec, nil
}

func (r *csvRows) Where() (string, int) { return r.path, r.line }

func (r *csvRows) Close() error {
	if r.gz != nil {
		r.gz.Close()
	}
	return r.f.Close()
}

// lineCap fails a read that would make a line longer than
// csvfile.MaxRecordBytes, naming the line, so that the whitespace splitter
// never holds more than that of one line.
type lineCap struct {
	r    io.Reader
	path string
	run  int // bytes since the last line break
	line int // line breaks seen
}

func (c *lineCap) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.line++
			c.run = 0
			continue
		}
		if c.run++; c.run > csvfile.MaxRecordBytes {
			return i, &features.InputError{File: c.path, Row: c.line + 1, Err: fmt.Errorf(
				"row is longer than %d bytes (1 MiB), the limit for one row: is this a CSV file?", csvfile.MaxRecordBytes)}
		}
	}
	return n, err
}
