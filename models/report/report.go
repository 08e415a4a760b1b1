package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/adoption"
	"github.com/churnlabs/churn/models/maturity"
	"github.com/churnlabs/churn/models/metrics"
)

// Report is everything the retention report shows, as report.json holds
// it: the retention statistics of a history, the adoption score and the
// uplift of an intervention when the caller has them, and notes.
type Report struct {
	// Report holds the statistics retention.Measure measures. Its
	// fields are report.json's first ones, but for its Notes, which New
	// copies into the Notes below, so that they come last.
	*retention.Report
	Adoption *adoption.Score `json:"adoption,omitempty"`
	// Maturity places accounts on the four-level maturity ladder and
	// measures churn by level.
	Maturity *maturity.Result  `json:"maturity,omitempty"`
	Uplift   *retention.Uplift `json:"uplift,omitempty"`
	// Drift compares the latest week with the model's training weeks,
	// when the report was given a model that recorded them.
	Drift *Drift `json:"drift,omitempty"`
	// Notes say what was left out and why: the statistics' notes, then
	// any the caller adds.
	Notes []string `json:"notes,omitempty"`
}

// Drift is the drift of one week's active accounts from the training
// weeks of a model: each feature's and the score's PSI and missing share.
type Drift struct {
	Week         features.Date  `json:"week"`
	ModelVersion string         `json:"model_version"`
	Variables    []models.Drift `json:"variables"`
}

// Major returns the variables whose PSI marks a major shift, above 0.25,
// most drifted first.
func (d *Drift) Major() []models.Drift { return models.Drifted(d.Variables, majorPSI) }

// majorPSI is the usual PSI threshold of a major shift.
const majorPSI = 0.25

// New starts a report from the retention statistics of a history; the caller
// adds the adoption score, the uplift and notes.
func New(stats *retention.Report) *Report {
	return &Report{Report: stats, Notes: slices.Clone(stats.Notes)}
}

// Names of the files Save writes.
const (
	JSONFile = "report.json"
	HTMLFile = "report.html"
)

// Save writes the report into dir, creating it: report.json, one PNG per
// chart, and report.html, which embeds the charts so that it can be
// mailed on its own. Each file is written atomically, the HTML last.
func Save(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save report: %w", err)
	}
	charts, err := r.Charts()
	if err != nil {
		return err
	}
	for _, c := range charts {
		if err := publish.File(filepath.Join(dir, c.File), func(w io.Writer) error {
			_, err := w.Write(c.PNG)
			return err
		}); err != nil {
			return err
		}
	}
	if err := publish.File(filepath.Join(dir, JSONFile), r.WriteJSON); err != nil {
		return err
	}
	return publish.File(filepath.Join(dir, HTMLFile), func(w io.Writer) error {
		return r.WriteHTML(w, charts)
	})
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// WriteText writes a short summary for a terminal: the latest complete
// month and quarter, the strongest indicators, the adoption score against
// the full model and the uplift.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d accounts, weeks %s to %s, horizon %d weeks\n", r.Snapshots, r.Accounts, r.First, r.Last, r.Horizon)
	if p, ok := latestComplete(r.Monthly); ok {
		fmt.Fprintf(&b, "churn %s: %s (%d of %d accounts)", p.Period, pct(p.ChurnRate), p.Churned, p.Accounts)
		if p.Revenue != nil {
			fmt.Fprintf(&b, ", revenue churn %s", pct(p.Revenue.Churn))
		}
		b.WriteString("\n")
	}
	if p, ok := latestComplete(r.Quarterly); ok && p.Revenue != nil {
		fmt.Fprintf(&b, "revenue retention %s: GRR %s, NRR %s\n", p.Period, pct(p.Revenue.GRR), pct(p.Revenue.NRR))
	}
	if ind := r.Indicators; ind != nil {
		fmt.Fprintf(&b, "leading indicators (%d ranked of %d, %d account-weeks):\n", len(ind.Ranked), ind.Evaluated, ind.Rows)
		for _, x := range ind.Ranked[:min(3, len(ind.Ranked))] {
			fmt.Fprintf(&b, "  lift %.2f  %s: retention %s vs %s\n", x.Lift, x.Description,
				pct(x.Meet.Retention.Estimate), pct(x.NotMeet.Retention.Estimate))
		}
	}
	if ad := r.Adoption; ad != nil {
		b.WriteString(metrics.ValidationAUC + ":")
		for i, m := range ad.Validation {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s %.3f", m.Model, m.ROCAUC)
		}
		b.WriteString("\n")
	}
	if m := r.Maturity; m != nil {
		fmt.Fprintf(&b, "maturity levels (churn within %d weeks):\n", m.Horizon)
		for _, lv := range m.Levels {
			fmt.Fprintf(&b, "  %d %-14s churn %s (%s CI %s to %s, %d account-weeks), %d accounts now\n", lv.Level, lv.Name,
				pct(lv.ChurnRate.Estimate), level(r.Confidence), pct(lv.ChurnRate.Lower), pct(lv.ChurnRate.Upper), lv.Rows, lv.Accounts)
		}
	}
	if u := r.Uplift; u != nil {
		fmt.Fprintf(&b, "uplift: retention %s treated vs %s control, difference %s (%s CI %s to %s)\n",
			pct(u.Treated.Retention.Estimate), pct(u.Control.Retention.Estimate), signedPct(u.Difference.Estimate),
			level(r.Confidence), signedPct(u.Difference.Lower), signedPct(u.Difference.Upper))
		if u.Warning != "" {
			fmt.Fprintf(&b, "  warning: %s\n", u.Warning)
		}
	}
	if d := r.Drift; d != nil {
		major := d.Major()
		fmt.Fprintf(&b, "drift week %s from the training weeks: %d of %d variables above PSI %.2f", d.Week, len(major), len(d.Variables), majorPSI)
		for i, v := range major[:min(5, len(major))] {
			sep := ", "
			if i == 0 {
				sep = ": "
			}
			fmt.Fprintf(&b, "%s%s %.2f", sep, v.Name, v.PSI)
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// latestComplete returns the whole history's latest period that the data
// covers to its end.
func latestComplete(series []retention.Series) (retention.ChurnPeriod, bool) {
	for _, s := range series {
		if s.Segment != retention.AllAccounts {
			continue
		}
		for i := len(s.Periods) - 1; i >= 0; i-- {
			if !s.Periods[i].Partial {
				return s.Periods[i], true
			}
		}
	}
	return retention.ChurnPeriod{}, false
}

// pct formats a share as a percentage with one decimal.
func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// signedPct formats a difference of shares in percentage points.
func signedPct(v float64) string { return fmt.Sprintf("%+.1f pp", 100*v) }
