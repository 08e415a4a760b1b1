package report

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/maturity"
	"github.com/churnlabs/churn/models/metrics"

	"github.com/churnlabs/churn/features/retention"
)

// WriteHTML writes the report as one self-contained HTML page: the style
// is inline and the charts are embedded as data URIs, so the file can be
// mailed or attached to a ticket on its own.
func (r *Report) WriteHTML(w io.Writer, charts []Chart) error {
	page := htmlPage{R: r, Level: level(r.Confidence), charts: map[string]htmlChart{}}
	for _, c := range charts {
		page.charts[c.File] = htmlChart{
			Chart: c,
			// The bytes are a PNG this package drew, so the URL is safe.
			URI: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(c.PNG)),
		}
	}
	page.build()
	if err := reportTemplate.Execute(w, &page); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// htmlPage is what the template shows: the report, its charts, and its
// tables already laid out as text.
type htmlPage struct {
	R      *Report
	Level  string
	charts map[string]htmlChart

	MonthlyTable, SegmentTable, QuarterlyTable, SegmentRevenueTable *htmlTable
	CohortTable, IndicatorTable, TermTable, ComparisonTable         *htmlTable
	UpliftTable, DriftTable, MaturityTable, LadderTable             *htmlTable
	TopIndicators                                                   int
}

type htmlChart struct {
	Chart
	URI template.URL
}

// Chart returns the chart of the given file, or nil when it was not drawn.
func (p *htmlPage) Chart(file string) *htmlChart {
	if c, ok := p.charts[file]; ok {
		return &c
	}
	return nil
}

type htmlTable struct {
	Head []string
	Rows [][]htmlCell
}

type htmlCell struct {
	Text  string
	Style template.CSS
	Num   bool
}

func text(s string) htmlCell { return htmlCell{Text: s} }
func num(s string) htmlCell  { return htmlCell{Text: s, Num: true} }

// maxIndicatorRows bounds the indicator table; report.json has them all.
const maxIndicatorRows = 25

func (p *htmlPage) build() {
	r := p.R
	p.MonthlyTable = periodTable(r.Monthly, "Month", r.HasARR)
	p.SegmentTable = segmentTable(r.Monthly, "Month", func(p retention.ChurnPeriod) string {
		return fmt.Sprintf("%s of %d", pct(p.ChurnRate), p.Accounts)
	})
	p.QuarterlyTable = periodTable(r.Quarterly, "Quarter", r.HasARR)
	if r.HasARR {
		p.SegmentRevenueTable = segmentTable(r.Quarterly, "Quarter", func(p retention.ChurnPeriod) string {
			if p.Revenue == nil {
				return ""
			}
			return fmt.Sprintf("%s / %s", pct(p.Revenue.GRR), pct(p.Revenue.NRR))
		})
	}
	p.CohortTable = cohortTable(r.Cohorts)
	if ind := r.Indicators; ind != nil && len(ind.Ranked) > 0 {
		p.TopIndicators = min(maxIndicatorRows, len(ind.Ranked))
		t := &htmlTable{Head: []string{"#", "Indicator", "Meets: rows", "retention", "Does not: rows", "retention", "Lift", "Difference (" + p.Level + " CI)"}}
		for i, x := range ind.Ranked[:p.TopIndicators] {
			t.Rows = append(t.Rows, []htmlCell{
				num(strconv.Itoa(i + 1)), text(x.Description),
				num(strconv.Itoa(x.Meet.Rows)), num(pct(x.Meet.Retention.Estimate)),
				num(strconv.Itoa(x.NotMeet.Rows)), num(pct(x.NotMeet.Retention.Estimate)),
				num(fmt.Sprintf("%.3f", x.Lift)), num(interval(x.Difference)),
			})
		}
		p.IndicatorTable = t
	}
	if ad := r.Adoption; ad != nil {
		t := &htmlTable{Head: []string{"Weight", "If", "Training rows meeting it", "Lift when chosen"}}
		for _, term := range ad.Terms {
			t.Rows = append(t.Rows, []htmlCell{
				num(fmt.Sprintf("%+.2f", term.Weight)), text(term.Description),
				num(pct(term.TrainShare)), num(fmt.Sprintf("%.3f", term.Lift)),
			})
		}
		p.TermTable = t
		c := &htmlTable{Head: []string{"Model", capitalize(metrics.ValidationAUC), "PR AUC", "Churners in the riskiest 10%"}}
		for _, m := range ad.Validation {
			c.Rows = append(c.Rows, []htmlCell{text(m.Model), num(fmt.Sprintf("%.3f", m.ROCAUC)),
				num(fmt.Sprintf("%.3f", m.PRAUC)), num(pct(m.TopDecileCapture))})
		}
		c.Rows = append(c.Rows, []htmlCell{text("random ranking"), num("0.500"),
			num(fmt.Sprintf("%.3f", ad.ValidChurnRate)), num("10.0%")})
		p.ComparisonTable = c
	}
	if m := r.Maturity; m != nil {
		l := &htmlTable{Head: []string{"To level", "Meet all of", "Reference rows meeting it"}}
		for _, s := range m.Ladder.Steps {
			var inds []string
			for _, ind := range s.Indicators {
				inds = append(inds, ind.String())
			}
			l.Rows = append(l.Rows, []htmlCell{text(fmt.Sprintf("%d %s", s.To, maturity.Name(s.To))),
				text(strings.Join(inds, "; ")), num(pct(s.Share))})
		}
		p.LadderTable = l
		t := &htmlTable{Head: []string{"Level", "Account-weeks", "Churned", "Churn rate", p.Level + " CI", "Accounts now"}}
		for _, lv := range m.Levels {
			t.Rows = append(t.Rows, []htmlCell{text(fmt.Sprintf("%d %s", lv.Level, lv.Name)), num(strconv.Itoa(lv.Rows)),
				num(strconv.Itoa(lv.Churned)), num(pct(lv.ChurnRate.Estimate)), num(interval(lv.ChurnRate)), num(strconv.Itoa(lv.Accounts))})
		}
		p.MaturityTable = t
	}
	if d := r.Drift; d != nil {
		t := &htmlTable{Head: []string{"Variable", "PSI", "Shift", "Missing in training", "Missing this week"}}
		vars := slices.Clone(d.Variables)
		slices.SortStableFunc(vars, func(a, b models.Drift) int { return cmpDesc(a.PSI, b.PSI) })
		for _, v := range vars {
			t.Rows = append(t.Rows, []htmlCell{text(v.Name), num(fmt.Sprintf("%.3f", v.PSI)), text(psiLevel(v.PSI)),
				num(pct(v.TrainMissing)), num(pct(v.Missing))})
		}
		p.DriftTable = t
	}
	if u := r.Uplift; u != nil {
		p.UpliftTable = &htmlTable{
			Head: []string{"Group", "Accounts", "Retained", "Retention", p.Level + " CI"},
			Rows: [][]htmlCell{
				{text("treated"), num(strconv.Itoa(u.Treated.Rows)), num(strconv.Itoa(u.Treated.Retained)),
					num(pct(u.Treated.Retention.Estimate)), num(shareInterval(u.Treated.Retention))},
				{text("control"), num(strconv.Itoa(u.Control.Rows)), num(strconv.Itoa(u.Control.Retained)),
					num(pct(u.Control.Retention.Estimate)), num(shareInterval(u.Control.Retention))},
				{text("difference"), text(""), text(""), num(signedPct(u.Difference.Estimate)),
					num(fmt.Sprintf("%s – %s", signedPct(u.Difference.Lower), signedPct(u.Difference.Upper)))},
			},
		}
	}
}

// periodTable lays out the whole history's periods, newest first.
func periodTable(series []retention.Series, period string, hasARR bool) *htmlTable {
	t := &htmlTable{Head: []string{period, "Customers at start", "Churned", "Churn rate"}}
	if hasARR {
		t.Head = append(t.Head, "ARR at start", "Churned ARR", "Contraction", "Expansion", "Revenue churn", "GRR", "NRR")
	}
	for _, s := range series {
		if s.Segment != retention.AllAccounts {
			continue
		}
		for i := len(s.Periods) - 1; i >= 0; i-- {
			p := s.Periods[i]
			name := p.Period
			if p.Partial {
				name += " (partial)"
			}
			row := []htmlCell{text(name), num(strconv.Itoa(p.Accounts)), num(strconv.Itoa(p.Churned)), num(pct(p.ChurnRate))}
			if hasARR {
				if rv := p.Revenue; rv != nil {
					row = append(row, num(money(rv.Start)), num(money(rv.Churned)), num(money(rv.Contraction)),
						num(money(rv.Expansion)), num(pct(rv.Churn)), num(pct(rv.GRR)), num(pct(rv.NRR)))
				} else {
					for range 7 {
						row = append(row, num("–"))
					}
				}
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// segmentTable shows a figure of each segment's periods side by side,
// newest first; it is nil without segments.
func segmentTable(series []retention.Series, period string, figure func(retention.ChurnPeriod) string) *htmlTable {
	if len(series) < 2 {
		return nil
	}
	t := &htmlTable{Head: []string{period}}
	rates := map[string][]string{} // period -> figure per segment
	var months []string
	for k, s := range series {
		t.Head = append(t.Head, s.Segment)
		for _, p := range s.Periods {
			if _, ok := rates[p.Period]; !ok {
				rates[p.Period] = make([]string, len(series))
				months = append(months, p.Period)
			}
			rates[p.Period][k] = figure(p)
		}
	}
	slices.Sort(months)
	for i := len(months) - 1; i >= 0; i-- {
		row := []htmlCell{text(months[i])}
		for _, v := range rates[months[i]] {
			if v == "" {
				v = "–"
			}
			row = append(row, num(v))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// cohortTable is the classic retention triangle, shaded by share.
func cohortTable(cs retention.Cohorts) *htmlTable {
	longest := 0
	for _, c := range cs.Cohorts {
		longest = max(longest, len(c.Curve))
	}
	if longest == 0 {
		return nil
	}
	t := &htmlTable{Head: []string{"Sign-up " + cs.Grain, "Accounts"}}
	for k := range longest {
		t.Head = append(t.Head, strconv.Itoa(k))
	}
	for _, c := range cs.Cohorts {
		row := []htmlCell{text(c.Cohort), num(strconv.Itoa(c.Accounts))}
		for k := range longest {
			if k >= len(c.Curve) {
				row = append(row, text(""))
				continue
			}
			s := c.Curve[k].Share
			// Deeper blue for higher retention; the steepest contrast
			// sits where B2B curves live, between 50% and 100%.
			alpha := max(0.05, min(1, (s-0.4)/0.6)) * 0.55
			row = append(row, htmlCell{Text: fmt.Sprintf("%.0f%%", 100*s), Num: true,
				Style: template.CSS(fmt.Sprintf("background: rgba(0, 114, 178, %.2f)", alpha))})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// interval formats a difference of shares with its interval.
func interval(iv retention.Interval) string {
	return fmt.Sprintf("%s [%s, %s]", signedPct(iv.Estimate), signedPct(iv.Lower), signedPct(iv.Upper))
}

// shareInterval formats the interval of a share.
func shareInterval(iv retention.Interval) string {
	return fmt.Sprintf("%s – %s", pct(iv.Lower), pct(iv.Upper))
}

// level formats a confidence level: 0.95 is "95%".
func level(c float64) string { return strconv.FormatFloat(100*c, 'g', 4, 64) + "%" }

// money formats an amount with thousands separators and no decimals.
func money(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// reportHTML is the page's template, kept in a file of its own so that
// it reads as HTML.
//
//go:embed report.html.tmpl
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"pct": pct}).Parse(reportHTML))

// capitalize returns s with its first letter in upper case, for a label
// at the start of a heading.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// psiLevel names a PSI by the usual conventions.
func psiLevel(psi float64) string {
	switch {
	case psi > majorPSI:
		return "major"
	case psi >= 0.1:
		return "moderate"
	}
	return "stable"
}

// cmpDesc orders larger numbers first.
func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
