package plays

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseSegments(t *testing.T) {
	s, err := ParseSegments("s.yaml", []byte(`
seats_column: team_size
segments:
  - name: smb
    segment: smb
  - name: mid
    arr: {min: 10000, max: 50000}
    seats: {max: 100}
    touchpoints:
      auto: [60]
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Seats() != "team_size" || !s.UsesSeats() {
		t.Errorf("seats column %q, uses %v", s.Seats(), s.UsesSeats())
	}
	for _, tt := range []struct {
		segment    string
		arr, seats float64
		want       string
	}{
		{"smb", math.NaN(), math.NaN(), "smb"},
		{"", 10000, 5, "mid"},
		{"", 49999, 99, "mid"},
		{"", 50000, 5, "default"},          // max is exclusive
		{"", 20000, 100, "default"},        // too many seats
		{"", 20000, math.NaN(), "default"}, // unknown seats match no bounded range
		{"", math.NaN(), 5, "default"},
	} {
		if got := s.Match(tt.segment, tt.arr, tt.seats).Name; got != tt.want {
			t.Errorf("Match(%q, %g, %g) = %s, want %s", tt.segment, tt.arr, tt.seats, got, tt.want)
		}
	}
	mid := &s.Segments[1]
	if mid.Lead() != DefaultLeadDays || !slices.Equal(mid.For(Auto), []int{60}) || !slices.Equal(mid.For(Signature), DefaultTouchpoints) {
		t.Errorf("mid: lead %d, auto %v, signature %v", mid.Lead(), mid.For(Auto), mid.For(Signature))
	}
}

func TestParseSegmentsErrors(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"", "s.yaml: segments: the file is empty"},
		{"seats_column: x\n", "s.yaml:1: segments: no segments defined"},
		{"segments:\n  - name: a\n    arr: {min: 5, max: 5}\n", `s.yaml:3: segment "a" arr: max 5 is not above min 5`},
		{"segments:\n  - name: a\n  - name: a\n", `s.yaml:3: segment "a" name: is defined twice`},
		{"segments:\n  - segment: smb\n", `s.yaml:2: segments[0]: has no name`},
		{"segments:\n  - name: a\n    lead_days: -3\n", `s.yaml:3: segment "a" lead_days: -3: want 1 to 730 days`},
		{"segments:\n  - name: a\n    touchpoints:\n      monthly: [30]\n", `s.yaml:4: segment "a" touchpoints: renewal type "monthly": want auto or signature`},
		{"segments:\n  - name: a\n    touchpoints:\n      auto: [30, 60]\n", `s.yaml:4: segment "a" touchpoints.auto: 60 after 30`},
		{"segments:\n  - name: a\n    lead_days: 90\n    touchpoints:\n      auto: [120]\n", `s.yaml:5: segment "a" touchpoints.auto: 120 days: want 0 to the lead time, 90`},
		{"segments:\n  - name: a\n    seats: {min: -1}\n", `s.yaml:3: segment "a" seats: -1 is not a number >= 0`},
		{"segments:\n  - name: a\n    lead: 90\n", `s.yaml: [3:5] unknown field "lead"`},
		{"segments:\n  - name: a\n    lead_days: soon\n", `s.yaml: [3:16]`},
		{"segments:\n  - name: a\n    health: bogus\n", `s.yaml:3: health "bogus": want "learned" or {yellow: P, red: P}`},
		{"segments:\n  - name: a\n    health: {yellow: 0.1, red: 0.3, green: 0}\n", `s.yaml: [3:37] unknown field "green"`},
		{"segments:\n  - name: a\n    health: [0.1]\n", `s.yaml: `},
	} {
		_, err := ParseSegments("s.yaml", []byte(tt.yaml))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %s", tt.yaml, err, tt.want)
		}
	}
}

// FuzzSegments checks that no segment file panics the parser, and that a
// file it accepts has named segments with touchpoints within their lead.
func FuzzSegments(f *testing.F) {
	for _, s := range []string{
		"segments:\n  - name: a\n    arr: {min: 1, max: 2}\n    touchpoints:\n      auto: [30]\n",
		"segments:\n  - name: a\n    segment: smb\n    lead_days: 60\n",
		"segments:\n !0",
		"seats_column: x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSegments("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, g := range s.Segments {
			if g.Name == "" {
				t.Fatal("accepted a segment without a name")
			}
			if h := g.Health; h != nil && !(h.Yellow > 0 && h.Yellow < h.Red && h.Red < 1) {
				t.Fatalf("accepted cut-offs %+v", *h)
			}
			for _, typ := range []string{Auto, Signature} {
				for _, d := range g.For(typ) {
					if d < 0 || (g.Touchpoints[typ] != nil && d > g.Lead()) {
						t.Fatalf("accepted touchpoint %d with lead %d", d, g.Lead())
					}
				}
			}
		}
		s.Match("smb", math.NaN(), 3)
	})
}
