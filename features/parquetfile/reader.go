package parquetfile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
)

// Reader streams the snapshots of a Parquet file row group by row group.
// It implements features.SnapshotReader.
type Reader struct {
	t       *table
	closer  io.Closer // the file Open opened; nil for NewReader
	schema  features.Schema
	ignored []string
	fields  []field // in file order, one per selected leaf column

	// Account IDs and segments repeat on every week of an account; sharing
	// one string per distinct value saves the caller memory and the reader
	// allocations.
	ids, segments interner
	text          []byte // scratch for formatting non-string identifiers
	// renewalTypes maps the renewal_type spellings seen to what
	// features.ParseRenewalType made of them, so a row costs a lookup.
	renewalTypes map[string]string
}

// Source returns the Parquet snapshot file at path as a features.Source
// named by the path: every Open opens the file afresh, as each of
// features.Build's passes needs. Set the Source's NormalizeWeeks, or wrap
// its Open, for more.
func Source(path string) features.Source { return features.FileSource(path, Open) }

// Open opens the snapshot file at path. The Reader closes the file when it
// is closed.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open snapshots: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open snapshots: %w", err)
	}
	r, err := NewReader(f, info.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader returns a Reader of the size bytes of Parquet data in r. The
// name identifies the data in errors, usually as its path.
//
// NewReader reads the file's footer and checks its columns: a missing
// required column, or a contract column whose type cannot hold the
// contract's values, is an error. Other columns become extras when they
// are numeric and are skipped, and listed by Ignored, otherwise.
func NewReader(r io.ReaderAt, size int64, name string) (_ *Reader, err error) {
	defer catch(name, &err)
	t, err := openTable(r, size, name)
	if err != nil {
		return nil, err
	}
	rd := &Reader{
		t:        t,
		ids:      newInterner(1 << 16),
		segments: newInterner(1 << 10),

		renewalTypes: make(map[string]string),
	}
	if err := rd.mapColumns(); err != nil {
		return nil, err
	}
	cols := make([]*parquet.Column, len(rd.fields))
	for i, f := range rd.fields {
		cols[i] = f.column
	}
	if err := t.project(cols); err != nil {
		return nil, err
	}
	return rd, nil
}

// Schema describes the columns the file carries.
func (r *Reader) Schema() features.Schema {
	s := r.schema
	s.Extras = slices.Clone(s.Extras)
	return s
}

// Ignored returns the names of the columns the reader skips, in file
// order: strings, dates and other non-numeric extras, and nested or
// repeated columns.
func (r *Reader) Ignored() []string { return slices.Clone(r.ignored) }

// Next fills s with the next snapshot and returns io.EOF after the last.
// An error about a value is an *features.InputError naming the row and
// column; the reader has then moved past that row, so a caller may go on
// to collect further errors. An error about the file itself, such as a
// corrupt page, ends the stream.
func (r *Reader) Next(s *features.Snapshot) (err error) {
	defer catch(r.t.name, &err)
	row, err := r.t.next()
	if err != nil {
		return err
	}
	if len(row) != len(r.fields) {
		return r.errorf(r.t.row, "", "corrupt row: %d values for %d columns", len(row), len(r.fields))
	}
	*s = features.Snapshot{
		ARR:         math.NaN(),
		RenewalDate: features.NoDate,
		Extra:       resize(s.Extra, len(r.schema.Extras)),
		Row:         r.t.row,
	}
	for i := range r.fields {
		f := &r.fields[i]
		if row[i].Column() != f.leaf {
			return r.errorf(r.t.row, f.name, "corrupt row: value of column %d where %d belongs", row[i].Column(), f.leaf)
		}
		if err := r.set(s, f, row[i]); err != nil {
			return &features.InputError{File: r.t.name, Row: r.t.row, Column: f.name, Err: err}
		}
	}
	return nil
}

// LastWeek returns the latest week in the file, NoDate if it has no week
// it can read, reading the week column alone: features.Build then knows,
// as it builds each row, whether the row is one of the file's last weeks,
// and need not keep rows until the file ends to find out. Weeks it cannot
// read are left for Next to report, at their rows.
func (r *Reader) LastWeek() (last features.Date, err error) {
	defer catch(r.t.name, &err)
	i := slices.IndexFunc(r.fields, func(f field) bool { return f.role == roleWeek })
	if i < 0 {
		return features.NoDate, nil
	}
	week := &r.fields[i]
	t, err := openTable(r.t.r, r.t.size, r.t.name)
	if err != nil {
		return features.NoDate, err
	}
	defer t.close()
	if err := t.project([]*parquet.Column{week.column}); err != nil {
		return features.NoDate, err
	}
	last = features.NoDate
	for {
		row, err := t.next()
		if err == io.EOF {
			return last, nil
		} else if err != nil {
			return features.NoDate, err
		}
		if len(row) != 1 || row[0].IsNull() {
			continue
		}
		if w, err := week.codec.date(row[0]); err == nil && (last == features.NoDate || w > last) {
			last = w
		}
	}
}

// Close releases the reader and, for a Reader from Open, closes the file.
func (r *Reader) Close() error {
	err := r.t.close()
	if r.closer != nil {
		if cerr := r.closer.Close(); err == nil {
			err = cerr
		}
		r.closer = nil
	}
	return err
}

// role is what a column means to a snapshot.
type role uint8

const (
	roleAccountID role = iota
	roleWeek
	roleLogins
	roleFrequency
	roleRecencyDays
	roleSLABreaches
	roleOverdueInvoices
	roleChurned
	roleARR
	roleSegment
	roleRenewal
	roleRenewalType
	roleExtra
)

// field is a column the reader decodes.
type field struct {
	name   string
	role   role
	extra  int // index into Snapshot.Extra, for roleExtra
	leaf   int // the column's leaf index in the file
	column *parquet.Column
	codec  codec
}

// roleOf returns the role of a contract column, or roleExtra and false for
// any other name.
func roleOf(name string) (role, bool) {
	switch name {
	case features.ColAccountID:
		return roleAccountID, true
	case features.ColWeek:
		return roleWeek, true
	case features.ColLogins:
		return roleLogins, true
	case features.ColFrequency:
		return roleFrequency, true
	case features.ColRecencyDays:
		return roleRecencyDays, true
	case features.ColSLABreaches:
		return roleSLABreaches, true
	case features.ColOverdueInvoices:
		return roleOverdueInvoices, true
	case features.ColChurned:
		return roleChurned, true
	case features.ColARR:
		return roleARR, true
	case features.ColSegment:
		return roleSegment, true
	case features.ColRenewalDate:
		return roleRenewal, true
	case features.ColRenewalType:
		return roleRenewalType, true
	}
	return roleExtra, false
}

// accepts reports whether a column of kind k can hold the role's values,
// and if not, what it should have been.
func (r role) accepts(k kind) (ok bool, want string) {
	switch r {
	case roleAccountID, roleSegment:
		return k.text(), "a string or an integer"
	case roleRenewalType:
		return k == kindString, "a string"
	case roleWeek, roleRenewal:
		return k.date(), "a DATE, a TIMESTAMP or a YYYY-MM-DD string"
	case roleChurned:
		return k.flag(), "a BOOLEAN, a 0/1 number or a true/false string"
	case roleARR, roleExtra:
		return k.numeric(), "numeric"
	}
	return k.integer() || k == kindFloat || k == kindDouble || k == kindDecimal, "an integer"
}

// mapColumns assigns each top-level column its role, or skips it.
func (r *Reader) mapColumns() error {
	seen := make(map[string]bool)
	for _, col := range r.t.columns() {
		name := col.Name()
		if seen[name] {
			return r.errorf(0, name, "duplicate column")
		}
		seen[name] = true
		role, known := roleOf(name)
		// Only flat columns map to a snapshot's scalars; a list of logins
		// or a struct of weeks is not a shape the contract describes.
		if !col.Leaf() || col.Repeated() {
			if known {
				return r.errorf(0, name, "nested or repeated column, want a flat column")
			}
			r.ignored = append(r.ignored, name)
			continue
		}
		c := codecOf(col.Type())
		if ok, want := role.accepts(c.kind); !ok {
			if known {
				return r.errorf(0, name, "type %s, want %s", c.typ, want)
			}
			r.ignored = append(r.ignored, name)
			continue
		}
		f := field{name: name, role: role, leaf: col.Index(), column: col, codec: c}
		switch role {
		case roleChurned:
			r.schema.HasChurned = true
		case roleARR:
			r.schema.HasARR = true
		case roleSegment:
			r.schema.HasSegment = true
		case roleRenewal:
			r.schema.HasRenewal = true
		case roleRenewalType:
			r.schema.HasRenewalType = true
		case roleExtra:
			f.extra = len(r.schema.Extras)
			r.schema.Extras = append(r.schema.Extras, name)
		}
		r.fields = append(r.fields, f)
	}
	for _, name := range features.RequiredColumns {
		if !seen[name] {
			return r.errorf(0, name, "missing required column")
		}
	}
	return nil
}

var (
	errNull  = errors.New("null value")
	errEmpty = errors.New("empty value")
)

// set decodes one value into s.
func (r *Reader) set(s *features.Snapshot, f *field, v parquet.Value) (err error) {
	if v.IsNull() {
		switch f.role {
		case roleChurned, roleARR, roleSegment, roleRenewal, roleRenewalType:
			return nil // s holds the "unknown" value already
		case roleExtra:
			s.Extra[f.extra] = math.NaN()
			return nil
		}
		return errNull
	}
	switch f.role {
	case roleAccountID:
		s.AccountID, err = r.textOf(&r.ids, f, v)
		if err == nil && s.AccountID == "" {
			err = errEmpty
		}
	case roleWeek:
		s.Week, err = f.codec.date(v)
	case roleLogins:
		s.Logins, err = f.codec.count(v)
	case roleFrequency:
		s.Frequency, err = f.codec.count(v)
	case roleRecencyDays:
		s.RecencyDays, err = f.codec.count(v)
	case roleSLABreaches:
		s.SLABreaches, err = f.codec.count(v)
	case roleOverdueInvoices:
		s.OverdueInvoices, err = f.codec.count(v)
	case roleChurned:
		s.Churned, err = f.codec.flag(v)
	case roleARR:
		s.ARR, err = finite(f.codec.number(v))
		if err == nil && s.ARR < 0 {
			err = fmt.Errorf("%v is negative", s.ARR)
		}
	case roleSegment:
		s.Segment, err = r.textOf(&r.segments, f, v)
	case roleRenewal:
		if s.RenewalDate, err = f.codec.date(v); err == nil {
			return nil
		}
		// A text format has no null: an empty string, or another of the
		// spellings of a missing value, is its missing date.
		if f.codec.kind == kindString && features.IsMissing(string(v.ByteArray())) {
			s.RenewalDate, err = features.NoDate, nil
		}
	case roleRenewalType:
		s.RenewalType, err = r.renewalType(f, v)
	case roleExtra:
		s.Extra[f.extra], err = finite(f.codec.number(v))
	}
	return err
}

// maxRenewalSpellings bounds Reader.renewalTypes: a file has a few
// spellings at most, each a valid one.
const maxRenewalSpellings = 64

// renewalType reads a renewal_type string through features.ParseRenewalType.
func (r *Reader) renewalType(f *field, v parquet.Value) (string, error) {
	if err := f.codec.check(v); err != nil {
		return "", err
	}
	b := v.ByteArray()
	if t, ok := r.renewalTypes[string(b)]; ok {
		return t, nil
	}
	t, err := features.ParseRenewalType(string(b))
	if err == nil && len(r.renewalTypes) < maxRenewalSpellings {
		r.renewalTypes[string(b)] = t
	}
	return t, err
}

// finite passes NaN, which marks an unknown value, and rejects infinities,
// which no model can use.
func finite(x float64, err error) (float64, error) {
	if err == nil && math.IsInf(x, 0) {
		err = fmt.Errorf("%v is not finite", x)
	}
	return x, err
}

func (r *Reader) textOf(in *interner, f *field, v parquet.Value) (string, error) {
	if f.codec.kind == kindString {
		if err := f.codec.check(v); err != nil {
			return "", err
		}
		return in.intern(v.ByteArray()), nil
	}
	var err error
	if r.text, err = f.codec.appendText(r.text[:0], v); err != nil {
		return "", err
	}
	return in.intern(r.text), nil
}

func (r *Reader) errorf(row int, column, format string, args ...any) error {
	return &features.InputError{File: r.t.name, Row: row, Column: column, Err: fmt.Errorf(format, args...)}
}

// resize returns a slice of length n, reusing x's array when it is large
// enough.
func resize(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}

// interner shares one string among equal byte slices, remembering at most
// limit of them so that a column of unique values costs no more than
// plain conversion.
type interner struct {
	m     map[string]string
	limit int
}

func newInterner(limit int) interner {
	return interner{m: make(map[string]string), limit: limit}
}

func (in *interner) intern(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < in.limit {
		in.m[s] = s
	}
	return s
}
