package csvfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/churnlabs/churn/features"
)

// Reader reads snapshots from a CSV file. It implements
// features.SnapshotReader.
type Reader struct {
	t       *table
	closer  io.Closer // the file Open opened, nil otherwise
	cols    layout
	schema  features.Schema
	ignored []string

	// first is the first data record, read ahead by NewReader to decide
	// the extra columns' types when the input cannot be read twice, and
	// handed out by the first Next.
	first     []string
	firstLine int
	// kinds says, when the whole input was read first, what each column
	// outside the contract holds; nil when only the first row was seen.
	kinds map[int]columnKind

	ids, segments interner

	// err is the syntax or I/O error, or io.EOF, that ended the input:
	// past it there is no next record to move on to. A row of the wrong
	// width does not end it.
	err error
}

// layout holds the field index of each column of a snapshot record; -1
// marks an absent optional column.
type layout struct {
	accountID, week                int
	logins, frequency, recencyDays int
	slaBreaches, overdueInvoices   int
	churned, arr, segment, renewal int
	renewalType                    int

	extras []int // in Schema.Extras order
}

var _ features.SnapshotReader = (*Reader)(nil)

// NewReader returns a Reader of the CSV text r. It reads the header at
// once, and when the file has columns outside the contract and r is an
// io.ReadSeeker (a file, a bytes.Reader), the whole input too, because
// the whole column decides whether an extra column is numeric (see the
// package documentation): a column of numbers with a text cell is then
// reported here, as is a malformed header. The name identifies the input
// in error messages.
func NewReader(r io.Reader, name string) (*Reader, error) {
	start, seeker := int64(0), false
	if rs, ok := r.(io.ReadSeeker); ok {
		var err error
		start, err = rs.Seek(0, io.SeekCurrent)
		seeker = err == nil
	}
	t, err := openTable(r, name)
	if err != nil {
		return nil, err
	}
	rd := &Reader{t: t}
	if err := rd.layOut(); err != nil {
		return nil, err
	}
	if fields := rd.candidates(); seeker && len(fields) > 0 {
		if rd.kinds, err = surveyColumns(t, fields); err != nil {
			return nil, err
		}
		if _, err := r.(io.Seeker).Seek(start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if rd.t, err = openTable(r, name); err != nil {
			return nil, err
		}
		t = rd.t
	}
	rd.first, rd.firstLine, err = t.next()
	switch {
	case err == io.EOF:
		rd.err = io.EOF
	case err != nil:
		return nil, err
	}
	rd.classifyExtras()
	return rd, nil
}

// Source returns the CSV snapshot file at path as a features.Source
// named by the path: every Open opens the file afresh, as each of
// features.Build's passes needs. Set the Source's NormalizeWeeks, or wrap
// its Open, for more.
func Source(path string) features.Source { return features.FileSource(path, Open) }

// Open opens the named snapshot file; Close closes it.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	rd, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	rd.closer = f
	return rd, nil
}

// Close closes the file Open opened. It does nothing for a Reader made by
// NewReader, which does not own its input.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Schema describes the columns the file carries.
func (r *Reader) Schema() features.Schema {
	s := r.schema
	s.Extras = slices.Clone(s.Extras)
	return s
}

// Ignored returns the names of the columns the Reader skips, in file
// order: extra columns of text and columns with an empty name, such as
// the index column pandas writes by default.
func (r *Reader) Ignored() []string { return slices.Clone(r.ignored) }

// Next fills s with the next snapshot and returns io.EOF after the last.
// It reuses s.Extra's storage; after an error s holds nothing of use.
// Every problem with the file's contents is a *features.InputError. After an error about one row Next may be called
// again to go on with the next row; after a syntax or I/O error, every
// later call returns that error.
func (r *Reader) Next(s *features.Snapshot) error {
	rec, line := r.first, r.firstLine
	if rec != nil {
		r.first = nil
	} else {
		if r.err != nil {
			return r.err
		}
		var err error
		rec, line, err = r.t.next()
		if err != nil {
			if !errors.Is(err, csv.ErrFieldCount) {
				r.err = err
			}
			return err
		}
	}
	return r.decode(rec, line, s)
}

// layOut finds the contract's columns in the header.
func (r *Reader) layOut() error {
	r.cols = layout{
		accountID: -1, week: -1,
		logins: -1, frequency: -1, recencyDays: -1, slaBreaches: -1, overdueInvoices: -1,
		churned: -1, arr: -1, segment: -1, renewal: -1, renewalType: -1,
	}
	for i, name := range r.t.header {
		if p := r.cols.field(name); p != nil {
			*p = i
		}
	}
	for _, name := range features.RequiredColumns {
		if r.t.column(name) < 0 {
			return r.t.headerError(name, "missing required column")
		}
	}
	r.schema = features.Schema{
		HasChurned: r.cols.churned >= 0,
		HasARR:     r.cols.arr >= 0,
		HasSegment: r.cols.segment >= 0,
		HasRenewal: r.cols.renewal >= 0,

		HasRenewalType: r.cols.renewalType >= 0,
	}
	return nil
}

// field returns the layout's slot for a column of the contract, or nil
// for any other column.
func (l *layout) field(name string) *int {
	switch name {
	case features.ColAccountID:
		return &l.accountID
	case features.ColWeek:
		return &l.week
	case features.ColLogins:
		return &l.logins
	case features.ColFrequency:
		return &l.frequency
	case features.ColRecencyDays:
		return &l.recencyDays
	case features.ColSLABreaches:
		return &l.slaBreaches
	case features.ColOverdueInvoices:
		return &l.overdueInvoices
	case features.ColChurned:
		return &l.churned
	case features.ColARR:
		return &l.arr
	case features.ColSegment:
		return &l.segment
	case features.ColRenewalDate:
		return &l.renewal
	case features.ColRenewalType:
		return &l.renewalType
	}
	return nil
}

// isContractColumn reports whether the contract names the column.
func isContractColumn(name string) bool {
	var l layout
	return l.field(name) != nil
}

// candidates returns the fields of the named columns outside the
// contract, whose kind the data decides.
func (r *Reader) candidates() []int {
	var fields []int
	for i, name := range r.t.header {
		if name != "" && !isContractColumn(name) {
			fields = append(fields, i)
		}
	}
	return fields
}

// classifyExtras sorts the columns outside the contract into numeric
// extras and skipped ones: by the survey of the whole file when there
// was one, by the first data row otherwise.
func (r *Reader) classifyExtras() {
	for i, name := range r.t.header {
		if isContractColumn(name) {
			continue
		}
		text := name == ""
		switch {
		case r.kinds != nil:
			text = text || r.kinds[i] == textColumn
		case r.first != nil && !features.IsMissing(r.first[i]):
			text = text || !isNumber(r.first[i])
		}
		if text {
			r.ignored = append(r.ignored, name)
			continue
		}
		r.cols.extras = append(r.cols.extras, i)
		r.schema.Extras = append(r.schema.Extras, name)
	}
}

// decode fills s from one record. It checks the columns in the contract's
// order, so a row with several bad cells reports the same one every time.
func (r *Reader) decode(rec []string, line int, s *features.Snapshot) error {
	c := &r.cols
	s.Row = line

	id := rec[c.accountID]
	if id == "" {
		return r.t.cellError(line, c.accountID, errMissing)
	}
	s.AccountID = r.ids.intern(id)

	var err error
	if rec[c.week] == "" {
		return r.t.cellError(line, c.week, errMissing)
	}
	if s.Week, err = parseDate(rec[c.week]); err != nil {
		return r.t.cellError(line, c.week, err)
	}

	counts := [...]struct {
		dst   *int64
		field int
	}{
		{&s.Logins, c.logins},
		{&s.Frequency, c.frequency},
		{&s.RecencyDays, c.recencyDays},
		{&s.SLABreaches, c.slaBreaches},
		{&s.OverdueInvoices, c.overdueInvoices},
	}
	for _, n := range counts {
		if *n.dst, err = parseCount(rec[n.field]); err != nil {
			return r.t.cellError(line, n.field, err)
		}
	}

	s.Churned = false
	if c.churned >= 0 {
		if s.Churned, err = parseBool(rec[c.churned]); err != nil {
			return r.t.cellError(line, c.churned, err)
		}
	}

	s.ARR = math.NaN()
	if c.arr >= 0 {
		if s.ARR, err = parseOptional(rec[c.arr]); err != nil {
			return r.t.cellError(line, c.arr, err)
		}
		if s.ARR < 0 {
			return r.t.cellError(line, c.arr, fmt.Errorf("negative value %s", rec[c.arr]))
		}
	}

	s.Segment = ""
	if c.segment >= 0 {
		s.Segment = r.segments.intern(rec[c.segment])
	}

	s.RenewalDate = features.NoDate
	if c.renewal >= 0 && !features.IsMissing(rec[c.renewal]) {
		if s.RenewalDate, err = parseDate(rec[c.renewal]); err != nil {
			return r.t.cellError(line, c.renewal, err)
		}
	}

	s.RenewalType = ""
	if c.renewalType >= 0 {
		if s.RenewalType, err = features.ParseRenewalType(rec[c.renewalType]); err != nil {
			return r.t.cellError(line, c.renewalType, err)
		}
	}

	s.Extra = s.Extra[:0]
	for _, i := range c.extras {
		v, err := parseOptional(rec[i])
		if err != nil {
			if !isNumber(rec[i]) {
				err = fmt.Errorf("%w: %q in a column of numbers", errText, rec[i])
			}
			return r.t.cellError(line, i, err)
		}
		s.Extra = append(s.Extra, v)
	}
	return nil
}
