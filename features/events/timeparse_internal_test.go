package events

import (
	"testing"
	"time"
)

// FuzzUTCSecond holds the fast path of YYYY-MM-DDTHH:MM:SSZ to the general
// one: whatever it accepts, time.Parse gives the same day.
func FuzzUTCSecond(f *testing.F) {
	for _, s := range []string{"2025-01-06T10:00:00Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z",
		"2025-01-06T24:00:00Z", "2025-01-06T10:60:00Z", "2025-01-06T10:00:60Z", "0000-01-01T00:00:00Z",
		"2025-13-01T00:00:00Z", "2025-01-06t10:00:00z", "+025-01-06T10:00:00Z", "2025-1-06T10:00:00ZZ"} {
		f.Add(s)
	}
	p := NewDayParser("", time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := p.utcSecond(s)
		if !ok {
			return
		}
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatalf("%q: fast path gave %s, time.Parse refuses it: %v", s, d, err)
		}
		if want, _ := p.dayOf(tm, s); d != want {
			t.Fatalf("%q: fast path gave %s, time.Parse %s", s, d, want)
		}
	})
}
