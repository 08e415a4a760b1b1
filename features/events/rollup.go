package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/postgres"
)

// Writer receives the snapshots, sorted by account then week.
type Writer interface {
	Write(s *features.Snapshot) error
}

// Options tune a roll-up.
type Options struct {
	// From is the first week written (a day in it); zero (or NoDate)
	// means the mapping's from:, else each account's first week. Rows
	// before it are history: recency, overdue invoices, silences.
	From features.Date
	// Until is the last day of the data: the last week written is the one
	// ending on or before it. Zero (or NoDate) means the last day any
	// event falls on.
	Until features.Date
	// Today rejects events dated after it (future dates are a typo or a
	// clock gone wrong); zero (or NoDate) accepts every date.
	Today features.Date
	// Lenient turns row errors into counted warnings: the row is left out.
	Lenient bool
	// Progress, when set, is called with the rows read so far, every few
	// thousand rows.
	Progress func(rows int64)
}

// Report says what a roll-up did.
type Report struct {
	Schema   features.Schema
	Rows     int64 // input rows read, all sources
	Written  int64 // snapshots written
	Accounts int   // accounts with at least one snapshot
	Churned  int
	// First and Last are the first and last weeks written.
	First, Last features.Date
	// Warnings (with Lenient) and Notes count rows left out, by reason,
	// with the first instance's message.
	Warnings []Count
	Notes    []Count
}

// Count is a number of rows left out for one reason.
type Count struct {
	Reason string
	N      int64
	First  string // the first instance, located
}

// Build reads every source of m, folds the rows into account-weeks and
// writes the snapshots to w. It stops with ctx.
func Build(ctx context.Context, m *Mapping, opt Options, w Writer) (*Report, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	loc, _ := m.Location()
	silence, _ := m.SilenceDays()
	from, until, _ := m.Span()
	if opt.From == 0 || opt.From == features.NoDate {
		opt.From = from
	}
	if opt.Until == 0 || opt.Until == features.NoDate {
		opt.Until = until
	}
	r := &rollup{
		m:        m,
		opt:      opt,
		silence:  silence,
		index:    map[string]*account{},
		parsers:  make([]DayParser, len(m.Sources)),
		maxDay:   features.NoDate,
		warnings: map[string]*Count{},
		notes:    map[string]*Count{},
	}
	if m.Accounts != nil {
		r.accExtras = len(m.Accounts.Extra)
	}
	for i := range m.Sources {
		s := &m.Sources[i]
		r.parsers[i] = NewDayParser(s.TimeFormat, loc)
		if s.LoginCount == LoginRows {
			r.loginRows = true
		}
		for _, sig := range s.Sum {
			r.signals = append(r.signals, signal{source: i, column: sig.Column, name: sig.name()})
		}
		for _, sig := range s.CountDistinct {
			r.signals = append(r.signals, signal{source: i, column: sig.Column, name: sig.name(), distinct: true})
		}
	}
	r.sig0 = 2
	if r.loginRows {
		r.sig0 = 3
	}
	r.stride = r.sig0 + len(r.signals)
	if slices.ContainsFunc(r.signals, func(s signal) bool { return s.distinct }) {
		r.values = startRecorder(len(r.signals))
		defer r.values.wait() // on an error; a second wait does nothing
	}
	if m.Accounts != nil {
		if err := r.readAccounts(ctx, NewDayParser(m.Accounts.TimeFormat, loc)); err != nil {
			return nil, err
		}
	}
	// Events first: they decide which accounts exist, which tickets and
	// invoices must belong to.
	for _, kind := range []string{KindEvents, KindTickets, KindInvoices} {
		for i := range m.Sources {
			if m.Sources[i].kind() == kind {
				if err := r.readSource(ctx, i); err != nil {
					return nil, err
				}
			}
		}
	}
	if r.values != nil {
		r.values.wait() // every distinct value recorded before the finish reads them
	}
	return r.finish(ctx, w)
}

// valueItem is a distinct value for the recorder: v of signal k on day,
// for account a.
type valueItem struct {
	a   *account
	v   string
	k   int
	day features.Date
}

// recorder records distinct values in a goroutine of its own, in the
// order they come, so that a roll-up with a distinct count folds rows on
// one core and records their values on another. Only it writes an
// account's distinct field until wait returns.
type recorder struct {
	batch []valueItem
	full  chan []valueItem
	free  chan []valueItem
	done  chan struct{}
}

func startRecorder(signals int) *recorder {
	const batches, size = 4, 1024
	rec := &recorder{full: make(chan []valueItem, batches), free: make(chan []valueItem, batches), done: make(chan struct{})}
	for range batches {
		rec.free <- make([]valueItem, 0, size)
	}
	rec.batch = <-rec.free
	go func() {
		defer close(rec.done)
		var kept keeper
		for b := range rec.full {
			for _, it := range b {
				if it.a.distinct == nil {
					it.a.distinct = make([]valueWeeks, signals)
				}
				n, j := chunkOf(it.day.Monday())
				it.a.distinct[it.k].add(it.v, n, j, &kept)
			}
			clear(b) // let go of the accounts and values
			rec.free <- b[:0]
		}
	}()
	return rec
}

func (rec *recorder) add(it valueItem) {
	rec.batch = append(rec.batch, it)
	if len(rec.batch) == cap(rec.batch) {
		rec.full <- rec.batch
		rec.batch = <-rec.free
	}
}

// wait records what is left and returns once every value is recorded.
func (rec *recorder) wait() {
	if rec.batch == nil {
		return
	}
	if len(rec.batch) > 0 {
		rec.full <- rec.batch
	}
	rec.batch = nil
	close(rec.full)
	<-rec.done
}

// signal is an extra column.
type signal struct {
	source   int
	column   string
	name     string
	distinct bool
}

// micro is the fixed point of sums: exact integers, so that the sum of the
// same amounts in any order is the same number.
const micro = 1e6

type ref struct {
	file string
	row  int
}

func (r ref) String() string { return fmt.Sprintf("%s row %d", r.file, r.row) }

// week is one account-week's aggregates, as finish reads them from a
// chunk.
type week struct {
	loginDays, actionDays uint8 // bit d: a login / key action on Monday+d
	dayLogins             uint8 // loginDays of the sources counting days
	sla                   int32
	freq                  int64
}

// chunkWeeks is how many consecutive weeks one chunk holds.
const chunkWeeks = 8

// chunk holds chunkWeeks weeks of one account, starting on a Monday whose
// week number (see chunkOf) is a multiple of chunkWeeks: for each week,
// stride words: the login days (bits 0-7), key-action days (bits 8-15),
// login days of the sources counting days (bits 16-23) and SLA breaches
// (from bit 24) in one, the key actions, the login rows (only when a
// source counts them), then one per signal (the sums, in millionths;
// unused for distinct counts).
//
// An account's weeks live in chunks rather than in one slice because rows
// come in any order: growing a slice as the weeks widen copies it, once
// per week when an export is sorted by time, while a chunk, once made,
// stays where it is, and weeks in which no row falls cost no chunk. A
// chunk is one block without pointers, which the garbage collector skips
// and a row reaches with one cache miss.
type chunk []int64

// Bits of a chunk's first word of a week.
const (
	actionShift   = 8
	dayLoginShift = 16
	slaShift      = 24
)

// week decodes week j of c.
func (c chunk) week(j, stride int) week {
	w := c[j*stride]
	return week{loginDays: uint8(w), actionDays: uint8(w >> actionShift), dayLogins: uint8(w >> dayLoginShift), sla: int32(w >> slaShift), freq: c[j*stride+1]}
}

// monday0 is a Monday (1970-01-05): week numbers count from it.
const monday0 = 4

// chunkOf returns the number of the chunk holding the week starting on
// mon, and the week's index in it.
func chunkOf(mon features.Date) (int, int) {
	off := int(mon) - monday0
	n := off / (7 * chunkWeeks)
	if off%(7*chunkWeeks) < 0 {
		n--
	}
	return n, (off - n*7*chunkWeeks) / 7
}

// mondayOf is the Monday of week j of chunk n.
func mondayOf(n, j int) features.Date {
	return features.Date(monday0 + 7*(n*chunkWeeks+j))
}

// account is everything known about one account: its weeks, and what the
// finish needs to decide its life.
type account struct {
	// What every row touches comes first, to share its cache lines.
	cur      chunk         // the chunk the last row fell in: the next likely does too
	curN     int           // its number
	c0       int           // the number of chunks[0]
	chunks   []chunk       // nil where no row fell
	firstAct features.Date // of an activity (login or key action) row
	lastAct  features.Date
	active   bool // has an activity row
	lastRef  ref  // the row of the latest activity
	id       string
	churn    features.Date
	churnRef ref
	other    ref // first ticket or invoice row, for an unknown account
	invoices [][2]features.Date
	versions []version
	// distinct is per signal; nil until a distinct count's value comes.
	// The recorder's goroutine writes it, away from the fields above
	// that the folding writes, so that the two do not share a cache
	// line.
	distinct []valueWeeks
}

// keeper copies the strings the roll-up keeps (account ids, distinct
// values) into shared 64 KiB blocks, one after the other: every row looks
// one of each up, comparing the bytes, and packed together they take a
// fraction of the cache that one allocation each, scattered over the
// heap, did. A strings.Builder's String shares its bytes and never
// changes those it returned while it does not grow; a string that does
// not fit starts a new block.
type keeper struct{ block strings.Builder }

func (k *keeper) keep(s string) string {
	if k.block.Cap()-k.block.Len() < len(s) {
		k.block = strings.Builder{}
		k.block.Grow(max(64<<10, len(s)))
	}
	at := k.block.Len()
	k.block.WriteString(s)
	return k.block.String()[at:]
}

// valueWeeks records the distinct values of one column for one account,
// and the weeks each appeared in. Holding each value once per account,
// with a bit per week, rather than a set of values per week keeps the
// memory to the account's values (its users, say) and a bit per week,
// and costs no allocation per account-week, which had made the garbage
// collector the largest cost of a roll-up with a distinct count.
type valueWeeks struct {
	few   []fewValue       // the values while there are few, scanned in order
	index map[string]int32 // value -> its number, once there are more
	weeks []weekBits       // by value number
}

// fewValue is a value of a short list, with its first 8 bytes as a word:
// a scan compares words without reaching the strings' bytes, and a
// value of up to 8 bytes is its word and its length. (A small Go map
// compares the strings' bytes of every key instead.)
type fewValue struct {
	word uint64
	s    string
}

// weekBits is a set of weeks: bit j of bits[k] is week j of chunk c0+k.
type weekBits struct {
	c0   int
	bits []uint8
}

// maxFew is how many values a short list holds before a map takes over.
const maxFew = 32

// word returns the first 8 bytes of s, zero-padded, as one number.
func word(s string) uint64 {
	var w uint64
	for i := range min(len(s), 8) {
		w |= uint64(s[i]) << (8 * i)
	}
	return w
}

// number returns v's number, giving it the next one, and keeping v with
// k, if it is new.
func (vw *valueWeeks) number(v string, n int, kept *keeper) int32 {
	if vw.index != nil {
		if i, ok := vw.index[v]; ok {
			return i
		}
	} else {
		w := word(v)
		for i := range vw.few {
			if f := &vw.few[i]; f.word == w && len(f.s) == len(v) && (len(v) <= 8 || f.s == v) {
				return int32(i)
			}
		}
	}
	i := int32(len(vw.weeks))
	v = kept.keep(v)
	vw.weeks = append(vw.weeks, weekBits{c0: n})
	switch {
	case vw.index != nil:
		vw.index[v] = i
	case len(vw.few) < maxFew:
		vw.few = append(vw.few, fewValue{word(v), v})
	default:
		vw.index = make(map[string]int32, 2*maxFew)
		for k, f := range vw.few {
			vw.index[f.s] = int32(k)
		}
		vw.index[v] = i
		vw.few = nil
	}
	return i
}

// add records value v in week j of chunk n.
func (vw *valueWeeks) add(v string, n, j int, kept *keeper) {
	i := vw.number(v, n, kept)
	wb := &vw.weeks[i]
	k := n - wb.c0
	if k < 0 {
		pad := -k + len(wb.bits)/2
		bits := make([]uint8, pad+len(wb.bits))
		copy(bits[pad:], wb.bits)
		wb.bits, wb.c0, k = bits, wb.c0-pad, k+pad
	}
	if k >= len(wb.bits) {
		wb.bits = append(wb.bits, make([]uint8, k+1-len(wb.bits))...)
	}
	wb.bits[k] |= 1 << j
}

// counts returns the number of distinct values in each week of chunks
// c0 to c0+n-1: week j of chunk c0+k at chunkWeeks*k+j.
func (vw *valueWeeks) counts(c0, n int) []int32 {
	out := make([]int32, chunkWeeks*n)
	for _, wb := range vw.weeks {
		for k, b := range wb.bits {
			at := chunkWeeks * (wb.c0 + k - c0)
			for b != 0 {
				j := bits.TrailingZeros8(b)
				b &^= 1 << j
				out[at+j]++
			}
		}
	}
	return out
}

// week returns the chunk holding the account's week starting on mon and
// the week's index in it, or a nil chunk when no row fell in its chunk.
func (a *account) week(mon features.Date) (chunk, int) {
	n, j := chunkOf(mon)
	if k := n - a.c0; k >= 0 && k < len(a.chunks) {
		return a.chunks[k], j
	}
	return nil, j
}

// version is an accounts-table row: values from `from` on.
type version struct {
	from        features.Date
	arr         float64
	segment     string
	renewal     features.Date
	renewalType string // "", features.RenewalAuto or features.RenewalSignature
	contractEnd features.Date
	start       features.Date // contract start
	extra       []float64     // the accounts table's extra columns; NaN when empty
	at          ref
}

type rollup struct {
	m       *Mapping
	opt     Options
	silence int
	index   map[string]*account
	parsers []DayParser
	signals []signal
	stride  int // words per week of a chunk
	sig0    int // the word of a week's first signal
	// loginRows is set when a source counts login rows, not days: a
	// week then has a word for them.
	loginRows bool
	// accExtras is the number of the accounts table's extra columns,
	// written before the signals.
	accExtras int
	kept      keeper
	values    *recorder // nil without distinct counts
	maxDay    features.Date
	rows      int64
	warnings  map[string]*Count
	notes     map[string]*Count
}

func (r *rollup) get(id string) *account {
	a := r.index[id]
	if a == nil {
		a = &account{id: r.kept.keep(id), firstAct: features.NoDate, lastAct: features.NoDate, churn: features.NoDate}
		r.index[a.id] = a
	}
	return a
}

// at returns the chunk holding the account-week of day, making it if
// need be, the week's index in it and the day's weekday (0 = Monday).
func (r *rollup) at(a *account, day features.Date) (chunk, int, uint) {
	mon := day.Monday()
	n, j := chunkOf(mon)
	if n == a.curN && a.cur != nil {
		return a.cur, j, uint(day - mon)
	}
	if a.chunks == nil {
		a.c0 = n
	}
	k := n - a.c0
	if k < 0 {
		// An earlier chunk: room before it too, half the span, so that
		// rows in reverse time order move the pointers a logarithmic
		// number of times.
		pad := -k + len(a.chunks)/2
		chunks := make([]chunk, pad+len(a.chunks), pad+cap(a.chunks))
		copy(chunks[pad:], a.chunks)
		a.chunks, a.c0, k = chunks, a.c0-pad, k+pad
	}
	if k >= len(a.chunks) {
		a.chunks = append(a.chunks, make([]chunk, k+1-len(a.chunks))...)
	}
	c := a.chunks[k]
	if c == nil {
		c = make(chunk, chunkWeeks*r.stride)
		a.chunks[k] = c
	}
	a.cur, a.curN = c, n
	return c, j, uint(day - mon)
}

// count adds a left-out row to warnings or notes.
func count(m map[string]*Count, reason, first string) {
	c := m[reason]
	if c == nil {
		c = &Count{Reason: reason, First: first}
		m[reason] = c
	}
	c.N++
}

// rowError is an error about one row: fatal, or a warning with Lenient.
func (r *rollup) rowError(err error, reason string) error {
	if !r.opt.Lenient {
		return err
	}
	count(r.warnings, reason, err.Error())
	return nil
}

// columns finds a source's columns in a reader.
type columns struct {
	account, time     int
	logins, actions   filter
	churn             filter
	sums              []int // per r.signals, -1 when not this source's
	response, limit   int
	flag, due, paid   int
	arr, segment      int
	renewal, contract int
	from, start       int
	renewalType       int
}

type filter struct {
	col  int // -1: every row
	none bool
	in   bool // values are the ones selected (in) or not (not_in)
	vals map[string]bool
}

func (f *filter) match(row []string) bool {
	switch {
	case f.none:
		return false
	case f.col < 0:
		return true
	}
	return f.vals[row[f.col]] == f.in
}

// header is what mapping a source's columns needs of its reader.
type header interface {
	Columns() []string
	Where() (file string, row int)
}

// lookup returns the index of column name in cols, or an error naming the
// file and the columns it has.
func lookup(rr header, name string) (int, error) {
	cols := rr.Columns()
	if i := slices.Index(cols, name); i >= 0 {
		return i, nil
	}
	file, _ := rr.Where()
	return -1, &features.InputError{File: file, Column: name, Err: fmt.Errorf("no such column (the file has %s)", strings.Join(cols, ", "))}
}

func optional(rr header, name string) (int, error) {
	if name == "" {
		return -1, nil
	}
	return lookup(rr, name)
}

func makeFilter(rr header, f *Filter) (filter, error) {
	if f == nil {
		return filter{col: -1}, nil
	}
	if f.None {
		return filter{col: -1, none: true}, nil
	}
	col, err := lookup(rr, f.Column)
	if err != nil {
		return filter{}, err
	}
	vals := f.In
	if f.NotIn != nil {
		vals = f.NotIn
	}
	m := map[string]bool{}
	for _, v := range vals {
		m[v] = true
	}
	return filter{col: col, in: f.NotIn == nil, vals: m}, nil
}

func (r *rollup) mapSource(rr header, i int) (*columns, error) {
	s := &r.m.Sources[i]
	c := &columns{}
	var err error
	set := func(dst *int, name string, opt bool) {
		if err != nil {
			return
		}
		if opt {
			*dst, err = optional(rr, name)
		} else {
			*dst, err = lookup(rr, name)
		}
	}
	set(&c.account, s.Account, false)
	set(&c.time, s.Time, s.kind() == KindInvoices)
	if sla := s.SLA; sla != nil {
		set(&c.response, sla.Response, true)
		set(&c.limit, sla.Limit, true)
		set(&c.flag, sla.Flag, true)
	}
	if inv := s.Invoice; inv != nil {
		set(&c.due, inv.Due, false)
		set(&c.paid, inv.Paid, true)
	}
	if err != nil {
		return nil, err
	}
	if c.logins, err = makeFilter(rr, s.Logins); err != nil {
		return nil, err
	}
	if c.actions, err = makeFilter(rr, s.Actions); err != nil {
		return nil, err
	}
	c.churn = filter{col: -1, none: true}
	if s.ChurnEvent != nil {
		if c.churn, err = makeFilter(rr, s.ChurnEvent); err != nil {
			return nil, err
		}
	}
	c.sums = make([]int, len(r.signals))
	for k, sig := range r.signals {
		c.sums[k] = -1
		if sig.source == i {
			if c.sums[k], err = lookup(rr, sig.column); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// tableQuery is the query reading a postgres:// path's rows: query, or
// every row of table.
func tableQuery(query, table string) string {
	if strings.TrimSpace(table) != "" {
		return "SELECT * FROM " + table
	}
	return query
}

func (r *rollup) open(ctx context.Context, path, query, delimiter string, open func() (RowReader, error)) (RowReader, error) {
	if open != nil {
		return open()
	}
	if postgres.IsURL(path) {
		return postgres.Query(ctx, path, query)
	}
	rr, err := OpenPath(path, delimiter)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rr, nil
}

// tick counts a row, reports progress and looks at ctx now and then.
func (r *rollup) tick(ctx context.Context) error {
	if r.rows++; r.rows&0x3fff == 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.opt.Progress != nil {
			r.opt.Progress(r.rows)
		}
	}
	return nil
}

func (r *rollup) readSource(ctx context.Context, i int) (err error) {
	s := &r.m.Sources[i]
	rr, err := r.open(ctx, s.Path, tableQuery(s.Query, s.Table), s.Delimiter, s.Open)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := rr.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	cols, err := r.mapSource(rr, i)
	if err != nil {
		return err
	}
	kind := s.kind()
	rows := prefetch(rr)
	defer rows.stop()
	for b := range rows.batches {
		for k, row := range b.rows {
			if err := r.tick(ctx); err != nil {
				return err
			}
			if err := r.fold(kind, i, cols, row, b.refs[k]); err != nil {
				return err
			}
		}
		switch b.err {
		case nil:
			rows.free <- b
		case errNextFile:
			if cols, err = r.mapSource(b.next, i); err != nil {
				return err
			}
			rows.free <- b
		case io.EOF:
			return nil
		default:
			return b.err
		}
	}
	return nil
}

// prefetched reads a RowReader's rows in a goroutine, a batch at a time,
// so that parsing a file and folding its rows take two cores. Its batches
// come in order; the last one ends with io.EOF or the error that stopped
// the reading, and one may end with errNextFile and the next file's
// header. Batches go back through free to be filled again.
type prefetched struct {
	batches <-chan *batch
	free    chan<- *batch
	done    chan struct{}
	exited  chan struct{}
}

// batch is a run of rows and where each is, then what ended the run.
type batch struct {
	rows  [][]string
	refs  []ref
	cells []string // the rows' cells, one after the other
	err   error
	next  fileHeader // with errNextFile: the next file's columns
}

// fileHeader is a file's columns, kept for mapping after the reader moved on.
type fileHeader struct {
	cols []string
	file string
}

func (h fileHeader) Columns() []string    { return h.cols }
func (h fileHeader) Where() (string, int) { return h.file, 1 }

// batchRows is how many rows a batch holds: enough that passing a batch
// costs little per row, few enough that the folding starts at once.
const batchRows = 1024

func prefetch(rr RowReader) *prefetched {
	const depth = 4
	batches, free := make(chan *batch, depth), make(chan *batch, depth)
	for range depth {
		free <- &batch{}
	}
	p := &prefetched{batches: batches, free: free, done: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(p.exited)
		defer close(batches)
		for {
			var b *batch
			select {
			case b = <-free:
			case <-p.done:
				return
			}
			b.rows, b.refs, b.cells, b.err = b.rows[:0], b.refs[:0], b.cells[:0], nil
			for len(b.rows) < batchRows {
				row, err := rr.Next()
				if err != nil {
					b.err = err
					if err == errNextFile {
						file, _ := rr.Where()
						b.next = fileHeader{cols: slices.Clone(rr.Columns()), file: file}
					}
					break
				}
				// The strings may be kept (RowReader's promise); the
				// slice may not.
				at := len(b.cells)
				b.cells = append(b.cells, row...)
				file, line := rr.Where()
				b.refs = append(b.refs, ref{file, line})
				b.rows = append(b.rows, b.cells[at:len(b.cells):len(b.cells)])
			}
			// A batch's cells are appended to before its rows are
			// sliced from them, so a regrown cells slice leaves earlier
			// rows pointing at the old array: still valid, as the old
			// array is not written to again.
			select {
			case batches <- b:
			case <-p.done:
				return
			}
			if b.err != nil && b.err != errNextFile {
				return
			}
		}
	}()
	return p
}

// stop ends the reading and waits for the goroutine, so that the reader
// may be closed.
func (p *prefetched) stop() {
	close(p.done)
	<-p.exited
}

// cellError names the file, row and column of a bad cell.
func cellError(at ref, col string, err error) error {
	return &features.InputError{File: at.file, Row: at.row, Column: col, Err: err}
}

// fold adds one row.
func (r *rollup) fold(kind string, i int, c *columns, row []string, at ref) error {
	s := &r.m.Sources[i]
	id := row[c.account]
	// An id already in the index passed the check when it came first.
	a := r.index[id]
	if a == nil {
		if err := features.CheckAccountID(id); err != nil {
			return r.rowError(cellError(at, s.Account, err), "bad account id")
		}
	}
	day := features.NoDate
	if c.time >= 0 {
		d, err := r.parsers[i].Day(row[c.time])
		if err != nil {
			return r.rowError(cellError(at, s.Time, err), "unparseable time")
		}
		if r.opt.Today != features.NoDate && r.opt.Today != 0 && d > r.opt.Today {
			return r.rowError(cellError(at, s.Time, fmt.Errorf("%s is in the future (today is %s)", d, r.opt.Today)), "future date")
		}
		day = d
	}
	if a == nil {
		a = r.get(id)
	}
	switch kind {
	case KindEvents:
		return r.foldEvent(a, s, c, row, day, at)
	case KindTickets:
		breach, err := r.breach(s, c, row, at)
		if err != nil {
			return r.rowError(err, "bad sla cell")
		}
		if a.other.file == "" {
			a.other = at
		}
		if breach {
			ch, j, _ := r.at(a, day)
			ch[j*r.stride] += 1 << slaShift
		}
		return nil
	default:
		due, err := r.parsers[i].Day(row[c.due])
		if err != nil {
			return r.rowError(cellError(at, s.Invoice.Due, err), "unparseable time")
		}
		paid := features.NoDate
		if c.paid >= 0 && !features.IsMissing(row[c.paid]) {
			if paid, err = r.parsers[i].Day(row[c.paid]); err != nil {
				return r.rowError(cellError(at, s.Invoice.Paid, err), "unparseable time")
			}
		}
		if a.other.file == "" {
			a.other = at
		}
		a.invoices = append(a.invoices, [2]features.Date{due, paid})
		return nil
	}
}

func (r *rollup) foldEvent(a *account, s *Source, c *columns, row []string, day features.Date, at ref) error {
	// Amounts are checked before anything is added, so a row left out
	// with Lenient is left out whole.
	var amounts [8]int64
	sums := amounts[:0]
	for k, col := range c.sums {
		if col < 0 || r.signals[k].distinct {
			sums = append(sums, 0)
			continue
		}
		v, err := amount(row[col])
		if err != nil {
			return r.rowError(cellError(at, r.signals[k].column, err), "bad amount")
		}
		sums = append(sums, v)
	}
	if c.churn.col >= 0 && c.churn.match(row) {
		if a.churn == features.NoDate || day < a.churn || day == a.churn && at.String() < a.churnRef.String() {
			a.churn, a.churnRef = day, at
		}
		return nil
	}
	login, action := c.logins.match(row), c.actions.match(row)
	if day > r.maxDay || r.maxDay == features.NoDate {
		r.maxDay = day
	}
	ch, j, d := r.at(a, day)
	wk := ch[j*r.stride : (j+1)*r.stride]
	if login || action {
		if !a.active || day < a.firstAct {
			a.firstAct = day
		}
		if !a.active || day > a.lastAct {
			a.lastAct, a.lastRef = day, at
		}
		a.active = true
	}
	if login {
		wk[0] |= 1 << d
		if s.LoginCount == LoginRows {
			wk[2]++
		} else {
			wk[0] |= 1 << (dayLoginShift + d)
		}
	}
	if action {
		wk[0] |= 1 << (actionShift + d)
		wk[1]++
	}
	for k, col := range c.sums {
		if col < 0 {
			continue
		}
		if r.signals[k].distinct {
			v := row[col]
			if features.IsMissing(v) {
				continue
			}
			r.values.add(valueItem{a: a, v: v, k: k, day: day})
			continue
		}
		wk[r.sig0+k] += sums[k]
	}
	return nil
}

// amount parses a summed cell into millionths; empty is 0.
func amount(s string) (int64, error) {
	if features.IsMissing(s) {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a number", s)
	case math.IsInf(v, 0) || math.IsNaN(v):
		return 0, fmt.Errorf("%q is not a finite number", s)
	case v < 0:
		return 0, fmt.Errorf("negative amount %v", v)
	case v > 1e12:
		return 0, fmt.Errorf("amount %v is over 10^12", v)
	}
	return int64(math.Round(v * micro)), nil
}

func (r *rollup) breach(s *Source, c *columns, row []string, at ref) (bool, error) {
	if c.flag >= 0 {
		switch strings.ToLower(strings.TrimSpace(row[c.flag])) {
		case "1", "true", "t", "yes", "y":
			return true, nil
		case "0", "false", "f", "no", "n", "":
			return false, nil
		}
		return false, cellError(at, s.SLA.Flag, fmt.Errorf("%q is not true or false", row[c.flag]))
	}
	if features.IsMissing(row[c.response]) {
		return false, nil // not answered yet: no breach known
	}
	resp, err := strconv.ParseFloat(strings.TrimSpace(row[c.response]), 64)
	if err != nil || resp < 0 || math.IsInf(resp, 0) {
		return false, cellError(at, s.SLA.Response, fmt.Errorf("%q is not a number >= 0", row[c.response]))
	}
	limit, err := strconv.ParseFloat(strings.TrimSpace(row[c.limit]), 64)
	if err != nil || limit < 0 || math.IsInf(limit, 0) {
		return false, cellError(at, s.SLA.Limit, fmt.Errorf("%q is not a number >= 0", row[c.limit]))
	}
	return resp > limit, nil
}

func (r *rollup) readAccounts(ctx context.Context, p DayParser) (err error) {
	t := r.m.Accounts
	rr, err := r.open(ctx, t.Path, tableQuery(t.Query, t.Table), t.Delimiter, t.Open)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := rr.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	var c columns
	mapCols := func() error {
		var err error
		set := func(dst *int, name string) {
			if err == nil {
				*dst, err = optional(rr, name)
			}
		}
		set(&c.account, t.Account)
		set(&c.from, t.EffectiveFrom)
		set(&c.arr, t.ARR)
		set(&c.segment, t.Segment)
		set(&c.renewal, t.RenewalDate)
		set(&c.renewalType, t.RenewalType)
		set(&c.contract, t.ContractEnd)
		set(&c.start, t.ContractStart)
		c.sums = c.sums[:0]
		for _, sig := range t.Extra {
			k := -1
			set(&k, sig.Column)
			c.sums = append(c.sums, k)
		}
		return err
	}
	if err := mapCols(); err != nil {
		return err
	}
	date := func(row []string, col int, name string, at ref) (features.Date, error) {
		if col < 0 || features.IsMissing(row[col]) {
			return features.NoDate, nil
		}
		d, err := p.Day(row[col])
		if err != nil {
			return d, cellError(at, name, err)
		}
		return d, nil
	}
	for {
		row, err := rr.Next()
		if err == errNextFile {
			if err := mapCols(); err != nil {
				return err
			}
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := r.tick(ctx); err != nil {
			return err
		}
		file, line := rr.Where()
		at := ref{file, line}
		v := version{from: features.NoDate, arr: math.NaN(), at: at}
		id := row[c.account]
		if err := features.CheckAccountID(id); err != nil {
			return cellError(at, t.Account, err)
		}
		if v.from, err = date(row, c.from, t.EffectiveFrom, at); err != nil {
			return err
		}
		if c.from >= 0 && v.from == features.NoDate {
			return cellError(at, t.EffectiveFrom, errors.New("empty: every row needs the date it takes effect"))
		}
		if c.arr >= 0 && !features.IsMissing(row[c.arr]) {
			x, perr := strconv.ParseFloat(strings.TrimSpace(row[c.arr]), 64)
			if perr != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
				return cellError(at, t.ARR, fmt.Errorf("%q is not a number >= 0", row[c.arr]))
			}
			v.arr = x
		}
		if c.segment >= 0 {
			v.segment = strings.Clone(row[c.segment])
			if features.IsMissing(v.segment) {
				v.segment = ""
			}
		}
		if v.renewal, err = date(row, c.renewal, t.RenewalDate, at); err != nil {
			return err
		}
		if c.renewalType >= 0 {
			if v.renewalType, err = features.ParseRenewalType(row[c.renewalType]); err != nil {
				return cellError(at, t.RenewalType, err)
			}
		}
		if v.contractEnd, err = date(row, c.contract, t.ContractEnd, at); err != nil {
			return err
		}
		if v.start, err = date(row, c.start, t.ContractStart, at); err != nil {
			return err
		}
		for k, col := range c.sums {
			x := math.NaN()
			if !features.IsMissing(row[col]) {
				var perr error
				x, perr = strconv.ParseFloat(strings.TrimSpace(row[col]), 64)
				if perr != nil || math.IsInf(x, 0) || math.IsNaN(x) {
					return cellError(at, t.Extra[k].Column, fmt.Errorf("%q is not a finite number", row[col]))
				}
			}
			v.extra = append(v.extra, x)
		}
		a := r.get(id)
		for _, old := range a.versions {
			if old.from == v.from {
				what := "a second row for the account (map effective_from to give one row per change)"
				if c.from >= 0 {
					what = fmt.Sprintf("a second row for the account effective from %s", v.from)
				}
				return cellError(at, t.Account, fmt.Errorf("%s; the first is %s", what, old.at))
			}
		}
		a.versions = append(a.versions, v)
	}
	for _, a := range r.index {
		slices.SortFunc(a.versions, func(x, y version) int { return int(x.from) - int(y.from) })
	}
	return nil
}
