package csvfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/churnlabs/churn/features"
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
	columns := make([]string, 0, len(ds.Features)+3)
	columns = append(columns, colAccountID, colWeek)
	columns = append(columns, ds.Features...)
	if ds.Label != nil {
		columns = append(columns, colLabel)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	b := appendHeader(nil, columns)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("csvfile: write dataset: %w", err)
	}
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
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("csvfile: write dataset: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
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
// appears complete or not at all: see features.WriteFileAtomic.
func WriteDatasetFile(path string, ds *features.Dataset) error {
	return features.WriteFileAtomic(path, func(w io.Writer) error {
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
	return readDataset(r, name, 0)
}

// readDataset is ReadDataset with room made for the given number of rows
// up front: a training set has millions of values, and growing one slice
// to hold them copies it tens of times (at 1.25x a step), which took
// longer than parsing the file.
func readDataset(r io.Reader, name string, rows int) (*features.Dataset, error) {
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
	ds := &features.Dataset{}
	var featCols []int
	for i, col := range t.header {
		if col != "" && i != idCol && i != weekCol && i != labelCol {
			featCols = append(featCols, i)
			ds.Features = append(ds.Features, col)
		}
	}
	if labelCol >= 0 {
		ds.Label = []float64{}
	}

	if rows > 0 {
		ds.AccountID = make([]string, 0, rows)
		ds.Week = make([]features.Date, 0, rows)
		ds.X = make([]float64, 0, rows*len(featCols))
		if labelCol >= 0 {
			ds.Label = make([]float64, 0, rows)
		}
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

// ReadDatasetFile reads the named dataset file with ReadDataset.
func ReadDatasetFile(path string) (*features.Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Counting lines reads the file once more, from the page cache at
	// memory speed; it bounds the rows from above (a quoted field may
	// hold a newline), which is what pre-sizing needs.
	lines, err := countLines(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return readDataset(f, path, lines)
}

// countLines counts the newlines in r, plus one for a last line without.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 1<<20)
	n, last := 0, byte('\n')
	for {
		k, err := r.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte{'\n'})
			last = buf[k-1]
		}
		if err == io.EOF {
			if last != '\n' {
				n++
			}
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// parseValue parses a feature value. Unlike a snapshot's numbers it may be
// infinite, so that a dataset reads back exactly as it was written.
func parseValue(s string) (float64, error) {
	if s == "" {
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
