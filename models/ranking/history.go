package ranking

import (
	"context"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// historyFrom is the first week of a book as of last whose scores an
// account's weekly history holds: the book's last HistoryWeeks weeks. A
// history of weeks, not of an account's last rows, lines the sparklines
// of all accounts up, and an account that stopped reporting months ago
// shows its latest score alone rather than a stale trend.
func historyFrom(last features.Date) features.Date {
	return last.AddDays(-7 * (HistoryWeeks - 1))
}

// Load builds the features of src's snapshots for the model's spec and
// the book of their active accounts as of the latest week, as Build does
// from a table kept with KeepWeeks HistoryWeeks, but the weekly history
// is scored as the rows are built (features.BuildOptions.Recent): the
// table keeps each account's latest row, not its last twelve, which at a
// million accounts and fifty features is 4.5 GB less. opt's Spec,
// KeepWeeks, Recent and RecentWeeks are Load's to set; the table, with
// one row per account, is returned for what else the caller reads of it.
func Load(ctx context.Context, a *models.Artifact, src features.Source, opt features.BuildOptions) (*Book, *features.Table, error) {
	scorer, err := models.NewScorer(a)
	if err != nil {
		return nil, nil, err
	}
	var weeks *weeklyScores
	opt.Spec, opt.KeepWeeks, opt.RecentWeeks = &a.Spec, 1, HistoryWeeks
	opt.Recent = func() func(int, features.Date, []float64) {
		weeks = &weeklyScores{scorer: scorer}
		return weeks.record
	}
	tab, err := features.Build(ctx, src, opt)
	if err != nil {
		return nil, nil, err
	}
	b, err := build(ctx, a, scorer, tab, weeks)
	return b, tab, err
}

// weeklyScores holds each account's scores at its rows of the book's last
// HistoryWeeks weeks, by the account's index in the table, as the table
// is built. Accounts are kept in blocks: a million accounts' scores are
// 200 MB, which one growing slice would copy as it doubled.
type weeklyScores struct {
	scorer *models.Scorer
	blocks [][]accountWeeks
}

// accountWeeks is one account's scores, oldest first.
type accountWeeks struct {
	n      int
	scores [HistoryWeeks]struct {
		week        features.Date
		probability float64
	}
}

const weeksBlock = 4096

// record scores the row of account a at week, which features.Build hands
// over in week order for each account.
func (w *weeklyScores) record(a int, week features.Date, row []float64) {
	for a/weeksBlock >= len(w.blocks) {
		w.blocks = append(w.blocks, make([]accountWeeks, weeksBlock))
	}
	acc := &w.blocks[a/weeksBlock][a%weeksBlock]
	if acc.n == HistoryWeeks {
		// Only the last HistoryWeeks weeks are handed over, a row per
		// week, so this is a caller's mistake; keep the latest.
		copy(acc.scores[:], acc.scores[1:])
		acc.n--
	}
	s := &acc.scores[acc.n]
	s.week, s.probability = week, w.scorer.Probability(row)
	acc.n++
}

// before appends to dst account a's scores of the weeks before week, in
// week order.
func (w *weeklyScores) before(dst []WeekScore, a int, week features.Date) []WeekScore {
	if a/weeksBlock >= len(w.blocks) {
		return dst
	}
	acc := &w.blocks[a/weeksBlock][a%weeksBlock]
	for _, s := range acc.scores[:acc.n] {
		if s.week < week {
			dst = append(dst, WeekScore{Week: s.week, Probability: s.probability})
		}
	}
	return dst
}
