package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/churnlabs/churn/features"
)

// ErrShortHistory is wrapped by the errors about data too short for the
// horizon: no account-week has a known outcome a horizon later.
var ErrShortHistory = errors.New("the data is too short for the horizon")

// Comparison operators of an indicator.
const (
	AtLeast = ">="
	AtMost  = "<="
)

// Indicator is a candidate leading indicator of retention. An account
// meets it at week w when, of its weeks reported in the Days days up to
// and including w, at least Percent% have Column at least Threshold (Op
// AtLeast) or at most Threshold (Op AtMost). A week whose Column is empty
// is not counted; an account with no counted week does not meet it.
//
// Judging by the share of reported weeks, not of calendar weeks, keeps a
// gap in the data from failing an account; an account younger than Days
// is judged on the weeks it has.
type Indicator struct {
	Column    string  `json:"column"`
	Op        string  `json:"op"`
	Threshold float64 `json:"threshold"`
	Days      int     `json:"days"`
	Percent   int     `json:"percent"`
}

// String describes the indicator in words, as a retention team would say it.
func (ind Indicator) String() string {
	return fmt.Sprintf("%s %s %s %s of the last %s", ind.Column, ind.Op, formatNumber(ind.Threshold),
		ind.share(), ind.period())
}

// Short is the indicator in a few characters, for chart labels.
func (ind Indicator) Short() string {
	return fmt.Sprintf("%s %s %s, %d%% of %s", ind.Column, ind.Op, formatNumber(ind.Threshold), ind.Percent, ind.period())
}

// Name is the indicator as a feature name: letters, digits and
// underscores only.
func (ind Indicator) Name() string {
	op := "ge"
	if ind.Op == AtMost {
		op = "le"
	}
	v := strings.NewReplacer(".", "p", "-", "m").Replace(formatNumber(ind.Threshold))
	return fmt.Sprintf("%s_%s_%s_%dpct_%dd", ind.Column, op, v, ind.Percent, ind.Days)
}

func (ind Indicator) share() string {
	if ind.Percent >= 100 {
		return "in every reported week"
	}
	return fmt.Sprintf("in at least %d%% of reported weeks", ind.Percent)
}

func (ind Indicator) period() string {
	switch {
	case ind.Days == 7:
		return "week"
	case ind.Days == 1:
		return "day"
	case ind.Days%7 == 0:
		return fmt.Sprintf("%d weeks", ind.Days/7)
	}
	return fmt.Sprintf("%d days", ind.Days)
}

// reaches reports whether a week's value v counts toward an indicator
// with the operator op and threshold th.
func reaches(op string, v, th float64) bool {
	if op == AtMost {
		return v <= th
	}
	return v >= th
}

// IndicatorOptions set the grid of indicators FindIndicators evaluates
// and where it evaluates them. Zero fields select the defaults.
type IndicatorOptions struct {
	// Horizon is how far ahead retention is measured, in weeks; default
	// features.DefaultHorizon.
	Horizon int
	// Through is the last reference week; the zero value means the
	// latest week whose horizon the data covers (Last - Horizon weeks).
	Through features.Date
	// Every samples one reference week in this many, counted from the
	// data's first week; default 4. Consecutive weeks of one account
	// say nearly the same thing, and sampling keeps the counts honest
	// about how much evidence there is.
	Every int
	// Days are the periods T; default 28, 56 and 84.
	Days []int
	// Percents are the shares P of weeks, in percent; default 50, 75 and 100.
	Percents []int
	// Quantiles of each column's weekly values give its thresholds;
	// default 0.25, 0.5, 0.75 and 0.9.
	Quantiles []float64
	// MinSupport is the least share of reference rows each side of an
	// indicator (meets, does not) must hold to be ranked; default 0.05.
	MinSupport float64
	// Confidence is the level of the intervals; default 0.95.
	Confidence float64
}

// Defaults of IndicatorOptions.
const (
	DefaultEvery      = 4
	DefaultMinSupport = 0.05
	DefaultConfidence = 0.95
)

func (o IndicatorOptions) withDefaults() (IndicatorOptions, error) {
	if o.Horizon == 0 {
		o.Horizon = features.DefaultHorizon
	}
	if o.Every == 0 {
		o.Every = DefaultEvery
	}
	if o.Days == nil {
		o.Days = []int{28, 56, 84}
	}
	if o.Percents == nil {
		o.Percents = []int{50, 75, 100}
	}
	if o.Quantiles == nil {
		o.Quantiles = []float64{0.25, 0.5, 0.75, 0.9}
	}
	if o.MinSupport == 0 {
		o.MinSupport = DefaultMinSupport
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	switch {
	case o.Horizon < 1:
		return o, fmt.Errorf("indicators: horizon %d weeks, want at least 1", o.Horizon)
	case o.Every < 1:
		return o, fmt.Errorf("indicators: a reference week every %d weeks, want at least 1", o.Every)
	case !(o.MinSupport > 0 && o.MinSupport < 0.5):
		return o, fmt.Errorf("indicators: minimum support %v, want a share in (0, 0.5)", o.MinSupport)
	case !(o.Confidence > 0 && o.Confidence < 1):
		return o, fmt.Errorf("indicators: confidence %v, want a level in (0, 1)", o.Confidence)
	case len(o.Days) == 0 || len(o.Percents) == 0 || len(o.Quantiles) == 0:
		return o, errors.New("indicators: empty grid of periods, shares or quantiles")
	}
	for _, d := range o.Days {
		if d < 1 {
			return o, fmt.Errorf("indicators: period of %d days, want at least 1", d)
		}
	}
	for _, p := range o.Percents {
		if p < 1 || p > 100 {
			return o, fmt.Errorf("indicators: share of %d%% of weeks, want 1 to 100", p)
		}
	}
	for _, q := range o.Quantiles {
		if !(q >= 0 && q <= 1) {
			return o, fmt.Errorf("indicators: quantile %v, want one in [0, 1]", q)
		}
	}
	o.Days = sortedUnique(o.Days)
	o.Percents = sortedUnique(o.Percents)
	return o, nil
}

// Indicators are the evaluated indicators, ranked.
type Indicators struct {
	Horizon int `json:"horizon_weeks"`
	// Every is the sampling of reference weeks: one in Every weeks.
	Every     int           `json:"every_weeks"`
	FirstWeek features.Date `json:"first_reference_week"`
	LastWeek  features.Date `json:"last_reference_week"`
	// Rows are the reference account-weeks: an active account at a
	// sampled week whose outcome over the horizon is known.
	Rows     int `json:"rows"`
	Accounts int `json:"accounts"`
	// Retention is the share of Rows still customers a horizon later.
	Retention float64 `json:"retention"`
	// Evaluated counts the indicators of the grid; Ranked holds those with
	// at least MinRows rows on each side, highest lift first.
	Evaluated int               `json:"evaluated"`
	MinRows   int               `json:"min_rows_each_side"`
	Ranked    []IndicatorResult `json:"ranked"`
}

// IndicatorResult is an indicator's retention evidence.
type IndicatorResult struct {
	Indicator
	Description string `json:"description"`
	// Meet and NotMeet are the reference rows that meet the indicator
	// and those that do not (with at least one counted week).
	Meet    Group `json:"meet"`
	NotMeet Group `json:"not_meet"`
	// Lift is Meet.Retention / NotMeet.Retention.
	Lift float64 `json:"lift"`
	// Difference is Meet.Retention - NotMeet.Retention with its Newcombe
	// interval.
	Difference Interval `json:"difference"`
}

// Group is a set of account-weeks and how many were retained.
type Group struct {
	Rows     int `json:"rows"`
	Retained int `json:"retained"`
	// Retention is Retained / Rows with its Wilson interval.
	Retention Interval `json:"retention"`
}

func newGroup(rows, retained int, confidence float64) Group {
	return Group{Rows: rows, Retained: retained, Retention: Wilson(retained, rows, confidence)}
}

// FindIndicators evaluates every indicator of the grid: for each column
// of the history, thresholds at the quantiles of its weekly values, and each
// period and share of weeks. At reference weeks (one in opt.Every, up to
// opt.Through) it compares the horizon retention of the active accounts
// that meet an indicator with that of those that do not, and ranks the
// indicators with enough rows on both sides by lift.
//
// The rows of one account at different reference weeks are not
// independent, so the intervals are somewhat narrower than they should
// be; and with hundreds of indicators a few look strong by chance.
func (b *History) FindIndicators(ctx context.Context, opt IndicatorOptions) (*Indicators, error) {
	found, _, err := b.findIndicators(ctx, opt)
	return found, err
}

// findIndicators is FindIndicators, also returning the reference rows,
// which a Sample evaluates other indicators at.
func (b *History) findIndicators(ctx context.Context, opt IndicatorOptions) (*Indicators, []reference, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	through := opt.Through
	if through == 0 {
		through = b.Last - features.Date(7*opt.Horizon)
	}
	refs, err := b.references(ctx, through, opt.Horizon, opt.Every)
	if err != nil {
		return nil, nil, err
	}
	if len(refs) == 0 {
		return nil, nil, fmt.Errorf("indicators: no account-week up to %s has a known outcome %d weeks later (data %s to %s): %w",
			through, opt.Horizon, b.First, b.Last, ErrShortHistory)
	}
	grid, err := b.newGrid(ctx, opt)
	if err != nil {
		return nil, nil, err
	}
	if err := grid.tally(ctx, b, refs); err != nil {
		return nil, nil, err
	}
	out := &Indicators{Horizon: opt.Horizon, Every: opt.Every, Rows: len(refs),
		FirstWeek: features.NoDate, LastWeek: features.NoDate}
	retained := 0
	accounts := map[int32]bool{}
	for _, r := range refs {
		w := b.accounts[r.account].weeks[r.week]
		if out.FirstWeek == features.NoDate || w < out.FirstWeek {
			out.FirstWeek = w
		}
		out.LastWeek = max(out.LastWeek, w)
		accounts[r.account] = true
		if r.retained {
			retained++
		}
	}
	out.Accounts, out.Retention = len(accounts), float64(retained)/float64(len(refs))
	out.MinRows = max(1, int(math.Ceil(opt.MinSupport*float64(len(refs)))))
	out.Evaluated = len(grid.indicators)
	out.Ranked = grid.results(out.MinRows, opt.Confidence)
	return out, refs, nil
}

// reference is an account-week the indicators are judged at.
type reference struct {
	account  int32
	week     int32 // index into the account's weeks
	retained bool
}

// references returns the sampled account-weeks up to through at which the
// account is active and its outcome a horizon later is known. The churn
// week itself is left out: the account has already gone.
func (b *History) references(ctx context.Context, through features.Date, horizon, every int) ([]reference, error) {
	var refs []reference
	for i := range b.accounts {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		a := &b.accounts[i]
		for j, w := range a.weeks {
			if w > through {
				break
			}
			if int(w-b.First)/7%every != 0 || a.churn != features.NoDate && w >= a.churn {
				continue
			}
			if retained, known := a.outcome(w, w+features.Date(7*horizon)); known {
				refs = append(refs, reference{int32(i), int32(j), retained})
			}
		}
	}
	return refs, nil
}

// grid is the indicators under evaluation with their tallies. Indicators
// are laid out column by column, then threshold, period and share, so
// that one pass over an account's window serves all of a column's.
type grid struct {
	days, percents []int
	columns        []gridColumn
	indicators     []Indicator
	meet           []tally // per indicator
	known          []tally // per column and period: rows with a counted week
}

type gridColumn struct {
	index      int // in History.Columns
	op         string
	thresholds []float64
	first      int // index of its first indicator
}

type tally struct{ rows, retained int }

func (t *tally) add(retained bool) {
	t.rows++
	if retained {
		t.retained++
	}
}

func (b *History) newGrid(ctx context.Context, opt IndicatorOptions) (*grid, error) {
	g := &grid{days: opt.Days, percents: opt.Percents}
	var buf []float32
	for c, name := range b.Columns {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		op := AtLeast
		if lowerIsBetter(name) {
			op = AtMost
		}
		var th []float64
		th, buf = b.thresholds(c, op, opt.Quantiles, buf)
		col := gridColumn{index: c, op: op, thresholds: th, first: len(g.indicators)}
		for _, v := range th {
			for _, d := range g.days {
				for _, p := range g.percents {
					g.indicators = append(g.indicators, Indicator{Column: name, Op: op, Threshold: v, Days: d, Percent: p})
				}
			}
		}
		g.columns = append(g.columns, col)
	}
	g.meet = make([]tally, len(g.indicators))
	g.known = make([]tally, len(g.columns)*len(g.days))
	return g, nil
}

// thresholds returns the distinct quantiles of column c's weekly values,
// rounded to two significant digits when not whole numbers so that they
// read well, without those every week reaches (the minimum for AtLeast,
// the maximum for AtMost). buf is scratch space, returned for reuse.
func (b *History) thresholds(c int, op string, quantiles []float64, buf []float32) ([]float64, []float32) {
	buf = buf[:0]
	width := len(b.Columns)
	for i := range b.accounts {
		a := &b.accounts[i]
		for j := c; j < len(a.values); j += width {
			if v := a.values[j]; !math.IsNaN(float64(v)) {
				buf = append(buf, v)
			}
		}
	}
	if len(buf) == 0 {
		return nil, buf
	}
	slices.Sort(buf)
	lo, hi := float64(buf[0]), float64(buf[len(buf)-1])
	var out []float64
	for _, q := range quantiles {
		k := min(len(buf)-1, max(0, int(math.Ceil(q*float64(len(buf))))-1))
		v := float64(buf[k])
		if v != math.Trunc(v) {
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 2, 64), 64)
		}
		if op == AtLeast && v > lo || op == AtMost && v < hi {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), buf
}

// tally counts, for every reference row and indicator, whether the row
// meets it and whether it was retained.
func (g *grid) tally(ctx context.Context, b *History, refs []reference) error {
	width := len(b.Columns)
	maxDays := g.days[len(g.days)-1]
	nd := len(g.days)
	var reach []int // per period and threshold: weeks that reach it
	known := make([]int, nd)
	for n, r := range refs {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		a := &b.accounts[r.account]
		w := a.weeks[r.week]
		for ci, col := range g.columns {
			nt := len(col.thresholds)
			if nt == 0 {
				continue
			}
			reach = slices.Grow(reach[:0], nd*nt)[:nd*nt]
			clear(reach)
			clear(known)
			for j := int(r.week); j >= 0; j-- {
				age := int(w - a.weeks[j])
				if age >= maxDays {
					break
				}
				v := float64(a.values[j*width+col.index])
				if math.IsNaN(v) {
					continue
				}
				for d, days := range g.days {
					if age >= days {
						continue
					}
					known[d]++
					for t, th := range col.thresholds {
						if reaches(col.op, v, th) {
							reach[d*nt+t]++
						}
					}
				}
			}
			for d := range g.days {
				if known[d] == 0 {
					continue
				}
				g.known[ci*nd+d].add(r.retained)
				for t := range nt {
					for p, pct := range g.percents {
						if 100*reach[d*nt+t] >= pct*known[d] {
							g.meet[col.first+(t*nd+d)*len(g.percents)+p].add(r.retained)
						}
					}
				}
			}
		}
	}
	return nil
}

// results returns the indicators with at least minRows rows on each side
// and a finite lift, highest lift first; ties go to the narrower
// interval's lower bound, then to grid order, so the ranking is
// deterministic.
func (g *grid) results(minRows int, confidence float64) []IndicatorResult {
	out := []IndicatorResult{} // an empty list in JSON, not null
	nd, np := len(g.days), len(g.percents)
	for ci, col := range g.columns {
		for i := col.first; i < col.first+len(col.thresholds)*nd*np; i++ {
			d := (i - col.first) / np % nd
			all, meet := g.known[ci*nd+d], g.meet[i]
			not := tally{all.rows - meet.rows, all.retained - meet.retained}
			if meet.rows < minRows || not.rows < minRows || not.retained == 0 {
				continue
			}
			r := IndicatorResult{
				Indicator:   g.indicators[i],
				Description: g.indicators[i].String(),
				Meet:        newGroup(meet.rows, meet.retained, confidence),
				NotMeet:     newGroup(not.rows, not.retained, confidence),
				Difference:  Newcombe(meet.retained, meet.rows, not.retained, not.rows, confidence),
			}
			r.Lift = r.Meet.Retention.Estimate / r.NotMeet.Retention.Estimate
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(x, y IndicatorResult) int {
		return cmp.Or(cmp.Compare(y.Lift, x.Lift), cmp.Compare(y.Difference.Lower, x.Difference.Lower))
	})
	return out
}

// meets reports whether account a meets ind at its week i, with column c
// the indicator's column; ok is false when no week in the period has a
// value, which is not meeting it either.
func (b *History) meets(a *account, i, c int, ind Indicator) (met, ok bool) {
	width := len(b.Columns)
	w := a.weeks[i]
	known, reach := 0, 0
	for j := i; j >= 0 && int(w-a.weeks[j]) < ind.Days; j-- {
		v := float64(a.values[j*width+c])
		if math.IsNaN(v) {
			continue
		}
		known++
		if reaches(ind.Op, v, ind.Threshold) {
			reach++
		}
	}
	return known > 0 && 100*reach >= ind.Percent*known, known > 0
}

// column returns the index of the named column, or -1.
func (b *History) column(name string) int { return slices.Index(b.Columns, name) }

func sortedUnique(v []int) []int {
	v = slices.Clone(v)
	slices.Sort(v)
	return slices.Compact(v)
}

// formatNumber prints a threshold as briefly as it reads exactly.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
