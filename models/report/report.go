package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
)

// Report is everything the retention report shows, as report.json holds
// it. Summarize fills the measurements every book has; Adoption and
// Uplift are set by the caller when it has a split and a treatment file.
type Report struct {
	Snapshots  string        `json:"snapshots"`
	First      features.Date `json:"first_week"`
	Last       features.Date `json:"last_week"`
	Accounts   int           `json:"accounts"`
	Horizon    int           `json:"horizon_weeks"`
	Confidence float64       `json:"confidence"`
	HasARR     bool          `json:"has_arr"`

	// Monthly and Quarterly hold churn and revenue retention for the whole
	// book, then per segment.
	Monthly   []Series `json:"monthly"`
	Quarterly []Series `json:"quarterly"`
	// Cohorts are monthly sign-up cohorts; QuarterlyCohorts group them by
	// quarter, which a chart can show when there are many months.
	Cohorts          Cohorts `json:"cohorts"`
	QuarterlyCohorts Cohorts `json:"quarterly_cohorts"`
	// Indicators is nil when the data is too short for the horizon.
	Indicators *Indicators `json:"indicators,omitempty"`
	Adoption   *Adoption   `json:"adoption,omitempty"`
	Uplift     *Uplift     `json:"uplift,omitempty"`
	// Notes say what was left out and why.
	Notes []string `json:"notes,omitempty"`
}

// Options configure Summarize. Zero fields select the defaults.
type Options struct {
	// Horizon is how far ahead retention is measured, in weeks; default
	// features.DefaultHorizon.
	Horizon int
	// Confidence is the level of every interval; default 0.95.
	Confidence float64
	// Indicators set the indicator grid; their Horizon and Confidence
	// are the ones above.
	Indicators IndicatorOptions
}

// Summarize measures churn, revenue retention, cohorts and leading
// indicators of the book. Data too short for the horizon leaves the
// indicators out, with a note.
func Summarize(ctx context.Context, b *Book, opt Options) (*Report, error) {
	if opt.Horizon == 0 {
		opt.Horizon = features.DefaultHorizon
	}
	if opt.Confidence == 0 {
		opt.Confidence = DefaultConfidence
	}
	r := &Report{
		Snapshots: b.File, First: b.First, Last: b.Last, Accounts: b.Accounts(),
		Horizon: opt.Horizon, Confidence: opt.Confidence, HasARR: b.HasARR,
	}
	var err error
	if r.Monthly, err = b.Churn(ctx, Monthly); err != nil {
		return nil, err
	}
	if r.Quarterly, err = b.Churn(ctx, Quarterly); err != nil {
		return nil, err
	}
	if r.Cohorts, err = b.Cohorts(ctx, Monthly); err != nil {
		return nil, err
	}
	if r.QuarterlyCohorts, err = b.Cohorts(ctx, Quarterly); err != nil {
		return nil, err
	}
	grid := opt.Indicators
	grid.Horizon, grid.Confidence = opt.Horizon, opt.Confidence
	r.Indicators, err = b.FindIndicators(ctx, grid)
	if errors.Is(err, ErrShortHistory) {
		r.Notes = append(r.Notes, "No leading indicators: "+err.Error()+".")
	} else if err != nil {
		return nil, err
	}
	return r, nil
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
		b.WriteString("validation ROC AUC:")
		for i, m := range ad.Validation {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s %.3f", m.Model, m.ROCAUC)
		}
		b.WriteString("\n")
	}
	if u := r.Uplift; u != nil {
		fmt.Fprintf(&b, "uplift: retention %s treated vs %s control, difference %s (%s CI %s to %s)\n",
			pct(u.Treated.Retention.Estimate), pct(u.Control.Retention.Estimate), signedPct(u.Difference.Estimate),
			level(r.Confidence), signedPct(u.Difference.Lower), signedPct(u.Difference.Upper))
		if u.Warning != "" {
			fmt.Fprintf(&b, "  warning: %s\n", u.Warning)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// latestComplete returns the whole book's latest period that the data
// covers to its end.
func latestComplete(series []Series) (Period, bool) {
	for _, s := range series {
		if s.Segment != AllAccounts {
			continue
		}
		for i := len(s.Periods) - 1; i >= 0; i-- {
			if !s.Periods[i].Partial {
				return s.Periods[i], true
			}
		}
	}
	return Period{}, false
}

// pct formats a share as a percentage with one decimal.
func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// signedPct formats a difference of shares in percentage points.
func signedPct(v float64) string { return fmt.Sprintf("%+.1f pp", 100*v) }
