package parquetfile

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
	"github.com/parquet-go/parquet-go"
)

// colLabel names the label column of a dataset file.
const colLabel = "label"

// WriteDataset writes ds to w as a Parquet file with the columns
// account_id (STRING), week (DATE), one nullable DOUBLE per feature in
// order (NaN written as null), and, when ds.Label is not nil, label
// (INT32 0 or 1).
func WriteDataset(w io.Writer, ds *features.Dataset) error {
	return WriteDatasetContext(context.Background(), w, ds)
}

// WriteDatasetContext is WriteDataset stopping with ctx's error once ctx
// is done. A row group is encoded whole before anything reaches w, so
// failing w's writes would stop it only a row group later.
func WriteDatasetContext(ctx context.Context, w io.Writer, ds *features.Dataset) error {
	if err := ds.Check(); err != nil {
		return fmt.Errorf("parquetfile: %w", err)
	}
	dw, err := NewDatasetWriter(ctx, w, ds.Features, ds.Label != nil)
	if err != nil {
		return err
	}
	if err := dw.Write(ds); err != nil {
		return err
	}
	return dw.Close()
}

// DatasetWriter writes a dataset file in pieces, as WriteDatasetContext
// writes it whole: the same rows written in any number of pieces make
// the same file, so a caller never needs the whole dataset in memory.
type DatasetWriter struct {
	ctx      context.Context
	pw       *parquet.Writer
	features int
	labelled bool
	rows     int // written so far, for errors
	row      parquet.Row
}

// NewDatasetWriter starts a dataset file with the named feature columns,
// and a label column when labelled, stopping with ctx's error once ctx
// is done.
func NewDatasetWriter(ctx context.Context, w io.Writer, names []string, labelled bool) (*DatasetWriter, error) {
	shape := &features.Dataset{Features: names}
	if labelled {
		shape.Label = []float64{}
	}
	ps, err := datasetSchema(shape)
	if err != nil {
		return nil, fmt.Errorf("parquetfile: dataset schema: %w", err)
	}
	return &DatasetWriter{ctx: ctx, pw: newParquetWriter(w, ps, DefaultRowGroupRows),
		features: len(names), labelled: labelled, row: make(parquet.Row, 0, len(names)+3)}, nil
}

// Write appends the rows of ds, which must have the writer's columns and
// a label exactly when the writer is labelled.
func (dw *DatasetWriter) Write(ds *features.Dataset) error {
	if err := ds.Check(); err != nil {
		return fmt.Errorf("parquetfile: %w", err)
	}
	if len(ds.Features) != dw.features || (ds.Label != nil) != dw.labelled {
		return fmt.Errorf("parquetfile: dataset of %d features (labelled %v) for a file of %d (labelled %v)",
			len(ds.Features), ds.Label != nil, dw.features, dw.labelled)
	}
	p := dw.features
	var batch [1]parquet.Row
	for i, id := range ds.AccountID {
		if i%4096 == 0 {
			if err := dw.ctx.Err(); err != nil {
				return err
			}
		}
		n := dw.rows + i + 1
		if err := checkDatasetRow(ds, i); err != nil {
			return fmt.Errorf("parquetfile: dataset row %d: %w", n, err)
		}
		row := append(dw.row[:0],
			required(parquet.ByteArrayValue([]byte(id)), 0),
			required(parquet.Int32Value(int32(ds.Week[i])), 1))
		for j, x := range ds.Row(i) {
			row = append(row, optionalDouble(x, 2+j))
		}
		if ds.Label != nil {
			row = append(row, required(parquet.Int32Value(int32(ds.Label[i])), 2+p))
		}
		dw.row = row
		batch[0] = row
		if _, err := dw.pw.WriteRows(batch[:]); err != nil {
			return fmt.Errorf("parquetfile: write dataset row %d: %w", n, err)
		}
	}
	dw.rows += ds.Len()
	return nil
}

// Close writes the file's last row group and footer.
func (dw *DatasetWriter) Close() error {
	if err := dw.pw.Close(); err != nil {
		return fmt.Errorf("parquetfile: write dataset: %w", err)
	}
	return nil
}

func checkDatasetRow(ds *features.Dataset, i int) error {
	switch {
	case ds.AccountID[i] == "":
		return fmt.Errorf("empty %s", features.ColAccountID)
	case ds.Week[i] == features.NoDate:
		return fmt.Errorf("no %s", features.ColWeek)
	case ds.Label != nil && ds.Label[i] != 0 && ds.Label[i] != 1:
		return fmt.Errorf("%s %v is not 0 or 1", colLabel, ds.Label[i])
	}
	return nil
}

// WriteDatasetFile writes ds to the file at path, atomically: a reader of
// path sees the old file or the complete new one, never a partial write.
func WriteDatasetFile(path string, ds *features.Dataset) error {
	return publish.File(path, func(w io.Writer) error {
		return WriteDataset(w, ds)
	})
}

// ReadDatasetFile reads the dataset file at path.
func ReadDatasetFile(path string) (*features.Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	return ReadDataset(f, info.Size(), path)
}

// ReadDataset reads a dataset file of size bytes from r, such as one
// WriteDataset wrote; name identifies it in errors. The file must have
// account_id and week columns; label, if present, becomes ds.Label, and
// every other column is a feature, in file order. Features may be of any
// numeric type, null reading as NaN; a column of another type is an error,
// since dropping it would silently change the model's inputs.
func ReadDataset(r io.ReaderAt, size int64, name string) (_ *features.Dataset, err error) {
	defer catch(name, &err)
	t, err := openTable(r, size, name)
	if err != nil {
		return nil, err
	}
	defer t.close()
	cols, err := mapDatasetColumns(t)
	if err != nil {
		return nil, err
	}
	columns := make([]*parquet.Column, len(cols))
	for i, c := range cols {
		columns[i] = c.column
	}
	if err := t.project(columns); err != nil {
		return nil, err
	}

	ds := &features.Dataset{}
	labelled := false
	for _, c := range cols {
		switch c.role {
		case roleExtra:
			ds.Features = append(ds.Features, c.name)
		case roleChurned:
			labelled = true
		}
	}
	// The footer's row count is only a claim: trust it for a first
	// allocation only as far as the file's size makes it plausible.
	n := int(min(max(t.numRows(), 0), size, 1<<20))
	ds.AccountID = make([]string, 0, n)
	ds.Week = make([]features.Date, 0, n)
	ds.X = make([]float64, 0, n*len(ds.Features))
	if labelled {
		ds.Label = make([]float64, 0, n)
	}
	dec := datasetDecoder{cols: cols, ids: newInterner(1 << 16)}
	for {
		row, err := t.next()
		if err == io.EOF {
			return ds, nil
		}
		if err != nil {
			return nil, err
		}
		if len(row) != len(cols) {
			return nil, &features.InputError{File: name, Row: t.row, Err: fmt.Errorf("corrupt row: %d values for %d columns", len(row), len(cols))}
		}
		for i := range cols {
			if err := dec.append(ds, &cols[i], row[i]); err != nil {
				return nil, &features.InputError{File: name, Row: t.row, Column: cols[i].name, Err: err}
			}
		}
	}
}

// mapDatasetColumns gives each column of a dataset file a role: the
// snapshot roles account ID and week, roleChurned for the label, and
// roleExtra for the features.
func mapDatasetColumns(t *table) ([]field, error) {
	var cols []field
	seen := make(map[string]bool)
	for _, col := range t.columns() {
		name := col.Name()
		if seen[name] {
			return nil, &features.InputError{File: t.name, Column: name, Err: fmt.Errorf("duplicate column")}
		}
		seen[name] = true
		role := roleExtra
		switch name {
		case features.ColAccountID:
			role = roleAccountID
		case features.ColWeek:
			role = roleWeek
		case colLabel:
			role = roleChurned
		}
		if !col.Leaf() || col.Repeated() {
			return nil, &features.InputError{File: t.name, Column: name, Err: fmt.Errorf("nested or repeated column, want a flat column")}
		}
		c := codecOf(col.Type())
		if ok, want := role.accepts(c.kind); !ok {
			return nil, &features.InputError{File: t.name, Column: name, Err: fmt.Errorf("type %s, want %s", c.typ, want)}
		}
		cols = append(cols, field{name: name, role: role, leaf: col.Index(), column: col, codec: c})
	}
	for _, name := range []string{features.ColAccountID, features.ColWeek} {
		if !seen[name] {
			return nil, &features.InputError{File: t.name, Column: name, Err: fmt.Errorf("missing required column")}
		}
	}
	return cols, nil
}

// datasetDecoder appends a dataset file's values to a Dataset.
type datasetDecoder struct {
	cols []field
	ids  interner
	text []byte // scratch for account IDs
}

func (d *datasetDecoder) append(ds *features.Dataset, c *field, v parquet.Value) (err error) {
	if v.IsNull() {
		if c.role != roleExtra {
			return errNull
		}
		ds.X = append(ds.X, math.NaN())
		return nil
	}
	switch c.role {
	case roleAccountID:
		if d.text, err = c.codec.appendText(d.text[:0], v); err != nil {
			return err
		}
		if len(d.text) == 0 {
			return errEmpty
		}
		ds.AccountID = append(ds.AccountID, d.ids.intern(d.text))
	case roleWeek:
		week, err := c.codec.date(v)
		if err != nil {
			return err
		}
		ds.Week = append(ds.Week, week)
	case roleChurned:
		label, err := c.codec.flag(v)
		if err != nil {
			return err
		}
		ds.Label = append(ds.Label, b2f(label))
	case roleExtra:
		x, err := c.codec.number(v)
		if err != nil {
			return err
		}
		ds.X = append(ds.X, x)
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
