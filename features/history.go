package features

import (
	"fmt"
	"math"
	"slices"
)

// Window lengths in days. Windows are calendar windows ending at the
// snapshot's week, not "the last n rows", so a gap in the data shortens
// what a window saw instead of silently reaching further back.
const (
	days4w  = 4 * 7
	days12w = 12 * 7
	days26w = 26 * 7
	days52w = 52 * 7
)

// history is what the builder keeps of one account: its last 12 (or 26) weeks
// and a few running facts, never its whole past. Rows must arrive in week
// order; add computes the features at each row from the state it had
// after folding in that row, so a feature at week w sees nothing later.
type history struct {
	id        string
	first     Date
	last      Date
	lastRow   int
	lastLogin Date
	// The last weeks with an SLA breach and with an overdue invoice.
	lastBreach, lastOverdue Date
	churnWeek               Date
	churnRow                int

	// Attributes as of the latest row, carried forward over empty cells:
	// the last known value is what a person would have known that week.
	arr     float64
	segment string
	renewal Date
	// term is the weeks between the last two renewal dates seen; until
	// the renewal date first moves on, the most weeks to renewal seen so
	// far, which the term is at least (NaN before any renewal date).
	// Leaving it unknown instead would make "unknown" mean "an annual
	// contract not yet renewed in the data", true in a book's first year
	// and never after, and a model fitted then would learn it.
	term     float64
	termSeen bool // term is a gap between two renewal dates, not a bound
	// renewalType is "", RenewalAuto or RenewalSignature: constants, so
	// keeping it costs no copy of the reader's buffer.
	renewalType string
	segIndex    int16 // segment's index in the table's segments, -1 for none

	// recent holds the rows within the last 12 weeks, oldest first, or
	// within the last 26 when the layout has the 26-week baselines: the
	// newest in12 of them are the 12-week window.
	recent ring[weekCounts]
	in12   int
	raw    ring[RawWeek] // the last recentRaw rows as reported, oldest first
	// window keeps running sums over recent: counts are integers, exact
	// in float64, so adding what enters and subtracting what leaves gives
	// the same sums as adding up the window again, in constant time.
	window windowSums
	// inLast4 is how many of the newest entries of recent are within the
	// last four weeks.
	inLast4 int
	// long sums the 26-week window: the whole of recent when it reaches
	// back 26 weeks, its newest in26 entries when it reaches back 52.
	long           counts
	overdueWeeks26 float64
	in26           int
	// year sums the whole of recent when it reaches back 52 weeks.
	year           counts
	overdueWeeks52 float64
	// extras holds, when the layout has the extra columns' windows, the
	// extra features of each entry of recent, entry after entry.
	extras ring[float64]
	// seats is the latest known positive seat count, NaN before one.
	seats float64
	// lifetime sums every row since the first, for the long-run means:
	// a few numbers per account, however long its history.
	lifetime counts
	// sizes holds, when the layout has the vs-lifetime columns, the sum
	// and count of the known values of ARR and each extra column since
	// the first row, pair after pair, in the columns' order.
	sizes []float64
}

// RawWeek is a week's behaviour as the snapshot reported it, kept so a
// person can see what a score was built from.
type RawWeek struct {
	Week            Date  `json:"week"`
	Logins          int64 `json:"logins"`
	Frequency       int64 `json:"frequency"`
	RecencyDays     int64 `json:"recency_days"`
	SLABreaches     int64 `json:"sla_breaches"`
	OverdueInvoices int64 `json:"overdue_invoices"`
}

// recentRaw is how many raw weeks an Account keeps.
const recentRaw = 12

// weekCounts is one week of an account's behaviour in the ring of recent
// weeks. A million accounts keep a year of these each, so it holds the
// counts as 32-bit integers and the overdue invoices as a flag, half the
// room of float64s; they are exact, being whole numbers that history.add
// checks fit (maxWeekCount), and every sum over them is taken in float64.
type weekCounts struct {
	week       Date
	behaviour  [numBehaviours]int32 // indexed by logins, frequency, slaBreaches
	overdueNow bool
}

// maxWeekCount is the largest count of one week that features are built
// from: far beyond any account's logins or key actions in a week, and
// what weekCounts holds.
const maxWeekCount = math.MaxInt32

// The behaviour columns that get window features, as indexes.
const (
	logins = iota
	frequency
	slaBreaches
	numBehaviours
)

func newHistory(id string) *history {
	return &history{
		id: id, first: NoDate, last: NoDate, lastLogin: NoDate,
		lastBreach: NoDate, lastOverdue: NoDate, churnWeek: NoDate, arr: math.NaN(), seats: math.NaN(), renewal: NoDate, term: math.NaN(), segIndex: unresolved,
	}
}

// unresolved marks a history whose segment index is not looked up yet.
const unresolved = -2

// errUnsorted reports that an account's rows are not in week order.
type errUnsorted struct{ row int }

func (e errUnsorted) Error() string {
	return fmt.Sprintf("row %d is earlier than its account's previous row", e.row)
}

// add folds s into the history and writes the account's features at
// s.Week into row, laid out as rowLayout describes. extras maps each
// extra feature to its index in s.Extra.
func (h *history) add(s *Snapshot, file string, extras []int, lay rowLayout, row []float64) error {
	switch {
	case h.churnWeek != NoDate:
		return &InputError{File: file, Row: s.Row, Column: ColWeek, Err: fmt.Errorf(
			"account %q has a row at %s after its churned week %s (row %d)", h.id, s.Week, h.churnWeek, h.churnRow)}
	case h.last != NoDate && s.Week == h.last:
		return &InputError{File: file, Row: s.Row, Column: ColWeek, Err: fmt.Errorf(
			"duplicate snapshot for account %q, week %s (first at row %d)", h.id, s.Week, h.lastRow)}
	case h.last != NoDate && s.Week < h.last:
		return errUnsorted{s.Row}
	}
	for _, c := range [...]struct {
		name string
		n    int64
	}{{ColLogins, s.Logins}, {ColFrequency, s.Frequency}, {ColSLABreaches, s.SLABreaches}} {
		if c.n > maxWeekCount {
			return &InputError{File: file, Row: s.Row, Column: c.name, Err: fmt.Errorf(
				"%d in one week for account %q: more than the %d that churn counts", c.n, h.id, maxWeekCount)}
		}
	}
	if h.first == NoDate {
		h.first = s.Week
	}
	h.last, h.lastRow = s.Week, s.Row
	if s.Churned {
		h.churnWeek, h.churnRow = s.Week, s.Row
	}
	if s.Logins > 0 {
		h.lastLogin = s.Week
	}
	if s.SLABreaches > 0 {
		h.lastBreach = s.Week
	}
	if s.OverdueInvoices > 0 {
		h.lastOverdue = s.Week
	}
	if !math.IsNaN(s.ARR) {
		h.arr = s.ARR
	}
	if s.Segment != "" {
		h.segment = s.Segment
	}
	if s.RenewalDate != NoDate {
		switch {
		case h.renewal != NoDate && s.RenewalDate > h.renewal:
			h.term, h.termSeen = weeksBetween(h.renewal, s.RenewalDate), true
		case !h.termSeen:
			if w := weeksBetween(s.Week, s.RenewalDate); w > 0 && !(w <= h.term) {
				h.term = w
			}
		}
		h.renewal = s.RenewalDate
	}
	if s.RenewalType != "" {
		h.renewalType = s.RenewalType
	}

	if h.raw.n == recentRaw {
		h.raw.drop()
	}
	h.raw.push(RawWeek{s.Week, s.Logins, s.Frequency, s.RecencyDays, s.SLABreaches, s.OverdueInvoices}, recentRaw)

	// Move the windows to this week: retire from the 12 weeks what fell
	// out of them, then from the last 4, drop from the ring what is older
	// than it keeps, then add this week. The windows are nested, so each
	// retires its oldest entries first.
	w := &h.window
	for h.in12 > 0 {
		old := h.recent.at(h.recent.n - h.in12)
		if old.week > s.Week-days12w {
			break
		}
		w.sub(old, h.in12 == h.inLast4)
		if h.in12 == h.inLast4 {
			h.inLast4--
		}
		h.in12--
	}
	yearly := lay.keepDays > days26w
	for yearly && h.in26 > 0 {
		old := h.recent.at(h.recent.n - h.in26)
		if old.week > s.Week-days26w {
			break
		}
		h.long.sub(old)
		if old.overdueNow {
			h.overdueWeeks26--
		}
		h.in26--
	}
	for h.recent.n > max(h.in12, h.in26) && h.recent.at(0).week <= s.Week-lay.keepDays {
		old := h.recent.at(0)
		sums, overdue := &h.long, &h.overdueWeeks26
		if yearly {
			sums, overdue = &h.year, &h.overdueWeeks52
		}
		sums.sub(old)
		if old.overdueNow {
			*overdue--
		}
		h.recent.drop()
		for range len(extras) * lay.extrasPerWeek {
			h.extras.drop()
		}
	}
	for h.inLast4 > 0 {
		e := h.recent.at(h.recent.n - h.inLast4)
		if e.week > s.Week-days4w {
			break
		}
		w.last4.sub(e)
		h.inLast4--
	}
	// Weeks are distinct Mondays, so the ring holds at most one row per
	// week of keepDays.
	h.recent.push(weekCounts{
		week:       s.Week,
		behaviour:  [numBehaviours]int32{int32(s.Logins), int32(s.Frequency), int32(s.SLABreaches)},
		overdueNow: s.OverdueInvoices > 0,
	}, int(lay.keepDays/7))
	newest := h.recent.at(h.recent.n - 1)
	w.add(newest)
	h.inLast4++
	h.in12++
	h.lifetime.add(newest)
	h.long.add(newest)
	if newest.overdueNow {
		h.overdueWeeks26++
	}
	if yearly {
		h.in26++
		h.year.add(newest)
		if newest.overdueNow {
			h.overdueWeeks52++
		}
	}
	if lay.extrasPerWeek > 0 {
		for _, src := range extras {
			h.extras.push(s.Extra[src], len(extras)*int(lay.keepDays/7))
		}
	}

	w.put(row[0:5], logins)
	w.put(row[5:10], frequency)
	w.put(row[10:14], slaBreaches)

	switch {
	case s.Logins > 0:
		row[14] = 0
	case h.lastLogin != NoDate:
		row[14] = weeksBetween(h.lastLogin, s.Week)
	default:
		// Nobody has logged in since the account appeared: count from just
		// before its first week, so "never" ranks worse than "a while ago".
		row[14] = weeksBetween(h.first, s.Week) + 1
	}
	row[15] = float64(s.RecencyDays)
	row[16] = float64(s.OverdueInvoices)
	row[17] = w.overdueWeeks
	row[18] = weeksBetween(h.first, s.Week)
	row[19] = w.all.weeks

	if lay.lifetime >= 0 {
		// Divided by the rows reported, as the windows' means are; the
		// current row is always one of them.
		row[lay.lifetime] = h.lifetime.sum[logins] / h.lifetime.weeks
		row[lay.lifetime+1] = h.lifetime.sum[frequency] / h.lifetime.weeks
	}
	if lay.since >= 0 {
		row[lay.since] = weeksSince(h.lastBreach, s.Week)
		row[lay.since+1] = weeksSince(h.lastOverdue, s.Week)
	}
	if lay.baseline >= 0 {
		// The ring reaches back 26 weeks here (keepDays), so long is the
		// 26-week window; its means divide by the weeks reported, as the
		// other windows' do, and the current row is always one of them.
		b := row[lay.baseline : lay.baseline+len(baselineNames)]
		for k := range numBehaviours {
			b[k] = h.long.sum[k] / h.long.weeks
			b[4+k] = math.Log((w.last4.sum[k]/w.last4.weeks + 1) / (b[k] + 1))
		}
		b[3] = h.overdueWeeks26
	}
	if lay.year >= 0 {
		// As the 26-week baseline, over the whole ring, which reaches
		// back 52 weeks here.
		b := row[lay.year : lay.year+len(yearNames)]
		for k := range numBehaviours {
			b[k] = h.year.sum[k] / h.year.weeks
			b[4+k] = math.Log((w.last4.sum[k]/w.last4.weeks + 1) / (b[k] + 1))
		}
		b[3] = h.overdueWeeks52
	}
	if lay.shape >= 0 {
		b := row[lay.shape : lay.shape+len(shapeNames)]
		b[0], b[1] = h.shape(logins, s.Week)
		b[2], b[3] = h.shape(frequency, s.Week)
	}
	if lay.arr >= 0 {
		row[lay.arr] = math.Log1p(h.arr) // NaN stays NaN: unknown, not zero
	}
	if lay.renewal >= 0 {
		row[lay.renewal] = math.NaN()
		if h.renewal != NoDate {
			row[lay.renewal] = weeksBetween(s.Week, h.renewal)
		}
		if lay.term >= 0 {
			row[lay.term] = h.term
		}
	}
	for i, src := range extras {
		row[lay.extras+i] = s.Extra[src]
	}
	if lay.extraWindows >= 0 {
		for j := range extras {
			h.extraWindow(j, len(extras), s.Week, row[lay.extraWindows+j*len(extraWindowSuffixes):])
		}
	}
	if lay.seats >= 0 {
		if v := s.Extra[extras[lay.seats]]; v > 0 {
			h.seats = v // NaN and non-positive counts leave the last known one
		}
	}
	if lay.perSeat >= 0 {
		b := row[lay.perSeat : lay.perSeat+len(perSeatNames)]
		b[0] = w.last4.sum[logins] / w.last4.weeks / h.seats
		b[1] = w.all.sum[logins] / w.all.weeks / h.seats
		b[2] = w.last4.sum[frequency] / w.last4.weeks / h.seats
		b[3] = w.all.sum[frequency] / w.all.weeks / h.seats
	}
	if lay.vsLifetime >= 0 {
		b := row[lay.vsLifetime : lay.vsLifetime+lay.numVsLifetime]
		if h.sizes == nil {
			h.sizes = make([]float64, 2*len(b))
		}
		i := 0
		if lay.arr >= 0 {
			b[0] = h.vsLifetime(0, h.arr) // carried forward: the ARR known that week
			i = 1
		}
		for j, src := range extras {
			b[i+j] = h.vsLifetime(i+j, s.Extra[src])
		}
	}
	return nil
}

// vsLifetime folds v into the running mean of size column i and returns
// v against that mean as log(1+v) - log(1+mean), negative values counted
// as 0. A missing value is NaN and leaves the mean as it was; the first
// known value is its own mean, 0.
func (h *history) vsLifetime(i int, v float64) float64 {
	if math.IsNaN(v) {
		return math.NaN()
	}
	sum, n := &h.sizes[2*i], &h.sizes[2*i+1]
	*sum += v
	*n++
	return math.Log1p(max(v, 0)) - math.Log1p(max(*sum / *n, 0))
}

// extraWindow writes extra column j's mean over the last 4 and 12 weeks
// and the change of the last 4 weeks' mean against the 8 weeks before
// into dst, of k extra columns in all. Missing values (NaN) are left out
// of the means, as unreported weeks are; a mean with no value is NaN,
// and a change with no earlier value 0, as the trend's "no change".
func (h *history) extraWindow(j, k int, now Date, dst []float64) {
	var n4, s4, n8, s8 float64
	for i := h.recent.n - h.in12; i < h.recent.n; i++ {
		v := *h.extras.at(i*k + j)
		switch {
		case math.IsNaN(v):
		case h.recent.at(i).week > now-days4w:
			n4++
			s4 += v
		default:
			n8++
			s8 += v
		}
	}
	dst[0], dst[1], dst[2] = math.NaN(), math.NaN(), math.NaN()
	if n4 > 0 {
		dst[0] = s4 / n4
		dst[2] = 0
		if n8 > 0 {
			dst[2] = dst[0] - s8/n8
		}
	}
	if n4+n8 > 0 {
		dst[1] = (s4 + s8) / (n4 + n8)
	}
}

func weeksBetween(from, to Date) float64 { return float64(to-from) / 7 }

// weeksSince is the weeks from the last event to now, capped at sinceCap,
// or sinceNever when there was none.
func weeksSince(last, now Date) float64 {
	if last == NoDate {
		return sinceNever
	}
	return min(weeksBetween(last, now), sinceCap)
}

// shape fits behaviour k against time over the 12-week window by least
// squares and returns the slope (per week) and the standard deviation of
// the weekly values. With fewer than two weeks there is neither: 0, as
// the trend's "no change", keeps the columns free of NaN.
func (h *history) shape(k int, now Date) (slope, sd float64) {
	n := float64(h.in12)
	if h.in12 < 2 {
		return 0, 0
	}
	var st, sy float64
	for i := h.recent.n - h.in12; i < h.recent.n; i++ {
		e := h.recent.at(i)
		st += weeksBetween(now, e.week)
		sy += float64(e.behaviour[k])
	}
	mt, my := st/n, sy/n
	var stt, sty, syy float64
	for i := h.recent.n - h.in12; i < h.recent.n; i++ {
		e := h.recent.at(i)
		dt, dy := weeksBetween(now, e.week)-mt, float64(e.behaviour[k])-my
		stt += dt * dt
		sty += dt * dy
		syy += dy * dy
	}
	return sty / stt, math.Sqrt(syy / n)
}

// counts sums the behaviour columns over some of the recent weeks.
type counts struct {
	weeks float64
	sum   [numBehaviours]float64
}

func (c *counts) add(w *weekCounts) {
	c.weeks++
	for k, v := range w.behaviour {
		c.sum[k] += float64(v)
	}
}

func (c *counts) sub(w *weekCounts) {
	c.weeks--
	for k, v := range w.behaviour {
		c.sum[k] -= float64(v)
	}
}

// windowSums sums the 12-week window and its last 4 weeks; the 8 weeks
// before those are the difference.
type windowSums struct {
	last4, all   counts
	overdueWeeks float64
}

// add puts a new week into both windows.
func (w *windowSums) add(c *weekCounts) {
	w.all.add(c)
	w.last4.add(c)
	if c.overdueNow {
		w.overdueWeeks++
	}
}

// sub takes a week out of the 12-week window, and out of the last 4 too
// when it is still counted there.
func (w *windowSums) sub(c *weekCounts, inLast4 bool) {
	w.all.sub(c)
	if inLast4 {
		w.last4.sub(c)
	}
	if c.overdueNow {
		w.overdueWeeks--
	}
}

// put writes 4w mean, 4w sum, 12w mean, 12w sum and, when dst has room,
// the trend of behaviour k. Means divide by the weeks that were reported,
// so a missing week lowers confidence, not activity.
func (w *windowSums) put(dst []float64, k int) {
	sum4, sum12 := w.last4.sum[k], w.all.sum[k]
	dst[0] = sum4 / w.last4.weeks // the current week is always in last4
	dst[1] = sum4
	dst[2] = sum12 / w.all.weeks
	dst[3] = sum12
	if len(dst) > 4 {
		// With no earlier weeks there is no change to measure: 0 is "no
		// trend", and it keeps the column free of NaN so that learners
		// that cannot take missing values (sklearn's logistic) still fit.
		dst[4] = 0
		if prior := w.all.weeks - w.last4.weeks; prior > 0 {
			dst[4] = math.Log((dst[0] + 1) / ((sum12-sum4)/prior + 1))
		}
	}
}

// rowLayout places the optional columns within a built row; -1 when
// absent. Behaviour columns always come first, at fixed positions.
// keepDays is how far back an account's ring of rows reaches: 26 weeks
// only when the baselines need them, so a model without them keeps the
// memory per account it always had.
type rowLayout struct {
	lifetime, since, baseline, year, shape, arr, renewal, term, extras int
	// extraWindows, perSeat and vsLifetime follow the extra columns;
	// seats is the index of the seats column among them, -1 when unused;
	// extrasPerWeek is 1 when the ring keeps each week's extra values;
	// numVsLifetime counts the vs-lifetime columns.
	extraWindows, perSeat, vsLifetime, numVsLifetime, seats, extrasPerWeek, width int
	keepDays                                                                      Date
}

func newRowLayout(spec Spec) rowLayout {
	l := rowLayout{lifetime: -1, since: -1, baseline: -1, year: -1, shape: -1, arr: -1, renewal: -1, term: -1,
		extraWindows: -1, perSeat: -1, vsLifetime: -1, seats: -1, extras: numBehaviourColumns, keepDays: days12w}
	if spec.Lifetime {
		l.lifetime = l.extras
		l.extras += numLifetimeColumns
	}
	if spec.Since {
		l.since = l.extras
		l.extras += len(sinceNames)
	}
	if spec.Baseline {
		l.baseline = l.extras
		l.extras += len(baselineNames)
		l.keepDays = days26w
	}
	if spec.Year {
		l.year = l.extras
		l.extras += len(yearNames)
		l.keepDays = days52w
	}
	if spec.Shape {
		l.shape = l.extras
		l.extras += len(shapeNames)
	}
	arr, renewal := spec.ARR, spec.Renewal
	if arr {
		l.arr = l.extras
		l.extras++
	}
	if renewal {
		l.renewal = l.extras
		l.extras++
		if spec.RenewalTerm {
			l.term = l.extras
			l.extras++
		}
	}
	l.width = l.extras + len(spec.Extras)
	if spec.ExtraWindows && len(spec.Extras) > 0 {
		l.extraWindows, l.extrasPerWeek = l.width, 1
		l.width += len(spec.Extras) * len(extraWindowSuffixes)
	}
	if spec.PerSeat {
		// Spec.Check, run before any row is built, makes sure it is there.
		l.seats = slices.Index(spec.Extras, SeatsColumn)
		l.perSeat = l.width
		l.width += len(perSeatNames)
	}
	if spec.VsLifetime {
		l.vsLifetime, l.numVsLifetime = l.width, spec.vsLifetimeWidth()
		l.width += l.numVsLifetime
	}
	return l
}

// ring is a first-in, first-out queue of an account's latest rows.
// Pushing and dropping never shift what it holds, and its buffer grows
// only when more rows than ever before are live at once. Its first
// buffer holds as many rows as the push that makes it says it will ever
// hold: a million accounts' rings are a large part of what Build holds,
// and a power of two would leave a quarter of each unused.
type ring[T any] struct {
	buf  []T
	head int
	n    int
}

func (r *ring[T]) at(i int) *T {
	j := r.head + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return &r.buf[j]
}

// push adds v at the end; size is how many rows the ring should hold
// before it grows.
func (r *ring[T]) push(v T, size int) {
	if r.n == len(r.buf) {
		grown := make([]T, max(size, 2*len(r.buf), 1))
		for i := range r.n {
			grown[i] = *r.at(i)
		}
		r.buf, r.head = grown, 0
	}
	*r.at(r.n) = v
	r.n++
}

func (r *ring[T]) drop() {
	if r.head++; r.head == len(r.buf) {
		r.head = 0
	}
	r.n--
}

// take returns the queue, oldest first, and empties the ring: a full
// ring hands over its own buffer, turned in place, rather than a copy.
func (r *ring[T]) take() []T {
	var out []T
	if r.n == len(r.buf) {
		out = r.buf
		slices.Reverse(out[:r.head])
		slices.Reverse(out[r.head:])
		slices.Reverse(out)
	} else {
		out = make([]T, r.n)
		for i := range out {
			out[i] = *r.at(i)
		}
	}
	*r = ring[T]{}
	return out
}
