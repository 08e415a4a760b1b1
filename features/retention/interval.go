package retention

import (
	"encoding/json"
	"math"

	"github.com/churnlabs/churn/features/jsonfloat"
)

// Interval is an estimate with its confidence interval.
type Interval struct {
	Estimate float64 `json:"estimate"`
	Lower    float64 `json:"lower"`
	Upper    float64 `json:"upper"`
}

// intervalJSON is an Interval as JSON carries it.
type intervalJSON struct {
	Estimate jsonfloat.Float `json:"estimate"`
	Lower    jsonfloat.Float `json:"lower"`
	Upper    jsonfloat.Float `json:"upper"`
}

// MarshalJSON writes an unknown interval (NaN, as Wilson gives for no
// rows, such as a maturity level no account-week reaches) as nulls:
// encoding/json cannot write NaN, and would fail the whole report.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(intervalJSON{jsonfloat.Float(iv.Estimate), jsonfloat.Float(iv.Lower), jsonfloat.Float(iv.Upper)})
}

// UnmarshalJSON reads nulls back as NaN.
func (iv *Interval) UnmarshalJSON(data []byte) error {
	var v intervalJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*iv = Interval{float64(v.Estimate), float64(v.Lower), float64(v.Upper)}
	return nil
}

// Contains reports whether v lies within the interval, bounds included.
func (iv Interval) Contains(v float64) bool { return iv.Lower <= v && v <= iv.Upper }

// Wilson returns the Wilson score interval of the proportion x/n at the
// given two-sided confidence level, such as 0.95. Unlike the textbook
// p ± z·se it stays inside [0, 1] and keeps its coverage when x is near 0
// or n, which is where retention rates of small groups sit. The interval
// is NaN unless 0 <= x <= n, n > 0 and 0 < confidence < 1.
func Wilson(x, n int, confidence float64) Interval {
	if n <= 0 || x < 0 || x > n || !(confidence > 0 && confidence < 1) {
		return Interval{math.NaN(), math.NaN(), math.NaN()}
	}
	z := zScore(confidence)
	fx, fn, z2 := float64(x), float64(n), z*z
	center := (fx + z2/2) / (fn + z2)
	half := z * math.Sqrt(fx*(fn-fx)/fn+z2/4) / (fn + z2)
	return Interval{
		Estimate: fx / fn,
		Lower:    max(0, center-half),
		Upper:    min(1, center+half),
	}
}

// Newcombe returns the hybrid score interval of the difference of two
// independent proportions x1/n1 - x2/n2 (Newcombe 1998, method 10): each
// proportion's Wilson interval, combined as a normal approximation would
// combine standard errors. It inherits Wilson's good behaviour near 0 and
// 1 and never leaves [-1, 1], where the Wald interval does both badly. The
// interval is NaN when either proportion's is.
func Newcombe(x1, n1, x2, n2 int, confidence float64) Interval {
	a, b := Wilson(x1, n1, confidence), Wilson(x2, n2, confidence)
	d := a.Estimate - b.Estimate
	return Interval{
		Estimate: d,
		Lower:    max(-1, d-math.Hypot(a.Estimate-a.Lower, b.Upper-b.Estimate)),
		Upper:    min(1, d+math.Hypot(a.Upper-a.Estimate, b.Estimate-b.Lower)),
	}
}

// zScore returns the standard normal quantile that leaves (1-confidence)/2
// in each tail: 1.96 for 0.95.
func zScore(confidence float64) float64 { return math.Sqrt2 * math.Erfinv(confidence) }
