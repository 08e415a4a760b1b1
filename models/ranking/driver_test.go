package ranking

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/churnlabs/churn/features"
)

func TestDriverJSON(t *testing.T) {
	for _, c := range []struct {
		d    Driver
		want string
	}{
		{Driver{"log_arr", "annual recurring revenue (log)", math.NaN(), 0.25, "raises risk"},
			`{"feature":"log_arr","description":"annual recurring revenue (log)","value":null,"contribution":0.25,"direction":"raises risk"}`},
		{Driver{"recency_days", "days since the last key action", 12, -0.5, "lowers risk"},
			`{"feature":"recency_days","description":"days since the last key action","value":12,"contribution":-0.5,"direction":"lowers risk"}`},
	} {
		b, err := json.Marshal(c.d)
		if err != nil || string(b) != c.want {
			t.Errorf("%+v: %s, %v; want %s", c.d, b, err, c.want)
		}
	}
}

func TestDriversOfARow(t *testing.T) {
	names := []string{features.LogARR, features.RecencyDays, features.TenureWeeks}
	d := Drivers(names, []float64{math.NaN(), 30, 80}, []float64{0.7, 0.2, -0.9}, 2)
	if len(d) != 2 || d[0].Feature != features.TenureWeeks || d[1].Feature != features.LogARR || !math.IsNaN(d[1].Value) {
		t.Fatalf("drivers %+v", d)
	}
}
