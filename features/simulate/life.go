package simulate

import (
	"math"
	"math/rand/v2"

	"github.com/churnlabs/churn/features"
)

// observation is what an account reports about one week.
type observation struct {
	logins, frequency, recency int64
	slaBreaches, overdue       int64
	activeUsers, seats         int64
	arr                        float64
	renewal                    features.Date
	churned                    bool
}

// step advances a through week wk, its week index t, and reports the
// week. Before the first snapshot week (observed false) nobody leaves: an
// account that churned then would not be in the data at all, so the one
// that is must have been saved.
func (a *account) step(r *rand.Rand, p *profile, wk *week, t int, observed bool) observation {
	age := t - a.signup
	a.troubleEpisode(r)
	a.distressEpisode(r, p)
	a.advancePhase(r, p, wk, age)
	a.drift(r, p)

	// The contract terms in force during the week; a renewal this week
	// changes them from the next one on.
	obs := observation{seats: a.seats, arr: a.arr, renewal: a.renewal}
	obs.activeUsers, obs.logins, obs.frequency = a.engage(r, p, wk)
	obs.recency = a.recencyAfter(r, obs.frequency, age)
	obs.slaBreaches = a.support(r, wk)
	obs.overdue = a.bill(r)

	if a.renewal < wk.start.AddDays(7) {
		leaves := a.leavesAtRenewal(r, p)
		switch {
		case leaves && observed:
			obs.churned = true
		case leaves:
			a.reengage()
			fallthrough
		default:
			a.renewContract(r, p)
		}
	} else {
		a.expand(r)
	}
	if observed && !obs.churned && chance(r, acquisitionRate) {
		obs.churned = true
	}
	a.churned = obs.churned
	a.rows++
	return obs
}

// The road to churn.
const (
	// declineMin and declineSpread bound how many weeks a decline takes
	// to run its course: [declineMin, declineMin+declineSpread).
	declineMin, declineSpread = 4, 9
	// dropMin and dropMax bound how far a decline takes health.
	dropMin, dropMax = 0.8, 2.6
	// leaveAfter is how many weeks into a decline an account must be for
	// a renewal to become its way out.
	leaveAfter = 6
	// saveProb is the chance a leaving account is talked round at its
	// renewal.
	saveProb = 0.15
	// earlySaveProb is the chance an annual renewal turns round a decline
	// too young to end in churn.
	earlySaveProb = 0.5
	// reengageRate is the weekly chance a disengaged account comes back
	// on its own (a new champion, a new project).
	reengageRate = 0.01
	// acquisitionRate is the weekly chance an account disappears at
	// once, whatever its state: it was acquired or shut down.
	acquisitionRate = 0.0001
	// reviewFrom and reviewTo bound, in weeks before an annual renewal,
	// when the customer weighs it: late enough to feel the renewal, early
	// enough to give notice. Declines start more often then.
	reviewFrom, reviewTo = 20, 6
)

// Multipliers of the decline hazard.
const (
	// healthRisk is the log-hazard per unit of health below the segment's
	// baseline.
	healthRisk = 0.8
	// painRisk is the added hazard per unit of excess breach load.
	painRisk = 0.3
	// distressRisk multiplies the hazard in financial distress.
	distressRisk = 2.5
	// onboardingRisk is the extra hazard of a brand-new account; it fades
	// with a time constant of onboardingWeeks and is ignored from
	// onboardingHorizon weeks of age, when it is below 1e-5.
	onboardingRisk, onboardingWeeks, onboardingHorizon = 2, 8, 100
	// reviewRisk multiplies the hazard of annual accounts in the review
	// window, otherRisk outside it: 14 weeks of the year at 3.2 and the
	// rest at 0.2 keep the yearly rate where declineRate puts it.
	reviewRisk, otherRisk = 3.2, 0.2
)

// declineHazard is the weekly chance that an engaged account starts to
// decline. It rises with low health, support pain, financial distress, a
// fresh sign-up and, for annual contracts, the renewal review.
func (a *account) declineHazard(p *profile, wk *week, age int) float64 {
	h := p.declineRate * math.Exp(-healthRisk*(a.health-p.health))
	h *= 1 + p.painRisk*a.excessLoad()
	if a.distress > 0 {
		h *= distressRisk
	}
	// Onboarding: new accounts that do not find their feet leave early.
	if age < onboardingHorizon {
		h *= 1 + onboardingRisk*math.Exp(-float64(age)/onboardingWeeks)
	}
	if !a.monthly {
		if weeks := int(a.renewal-wk.start) / 7; weeks < reviewFrom && weeks >= reviewTo {
			h *= reviewRisk
		} else {
			h *= otherRisk
		}
	}
	return h
}

// advancePhase moves the account along engaged -> declining ->
// disengaged, or back to engaged when a decline was a false alarm.
// Whether it is one is settled when the decline starts, and the two look
// alike until it has run its course.
func (a *account) advancePhase(r *rand.Rand, p *profile, wk *week, age int) {
	a.phaseWeeks++
	switch a.phase {
	case engaged:
		if !chance(r, a.declineHazard(p, wk, age)) {
			return
		}
		a.phase, a.phaseWeeks = declining, 0
		a.declineLen = declineMin + r.IntN(declineSpread)
		a.drop = uniform(r, dropMin, dropMax)
		recoverProb := p.recoverProb
		if a.distress > 0 {
			recoverProb /= 2
		}
		a.recovers = chance(r, recoverProb)
	case declining:
		switch {
		case a.phaseWeeks < a.declineLen:
		case a.recovers:
			a.reengage()
		default:
			a.phase, a.phaseWeeks = disengaged, 0
		}
	case disengaged:
		if chance(r, reengageRate) {
			a.reengage()
		}
	}
}

// reengage returns the account to the engaged phase; its health climbs
// back only gradually.
func (a *account) reengage() { a.phase, a.phaseWeeks = engaged, 0 }

// Health dynamics.
const (
	// pullEngaged is how strongly health reverts to baseline each week.
	pullEngaged = 0.1
	// healthNoise is the spread of the weekly health shock.
	healthNoise = 0.12
)

// drift moves health one week along its mean-reverting random walk. In a
// decline the walk reverts to baseline-drop instead, fast enough to get
// most of the way there in the decline's length: the steepest fall comes
// first, as when a champion leaves or a team moves to another tool.
func (a *account) drift(r *rand.Rand, p *profile) {
	target, pull := a.baseline, pullEngaged
	switch a.phase {
	case declining:
		target -= a.drop
		pull = 2 / float64(a.declineLen)
	case disengaged:
		target -= a.drop
	}
	a.health += pull*(target-a.health) + p.healthNoise*r.NormFloat64() - p.loadHarm*a.excessLoad()
}

// leavesAtRenewal decides whether the account leaves at this renewal:
// abruptly (budget cut, consolidation, more likely in distress) or at
// the end of a decline, unless it is saved.
func (a *account) leavesAtRenewal(r *rand.Rand, p *profile) bool {
	abrupt := p.abruptAnnual
	if a.monthly {
		abrupt = p.abruptMonthly
	}
	if a.distress > 0 {
		abrupt *= 4
	}
	if chance(r, abrupt) {
		return true
	}
	switch {
	case a.phase == disengaged,
		a.phase == declining && !a.recovers && a.phaseWeeks >= leaveAfter:
		if chance(r, saveProb) {
			a.reengage()
			return false
		}
		return true
	case a.phase == declining && !a.recovers && !a.monthly && chance(r, earlySaveProb):
		// The renewal conversation catches the decline early enough to
		// turn it round. Only annual renewals do: a monthly account in a
		// young decline simply meets its next renewal a month later.
		a.reengage()
	}
	return false
}
