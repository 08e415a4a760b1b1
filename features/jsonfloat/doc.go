// Package jsonfloat carries numbers that may be unknown through JSON.
//
// An unknown number is NaN in Go: an account's unknown ARR, a metric that
// is undefined on a one-class segment, a feature value that is missing.
// JSON has no number for NaN (nor for the infinities) and encoding/json
// refuses to write one, so churn writes them all as null and reads null
// back as NaN. Float does it for encoding/json, Append for encoders that
// write their JSON by hand; both write a finite number byte for byte as
// encoding/json writes a float64, so outputs do not depend on which is
// used.
package jsonfloat
