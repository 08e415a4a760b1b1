package ranking

import (
	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// Drift compares the book's week, every active account's latest features
// and score, with the training distribution the model recorded: one
// models.Drift per feature, then the score's. It returns nil for a model
// trained before churn recorded one, or for an empty book.
func (b *Book) Drift() ([]models.Drift, error) {
	ref := b.Model.Drift
	if ref == nil || len(b.Accounts) == 0 {
		return nil, nil
	}
	ds := &features.Dataset{Features: b.Model.Features}
	ds.X = make([]float64, 0, len(b.Accounts)*len(b.Model.Features))
	prob := make([]float64, len(b.Accounts))
	for i, a := range b.Accounts {
		ds.Append(a.AccountID, a.Week, a.Features)
		prob[i] = a.Score.Probability
	}
	return ref.Compare(ds, prob)
}
