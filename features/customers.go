package features

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Cells is a table read as text cells, one row at a time: a customer
// table in CSV or Parquet. features/events' RowReader is one.
type Cells interface {
	// Columns names the cells of every row.
	Columns() []string
	// Next returns the next row's cells, or io.EOF after the last; the
	// slice is valid until the following call.
	Next() ([]string, error)
	// Where locates the row Next returned last: its file and row.
	Where() (file string, row int)
}

// Customers is a static customer table held as text: one row per
// customer, with attributes and, for training, a churned flag. Many teams
// start with such a table (a CRM export) before they keep any history.
type Customers struct {
	// Name is the file, for error messages.
	Name    string
	Columns []string
	// Cells is column-major: Cells[k][i] is column k of row i.
	Cells [][]string
	// Rows holds each row's place in the file (a CSV line, a Parquet
	// row), for error messages.
	Rows []int
}

// Len returns the number of rows.
func (c *Customers) Len() int { return len(c.Rows) }

// Column returns the index of the named column, or -1.
func (c *Customers) Column(name string) int { return slices.Index(c.Columns, name) }

// ReadCustomers reads every row of r into memory. A customer table has
// thousands to millions of rows of a few dozen short cells: it fits.
func ReadCustomers(ctx context.Context, r Cells) (*Customers, error) {
	name, _ := r.Where()
	c := &Customers{Name: name, Columns: slices.Clone(r.Columns())}
	c.Cells = make([][]string, len(c.Columns))
	for {
		if len(c.Rows)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		file, row := r.Where()
		c.Name = file
		if len(rec) != len(c.Columns) {
			return nil, &InputError{File: file, Row: row, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(c.Columns))}
		}
		for k, s := range rec {
			c.Cells[k] = append(c.Cells[k], strings.Clone(s))
		}
		c.Rows = append(c.Rows, row)
	}
	if len(c.Rows) == 0 {
		return nil, &InputError{File: c.Name, Err: errors.New("no rows after the header")}
	}
	return c, nil
}

// TableOptions say which columns of a customer table play which part.
type TableOptions struct {
	// Label is the churned flag: 1/0, true/false or yes/no in any case.
	Label string
	// ID, when set, names the customer key, used to name rows and never
	// as a feature.
	ID string
	// Drop lists columns left out.
	Drop []string
	// Time, when set, names a date column that splits the rows out of
	// time (SplitTableByTime); it is never a feature.
	Time string
	// MaxLevels bounds a categorical column's distinct values; 0 means
	// DefaultMaxLevels.
	MaxLevels int
}

// DefaultMaxLevels is the most distinct values a text column may have to
// be used as a categorical feature. Beyond it a column is an id, a name
// or free text: one indicator per value would let a model memorise rows.
const DefaultMaxLevels = 64

// TableSpec is the feature spec of a static customer table: its label
// and id columns and how each attribute becomes features. It is stored in
// model.json (Spec.Table), so scoring encodes raw rows as training did.
type TableSpec struct {
	Label   string   `json:"label"`
	ID      string   `json:"id,omitempty"`
	Columns []Column `json:"columns"`
}

// Column is one attribute column of a customer table and its features.
type Column struct {
	Name string `json:"name"`
	// Levels are a categorical (text) column's values in the training
	// rows, sorted; each gets a 0/1 feature "Name=level". Nil for a
	// numeric column, used as it is.
	Levels []string `json:"levels,omitempty"`
	// Missing adds the 0/1 feature "Name:missing", set when the value is
	// missing (or, at scoring, a category never seen in training). The
	// column's own features are then NaN: trees route NaN as they learnt
	// to, logistic regression imputes the training mean, and the
	// indicator carries what being missing says.
	Missing bool `json:"missing,omitempty"`
}

// Categorical reports whether the column holds text categories.
func (c Column) Categorical() bool { return c.Levels != nil }

// LevelFeature names the indicator of a category of a column.
func LevelFeature(column, level string) string { return column + "=" + level }

// MissingFeature names the missing-value indicator of a column.
func MissingFeature(column string) string { return column + ":missing" }

// width returns the number of features the column gives.
func (c Column) width() int {
	n := 1
	if c.Categorical() {
		n = len(c.Levels)
	}
	if c.Missing {
		n++
	}
	return n
}

// names returns the features of the table, column by column.
func (t *TableSpec) names() []string {
	var names []string
	for _, c := range t.Columns {
		if c.Categorical() {
			for _, l := range c.Levels {
				names = append(names, LevelFeature(c.Name, l))
			}
		} else {
			names = append(names, c.Name)
		}
		if c.Missing {
			names = append(names, MissingFeature(c.Name))
		}
	}
	return names
}

// Groups returns the original columns of a spec's features and, for each
// feature in Names order, the index of the column it comes from: a
// contribution per original column is the sum over its features. Every
// feature of a snapshot spec is its own column.
func (s Spec) Groups() (columns []string, of []int) {
	if s.Table == nil {
		names := s.Names()
		of = make([]int, len(names))
		for j := range of {
			of[j] = j
		}
		return names, of
	}
	for k, c := range s.Table.Columns {
		columns = append(columns, c.Name)
		for range c.width() {
			of = append(of, k)
		}
	}
	return columns, of
}

// Warning is something InferTable left out, and why, for the user.
type Warning struct {
	Column string
	Reason string
}

func (w Warning) String() string { return fmt.Sprintf("column %q left out: %s", w.Column, w.Reason) }

// InferTable decides how each column of c becomes features: numeric
// columns as they are, text columns as categories, high-cardinality text
// (an id, free text) and columns with a single value left out with a
// warning. A column is numeric when more of its known cells are numbers
// than text, as for a snapshot file's extra columns; its text cells are
// then errors.
func InferTable(c *Customers, opt TableOptions) (*TableSpec, []Warning, error) {
	if opt.Label == "" {
		return nil, nil, errors.New("no label column given")
	}
	maxLevels := cmp.Or(opt.MaxLevels, DefaultMaxLevels)
	skip := map[string]bool{opt.Label: true}
	for _, name := range append([]string{opt.Label, opt.ID, opt.Time}, opt.Drop...) {
		if name == "" {
			continue
		}
		if c.Column(name) < 0 {
			return nil, nil, &InputError{File: c.Name, Column: name, Err: fmt.Errorf("no such column (the file has %s)", strings.Join(c.Columns, ", "))}
		}
		skip[name] = true
	}
	t := &TableSpec{Label: opt.Label, ID: opt.ID}
	var warnings []Warning
	for k, name := range c.Columns {
		if skip[name] {
			continue
		}
		col, why, err := inferColumn(c, k, maxLevels)
		if err != nil {
			return nil, nil, err
		}
		if why != "" {
			warnings = append(warnings, Warning{Column: name, Reason: why})
			continue
		}
		t.Columns = append(t.Columns, col)
	}
	if len(t.Columns) == 0 {
		return nil, warnings, &InputError{File: c.Name, Err: errors.New("no column left to use as a feature")}
	}
	spec := Spec{Table: t}
	if err := spec.Check(); err != nil {
		return nil, nil, &InputError{File: c.Name, Err: err}
	}
	return t, warnings, nil
}

// inferColumn types column k of c; a non-empty why says it is left out.
func inferColumn(c *Customers, k, maxLevels int) (col Column, why string, err error) {
	name := c.Columns[k]
	numbers, texts, missing := 0, 0, 0
	counts := map[string]int{}
	for _, s := range c.Cells[k] {
		s = strings.TrimSpace(s)
		switch {
		case IsMissing(s):
			missing++
			continue
		case isNumber(s):
			numbers++
		default:
			texts++
		}
		if len(counts) <= maxLevels {
			counts[s]++
		}
	}
	col = Column{Name: name, Missing: missing > 0}
	switch {
	case numbers+texts == 0:
		return col, "every value is missing", nil
	case numbers > texts:
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, s := range c.Cells[k] {
			v, known, err := parseCell(s)
			if err != nil {
				return col, "", &InputError{File: c.Name, Row: c.Rows[i], Column: name,
					Err: fmt.Errorf("%w (the column is numeric: %d of its values are numbers)", err, numbers)}
			}
			if known {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if hi-lo < 1e-12*max(1, math.Abs(hi)) && !col.Missing {
			return col, "every row has the same value", nil
		}
		return col, "", nil
	case len(counts) > maxLevels:
		return col, fmt.Sprintf("text with more than %d distinct values (an id, a name or free text?)", maxLevels), nil
	case len(counts) > 10 && 2*len(counts) > numbers+texts:
		return col, fmt.Sprintf("text with %d distinct values in %d rows (an id, a name or free text?)", len(counts), numbers+texts), nil
	case len(counts) == 1 && !col.Missing:
		return col, "every row has the same value", nil
	}
	for l := range counts {
		col.Levels = append(col.Levels, l)
	}
	slices.Sort(col.Levels)
	return col, "", nil
}

// isNumber reports whether s, trimmed, is a finite decimal number.
func isNumber(s string) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
}

// parseCell reads a numeric cell: known false for a missing one.
func parseCell(s string) (v float64, known bool, err error) {
	s = strings.TrimSpace(s)
	if IsMissing(s) {
		return math.NaN(), false, nil
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false, fmt.Errorf("%q is not a number", excerptCell(s))
	}
	return v, true, nil
}

// excerptCell shortens a cell quoted in an error.
func excerptCell(s string) string {
	if len(s) <= 40 {
		return s
	}
	return strings.ToValidUTF8(s[:40], "") + "..."
}

// ParseChurned reads a churned flag: 1/0, true/false or yes/no, in any
// case.
func ParseChurned(s string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "1.0":
		return 1, nil
	case "0", "false", "no", "0.0":
		return 0, nil
	}
	return 0, fmt.Errorf("%q is not a churned flag: want 1/0, true/false or yes/no", excerptCell(s))
}

// Unseen counts the categories of a column that training never saw,
// which were scored as missing.
type Unseen struct {
	Column string         `json:"column"`
	Values map[string]int `json:"values"`
}

// EncodeTable turns the rows of c into a feature dataset for spec t:
// AccountID is the id column's value (the 1-based row number without
// one). With labelled, the label column must be there and every row's
// flag valid. It returns the categories never seen in training, by
// column: they are scored as missing, which the caller should say.
func EncodeTable(c *Customers, t *TableSpec, labelled bool) (*Dataset, []Unseen, error) {
	spec := Spec{Table: t}
	ds := &Dataset{Features: spec.Names()}
	n, p := c.Len(), len(ds.Features)
	ds.AccountID, ds.Week, ds.X = make([]string, n), make([]Date, n), make([]float64, n*p)
	id := -1
	if t.ID != "" {
		if id = c.Column(t.ID); id < 0 {
			return nil, nil, &InputError{File: c.Name, Column: t.ID, Err: errors.New("no such column: the model names its rows by it")}
		}
	}
	cols := make([]int, len(t.Columns))
	for k, col := range t.Columns {
		if cols[k] = c.Column(col.Name); cols[k] < 0 {
			return nil, nil, &InputError{File: c.Name, Column: col.Name, Err: errors.New("no such column: the model uses it")}
		}
	}
	if labelled {
		lc := c.Column(t.Label)
		if lc < 0 {
			return nil, nil, &InputError{File: c.Name, Column: t.Label, Err: errors.New("no such column: want the churned flag")}
		}
		ds.Label = make([]float64, n)
		for i, s := range c.Cells[lc] {
			y, err := ParseChurned(s)
			if err != nil {
				return nil, nil, &InputError{File: c.Name, Row: c.Rows[i], Column: t.Label, Err: err}
			}
			ds.Label[i] = y
		}
	}
	enc := newEncoder(t)
	for i := range n {
		ds.AccountID[i] = strconv.Itoa(i + 1)
		if id >= 0 {
			ds.AccountID[i] = c.Cells[id][i]
		}
		err := enc.encode(ds.X[i*p:(i+1)*p], func(k int) string { return c.Cells[cols[k]][i] })
		if err != nil {
			var ce *cellError
			if errors.As(err, &ce) {
				return nil, nil, &InputError{File: c.Name, Row: c.Rows[i], Column: t.Columns[ce.column].Name, Err: ce.err}
			}
			return nil, nil, err
		}
	}
	return ds, enc.unseenList(), nil
}

// cellError is a bad value in column (an index into TableSpec.Columns).
type cellError struct {
	column int
	err    error
}

func (e *cellError) Error() string { return e.err.Error() }

// encoder turns rows of text cells into feature rows for a spec, and
// counts the categories it has not seen.
type encoder struct {
	t      *TableSpec
	levels []map[string]int // per column: level -> index in Levels
	unseen []map[string]int // per column: unseen value -> rows
}

func newEncoder(t *TableSpec) *encoder {
	e := &encoder{t: t, levels: make([]map[string]int, len(t.Columns)), unseen: make([]map[string]int, len(t.Columns))}
	for k, c := range t.Columns {
		if c.Categorical() {
			e.levels[k] = make(map[string]int, len(c.Levels))
			for i, l := range c.Levels {
				e.levels[k][l] = i
			}
		}
	}
	return e
}

// encode fills x from the cells cell(k) of the spec's columns. It
// returns a *cellError for a numeric column's text.
func (e *encoder) encode(x []float64, cell func(k int) string) error {
	j := 0
	for k, c := range e.t.Columns {
		s := strings.TrimSpace(cell(k))
		missing := IsMissing(s)
		if c.Categorical() {
			level, seen := e.levels[k][s]
			if !missing && !seen {
				if e.unseen[k] == nil {
					e.unseen[k] = map[string]int{}
				}
				if len(e.unseen[k]) < 100 {
					e.unseen[k][s]++
				}
				missing = true
			}
			for l := range c.Levels {
				switch {
				case missing:
					x[j+l] = math.NaN()
				case l == level:
					x[j+l] = 1
				default:
					x[j+l] = 0
				}
			}
			j += len(c.Levels)
		} else {
			v, _, err := parseCell(s)
			if err != nil {
				return &cellError{column: k, err: err}
			}
			x[j] = v
			j++
		}
		if c.Missing {
			x[j] = 0
			if missing {
				x[j] = 1
			}
			j++
		}
	}
	return nil
}

// unseenList returns the unseen categories by column, in spec order.
func (e *encoder) unseenList() []Unseen {
	var out []Unseen
	for k, u := range e.unseen {
		if len(u) > 0 {
			out = append(out, Unseen{Column: e.t.Columns[k].Name, Values: u})
		}
	}
	return out
}

// RowEncoder encodes single rows of named text cells for a table spec,
// as a server's requests come. It is not safe for concurrent use.
type RowEncoder struct {
	enc    *encoder
	column map[string]int
}

// NewRowEncoder returns a RowEncoder for t.
func NewRowEncoder(t *TableSpec) *RowEncoder {
	r := &RowEncoder{enc: newEncoder(t), column: make(map[string]int, len(t.Columns))}
	for k, c := range t.Columns {
		r.column[c.Name] = k
	}
	return r
}

// Encode fills x from cells, keyed by column name; a column absent is
// missing. It returns the columns scored as missing (absent, empty, or a
// category not seen in training) and those whose category was unseen.
// An unknown column or a numeric column's text is an error naming it.
func (r *RowEncoder) Encode(x []float64, cells map[string]string) (missing, unseen []string, err error) {
	for name := range cells {
		if _, ok := r.column[name]; !ok {
			return nil, nil, fmt.Errorf("unknown column %q", name)
		}
	}
	for k := range r.enc.unseen {
		r.enc.unseen[k] = nil
	}
	cols := r.enc.t.Columns
	err = r.enc.encode(x, func(k int) string { return cells[cols[k].Name] })
	if err != nil {
		var ce *cellError
		if errors.As(err, &ce) {
			return nil, nil, fmt.Errorf("column %q: %w", cols[ce.column].Name, ce.err)
		}
		return nil, nil, err
	}
	for k, c := range cols {
		s := strings.TrimSpace(cells[c.Name])
		if len(r.enc.unseen[k]) > 0 {
			unseen = append(unseen, c.Name)
		}
		if IsMissing(s) || len(r.enc.unseen[k]) > 0 {
			missing = append(missing, c.Name)
		}
	}
	return missing, unseen, nil
}

// Folds assigns each row of labels to one of k folds, stratified: each
// fold gets as near as can be the same share of positives and of
// negatives, the rows of a class dealt round-robin in a seeded shuffle.
func Folds(labels []float64, k int, seed uint64) ([]int, error) {
	var pos, neg []int
	for i, y := range labels {
		if y == 1 {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	if k < 2 {
		return nil, fmt.Errorf("%d folds: want 2 or more", k)
	}
	if len(pos) < k || len(neg) < k {
		return nil, fmt.Errorf("%d positive and %d negative rows: %d folds need at least %d of each", len(pos), len(neg), k, k)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	fold := make([]int, len(labels))
	next := 0
	for _, class := range [][]int{pos, neg} {
		rng.Shuffle(len(class), func(a, b int) { class[a], class[b] = class[b], class[a] })
		for _, i := range class {
			fold[i] = next % k
			next++
		}
	}
	return fold, nil
}

// DefaultValidShare is the share of a customer table's rows, the latest
// by its time column, that an out-of-time split holds out.
const DefaultValidShare = 0.2

// SplitTableByTime splits the rows of ds, encoded from c, out of time by
// the dates of c's column: the latest rows, at least share of them and
// whole days (a day is never split), are validation, the earlier ones
// training. Each row's Week is set to its date. Dates are YYYY-MM-DD,
// or a timestamp starting with one; a missing or bad one is an error
// naming its row.
func SplitTableByTime(c *Customers, ds *Dataset, column string, share float64) (*Split, error) {
	k := c.Column(column)
	if k < 0 {
		return nil, &InputError{File: c.Name, Column: column, Err: errors.New("no such column: want the date that splits the rows out of time")}
	}
	for i, s := range c.Cells[k] {
		s = strings.TrimSpace(s)
		if len(s) > 10 && (s[10] == ' ' || s[10] == 'T') {
			s = s[:10]
		}
		d, err := ParseDate(s)
		if err != nil {
			return nil, &InputError{File: c.Name, Row: c.Rows[i], Column: column, Err: err}
		}
		ds.Week[i] = d
	}
	sorted := slices.Clone(ds.Week)
	slices.Sort(sorted)
	cut := sorted[min(len(sorted)-1, int((1-share)*float64(len(sorted))))]
	var train, valid []int
	for i, d := range ds.Week {
		if d < cut {
			train = append(train, i)
		} else {
			valid = append(valid, i)
		}
	}
	if len(train) == 0 {
		return nil, &InputError{File: c.Name, Column: column, Err: fmt.Errorf("every row is on or after %s: no earlier rows to train on", cut)}
	}
	sp := &Split{Train: rowsOf(ds, train), Valid: rowsOf(ds, valid)}
	sp.TrainStats, sp.ValidStats = periodOf(sp.Train), periodOf(sp.Valid)
	return sp, nil
}

// rowsOf returns rows idx of ds, copied.
func rowsOf(ds *Dataset, idx []int) *Dataset {
	out := &Dataset{Features: ds.Features, Label: make([]float64, 0, len(idx))}
	for _, i := range idx {
		out.Append(ds.AccountID[i], ds.Week[i], ds.Row(i))
		out.Label = append(out.Label, ds.Label[i])
	}
	return out
}

// periodOf describes the rows of ds, each a customer.
func periodOf(ds *Dataset) Period {
	p := Period{Rows: ds.Len(), Accounts: ds.Len(), First: slices.Min(ds.Week), Last: slices.Max(ds.Week)}
	for _, y := range ds.Label {
		p.Positives += int(y)
	}
	return p
}
