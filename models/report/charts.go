package report

import (
	"bytes"
	"fmt"
	"math"
	"slices"

	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models/plots"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Chart is one PNG chart of a report.
type Chart struct {
	// File is the chart's file name in the report directory.
	File string
	// Title and Caption describe it in the HTML report.
	Title   string
	Caption string
	PNG     []byte
}

// Chart sizes, in inches at the PNG encoder's 96 dots per inch, as the
// model charts of models/plots.
const (
	chartWidth  = 6 * vg.Inch
	chartHeight = 4 * vg.Inch
	// maxLines keeps a line chart readable: beyond it colours repeat
	// and lines tangle.
	maxLines = 8
	// maxBars is how many indicators the indicator chart shows.
	maxBars = 10
)

// Charts draws the report's charts: monthly churn by segment, GRR and NRR
// by quarter, cohort retention curves and the strongest indicators. A
// chart with nothing to show (no ARR, no cohort old enough, no ranked
// indicator) is left out.
func (r *Report) Charts() ([]Chart, error) {
	var out []Chart
	for _, c := range []struct {
		file, title, caption string
		draw                 func() (*plot.Plot, vg.Length, vg.Length, error)
	}{
		{"churn_rate.png", "Monthly churn rate by segment",
			"Accounts churned in the month over the accounts that were customers as it began; a month the data ends in is left out.",
			r.churnChart},
		{"revenue_retention.png", "Revenue retention by quarter",
			"GRR and NRR of the whole hist: the ARR kept (and, for NRR, expanded) by the accounts that were customers as the quarter began.",
			r.revenueChart},
		{"cohorts.png", "Sign-up cohort retention",
			"Share of each sign-up cohort still a customer at the end of each month after sign-up, drawn while the data covers the whole cohort.",
			r.cohortChart},
		{"indicators.png", "Strongest leading indicator of each behaviour",
			"Horizon retention of the account-weeks that meet the indicator and of those that do not, for the highest-lift indicator of each column, highest lift first.",
			r.indicatorChart},
	} {
		p, w, h, err := c.draw()
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", c.file, err)
		}
		if p == nil {
			continue
		}
		var png bytes.Buffer
		if err := plots.WritePNG(&png, p, w, h); err != nil {
			return nil, fmt.Errorf("chart %s: %w", c.file, err)
		}
		out = append(out, Chart{File: c.file, Title: c.title, Caption: c.caption, PNG: png.Bytes()})
	}
	return out, nil
}

func (r *Report) churnChart() (*plot.Plot, vg.Length, vg.Length, error) {
	// Segments may lack a month the whole history has: place every series on
	// the union of complete months, which sort as text.
	var labels []string
	for _, s := range r.Monthly {
		for _, p := range s.Periods {
			if !p.Partial {
				labels = append(labels, p.Period)
			}
		}
	}
	slices.Sort(labels)
	labels = slices.Compact(labels)
	if len(labels) == 0 {
		return nil, 0, 0, nil
	}
	p := plots.NewPlot("Monthly churn rate by segment", "", "Accounts churned in the month")
	p.Add(plots.LightGrid())
	top := 0.0
	for i, s := range r.Monthly[:min(len(r.Monthly), maxLines)] {
		var xys plotter.XYs
		for _, per := range s.Periods {
			if !per.Partial {
				x, _ := slices.BinarySearch(labels, per.Period)
				xys = append(xys, plotter.XY{X: float64(x), Y: per.ChurnRate})
				top = max(top, per.ChurnRate)
			}
		}
		name := s.Segment
		if name == retention.AllAccounts {
			name = "all accounts"
		}
		if err := addSeries(p, i, name, xys); err != nil {
			return nil, 0, 0, err
		}
	}
	p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
	p.X.Tick.Marker = indexTicks(labels)
	// The legend sits in the top quarter, above the data.
	p.Y.Min, p.Y.Max = 0, headroom(1.35*top)
	p.Y.Tick.Marker = shareTicks
	p.Legend.Top = true
	return p, chartWidth, chartHeight, nil
}

func (r *Report) revenueChart() (*plot.Plot, vg.Length, vg.Length, error) {
	var labels []string
	var grr, nrr plotter.XYs
	for _, s := range r.Quarterly {
		if s.Segment != retention.AllAccounts {
			continue
		}
		for _, per := range s.Periods {
			if per.Partial || per.Revenue == nil {
				continue
			}
			x := float64(len(labels))
			labels = append(labels, per.Period)
			grr = append(grr, plotter.XY{X: x, Y: per.Revenue.GRR})
			nrr = append(nrr, plotter.XY{X: x, Y: per.Revenue.NRR})
		}
	}
	if len(labels) == 0 {
		return nil, 0, 0, nil
	}
	p := plots.NewPlot("Revenue retention by quarter (all accounts)", "", "ARR retained from the quarter's start")
	lo, hi := 1.0, 1.0
	for i := range grr {
		lo, hi = min(lo, grr[i].Y, nrr[i].Y), max(hi, grr[i].Y, nrr[i].Y)
	}
	pad := max(0.02, 0.1*(hi-lo))
	lo, hi = max(0, lo-pad), hi+pad
	hundred, err := plots.ReferenceLine(-0.5, 1, float64(len(labels))-0.5, 1)
	if err != nil {
		return nil, 0, 0, err
	}
	p.Add(plots.LightGrid(), hundred)
	if err := addSeries(p, 0, "GRR (churn and contraction)", grr); err != nil {
		return nil, 0, 0, err
	}
	if err := addSeries(p, 1, "NRR (with expansion)", nrr); err != nil {
		return nil, 0, 0, err
	}
	p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
	p.X.Tick.Marker = indexTicks(labels)
	p.Y.Min, p.Y.Max = lo, hi
	p.Y.Tick.Marker = shareTicks
	p.Legend.Top, p.Legend.Left = false, true
	return p, chartWidth, chartHeight, nil
}

func (r *Report) cohortChart() (*plot.Plot, vg.Length, vg.Length, error) {
	pick := func(cs retention.Cohorts) []retention.Cohort {
		var out []retention.Cohort
		for _, c := range cs.Cohorts {
			if len(c.Curve) >= 2 {
				out = append(out, c)
			}
		}
		return out
	}
	grain, cohorts := r.Cohorts.Grain, pick(r.Cohorts)
	if len(cohorts) > maxLines {
		grain, cohorts = r.QuarterlyCohorts.Grain, pick(r.QuarterlyCohorts)
	}
	// The most recent cohorts are the ones a team can still act on.
	cohorts = cohorts[max(0, len(cohorts)-maxLines):]
	if len(cohorts) == 0 {
		return nil, 0, 0, nil
	}
	p := plots.NewPlot(fmt.Sprintf("Retention by sign-up %s", grain), "Months after the sign-up month", "Share still a customer")
	p.Add(plots.LightGrid())
	lo, months := 1.0, 0
	for i, c := range cohorts {
		xys := make(plotter.XYs, len(c.Curve))
		for j, pt := range c.Curve {
			xys[j] = plotter.XY{X: float64(pt.Months), Y: pt.Share}
			lo, months = min(lo, pt.Share), max(months, pt.Months)
		}
		if err := addSeries(p, i, fmt.Sprintf("%s (%d accounts)", c.Cohort, c.Accounts), xys); err != nil {
			return nil, 0, 0, err
		}
	}
	p.X.Min, p.X.Max = 0, float64(max(1, months))
	p.X.Tick.Marker = monthTicks{}
	// The band below the lowest point holds the legend.
	p.Y.Min, p.Y.Max = max(0, math.Floor(10*lo)/10-0.2), 1
	p.Y.Tick.Marker = shareTicks
	p.Legend.Top = false
	return p, chartWidth, chartHeight, nil
}

func (r *Report) indicatorChart() (*plot.Plot, vg.Length, vg.Length, error) {
	if r.Indicators == nil || len(r.Indicators.Ranked) == 0 {
		return nil, 0, 0, nil
	}
	// Variants of one behaviour's indicator (another threshold, period
	// or share) crowd the top of the ranking and say little more than
	// its best one; the chart shows each behaviour's best.
	var top []retention.IndicatorResult
	for _, x := range r.Indicators.Ranked {
		if len(top) < maxBars && !slices.ContainsFunc(top, func(t retention.IndicatorResult) bool { return t.Column == x.Column }) {
			top = append(top, x)
		}
	}
	n := len(top)
	// Horizontal bars stack from the bottom up: the strongest goes last
	// to end up on top.
	labels := make([]string, n)
	meet, not := make(plotter.Values, n), make(plotter.Values, n)
	for j := range top {
		x := top[n-1-j]
		labels[j] = x.Short()
		meet[j], not[j] = x.Meet.Retention.Estimate, x.NotMeet.Retention.Estimate
	}
	h := max(chartHeight, vg.Length(n+1)*vg.Inch*9/20+vg.Inch*5/4)
	barWidth := (h - vg.Inch*5/4) / vg.Length(n+1) * 0.38
	p := plots.NewPlot(fmt.Sprintf("Retention %d weeks later: meets the indicator or not", r.Indicators.Horizon),
		"Share of account-weeks still a customer", "")
	p.NominalY(labels...)
	grid := plots.LightGrid()
	grid.Horizontal.Color = nil // it would cut through the bars
	p.Add(grid)
	for i, side := range []struct {
		name   string
		values plotter.Values
		offset vg.Length
	}{{"meets", meet, barWidth / 2}, {"does not meet", not, -barWidth / 2}} {
		bars, err := plotter.NewBarChart(side.values, barWidth)
		if err != nil {
			return nil, 0, 0, err
		}
		bars.Horizontal = true
		bars.Offset = side.offset
		bars.Color = plots.SeriesColor(i)
		bars.LineStyle.Width = 0
		ends := plotter.XYLabels{XYs: make(plotter.XYs, n), Labels: make([]string, n)}
		for j, v := range side.values {
			ends.XYs[j] = plotter.XY{X: v, Y: float64(j)}
			ends.Labels[j] = pct(v)
		}
		text, err := plotter.NewLabels(ends)
		if err != nil {
			return nil, 0, 0, err
		}
		for k := range text.TextStyle {
			text.TextStyle[k].Font.Size = vg.Points(8)
		}
		text.Offset = vg.Point{X: vg.Points(2), Y: side.offset - vg.Points(3)}
		p.Add(bars, text)
		p.Legend.Add(side.name, bars)
	}
	p.X.Min, p.X.Max = 0, 1.15
	p.X.Tick.Marker = plots.RoundTicks{Percent: true, LabelMax: 1}
	// An empty band below the bars holds the legend.
	p.Y.Min, p.Y.Max = -1.6, float64(n)-0.4
	p.Legend.Top, p.Legend.Left = false, true
	return p, chartWidth * 4 / 3, h, nil
}

// addSeries adds a line with points in the style of series i.
func addSeries(p *plot.Plot, i int, name string, xys plotter.XYs) error {
	if len(xys) == 0 {
		return nil
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("series %q: %w", name, err)
	}
	line.LineStyle = plots.SeriesStyle(i)
	points.GlyphStyle = plots.SeriesGlyph(i)
	p.Add(line, points)
	p.Legend.Add(name, line, points)
	return nil
}

// headroom returns an axis top a little above v, and a range when v is 0.
func headroom(v float64) float64 { return max(0.01, 1.15*v) }

// indexTicks labels positions 0, 1, ... with names, at most eight of
// them so that dates do not overlap, the rest as minor ticks.
type indexTicks []string

// Ticks implements plot.Ticker.
func (t indexTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, (len(t)+7)/8)
	var ticks []plot.Tick
	for i, name := range t {
		if float64(i) < lo || float64(i) > hi {
			continue
		}
		tick := plot.Tick{Value: float64(i)}
		if i%step == 0 {
			tick.Label = name
		}
		ticks = append(ticks, tick)
	}
	return ticks
}

// shareTicks marks a share axis at round percentages.
var shareTicks = plots.RoundTicks{Percent: true}

// monthTicks marks a count axis (months) at round whole steps only.
type monthTicks struct{}

// Ticks implements plot.Ticker.
func (monthTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, t := range (plots.RoundTicks{}).Ticks(lo, hi) {
		if !t.IsMinor() && t.Value == math.Trunc(t.Value) {
			ticks = append(ticks, t)
		}
	}
	return ticks
}
