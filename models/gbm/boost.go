package gbm

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/churnlabs/churn/models/tree"
)

// blockRows is the number of rows in a block of the row passes. Blocks
// have a fixed size, not one per goroutine, because the row sample
// follows the blocks: with the same blocks for any number of goroutines,
// the model comes out bit for bit the same.
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
	bin := uint(rt.bins[r])
	// Written so that the compiler makes a conditional move: which way
	// a row goes is a coin flip to the branch predictor.
	child := rt.left
	if bin-rt.lo < rt.span {
		child++
	}
	return child
}

// booster grows the trees of one Fit. Everything it needs per tree is
// allocated up front and reused, so the boosting loop itself allocates
// little more than the trees it returns.
type booster struct {
	p       Params
	data    *binned
	label   []float64
	scale   gradScale
	workers int

	pred []float64 // each row's log-odds so far
	// expNeg is e^-pred, kept up to date by multiplying in e^-value of
	// each tree's leaf, so that the gradients cost a multiplication per
	// row instead of an exponential.
	expNeg  []float64
	leafExp []float64 // e^-value of each leaf of the tree being grown
	grad    []int64   // each row's packed gradient and hessian at pred
	// pos is the node of the tree being grown that each row is in, or
	// ^node for a row outside the tree's sample, which is routed (for
	// its prediction) but not counted.
	pos []int32
	// rows lists, block by block, the sampled rows whose node histogram
	// is built from rows at the current level: block b's are
	// rows[b*blockRows:][:rowCount[b]].
	rows     []int32
	rowCount []int
	// allRows says that the root level uses every row, in order, and
	// needs no list.
	allRows  bool
	blockSum []int64 // the sum of grad over each block's sampled rows

	// Per node of the tree being grown, by index in nodes.
	nodes   []tree.Node
	sums    []int64 // packed gradient sums
	hists   [][]int64
	build   []uint8 // 1 when the node's histogram is built from rows
	sibling []int32 // for a node whose histogram is its parent's minus its sibling's
	routes  []route
	counts  [][]int32 // per worker, the sampled rows in each leaf

	spare  [][]int64 // histograms not in use
	best   [][]split // best[g][i]: the best split of frontier[i] on group g
	active [][]activeFeature
	// drawn[g] lists the columns of group g drawn for the tree, nil when
	// all are; drawnBuf[g] is its storage.
	drawn, drawnBuf [][]int
	perm            []int
	frontier, next  []int32
}

// activeFeature is a feature drawn for the current tree.
type activeFeature struct {
	f, col int // feature, and column in its group's bins
	fb     *featureBins
}

func newBooster(p Params, data *binned, label []float64, base float64) *booster {
	n := data.rows
	maxNodes := 1<<(p.Depth+1) - 1
	blocks := (n + blockRows - 1) / blockRows
	groups := len(data.groups)
	b := &booster{
		p:        p,
		data:     data,
		label:    label,
		scale:    newGradScale(n, p.Seed),
		workers:  p.Threads,
		pred:     make([]float64, n),
		expNeg:   make([]float64, n),
		leafExp:  make([]float64, maxNodes),
		grad:     make([]int64, n),
		pos:      make([]int32, n),
		rows:     make([]int32, n),
		rowCount: make([]int, blocks),
		blockSum: make([]int64, blocks),
		nodes:    make([]tree.Node, 0, maxNodes),
		sums:     make([]int64, maxNodes),
		hists:    make([][]int64, maxNodes),
		build:    make([]uint8, maxNodes),
		sibling:  make([]int32, maxNodes),
		routes:   make([]route, maxNodes),
		counts:   make([][]int32, p.Threads),
		best:     make([][]split, groups),
		active:   make([][]activeFeature, groups),
		drawn:    make([][]int, groups),
		drawnBuf: make([][]int, groups),
		perm:     make([]int, len(data.features)),
		frontier: make([]int32, 0, maxNodes),
		next:     make([]int32, 0, maxNodes),
	}
	for w := range b.counts {
		b.counts[w] = make([]int32, maxNodes)
	}
	for g := range groups {
		b.best[g] = make([]split, 1<<p.Depth)
		b.active[g] = make([]activeFeature, 0, data.groups[g].width)
		b.drawnBuf[g] = make([]int, 0, data.groups[g].width)
	}
	parallelRange(b.workers, blocks, func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			var sum int64
			for r := blk * blockRows; r < min(n, (blk+1)*blockRows); r++ {
				b.pred[r] = base
				b.expNeg[r] = math.Exp(-base)
				g, h := gradient(b.expNeg[r], label[r])
				b.grad[r] = b.scale.pack(g, h, 0, r)
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
	}
	b.nodes = b.nodes[:0]
	var rootSum int64
	for _, s := range b.blockSum {
		rootSum += s
	}
	root := b.addNode(rootSum)
	b.hists[root] = b.takeHist()
	b.build[root] = 1
	b.frontier = append(b.frontier[:0], root)

	for depth := 0; depth < b.p.Depth && len(b.frontier) > 0; depth++ {
		parallel(len(b.data.groups), b.histogramsAndSplits)
		b.allRows = false
		last := depth+1 == b.p.Depth
		b.next = b.next[:0]
		for i, id := range b.frontier {
			// Groups hold ascending features, and a later group wins
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
				continue
			}
			l, r := b.splitNode(id, s)
			if last {
				b.releaseHist(id)
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
			parallelRange(b.workers, len(b.rowCount), b.routeRows)
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
	for g := range b.active {
		b.active[g] = b.active[g][:0]
	}
	for _, f := range b.perm[:m] {
		g := b.data.group[f]
		b.active[g] = append(b.active[g], activeFeature{
			f: f, col: f - b.data.groups[g].first, fb: &b.data.features[f],
		})
	}
	for g, act := range b.active {
		b.drawn[g] = nil
		if len(act) < b.data.groups[g].width {
			b.drawn[g] = b.drawnBuf[g][:0]
			for _, a := range act {
				b.drawn[g] = append(b.drawn[g], a.col)
			}
		}
	}
}

// sampleRows draws the rows of tree t, each with probability Subsample,
// from a generator seeded by the tree and the block, so that the draw is
// the same whichever goroutine makes it.
func (b *booster) sampleRows(t int) {
	b.allRows = false
	limit := uint64(math.Ldexp(b.p.Subsample, 64))
	parallelRange(b.workers, len(b.rowCount), func(lo, hi int) {
		var rng rand.PCG
		for blk := lo; blk < hi; blk++ {
			rng.Seed(b.p.Seed, 1<<63|uint64(t)<<32|uint64(blk))
			start, end := blk*blockRows, min(len(b.pos), (blk+1)*blockRows)
			out := b.rows[start:end]
			k := 0
			var sum int64
			for r := start; r < end; r++ {
				if rng.Uint64() < limit {
					b.pos[r] = 0
					out[k] = int32(r)
					k++
					sum += b.grad[r]
				} else {
					b.pos[r] = ^0
				}
			}
			b.rowCount[blk] = k
			b.blockSum[blk] = sum
		}
	})
}

// histogramsAndSplits builds the histograms of group g's drawn features
// for every node at the frontier and finds each node's best split on
// them.
func (b *booster) histogramsAndSplits(g int) {
	act := b.active[g]
	best := b.best[g][:len(b.frontier)]
	for i := range best {
		best[i] = split{gain: minSplitGain}
	}
	if len(act) == 0 {
		return
	}
	for _, id := range b.frontier {
		if b.build[id] == 1 {
			h := b.hists[id]
			for _, a := range act {
				clear(h[a.fb.offset : a.fb.offset+a.fb.bins()])
			}
		}
	}
	b.accumulate(g)
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

// accumulate adds the gradients of the rows listed for the level (or of
// every row, at the root of a tree without row sampling) into the
// histograms of their nodes, for group g's drawn features. This loop is
// where Fit spends most of its time.
func (b *booster) accumulate(g int) {
	grp := &b.data.groups[g]
	width := grp.width
	drawn := b.drawn[g] // nil when every feature of the group is drawn
	add := func(h []int64, gp int64, rb []uint16) {
		if drawn == nil {
			for _, k := range rb {
				h[k] += gp
			}
			return
		}
		for _, c := range drawn {
			h[rb[c]] += gp
		}
	}
	// Local copies of the slices spare the loops reloading them through
	// b after every store.
	bins, grad, pos, hists, base := grp.bins, b.grad, b.pos, b.hists, grp.base
	if b.allRows {
		h := hists[b.frontier[0]][base:]
		for r, gp := range grad {
			add(h, gp, bins[r*width:(r+1)*width])
		}
		return
	}
	for blk, cnt := range b.rowCount {
		for _, r := range b.rows[blk*blockRows:][:cnt] {
			i := int(r) * width
			add(hists[pos[r]][base:], grad[r], bins[i:i+width])
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

// routeRows moves the rows of blocks [lo, hi) from the split nodes at
// the frontier to their children and lists the sampled rows of children
// whose histograms are built from rows.
func (b *booster) routeRows(lo, hi int) {
	pos, routes, build := b.pos, b.routes, b.build
	for blk := lo; blk < hi; blk++ {
		start, end := blk*blockRows, min(len(pos), (blk+1)*blockRows)
		out := b.rows[start:end]
		k := 0
		for r := start; r < end; r++ {
			v := pos[r]
			sign := v >> 31 // -1 for a row outside the sample, else 0
			rt := &routes[v^sign]
			if rt.left == 0 {
				continue
			}
			child := rt.next(r)
			pos[r] = child ^ sign
			// Written always, kept only when counted: no branch to
			// mispredict on which child a row went to.
			out[k] = int32(r)
			k += int(build[child] & uint8(sign+1))
		}
		b.rowCount[blk] = k
	}
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
		b.leafExp[id] = math.Exp(-n.Value)
	}
	blocks := len(b.rowCount)
	parallel(b.workers, func(w int) {
		// Local copies of the slices spare the loop reloading them
		// through b after every store.
		pos, routes, pred, expNeg, grad, label := b.pos, b.routes, b.pred, b.expNeg, b.grad, b.label
		leafExp, scale, count := b.leafExp, b.scale, b.counts[w]
		for blk := w * blocks / b.workers; blk < (w+1)*blocks/b.workers; blk++ {
			var sum int64
			for r := blk * blockRows; r < min(len(pos), (blk+1)*blockRows); r++ {
				v := pos[r]
				sign := v >> 31
				id := v ^ sign
				if rt := &routes[id]; rt.left != 0 {
					id = rt.next(r)
				}
				count[id] += sign + 1
				pred[r] += nodes[id].Value
				e := expNeg[r] * leafExp[id]
				if !(e > 1e-300 && e < 1e300) {
					// The product has under- or overflowed, or is about
					// to: start again from the log-odds.
					e = math.Exp(-pred[r])
				}
				expNeg[r] = e
				g, h := gradient(e, label[r])
				gp := scale.pack(g, h, t+1, r)
				grad[r] = gp
				sum += gp
				pos[r] = 0
			}
			b.blockSum[blk] = sum
		}
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
