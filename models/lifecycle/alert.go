package lifecycle

import (
	"time"

	"github.com/churnlabs/churn/features"
)

// Cause is why an alert was raised.
type Cause string

// The causes of an alert. Each is raised when an account enters the
// state it names between two consecutive recorded weeks, so an account
// that stays in the state is not alerted again until it has left it.
const (
	// TurnedRed: the account's health was not red last week and is now.
	TurnedRed Cause = "turned_red"
	// Jumped: the churn probability rose by more than the threshold
	// since last week.
	Jumped Cause = "jumped"
	// RenewalRed: the account is red inside its renewal window, and
	// was not (red, or inside the window) last week.
	RenewalRed Cause = "renewal_red"
)

// AlertStatus is how far the delivery of an alert went.
type AlertStatus string

// The delivery statuses. Pending alerts have not been tried to the end;
// failed ones were tried as many times as allowed and are tried again on
// the next run; delivered ones are done.
const (
	Pending   AlertStatus = "pending"
	Delivered AlertStatus = "delivered"
	Failed    AlertStatus = "failed"
)

// Alert is one alert about one account, for one cause, in one week: the
// store keeps each once, which is what makes sending alerts idempotent.
type Alert struct {
	AccountID string
	Cause     Cause
	// Week is the recorded week whose scores raised the alert.
	Week         features.Date
	ModelVersion string
	// Probability and Health are this week's; Previous and
	// PreviousHealth the week before's.
	Probability    float64
	Previous       float64
	Health         string
	PreviousHealth string
	// RenewalDate is NoDate when unknown.
	RenewalDate features.Date

	// Delivery, kept by the store.
	Status    AlertStatus
	Attempts  int
	LastError string
	// CreatedAt is when the alert was stored (the store sets it when
	// zero); DeliveredAt when a receiver accepted it.
	CreatedAt   time.Time
	DeliveredAt time.Time
}

// DaysToRenewal is the number of days from the alert's week to the
// renewal, -1 when the renewal date is unknown.
func (a *Alert) DaysToRenewal() int {
	if a.RenewalDate == features.NoDate {
		return -1
	}
	return int(a.RenewalDate - a.Week)
}
