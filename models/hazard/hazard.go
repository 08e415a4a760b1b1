// Package hazard fits a discrete-time hazard model of churn: from an
// account-week's features x, the probability h(k | x) that the account
// churns in week k after it, given that it was still a customer through
// week k-1, for k = 1 to Weeks. The curve S(k) = Π_{j≤k} (1 - h(j)) is the
// account's survival over the next half-year; the churn probability
// within any horizon, the expected weeks to churn and the probability of
// leaving before the renewal date all follow from it.
//
// The hazard is one binary model over expanded rows (account-week, k)
// with k as an input (Expand), fitted with the GBM or logistic
// regression, so each horizon's hazard log-odds is exactly a base plus
// one contribution per feature and one for the weeks ahead.
package hazard

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/logistic"
)

// Weeks is how far the survival curve reaches: half a year, long enough
// to cover most renewal windows CS works in.
const Weeks = 26

// The inputs that say which week ahead a hazard row is about. Logistic
// regression gets both k and its log, so its hazard can fall or rise with
// k along a curve and not only a line; trees split on either. When the
// features have the weeks to the next renewal, two more place week k
// against it: churn clusters at renewals, and a model given k and the
// renewal apart would have to learn their difference from interactions
// (a 12-week model only needs "renewal within 12 weeks"; the hazard
// needs "renewal in week k"). When the features also have the contract's
// term (features.RenewalTermWeeks), "renewal in week k" counts every
// renewal the term brings within the curve, not only the next: a monthly
// account meets about six in half a year, and a curve told only of the
// first reads the weeks after it as safe (README, "Time to churn"). A
// contribution shown for the weeks ahead is the sum of these inputs'
// (Timing).
const (
	WeeksAhead       = "weeks_ahead"
	LogWeeksAhead    = "log_weeks_ahead"
	WeeksPastRenewal = "weeks_ahead_past_renewal"
	RenewalWeek      = "renewal_in_week_ahead"
)

// Kinds the hazard can be fitted with.
const (
	GBM      = "gbm"
	Logistic = "logistic"
)

// Model is a fitted hazard model. Features are the account-week's
// features followed by the timing inputs (InputNames).
type Model struct {
	Kind     string   `json:"kind"`
	Weeks    int      `json:"weeks"`
	Features []string `json:"features"`
	// Sample says which rows it was fitted on, and Offset is what their
	// draw adds to the fitted log-odds to give the hazard's (Offset).
	Sample   Sample          `json:"sample"`
	Offset   float64         `json:"offset"`
	Logistic *logistic.Model `json:"logistic,omitempty"`
	GBM      *gbm.Model      `json:"gbm,omitempty"`
}

// binary is what both kinds of fitted model give: log-odds and their
// exact explanation.
type binary interface {
	LogOdds(x []float64) float64
	Explain(x, phi []float64) (base float64)
}

func (m *Model) binary() binary {
	if m.GBM != nil {
		return m.GBM
	}
	return m.Logistic
}

// Check verifies that m is whole for an artifact whose features are
// names: the kind's model is there, alone, on the names and the timing
// inputs, the curve is Weeks long and the offset is its draw's. The
// numbers of the model are the caller's to check, as for any model of
// its kind.
func (m *Model) Check(names []string) error {
	if m.Weeks != Weeks {
		return fmt.Errorf("hazard.weeks %d: want %d", m.Weeks, Weeks)
	}
	want := InputNames(names)
	if len(m.Features) != len(want) {
		return fmt.Errorf("hazard.features: %d names, want the model's %d features and %v", len(m.Features), len(names), want[len(names):])
	}
	for j := range want {
		if m.Features[j] != want[j] {
			return fmt.Errorf("hazard.features[%d] %q: want %q", j, m.Features[j], want[j])
		}
	}
	if want := Offset(m.Sample.PerRow); m.Sample.PerRow < 1 || m.Sample.PerRow > Weeks || m.Offset != want {
		return fmt.Errorf("hazard.offset %v for %d weeks per account-week: want %v", m.Offset, m.Sample.PerRow, want)
	}
	switch {
	case m.Kind == GBM && m.GBM != nil && m.Logistic == nil:
	case m.Kind == Logistic && m.Logistic != nil && m.GBM == nil:
	default:
		return fmt.Errorf("hazard.kind %q: want gbm or logistic, holding that model alone", m.Kind)
	}
	return nil
}

// InputNames returns the hazard model's inputs for an account-week's
// features names: the names, then the timing inputs.
func InputNames(names []string) []string {
	out := make([]string, 0, len(names)+4)
	out = append(out, names...)
	out = append(out, WeeksAhead, LogWeeksAhead)
	if slices.Contains(names, features.WeeksToRenewal) {
		out = append(out, WeeksPastRenewal, RenewalWeek)
	}
	return out
}

// Timing returns how many inputs at the end of a hazard model's inputs
// are about the week ahead: 2, or 4 with the renewal.
func Timing(inputs []string) int {
	if slices.Contains(inputs, WeeksPastRenewal) {
		return 4
	}
	return 2
}

// inputs builds the hazard inputs of account-weeks with features names.
type inputs struct {
	renewal int // column of the weeks to renewal, -1 without
	term    int // column of the renewal term, -1 without
}

func newInputs(names []string) inputs {
	return inputs{renewal: slices.Index(names, features.WeeksToRenewal), term: slices.Index(names, features.RenewalTermWeeks)}
}

// row writes x with week k's timing inputs into buf, reused when long
// enough.
func (in inputs) row(x []float64, k int, buf []float64) []float64 {
	buf = append(buf[:0], x...)
	buf = append(buf, float64(k), math.Log(float64(k)))
	if in.renewal >= 0 {
		r := x[in.renewal]
		near := 0.0
		if math.IsNaN(r) {
			near = math.NaN()
		} else if in.renewsIn(r, x, k) {
			near = 1
		}
		buf = append(buf, float64(k)-r, near)
	}
	return buf
}

// renewsIn reports whether a renewal falls in week k, given the next one
// r weeks on: the next, or one the term brings after it when the term is
// known. "In week k" is within a week either side of k, whichever way the
// data dates a churn at a renewal: the week holding it or the next. A
// term under two weeks would mark every week and is left unused.
func (in inputs) renewsIn(r float64, x []float64, k int) bool {
	term := math.NaN()
	if in.term >= 0 {
		term = x[in.term]
	}
	lo, hi := float64(k-1), float64(k+1)
	switch {
	case r > lo && r < hi:
		return true
	case r >= hi || !(term >= 2):
		return false
	}
	// The first renewal after lo, counted in terms from r.
	next := r + (math.Floor((lo-r)/term)+1)*term
	return next < hi
}

// LogOdds returns the hazard log-odds of week k after the account-week
// with features x.
func (m *Model) LogOdds(x []float64, k int) float64 {
	return m.binary().LogOdds(m.inputs().row(x, k, nil)) + m.Offset
}

func (m *Model) inputs() inputs { return newInputs(m.Features[:len(m.Features)-Timing(m.Features)]) }

// Curve returns the survival curve of the account-week with features x:
// s[k] is the probability that it is still a customer k weeks on, s[0] =
// 1, for k = 0 to Weeks. Every hazard is in (0, 1), so the curve never
// rises.
func (m *Model) Curve(x []float64) []float64 {
	s := make([]float64, m.Weeks+1)
	s[0] = 1
	in := m.inputs()
	var buf []float64
	b := m.binary()
	for k := 1; k <= m.Weeks; k++ {
		buf = in.row(x, k, buf)
		s[k] = s[k-1] * (1 - sigmoid(b.LogOdds(buf)+m.Offset))
	}
	return s
}

// Explain writes the contribution of each input in Features to week k's
// hazard log-odds into phi (len(Features)) and returns the base value:
// base + sum(phi) == LogOdds(x, k), exactly as the kind's own explanation
// (TreeSHAP or the linear terms), the sampling offset in the base.
func (m *Model) Explain(x []float64, k int, phi []float64) (base float64) {
	return m.binary().Explain(m.inputs().row(x, k, nil), phi) + m.Offset
}

// Within returns the probability of churning within h weeks from a
// curve: 1 - S(h), h capped at the curve's end.
func Within(s []float64, h int) float64 {
	h = min(max(h, 0), len(s)-1)
	return 1 - s[h]
}

// ExpectedWeeks returns the restricted mean weeks to churn over the
// curve's span: E[min(T, Weeks)] = Σ_{k<Weeks} S(k). An account that
// nobody expects to leave scores Weeks, not infinity.
func ExpectedWeeks(s []float64) float64 {
	sum := 0.0
	for _, v := range s[:len(s)-1] {
		sum += v
	}
	return sum
}

// WeeksTo returns the weeks from week to date that a curve counts: churn
// in week k after week falls in (week+7(k-1), week+7k], so a date in that
// span is k weeks on. It is 0 for a date on or before week.
func WeeksTo(week, date features.Date) int {
	if date <= week {
		return 0
	}
	return int((date - week + 6) / 7)
}

// BeforeRenewal returns the probability of churning before a renewal
// weeks on (WeeksTo): 1 - S(weeks), with a renewal further than the
// curve reaches capped at its end, so it is the probability of leaving
// within the curve's Weeks. A renewal due now or past gives 0.
func BeforeRenewal(s []float64, weeks int) float64 { return Within(s, weeks) }

// FitOptions configure Fit.
type FitOptions struct {
	Kind     string
	GBM      gbm.Params
	Logistic logistic.Params
	Progress func(done, total int)
}

// Fit fits the hazard model on rows Expand built (Features ending with
// the timing inputs). sample is recorded in the model.
func Fit(ctx context.Context, rows *features.Dataset, sample Sample, opt FitOptions) (*Model, error) {
	n := len(rows.Features) - Timing(rows.Features)
	if n < 1 || !slices.Equal(InputNames(rows.Features[:n]), rows.Features) {
		return nil, fmt.Errorf("hazard: rows have no timing inputs: build them with Expand")
	}
	m := &Model{Kind: opt.Kind, Weeks: Weeks, Features: rows.Features, Sample: sample, Offset: Offset(sample.PerRow)}
	var err error
	switch opt.Kind {
	case GBM:
		// gbm.StartAuto decides as for any GBM. Where several weeks are
		// drawn per account-week, churn weeks are far under
		// gbm.RareShare of the rows, so it starts from even odds and the
		// first trees split as if churn and staying were balanced. That
		// ranked the curve better than a start from the weekly rate
		// (README, "Time to churn", for the figures), at some cost to
		// its level, which is not calibrated either way.
		m.GBM, err = gbm.Fit(ctx, rows, nil, opt.GBM, opt.Progress)
	case Logistic:
		m.Logistic, err = logistic.FitProgress(ctx, rows, opt.Logistic, opt.Progress)
	default:
		return nil, fmt.Errorf("hazard: kind %q: want %s or %s", opt.Kind, GBM, Logistic)
	}
	if err != nil {
		return nil, fmt.Errorf("hazard %s: %w", opt.Kind, err)
	}
	return m, nil
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
