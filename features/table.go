package features

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Source is a snapshot file that can be opened, possibly twice: Build
// streams it once and reads it again only when its rows are not in week
// order per account.
type Source struct {
	// Name is the file name used in error messages.
	Name string
	// Open returns a fresh reader positioned at the first row. If the
	// reader is an io.Closer, Build closes it.
	Open func() (SnapshotReader, error)
	// NormalizeWeeks moves each row's week to the Monday that starts it.
	// Without it a week that is not a Monday is an error: two dates in
	// one week (2023-01-02 and 2023-01-03) would otherwise count as two
	// weeks, and a week's date is its ISO week's Monday.
	NormalizeWeeks bool
}

// FileSource is the Source of the snapshot file at path that open reads:
// every Open opens the file afresh, as each of Build's passes needs. Each
// file adapter (csvfile, parquetfile) offers its Source through it.
func FileSource[R SnapshotReader](path string, open func(path string) (R, error)) Source {
	return Source{Name: path, Open: func() (SnapshotReader, error) {
		r, err := open(path)
		if err != nil {
			return nil, err // not r: a nil pointer in an interface is not nil
		}
		return r, nil
	}}
}

// Read opens the source, hands the reader to read and closes it when read
// returns. A failure to close is reported only when read succeeded, as
// the first error is the one that explains what went wrong.
//
// The reader read is given checks the rules every consumer relies on,
// row by row: account ids and segments that are usable keys (see
// CheckAccountID) and weeks that are Mondays (see NormalizeWeeks).
func (src Source) Read(read func(SnapshotReader) error) (err error) {
	r, err := src.Open()
	if err != nil {
		return err
	}
	if c, ok := r.(io.Closer); ok {
		defer func() {
			if cerr := c.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("close %s: %w", src.Name, cerr)
			}
		}()
	}
	return read(&rowRules{SnapshotReader: r, file: src.Name, normalize: src.NormalizeWeeks})
}

// Account is what a Table knows of one account at its latest snapshot.
type Account struct {
	ID    string
	First Date // first snapshot week
	Last  Date // latest snapshot week
	// ChurnWeek is the week the account left, NoDate while it is active.
	ChurnWeek   Date
	ARR         float64 // NaN when unknown
	Segment     string
	RenewalDate Date // NoDate when unknown
	// RenewalType is the latest renewal type reported, "" when none was:
	// RenewalAuto or RenewalSignature. It is no feature of the model.
	RenewalType string
	// LastRow is the table row of the latest snapshot.
	LastRow int
	// Recent holds the last twelve snapshots' behaviour, oldest first.
	Recent []RawWeek
}

// Active reports whether the account has not churned.
func (a *Account) Active() bool { return a.ChurnWeek == NoDate }

// Table holds the point-in-time features of every snapshot row, before
// labels. It is the one pass over the input that training, validation,
// backtests and scoring all start from.
type Table struct {
	// Spec is the feature spec rows are built for.
	Spec Spec
	// Accounts in order of first appearance.
	Accounts []Account
	// First and Last are the earliest and latest weeks in the data.
	First, Last Date
	// HasChurned reports whether the file had a churned column, without
	// which rows cannot be labelled.
	HasChurned bool
	// HasRenewalType reports whether the file had a renewal_type column:
	// outputs then carry the accounts' renewal types, even unknown ones.
	HasRenewalType bool
	// UnknownSegments lists, when the spec was given (scoring), the
	// segments of accounts that the spec does not know, by name: those
	// accounts get every segment indicator 0, which a caller should say.
	UnknownSegments []SegmentCount

	layout  rowLayout
	account []int32 // per row: index into Accounts
	week    []Date
	segment []int16 // per row: index into Spec.Segments, -1 for none
	x       rowStore
	// keepWeeks is BuildOptions.KeepWeeks: 0 when every row is kept.
	keepWeeks int
	// project, after Narrow, lists for each column of Spec its index
	// among the columns built; nil when they are the same.
	project []int
	// built is the spec the rows were built with, once Narrow changed
	// Spec; nil before.
	built *Spec
	// sample, after CapRows, keeps a share of the rows for training; nil
	// keeps every row.
	sample *rowSample
}

// SegmentCount is a segment and how many accounts are in it.
type SegmentCount struct {
	Segment  string `json:"segment"`
	Accounts int    `json:"accounts"`
}

// Len returns the number of rows.
func (t *Table) Len() int { return len(t.week) }

// BuildOptions tune Build.
type BuildOptions struct {
	// Spec fixes the features to build, as a trained model expects them.
	// Nil infers it from the data: every segment seen, every extra column.
	Spec *Spec
	// Progress, when set, is called every so many rows with the count.
	Progress func(rows int)
	// Now is the clock that says which weeks are in the future, an
	// error; nil means time.Now.
	Now func() time.Time
	// Observe, when set, lets another consumer of the snapshots, such as
	// a retention book, be built from the same read of the file. It is
	// called as each pass over the file starts, with the file's schema,
	// and returns the Observer of that pass. Build reads a file twice when
	// its rows are not in week order per account; the second pass calls
	// Observe again, and the consumer starts over from it. An error from
	// Observe stops Build with that error.
	Observe func(Schema) (Observer, error)
	// KeepWeeks, when above 0, keeps the features of only each account's
	// latest KeepWeeks snapshots, in week order, account by account: what
	// scoring and its weekly history read. Every row is still read, as
	// the running features (tenure, weeks since login, lifetime means)
	// fold in the whole past, but memory holds KeepWeeks rows per account
	// instead of every row of the file. Such a table cannot be split
	// into training rows, whose labels need the rows it dropped.
	KeepWeeks int
	// Partition, when set, builds only the accounts in it. The other
	// accounts' rows still count towards the table's weeks (First, Last)
	// and their checks, so each part is scored as of the same week as
	// the whole file.
	Partition Partition
	// Spill keeps the feature rows in a temporary file instead of memory
	// (see Table.Close): for a caller that only splits the table, where
	// the rows it copies out are all it needs in memory. SpillDir is the
	// file's folder, os.TempDir when empty.
	Spill    bool
	SpillDir string
	// AllGroups, when Spec is nil, turns on every optional feature group
	// the file's columns can carry (see FeatureGroups), not only those
	// training turns on by default: for a caller that measures the
	// groups and narrows the table to those that earn their place (see
	// Table.Narrow).
	AllGroups bool
	// Recent, when set with Spec, is handed the features of every row of
	// the file's last RecentWeeks weeks, each account's in week order
	// (account being its index in Accounts): for a caller that needs only
	// a score of those rows, such as a weekly score history, so that the
	// table need not keep them (KeepWeeks 1 keeps the latest row alone).
	// A million accounts' twelve weeks of rows are five gigabytes; their
	// scores, a fortieth of that. When the reader can tell its file's
	// last week before the rows (a Parquet file can), each row is handed
	// over as it is built; otherwise Build keeps each account's latest
	// RecentWeeks rows too, as KeepWeeks does, and hands them over once
	// the file is read. row is valid only during the call, which is on
	// Build's goroutine. Recent is called as each pass over the file
	// starts, like Observe, and returns the function for that pass.
	Recent      func() func(account int, week Date, row []float64)
	RecentWeeks int
	// Year, when Spec is nil, builds the windows-52 group besides the
	// default groups: for a caller that knows the split and narrows the
	// table without it where the data has no year of history before the
	// last training week (churn features and churn train do; README,
	// "Features and labels", for what it earned). Other callers leave it
	// off: the group doubles the weeks kept per account.
	Year bool
}

// Observer sees the rows of one pass of Build over a file. Its methods
// are called on a goroutine of Build's, one at a time, and never after
// Build has returned.
type Observer interface {
	// Row is given every row of the pass in file order, after the row
	// rules of Source.Read and before Build's own checks of the row. An
	// error stops Build with that error, once it has built the rows
	// before this one.
	Row(*Snapshot) error
	// End is called once the pass has read the last row. An error stops
	// Build with that error, once it has built every row; a file out of
	// week order is read whole before any of its rows is built, so there
	// End's error comes before Build's checks of the rows.
	End(context.Context) error
}

// Build reads every snapshot of src and computes each row's features from
// that account's rows up to and including its week. Memory holds the
// output plus twelve weeks per account, never the input itself, unless
// the file is not in week order per account: then it is read a second
// time, sorted in memory.
func Build(ctx context.Context, src Source, opt BuildOptions) (*Table, error) {
	t, err := build(ctx, src, opt, false)
	var unsorted errUnsorted
	if errors.As(err, &unsorted) {
		t, err = build(ctx, src, opt, true)
	}
	return t, err
}

func build(ctx context.Context, src Source, opt BuildOptions, sorted bool) (*Table, error) {
	var t *Table
	err := src.Read(func(r SnapshotReader) (err error) {
		last := NoDate
		if rr, ok := r.(*rowRules); ok && opt.Recent != nil {
			if last, err = rr.lastWeek(); err != nil {
				return err
			}
		}
		if opt.Observe != nil {
			o, err := opt.Observe(r.Schema())
			if err != nil {
				return err
			}
			r = &observedReader{SnapshotReader: r, ctx: ctx, o: o}
		}
		t, err = buildFrom(ctx, r, src, opt, sorted, last)
		return err
	})
	return t, err
}

// observedReader hands every row it reads to an Observer, and tells it
// when the file ends.
type observedReader struct {
	SnapshotReader
	ctx   context.Context
	o     Observer
	ended bool
}

func (r *observedReader) Next(s *Snapshot) error {
	err := r.SnapshotReader.Next(s)
	switch {
	case err == io.EOF && !r.ended:
		r.ended = true
		if err := r.o.End(r.ctx); err != nil {
			return err
		}
		return io.EOF
	case err != nil:
		return err
	}
	return r.o.Row(s)
}

// buildFrom builds the table of the rows r reads. last is the file's
// latest week when r could tell it beforehand, NoDate otherwise.
func buildFrom(ctx context.Context, r SnapshotReader, src Source, opt BuildOptions, sorted bool, last Date) (t *Table, err error) {
	schema := r.Schema()
	if sorted {
		if r, err = sortedReader(ctx, r, src.Name); err != nil {
			return nil, err
		}
	}
	spec, extras, err := resolveSpec(src.Name, schema, opt.Spec, opt.AllGroups)
	if err != nil {
		return nil, err
	}
	if opt.Spec == nil && opt.Year {
		spec.Year = true
	}
	if spec.PerSeat && !slices.Contains(spec.Extras, SeatsColumn) {
		return nil, &InputError{File: src.Name, Column: SeatsColumn, Err: errors.New("missing column that the per-seat features are built from")}
	}
	// recent, when set, is handed the rows of weeks since onwards as they
	// are built, or, when the last week was not known beforehand (since
	// NoDate), the kept rows of the last RecentWeeks weeks at the end.
	var recent func(int, Date, []float64)
	since, keep := NoDate, max(opt.KeepWeeks, 0)
	if opt.Recent != nil {
		// Rows handed over are the spec's columns: an inferred spec
		// would gain segment columns as the file goes on.
		if opt.RecentWeeks < 1 || opt.Spill || opt.Spec == nil {
			return nil, fmt.Errorf("features: BuildOptions.Recent with RecentWeeks %d, Spill %v and a spec %v: want RecentWeeks of 1 or more, rows held in memory and the spec given",
				opt.RecentWeeks, opt.Spill, opt.Spec != nil)
		}
		recent = opt.Recent()
		if last != NoDate {
			since = last.AddDays(-7 * (opt.RecentWeeks - 1))
		} else if keep > 0 {
			keep = max(keep, opt.RecentWeeks)
		}
	}
	var x []float64 // the features recent is handed
	t = &Table{Spec: spec, First: NoDate, Last: NoDate, HasChurned: schema.HasChurned, HasRenewalType: schema.HasRenewalType, keepWeeks: keep}
	t.layout = newRowLayout(spec)
	t.x.width = t.layout.width
	if opt.Spill && opt.KeepWeeks > 0 {
		// The rings of KeepWeeks are rewritten in place, which a spill
		// file written once cannot be.
		return nil, errors.New("features: BuildOptions.Spill and KeepWeeks together: keep the latest weeks in memory")
	}
	if opt.Spill {
		if err := t.x.spill(opt.SpillDir); err != nil {
			return nil, err
		}
		x := &t.x // t is nil by the time an error returns
		defer func() {
			if err != nil {
				x.close()
			}
		}()
	}
	segments := make(map[string]int16, len(spec.Segments))
	for i, s := range spec.Segments {
		segments[s] = int16(i)
	}
	inferSegments := opt.Spec == nil
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	today := latestToday(now())

	index := newAccountIndex()
	// lastWeekRow is the first row of the latest week: the one to name
	// if that week turns out to be stray.
	lastWeekRow := 0
	var hists []*history
	// built[a] counts account a's rows when only the latest keepWeeks
	// are kept: its rows are a ring of keepWeeks slots.
	var built []uint32
	// weekRows counts the rows of each week, every row whatever the
	// partition, for the check of a stray latest week.
	weekRows := make(map[Date]int)
	ra := startReadAhead(r)
	defer ra.stop()
	n := 0
	for b := range ra.full {
		for i := range b.rows {
			s := &b.rows[i]
			if n++; n%65536 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if opt.Progress != nil {
					opt.Progress(n)
				}
			}
			if s.Week > today {
				// One mistyped year would make every other row history and
				// put every renewal in the past.
				return nil, &InputError{File: src.Name, Row: s.Row, Column: ColWeek,
					Err: fmt.Errorf("week %s is in the future (today is %s)", s.Week, DateOf(now()))}
			}
			weekRows[s.Week]++
			if t.First == NoDate || s.Week < t.First {
				t.First = s.Week
			}
			if t.Last == NoDate || s.Week > t.Last {
				t.Last = s.Week
				lastWeekRow = s.Row
			}
			if opt.Partition.Count > 1 && !opt.Partition.Keeps(s.AccountID) {
				continue
			}
			a, seen := index.find(s.AccountID)
			if !seen {
				hists = append(hists, newHistory(index.ids[a]))
				if t.keepWeeks > 0 {
					if err := t.reserve(a, t.keepWeeks); err != nil {
						return nil, err
					}
					built = append(built, 0)
				}
			}
			h := hists[a]
			segBefore := h.segment
			var row []float64
			i := 0
			if t.keepWeeks > 0 {
				i = int(a)*t.keepWeeks + int(built[a]%uint32(t.keepWeeks))
				built[a]++
				row = t.x.at(i)
			} else {
				var err error
				if i, row, err = t.add(a); err != nil {
					return nil, err
				}
			}
			if err := h.add(s, src.Name, extras, t.layout, row); err != nil {
				return nil, err
			}
			if h.segment != segBefore || h.segIndex == unresolved {
				// Look the segment up only when it changes.
				seg, ok := segments[h.segment]
				if !ok {
					seg = -1
					if inferSegments && h.segment != "" {
						seg = int16(len(t.Spec.Segments))
						if seg == maxSegments {
							return nil, &InputError{File: src.Name, Row: s.Row, Column: ColSegment,
								Err: fmt.Errorf("more than %d distinct segments: is this really a segment column?", maxSegments)}
						}
						t.Spec.Segments = append(t.Spec.Segments, h.segment)
						segments[h.segment] = seg
					}
				}
				h.segIndex = seg
			}
			t.week[i], t.segment[i] = s.Week, h.segIndex
			if since != NoDate && s.Week >= since {
				x = t.appendFeatures(x[:0], row, h.segIndex)
				recent(int(a), s.Week, x)
			}
		}
		if b.err == io.EOF {
			break
		} else if b.err != nil {
			return nil, b.err
		}
		ra.release(b)
	}
	if n == 0 {
		return nil, &InputError{File: src.Name, Err: errors.New("no snapshot rows")}
	}
	if err := checkStray(weekRows, n, t.Last, lastWeekRow, src.Name); err != nil {
		return nil, err
	}
	if t.keepWeeks > 0 {
		t.unring(built)
	}
	switch {
	case since != NoDate && t.Last != last:
		return nil, &InputError{File: src.Name, Err: fmt.Errorf("the latest week read, %s, is not the %s that the week column said: did the file change while it was read?", t.Last, last)}
	case recent != nil && since == NoDate:
		from := t.Last.AddDays(-7 * (opt.RecentWeeks - 1))
		for i, w := range t.week {
			if w >= from {
				x = t.appendFeatures(x[:0], t.x.at(i), t.segment[i])
				recent(int(t.account[i]), w, x)
			}
		}
	}
	t.Accounts = make([]Account, len(hists))
	lastRow := make([]int, len(hists))
	for i, a := range t.account {
		lastRow[a] = i
	}
	for i, h := range hists {
		t.Accounts[i] = Account{
			ID: h.id, First: h.first, Last: h.last, ChurnWeek: h.churnWeek,
			ARR: h.arr, Segment: h.segment, RenewalDate: h.renewal, RenewalType: h.renewalType, LastRow: lastRow[i], Recent: h.raw.take(),
		}
	}
	if inferSegments {
		t.sortSegments()
	} else {
		t.UnknownSegments = unknownSegments(hists)
	}
	return t, t.Spec.Check()
}

// add appends a row of account a to the table and returns its index and
// its features, for Build to fill in.
func (t *Table) add(a int32) (int, []float64, error) {
	row, err := t.x.next()
	if err != nil {
		return 0, nil, err
	}
	t.account = append(t.account, a)
	t.week = append(t.week, NoDate)
	t.segment = append(t.segment, -1)
	return len(t.week) - 1, row, nil
}

// reserve appends n rows for account a: the ring its latest n rows are
// kept in when BuildOptions.KeepWeeks is n.
func (t *Table) reserve(a int32, n int) error {
	for range n {
		if _, _, err := t.add(a); err != nil {
			return err
		}
	}
	return nil
}

// unring turns the rings of the latest rows into the table's rows: each
// account's kept rows in week order, account after account, built[a]
// being how many rows account a's ring was given. Rows move only towards
// the start, so it needs a buffer of one ring, not a second table.
func (t *Table) unring(built []uint32) {
	k, w := t.keepWeeks, t.x.width
	buf := make([]float64, k*w)
	weeks := make([]Date, k)
	segs := make([]int16, k)
	n := 0
	for a, b := range built {
		m, start := min(int(b), k), 0
		if int(b) > k {
			start = int(b) % k
		}
		for j := range m {
			src := a*k + (start+j)%k
			copy(buf[j*w:(j+1)*w], t.x.at(src))
			weeks[j], segs[j] = t.week[src], t.segment[src]
		}
		for j := range m {
			copy(t.x.at(n), buf[j*w:(j+1)*w])
			t.account[n], t.week[n], t.segment[n] = int32(a), weeks[j], segs[j]
			n++
		}
	}
	t.account, t.week, t.segment = slices.Clip(t.account[:n]), slices.Clip(t.week[:n]), slices.Clip(t.segment[:n])
	t.x.truncate(n)
}

// checkStray refuses weeks that churn validate calls stray (see
// strayWeek), naming row, the first of the latest week last: scoring is
// "as of" the latest week, so one mistyped year would make every other
// row old and put every renewal in the past.
func checkStray(rows map[Date]int, n int, last Date, row int, file string) error {
	_, end, found := strayWeek(rows, n)
	if !found {
		return nil
	}
	return &InputError{File: file, Row: row, Column: ColWeek,
		Err: fmt.Errorf("week %s is more than a year after the rest of the file (which ends %s): a mistyped year?", last, end)}
}

// unknownSegments counts the accounts whose latest segment the spec does
// not list, by segment name.
func unknownSegments(hists []*history) []SegmentCount {
	n := map[string]int{}
	for _, h := range hists {
		if h.segIndex < 0 && h.segment != "" {
			n[h.segment]++
		}
	}
	out := make([]SegmentCount, 0, len(n))
	for seg, k := range n {
		out = append(out, SegmentCount{seg, k})
	}
	slices.SortFunc(out, func(a, b SegmentCount) int { return strings.Compare(a.Segment, b.Segment) })
	return out
}

// RecentRows returns, for each account in Accounts order, the table rows
// of its last n snapshots in week order: what a weekly score history is
// drawn from.
func (t *Table) RecentRows(n int) [][]int {
	rows := make([][]int, len(t.Accounts))
	for i, a := range t.account {
		r := rows[a]
		if len(r) == n {
			r = r[:copy(r, r[1:])]
		}
		rows[a] = append(r, i)
	}
	return rows
}

// Close releases the temporary file of a table built with Spill, and
// reports the first error met in writing or reading it; on a table held
// in memory it does nothing. A closed spilled table has no rows to read.
func (t *Table) Close() error { return t.x.close() }

// Week returns the week of table row i.
func (t *Table) Week(i int) Date { return t.week[i] }

// maxSegments bounds the segment indicators: a free-text column mistaken
// for a segment would otherwise add a column per account.
const maxSegments = 64

// sortSegments orders inferred segments by name so the same data gives
// the same feature columns whatever its row order.
func (t *Table) sortSegments() {
	old := t.Spec.Segments
	sorted := slices.Clone(old)
	slices.Sort(sorted)
	remap := make([]int16, len(old))
	for i, s := range old {
		remap[i] = int16(slices.Index(sorted, s))
	}
	for i, s := range t.segment {
		if s >= 0 {
			t.segment[i] = remap[s]
		}
	}
	t.Spec.Segments = sorted
}

// resolveSpec decides the features: the given spec, checked against the
// file's columns, or one inferred from them. It returns, for each extra
// feature, its index among the file's extras.
func resolveSpec(file string, schema Schema, want *Spec, all bool) (Spec, []int, error) {
	if want == nil {
		// The groups on by default are those that raised the accuracy
		// bench's AUC on its data sets (README, "Features"); Year does
		// too where the data has a year of history, which only a caller
		// that knows the split can tell (BuildOptions.Year);
		// ExtraWindows and PerSeat did not.
		spec := Spec{Lifetime: true, Since: true, Baseline: true, Shape: true, ARR: schema.HasARR, Renewal: schema.HasRenewal,
			RenewalTerm: schema.HasRenewal, Extras: slices.Clone(schema.Extras)}
		spec.VsLifetime = spec.vsLifetimeWidth() > 0
		if all {
			spec.Year = true
			spec.ExtraWindows = len(spec.Extras) > 0
			spec.PerSeat = slices.Contains(spec.Extras, SeatsColumn)
		}
		idx := make([]int, len(spec.Extras))
		for i := range idx {
			idx[i] = i
		}
		return spec, idx, nil
	}
	missing := func(col string) error {
		return &InputError{File: file, Column: col, Err: errors.New("missing column that the model was trained on")}
	}
	if want.ARR && !schema.HasARR {
		return Spec{}, nil, missing(ColARR)
	}
	if want.Renewal && !schema.HasRenewal {
		return Spec{}, nil, missing(ColRenewalDate)
	}
	idx := make([]int, len(want.Extras))
	for i, name := range want.Extras {
		if idx[i] = slices.Index(schema.Extras, name); idx[i] < 0 {
			return Spec{}, nil, missing(name)
		}
	}
	spec := *want
	spec.Segments = slices.Clone(want.Segments)
	return spec, idx, nil
}

// sortedReader reads all of r and replays it ordered by account and week,
// for files whose rows are not in week order. Ties keep file order, so a
// duplicate is reported against the row that came first.
func sortedReader(ctx context.Context, r SnapshotReader, name string) (SnapshotReader, error) {
	var rows []Snapshot
	for {
		var s Snapshot
		if err := r.Next(&s); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		s.AccountID = strings.Clone(s.AccountID)
		s.Extra = slices.Clone(s.Extra)
		rows = append(rows, s)
		if len(rows)%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b Snapshot) int {
		return cmp.Or(strings.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Week, b.Week))
	})
	return &sliceReader{schema: r.Schema(), rows: rows}, nil
}

// MemorySource serves snapshots held in memory as a Source: for tests,
// notebooks and pipelines that make their data rather than read a file.
func MemorySource(name string, schema Schema, rows []Snapshot) Source {
	return Source{Name: name, Open: func() (SnapshotReader, error) {
		return &sliceReader{schema: schema, rows: rows}, nil
	}}
}

// sliceReader replays snapshots held in memory.
type sliceReader struct {
	schema Schema
	rows   []Snapshot
}

func (r *sliceReader) Schema() Schema { return r.schema }

func (r *sliceReader) Next(s *Snapshot) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	*s, r.rows = r.rows[0], r.rows[1:]
	return nil
}
