package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/churnlabs/churn/features"
)

// History is the customer base as the retention report sees it: for every
// account its first, last and churn weeks, its segment, its ARR as a list
// of changes, and its weekly behaviour as float32. Read builds it in one
// pass over the snapshots; it keeps no other copy of them.
type History struct {
	// File names the snapshot source, for messages.
	File string
	// First and Last are the earliest and latest snapshot weeks.
	First, Last features.Date
	// Columns names the behaviour kept for every week: the contract's
	// five counts, the extra numeric columns, then the ratios derived
	// from them (see Read).
	Columns []string
	// HasARR and HasSegment report the optional columns the file had.
	HasARR, HasSegment bool

	accounts []account
	index    map[string]int32
}

// account is one account's history. Its slices are in week order.
type account struct {
	id      string
	segment string // the latest one reported
	first   features.Date
	last    features.Date
	churn   features.Date // NoDate while active
	weeks   []features.Date
	values  []float32 // row-major: len(weeks) rows of len(History.Columns)
	arr     []arrPoint
}

// arrPoint is a change of ARR: from week on the account's ARR is arr.
type arrPoint struct {
	week features.Date
	arr  float64
}

// Names of the ratio columns Read derives: a count of users over the
// seats under contract is the share of licensed users who are active,
// the usual way "P% of users" is measured.
const (
	seatsColumn   = "seats"
	usersSuffix   = "_users"
	perSeatSuffix = "_per_seat"
)

// lowerIsBetter reports whether a small value of the column is the
// healthy one, as for the contract's recency and trouble counts: an
// indicator on it asks for at most a threshold, on any other column for
// at least one.
func lowerIsBetter(column string) bool {
	switch column {
	case features.ColRecencyDays, features.ColSLABreaches, features.ColOverdueInvoices:
		return true
	}
	return false
}

// Read streams every snapshot of src into a History. Besides the contract's
// five behaviour columns it keeps every extra numeric column, and when
// the file has a "seats" column it adds, for each extra column named
// "*_users", the ratio "*_users_per_seat" (NaN when seats is 0 or
// either value is empty), so that "75% of seats are active" can be an
// indicator.
//
// The file must have a churned column. A duplicated (account, week), a
// row after its account's churned week or a value the contract forbids
// is an error naming the file and row. Rows need not be in week order.
func Read(ctx context.Context, src features.Source) (*History, error) {
	var b *History
	err := src.Read(func(r features.SnapshotReader) (err error) {
		b, err = read(ctx, r, src.Name)
		return err
	})
	return b, err
}

func read(ctx context.Context, r features.SnapshotReader, file string) (*History, error) {
	schema := r.Schema()
	if err := checkSchema(file, schema); err != nil {
		return nil, err
	}
	bl := newBuilder(file, schema)
	var s features.Snapshot
	for n := 1; ; n++ {
		if err := r.Next(&s); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := bl.addChecked(&s); err != nil {
			return nil, err
		}
	}
	return bl.finish(ctx)
}

// checkSchema rejects a file a History cannot be read from.
func checkSchema(file string, schema features.Schema) error {
	if !schema.HasChurned {
		return &features.InputError{File: file, Column: features.ColChurned,
			Err: errors.New("missing column: churn and retention are measured from it")}
	}
	return nil
}

// builder accumulates a History. Rows of an account may arrive in any order;
// finish sorts them and only then can tell duplicates and rows after
// churn, which is why it keeps each week's file row.
type builder struct {
	schema  features.Schema
	hist    *History
	ratios  []ratio
	rows    [][]int32       // per account, the file row of each week
	sorted  []bool          // per account, whether its weeks arrived in order
	segWeek []features.Date // per account, the week of its segment
	prev    int32           // the previous row's account: rows come in runs
}

// ratio derives column num/den from two extras, by their index.
type ratio struct{ num, den int }

func newBuilder(file string, schema features.Schema) *builder {
	b := &History{
		File: file, First: features.NoDate, Last: features.NoDate,
		HasARR: schema.HasARR, HasSegment: schema.HasSegment,
		index: make(map[string]int32),
	}
	b.Columns = []string{
		features.ColLogins, features.ColFrequency, features.ColRecencyDays,
		features.ColSLABreaches, features.ColOverdueInvoices,
	}
	b.Columns = append(b.Columns, schema.Extras...)
	var ratios []ratio
	if den := slices.Index(schema.Extras, seatsColumn); den >= 0 {
		for i, name := range schema.Extras {
			if strings.HasSuffix(name, usersSuffix) && !slices.Contains(b.Columns, name+perSeatSuffix) {
				ratios = append(ratios, ratio{i, den})
				b.Columns = append(b.Columns, name+perSeatSuffix)
			}
		}
	}
	return &builder{schema: schema, hist: b, ratios: ratios, prev: -1}
}

// addChecked checks the row against the contract and adds it. A row after
// its account's churned week is reported here when the account's rows
// have come in week order, as finish would report it, so that a reader
// that stops at the first error (features.Build, sharing the pass) gives
// this error rather than its own.
func (bl *builder) addChecked(s *features.Snapshot) error {
	if err := s.Check(bl.schema); err != nil {
		return &features.InputError{File: bl.hist.File, Row: s.Row, Err: err}
	}
	bl.add(s)
	a := bl.prev
	if acc := &bl.hist.accounts[a]; bl.sorted[a] && acc.churn != features.NoDate && s.Week > acc.churn {
		return &features.InputError{File: bl.hist.File, Row: s.Row, Column: features.ColWeek,
			Err: fmt.Errorf("account %q has a row at %s after its churned week %s", acc.id, s.Week, acc.churn)}
	}
	return nil
}

func (bl *builder) add(s *features.Snapshot) {
	b := bl.hist
	a := bl.prev
	if a < 0 || b.accounts[a].id != s.AccountID {
		var ok bool
		if a, ok = b.index[s.AccountID]; !ok {
			a = int32(len(b.accounts))
			id := strings.Clone(s.AccountID) // readers may reuse their buffers
			b.index[id] = a
			b.accounts = append(b.accounts, account{id: id, churn: features.NoDate})
			bl.rows = append(bl.rows, nil)
			bl.sorted = append(bl.sorted, true)
			bl.segWeek = append(bl.segWeek, features.NoDate)
		}
		bl.prev = a
	}
	acc := &b.accounts[a]
	if n := len(acc.weeks); n > 0 && s.Week <= acc.weeks[n-1] {
		bl.sorted[a] = false
	}
	acc.weeks = append(acc.weeks, s.Week)
	bl.rows[a] = append(bl.rows[a], int32(s.Row))
	acc.values = append(acc.values,
		float32(s.Logins), float32(s.Frequency), float32(s.RecencyDays),
		float32(s.SLABreaches), float32(s.OverdueInvoices))
	for _, v := range s.Extra {
		acc.values = append(acc.values, float32(v))
	}
	for _, r := range bl.ratios {
		v := math.NaN()
		if den := s.Extra[r.den]; den > 0 {
			v = s.Extra[r.num] / den // NaN stays NaN
		}
		acc.values = append(acc.values, float32(v))
	}
	if s.Churned && (acc.churn == features.NoDate || s.Week < acc.churn) {
		acc.churn = s.Week
	}
	if b.HasARR && !math.IsNaN(s.ARR) {
		// Consecutive equal values in week order say nothing new; out of
		// order, every value is kept until finish has sorted them.
		if n := len(acc.arr); n == 0 || !bl.sorted[a] || s.ARR != acc.arr[n-1].arr {
			acc.arr = append(acc.arr, arrPoint{s.Week, s.ARR})
		}
	}
	if s.Segment != "" && (bl.segWeek[a] == features.NoDate || s.Week > bl.segWeek[a]) {
		if s.Segment != acc.segment {
			acc.segment = strings.Clone(s.Segment)
		}
		bl.segWeek[a] = s.Week
	}
	if b.First == features.NoDate || s.Week < b.First {
		b.First = s.Week
	}
	if b.Last == features.NoDate || s.Week > b.Last {
		b.Last = s.Week
	}
}

// finish puts every account's weeks in order and checks them.
func (bl *builder) finish(ctx context.Context) (*History, error) {
	b := bl.hist
	if len(b.accounts) == 0 {
		return nil, &features.InputError{File: b.File, Err: errors.New("no snapshot rows")}
	}
	width := len(b.Columns)
	for i := range b.accounts {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		a, rows := &b.accounts[i], bl.rows[i]
		if !bl.sorted[i] {
			a.sortWeeks(rows, width)
		}
		for j := 1; j < len(a.weeks); j++ {
			if a.weeks[j] == a.weeks[j-1] {
				return nil, &features.InputError{File: b.File, Row: int(rows[j]), Column: features.ColWeek,
					Err: fmt.Errorf("duplicate snapshot for account %q, week %s (first at row %d)", a.id, a.weeks[j], rows[j-1])}
			}
		}
		a.first, a.last = a.weeks[0], a.weeks[len(a.weeks)-1]
		if a.churn != features.NoDate && a.last > a.churn {
			j, _ := slices.BinarySearch(a.weeks, a.churn+1)
			return nil, &features.InputError{File: b.File, Row: int(rows[j]), Column: features.ColWeek,
				Err: fmt.Errorf("account %q has a row at %s after its churned week %s", a.id, a.weeks[j], a.churn)}
		}
		a.compactARR()
		a.weeks = slices.Clip(a.weeks)
		a.values = slices.Clip(a.values)
	}
	// Accounts in id order make every sum over them, and so the report,
	// independent of the order of the rows.
	slices.SortFunc(b.accounts, func(x, y account) int { return strings.Compare(x.id, y.id) })
	for i := range b.accounts {
		b.index[b.accounts[i].id] = int32(i)
	}
	return b, nil
}

// sortWeeks orders an account's weeks, their rows and values by week,
// ties in file order so that a duplicate names the row that came first.
func (a *account) sortWeeks(rows []int32, width int) {
	perm := make([]int, len(a.weeks))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(x, y int) int { return cmp.Compare(a.weeks[x], a.weeks[y]) })
	weeks := make([]features.Date, len(perm))
	sortedRows := make([]int32, len(perm))
	values := make([]float32, len(a.values))
	for to, from := range perm {
		weeks[to], sortedRows[to] = a.weeks[from], rows[from]
		copy(values[to*width:(to+1)*width], a.values[from*width:(from+1)*width])
	}
	a.weeks, a.values = weeks, values
	copy(rows, sortedRows)
	slices.SortStableFunc(a.arr, func(x, y arrPoint) int { return cmp.Compare(x.week, y.week) })
}

// compactARR keeps only the points where ARR changes.
func (a *account) compactARR() {
	out := a.arr[:0]
	for _, p := range a.arr {
		if n := len(out); n == 0 || p.arr != out[n-1].arr {
			out = append(out, p)
		}
	}
	a.arr = slices.Clip(out)
}

// Accounts returns the number of accounts.
func (b *History) Accounts() int { return len(b.accounts) }

// Segments returns the segments reported, sorted, with NoSegment last
// when some accounts have none. It is empty when the file has no segment
// column.
func (b *History) Segments() []string {
	if !b.HasSegment {
		return nil
	}
	seen := map[string]bool{}
	for i := range b.accounts {
		seen[b.accounts[i].segmentName()] = true
	}
	var out []string
	for s := range seen {
		if s != NoSegment {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	if seen[NoSegment] {
		out = append(out, NoSegment)
	}
	return out
}

// NoSegment names the group of accounts that never reported a segment.
const NoSegment = "(none)"

func (a *account) segmentName() string {
	if a.segment == "" {
		return NoSegment
	}
	return a.segment
}

// lookup returns the account with the given id.
func (b *History) lookup(id string) (*account, bool) {
	i, ok := b.index[id]
	if !ok {
		return nil, false
	}
	return &b.accounts[i], true
}

// arrBefore returns the account's last known ARR from a week before d:
// what it was paying as d began. It is 0 when no ARR is known by then.
func (a *account) arrBefore(d features.Date) float64 {
	i := sort.Search(len(a.arr), func(i int) bool { return a.arr[i].week >= d })
	if i == 0 {
		return 0
	}
	return a.arr[i-1].arr
}

// activeAt reports whether the account is a customer as day d begins:
// it was seen before d and is seen on or after it, so it has neither
// churned nor vanished from the data before d.
func (a *account) activeAt(d features.Date) bool { return a.first < d && d <= a.last }

// outcome says whether an account that is a customer at week w is still
// one at end, and whether the data can tell, by features.Outcome: the rule
// that labels training rows.
func (a *account) outcome(w, end features.Date) (retained, known bool) {
	o := features.Outcome(w, end, a.churn, a.last)
	return o == features.Negative, o != features.Censored
}

// weekIndex returns the index of week w in the account's weeks, or -1.
func (a *account) weekIndex(w features.Date) int {
	i, ok := slices.BinarySearch(a.weeks, w)
	if !ok {
		return -1
	}
	return i
}
