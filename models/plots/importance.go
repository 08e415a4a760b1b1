package plots

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Importance writes a PNG horizontal bar chart of the n features with the
// largest mean absolute contribution to the churn log-odds, the largest at
// the top, each bar labelled with its value. names[i] is the feature whose
// mean is meanAbs[i]; features with equal means keep their order in names.
// The chart is 4 inches tall, growing by a quarter inch a bar beyond 11
// bars so that the feature names never overlap.
func Importance(w io.Writer, title string, names []string, meanAbs []float64, n int) error {
	if err := checkImportance(names, meanAbs, n); err != nil {
		return err
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(meanAbs[b], meanAbs[a]) })
	order = order[:min(n, len(order))]
	// A horizontal bar chart stacks its bars from the bottom up, so the
	// largest goes last to end up on top.
	slices.Reverse(order)

	values := make(plotter.Values, len(order))
	labels := make([]string, len(order))
	ends := plotter.XYLabels{XYs: make(plotter.XYs, len(order)), Labels: make([]string, len(order))}
	var largest float64
	for j, i := range order {
		values[j] = meanAbs[i]
		labels[j] = names[i]
		ends.XYs[j] = plotter.XY{X: meanAbs[i], Y: float64(j)}
		ends.Labels[j] = strconv.FormatFloat(meanAbs[i], 'g', 3, 64)
		largest = max(largest, meanAbs[i])
	}

	h := max(height, vg.Length(len(order))*vg.Inch/4+vg.Inch*5/4)
	p := NewPlot(title, "Mean |contribution| (log-odds)", "")
	p.NominalY(labels...)
	bars, err := plotter.NewBarChart(values, barWidth(h, len(order)))
	if err != nil {
		return fmt.Errorf("plots: importance bars: %w", err)
	}
	bars.Horizontal = true
	bars.Color = SeriesColor(0)
	bars.LineStyle.Width = 0
	text, err := plotter.NewLabels(ends)
	if err != nil {
		return fmt.Errorf("plots: importance labels: %w", err)
	}
	text.Offset = vg.Point{X: vg.Points(3), Y: -vg.Points(3.5)}
	// Horizontal grid lines would run through the middle of the bars.
	grid := LightGrid()
	grid.Horizontal.Color = nil
	p.Add(grid, bars, text)
	// The headroom right of the longest bar holds its value label.
	right := 1.2 * largest
	switch {
	case largest == 0:
		right = 1 // the axis still needs a range
	case math.IsInf(right, 1):
		right = largest
	}
	setRange(&p.X, 0, right)
	p.X.Tick.Marker = RoundTicks{}
	setRange(&p.Y, -0.6, float64(len(order))-0.4)
	return WritePNG(w, p, width, h)
}

// checkImportance reports why Importance cannot draw its input.
func checkImportance(names []string, meanAbs []float64, n int) error {
	if len(names) != len(meanAbs) {
		return fmt.Errorf("plots: %d feature names but %d importances", len(names), len(meanAbs))
	}
	if len(names) == 0 {
		return errors.New("plots: no features")
	}
	if n < 1 {
		return fmt.Errorf("plots: top %d features, want at least 1", n)
	}
	for i, v := range meanAbs {
		// A mean of absolute values is never negative; the negated test
		// also catches NaN.
		if !(v >= 0 && !math.IsInf(v, 1)) {
			return fmt.Errorf("plots: importance of %q is %v, want finite and non-negative", names[i], v)
		}
	}
	return nil
}

// barWidth returns the thickness of each of n bars on a chart h tall:
// two thirds of the space per bar, once the title and the X axis have
// taken their inch or so.
func barWidth(h vg.Length, n int) vg.Length {
	return (h - vg.Inch) / vg.Length(n) * 2 / 3
}
