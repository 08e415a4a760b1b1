package tree

import "fmt"

// stackPath is how many path elements Explain keeps on the stack. A node
// at depth d needs d+1 of them on top of its ancestors', so 253 cover
// trees up to depth 21 with no allocation; deeper trees still work, with
// a heap buffer for the levels that do not fit.
const stackPath = 253

// pathSize returns the number of path elements a tree of the given
// depth needs: 1 + 2 + ... + (depth+1).
func pathSize(depth int) int { return (depth + 1) * (depth + 2) / 2 }

// Explain writes into phi the contribution of each feature of x to the
// ensemble's log-odds and returns the base value, so that
//
//	base + phi[0] + ... + phi[len(x)-1] == LogOdds(x)
//
// up to rounding, for every row, including rows with NaN values. The
// contributions are the path-dependent TreeSHAP values described in the
// package comment, in log-odds; a feature that no split uses gets 0. The
// base value equals ExpectedValue.
//
// Explain overwrites phi and panics if len(phi) != len(x). It does not
// allocate for trees up to depth 21 and is safe for concurrent use.
func (e *Ensemble) Explain(x, phi []float64) (base float64) {
	if len(phi) != len(x) {
		panic(fmt.Sprintf("tree: Explain with len(phi) = %d, len(x) = %d", len(phi), len(x)))
	}
	clear(phi)
	var buf [stackPath]pathElement
	s := shap{x: x, phi: phi, weight: e.Weight}
	var sum float64
	for i := range e.Trees {
		s.tree = &e.Trees[i]
		s.depth = -1
		sum += s.recurse(0, nil, buf[:], 1, 1, -1)
	}
	return e.Base + e.Weight*sum
}

// pathElement is one feature on the unique-feature path from the root to
// the current node, in the notation of the TreeSHAP paper.
type pathElement struct {
	feature int
	// zero is the fraction of the paths through the node that pass when
	// the feature is unknown: the product of the cover ratios of the
	// branches taken on this feature.
	zero float64
	// one is 1 when x itself follows every branch taken on this feature,
	// else 0.
	one float64
	// weight is the permutation weight of subsets of this size (pweight
	// in the paper).
	weight float64
}

// shap holds what stays fixed while one tree is explained.
type shap struct {
	tree   *Tree
	x, phi []float64
	weight float64 // the ensemble's Weight, applied to each leaf
	// spill holds the path below the first node that does not fit in
	// the stack buffer, for a tree of the given depth (-1 until a node
	// has not fitted). Every node that does not fit has all its
	// ancestors in the stack buffer, so each can start at spill[0].
	spill []pathElement
	depth int
}

// recurse explains the subtree under node i, reached through a split on
// feature with the given zero and one fractions, and adds the leaves'
// shares into s.phi. parent is the unique path above the node and free
// the unused scratch after it. recurse returns the cover-weighted mean
// leaf value of the subtree, computed as Tree.expected does so that the
// base value matches ExpectedValue bit for bit.
func (s *shap) recurse(i int, parent, free []pathElement, zero, one float64, feature int) float64 {
	n := len(parent)
	if len(free) < n+1 {
		if s.depth < 0 {
			s.depth = s.tree.Depth()
			if need := pathSize(s.depth); len(s.spill) < need {
				s.spill = make([]pathElement, need)
			}
		}
		free = s.spill
	}
	path := free[:n+1]
	copy(path, parent)
	free = free[n+1:]
	extendPath(path, zero, one, feature)

	nodes := s.tree.Nodes
	node := &nodes[i]
	if node.IsLeaf() {
		v := s.weight * node.Value
		for k := 1; k < len(path); k++ {
			el := &path[k]
			s.phi[el.feature] += unwoundPathSum(path, k) * (el.one - el.zero) * v
		}
		return node.Value
	}

	hot := node.next(s.x[node.Feature])
	cold := node.Left
	if hot == cold {
		cold = node.Right
	}
	hotZero := nodes[hot].Cover / node.Cover
	coldZero := nodes[cold].Cover / node.Cover

	// A feature split on again below its first split must appear once
	// on the path: take its earlier element out and fold its fractions
	// into the new one.
	inZero, inOne := 1.0, 1.0
	for k := 1; k < len(path); k++ {
		if path[k].feature == node.Feature {
			inZero, inOne = path[k].zero, path[k].one
			unwindPath(path, k)
			path = path[:len(path)-1]
			break
		}
	}

	// A branch whose zero and one fractions are both 0 weighs nothing
	// in any E[f | x_S], so skipping it changes no value; descending
	// into it would divide by its zero fraction when unwinding.
	var hotMean, coldMean float64
	if hz, ho := hotZero*inZero, inOne; hz != 0 || ho != 0 {
		hotMean = s.recurse(hot, path, free, hz, ho, node.Feature)
	}
	if cz := coldZero * inZero; cz != 0 {
		coldMean = s.recurse(cold, path, free, cz, 0, node.Feature)
	}
	// Addition commutes exactly in floating point, so this is the sum
	// Tree.expected forms whichever branch is hot.
	return (nodes[hot].Cover*hotMean + nodes[cold].Cover*coldMean) / node.Cover
}

// recip[k] is 1/k: the permutation weights divide by path positions in
// the innermost loops, and a multiplication is several times cheaper
// than a division there. Paths longer than the table fall back to
// dividing.
var recip = func() (t [64]float64) {
	for k := 1; k < len(t); k++ {
		t[k] = 1 / float64(k)
	}
	return t
}()

func reciprocal(k int) float64 {
	if k < len(recip) {
		return recip[k]
	}
	return 1 / float64(k)
}

// extendPath appends a feature with the given fractions as the last
// element of path (whose other elements are already set) and updates
// the permutation weights: Algorithm 2's EXTEND.
func extendPath(path []pathElement, zero, one float64, feature int) {
	d := len(path) - 1
	path[d] = pathElement{feature: feature, zero: zero, one: one}
	if d == 0 {
		path[d].weight = 1
		return
	}
	r := reciprocal(d + 1)
	zero *= r
	one *= r
	for i := d - 1; i >= 0; i-- {
		w := path[i].weight
		path[i+1].weight += one * w * float64(i+1)
		path[i].weight = zero * w * float64(d-i)
	}
}

// unwindPath removes element k from path, undoing its EXTEND:
// Algorithm 2's UNWIND. The caller shortens path by one afterwards.
//
// The one fraction of a path-dependent element is either 1 or 0, so the
// paper's division by it is dropped and the two cases get a loop each.
func unwindPath(path []pathElement, k int) {
	d := len(path) - 1
	n := float64(d + 1)
	if path[k].one != 0 {
		zero := path[k].zero * reciprocal(d+1)
		next := path[d].weight
		for i := d - 1; i >= 0; i-- {
			w := path[i].weight
			path[i].weight = next * n * reciprocal(i+1)
			next = w - path[i].weight*zero*float64(d-i)
		}
	} else {
		z := n / path[k].zero
		for i := d - 1; i >= 0; i-- {
			path[i].weight *= z * reciprocal(d-i)
		}
	}
	// The weights are indexed by subset size, not by feature, so only
	// the features and their fractions move up.
	for i := k; i < d; i++ {
		path[i].feature = path[i+1].feature
		path[i].zero = path[i+1].zero
		path[i].one = path[i+1].one
	}
}

// unwoundPathSum returns the total permutation weight of path with
// element k unwound, without changing path.
func unwoundPathSum(path []pathElement, k int) float64 {
	d := len(path) - 1
	n := float64(d + 1)
	var total float64
	switch zero := path[k].zero; {
	case path[k].one != 0:
		zero *= reciprocal(d + 1)
		next := path[d].weight
		for i := d - 1; i >= 0; i-- {
			w := next * n * reciprocal(i+1)
			total += w
			next = path[i].weight - w*zero*float64(d-i)
		}
	case zero != 0:
		z := n / zero
		for i := d - 1; i >= 0; i-- {
			total += path[i].weight * z * reciprocal(d-i)
		}
	}
	return total
}
