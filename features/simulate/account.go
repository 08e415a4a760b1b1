package simulate

import (
	"math"
	"math/rand/v2"

	"github.com/churnlabs/churn/features"
)

// account is the whole state of one simulated customer. It is kept small
// because a run holds one per account for its whole length.
type account struct {
	id      string
	segment segment
	// signup is the week index of the sign-up; negative for accounts that
	// exist before the first snapshot week.
	signup int
	// startOffset is the weekday (0 = Monday) the contract started on.
	startOffset int

	// Contract and revenue.
	monthly bool
	// renewalType is features.RenewalAuto or RenewalSignature (see
	// renewalType).
	renewalType string
	renewal     features.Date // next renewal, on or after the current week
	seats       int64
	price       float64 // yearly price per seat
	arr         float64

	// Latent state.
	baseline   float64 // long-run health the account reverts to
	health     float64
	adoption   float64 // log-odds offset of the share of seats in use
	sessions   float64 // logins per active user per week, at full health
	actionRate float64 // key actions per active user per week, at full health
	phase      phase
	phaseWeeks int     // weeks spent in the current phase
	declineLen int     // weeks a decline takes to run its course
	drop       float64 // how far a decline takes health below baseline
	recovers   bool    // the decline is a false alarm

	// Support and billing.
	shard      uint8
	ticketRate float64 // SLA breaches per week in normal operation
	trouble    int     // weeks left of a per-account support problem
	load       float64 // exponentially decayed count of recent breaches
	distress   int     // weeks left of financial distress
	overdue    int64
	// paidNow and lateNow are this week's overdue invoices paid and
	// whether one more went overdue: the raw tables' invoices.
	paidNow int64
	lateNow bool

	recency int64
	rows    int
	churned bool
}

// phase is where an account stands on the road to churn.
type phase uint8

const (
	// engaged accounts revert to their baseline health.
	engaged phase = iota
	// declining accounts fall toward baseline-drop, fastest at first.
	declining
	// disengaged accounts stay low; they leave at a renewal unless they
	// re-engage or are saved first.
	disengaged
)

// Contract terms.
const (
	// anchorDay is the last day of the month a contract may start on, so
	// renewals a whole number of months later always exist.
	anchorDay = 28
	// annualUplift is the largest yearly list-price increase.
	annualUplift = 0.05
)

// newAccount draws a customer who signs up in week signup and whose
// contract starts on the given day.
func newAccount(r *rand.Rand, ps *[numSegments]profile, id string, signup int, weekStart features.Date) account {
	seg := pickSegment(r, ps)
	p := &ps[seg]
	a := account{
		id:          id,
		segment:     seg,
		signup:      signup,
		startOffset: r.IntN(7),
		monthly:     chance(r, p.monthlyShare),
		seats:       p.seats(r),
		baseline:    p.health + 0.4*r.NormFloat64(),
		adoption:    0.5 * r.NormFloat64(),
		sessions:    logNormal(r, 2.5, 0.3),
		actionRate:  logNormal(r, 1.2, 0.5),
		shard:       uint8(r.IntN(numShards)),
		// Only accounts with history before the first week use this: the
		// days since their last key action when the simulation picks
		// them up.
		recency: int64(r.IntN(7)),
	}
	// Everyone has the odd missed SLA; bigger teams file more tickets.
	a.ticketRate = 0.025 * math.Pow(float64(a.seats), 0.3)
	a.price = p.pricePerSeat(r, a.seats)
	a.arr = cents(float64(a.seats) * a.price)
	a.health = a.baseline
	start := weekStart.AddDays(a.startOffset)
	if t := start.Time(); t.Day() > anchorDay {
		start = start.AddDays(anchorDay - t.Day())
	}
	a.renewal = addMonths(start, a.term())
	return a
}

// term returns the contract length in months.
func (a *account) term() int {
	if a.monthly {
		return 1
	}
	return 12
}

// rollTo moves the renewal date to the first renewal on or after d, for
// accounts whose history starts before the simulated weeks.
func (a *account) rollTo(d features.Date) {
	for a.renewal < d {
		a.renewal = addMonths(a.renewal, a.term())
	}
}

// addMonths returns the day n months after d; d's day of month must be at
// most 28.
func addMonths(d features.Date, n int) features.Date {
	return features.DateOf(d.Time().AddDate(0, n, 0))
}

// cents rounds an amount of money to cents.
func cents(x float64) float64 { return math.Round(x*100) / 100 }
