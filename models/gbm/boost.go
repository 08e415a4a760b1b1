package gbm

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/churnlabs/churn/models/tree"
)

// blockRows is the number of rows in a block of the row passes: the unit
// of work a worker takes, and of the rows grouped by node. A block's rows
// and bins fit a core's cache, and blocks are many enough for the workers
// to finish together.
const blockRows = 1 << 13

// minSplitGain is the gain a split must exceed, as in XGBoost: a split
// that gains no more is rounding noise.
const minSplitGain = 1e-6

// split is a candidate split of a node.
type split struct {
	gain     float64
	feature  int
	bin      int // bins 0..bin go left
	missLeft bool
	left     int64 // packed gradient sum of the left child
}

// route is how a split node sends a row on, in terms of bins: the row
// goes Right when uint(bin-lo) < span. With bins 0..k left, lo is k+1,
// and span reaches up to the bin of NaN when NaN goes left and past it
// otherwise, so one subtraction and one comparison cover both cases.
type route struct {
	bins     []uint8 // the split feature's column
	lo, span uint
	left     int32 // left child; Right is left+1. 0 when not split.
}

// next returns the child of the node that row r goes to.
func (rt *route) next(r int) int32 {
	// Written so that the compiler makes a conditional move: which way
	// a row goes is a coin flip to the branch predictor.
	child := rt.left
	if rt.goesRight(r) {
		child++
	}
	return child
}

// goesRight reports whether row r goes to the right child.
func (rt *route) goesRight(r int) bool { return uint(rt.bins[r])-rt.lo < rt.span }

// booster grows the trees of one Fit. Everything it needs per tree is
// allocated up front and reused, so the boosting loop itself allocates
// little more than the trees it returns.
type booster struct {
	p       Params
	data    *binned
	label   []float64 // in data's order of rows, as every per-row slice here
	order   []int32   // data.order: the training row of each row
	scale   gradScale
	workers int

	pred []float64 // each row's log-odds so far
	// expNeg is e^-pred, kept up to date by multiplying in e^-value of
	// each tree's leaf, so that the gradients cost a multiplication per
	// row instead of an exponential.
	expNeg  []float64
	leafExp []float64 // e^-value of each leaf of the tree being grown
	// leafValue is the value of each leaf, kept apart from the nodes
	// for a tighter loop.
	leafValue []float64
	grad      []int64 // each row's packed gradient and hessian at pred
	// rows holds, block by block, the rows of the tree being grown
	// grouped by the node they are in: node id's rows in block b are
	// rows[seg[b*maxNodes+id].lo : seg[b*maxNodes+id].hi]. A split
	// partitions its node's segment into its children's, which is what
	// spares the histograms and the leaves any lookup of a row's node.
	// Block b's rows beyond rowCount[b] are outside the tree's sample:
	// they are routed, for their predictions, but not counted.
	rows     []int32
	seg      []segment
	rowCount []int
	scratch  [][]int32 // per worker, room for a block's rows: partitioned, or their leaves
	// allRows says that the root level uses every row, in order, and
	// needs no list.
	allRows  bool
	blockSum []int64 // the sum of grad over each block's sampled rows
	maxNodes int
	// held lists the nodes whose segments were not partitioned: the
	// leaves, and the splits of the last level, whose rows finish routes.
	held []int32

	// Per node of the tree being grown, by index in nodes.
	nodes   []tree.Node
	sums    []int64 // packed gradient sums
	hists   [][]int64
	build   []uint8 // 1 when the node's histogram is built from rows
	sibling []int32 // for a node whose histogram is its parent's minus its sibling's
	routes  []route
	counts  [][]int32 // per worker, the sampled rows in each leaf

	spare [][]int64 // histograms not in use
	// Each worker sums its share of the rows into histograms of its own,
	// wbuf[w][slot] for the slot-th node of a batch of at most
	// len(wbuf[w]) nodes, which are then added up into the nodes'.
	wbuf  [][][]int64
	built []int32 // the frontier's nodes built from rows
	// The features are split into chunks, one per worker, to be merged
	// and searched for splits side by side; chunkOf[f] is f's.
	chunks         []featureRange
	chunkOf        []int
	best           [][]split // best[c][i]: the best split of frontier[i] on chunk c
	active         [][]activeFeature
	perm           []int
	frontier, next []int32
}

// featureRange is the features first..end-1.
type featureRange struct{ first, end int }

// histBudget bounds the bytes of the workers' own histograms: with deep
// trees and wide data, a level's nodes are summed in batches.
const histBudget = 64 << 20

// segment is a range of booster.rows.
type segment struct{ lo, hi int32 }

// activeFeature is a feature drawn for the current tree.
type activeFeature struct {
	f  int // feature
	fb *featureBins
}

// newBooster starts every row from base, plus start[i] for row i when
// start is not nil.
func newBooster(p Params, data *binned, label []float64, base float64, start []float64) *booster {
	n := data.rows
	maxNodes := 1<<(p.Depth+1) - 1
	blocks := (n + blockRows - 1) / blockRows
	p.Threads = max(1, min(p.Threads, blocks))
	nf := len(data.features)
	chunks := min(nf, p.Threads)
	b := &booster{
		p:         p,
		data:      data,
		label:     make([]float64, n),
		order:     data.order,
		scale:     newGradScale(n, p.Seed),
		workers:   p.Threads,
		pred:      make([]float64, n),
		expNeg:    make([]float64, n),
		leafExp:   make([]float64, maxNodes),
		leafValue: make([]float64, maxNodes),
		grad:      make([]int64, n),
		rows:      make([]int32, n),
		seg:       make([]segment, blocks*maxNodes),
		rowCount:  make([]int, blocks),
		scratch:   make([][]int32, p.Threads),
		maxNodes:  maxNodes,
		held:      make([]int32, 0, maxNodes),
		blockSum:  make([]int64, blocks),
		nodes:     make([]tree.Node, 0, maxNodes),
		sums:      make([]int64, maxNodes),
		hists:     make([][]int64, maxNodes),
		build:     make([]uint8, maxNodes),
		sibling:   make([]int32, maxNodes),
		routes:    make([]route, maxNodes),
		counts:    make([][]int32, p.Threads),
		wbuf:      make([][][]int64, p.Threads),
		built:     make([]int32, 0, maxNodes),
		chunks:    make([]featureRange, chunks),
		chunkOf:   make([]int, nf),
		best:      make([][]split, chunks),
		active:    make([][]activeFeature, chunks),
		perm:      make([]int, len(data.features)),
		frontier:  make([]int32, 0, maxNodes),
		next:      make([]int32, 0, maxNodes),
	}
	for w := range b.counts {
		b.counts[w] = make([]int32, maxNodes)
		b.scratch[w] = make([]int32, blockRows)
	}
	// A worker's histogram reaches 1<<16 entries past its last group's
	// base, so that the loops can index it with a uint16 unchecked.
	wsize := data.groups[len(data.groups)-1].base + 1<<16
	batch := max(1, min(1<<(p.Depth-1), histBudget/(8*wsize*p.Threads)))
	for w := range b.wbuf {
		b.wbuf[w] = make([][]int64, batch)
		for i := range batch {
			b.wbuf[w][i] = make([]int64, wsize)
		}
	}
	// Chunks of about as many histogram entries, not features: merging
	// and scanning a histogram cost by the entry, and a feature may have
	// 3 or 256 of them.
	first := 0
	for c := range chunks {
		end := nf
		if c < chunks-1 {
			// Up to the first feature that starts past the chunk's
			// share, leaving a feature for each chunk after.
			end = first + 1
			for end < nf-(chunks-c-1) && data.features[end].offset*chunks < data.histSize*(c+1) {
				end++
			}
		}
		b.chunks[c] = featureRange{first, end}
		for f := first; f < end; f++ {
			b.chunkOf[f] = c
		}
		b.best[c] = make([]split, 1<<p.Depth)
		b.active[c] = make([]activeFeature, 0, end-first)
		first = end
	}
	parallelRange(b.workers, blocks, func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			var sum int64
			for r := blk * blockRows; r < min(n, (blk+1)*blockRows); r++ {
				b.rows[r] = int32(r)
				b.label[r] = label[b.order[r]]
				b.pred[r] = base
				if start != nil {
					b.pred[r] += start[b.order[r]]
				}
				b.expNeg[r] = math.Exp(-b.pred[r])
				g, h := gradient(b.expNeg[r], b.label[r])
				b.grad[r] = b.scale.pack(g, h, 0, int(b.order[r]))
				sum += b.grad[r]
			}
			b.blockSum[blk] = sum
		}
	})
	return b
}

// grow fits tree t to the current gradients, adds it to the predictions
// and computes the gradients for tree t+1.
func (b *booster) grow(t int) tree.Tree {
	b.sampleColumns(t)
	if b.p.Subsample < 1 {
		b.sampleRows(t)
	} else {
		b.allRows = true
		for blk := range b.rowCount {
			b.rowCount[blk] = min(blockRows, len(b.rows)-blk*blockRows)
		}
	}
	for blk, cnt := range b.rowCount {
		lo := int32(blk * blockRows)
		b.seg[blk*b.maxNodes] = segment{lo, lo + int32(cnt)}
	}
	b.nodes = b.nodes[:0]
	b.held = b.held[:0]
	var rootSum int64
	for _, s := range b.blockSum {
		rootSum += s
	}
	root := b.addNode(rootSum)
	b.hists[root] = b.takeHist()
	b.build[root] = 1
	b.frontier = append(b.frontier[:0], root)

	for depth := 0; depth < b.p.Depth && len(b.frontier) > 0; depth++ {
		b.levelHistograms()
		parallel(len(b.chunks), b.splits)
		last := depth+1 == b.p.Depth
		b.next = b.next[:0]
		for i, id := range b.frontier {
			// Chunks hold ascending features, and a later chunk wins
			// only with a strictly larger gain: the split is the one a
			// single scan over all features would choose.
			s := b.best[0][i]
			for g := 1; g < len(b.best); g++ {
				if b.best[g][i].gain > s.gain {
					s = b.best[g][i]
				}
			}
			if s.gain <= minSplitGain {
				b.releaseHist(id)
				b.held = append(b.held, id)
				continue
			}
			l, r := b.splitNode(id, s)
			if last {
				b.releaseHist(id)
				b.held = append(b.held, id)
				continue
			}
			// Only the child with less hessian, a close proxy for fewer
			// rows, is built from its rows; the other is its parent's
			// histogram minus its sibling's, which costs a pass over
			// the bins instead of over the rows.
			_, hl := unpack(b.sums[l])
			_, hr := unpack(b.sums[r])
			small, large := l, r
			if hr < hl {
				small, large = r, l
			}
			b.hists[large], b.hists[id] = b.hists[id], nil
			b.hists[small] = b.takeHist()
			b.build[small], b.build[large] = 1, 0
			b.sibling[large] = small
			b.next = append(b.next, l, r)
		}
		if len(b.next) > 0 {
			b.eachBlock(nil, b.partition)
		}
		b.frontier, b.next = b.next, b.frontier
	}
	return b.finish(t)
}

// addNode appends a leaf for rows whose packed gradients sum to sum.
func (b *booster) addNode(sum int64) int32 {
	id := int32(len(b.nodes))
	g, h := b.scale.value(sum)
	b.nodes = append(b.nodes, tree.Node{
		Feature: -1,
		Value:   -g / (h + b.p.Lambda) * b.p.LearningRate,
	})
	b.sums[id] = sum
	b.routes[id] = route{}
	return id
}

// splitNode turns leaf id into the split s and returns its children.
func (b *booster) splitNode(id int32, s split) (left, right int32) {
	left = b.addNode(s.left)
	right = b.addNode(b.sums[id] - s.left)
	fb := &b.data.features[s.feature]
	b.nodes[id] = tree.Node{
		Feature:     s.feature,
		Threshold:   fb.threshold(s.bin),
		MissingLeft: s.missLeft,
		Left:        int(left),
		Right:       int(right),
	}
	end := uint(fb.bins())
	if s.missLeft {
		end = uint(fb.missing())
	}
	lo := uint(s.bin + 1)
	b.routes[id] = route{bins: b.data.column(s.feature), lo: lo, span: end - lo, left: left}
	return left, right
}

func (b *booster) takeHist() []int64 {
	if n := len(b.spare); n > 0 {
		h := b.spare[n-1]
		b.spare = b.spare[:n-1]
		return h
	}
	return make([]int64, b.data.histSize)
}

func (b *booster) releaseHist(id int32) {
	if h := b.hists[id]; h != nil {
		b.spare = append(b.spare, h)
		b.hists[id] = nil
	}
}

// sampleColumns draws the features tree t may split on.
func (b *booster) sampleColumns(t int) {
	p := len(b.data.features)
	for f := range b.perm {
		b.perm[f] = f
	}
	m := p
	if b.p.ColSample < 1 {
		m = max(1, int(math.Round(b.p.ColSample*float64(p))))
		var rng rand.PCG
		rng.Seed(b.p.Seed, uint64(t))
		// A partial Fisher-Yates shuffle: perm[:m] is a uniform draw.
		for i := range m {
			j := i + int(rng.Uint64()%uint64(p-i))
			b.perm[i], b.perm[j] = b.perm[j], b.perm[i]
		}
		slices.Sort(b.perm[:m])
	}
	for c := range b.active {
		b.active[c] = b.active[c][:0]
	}
	for _, f := range b.perm[:m] {
		c := b.chunkOf[f]
		b.active[c] = append(b.active[c], activeFeature{
			f: f, fb: &b.data.features[f],
		})
	}
}

// sampleRows draws the rows of tree t, each with probability Subsample,
// by a hash of the seed, the tree and the training row, so that the draw
// is the same whichever goroutine makes it and in whatever order the
// rows are kept.
func (b *booster) sampleRows(t int) {
	b.allRows = false
	limit := uint64(math.Ldexp(b.p.Subsample, 64))
	seed := splitmix64(^b.p.Seed) + uint64(t)<<32 // apart from the dither's
	parallelRange(b.workers, len(b.rowCount), func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			start, end := blk*blockRows, min(len(b.rows), (blk+1)*blockRows)
			out := b.rows[start:end]
			// Sampled rows from the front, the others from the back.
			k, j := 0, len(out)
			var sum int64
			for r := start; r < end; r++ {
				if splitmix64(seed+uint64(b.order[r])) < limit {
					out[k] = int32(r)
					k++
					sum += b.grad[r]
				} else {
					j--
					out[j] = int32(r)
				}
			}
			b.rowCount[blk] = k
			b.blockSum[blk] = sum
		}
	})
}

// levelHistograms builds the histograms of the frontier's nodes that are
// built from rows. Each worker sums the rows of its blocks, for every
// feature, into histograms of its own, which are then added up chunk by
// chunk: split by rows, the work comes out even and a row's bins are read
// in one go.
func (b *booster) levelHistograms() {
	b.built = b.built[:0]
	for _, id := range b.frontier {
		if b.build[id] == 1 {
			b.built = append(b.built, id)
		}
	}
	size := len(b.wbuf[0])
	for lo := 0; lo < len(b.built); lo += size {
		batch := b.built[lo:min(len(b.built), lo+size)]
		b.eachBlock(func(w int) {
			for slot := range batch {
				clear(b.wbuf[w][slot][:b.data.histSize]) // no entry goes beyond
			}
		}, func(w, blk int) { b.accumulate(w, blk, batch) })
		parallel(len(b.chunks), func(c int) { b.merge(c, batch) })
	}
	b.allRows = false
}

// accumulate adds the gradients of block blk's rows in each node of
// batch (or of all its rows, at the root of a tree without row sampling)
// into worker w's histograms, for every feature outside its mode. A
// feature that is not drawn for the tree gets its sums too, which no
// split reads: checking would cost more. This loop is where Fit spends
// most of its time.
func (b *booster) accumulate(w, blk int, batch []int32) {
	for g := range b.data.groups {
		grp := &b.data.groups[g]
		if b.allRows {
			first, end := blk*blockRows, min(len(b.grad), (blk+1)*blockRows)
			addAll((*[1 << 16]int64)(b.wbuf[w][0][grp.base:]), grp, first, b.grad[first:end])
			continue
		}
		for slot, id := range batch {
			sg := b.seg[blk*b.maxNodes+int(id)]
			addRows((*[1 << 16]int64)(b.wbuf[w][slot][grp.base:]), grp, b.rows[sg.lo:sg.hi], b.grad)
		}
	}
}

// addAll adds grad[i] to h at each bin of row first+i of group grp.
// It and addRows are the innermost loops of the learner, written out in
// full: a call per row to a function adding one row's entries took a
// quarter of their time.
func addAll(h *[1 << 16]int64, grp *featureGroup, first int, grad []int64) {
	k := grp.runOf(first)
	rn, next := grp.runs[k], grp.runs[k+1].first
	off := rn.offset + (first-rn.first)*rn.stored
	for i, gp := range grad {
		if first+i == next {
			k++
			rn, next = grp.runs[k], grp.runs[k+1].first
		}
		e := grp.entries[off : off+rn.stored]
		off += rn.stored
		// Eight entries a step take an eighth of the jumps back.
		for len(e) >= 8 {
			h[e[0]] += gp
			h[e[1]] += gp
			h[e[2]] += gp
			h[e[3]] += gp
			h[e[4]] += gp
			h[e[5]] += gp
			h[e[6]] += gp
			h[e[7]] += gp
			e = e[8:]
		}
		for _, k := range e {
			h[k] += gp
		}
	}
}

// addRows adds grad[r] to h at each bin of group grp of every row r in
// rows, which must ascend.
func addRows(h *[1 << 16]int64, grp *featureGroup, rows []int32, grad []int64) {
	if len(rows) == 0 {
		return
	}
	k := grp.runOf(int(rows[0]))
	rn, next := grp.runs[k], grp.runs[k+1].first
	for _, r := range rows {
		for int(r) >= next {
			k++
			rn, next = grp.runs[k], grp.runs[k+1].first
		}
		gp := grad[r]
		off := rn.offset + (int(r)-rn.first)*rn.stored
		e := grp.entries[off : off+rn.stored]
		for len(e) >= 8 {
			h[e[0]] += gp
			h[e[1]] += gp
			h[e[2]] += gp
			h[e[3]] += gp
			h[e[4]] += gp
			h[e[5]] += gp
			h[e[6]] += gp
			h[e[7]] += gp
			e = e[8:]
		}
		for _, k := range e {
			h[k] += gp
		}
	}
}

// merge adds up the workers' histograms of the nodes in batch into the
// nodes' own, for chunk c's drawn features, and fills in each feature's
// mode, whose rows were not added: they are the rest of the node's.
func (b *booster) merge(c int, batch []int32) {
	for slot, id := range batch {
		h := b.hists[id]
		for _, a := range b.active[c] {
			lo, hi := a.fb.offset, a.fb.offset+a.fb.bins()
			hf := h[lo:hi]
			copy(hf, b.wbuf[0][slot][lo:hi])
			for w := 1; w < len(b.wbuf); w++ {
				for k, v := range b.wbuf[w][slot][lo:hi] {
					hf[k] += v
				}
			}
			rest := b.sums[id]
			for _, v := range hf {
				rest -= v
			}
			hf[a.fb.mode] += rest
		}
	}
}

// splits completes the histograms of the frontier's nodes that are their
// parent's less their sibling's, and finds each node's best split on
// chunk c's drawn features.
func (b *booster) splits(c int) {
	act := b.active[c]
	best := b.best[c][:len(b.frontier)]
	for i := range best {
		best[i] = split{gain: minSplitGain}
	}
	for i, id := range b.frontier {
		h := b.hists[id]
		if b.build[id] == 0 {
			sib := b.hists[b.sibling[id]]
			for _, a := range act {
				lo, hi := a.fb.offset, a.fb.offset+a.fb.bins()
				for k := lo; k < hi; k++ {
					h[k] -= sib[k]
				}
			}
		}
		for _, a := range act {
			b.bestSplit(&best[i], a, h[a.fb.offset:a.fb.offset+a.fb.bins()], b.sums[id])
		}
	}
}

// bestSplit updates best with the best split of a node on feature a,
// given the node's histogram h of the feature and its packed gradient
// sum. Every threshold is tried with NaN going right and, when the node
// has NaN values, with NaN going left: the default direction is learned.
func (b *booster) bestSplit(best *split, a activeFeature, h []int64, sum int64) {
	lambda, minChild := b.p.Lambda, b.p.MinChildWeight
	gUnit, hUnit := 1/b.scale.g, 1/b.scale.h
	// gain returns the gain of sending the rows summing to left one way
	// and the rest the other, or 0 when a child is too light.
	gain := func(left int64) float64 {
		gl, hl := unpack(left)
		gr, hr := unpack(sum - left)
		gL, hL := float64(gl)*gUnit, float64(hl)*hUnit
		gR, hR := float64(gr)*gUnit, float64(hr)*hUnit
		if hL < minChild || hR < minChild {
			return 0
		}
		return gL*gL/(hL+lambda) + gR*gR/(hR+lambda)
	}
	gs, hs := unpack(sum)
	gP, hP := float64(gs)*gUnit, float64(hs)*hUnit
	// Comparing the children's scores with the best so far plus the
	// parent's saves a subtraction per candidate.
	parent := gP * gP / (hP + lambda)
	bar := best.gain + parent
	consider := func(left int64, k int, missLeft bool) {
		if s := gain(left); s > bar {
			bar = s
			*best = split{gain: s - parent, feature: a.f, bin: k, missLeft: missLeft, left: left}
		}
	}
	miss := h[a.fb.missing()]
	last := len(a.fb.cuts) // the last bin of known values
	var left int64
	for k := range last {
		if h[k] == 0 {
			// No rows: the same partition as at k-1, which already
			// had its chance, and a tie never replaces the best.
			continue
		}
		left += h[k]
		consider(left, k, false)
		if miss != 0 {
			consider(left+miss, k, true)
		}
	}
	// Every known value left and NaN right.
	if miss != 0 && a.fb.missingSplit {
		consider(sum-miss, last, false)
	}
}

// partition splits, in block blk, the segment of every node at the
// frontier that was split into its children's: the left child's rows
// first, then the right's, each in the order they were in. Worker w's
// scratch holds the right rows meanwhile.
func (b *booster) partition(w, blk int) {
	segs := b.seg[blk*b.maxNodes : (blk+1)*b.maxNodes]
	for _, id := range b.frontier {
		if rt := &b.routes[id]; rt.left != 0 {
			splitSegment(segs, id, rt, b.rows, b.scratch[w])
		}
	}
}

// splitSegment partitions node id's segment of rows, segs[id], into its
// children's by the route rt: the left child's rows first, then the
// right's, each in the order they were in. tmp has room for the rows.
func splitSegment(segs []segment, id int32, rt *route, rows, tmp []int32) {
	sg := segs[id]
	in := rows[sg.lo:sg.hi]
	// Left rows move down in place, never past the one being read; right
	// rows wait in tmp. Both stores happen for every row, so which way it
	// goes costs no branch.
	l, r := 0, 0
	for _, row := range in {
		right := 0
		if rt.goesRight(int(row)) {
			right = 1
		}
		in[l] = row
		tmp[r] = row
		l += 1 - right
		r += right
	}
	copy(in[l:], tmp[:r])
	mid := sg.lo + int32(l)
	segs[rt.left] = segment{sg.lo, mid}
	segs[rt.left+1] = segment{mid, sg.hi}
}

// finish routes the rows into the leaves, adds the leaf values to the
// predictions, computes the gradients for tree t+1, and returns the tree
// with its covers.
func (b *booster) finish(t int) tree.Tree {
	nodes := b.nodes
	for w := range b.counts {
		clear(b.counts[w][:len(nodes)])
	}
	for id, n := range nodes {
		b.leafValue[id] = n.Value
		b.leafExp[id] = math.Exp(-n.Value)
	}
	b.eachBlock(nil, func(w, blk int) {
		count, leafOf := b.counts[w], b.scratch[w]
		// Local copies of the slices spare the loop reloading them
		// through b after every store.
		pred, expNeg, label, grad := b.pred, b.expNeg, b.label, b.grad
		value, leafExp, scale, order, rows := b.leafValue, b.leafExp, b.scale, b.order, b.rows
		start, end := blk*blockRows, min(len(b.rows), (blk+1)*blockRows)
		// First the leaf of every row of the block, from the
		// segments; then the rows in order, which is several times
		// faster than updating them in the order of the segments.
		segs := b.seg[blk*b.maxNodes : (blk+1)*b.maxNodes]
		for _, id := range b.held {
			sg := segs[id]
			if rt := &b.routes[id]; rt.left != 0 {
				// Counting the right rows in a register, not each
				// leaf's in memory, spares the additions to a count
				// waiting on one another.
				right := int32(0)
				for _, r := range b.rows[sg.lo:sg.hi] {
					leaf := rt.next(int(r))
					right += leaf - rt.left
					leafOf[int(r)-start] = leaf
				}
				count[rt.left] += sg.hi - sg.lo - right
				count[rt.left+1] += right
				continue
			}
			count[id] += sg.hi - sg.lo
			for _, r := range b.rows[sg.lo:sg.hi] {
				leafOf[int(r)-start] = id
			}
		}
		// The rows outside the sample go down the tree from its root.
		for _, r := range b.rows[start+b.rowCount[blk] : end] {
			id := int32(0)
			for b.routes[id].left != 0 {
				id = b.routes[id].next(int(r))
			}
			leafOf[int(r)-start] = id
		}
		var sum int64
		for r := start; r < end; r++ {
			leaf := leafOf[r-start]
			pred[r] += value[leaf]
			e := expNeg[r] * leafExp[leaf]
			if !(e > 1e-300 && e < 1e300) {
				// The product has under- or overflowed, or is about
				// to: start again from the log-odds.
				e = math.Exp(-pred[r])
			}
			expNeg[r] = e
			g, h := gradient(e, label[r])
			gp := scale.pack(g, h, t+1, int(order[r]))
			grad[r] = gp
			sum += gp
			// Rows in order make every segment of the next tree
			// ascending, as partitions keep the order.
			rows[r] = int32(r)
		}
		b.blockSum[blk] = sum
	})

	tr := tree.Tree{Nodes: slices.Clone(nodes)}
	// Children come after their parents: summing backwards gives each
	// split the cover of its subtree.
	for i := len(tr.Nodes) - 1; i >= 0; i-- {
		n := &tr.Nodes[i]
		if n.IsLeaf() {
			for _, c := range b.counts {
				n.Cover += float64(c[i])
			}
		} else {
			n.Cover = tr.Nodes[n.Left].Cover + tr.Nodes[n.Right].Cover
		}
	}
	for _, id := range b.frontier {
		b.releaseHist(id)
	}
	return tr
}
