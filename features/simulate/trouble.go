package simulate

import "math/rand/v2"

// Support: what drives SLA breaches and how much customers put up with.
const (
	// troubleStart is the weekly chance of a per-account support problem
	// (a broken integration, a stuck migration) starting.
	troubleStart = 0.008
	// troubleRate is the extra breaches per week while it lasts.
	troubleRate = 0.8
	// outageMultiplier scales an account's usual ticket rate in an
	// incident week, per unit of incident severity.
	outageMultiplier = 16
	// loadDecay is how much of last week's breach load carries over:
	// customers forgive an isolated breach, not a string of them.
	loadDecay = 0.7
	// loadHarm is the health lost per week per unit of breach load above
	// what the account tolerates.
	loadHarm = 0.06
)

// troubleEpisode starts or counts down a per-account support problem.
func (a *account) troubleEpisode(r *rand.Rand) {
	if a.trouble > 0 {
		a.trouble--
	} else if chance(r, troubleStart) {
		a.trouble = 1 + r.IntN(6)
	}
}

// support draws the week's SLA breaches and adds them to the breach load.
func (a *account) support(r *rand.Rand, wk *week) int64 {
	rate := a.ticketRate
	if a.trouble > 0 {
		rate += troubleRate
	}
	if wk.outage > 0 && wk.shards&(1<<a.shard) != 0 {
		rate += wk.outage * outageMultiplier * a.ticketRate
	}
	n := poisson(r, rate)
	a.load = loadDecay*a.load + float64(n)
	return n
}

// excessLoad is the breach load beyond what the account shrugs off;
// bigger accounts file more tickets and expect to.
func (a *account) excessLoad() float64 {
	return max(0, a.load-(1.5+3*a.ticketRate))
}

// Billing: how invoices go overdue and get paid.
const (
	// distressMin and distressSpread bound how long an episode of financial distress
	// lasts, in weeks: [distressMin, distressMin+distressSpread).
	distressMin, distressSpread = 4, 16
	// lateNormal is the weekly chance an invoice goes overdue in normal
	// times; payNormal the chance each overdue one is paid in a week.
	lateNormal, payNormal = 0.008, 0.4
	// In distress, monthly-billed accounts miss most invoices, annual
	// ones (invoiced less often) fewer, and little gets paid.
	lateMonthly, lateAnnual, payDistress = 0.3, 0.15, 0.05
)

// distressEpisode starts or counts down financial distress.
func (a *account) distressEpisode(r *rand.Rand, p *profile) {
	if a.distress > 0 {
		a.distress--
	} else if chance(r, p.distressRate) {
		a.distress = distressMin + r.IntN(distressSpread)
	}
}

// bill settles some overdue invoices and lets new ones go overdue. Debt
// outlives the distress that caused it, so overdue invoices persist for
// weeks after.
func (a *account) bill(r *rand.Rand) int64 {
	late, pay := lateNormal, payNormal
	if a.distress > 0 {
		late, pay = lateAnnual, payDistress
		if a.monthly {
			late = lateMonthly
		}
	}
	a.paidNow = binomial(r, a.overdue, pay)
	a.overdue -= a.paidNow
	a.lateNow = chance(r, late)
	if a.lateNow {
		a.overdue++
	}
	return a.overdue
}
