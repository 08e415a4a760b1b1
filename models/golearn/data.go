package golearn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"github.com/churnlabs/churn/features"
	"github.com/sjwhitworth/golearn/base"
)

// checkTraining checks that ds is a labelled training set with both
// classes and returns the indices of its negative and positive rows.
func checkTraining(ds *features.Dataset) (byClass [2][]int, err error) {
	if ds == nil {
		return byClass, errors.New("golearn: no training set")
	}
	if err := ds.Check(); err != nil {
		return byClass, fmt.Errorf("golearn: training set: %w", err)
	}
	switch {
	case ds.Len() == 0:
		return byClass, errors.New("golearn: training set has no rows")
	case len(ds.Features) == 0:
		return byClass, errors.New("golearn: training set has no features")
	case ds.Label == nil:
		return byClass, errors.New("golearn: training set has no labels")
	}
	for i, y := range ds.Label {
		if y != 0 && y != 1 {
			return byClass, fmt.Errorf("golearn: training set: row %d (account %q, week %s): label %v is not 0 or 1",
				i+1, ds.AccountID[i], ds.Week[i], y)
		}
		byClass[int(y)] = append(byClass[int(y)], i)
	}
	for c, rows := range byClass {
		if len(rows) == 0 {
			return byClass, fmt.Errorf("golearn: training set: all %d rows have label %d; need both classes",
				ds.Len(), 1-c)
		}
	}
	for i, v := range ds.X {
		if math.IsInf(v, 0) {
			return byClass, fmt.Errorf("golearn: training set: row %d, feature %q: value %v is not finite",
				i/len(ds.Features)+1, ds.Features[i%len(ds.Features)], v)
		}
	}
	return byClass, nil
}

// medians returns the median of the known values of each feature of ds,
// or 0 for a feature with none. golearn has no notion of a missing value,
// so it trains on rows whose NaNs are replaced by these; the lower median
// is used because it is a value some row really has, so a split can never
// fall between the imputed value and every observed one.
func medians(ds *features.Dataset) []float64 {
	p := len(ds.Features)
	med := make([]float64, p)
	col := make([]float64, 0, ds.Len())
	for j := range p {
		col = col[:0]
		for i := j; i < len(ds.X); i += p {
			if v := ds.X[i]; !math.IsNaN(v) {
				col = append(col, v)
			}
		}
		if len(col) > 0 {
			med[j] = selectKth(col, (len(col)-1)/2)
		}
	}
	return med
}

// selectKth returns the k-th smallest value of v (k from 0), reordering
// v. It is Hoare's quickselect with a middle pivot: a median per feature
// over millions of rows is linear time this way, where sorting every
// column would dominate the cost of preparing the data.
func selectKth(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	for lo < hi {
		pivot := v[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		// Now v[lo..j] <= pivot <= v[i..hi], and anything strictly
		// between j and i equals the pivot.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

// stratifiedSample returns up to m row indices, ascending, drawn without
// replacement from byClass so that each class keeps its share of the
// rows, and at least one row of each. With m >= the number of rows it
// returns them all.
func stratifiedSample(byClass [2][]int, m int, rng *rand.Rand) []int {
	n := len(byClass[0]) + len(byClass[1])
	if m >= n {
		all := append(slices.Clone(byClass[0]), byClass[1]...)
		slices.Sort(all)
		return all
	}
	k := classQuota(byClass, m)
	rows := make([]int, 0, m)
	for c, idx := range byClass {
		idx = slices.Clone(idx)
		// A partial Fisher–Yates shuffle: the first k[c] places end
		// up holding a uniform sample.
		for i := range k[c] {
			j := i + rng.IntN(len(idx)-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		rows = append(rows, idx[:k[c]]...)
	}
	slices.Sort(rows)
	return rows
}

// bootstrapSample returns m row indices, ascending, drawn with
// replacement from byClass so that each class keeps its share. A plain
// bootstrap of a rare class can miss it altogether, and a tree fitted on
// one class is a constant.
func bootstrapSample(byClass [2][]int, m int, rng *rand.Rand) []int {
	k := classQuota(byClass, m)
	rows := make([]int, 0, m)
	for c, idx := range byClass {
		for range k[c] {
			rows = append(rows, idx[rng.IntN(len(idx))])
		}
	}
	slices.Sort(rows)
	return rows
}

// classQuota splits m rows between the classes in proportion to their
// sizes, giving each class at least one row and no more than it has
// (the bootstrap may exceed that; it draws with replacement anyway).
func classQuota(byClass [2][]int, m int) [2]int {
	n := len(byClass[0]) + len(byClass[1])
	pos := int(math.Round(float64(m) * float64(len(byClass[1])) / float64(n)))
	pos = min(max(pos, 1), len(byClass[1]), m-1)
	return [2]int{m - pos, pos}
}

// randomFeatures returns k of the p feature indices, ascending.
func randomFeatures(p, k int, rng *rand.Rand) []int {
	perm := rng.Perm(p)[:k]
	slices.Sort(perm)
	return perm
}

// instances builds the golearn grid for the given rows and feature
// columns of ds, NaNs replaced by the feature medians. Each feature
// becomes a float attribute named after its column index, which keeps
// names unique whatever the dataset calls its features. The class is a
// float attribute holding the label, because golearn's CART reads the
// class as a number and predicts int64(label): class 1 is churn.
func instances(ds *features.Dataset, rows, cols []int, med []float64) (*base.DenseInstances, error) {
	return binnedInstances(ds, rows, cols, med, nil)
}

// binnedInstances is instances with the values of each feature c that
// has edges[c] (see binEdges) replaced by the lower edge of their bin.
func binnedInstances(ds *features.Dataset, rows, cols []int, med []float64, edges [][]float64) (*base.DenseInstances, error) {
	inst := base.NewDenseInstances()
	specs := make([]base.AttributeSpec, len(cols))
	for j, c := range cols {
		specs[j] = inst.AddAttribute(base.NewFloatAttribute(attrName(c)))
	}
	class := base.NewFloatAttribute(classAttr)
	classSpec := inst.AddAttribute(class)
	if err := inst.AddClassAttribute(class); err != nil {
		return nil, fmt.Errorf("golearn: set class attribute: %w", err)
	}
	if err := inst.Extend(len(rows)); err != nil {
		return nil, fmt.Errorf("golearn: allocate %d rows: %w", len(rows), err)
	}
	for r, i := range rows {
		x := ds.Row(i)
		for j, c := range cols {
			v := x[c]
			if math.IsNaN(v) {
				v = med[c]
			}
			if edges != nil && edges[c] != nil {
				v = snap(edges[c], v)
			}
			inst.Set(specs[j], r, base.PackFloatToBytes(v))
		}
		inst.Set(classSpec, r, base.PackFloatToBytes(ds.Label[i]))
	}
	return inst, nil
}

// classAttr names the class attribute of the grids handed to golearn.
const classAttr = "churned"

// attrName is the golearn attribute name of feature column c.
func attrName(c int) string { return "f" + strconv.Itoa(c) }

// attrColumn returns the feature column an attribute name stands for.
func attrColumn(name string) (int, error) {
	if len(name) < 2 || name[0] != 'f' {
		return 0, fmt.Errorf("golearn: split on unknown attribute %q", name)
	}
	c, err := strconv.Atoi(name[1:])
	if err != nil || c < 0 {
		return 0, fmt.Errorf("golearn: split on unknown attribute %q", name)
	}
	return c, nil
}

// binEdges returns, for each feature of ds with more than bins distinct
// known values, the lower edges of its (at most) bins quantile bins,
// ascending, followed by one value above the largest; nil for the
// others. golearn's split search scans every distinct value of a
// feature, and the rows again for each: a column of amounts with
// thousands of distinct values makes a tree many times slower than
// one-hot columns do. Fitting on bins and translating the thresholds back
// to bin edges (unbin) keeps every split exact on the original values.
func binEdges(ds *features.Dataset, bins int) [][]float64 {
	p := len(ds.Features)
	edges := make([][]float64, p)
	col := make([]float64, 0, ds.Len())
	for j := range p {
		col = col[:0]
		for i := range ds.Len() {
			if v := ds.X[i*p+j]; !math.IsNaN(v) {
				col = append(col, v)
			}
		}
		if len(col) == 0 {
			continue
		}
		slices.Sort(col)
		distinct := 1
		for i := 1; i < len(col) && distinct <= bins; i++ {
			if col[i] != col[i-1] {
				distinct++
			}
		}
		if distinct <= bins {
			continue
		}
		var e []float64
		for k := range bins {
			v := col[k*len(col)/bins]
			if len(e) == 0 || v > e[len(e)-1] {
				e = append(e, v)
			}
		}
		edges[j] = append(e, math.Nextafter(col[len(col)-1], math.Inf(1)))
	}
	return edges
}

// snap returns the lower edge of the bin of v: the largest edge at or
// below it (the first edge for a value below them all). The last edge
// bounds the values from above and is no bin.
func snap(edges []float64, v float64) float64 {
	b := sort.Search(len(edges)-1, func(i int) bool { return edges[i] > v }) - 1
	return edges[max(b, 0)]
}

// unbin moves the thresholds of g's splits on binned features from the
// binned values golearn saw to the original ones: a split sending the
// bins below c left becomes x < (lower edge of bin c), which sends the
// same training rows left, and a NaN still goes where its median goes.
func (g *grown) unbin(edges [][]float64, med []float64) {
	if edges == nil {
		return
	}
	for i, n := range g.nodes {
		if n.Feature < 0 || edges[n.Feature] == nil {
			continue
		}
		e := edges[n.Feature]
		c := min(sort.SearchFloat64s(e, n.Threshold), len(e)-1)
		g.nodes[i].Threshold = e[c]
		g.nodes[i].MissingLeft = med[n.Feature] < e[c]
	}
}
