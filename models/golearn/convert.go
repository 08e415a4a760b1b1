package golearn

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/tree"
	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/trees"
)

// grown is a golearn tree translated to the project's layout, before
// its leaves are fitted: the splits are golearn's, the covers and leaf
// values still empty.
type grown struct {
	nodes []tree.Node
	// class is the class golearn predicts at each leaf (0, or 1 for
	// churn), and -1 on a split. Only the tests read it, to check that
	// a row reaches the leaf whose class golearn predicts for it.
	class []int8
}

// split appends a split on feature column col at threshold t and
// returns its index; the caller sets its children. A NaN goes the way
// the column's median goes, because the median is what golearn saw in
// place of every NaN when it chose the split.
func (g *grown) split(col int, t, median float64) int {
	g.nodes = append(g.nodes, tree.Node{Feature: col, Threshold: t, MissingLeft: median < t})
	g.class = append(g.class, -1)
	return len(g.nodes) - 1
}

// leaf appends a leaf where golearn predicts class and returns its
// index.
func (g *grown) leaf(class int8) int {
	g.nodes = append(g.nodes, tree.Node{Feature: -1})
	g.class = append(g.class, class)
	return len(g.nodes) - 1
}

// cartNode mirrors the node of golearn's CART classifier. golearn keeps
// that type unexported but its fields exported, so encoding/json can
// copy a fitted tree into this mirror: a way to walk it that needs
// neither reflect nor unsafe. A nil child means that side is a leaf
// predicting the label beside it.
type cartNode struct {
	Left, Right           *cartNode
	Threshold             float64
	Feature               int64
	LeftLabel, RightLabel int64
}

// fromCART translates a fitted CART classifier whose grid had the
// feature columns cols. CART sends x[Feature] < Threshold left, as
// tree.Node does, so thresholds carry over unchanged.
func fromCART(clf *trees.CARTDecisionTreeClassifier, cols []int, med []float64) (*grown, error) {
	if clf.RootNode == nil {
		return nil, fmt.Errorf("golearn: CART returned no tree")
	}
	b, err := json.Marshal(clf.RootNode)
	if err != nil {
		return nil, fmt.Errorf("golearn: copy CART tree: %w", err)
	}
	var root cartNode
	if err := json.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("golearn: copy CART tree: %w", err)
	}
	g := new(grown)
	if _, err := g.addCART(&root, cols, med); err != nil {
		return nil, err
	}
	return g, nil
}

// addCART appends the subtree under n, parents first, and returns the
// index of its root.
func (g *grown) addCART(n *cartNode, cols []int, med []float64) (int, error) {
	if n.Feature < 0 || n.Feature >= int64(len(cols)) {
		return 0, fmt.Errorf("golearn: CART split on feature %d of %d", n.Feature, len(cols))
	}
	col := cols[n.Feature]
	i := g.split(col, n.Threshold, med[col])
	l, err := g.addCARTChild(n.Left, n.LeftLabel, cols, med)
	if err != nil {
		return 0, err
	}
	r, err := g.addCARTChild(n.Right, n.RightLabel, cols, med)
	if err != nil {
		return 0, err
	}
	g.nodes[i].Left, g.nodes[i].Right = l, r
	return i, nil
}

// addCARTChild appends one side of a CART split: the subtree n, or a
// leaf predicting label when n is nil.
func (g *grown) addCARTChild(n *cartNode, label int64, cols []int, med []float64) (int, error) {
	if n == nil {
		return g.leaf(int8(label)), nil
	}
	return g.addCART(n, cols, med)
}

// fromID3 translates a fitted golearn ID3 tree. ID3 sends a value above
// its split value to the child keyed "1" and the rest to "0": the same
// partition as x < Nextafter(split value, +Inf) going left.
func fromID3(root *trees.DecisionTreeNode, med []float64) (*grown, error) {
	g := new(grown)
	if _, err := g.addID3(root, med); err != nil {
		return nil, err
	}
	return g, nil
}

// addID3 appends the subtree under n, parents first, and returns the
// index of its root.
func (g *grown) addID3(n *trees.DecisionTreeNode, med []float64) (int, error) {
	left, right := n.Children["0"], n.Children["1"]
	if n.SplitRule == nil || n.SplitRule.SplitAttr == nil || (left == nil && right == nil) {
		return g.leaf(id3Class(n.Class)), nil
	}
	// A numeric split with one side empty leaves one child; the node
	// then decides nothing.
	if left == nil {
		return g.addID3(right, med)
	}
	if right == nil {
		return g.addID3(left, med)
	}
	if _, ok := n.SplitRule.SplitAttr.(*base.FloatAttribute); !ok {
		return 0, fmt.Errorf("golearn: ID3 split on non-numeric attribute %q", n.SplitRule.SplitAttr.GetName())
	}
	col, err := attrColumn(n.SplitRule.SplitAttr.GetName())
	if err != nil {
		return 0, err
	}
	if col >= len(med) {
		return 0, fmt.Errorf("golearn: ID3 split on feature %d of %d", col, len(med))
	}
	t := math.Nextafter(n.SplitRule.SplitVal, math.Inf(1))
	if math.IsNaN(t) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("golearn: ID3 split on %q at %v", n.SplitRule.SplitAttr.GetName(), n.SplitRule.SplitVal)
	}
	i := g.split(col, t, med[col])
	l, err := g.addID3(left, med)
	if err != nil {
		return 0, err
	}
	r, err := g.addID3(right, med)
	if err != nil {
		return 0, err
	}
	g.nodes[i].Left, g.nodes[i].Right = l, r
	return i, nil
}

// id3Class parses the class golearn's ID3 predicts at a leaf, the label
// formatted by its float class attribute ("1.00" for churn).
func id3Class(s string) int8 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != 1 {
		return 0
	}
	return 1
}

// fitLeaves routes every row of ds down g, NaN by the splits' missing
// directions, and returns the tree with each node's cover and each
// leaf's smoothed log-odds of churn among the rows that reach it. The
// rows may be many more than golearn fitted on, so the probabilities and
// the covers TreeSHAP weighs branches by come from the whole training
// set.
//
// A split that no row reaches one side of is replaced by its other
// side: it changes no training row's score, and TreeSHAP needs a
// positive cover on both branches to weigh them. golearn's CART leaves
// such a split at the root when no split improves on a single leaf.
func fitLeaves(g *grown, ds *features.Dataset, rate float64) (tree.Tree, []int8) {
	cover := make([]float64, len(g.nodes))
	churned := make([]float64, len(g.nodes))
	for r := range ds.Len() {
		x := ds.Row(r)
		i := 0
		for {
			cover[i]++
			n := &g.nodes[i]
			if n.IsLeaf() {
				churned[i] += ds.Label[r]
				break
			}
			i = next(n, x[n.Feature])
		}
	}
	var t tree.Tree
	var class []int8
	var add func(i int) int
	add = func(i int) int {
		n := g.nodes[i]
		if !n.IsLeaf() {
			switch {
			case cover[n.Left] == 0:
				return add(n.Right)
			case cover[n.Right] == 0:
				return add(n.Left)
			}
		}
		k := len(t.Nodes)
		n.Cover = cover[i]
		if n.IsLeaf() {
			n.Value = leafLogOdds(churned[i], cover[i], rate)
		}
		t.Nodes = append(t.Nodes, n)
		class = append(class, g.class[i])
		if !n.IsLeaf() {
			l := add(n.Left)
			r := add(n.Right)
			t.Nodes[k].Left, t.Nodes[k].Right = l, r
		}
		return k
	}
	add(0)
	return t, class
}

// next returns the child of split n that the value v goes to, as
// tree.Tree.Predict would choose it.
func next(n *tree.Node, v float64) int {
	if math.IsNaN(v) {
		if n.MissingLeft {
			return n.Left
		}
		return n.Right
	}
	if v < n.Threshold {
		return n.Left
	}
	return n.Right
}

// priorRows is the weight, in rows, of the prior that leafLogOdds
// shrinks a leaf's churn rate toward. A leaf of a few rows, all churned
// or none, would otherwise score an infinite log-odds.
const priorRows = 2

// leafLogOdds returns the log-odds of churn at a leaf that churned of
// cover rows reached, shrunk toward the training churn rate by priorRows
// rows at that rate.
func leafLogOdds(churned, cover, rate float64) float64 {
	return math.Log((churned + priorRows*rate) / (cover - churned + priorRows*(1-rate)))
}
