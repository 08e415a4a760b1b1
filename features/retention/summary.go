package retention

import (
	"context"
	"errors"

	"github.com/churnlabs/churn/features"
)

// Report holds the retention statistics of a history: what Measure
// measures. The full report, with the adoption score and the uplift,
// charts and HTML, is assembled by models/report.
type Report struct {
	Snapshots  string        `json:"snapshots"`
	First      features.Date `json:"first_week"`
	Last       features.Date `json:"last_week"`
	Accounts   int           `json:"accounts"`
	Horizon    int           `json:"horizon_weeks"`
	Confidence float64       `json:"confidence"`
	HasARR     bool          `json:"has_arr"`

	// Monthly and Quarterly hold churn and revenue retention for the whole
	// history, then per segment.
	Monthly   []Series `json:"monthly"`
	Quarterly []Series `json:"quarterly"`
	// Cohorts are monthly sign-up cohorts; QuarterlyCohorts group them by
	// quarter, which a chart can show when there are many months.
	Cohorts          Cohorts `json:"cohorts"`
	QuarterlyCohorts Cohorts `json:"quarterly_cohorts"`
	// Indicators is nil when the data is too short for the horizon.
	Indicators *Indicators `json:"indicators,omitempty"`
	// Notes say what was left out and why.
	Notes []string `json:"notes,omitempty"`
}

// Options configure Measure. Zero fields select the defaults.
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

// Measure measures churn, revenue retention, cohorts and leading
// indicators of the history. Data too short for the horizon leaves the
// indicators out, with a note.
func Measure(ctx context.Context, b *History, opt Options) (*Report, error) {
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
