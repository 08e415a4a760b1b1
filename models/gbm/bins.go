package gbm

import (
	"math"
	"sort"
)

// A histogram learner never looks at a feature value again after
// binning: it sees only which of at most 255 quantile bins the value fell
// in, plus one bin for NaN. Sums over bins replace sorting at every node.

// cutPoints returns the thresholds that split the sorted, NaN-free
// values into at most maxBins bins of similar counts: a value v falls in
// bin k when k thresholds are <= v. A split that sends bins 0..k left is
// then exactly the test v < cuts[k] on the raw value, which is what lets
// a tree store thresholds in the feature's own units and route any row
// exactly as training did.
//
// A value that fills more than its share of the rows gets a bin of its
// own, so a feature that is mostly 0 still splits finely over the rest.
// Every threshold is finite and lies strictly above the value before it
// and at or below the value after it: the midpoint, where that is
// representable.
func cutPoints(sorted []float64, maxBins int) []float64 {
	var cuts []float64
	if len(sorted) == 0 {
		return cuts
	}
	distinct := 1
	for i := 1; i < len(sorted); i++ {
		if sorted[i] != sorted[i-1] {
			distinct++
		}
	}
	if distinct <= maxBins {
		for i := 1; i < len(sorted); i++ {
			if sorted[i] != sorted[i-1] {
				cuts = appendCut(cuts, sorted[i-1], sorted[i])
			}
		}
		return cuts
	}
	// Greedy quantiles: close a bin once it holds its share of the rows
	// not yet binned, recomputing the share after each bin so that a
	// heavy value early on does not starve the bins after it.
	remaining, binsLeft := len(sorted), maxBins
	start := 0
	for i := 0; i < len(sorted) && binsLeft > 1; {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		// sorted[i:j] holds one distinct value.
		if j == len(sorted) {
			break
		}
		if float64(j-start)*float64(binsLeft) >= float64(remaining) {
			n := len(cuts)
			if cuts = appendCut(cuts, sorted[i], sorted[j]); len(cuts) > n {
				remaining -= j - start
				binsLeft--
				start = j
			}
		}
		i = j
	}
	return cuts
}

// appendCut appends a threshold t with a < t <= b, as close to the
// midpoint as floating point allows, and appends nothing when no finite t
// exists (a is the largest float64).
func appendCut(cuts []float64, a, b float64) []float64 {
	// Clamping first keeps the midpoint of an infinite value finite, so
	// that the threshold can be written to JSON.
	ca := max(a, -math.MaxFloat64)
	cb := min(b, math.MaxFloat64)
	t := ca/2 + cb/2 // no overflow, unlike (ca+cb)/2
	if t <= ca {
		t = cb // a and b are adjacent floats
	}
	if a < t && t <= b {
		cuts = append(cuts, t)
	}
	return cuts
}

// binOf returns the bin of the non-NaN value v: the number of thresholds
// <= v.
func binOf(cuts []float64, v float64) int {
	lo, hi := 0, len(cuts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cuts[mid] <= v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// featureBins describes the bins of one feature.
type featureBins struct {
	// cuts are the thresholds between the bins of known values: there
	// are len(cuts)+1 of them, and NaN has the bin after those.
	cuts []float64
	// grid[c] is the bin of the start of the c-th of len(grid) equal
	// cells from gridLo, spanning the sampled values: a value's bin is
	// then a step or two from its cell's, where a binary search of the
	// cuts mispredicts a branch at every other step, and binning the
	// training rows was a tenth of a fit. nil for few cuts.
	grid           []uint8
	gridLo, gridHi float64
	gridScale      float64 // cells per unit
	// offset is where the feature's bins start in a node histogram.
	offset int
	// mode is the bin that holds the most training rows. The rows in it
	// are not stored with the feature: its histogram entry is the node's
	// sum less the other bins', which is exact in fixed point and spares
	// the learner a third of its additions on our data, where counts of
	// zero and segment indicators dominate.
	mode int
	// missingSplit reports whether a split may send every known value
	// left and NaN right. Its threshold is math.MaxFloat64, which sends a
	// known training value right only if it is math.MaxFloat64 or +Inf;
	// with such a value in training the split is not offered.
	missingSplit bool
}

// bins returns the number of histogram entries of the feature,
// including the one for NaN.
func (fb *featureBins) bins() int { return len(fb.cuts) + 2 }

// missing returns the bin of NaN.
func (fb *featureBins) missing() int { return len(fb.cuts) + 1 }

// bin returns the bin of the value v.
func (fb *featureBins) bin(v float64) int {
	if v != v {
		return fb.missing()
	}
	if !(v >= fb.gridLo && v < fb.gridHi) || fb.grid == nil {
		return binOf(fb.cuts, v)
	}
	c := min(int((v-fb.gridLo)*fb.gridScale), len(fb.grid)-1)
	// The cell's bin is close, and rounding may have put v in a cell
	// next to its own: stepping down and up from it finds the count of
	// cuts <= v whatever the start.
	k := int(fb.grid[c])
	for k > 0 && fb.cuts[k-1] > v {
		k--
	}
	for k < len(fb.cuts) && fb.cuts[k] <= v {
		k++
	}
	return k
}

// gridCells is the number of cells of a feature's grid; minGridCuts the
// fewest cuts that make one worth having.
const (
	gridCells   = 4096
	minGridCuts = 8
)

// makeGrid makes fb's grid over the range of the sorted, NaN-free sample
// of its values, when the range is finite and wide.
func (fb *featureBins) makeGrid(sorted []float64) {
	if len(fb.cuts) < minGridCuts || len(sorted) == 0 {
		return
	}
	lo, hi := sorted[0], sorted[len(sorted)-1]
	scale := gridCells / (hi - lo)
	if !(hi > lo) || math.IsInf(hi-lo, 0) || math.IsInf(scale, 0) {
		return
	}
	fb.grid, fb.gridLo, fb.gridHi, fb.gridScale = make([]uint8, gridCells), lo, hi, scale
	for c := range fb.grid {
		fb.grid[c] = uint8(binOf(fb.cuts, lo+float64(c)/scale))
	}
}

// threshold returns the raw threshold of the split that sends bins
// 0..k left.
func (fb *featureBins) threshold(k int) float64 {
	if k < len(fb.cuts) {
		return fb.cuts[k]
	}
	return math.MaxFloat64
}

// featureGroup is a contiguous range of features whose bins are stored
// row by row, leaving out each feature's mode. Histogram sums are
// integers, so they come out the same whichever worker adds which rows.
//
// A stored bin is the index of the entry in the group's part of a node
// histogram, which starts at base: the feature's offset plus its bin,
// not the bin alone. The innermost loop of the learner then adds a row's
// gradient to h[entry] with no other lookup, which makes it several
// times faster than looking the offset up. A group of at most
// maxGroupWidth features keeps the index within 16 bits.
//
// Rows that store as many bins follow each other (see binned), in runs:
// run k's rows are runs[k].first up to runs[k+1].first, each storing
// runs[k].stored bins, the first row's from entries[runs[k].offset]; the
// last run is a sentinel at the end of the rows. Where a row's bins are
// is then a multiplication, where an offset a row took a gather from
// memory for every row of a node.
type featureGroup struct {
	first, width int
	base         int
	entries      []uint16
	runs         []run
}

// run is a stretch of rows that store the same number of bins.
type run struct{ first, stored, offset int }

// runOf returns the index of the run that holds row r.
func (grp *featureGroup) runOf(r int) int {
	return sort.Search(len(grp.runs), func(k int) bool { return grp.runs[k].first > r }) - 1
}

// row returns the entries of row r.
func (grp *featureGroup) row(r int) []uint16 {
	rn := &grp.runs[grp.runOf(r)]
	off := rn.offset + (r-rn.first)*rn.stored
	return grp.entries[off : off+rn.stored]
}

// maxGroupWidth is the most features a group may hold: each has at most
// 256 histogram entries, and a group's entries must fit a uint16.
const maxGroupWidth = 256

// entry returns the stored bin of bin k of feature fb in group grp.
func (grp *featureGroup) entry(fb *featureBins, k int) int { return fb.offset - grp.base + k }

// binned is a training matrix reduced to bins, its rows in an order of
// its own: row i is the training row order[i].
//
// The rows come sorted by how many bins they store, the ones outside
// their features' modes. The loop that adds a row's bins to a histogram
// runs that many times, and with rows in the training order the count
// changed from row to row and the loop's exit was mispredicted once a
// row: that cost more than the additions (in a benchmark of the loop,
// 0.51 ns an entry with 14 to 22 entries a row in no order, 0.24 ns with
// the same count every row). Sorted, the count changes a few dozen times
// in all, and so it stays in any node's rows, which partitions keep in
// order. Histogram sums do not depend on the order of the rows, and the
// learner's dither and sampling follow the training order, so the model
// is the one the training order gives.
type binned struct {
	rows     int
	order    []int32
	features []featureBins
	groups   []featureGroup
	group    []int // group[f] is the group holding feature f
	// columns holds the bins again, column-major: feature f's are
	// columns[f*rows : (f+1)*rows]. Routing rows to the children of a
	// split reads one feature of every row, which in the row-major
	// groups would pull a cache line per row or two.
	columns []uint8
	// histSize is the number of entries in a node histogram: the bins of
	// all features, one after another.
	histSize int
}

// column returns the bins of feature f, one per row.
func (b *binned) column(f int) []uint8 { return b.columns[f*b.rows : (f+1)*b.rows] }

// cutSample is the most rows whose values binFeatures sorts to choose a
// feature's thresholds, as LightGBM does: quantiles of 200,000 rows are
// as good as those of millions, and sorting is most of the cost of
// binning.
const cutSample = 200_000

// binFeatures computes every feature's thresholds from the row-major
// matrix x (rows x p) and quantises it on the given number of worker
// goroutines.
func binFeatures(x []float64, rows, p, maxBins, workers int) *binned {
	b := &binned{
		rows:     rows,
		features: make([]featureBins, p),
		group:    make([]int, p),
		columns:  make([]uint8, rows*p),
	}
	// Evenly spaced rows: a deterministic sample that follows any order
	// the rows come in, such as by week.
	sample := min(rows, cutSample)
	parallel(workers, func(w int) {
		col := make([]float64, 0, sample)
		var keys radixKeys
		for f := w; f < p; f += workers {
			col = col[:0]
			for i := range sample {
				if v := x[i*rows/sample*p+f]; v == v {
					col = append(col, v)
				}
			}
			keys.sort(col)
			b.features[f].cuts = cutPoints(col, maxBins)
			b.features[f].makeGrid(col)
		}
	})
	// As few groups as the 16 bits of an entry allow: the workers split
	// the rows, not the features.
	groups := (p + maxGroupWidth - 1) / maxGroupWidth
	b.groups = make([]featureGroup, groups)
	for g := range b.groups {
		grp := &b.groups[g]
		grp.first, grp.width = g*p/groups, (g+1)*p/groups-g*p/groups
		grp.base = b.histSize
		for f := grp.first; f < grp.first+grp.width; f++ {
			b.group[f] = g
			b.features[f].offset = b.histSize
			b.histSize += b.features[f].bins()
		}
	}

	// Row ranges, not features, split this work: a row's values are
	// adjacent in x.
	workers = max(1, min(workers, rows))
	huge := make([][]bool, workers) // huge[w][f]: worker w saw x >= MaxFloat64 in feature f
	count := make([][]int, workers) // count[w][f*256+k]: worker w's rows in bin k of feature f
	parallel(workers, func(w int) {
		huge[w], count[w] = make([]bool, p), make([]int, p*256)
		for r := w * rows / workers; r < (w+1)*rows/workers; r++ {
			xr := x[r*p : (r+1)*p]
			for f := range xr {
				v := xr[f]
				k := b.features[f].bin(v)
				huge[w][f] = huge[w][f] || v >= math.MaxFloat64
				b.columns[f*rows+r] = uint8(k)
				count[w][f*256+k]++
			}
		}
	})
	for f := range b.features {
		fb := &b.features[f]
		fb.missingSplit = true
		best := -1
		for k := range fb.bins() {
			n := 0
			for w := range count {
				n += count[w][f*256+k]
			}
			if n > best {
				fb.mode, best = k, n
			}
		}
		for w := range huge {
			if huge[w][f] {
				fb.missingSplit = false
			}
		}
	}
	stored := b.sortRows(workers)
	for g := range b.groups {
		b.fillGroup(&b.groups[g], stored[g], workers)
	}
	return b
}

// sortRows puts the rows in the order of the number of bins they store
// (group by group, the first group's numbers first), keeping the
// training order among rows that store as many, and binned's columns
// with them. It returns those numbers, group by group, in the new order.
func (b *binned) sortRows(workers int) [][]uint16 {
	rows, p := b.rows, len(b.features)
	stored := make([][]uint16, len(b.groups))
	for g := range b.groups {
		stored[g] = b.storedBins(&b.groups[g], workers)
	}
	// Counting sorts, stable and linear in the rows, from the last
	// group's numbers to the first's.
	b.order = make([]int32, rows)
	for r := range b.order {
		b.order[r] = int32(r)
	}
	next := make([]int32, rows)
	for g := len(b.groups) - 1; g >= 0; g-- {
		first := make([]int, b.groups[g].width+2)
		for _, n := range stored[g] {
			first[n+1]++
		}
		for n := 1; n < len(first); n++ {
			first[n] += first[n-1]
		}
		for _, r := range b.order {
			n := stored[g][r]
			next[first[n]] = r
			first[n]++
		}
		b.order, next = next, b.order
	}
	sorted := make([]uint8, len(b.columns))
	parallel(workers, func(w int) {
		for f := w; f < p; f += workers {
			col, out := b.columns[f*rows:(f+1)*rows], sorted[f*rows:(f+1)*rows]
			for i, r := range b.order {
				out[i] = col[r]
			}
		}
	})
	b.columns = sorted
	for g, n := range stored {
		inOrder := make([]uint16, rows)
		for i, r := range b.order {
			inOrder[i] = n[r]
		}
		stored[g] = inOrder
	}
	return stored
}

// storedBins returns how many bins each row stores in group grp: those
// outside their features' modes.
func (b *binned) storedBins(grp *featureGroup, workers int) []uint16 {
	rows := b.rows
	n := make([]uint16, rows)
	parallel(workers, func(w int) {
		for r := w * rows / workers; r < (w+1)*rows/workers; r++ {
			for f := grp.first; f < grp.first+grp.width; f++ {
				if int(b.columns[f*rows+r]) != b.features[f].mode {
					n[r]++
				}
			}
		}
	})
	return n
}

// fillGroup stores the bins of group grp's features, apart from their
// modes, row by row from the columns, and finds its runs; stored[r] is
// the number of row r's bins outside their modes.
func (b *binned) fillGroup(grp *featureGroup, stored []uint16, workers int) {
	rows := b.rows
	grp.runs = grp.runs[:0]
	total := 0
	for r, n := range stored {
		if r == 0 || int(n) != grp.runs[len(grp.runs)-1].stored {
			grp.runs = append(grp.runs, run{first: r, stored: int(n), offset: total})
		}
		total += int(n)
	}
	grp.runs = append(grp.runs, run{first: rows, offset: total})
	grp.entries = make([]uint16, total)
	feats := b.features[grp.first : grp.first+grp.width]
	cols := b.columns[grp.first*rows : (grp.first+grp.width)*rows]
	parallel(workers, func(w int) {
		lo, hi := w*rows/workers, (w+1)*rows/workers
		if lo == hi {
			return
		}
		k := grp.runOf(lo)
		rn := grp.runs[k]
		off := rn.offset + (lo-rn.first)*rn.stored
		for r := lo; r < hi; r++ {
			i := 0
			for j := range feats {
				if k := int(cols[j*rows+r]); k != feats[j].mode {
					grp.entries[off+i] = uint16(grp.entry(&feats[j], k))
					i++
				}
			}
			off += i
		}
	})
}

// radixKeys sorts numbers by the bits of their keys, a byte a pass:
// several times faster than comparison sorts for the 200,000 values of
// a feature's sample. It keeps its buffers for the next call.
type radixKeys struct{ keys, tmp []uint64 }

// sort sorts x, which holds no NaN, into ascending order. -0 comes
// before +0, which compare equal.
func (rk *radixKeys) sort(x []float64) {
	n := len(x)
	if n < 2 {
		return
	}
	if cap(rk.keys) < n {
		rk.keys, rk.tmp = make([]uint64, n), make([]uint64, n)
	}
	keys, tmp := rk.keys[:n], rk.tmp[:n]
	// A number's key orders as the number: the sign bit set for a
	// positive one, every bit flipped for a negative one.
	for i, v := range x {
		b := math.Float64bits(v)
		keys[i] = b ^ (uint64(int64(b)>>63) | 1<<63)
	}
	for shift := 0; shift < 64; shift += 8 {
		var count [257]int
		for _, k := range keys {
			count[k>>shift&0xff+1]++
		}
		if count[keys[0]>>shift&0xff+1] == n {
			continue // every key has this byte
		}
		for d := 1; d < len(count); d++ {
			count[d] += count[d-1]
		}
		for _, k := range keys {
			d := k >> shift & 0xff
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	for i, k := range keys {
		x[i] = math.Float64frombits(k ^ (uint64(int64(^k)>>63) | 1<<63))
	}
}
