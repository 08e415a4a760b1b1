package plots

import (
	"errors"
	"fmt"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

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
	p := NewPlot("ROC curve on the validation set", "False positive rate", "True positive rate")
	random, err := ReferenceLine(0, 0, 1, 1)
	if err != nil {
		return err
	}
	p.Add(LightGrid(), random)
	for i, c := range curves {
		legend := fmt.Sprintf("%s (AUC %.3f)", c.Name, metrics.ROCAUC(c.Label, c.Prob))
		if err := addCurve(p, i, c, c.rocCurve, legend); err != nil {
			return err
		}
	}
	p.Legend.Add("Random ranking", random)
	setRange(&p.X, 0, 1)
	setRange(&p.Y, 0, 1)
	p.X.Tick.Marker = RoundTicks{}
	p.Y.Tick.Marker = RoundTicks{}
	return WritePNG(w, p, width, height)
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
	p := NewPlot("Cumulative gains on the validation set",
		"Share of accounts contacted (highest risk first)", "Share of churners captured")
	random, err := ReferenceLine(0, 0, 1, 1)
	if err != nil {
		return err
	}
	marker, err := ReferenceLine(topShare, 0, topShare, 1)
	if err != nil {
		return err
	}
	marker.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	p.Add(LightGrid(), random, marker)
	for i, c := range curves {
		capture := metrics.TopFraction(c.Label, c.Prob, topShare).Capture
		legend := fmt.Sprintf("%s: %.0f%% of churners in top %s", c.Name, 100*capture, percent(topShare))
		if err := addCurve(p, i, c, c.gainsCurve, legend); err != nil {
			return err
		}
	}
	p.Legend.Add("Random order", random)
	setRange(&p.X, 0, 1)
	setRange(&p.Y, 0, 1)
	p.X.Tick.Marker = RoundTicks{Percent: true}
	p.Y.Tick.Marker = RoundTicks{Percent: true}
	return WritePNG(w, p, width, height)
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
	p := NewPlot(fmt.Sprintf("Calibration on the validation set (%d equal-frequency bins)", bins),
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
	perfect, err := ReferenceLine(0, 0, top, top)
	if err != nil {
		return err
	}
	p.Add(LightGrid(), perfect)
	for i, xys := range binned {
		line, err := SeriesLine(i, xys)
		if err != nil {
			return curveError(i, curves[i], err)
		}
		points, err := plotter.NewScatter(xys)
		if err != nil {
			return curveError(i, curves[i], err)
		}
		points.GlyphStyle = SeriesGlyph(i)
		p.Add(line, points)
		p.Legend.Add(curves[i].Name, line, points)
	}
	p.Legend.Add("Perfectly calibrated", perfect)
	setRange(&p.X, 0, top)
	setRange(&p.Y, 0, top)
	p.X.Tick.Marker = RoundTicks{Percent: true}
	p.Y.Tick.Marker = RoundTicks{Percent: true}
	return WritePNG(w, p, width, height)
}

// addCurve draws curve i, whose points points computes, as the i-th
// series' line, thinned to maxPoints, with its legend entry.
func addCurve(p *plot.Plot, i int, c Curve, points func() (plotter.XYs, error), legend string) error {
	xys, err := points()
	if err != nil {
		return curveError(i, c, err)
	}
	line, err := SeriesLine(i, downsample(xys, maxPoints))
	if err != nil {
		return curveError(i, c, err)
	}
	p.Add(line)
	p.Legend.Add(legend, line)
	return nil
}

func curveError(i int, c Curve, err error) error {
	return fmt.Errorf("plots: curve %d (%q): %w", i, c.Name, err)
}
