package simulate

import (
	"encoding/binary"
	"hash/fnv"

	"github.com/churnlabs/churn/features"
)

// autoRenewShare is, by segment, the share of annual contracts that renew
// on their own: most small customers' do, few enterprises'. Monthly
// contracts, billed to a card, always renew on their own.
var autoRenewShare = [numSegments]float64{smb: 0.6, mid: 0.35, enterprise: 0.1}

// renewalType gives an account its contract's renewal type. It is drawn
// from a hash of the seed and the account's id, not from the simulation's
// random source, so that giving accounts a type moved none of the other
// draws: a seed gives the same accounts, weeks and churn as before renewal
// types existed. The type changes nothing in an account's behaviour; it
// picks the touchpoints of its renewal play.
func renewalType(seed int64, a *account) string {
	if a.monthly {
		return features.RenewalAuto
	}
	if unitHash(seed, a.id) < autoRenewShare[a.segment] {
		return features.RenewalAuto
	}
	return features.RenewalSignature
}

// unitHash maps a seed and an id to a number in [0, 1), the same every
// time: FNV-1a over both, then SplitMix64's finaliser, as FNV alone moves
// the top bits little between ids that differ in their last character.
func unitHash(seed int64, id string) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(id))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}
