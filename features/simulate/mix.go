package simulate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Mix scales the mechanisms that drive churn, so that benchmarks can judge
// models on worlds whose signals differ: one where usage tells little and
// support pain a lot, one that is noisy, one where churn is rare. Each
// field multiplies a mechanism's strength; 1 is the default world, 0 turns
// the mechanism off. The zero Mix means DefaultMix, so a Config without one
// simulates the default world, byte for byte.
type Mix struct {
	// Churn scales the rate at which declines start: the class balance.
	Churn float64
	// Usage scales how strongly health shows in seat usage and activity:
	// below 1, logins and key actions foreshadow churn less.
	Usage float64
	// Support scales how much support pain (excess SLA breach load) raises
	// the decline hazard and erodes health.
	Support float64
	// Billing scales how often financial distress starts, which leaves
	// invoices overdue and makes declines and abrupt exits likelier.
	Billing float64
	// Abrupt scales the chance of leaving at a renewal without warning
	// (budget cut, consolidation): churn no behaviour foreshadows.
	Abrupt float64
	// Noise scales the weekly noise of health and of activity.
	Noise float64
}

// DefaultMix is the default world's: every mechanism at strength 1.
func DefaultMix() Mix {
	return Mix{Churn: 1, Usage: 1, Support: 1, Billing: 1, Abrupt: 1, Noise: 1}
}

// mixKeys are the names ParseMix and Mix.String use, in order.
var mixKeys = []string{"churn", "usage", "support", "billing", "abrupt", "noise"}

// field returns the address of the factor named key, nil for no such key.
func (m *Mix) field(key string) *float64 {
	switch key {
	case "churn":
		return &m.Churn
	case "usage":
		return &m.Usage
	case "support":
		return &m.Support
	case "billing":
		return &m.Billing
	case "abrupt":
		return &m.Abrupt
	case "noise":
		return &m.Noise
	}
	return nil
}

// maxFactor bounds every factor: beyond it hazards stop being small
// weekly chances and the simulation stops resembling a customer base.
const maxFactor = 10

// ParseMix reads a mix written as comma-separated key=factor pairs, such
// as "usage=0.5,support=2"; keys left out keep their default of 1, and ""
// is DefaultMix. Keys are churn, usage, support, billing, abrupt and
// noise; factors are numbers from 0 to 10.
func ParseMix(s string) (Mix, error) {
	m := DefaultMix()
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		key = strings.TrimSpace(key)
		f := m.field(key)
		switch {
		case !ok:
			return Mix{}, fmt.Errorf("mix %q: %q is not key=factor", s, part)
		case f == nil:
			return Mix{}, fmt.Errorf("mix %q: unknown key %q (want one of %s)", s, key, strings.Join(mixKeys, ", "))
		case seen[key]:
			return Mix{}, fmt.Errorf("mix %q: %s given twice", s, key)
		}
		seen[key] = true
		x, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || math.IsNaN(x) || x < 0 || x > maxFactor {
			return Mix{}, fmt.Errorf("mix %q: %s=%s: want a number from 0 to %d", s, key, val, maxFactor)
		}
		*f = x
	}
	return m, nil
}

// String writes m as ParseMix reads it, listing only the factors that
// differ from the default; the default mix is "default".
func (m Mix) String() string {
	var parts []string
	d := DefaultMix()
	for _, key := range mixKeys {
		if v := *m.field(key); v != *d.field(key) {
			parts = append(parts, key+"="+strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	if len(parts) == 0 {
		return "default"
	}
	return strings.Join(parts, ",")
}

// check rejects factors ParseMix would refuse, for a Mix built in code.
func (m Mix) check() error {
	for _, key := range mixKeys {
		if v := *m.field(key); math.IsNaN(v) || v < 0 || v > maxFactor {
			return fmt.Errorf("simulate: mix %s=%v: want a number from 0 to %d", key, v, maxFactor)
		}
	}
	return nil
}

// apply scales the segment profiles' mechanisms by m. With DefaultMix
// every factor is 1 and each product is exact, so the default world is
// unchanged to the last bit.
func (m Mix) apply(ps *[numSegments]profile) {
	for i := range ps {
		p := &ps[i]
		p.declineRate *= m.Churn
		p.activeSlope *= m.Usage
		p.painRisk *= m.Support
		p.loadHarm *= m.Support
		p.distressRate *= m.Billing
		p.abruptAnnual *= m.Abrupt
		p.abruptMonthly *= m.Abrupt
		p.healthNoise *= m.Noise
		p.activityNoise *= m.Noise
		p.activityBias *= m.Noise * m.Noise
	}
}
