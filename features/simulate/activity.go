package simulate

import (
	"math"
	"math/rand/v2"
)

// Engagement: how latent health becomes the activity the data shows.
const (
	// activeBias is the log-odds of a seat being in use at zero health.
	activeBias = 0.8
	// activeSlope is how strongly health moves seat usage.
	activeSlope = 1.6
	// activityNoise is the spread of the week's account-wide activity
	// shock (deadlines, staff away), so large accounts are not noiseless.
	activityNoise = 0.2
)

// engage draws the week's active users, logins and key actions from
// health, seats and season. Every active user logs in at least once.
func (a *account) engage(r *rand.Rand, p *profile, wk *week) (active, logins, actions int64) {
	use := sigmoid(activeBias + a.adoption + p.activeSlope*a.health)
	active = binomial(r, a.seats, use*wk.season)
	if active == 0 {
		return 0, 0, 0
	}
	// Teams that use more of their seats also use the product more each:
	// per-user intensity follows the same curve, damped.
	shock := math.Exp(p.activityNoise*r.NormFloat64() - p.activityBias)
	intensity := float64(active) * wk.season * shock * (0.2 + 0.8*use)
	logins = active + poisson(r, intensity*a.sessions)
	actions = poisson(r, intensity*a.actionRate)
	return active, logins, actions
}

// recencyAfter returns the days since the last key action at the end of
// the week: the last action's day when there was one (later in weeks
// with more of them), else a week more than before. In the sign-up week
// the clock starts with the contract.
func (a *account) recencyAfter(r *rand.Rand, actions int64, age int) int64 {
	days := 7
	if age == 0 {
		days -= a.startOffset
	}
	switch {
	case actions > 0:
		a.recency = lastActionGap(r, min(actions, 64), days)
	case age == 0:
		a.recency = int64(days - 1)
	default:
		a.recency += 7
	}
	return a.recency
}

// lastActionGap returns how many whole days before the end of a window of
// days the last of k uniformly timed actions fell: the window times one
// minus the latest action's position, which for k uniforms is U^(1/k) =
// exp(-E/k) with E exponential.
func lastActionGap(r *rand.Rand, k int64, days int) int64 {
	e := r.ExpFloat64() / float64(k)
	if days == 7 && e < log7over6 {
		// The latest action fell on the last day; busy weeks almost
		// always end here, so skip the exponential.
		return 0
	}
	return min(int64(days-1), int64(float64(days)*-math.Expm1(-e)))
}

// log7over6 is log(7/6): below it, -expm1(-e) < 1/7.
const log7over6 = 0.15415067982725836
