package lifecycle

import (
	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/ranking"
)

// Records returns the score of every account in b as a ScoreRecord of
// b's model version, with the account's top drivers as its top
// contributions: what a ranking shows of each account, ready to store.
func Records(b *ranking.Book) []ScoreRecord {
	recs := make([]ScoreRecord, len(b.Accounts))
	for i, a := range b.Accounts {
		top := make([]Contribution, len(a.Drivers))
		for j, d := range a.Drivers {
			top[j] = Contribution{Feature: d.Feature, Value: d.Value, Contribution: d.Contribution}
		}
		recs[i] = ScoreRecord{
			AccountID: a.AccountID, Week: a.Week, ModelVersion: b.Model.Version, Segment: a.Segment,
			Probability: a.Probability, LogOdds: a.Score.LogOdds, Health: a.Health, Top: top,
		}
	}
	return recs
}

// Shown returns the lookup ranking.Book.UseRecorded takes over history
// as a store's ShownHistory returns it.
func Shown(history map[string][]WeekScore) ranking.Recorded {
	return func(id string, week features.Date) (float64, bool) {
		for _, ws := range history[id] {
			if ws.Week == week {
				return ws.Probability, true
			}
		}
		return 0, false
	}
}
