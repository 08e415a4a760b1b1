package hazard

import (
	"math"
	"testing"

	"github.com/churnlabs/churn/features"
)

// TestRenewalWeekInput checks "renewal in week k": the next renewal, and
// with a known term every renewal the term brings within the curve.
func TestRenewalWeekInput(t *testing.T) {
	nan := math.NaN()
	withTerm := newInputs([]string{"logins", features.WeeksToRenewal, features.RenewalTermWeeks})
	without := newInputs([]string{"logins", features.WeeksToRenewal})
	monthly := 52.0 / 12
	tests := []struct {
		name    string
		in      inputs
		r, term float64
		k       int
		want    float64
	}{
		{"next renewal in week k", without, 2.5, 0, 3, 1},
		{"next renewal in the week before k", without, 2.5, 0, 2, 1},
		{"next renewal two weeks before k", without, 2.5, 0, 4, 0},
		{"no term column: the second renewal unseen", without, 1, 0, 5, 0},
		{"monthly: the second renewal", withTerm, 1, monthly, 5, 1},
		{"monthly: the third renewal", withTerm, 1, monthly, 9, 1},
		{"monthly: between renewals", withTerm, 1, monthly, 7, 0},
		{"monthly: the sixth renewal", withTerm, 1, monthly, 23, 1},
		{"annual: nothing after the next within the curve", withTerm, 1, 52, 25, 0},
		{"term unknown", withTerm, 1, nan, 5, 0},
		{"a term under two weeks is left unused", withTerm, 1, 1, 5, 0},
		{"renewal date past: the next a term on", withTerm, -0.5, monthly, 4, 1},
		{"no renewal date", withTerm, nan, monthly, 4, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := []float64{3, tt.r, tt.term}
			if tt.in.term < 0 {
				x = x[:2]
			}
			row := tt.in.row(x, tt.k, nil)
			got := row[len(row)-1]
			if got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Errorf("renewal in week %d with the next %v weeks on and a term of %v: got %v, want %v", tt.k, tt.r, tt.term, got, tt.want)
			}
			if past := row[len(row)-2]; past != float64(tt.k)-tt.r && !math.IsNaN(tt.r) {
				t.Errorf("weeks past the next renewal: got %v, want %v", past, float64(tt.k)-tt.r)
			}
		})
	}
}
