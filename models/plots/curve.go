package plots

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot/plotter"
)

// Curve is one model's validation scores, for charts comparing models.
type Curve struct {
	// Name identifies the model in the legend.
	Name string
	// Label holds 1 for a row that churned and 0 for one that did not.
	Label []float64
	// Prob holds the model's churn probability for each row of Label.
	Prob []float64
}

// maxPoints bounds the points drawn per curve: beyond a few hundred the
// eye sees no difference, while the PNG encoder's time grows with every
// segment.
const maxPoints = 500

// checkCurves reports the first curve that cannot be drawn. Charts check
// up front, rather than as they draw, so that bad input is an error that
// names the model and row instead of a panic deep inside the plot library.
func checkCurves(curves []Curve) error {
	if len(curves) == 0 {
		return errors.New("plots: no curves")
	}
	for i, c := range curves {
		if err := c.check(); err != nil {
			return fmt.Errorf("plots: curve %d (%q): %w", i, c.Name, err)
		}
	}
	return nil
}

func (c Curve) check() error {
	if c.Name == "" {
		return errors.New("no name")
	}
	if len(c.Label) != len(c.Prob) {
		return fmt.Errorf("%d labels but %d probabilities", len(c.Label), len(c.Prob))
	}
	if len(c.Label) == 0 {
		return errors.New("no rows")
	}
	for i, v := range c.Label {
		if v != 0 && v != 1 {
			return fmt.Errorf("label %d is %v, want 0 or 1", i, v)
		}
	}
	for i, v := range c.Prob {
		// The negated test also catches NaN.
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("probability %d is %v, want within [0, 1]", i, v)
		}
	}
	return nil
}

// churners counts the rows of c labelled 1.
func (c Curve) churners() int {
	n := 0
	for _, v := range c.Label {
		if v == 1 {
			n++
		}
	}
	return n
}

// bothClasses counts the rows of c that churned and that stayed, and
// fails unless there are some of each, as a ROC curve needs.
func (c Curve) bothClasses() (churners, stayers int, err error) {
	churners = c.churners()
	stayers = len(c.Label) - churners
	if churners == 0 || stayers == 0 {
		return 0, 0, errors.New("a ROC curve needs both churners and non-churners")
	}
	return churners, stayers, nil
}

// tally is an operating point of a ranking: contacting every account
// scored at or above some threshold reaches flagged accounts, of which
// churners churned.
type tally struct {
	flagged, churners int
}

// thresholds returns the operating points of c, one for each distinct
// probability from the highest down, after the empty selection at the
// origin. Equal probabilities enter together because the model gives no
// reason to contact one such account before another; the curves then draw
// a straight segment across a tie, the expected curve under a random order.
func (c Curve) thresholds() []tally {
	type row struct {
		prob  float64
		churn bool
	}
	rows := make([]row, len(c.Prob))
	for i, p := range c.Prob {
		rows[i] = row{p, c.Label[i] == 1}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.prob, a.prob) })

	points := []tally{{}}
	var t tally
	for i, r := range rows {
		t.flagged++
		if r.churn {
			t.churners++
		}
		if i+1 == len(rows) || rows[i+1].prob != r.prob {
			points = append(points, t)
		}
	}
	return points
}

// rocCurve returns the ROC curve of c, true positive rate against false
// positive rate, from (0, 0) to (1, 1). It needs both classes in c.
func (c Curve) rocCurve() (plotter.XYs, error) {
	churners, stayers, err := c.bothClasses()
	if err != nil {
		return nil, err
	}
	ts := c.thresholds()
	xys := make(plotter.XYs, len(ts))
	for i, t := range ts {
		xys[i].X = float64(t.flagged-t.churners) / float64(stayers)
		xys[i].Y = float64(t.churners) / float64(churners)
	}
	return xys, nil
}

// gainsCurve returns the cumulative gains curve of c, the share of
// churners reached against the share of accounts contacted, highest risk
// first, from (0, 0) to (1, 1). It needs at least one churner.
func (c Curve) gainsCurve() (plotter.XYs, error) {
	churners := c.churners()
	if churners == 0 {
		return nil, errors.New("a gains curve needs at least one churner")
	}
	ts := c.thresholds()
	xys := make(plotter.XYs, len(ts))
	for i, t := range ts {
		xys[i].X = float64(t.flagged) / float64(len(c.Label))
		xys[i].Y = float64(t.churners) / float64(churners)
	}
	return xys, nil
}

// downsample returns at most limit points of the path xys, limit at least
// 2, always keeping its first and last point. It cuts the path into
// limit-1 pieces of equal length (measured as |Δx|+|Δy|) and keeps the
// first point past each cut. Unlike keeping every k-th point, this spends
// the points where the curve moves, such as the steep start of a good ROC
// curve, and no dropped point lies farther along the path than one piece
// from a kept one. A subsequence of the path, it keeps any monotonicity
// the path has.
func downsample(xys plotter.XYs, limit int) plotter.XYs {
	if len(xys) <= limit {
		return xys
	}
	var length float64
	for i := 1; i < len(xys); i++ {
		length += step(xys[i-1], xys[i])
	}
	last := len(xys) - 1
	if length == 0 {
		return plotter.XYs{xys[0], xys[last]} // every point is the same
	}
	piece := length / float64(limit-1)
	out := make(plotter.XYs, 0, limit)
	out = append(out, xys[0])
	var travelled, cut float64
	// The length check stops a last piece that rounding, or a path that
	// ends standing still, would complete before the last point.
	for i := 1; i < last && len(out) < limit-1; i++ {
		travelled += step(xys[i-1], xys[i])
		if travelled >= cut+piece {
			out = append(out, xys[i])
			// One long step may cross several cuts; the next cut is the
			// first beyond this point.
			cut = piece * math.Floor(travelled/piece)
		}
	}
	return append(out, xys[last])
}

func step(a, b plotter.XY) float64 {
	return math.Abs(b.X-a.X) + math.Abs(b.Y-a.Y)
}
