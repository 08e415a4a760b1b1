package plays

import (
	"cmp"
	"math"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/jsonfloat"
	"github.com/churnlabs/churn/models/ranking"
)

// Touchpoint is one step of a renewal sequence.
type Touchpoint struct {
	// DaysBefore is how many days before the renewal it falls.
	DaysBefore int `json:"days_before"`
	// Date is the renewal date minus DaysBefore.
	Date features.Date `json:"date"`
}

// Play is an account in its renewal window and what to do about it this
// week.
type Play struct {
	Account   *ranking.Account `json:"-"`
	AccountID string           `json:"account_id"`
	Segment   string           `json:"segment"`
	// RenewalType is the renewal type whose touchpoints the play follows:
	// the account's (ranking.Account.RenewalType), Signature when that is
	// unknown.
	RenewalType string `json:"renewal_type"`
	// RenewalDate and DaysToRenewal count from the book's week.
	RenewalDate   features.Date `json:"renewal_date"`
	DaysToRenewal int           `json:"days_to_renewal"`
	Probability   float64       `json:"churn_probability"`
	// Health is the colour under the segment's cut-offs (see CutoffsOf):
	// set by hand, learned by the model, else the model's.
	Health string `json:"health"`
	// ARR is NaN when unknown, and ARRAtRisk with it.
	ARR       jsonfloat.Float `json:"arr"`
	ARRAtRisk jsonfloat.Float `json:"arr_at_risk"`
	// Due are the touchpoints whose date falls in the book's week; Next
	// is the first one after it, nil when none is left.
	Due  []Touchpoint `json:"due"`
	Next *Touchpoint  `json:"next"`
}

// Week is the plays of a book's week, ARR at risk first (unknown ARR
// last, then by churn probability).
type Week struct {
	// Week is the first day of the week; the touchpoints due are those
	// dated Week to Week+6.
	Week  features.Date `json:"week"`
	Plays []Play        `json:"plays"`
}

// For computes the plays of b's week under segs (nil for Default only).
// An account is in its renewal window when its renewal is 0 to its
// segment's lead time days away; a touchpoint D days before the renewal is
// due in the week containing renewal-D.
func For(b *ranking.Book, segs *Segments) Week {
	seatsAt := -1
	if b.Model != nil {
		seatsAt = slices.Index(b.Model.Features, segs.Seats())
	}
	w := Week{Week: b.AsOf, Plays: []Play{}}
	end := b.AsOf.AddDays(7)
	for _, a := range b.Accounts {
		if a.RenewalDate == features.NoDate || a.RenewalDate < b.AsOf {
			continue
		}
		g := segs.Match(a.Segment, a.ARR, seatsOf(a, seatsAt))
		days := int(a.RenewalDate - b.AsOf)
		if days > g.Lead() {
			continue
		}
		p := Play{
			Account: a, AccountID: a.AccountID, Segment: g.Name, RenewalType: renewalType(a),
			RenewalDate: a.RenewalDate, DaysToRenewal: days,
			Probability: a.Probability, Health: a.Health, ARR: jsonfloat.Float(a.ARR), ARRAtRisk: jsonfloat.Float(a.ARRAtRisk),
			Due: []Touchpoint{},
		}
		if b.Model != nil {
			if h, err := CutoffsOf(g, b.Model); err == nil {
				p.Health = h.Colour(a.Probability)
			}
		}
		for _, d := range g.For(p.RenewalType) {
			t := Touchpoint{DaysBefore: d, Date: a.RenewalDate.AddDays(-d)}
			switch {
			case t.Date >= b.AsOf && t.Date < end:
				p.Due = append(p.Due, t)
			case t.Date >= end && (p.Next == nil || t.Date < p.Next.Date):
				p.Next = &t
			}
		}
		w.Plays = append(w.Plays, p)
	}
	slices.SortStableFunc(w.Plays, byARRAtRisk)
	return w
}

// renewalType is the renewal type whose touchpoints a's play follows:
// its own, or Signature when unknown, as a contract that needs a signature
// is the one a missed touchpoint loses.
func renewalType(a *ranking.Account) string {
	if a.RenewalType == features.RenewalAuto {
		return Auto
	}
	return Signature
}

// DueOnly keeps the plays with a touchpoint due this week.
func (w Week) DueOnly() Week {
	w.Plays = slices.DeleteFunc(slices.Clone(w.Plays), func(p Play) bool { return len(p.Due) == 0 })
	return w
}

func byARRAtRisk(a, b Play) int {
	ar, br := float64(a.ARRAtRisk), float64(b.ARRAtRisk)
	an, bn := math.IsNaN(ar), math.IsNaN(br)
	switch {
	case an != bn:
		if an {
			return 1
		}
		return -1
	case !an && ar != br:
		return cmp.Compare(br, ar)
	case a.Probability != b.Probability:
		return cmp.Compare(b.Probability, a.Probability)
	}
	return cmp.Compare(a.AccountID, b.AccountID)
}
