package features

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Defaults for labelling and splitting.
const (
	DefaultHorizon    = 12 // weeks
	DefaultValidWeeks = 13 // a quarter of weekly cohorts
)

// Label values of a row.
const (
	Negative = 0  // observed active through week + horizon
	Positive = 1  // churns within the horizon after the week
	Censored = -1 // neither can be known yet: left out of training
)

// Label says whether row i churns within horizon weeks after its week.
func (t *Table) Label(i, horizon int) int {
	a := &t.Accounts[t.account[i]]
	w := t.week[i]
	return Outcome(w, w+Date(7*horizon), a.ChurnWeek, a.Last)
}

// Outcome is the one rule that labels an account at week w over the
// period up to end, for training rows and retention figures alike:
// Positive when its churn week falls in (w, end], Negative when it is
// seen on or after end without churning by then, and Censored when the
// data stops first. churn is NoDate for an account that has not left and
// last is its latest snapshot. The churn week itself is censored: on that
// row the account has already left, so predicting it would be reading the
// answer.
func Outcome(w, end, churn, last Date) int {
	switch {
	case churn != NoDate && w < churn && churn <= end:
		return Positive
	case last >= end && (churn == NoDate || churn > end):
		return Negative
	}
	return Censored
}

// SplitOptions place the out-of-time split.
type SplitOptions struct {
	// Horizon in weeks; 0 means DefaultHorizon.
	Horizon int
	// ValidWeeks is how many weekly cohorts validate; 0 means DefaultValidWeeks.
	ValidWeeks int
	// ValidEnd is the last validation week. The zero value means the
	// latest week whose labels are fully observed (Last - Horizon); a
	// backtest moves it back in time.
	ValidEnd Date
}

// Period describes one side of a split.
type Period struct {
	First     Date `json:"first_week"`
	Last      Date `json:"last_week"`
	Rows      int  `json:"rows"`
	Positives int  `json:"positives"`
	Accounts  int  `json:"accounts"`
}

// Split is an out-of-time train/validation split. Training weeks end a
// full horizon before validation starts, so no training label can see
// the churn that validation is scored on.
type Split struct {
	Horizon    int      `json:"horizon_weeks"`
	Train      *Dataset `json:"-"`
	Valid      *Dataset `json:"-"`
	TrainStats Period   `json:"train"`
	ValidStats Period   `json:"valid"`
	// Censored counts rows left out because their label is not known.
	Censored int `json:"censored_rows"`
}

// Split labels the table's rows and splits them out of time.
func (t *Table) Split(opt SplitOptions) (*Split, error) {
	return t.SplitContext(context.Background(), opt)
}

// splitCheckRows is how many rows SplitContext handles between looks at
// its context: a few milliseconds' work.
const splitCheckRows = 1 << 16

// SplitContext is Split stopping with ctx's error once ctx is done: at
// millions of rows a split takes seconds.
func (t *Table) SplitContext(ctx context.Context, opt SplitOptions) (*Split, error) {
	p, err := t.PlanSplit(ctx, opt)
	if err != nil {
		return nil, err
	}
	sp := p.Split
	if sp.Train, err = p.dataset(ctx, TrainPart); err != nil {
		return nil, err
	}
	if sp.Valid, err = p.dataset(ctx, ValidPart); err != nil {
		return nil, err
	}
	return sp, nil
}

// PlanSplit labels the table's rows and places them on either side of
// the split as SplitContext does, without copying them out: a caller
// that writes each side out (churn features) reads the rows through the
// plan's Batches, never holding a side whole.
func (t *Table) PlanSplit(ctx context.Context, opt SplitOptions) (*SplitPlan, error) {
	if !t.HasChurned {
		return nil, errors.New("the snapshots have no churned column: it is required to label training rows")
	}
	if t.keepWeeks > 0 {
		return nil, fmt.Errorf("the table keeps only each account's latest %d weeks (BuildOptions.KeepWeeks), for scoring: "+
			"labelling training rows needs every row", t.keepWeeks)
	}
	h, v := opt.Horizon, opt.ValidWeeks
	if h == 0 {
		h = DefaultHorizon
	}
	if v == 0 {
		v = DefaultValidWeeks
	}
	if h < 1 || v < 1 {
		return nil, fmt.Errorf("horizon (%d) and validation weeks (%d) must be at least 1", h, v)
	}
	validEnd := opt.ValidEnd
	if validEnd == 0 {
		validEnd = t.Last - Date(7*h)
	}
	validStart := validEnd - Date(7*(v-1))
	// A training row's label looks up to week+h; it must end before the
	// first validation week.
	trainEnd := validStart - Date(7*h) - 1
	if trainEnd < t.First {
		return nil, fmt.Errorf("not enough history for an out-of-time split: the data spans %s to %s (%d weeks), "+
			"and a horizon of %d weeks with %d validation weeks needs more than %d weeks",
			t.First, t.Last, int(t.Last-t.First)/7+1, h, v, 2*h+v)
	}

	// Label every row once and count each side; the datasets are filled
	// afterwards, sized exactly: growing them row by row would copy their
	// values again and again.
	side := make([]int8, t.Len())
	labels := make([]int8, t.Len())
	sp := &Split{Horizon: h}
	stats := [2]*Period{&sp.TrainStats, &sp.ValidStats}
	// seen[a] has bit k set once account a has a row on side k.
	seen := make([]uint8, len(t.Accounts))
	for i, w := range t.week {
		if i%splitCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		side[i] = skipRow
		switch {
		case !t.keeps(i):
			continue
		case w <= trainEnd:
			side[i] = int8(TrainPart)
		case w >= validStart && w <= validEnd:
			side[i] = int8(ValidPart)
		default:
			continue
		}
		if labels[i] = int8(t.Label(i, h)); labels[i] == Censored {
			side[i] = skipRow
			sp.Censored++
			continue
		}
		k := side[i]
		stats[k].add(w, int(labels[i]))
		if a := t.account[i]; seen[a]&(1<<k) == 0 {
			seen[a] |= 1 << k
			stats[k].Accounts++
		}
	}
	for _, c := range []struct {
		name string
		p    Period
	}{{"training", sp.TrainStats}, {"validation", sp.ValidStats}} {
		if c.p.Rows == 0 || c.p.Positives == 0 || c.p.Positives == c.p.Rows {
			return nil, fmt.Errorf("the %s period has %d rows with %d churn positives: both classes are needed "+
				"(try a different --horizon or --valid-weeks)", c.name, c.p.Rows, c.p.Positives)
		}
	}
	return &SplitPlan{Split: sp, t: t, side: side, labels: labels}, nil
}

// skipRow marks a row in the gap between the periods, outside both or
// censored.
const skipRow = -1

// Part names a side of a split.
type Part int

// The sides of a split.
const (
	TrainPart Part = 0
	ValidPart Part = 1
)

// SplitPlan is a table's out-of-time split before its rows are copied
// out: which side each row is on and its label. Its Split has the
// figures of both sides but no datasets; Batches hands out their rows.
type SplitPlan struct {
	Split  *Split
	t      *Table
	side   []int8
	labels []int8
}

// Batches calls fn with the rows of one side of the split, in table
// order, labelled, in datasets of at most n rows. The dataset is reused
// from one call to the next: fn must not keep it. It stops at the first
// error of fn, or once ctx is done.
func (p *SplitPlan) Batches(ctx context.Context, part Part, n int, fn func(*Dataset) error) error {
	if n < 1 {
		return fmt.Errorf("batches of %d rows: want at least 1", n)
	}
	ds := p.t.newDataset(n)
	for i, k := range p.side {
		if Part(k) != part {
			continue
		}
		if ds.Len() == n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(ds); err != nil {
				return err
			}
			ds.AccountID, ds.Week, ds.X, ds.Label = ds.AccountID[:0], ds.Week[:0], ds.X[:0], ds.Label[:0]
		}
		if err := p.t.appendRow(ds, i); err != nil {
			return err
		}
		ds.Label = append(ds.Label, float64(p.labels[i]))
	}
	if ds.Len() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(ds)
}

// dataset copies out one side of the split whole.
func (p *SplitPlan) dataset(ctx context.Context, part Part) (*Dataset, error) {
	rows := p.Split.TrainStats.Rows
	if part == ValidPart {
		rows = p.Split.ValidStats.Rows
	}
	ds := p.t.newDataset(rows)
	for i, k := range p.side {
		if i%splitCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if Part(k) != part {
			continue
		}
		if err := p.t.appendRow(ds, i); err != nil {
			return nil, err
		}
		ds.Label = append(ds.Label, float64(p.labels[i]))
	}
	return ds, nil
}

func (p *Period) add(w Date, y int) {
	if p.Rows == 0 || w < p.First {
		p.First = w
	}
	if p.Rows == 0 || w > p.Last {
		p.Last = w
	}
	p.Rows++
	p.Positives += y
}

// newDataset returns an empty dataset with the table's feature columns
// and room for n rows.
func (t *Table) newDataset(n int) *Dataset {
	names := t.Spec.Names()
	return &Dataset{
		Features:  names,
		AccountID: make([]string, 0, n),
		Week:      make([]Date, 0, n),
		X:         make([]float64, 0, n*len(names)),
		Label:     make([]float64, 0, n),
	}
}

// appendRow adds table row i to ds, expanding the segment indicators.
func (t *Table) appendRow(ds *Dataset, i int) error {
	ds.AccountID = append(ds.AccountID, t.Accounts[t.account[i]].ID)
	ds.Week = append(ds.Week, t.week[i])
	return t.x.row(i, func(src []float64) { ds.X = t.appendFeatures(ds.X, src, t.segment[i]) })
}

// appendFeatures appends to dst the features of a row as built, src, in
// segment seg: the row as the spec names its columns, with the segment
// indicators, which rows do not store, put in.
func (t *Table) appendFeatures(dst, src []float64, seg int16) []float64 {
	lay := t.layout
	start := len(dst)
	dst = append(dst, src[:lay.extras]...)
	for s := range t.Spec.Segments {
		v := 0.0
		if int(seg) == s {
			v = 1
		}
		dst = append(dst, v)
	}
	dst = append(dst, src[lay.extras:]...)
	if t.project != nil {
		// The kept columns are in the order built, each at or after
		// its new place: moving them forward in place is safe.
		for k, j := range t.project {
			dst[start+k] = dst[start+j]
		}
		dst = dst[:start+len(t.project)]
	}
	return dst
}

// Narrow makes the table's datasets carry only the columns of spec,
// which must be the table's spec with some feature groups turned off
// (see Spec.WithGroups), whether or not it was narrowed before: the rows
// already built are read through it, so
// a model can be fitted on the groups that earned their place without
// building the features again. Its Spec becomes spec, the one a model
// fitted on its datasets is saved with.
func (t *Table) Narrow(spec Spec) error {
	full := t.Spec
	if t.built != nil {
		full = *t.built
	}
	for _, g := range spec.FeatureGroupsOn() {
		if !slices.Contains(full.FeatureGroupsOn(), g) {
			return fmt.Errorf("narrow the features: group %s was not built", g)
		}
	}
	check, err := full.WithGroups(spec.FeatureGroupsOn())
	if err != nil {
		return err
	}
	if !slices.Equal(check.Names(), spec.Names()) {
		return errors.New("narrow the features: the spec differs from the table's in more than its groups")
	}
	built := full.Names()
	at := make(map[string]int, len(built))
	for i, n := range built {
		at[n] = i
	}
	project := make([]int, 0, len(built))
	for _, n := range spec.Names() {
		project = append(project, at[n])
	}
	if t.built == nil {
		t.built = &full
	}
	t.Spec, t.project = spec, project
	return nil
}

// Dataset returns the unlabelled features of the given rows, or of every
// row when rows is nil.
//
// Dataset and Latest are for a table held in memory, as scoring builds
// it. On a spilled table (BuildOptions.Spill) they read the rows back
// from its file, and an error in doing so is Close's.
func (t *Table) Dataset(rows []int) *Dataset {
	n := len(rows)
	if rows == nil {
		n = t.Len()
	}
	ds := t.newDataset(n)
	ds.Label = nil
	if rows == nil {
		for i := range t.Len() {
			_ = t.appendRow(ds, i) // only a spilled table's, kept for Close
		}
	}
	for _, i := range rows {
		_ = t.appendRow(ds, i)
	}
	return ds
}

// DatasetInto is Dataset reusing the slices of ds, nil or returned by an
// earlier call on t, which it overwrites: a caller that turns many small
// sets of rows into datasets one after the other, as scoring does account
// by account, then allocates once.
func (t *Table) DatasetInto(ds *Dataset, rows []int) *Dataset {
	if ds == nil {
		return t.Dataset(rows)
	}
	ds.AccountID, ds.Week, ds.X, ds.Label = ds.AccountID[:0], ds.Week[:0], ds.X[:0], nil
	for _, i := range rows {
		t.appendRow(ds, i)
	}
	return ds
}

// Latest returns the features at each active account's latest snapshot:
// the rows a model scores.
func (t *Table) Latest() *Dataset {
	ds := t.newDataset(len(t.Accounts))
	ds.Label = nil
	for _, a := range t.Accounts {
		if a.Active() {
			_ = t.appendRow(ds, a.LastRow) // only a spilled table's, kept for Close
		}
	}
	return ds
}
