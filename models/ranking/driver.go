package ranking

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/jsonfloat"
)

// Driver is one feature's part in a score, told for a person.
type Driver struct {
	Feature     string  `json:"feature"`
	Description string  `json:"description"`
	Value       float64 `json:"value"`
	// Contribution is in log-odds: positive raises the churn risk.
	Contribution float64 `json:"contribution"`
	Direction    string  `json:"direction"` // "raises risk" or "lowers risk"
}

// Drivers returns the n features with the largest contributions by size,
// told for a person. names, x and phi are aligned with the model's
// features. Build lists them for every account; a server uses it for the
// raw feature rows it is sent.
func Drivers(names []string, x, phi []float64, n int) []Driver {
	idx := make([]int, len(phi))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(math.Abs(phi[b]), math.Abs(phi[a])) })
	out := make([]Driver, 0, n)
	for _, j := range idx[:min(n, len(idx))] {
		d := Driver{Feature: names[j], Description: features.Describe(names[j]), Value: x[j],
			Contribution: phi[j], Direction: "raises risk"}
		if phi[j] < 0 {
			d.Direction = "lowers risk"
		}
		out = append(out, d)
	}
	return out
}

// MarshalJSON writes an unknown value (NaN) as null: a tree model can
// name a missing feature, such as an unknown ARR, among the drivers, and
// encoding/json cannot write NaN.
func (d Driver) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Feature      string          `json:"feature"`
		Description  string          `json:"description"`
		Value        jsonfloat.Float `json:"value"`
		Contribution float64         `json:"contribution"`
		Direction    string          `json:"direction"`
	}{d.Feature, d.Description, jsonfloat.Float(d.Value), d.Contribution, d.Direction})
}

// Sentence tells the driver in plain words, e.g. "logins per week, last 4
// weeks = 1.5 (raises risk)".
func (d Driver) Sentence() string {
	return fmt.Sprintf("%s = %s (%s)", d.Description, strconv.FormatFloat(d.Value, 'g', 4, 64), d.Direction)
}
