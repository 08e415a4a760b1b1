package plots

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/churnlabs/churn/models/metrics"
)

// The size of every chart, in inches at the PNG encoder's 96 dots per
// inch: 576×384 pixels, large enough for four models' legends and small
// enough to sit beside the model in a repository.
const (
	width  = 6 * vg.Inch
	height = 4 * vg.Inch
)

// topShare is the share of accounts whose churner capture the gains
// chart's legend reports. It matches the top decile of metrics.Summary so
// that the legend agrees with metrics.json.
const topShare = 0.1

// ROC writes a PNG chart of each curve's ROC curve, true against false
// positive rate as the probability threshold falls, with its ROC AUC in
// the legend and the diagonal of a random ranking for reference. Every
// curve needs rows of both classes.
func ROC(w io.Writer, curves []Curve) error {
	if err := checkCurves(curves); err != nil {
		return err
	}
	p := newPlot("ROC curve on the validation set", "False positive rate", "True positive rate")
	random, err := referenceLine(0, 0, 1, 1)
	if err != nil {
		return err
	}
	p.Add(lightGrid(), random)
	for i, c := range curves {
		xys, err := c.rocCurve()
		if err != nil {
			return curveError(i, c, err)
		}
		line, err := modelLine(i, downsample(xys, maxPoints))
		if err != nil {
			return curveError(i, c, err)
		}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("%s (AUC %.3f)", c.Name, metrics.ROCAUC(c.Label, c.Prob)), line)
	}
	p.Legend.Add("Random ranking", random)
	setRange(&p.X, 0, 1)
	setRange(&p.Y, 0, 1)
	p.X.Tick.Marker = roundTicks{}
	p.Y.Tick.Marker = roundTicks{}
	return render(w, p, height)
}

// Lift writes a PNG chart of each curve's cumulative gains: the share of
// all churners that a retention team reaches by contacting a share of the
// accounts, highest churn probability first. The straight line is the
// expectation of contacting accounts in random order, and the legend gives
// the share of churners reached by contacting the riskiest 10%, a dotted
// line marking that 10%. Every curve needs at least one churner.
func Lift(w io.Writer, curves []Curve) error {
	if err := checkCurves(curves); err != nil {
		return err
	}
	p := newPlot("Cumulative gains on the validation set",
		"Share of accounts contacted (highest risk first)", "Share of churners captured")
	random, err := referenceLine(0, 0, 1, 1)
	if err != nil {
		return err
	}
	marker, err := referenceLine(topShare, 0, topShare, 1)
	if err != nil {
		return err
	}
	marker.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	p.Add(lightGrid(), random, marker)
	for i, c := range curves {
		xys, err := c.gainsCurve()
		if err != nil {
			return curveError(i, c, err)
		}
		line, err := modelLine(i, downsample(xys, maxPoints))
		if err != nil {
			return curveError(i, c, err)
		}
		p.Add(line)
		capture := metrics.TopFraction(c.Label, c.Prob, topShare).Capture
		p.Legend.Add(fmt.Sprintf("%s: %.0f%% of churners in top %s", c.Name, 100*capture, percent(topShare)), line)
	}
	p.Legend.Add("Random order", random)
	setRange(&p.X, 0, 1)
	setRange(&p.Y, 0, 1)
	p.X.Tick.Marker = roundTicks{percent: true}
	p.Y.Tick.Marker = roundTicks{percent: true}
	return render(w, p, height)
}

// Calibration writes a PNG reliability diagram: each curve's rows are cut
// into up to bins bins of near-equal size by probability, as
// metrics.Calibration cuts them, and each bin is drawn at its mean
// predicted probability against the share of its rows that churned. A
// well-calibrated model follows the diagonal. Both axes end just past the
// largest value drawn, since churn probabilities mostly sit in the bottom
// few percent and a full [0, 1] square would crush them into a corner.
func Calibration(w io.Writer, curves []Curve, bins int) error {
	if err := checkCurves(curves); err != nil {
		return err
	}
	if bins < 1 {
		return fmt.Errorf("plots: %d calibration bins, want at least 1", bins)
	}
	p := newPlot(fmt.Sprintf("Calibration on the validation set (%d equal-frequency bins)", bins),
		"Mean predicted churn probability", "Observed churn rate")
	// The top left stays empty unless a model badly underestimates
	// churn; the offsets keep the legend off the axis.
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(4)
	// The axes' extent depends on every model's bins, so all are binned
	// before any is drawn.
	var top float64
	binned := make([]plotter.XYs, len(curves))
	for i, c := range curves {
		bs := metrics.Calibration(c.Label, c.Prob, bins)
		if len(bs) == 0 {
			// checkCurves has accepted the input, which metrics should
			// accept too; if the two ever disagree, say so.
			return curveError(i, c, errors.New("metrics.Calibration found no bins"))
		}
		xys := make(plotter.XYs, len(bs))
		for j, b := range bs {
			xys[j] = plotter.XY{X: b.MeanPredicted, Y: b.ObservedRate}
			top = max(top, b.MeanPredicted, b.ObservedRate)
		}
		binned[i] = xys
	}
	// A little headroom keeps the highest bin's glyph off the frame, and
	// a floor keeps the axes a range when every value is zero.
	top = min(1, max(0.01, 1.1*top))
	perfect, err := referenceLine(0, 0, top, top)
	if err != nil {
		return err
	}
	p.Add(lightGrid(), perfect)
	for i, xys := range binned {
		line, err := modelLine(i, xys)
		if err != nil {
			return curveError(i, curves[i], err)
		}
		points, err := plotter.NewScatter(xys)
		if err != nil {
			return curveError(i, curves[i], err)
		}
		points.GlyphStyle = modelGlyph(i)
		p.Add(line, points)
		p.Legend.Add(curves[i].Name, line, points)
	}
	p.Legend.Add("Perfectly calibrated", perfect)
	setRange(&p.X, 0, top)
	setRange(&p.Y, 0, top)
	p.X.Tick.Marker = roundTicks{percent: true}
	p.Y.Tick.Marker = roundTicks{percent: true}
	return render(w, p, height)
}

func curveError(i int, c Curve, err error) error {
	return fmt.Errorf("plots: curve %d (%q): %w", i, c.Name, err)
}

// newPlot returns a plot with the titles and legend style that every
// chart shares.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	// The default 12-point legend covers too much of a 6×4-inch chart
	// once it lists four models.
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Legend.Padding = vg.Points(1.5)
	return p
}

// lightGrid returns grid lines at the major ticks, pale enough not to
// compete with the models' lines.
func lightGrid() *plotter.Grid {
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 215}
	grid.Horizontal.Color = color.Gray{Y: 215}
	return grid
}

// setRange fixes an axis to [lo, hi], which Plot.Add would otherwise
// stretch to the data: ROC and gains charts always show the whole [0, 1],
// so that charts of two training runs can be compared by eye.
func setRange(a *plot.Axis, lo, hi float64) {
	a.Min, a.Max = lo, hi
}

// render draws p as a width×h PNG onto w.
func render(w io.Writer, p *plot.Plot, h vg.Length) error {
	c := vgimg.PngCanvas{Canvas: vgimg.New(width, h)}
	// plot.Draw sets the title against the top edge and the last tick
	// label against the right one; a margin lets them breathe.
	const m = 6 // points
	p.Draw(draw.Crop(draw.New(c), m, -m, m, -m))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("plots: write PNG: %w", err)
	}
	return nil
}

// modelLine returns the line of the i-th model in its own style.
func modelLine(i int, xys plotter.XYs) (*plotter.Line, error) {
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	line.LineStyle = modelStyle(i)
	return line, nil
}

// modelStyle returns the line style of the i-th model. The colours are the
// Okabe–Ito palette, which stays distinct to colour-blind readers, and
// the dashes tell the models apart once printed in grey; the two lists
// differ in length, so that a colour and a dash repeat together only after
// the 28th model.
func modelStyle(i int) draw.LineStyle {
	dashes := [...][]vg.Length{
		nil,
		{vg.Points(6), vg.Points(3)},
		{vg.Points(2), vg.Points(2)},
		{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)},
	}
	return draw.LineStyle{
		Color:  modelColor(i),
		Width:  vg.Points(1.75),
		Dashes: dashes[i%len(dashes)],
	}
}

// modelGlyph returns the point style of the i-th model, a shape of its own
// in its line's colour.
func modelGlyph(i int) draw.GlyphStyle {
	shapes := [...]draw.GlyphDrawer{
		draw.CircleGlyph{},
		draw.BoxGlyph{},
		draw.PyramidGlyph{},
		draw.RingGlyph{},
		draw.SquareGlyph{},
		draw.TriangleGlyph{},
		draw.CrossGlyph{},
	}
	return draw.GlyphStyle{
		Color:  modelColor(i),
		Radius: vg.Points(2.5),
		Shape:  shapes[i%len(shapes)],
	}
}

func modelColor(i int) color.Color {
	palette := [...]color.RGBA{
		{R: 0, G: 114, B: 178, A: 255},   // blue
		{R: 213, G: 94, B: 0, A: 255},    // vermillion
		{R: 0, G: 158, B: 115, A: 255},   // bluish green
		{R: 204, G: 121, B: 167, A: 255}, // reddish purple
		{R: 230, G: 159, B: 0, A: 255},   // orange
		{R: 86, G: 180, B: 233, A: 255},  // sky blue
		{R: 0, G: 0, B: 0, A: 255},       // black
	}
	return palette[i%len(palette)]
}

// referenceLine returns a thin grey dashed segment from (x0, y0) to
// (x1, y1), for a baseline that must not be mistaken for a model.
func referenceLine(x0, y0, x1, y1 float64) (*plotter.Line, error) {
	line, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y1}})
	if err != nil {
		return nil, fmt.Errorf("plots: reference line: %w", err)
	}
	line.LineStyle = draw.LineStyle{
		Color:  color.Gray{Y: 120},
		Width:  vg.Points(1),
		Dashes: []vg.Length{vg.Points(4), vg.Points(3)},
	}
	return line, nil
}

// roundTicks marks an axis at about five round steps (1, 2, 2.5 or 5
// times a power of ten), with a minor tick halfway between. The charts are
// small, and plot.DefaultTicks' three ticks leave too little to read a
// value off. It labels the ticks as percentages when percent is set.
type roundTicks struct {
	percent bool
}

// Ticks implements plot.Ticker.
func (t roundTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return nil // no range to mark; plot.DefaultTicks would panic
	}
	step := roundStep(span / 5)
	first := math.Ceil(lo / step)
	var ticks []plot.Tick
	if minor := (first - 0.5) * step; minor >= lo {
		ticks = append(ticks, plot.Tick{Value: minor})
	}
	// A step of at least a fifth of the span gives at most six major
	// ticks; the bound also guarantees the loop ends at the extremes of
	// float64. Counting steps, rather than adding step to step, keeps
	// rounding error from accumulating along the axis, and the slack lets
	// a tick sit on hi when rounding puts it a hair above.
	for k := range 6 {
		v := (first + float64(k)) * step
		if first+float64(k) > hi/step+1e-9 {
			break
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: t.label(v)})
		if minor := v + step/2; minor <= hi {
			ticks = append(ticks, plot.Tick{Value: minor})
		}
	}
	return ticks
}

func (t roundTicks) label(v float64) string {
	if t.percent {
		return percent(v)
	}
	// Twelve significant digits hide float noise such as 3·0.1 =
	// 0.30000000000000004.
	return strconv.FormatFloat(v, 'g', 12, 64)
}

// roundStep returns the smallest of 1, 2, 2.5 and 5 times a power of ten
// that is at least x, x positive.
func roundStep(x float64) float64 {
	magnitude := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*magnitude >= x {
			return m * magnitude
		}
	}
	return 10 * magnitude
}

// percent formats the share v as a percentage with as few decimals as it
// needs, and at most twelve significant digits, which hide float noise
// such as 0.07·100 = 7.000000000000001.
func percent(v float64) string {
	return strconv.FormatFloat(100*v, 'g', 12, 64) + "%"
}
