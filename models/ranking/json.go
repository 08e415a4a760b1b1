package ranking

import (
	"encoding/json"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/jsonfloat"
	"github.com/churnlabs/churn/models"
)

// Document is a ranking as JSON carries it, from "churn score --format
// json" and from the server alike: the accounts with the date, model and
// health rule they were ranked under.
type Document struct {
	AsOf         features.Date `json:"as_of"`
	ModelVersion string        `json:"model_version"`
	Health       models.Health `json:"health"`
	Count        int           `json:"count"`
	Accounts     []*Account    `json:"accounts"`
}

// Document returns the accounts, ranked from b, as a Document.
func (b *Book) Document(accounts []*Account) Document {
	return Document{b.AsOf, b.Model.Version, b.Model.Health, len(accounts), accounts}
}

// MarshalJSON writes an account with unknown numbers (NaN) as null:
// encoding/json cannot write NaN, and "unknown" is what they mean.
func (a *Account) MarshalJSON() ([]byte, error) {
	type plain Account // plain has Account's fields but not this method
	return json.Marshal(struct {
		*plain
		ARR           jsonfloat.Float `json:"arr"`
		ARRAtRisk     jsonfloat.Float `json:"arr_at_risk"`
		Change        jsonfloat.Float `json:"change"`
		RenewalDate   *string         `json:"renewal_date"`
		DaysToRenewal *int            `json:"days_to_renewal"`
	}{
		plain:         (*plain)(a),
		ARR:           jsonfloat.Float(a.ARR),
		ARRAtRisk:     jsonfloat.Float(a.ARRAtRisk),
		Change:        jsonfloat.Float(a.Change),
		RenewalDate:   date(a),
		DaysToRenewal: days(a),
	})
}

func date(a *Account) *string {
	if a.DaysToRenewal < 0 {
		return nil
	}
	s := a.RenewalDate.String()
	return &s
}

func days(a *Account) *int {
	if a.DaysToRenewal < 0 {
		return nil
	}
	return &a.DaysToRenewal
}
