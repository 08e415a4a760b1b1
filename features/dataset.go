package features

import (
	"cmp"
	"fmt"
	"slices"
)

// Dataset is a feature table with one row per account-week: what the
// models train, validate and score on.
type Dataset struct {
	// Features names the columns of X, in order.
	Features  []string
	AccountID []string
	Week      []Date
	// X is row-major: row i is X[i*len(Features) : (i+1)*len(Features)].
	// NaN marks a value that is not known at that week.
	X []float64
	// Label is 1 when the account churns within the horizon after the
	// week, 0 when it is observed active through it. Nil for unlabelled
	// rows, such as those being scored.
	Label []float64
}

// Len returns the number of rows.
func (d *Dataset) Len() int { return len(d.AccountID) }

// Row returns row i of X. It aliases X: do not modify it.
func (d *Dataset) Row(i int) []float64 {
	p := len(d.Features)
	return d.X[i*p : (i+1)*p : (i+1)*p]
}

// Append adds one row of features; a labelled dataset's caller appends
// the row's label to Label as well.
func (d *Dataset) Append(accountID string, week Date, x []float64) {
	d.AccountID = append(d.AccountID, accountID)
	d.Week = append(d.Week, week)
	d.X = append(d.X, x...)
}

// Column returns the index of the named feature, or -1.
func (d *Dataset) Column(name string) int {
	for i, f := range d.Features {
		if f == name {
			return i
		}
	}
	return -1
}

// Check reports whether the dataset's slices agree in length.
func (d *Dataset) Check() error {
	n, p := d.Len(), len(d.Features)
	switch {
	case len(d.Week) != n:
		return fmt.Errorf("dataset: %d weeks for %d rows", len(d.Week), n)
	case len(d.X) != n*p:
		return fmt.Errorf("dataset: %d values for %d rows x %d features", len(d.X), n, p)
	case d.Label != nil && len(d.Label) != n:
		return fmt.Errorf("dataset: %d labels for %d rows", len(d.Label), n)
	}
	return nil
}

// Columns returns a copy of the dataset with only the named columns, in
// the order given; a name it does not have is an error.
func (d *Dataset) Columns(names []string) (*Dataset, error) {
	idx := make([]int, len(names))
	for i, n := range names {
		if idx[i] = d.Column(n); idx[i] < 0 {
			return nil, fmt.Errorf("dataset: no column %q", n)
		}
	}
	out := &Dataset{Features: slices.Clone(names), AccountID: d.AccountID, Week: d.Week, Label: d.Label,
		X: make([]float64, 0, d.Len()*len(names))}
	for i := range d.Len() {
		row := d.Row(i)
		for _, j := range idx {
			out.X = append(out.X, row[j])
		}
	}
	return out, nil
}

// SortByWeek puts the rows in week order, keeping the order of the rows
// of one week, in place: at millions of rows a sorted copy would double
// the memory that the rows take. Rows in week order make any run of
// weeks a run of rows, which Slice can take without copying.
func (d *Dataset) SortByWeek() {
	if slices.IsSorted(d.Week) {
		return
	}
	order := make([]int, d.Len())
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(d.Week[a], d.Week[b]) })
	d.permute(order)
}

// permute moves row order[k] to row k for every k, following each cycle
// of the permutation with one row held aside.
func (d *Dataset) permute(order []int) {
	p := len(d.Features)
	labelled := d.Label != nil
	// put writes one row's fields to row k.
	put := func(k int, id string, week Date, label float64, x []float64) {
		d.AccountID[k], d.Week[k] = id, week
		if labelled {
			d.Label[k] = label
		}
		copy(d.X[k*p:(k+1)*p], x)
	}
	labelOf := func(i int) float64 {
		if labelled {
			return d.Label[i]
		}
		return 0
	}
	aside := make([]float64, p)
	done := make([]bool, len(order))
	for s := range order {
		if done[s] || order[s] == s {
			continue
		}
		id, week, label := d.AccountID[s], d.Week[s], labelOf(s)
		copy(aside, d.Row(s))
		for k := s; ; k = order[k] {
			done[k] = true
			if j := order[k]; j != s {
				put(k, d.AccountID[j], d.Week[j], labelOf(j), d.Row(j))
				continue
			}
			put(k, id, week, label, aside)
			break
		}
	}
}

// Slice returns rows lo to hi-1 as a dataset that shares d's memory:
// writing to one writes to the other.
func (d *Dataset) Slice(lo, hi int) *Dataset {
	p := len(d.Features)
	s := &Dataset{Features: d.Features, AccountID: d.AccountID[lo:hi:hi], Week: d.Week[lo:hi:hi], X: d.X[lo*p : hi*p : hi*p]}
	if d.Label != nil {
		s.Label = d.Label[lo:hi:hi]
	}
	return s
}

// Rotate moves the first k rows to the end, in place, keeping the order
// of the rows on either side: the rows before and after a run of rows
// can then be taken as one Slice, without copying them.
func (d *Dataset) Rotate(k int) {
	p := len(d.Features)
	rotate(d.AccountID, k)
	rotate(d.Week, k)
	rotate(d.X, k*p)
	if d.Label != nil {
		rotate(d.Label, k)
	}
}

// rotate moves s[:k] to the end of s by three reversals, which touch
// every element twice and need no room beside s.
func rotate[T any](s []T, k int) {
	slices.Reverse(s[:k])
	slices.Reverse(s[k:])
	slices.Reverse(s)
}
