package simulate

import (
	"math"
	"math/rand/v2"
)

// Revenue: how contracts grow and shrink between sign-up and churn.
const (
	// seatGrowth is the yearly log seat growth of an account at its
	// segment's baseline health; growthSlope adds per unit of health
	// above it; growthNoise is the spread.
	seatGrowth, growthSlope, growthNoise = 0.1, 0.1, 0.1
	// distressCut is the log seat cut of an account in distress.
	distressCut = 0.15
	// monthlyChange is the chance a monthly account changes its seat
	// count at a renewal.
	monthlyChange = 0.15
	// expansionRate is the weekly chance a healthy annual account buys
	// seats mid-term.
	expansionRate = 0.004
)

// renewContract rolls the contract forward and resizes it: healthy
// accounts add seats, struggling ones cut them, and annual list prices
// rise.
func (a *account) renewContract(r *rand.Rand, p *profile) {
	if !a.monthly || chance(r, monthlyChange) {
		mu := seatGrowth + growthSlope*(a.health-p.health)
		if a.distress > 0 {
			mu -= distressCut
		}
		sigma := growthNoise
		if a.monthly {
			// Spread the yearly change over the expected number of
			// monthly resizes.
			mu /= 12 * monthlyChange
			sigma /= math.Sqrt(12 * monthlyChange)
		}
		a.seats = roundRandom(r, float64(a.seats)*math.Exp(mu+sigma*r.NormFloat64()))
	}
	if !a.monthly {
		a.price *= 1 + uniform(r, 0, annualUplift)
	}
	a.arr = cents(float64(a.seats) * a.price)
	a.renewal = addMonths(a.renewal, a.term())
}

// expand lets a thriving annual account add seats mid-term; the add-on is
// co-termed, so revenue rises at once.
func (a *account) expand(r *rand.Rand) {
	if a.monthly || a.phase != engaged || a.health < a.baseline || !chance(r, expansionRate) {
		return
	}
	a.seats += max(1, int64(math.Round(float64(a.seats)*uniform(r, 0.05, 0.2))))
	a.arr = cents(float64(a.seats) * a.price)
}

// roundRandom rounds x up or down at random, in proportion to its
// fraction, so small teams still grow and shrink on average as they
// should; the result is at least one seat.
func roundRandom(r *rand.Rand, x float64) int64 {
	n := math.Floor(x)
	if chance(r, x-n) {
		n++
	}
	return max(1, int64(n))
}
