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
	descs := make([]string, len(names))
	for j, f := range names {
		descs[j] = features.Describe(f)
	}
	var idx []int
	return appendDrivers(make([]Driver, 0, n), names, descs, x, phi, &idx)
}

// appendDrivers appends to out, up to its capacity, the features with the
// largest contributions by size; descs are the features' descriptions,
// idx a buffer for the sort.
func appendDrivers(out []Driver, names, descs []string, x, phi []float64, idx *[]int) []Driver {
	ix := (*idx)[:0]
	for i := range phi {
		ix = append(ix, i)
	}
	*idx = ix
	slices.SortStableFunc(ix, func(a, b int) int { return cmp.Compare(math.Abs(phi[b]), math.Abs(phi[a])) })
	for _, j := range ix[:min(cap(out)-len(out), len(ix))] {
		d := Driver{Feature: names[j], Description: descs[j], Value: x[j],
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
