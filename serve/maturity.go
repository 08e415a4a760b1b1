package serve

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models/maturity"
	"github.com/churnlabs/churn/models/ranking"
)

// Maturity configures the maturity levels of a server: every load places
// each ranked account on the ladder at its scored week, as "churn score
// --maturity" does, and measures churn by level, as "churn report" does.
type Maturity struct {
	// Ladder is the configured ladder; nil learns one from the
	// snapshots' history on every load.
	Ladder *maturity.Ladder
	// Source says where the ladder comes from, for errors and GET
	// /v1/maturity: the ladder file, or "" when learned.
	Source string
}

// maturityState is what a load measured of maturity: the ladder, churn
// by level and how many ranked accounts each level holds now. The
// accounts' own levels are on their ranking entries; the history they
// were placed on is not kept, so the memory follows the accounts.
type maturityState struct {
	res *maturity.Result
	// placed counts the ranked accounts placed on a level; unplaced
	// those the history has no snapshot of at their scored week.
	placed, unplaced int
}

// placeMaturity measures maturity on the history read beside the book
// and sets every ranked account's level and what it lacks for the next.
func placeMaturity(ctx context.Context, cfg *Maturity, horizon int, hist *retention.History, book *ranking.Book) (*maturityState, error) {
	wrap := func(err error) error {
		if cfg.Ladder != nil {
			return fmt.Errorf("maturity ladder %s: %w", cfg.source(), err)
		}
		return fmt.Errorf("maturity ladder learned from %s: %w", hist.File, err)
	}
	if cfg.Ladder != nil {
		// Measure checks this too, but only after finding every
		// indicator of the grid: a missing column is the user's to fix,
		// and quick to tell.
		if err := cfg.Ladder.CheckColumns(hist.Columns); err != nil {
			return nil, wrap(err)
		}
	}
	res, err := maturity.Measure(ctx, hist, maturity.Options{
		Grid:   retention.IndicatorOptions{Horizon: horizon},
		Ladder: cfg.Ladder,
	})
	if err != nil {
		return nil, wrap(err)
	}
	// Measure places the history's current accounts; the server shows
	// the ranked ones, each at the week it was scored, as churn score
	// --maturity does, and counts those.
	res.Accounts = nil
	ms := &maturityState{res: res}
	counts := make([]int, maturity.Levels+1)
	for _, a := range book.Accounts {
		level, lacks, found := res.Ladder.PlaceAt(hist, a.AccountID, a.Week)
		if !found {
			ms.unplaced++
			continue
		}
		a.MaturityLevel, a.MaturityName, a.MaturityLacks = level, maturity.Name(level), maturity.Criteria(lacks)
		counts[level]++
		ms.placed++
	}
	for i := range res.Levels {
		res.Levels[i].Accounts = counts[res.Levels[i].Level]
	}
	return ms, nil
}

// errNoMaturity answers GET /v1/maturity on a server without levels.
const errNoMaturity = "this server places no accounts on maturity levels: start churn serve with " +
	"--maturity FILE (a ladder) or --maturity learn"

// maturityStep is a ladder step as GET /v1/maturity gives it.
type maturityStep struct {
	To   int    `json:"to_level"`
	Name string `json:"name"`
	// Indicators must all be met to reach the level.
	Indicators []maturity.Criterion `json:"indicators"`
	// Share is the share of the reference account-weeks that meet the
	// step on its own, for a learned ladder; absent for a configured one.
	Share float64 `json:"share,omitempty"`
}

// maturity answers GET /v1/maturity: the ladder, churn by level with its
// interval and the account-weeks counted, and the ranked accounts at
// each level now.
func (s *Server) maturity(c *gin.Context) {
	st := s.state.Load()
	if st.table != nil {
		s.fail(c, http.StatusNotFound, errTableModel)
		return
	}
	if q := c.Request.URL.RawQuery; q != "" {
		// As for the other routes, a parameter is never silently
		// ignored: this one takes none.
		s.fail(c, http.StatusBadRequest, "GET /v1/maturity takes no query parameters, got "+excerpt(q))
		return
	}
	m := st.maturity
	if m == nil {
		s.fail(c, http.StatusNotFound, errNoMaturity)
		return
	}
	steps := make([]maturityStep, len(m.res.Ladder.Steps))
	for i, step := range m.res.Ladder.Steps {
		steps[i] = maturityStep{step.To, maturity.Name(step.To), maturity.Criteria(step.Indicators), step.Share}
	}
	s.reply(c, http.StatusOK, struct {
		Rule    string `json:"rule"`
		Learned bool   `json:"learned"`
		Source  string `json:"source"`
		// Week is the history's latest week; AsOf the book's.
		Week       features.Date  `json:"week"`
		AsOf       features.Date  `json:"as_of"`
		Horizon    int            `json:"horizon_weeks"`
		Confidence float64        `json:"confidence"`
		Steps      []maturityStep `json:"steps"`
		// Levels' churn rates are null for a level without rows.
		Levels   []maturity.LevelStats `json:"levels"`
		Accounts int                   `json:"accounts"`
		Unplaced int                   `json:"unplaced"`
	}{m.res.Rule, m.res.Learned, s.cfg.Maturity.source(), m.res.Week, st.book.AsOf, m.res.Horizon,
		retention.DefaultConfidence, steps, m.res.Levels, m.placed, m.unplaced})
}

// source names the ladder's origin for GET /v1/maturity and errors.
func (m *Maturity) source() string {
	switch {
	case m.Ladder == nil:
		return "learned"
	case m.Source == "":
		return "configured"
	}
	return m.Source
}
