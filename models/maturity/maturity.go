// Package maturity places accounts on the four-level customer maturity
// model CS teams use (1 onboarding, 2 functional use, 3 strategic use, 4
// optimisation and advocacy), built from the leading indicators of
// retention that the retention report finds, and measures how retention
// differs by level.
//
// The rule: the ladder has three steps, each a set of indicators. An
// account is at level k+1 when it meets every indicator of steps 1 to k
// and not all of step k+1; an account that meets none of step 1 is at
// level 1. Learned ladders take one indicator per step: the three
// highest-lift indicators whose retention difference is significant, of
// three different columns, ordered by how many account-weeks meet them,
// most first, so that the first step is the behaviour most accounts reach
// and the last the rarest.
package maturity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
)

// Levels is the number of maturity levels.
const Levels = 4

// Name returns level k's name in the four-level model.
func Name(k int) string {
	switch k {
	case 1:
		return "onboarding"
	case 2:
		return "functional use"
	case 3:
		return "strategic use"
	case 4:
		return "optimisation"
	}
	return fmt.Sprintf("level %d", k)
}

// ErrTooFewIndicators is returned by Learn when fewer indicators than
// steps make a significant difference to retention.
var ErrTooFewIndicators = errors.New("too few significant leading indicators of different columns for the maturity steps")

// Step is what an account must meet to reach level To.
type Step struct {
	To         int                   `json:"to_level" yaml:"to_level"`
	Indicators []retention.Indicator `json:"indicators" yaml:"indicators"`
	// Share is the share of the reference account-weeks that meet the
	// step's indicators on their own, when the ladder was learned.
	Share float64 `json:"share,omitempty" yaml:"share,omitempty"`
}

// Ladder is the steps from level 1 to level Levels, in order.
type Ladder struct {
	Steps []Step `json:"steps" yaml:"steps"`
}

// Validate checks that the ladder has Levels-1 steps, each with at least
// one indicator, numbered 2 to Levels.
func (l *Ladder) Validate() error {
	_, err := l.validate()
	return err
}

// validate is Validate that also says where the mistake is, as a YAML
// path into the ladder's file ("$.steps[1].indicators[0]"), so that
// ReadLadder can name its line.
func (l *Ladder) validate() (path string, err error) {
	if len(l.Steps) != Levels-1 {
		return "$.steps", fmt.Errorf("maturity ladder: %d steps, want %d", len(l.Steps), Levels-1)
	}
	for i, s := range l.Steps {
		if s.To != i+2 {
			return fmt.Sprintf("$.steps[%d]", i), fmt.Errorf("maturity ladder: step %d leads to level %d, want %d", i+1, s.To, i+2)
		}
		if len(s.Indicators) == 0 {
			return fmt.Sprintf("$.steps[%d]", i), fmt.Errorf("maturity ladder: step to level %d has no indicator", s.To)
		}
		for j, ind := range s.Indicators {
			if err := checkIndicator(ind); err != nil {
				return fmt.Sprintf("$.steps[%d].indicators[%d]", i, j), fmt.Errorf("maturity ladder: step to level %d: %w", s.To, err)
			}
		}
	}
	return "", nil
}

// Place returns the level of an account, given whether it meets each
// indicator, and the indicators of the next step that it fails: what it
// lacks for the next level (none at the top level).
func (l *Ladder) Place(meets func(retention.Indicator) bool) (level int, lacks []retention.Indicator) {
	level = 1
	for _, s := range l.Steps {
		for _, ind := range s.Indicators {
			if !meets(ind) {
				lacks = append(lacks, ind)
			}
		}
		if len(lacks) > 0 {
			return level, lacks
		}
		level = s.To
	}
	return level, nil
}

// PlaceAt places the account with the given id at week w of the history,
// as Measure places current accounts; found is false when the history has
// no snapshot of it that week.
func (l *Ladder) PlaceAt(b *retention.History, id string, w features.Date) (level int, lacks []retention.Indicator, found bool) {
	found = true
	level, lacks = l.Place(func(ind retention.Indicator) bool {
		m, ok := b.Meets(id, w, ind)
		found = found && ok
		return m
	})
	return level, lacks, found
}

// Learn builds a ladder from ranked indicators (FindIndicators' Ranked,
// highest lift first) and the sample they were judged on, by the rule of
// the package doc.
func Learn(found *retention.Indicators, sample *retention.Sample) (*Ladder, error) {
	var chosen []retention.IndicatorResult
	for _, r := range found.Ranked {
		if len(chosen) == Levels-1 {
			break
		}
		if r.Difference.Lower <= 0 || slices.ContainsFunc(chosen, func(c retention.IndicatorResult) bool { return c.Column == r.Column }) {
			continue
		}
		chosen = append(chosen, r)
	}
	if len(chosen) < Levels-1 {
		return nil, fmt.Errorf("%w: %d of %d", ErrTooFewIndicators, len(chosen), Levels-1)
	}
	share := func(r retention.IndicatorResult) float64 {
		return float64(r.Meet.Rows) / float64(r.Meet.Rows+r.NotMeet.Rows)
	}
	slices.SortStableFunc(chosen, func(x, y retention.IndicatorResult) int { return cmp.Compare(share(y), share(x)) })
	l := &Ladder{}
	for i, r := range chosen {
		l.Steps = append(l.Steps, Step{To: i + 2, Indicators: []retention.Indicator{r.Indicator}, Share: share(r)})
	}
	return l, nil
}

// LevelStats is the retention of the account-weeks at one level.
type LevelStats struct {
	Level int    `json:"level"`
	Name  string `json:"name"`
	// Rows are the reference account-weeks at the level, Churned those
	// that churned within the horizon; ChurnRate is their ratio with its
	// Wilson interval.
	Rows      int                `json:"rows"`
	Churned   int                `json:"churned"`
	ChurnRate retention.Interval `json:"churn_rate"`
	// Accounts counts the current accounts at the level.
	Accounts int `json:"accounts"`
}

// Account is a current account's level and what it lacks for the next.
type Account struct {
	ID    string   `json:"account_id"`
	Level int      `json:"level"`
	Lacks []string `json:"lacks,omitempty"`
}

// Result is a ladder, retention by level and every current account's level.
type Result struct {
	Rule string `json:"rule"`
	// Learned is false when the ladder was configured (Options.Ladder).
	Learned bool   `json:"learned"`
	Ladder  Ladder `json:"ladder"`
	Horizon int    `json:"horizon_weeks"`
	// Week is the week the accounts are placed at: the history's latest.
	Week     features.Date `json:"week"`
	Levels   []LevelStats  `json:"levels"`
	Accounts []Account     `json:"accounts"`
}

// Rule states how levels are given, for the report.
const Rule = "level k+1 when an account meets every indicator of steps 1 to k; " +
	"learned steps are the three strongest significant indicators of different columns, most common first"

// Options configure Measure.
type Options struct {
	// Grid is the indicator grid, as for the retention report.
	Grid retention.IndicatorOptions
	// Ladder, when not nil, is used instead of a learned one.
	Ladder *Ladder
}

// Measure learns a ladder from the history (or takes opt.Ladder), measures
// the churn rate within the horizon by level on the reference account-weeks
// the indicators were judged at, and places every current account at the
// history's latest week.
//
// With a learned ladder the retention by level is measured on the rows the
// steps were chosen on, so the spread between levels is somewhat
// optimistic.
func Measure(ctx context.Context, b *retention.History, opt Options) (*Result, error) {
	found, sample, err := b.FindIndicatorsSample(ctx, opt.Grid)
	if err != nil {
		return nil, err
	}
	ladder := opt.Ladder
	if ladder == nil {
		if ladder, err = Learn(found, sample); err != nil {
			return nil, err
		}
	} else if err := ladder.Validate(); err != nil {
		return nil, err
	} else if err := ladder.CheckColumns(b.Columns); err != nil {
		return nil, err
	}
	confidence := opt.Grid.Confidence
	if confidence == 0 {
		confidence = retention.DefaultConfidence
	}
	res := &Result{Rule: Rule, Learned: opt.Ladder == nil, Ladder: *ladder, Horizon: found.Horizon, Week: b.Last}
	met := map[retention.Indicator][]bool{}
	for _, s := range ladder.Steps {
		for _, ind := range s.Indicators {
			met[ind] = sample.Meets(ind)
		}
	}
	retained := sample.Retained()
	rows, churned := make([]int, Levels+1), make([]int, Levels+1)
	for i := range retained {
		lv, _ := ladder.Place(func(ind retention.Indicator) bool { return met[ind][i] })
		rows[lv]++
		if !retained[i] {
			churned[lv]++
		}
	}
	counts := make([]int, Levels+1)
	for n, id := range b.Current() {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lv, lacks, _ := ladder.PlaceAt(b, id, b.Last)
		counts[lv]++
		a := Account{ID: id, Level: lv}
		for _, ind := range lacks {
			a.Lacks = append(a.Lacks, ind.String())
		}
		res.Accounts = append(res.Accounts, a)
	}
	for lv := 1; lv <= Levels; lv++ {
		res.Levels = append(res.Levels, LevelStats{Level: lv, Name: Name(lv), Rows: rows[lv], Churned: churned[lv],
			ChurnRate: retention.Wilson(churned[lv], rows[lv], confidence), Accounts: counts[lv]})
	}
	return res, nil
}

// Criterion is an indicator with its description in words, as an API
// gives it: the structured fields for a program, the words for a person.
type Criterion struct {
	retention.Indicator
	Description string `json:"description"`
}

// Criteria describes each of the indicators.
func Criteria(inds []retention.Indicator) []Criterion {
	if len(inds) == 0 {
		return nil
	}
	out := make([]Criterion, len(inds))
	for i, ind := range inds {
		out[i] = Criterion{Indicator: ind, Description: ind.String()}
	}
	return out
}
