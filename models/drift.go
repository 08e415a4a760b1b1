package models

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/churnlabs/churn/features"
)

// Drift reference sizes. Ten quantile bins is the usual PSI layout; the
// sample bounds what train spends on it (one sort of each feature's
// values) and keeps the quantiles exact to a fraction of a percent.
const (
	// DriftBins is the number of quantile bins churn train records.
	DriftBins = 10
	// driftSample is the most training rows the reference is taken from,
	// evenly spaced through the rows.
	driftSample = 50_000
	// maxDriftBins bounds the bins a model file may hold.
	maxDriftBins = 100
	// shareTolerance is how far a reference's shares may sum from 1:
	// JSON keeps them to the last bit, their sum rounds.
	shareTolerance = 1e-6
)

// PSIEpsilon replaces an empty bin's share when PSI is computed: the log
// of a zero share is infinite, and a bin empty on one side only is the
// very drift PSI should report, as a large but finite term. 1e-4 is the
// usual choice: an empty bin facing a 10% one adds (0.1-1e-4)·ln(1000) ≈ 0.69.
const PSIEpsilon = 1e-4

// DriftReference is the training distribution of each feature and of the
// score, which each new week's rows are compared with. It is model.json's
// "drift"; a model trained before it has none and is scored without a
// drift check.
type DriftReference struct {
	// Rows is how many training rows the reference was taken from.
	Rows     int            `json:"rows"`
	Features []Distribution `json:"features"`
	// Score is the distribution of the calibrated churn probability.
	Score Distribution `json:"score"`
}

// Distribution is one variable's distribution as PSI bins it: value bins
// cut at quantiles of the training rows, and a bin of missing values.
// Bin i holds values v with Edges[i-1] < v <= Edges[i]; the first has no
// lower edge, the last no upper. Shares and Missing add up to 1.
type Distribution struct {
	Name    string    `json:"name"`
	Edges   []float64 `json:"edges"`
	Shares  []float64 `json:"shares"`
	Missing float64   `json:"missing"`
}

// Drift is one variable's change between the training rows and new rows.
type Drift struct {
	Name string `json:"name"`
	// PSI is the population stability index over the value bins and the
	// missing bin: below 0.1 stable, 0.1 to 0.25 moderate, above 0.25 a
	// major shift.
	PSI float64 `json:"psi"`
	// TrainMissing and Missing are the shares of missing values in the
	// training rows and in the new rows.
	TrainMissing float64 `json:"train_missing"`
	Missing      float64 `json:"missing"`
}

// MissingChange is the change in the share of missing values.
func (d Drift) MissingChange() float64 { return d.Missing - d.TrainMissing }

// NewDriftReference takes the reference from the training rows ds and
// their calibrated probabilities, as prob scores a row, binned into bins
// quantile bins. At most driftSample rows, evenly spaced, are used, and
// only they are scored.
func NewDriftReference(ds *features.Dataset, prob func(x []float64) float64, bins int) (*DriftReference, error) {
	n := ds.Len()
	if n == 0 {
		return nil, fmt.Errorf("drift reference: no training rows")
	}
	if bins < 1 || bins > maxDriftBins {
		return nil, fmt.Errorf("drift reference: %d bins, want 1 to %d", bins, maxDriftBins)
	}
	take := min(n, driftSample)
	idx := make([]int, take)
	for k := range idx {
		idx[k] = int(int64(k) * int64(n) / int64(take))
	}
	col := make([]float64, take)
	r := &DriftReference{Rows: take}
	for j, name := range ds.Features {
		for k, i := range idx {
			col[k] = ds.Row(i)[j]
		}
		r.Features = append(r.Features, distribution(name, col, bins))
	}
	for k, i := range idx {
		col[k] = prob(ds.Row(i))
	}
	r.Score = distribution("score", col, bins)
	return r, nil
}

// distribution cuts values (NaN: missing) into bins quantile bins. Tied
// quantiles are merged, and no edge is kept at or above the largest
// value, whose bin above would be empty: a binary feature gets two bins,
// a constant one a single bin.
func distribution(name string, values []float64, bins int) Distribution {
	vals := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	d := Distribution{Name: name, Edges: []float64{}}
	d.Missing = float64(len(values)-len(vals)) / float64(len(values))
	if len(vals) == 0 {
		d.Shares = []float64{}
		return d
	}
	slices.Sort(vals)
	top := vals[len(vals)-1]
	for k := 1; k < bins; k++ {
		e := vals[(k*len(vals)+bins-1)/bins-1] // the ceil(k/bins) quantile
		if e < top && (len(d.Edges) == 0 || e > d.Edges[len(d.Edges)-1]) {
			d.Edges = append(d.Edges, e)
		}
	}
	d.Shares = d.shares(values)
	return d
}

// shares returns the share of values in each of d's value bins; the rest
// are missing.
func (d Distribution) shares(values []float64) []float64 {
	s := make([]float64, len(d.Edges)+1)
	if len(values) == 0 {
		return s
	}
	for _, v := range values {
		if !math.IsNaN(v) {
			s[sort.SearchFloat64s(d.Edges, v)]++
		}
	}
	for i := range s {
		s[i] /= float64(len(values))
	}
	return s
}

// Compare returns the drift of values (NaN: missing) from d. With no
// values it returns NaN: there is nothing to compare.
func (d Distribution) Compare(values []float64) Drift {
	out := Drift{Name: d.Name, TrainMissing: d.Missing, PSI: math.NaN(), Missing: math.NaN()}
	if len(values) == 0 {
		return out
	}
	s := d.shares(values)
	out.Missing = 0
	for _, v := range values {
		if math.IsNaN(v) {
			out.Missing++
		}
	}
	out.Missing /= float64(len(values))
	ref := d.Shares
	if len(ref) == 0 {
		// A variable missing in every training row has one bin, missing.
		ref = []float64{0}
		s = []float64{sum(s)}
	}
	out.PSI = PSI(append(slices.Clone(ref), d.Missing), append(s, out.Missing))
	return out
}

// PSI is the population stability index of actual against expected, two
// lists of bin shares: the sum of (actual - expected) · ln(actual /
// expected). A share below PSIEpsilon counts as PSIEpsilon.
func PSI(expected, actual []float64) float64 {
	psi := 0.0
	for i := range expected {
		e, a := max(expected[i], PSIEpsilon), max(actual[i], PSIEpsilon)
		psi += (a - e) * math.Log(a/e)
	}
	return psi
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// Compare returns the drift of each feature of ds and of the score prob
// from the reference, features first in the reference's order, the score
// last. ds must have the reference's features.
func (r *DriftReference) Compare(ds *features.Dataset, prob []float64) ([]Drift, error) {
	names := make([]string, len(r.Features))
	for j, f := range r.Features {
		names[j] = f.Name
	}
	if !slices.Equal(ds.Features, names) {
		return nil, fmt.Errorf("drift: rows have features %v, the reference %v", ds.Features, names)
	}
	if len(prob) != ds.Len() {
		return nil, fmt.Errorf("drift: %d probabilities for %d rows", len(prob), ds.Len())
	}
	col := make([]float64, ds.Len())
	out := make([]Drift, 0, len(names)+1)
	for j, f := range r.Features {
		for i := range col {
			col[i] = ds.Row(i)[j]
		}
		out = append(out, f.Compare(col))
	}
	return append(out, r.Score.Compare(prob)), nil
}

// check verifies a loaded reference against the artifact's features: the
// edges finite, within bounds and strictly ascending, the shares
// probabilities adding up to 1 with the missing share.
func (r *DriftReference) check(names []string) error {
	if r.Rows < 1 {
		return fmt.Errorf("drift.rows %d: want 1 or more", r.Rows)
	}
	if len(r.Features) != len(names) {
		return fmt.Errorf("drift.features: %d distributions for %d features", len(r.Features), len(names))
	}
	for j, d := range r.Features {
		field := fmt.Sprintf("drift.features[%d]", j)
		if d.Name != names[j] {
			return fmt.Errorf("%s.name %q: want the feature %q", field, d.Name, names[j])
		}
		if err := d.check(field, maxFeatureValue); err != nil {
			return err
		}
	}
	if r.Score.Name != "score" {
		return fmt.Errorf("drift.score.name %q: want \"score\"", r.Score.Name)
	}
	return r.Score.check("drift.score", 1)
}

func (d Distribution) check(field string, bound float64) error {
	if len(d.Edges) >= maxDriftBins {
		return fmt.Errorf("%s.edges: %d edges, want fewer than %d", field, len(d.Edges), maxDriftBins)
	}
	for i, e := range d.Edges {
		if !(math.Abs(e) <= bound) {
			return fmt.Errorf("%s.edges[%d] %v: want a number within ±%g", field, i, e, bound)
		}
		if i > 0 && !(e > d.Edges[i-1]) {
			return fmt.Errorf("%s.edges[%d] %v: want edges in ascending order", field, i, e)
		}
	}
	if want := len(d.Edges) + 1; len(d.Shares) != want && !(len(d.Shares) == 0 && len(d.Edges) == 0) {
		return fmt.Errorf("%s.shares: %d shares for %d edges, want %d", field, len(d.Shares), len(d.Edges), want)
	}
	for i, s := range append(slices.Clone(d.Shares), d.Missing) {
		if !(s >= 0 && s <= 1) {
			name := fmt.Sprintf("%s.shares[%d]", field, i)
			if i == len(d.Shares) {
				name = field + ".missing"
			}
			return fmt.Errorf("%s %v: want a share in [0, 1]", name, s)
		}
	}
	if t := sum(d.Shares) + d.Missing; math.Abs(t-1) > shareTolerance {
		return fmt.Errorf("%s: shares and missing add up to %v, want 1", field, t)
	}
	return nil
}

// Drifted returns the drifts whose PSI exceeds warn, most drifted first.
// A warn of 0 or less turns the check off: it returns none.
func Drifted(drifts []Drift, warn float64) []Drift {
	if warn <= 0 {
		return nil
	}
	var out []Drift
	for _, d := range drifts {
		if d.PSI > warn {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b Drift) int { return -cmpFloat(a.PSI, b.PSI) })
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
