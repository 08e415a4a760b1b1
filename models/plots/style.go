package plots

import (
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
)

// The look every chart of the project shares, exported so that other
// packages' charts (the retention report's) read as the same family.

// NewPlot returns a plot with the titles and legend style that every
// chart shares.
func NewPlot(title, x, y string) *plot.Plot {
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

// LightGrid returns grid lines at the major ticks, pale enough not to
// compete with the models' lines.
func LightGrid() *plotter.Grid {
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

// WritePNG draws p as a PNG of the given size onto out.
func WritePNG(out io.Writer, p *plot.Plot, w, h vg.Length) error {
	c := vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	// plot.Draw sets the title against the top edge and the last tick
	// label against the right one; a margin lets them breathe.
	const m = 6 // points
	p.Draw(draw.Crop(draw.New(c), m, -m, m, -m))
	if _, err := c.WriteTo(out); err != nil {
		return fmt.Errorf("plots: write PNG: %w", err)
	}
	return nil
}

// SeriesLine returns the line of the i-th series (a model, a segment)
// in its own style.
func SeriesLine(i int, xys plotter.XYs) (*plotter.Line, error) {
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	line.LineStyle = SeriesStyle(i)
	return line, nil
}

// SeriesStyle returns the line style of the i-th series. The colours are the
// Okabe–Ito palette, which stays distinct to colour-blind readers, and
// the dashes tell the models apart once printed in grey; the two lists
// differ in length, so that a colour and a dash repeat together only after
// the 28th series.
func SeriesStyle(i int) draw.LineStyle {
	dashes := [...][]vg.Length{
		nil,
		{vg.Points(6), vg.Points(3)},
		{vg.Points(2), vg.Points(2)},
		{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)},
	}
	return draw.LineStyle{
		Color:  SeriesColor(i),
		Width:  vg.Points(1.75),
		Dashes: dashes[i%len(dashes)],
	}
}

// SeriesGlyph returns the point style of the i-th series, a shape of its
// own in its line's colour.
func SeriesGlyph(i int) draw.GlyphStyle {
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
		Color:  SeriesColor(i),
		Radius: vg.Points(2.5),
		Shape:  shapes[i%len(shapes)],
	}
}

// SeriesColor returns the colour of the i-th series, from the Okabe–Ito
// palette.
func SeriesColor(i int) color.Color {
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

// ReferenceLine returns a thin grey dashed segment from (x0, y0) to
// (x1, y1), for a baseline that must not be mistaken for a series.
func ReferenceLine(x0, y0, x1, y1 float64) (*plotter.Line, error) {
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

// RoundTicks marks an axis at about five round steps (1, 2, 2.5 or 5
// times a power of ten), with a minor tick halfway between. The charts are
// small, and plot.DefaultTicks' three ticks leave too little to read a
// value off.
type RoundTicks struct {
	// Percent labels the ticks as percentages.
	Percent bool
	// LabelMax, when not zero, leaves ticks above it unlabelled: an axis
	// may run past its last meaningful value to make room for labels.
	LabelMax float64
}

// Ticks implements plot.Ticker.
func (t RoundTicks) Ticks(lo, hi float64) []plot.Tick {
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

func (t RoundTicks) label(v float64) string {
	if t.LabelMax != 0 && v > t.LabelMax*(1+1e-9) {
		return ""
	}
	if t.Percent {
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
