package simulate

import (
	"math"
	"math/rand/v2"
)

// segment is an account's market segment.
type segment uint8

const (
	smb segment = iota
	mid
	enterprise
	numSegments
)

// String returns the segment's name as it appears in the segment column.
func (s segment) String() string {
	switch s {
	case smb:
		return "smb"
	case mid:
		return "mid"
	case enterprise:
		return "enterprise"
	}
	return "unknown"
}

// profile is everything that differs between segments: how big accounts
// are, what they pay, how they buy and how fragile they are. Rates are
// per week unless named otherwise.
type profile struct {
	// share is the fraction of sign-ups in the segment.
	share float64

	// Team size: log-normal seats truncated to [seatsMin, seatsMax].
	seatsMedian, seatsSigma float64
	seatsMin, seatsMax      float64
	// seatPrice is the list price per seat per year at seatsMin; larger
	// teams get a volume discount of (seats/seatsMin)^-volumeDiscount.
	seatPrice, volumeDiscount float64
	// monthlyShare is the fraction of accounts on monthly contracts.
	monthlyShare float64

	// health is the segment's baseline health: larger customers are
	// better onboarded and more embedded.
	health float64
	// declineRate is the base rate at which an engaged account starts to
	// decline.
	declineRate float64
	// recoverProb is the chance a decline is a false alarm: it runs its
	// course and recovers instead of ending in disengagement.
	recoverProb float64
	// abruptAnnual and abruptMonthly are the chances that an otherwise
	// sound account leaves at a renewal (budget cut, consolidation).
	abruptAnnual, abruptMonthly float64
	// distressRate is the rate at which financial distress starts.
	distressRate float64

	// The strengths of the mechanisms a Mix scales, the same in every
	// segment: activeSlope (activity.go), painRisk (life.go), loadHarm
	// (trouble.go), healthNoise (life.go) and activityNoise (activity.go)
	// start at the constants of those names.
	activeSlope, painRisk, loadHarm float64
	healthNoise, activityNoise      float64
	// activityBias is activityNoise²/2, which keeps the activity shock's
	// mean at 1; computed as the constant expression when the mix leaves
	// the noise alone, so the default world does not move by a rounding.
	activityBias float64
}

// profiles returns the segment profiles, indexed by segment, scaled by
// the mix. They are built per run rather than held in a package variable
// so nothing global can be changed under a running simulation.
func profiles(m Mix) [numSegments]profile {
	ps := [numSegments]profile{
		smb: {
			share:       0.6,
			seatsMedian: 7, seatsSigma: 0.6, seatsMin: 2, seatsMax: 25,
			seatPrice: 1300, volumeDiscount: 0.05,
			monthlyShare: 0.55,
			health:       0,
			declineRate:  0.006,
			recoverProb:  0.4,
			abruptAnnual: 0.03, abruptMonthly: 0.002,
			distressRate: 0.003,
		},
		mid: {
			share:       0.3,
			seatsMedian: 65, seatsSigma: 0.55, seatsMin: 25, seatsMax: 200,
			seatPrice: 1250, volumeDiscount: 0.08,
			monthlyShare: 0.15,
			health:       0.3,
			declineRate:  0.004,
			recoverProb:  0.5,
			abruptAnnual: 0.015, abruptMonthly: 0.0012,
			distressRate: 0.002,
		},
		enterprise: {
			share:       0.1,
			seatsMedian: 600, seatsSigma: 0.7, seatsMin: 200, seatsMax: 3000,
			seatPrice: 1250, volumeDiscount: 0.2,
			monthlyShare: 0,
			health:       0.5,
			declineRate:  0.0024,
			recoverProb:  0.55,
			abruptAnnual: 0.008, abruptMonthly: 0.0005,
			distressRate: 0.001,
		},
	}
	for i := range ps {
		p := &ps[i]
		p.activeSlope, p.painRisk, p.loadHarm = activeSlope, painRisk, loadHarm
		p.healthNoise, p.activityNoise = healthNoise, activityNoise
		p.activityBias = activityNoise * activityNoise / 2
	}
	m.apply(&ps)
	return ps
}

// pickSegment draws a segment by the profiles' shares.
func pickSegment(r *rand.Rand, ps *[numSegments]profile) segment {
	u := r.Float64()
	for s := range numSegments - 1 {
		if u < ps[s].share {
			return s
		}
		u -= ps[s].share
	}
	return numSegments - 1
}

// seats draws a team size for the segment. Rejection keeps the
// log-normal's shape inside the range instead of piling the tails up on
// its bounds.
func (p *profile) seats(r *rand.Rand) int64 {
	x := p.seatsMedian
	for range 20 {
		x = logNormal(r, p.seatsMedian, p.seatsSigma)
		if x >= p.seatsMin && x <= p.seatsMax {
			break
		}
	}
	return int64(math.Round(min(max(x, p.seatsMin), p.seatsMax)))
}

// pricePerSeat draws an account's negotiated yearly price per seat.
func (p *profile) pricePerSeat(r *rand.Rand, seats int64) float64 {
	discount := math.Pow(float64(seats)/p.seatsMin, -p.volumeDiscount)
	return logNormal(r, p.seatPrice*discount, 0.15)
}
