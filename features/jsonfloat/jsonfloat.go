package jsonfloat

import (
	"encoding/json"
	"math"
	"strconv"
)

// Float is a float64 that JSON carries as null when it is NaN or
// infinite, and that reads null back as NaN.
type Float float64

// MarshalJSON writes f as encoding/json writes a float64, or null.
func (f Float) MarshalJSON() ([]byte, error) {
	return Append(nil, float64(f)), nil
}

// UnmarshalJSON reads a JSON number, or null as NaN.
func (f *Float) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	// The decoder's own error is returned as is: it adds the field's
	// name to a type error it gets back.
	var v float64
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// Append appends v to dst as encoding/json writes a float64, or null
// when v is NaN or infinite.
func Append(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	// Like encoding/json (and ES6): plain decimals for everyday
	// magnitudes, exponents only for the very small and very large.
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, v, format, -1, 64)
	if format == 'e' {
		// Shorten e-07 to e-7.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
