package csvfile

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/churnlabs/churn/features"
)

// The parsers below see one cell's text. Their errors say what is wrong
// with it; the caller wraps them in a features.InputError that says where.

// errMissing reports an empty cell in a column that needs a value.
var errMissing = errors.New("missing value")

// parseCount parses a count: a whole number >= 0. Besides plain digits it
// accepts an integral float such as "12.0", which is how pandas writes an
// integer column that once held a NaN.
func parseCount(s string) (int64, error) {
	if n, ok := parseDigits(s); ok {
		return n, nil
	}
	return parseCountSlow(s)
}

// parseDigits is the fast path for counts: 1 to 18 decimal digits, too few
// to overflow an int64.
func parseDigits(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c)
	}
	return n, true
}

func parseCountSlow(s string) (int64, error) {
	if s == "" {
		return 0, errMissing
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err == nil && n >= 0:
		return n, nil
	case err == nil || errors.Is(err, strconv.ErrRange) && s[0] == '-':
		return 0, fmt.Errorf("%w: %s", features.ErrNegativeCount, s)
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("count %s is out of range", s)
	}
	f, err := parseDecimal(s)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange), math.IsNaN(f):
		return 0, fmt.Errorf("invalid number %q", s)
	case f < 0:
		return 0, fmt.Errorf("%w: %s", features.ErrNegativeCount, s)
	case f != math.Trunc(f):
		return 0, fmt.Errorf("%s is not a whole number", s)
	case f >= math.MaxInt64: // also +Inf; MaxInt64 rounds up to 2^63
		return 0, fmt.Errorf("count %s is out of range", s)
	}
	return int64(f), nil
}

// parseNumber parses a real number. An empty cell or "NaN" is NaN, the
// project's mark for an unknown value; infinities are rejected because no
// column of a snapshot can mean one and a model cannot use one.
func parseNumber(s string) (float64, error) {
	if s == "" {
		return math.NaN(), nil
	}
	f, err := parseDecimal(s)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("invalid number %q", s)
	case math.IsInf(f, 0) && err == nil:
		return 0, fmt.Errorf("%s is infinite: a value must be finite (leave the cell empty when it is unknown)", s)
	case math.IsInf(f, 0):
		return 0, fmt.Errorf("number %s is out of range", s)
	}
	return f, nil
}

// parseDecimal is strconv.ParseFloat without Go's hexadecimal floats and
// digit-separating underscores: no CSV producer writes them, so in a cell
// they are a mistake rather than a number.
func parseDecimal(s string) (float64, error) {
	if f, ok := parseShort(s); ok {
		return f, nil
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'x', 'X', '_':
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseFloat(s, 64)
}

// parseShort parses s when it is a decimal of at most 15 digits, with
// or without a fraction, optionally negative: most cells of a feature
// file are counts and means of counts, and this takes a fraction of
// strconv.ParseFloat's time. The digits then make an integer exact in a
// float64, and dividing it by a power of ten up to 1e15, also exact,
// rounds once, correctly: the result is what ParseFloat gives, -0
// included.
func parseShort(s string) (float64, bool) {
	digits := s
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		digits = s[1:]
	}
	if len(digits) == 0 || len(digits) > 16 {
		return 0, false
	}
	var n int64
	nd, frac := 0, -1 // digits read; digits after the point, -1 for no point
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c == '.' && frac < 0 {
			frac = 0
			continue
		}
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
		nd++
		if frac >= 0 {
			frac++
		}
	}
	if nd == 0 || nd > 15 || frac == 0 {
		// No digits, too many, or a point with none after it, which
		// ParseFloat reads but a producer hardly writes.
		return 0, false
	}
	f := float64(n)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}

// pow10 holds the powers of ten that parseShort divides by, each exact.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseBool parses the churned flag. An empty cell is false, as the
// contract says; "0.0" and "1.0" are what pandas writes for a 0/1 column
// that has an empty cell.
func parseBool(s string) (bool, error) {
	switch {
	case s == "" || s == "0" || s == "0.0" || strings.EqualFold(s, "false"):
		return false, nil
	case s == "1" || s == "1.0" || strings.EqualFold(s, "true"):
		return true, nil
	}
	return false, fmt.Errorf("invalid boolean %q (want 0, 1, true or false)", s)
}

// parseDate parses a date cell: YYYY-MM-DD, or an ISO 8601 timestamp whose
// date part comes first, which is how pandas and Spark write dates they
// hold as timestamps. The date part is taken as written, whatever the
// zone: it is the day the producer meant.
func parseDate(s string) (features.Date, error) {
	if len(s) <= 10 || s[10] != 'T' && s[10] != ' ' {
		return features.ParseDate(s)
	}
	d, err := features.ParseDate(s[:10])
	if err != nil {
		return features.NoDate, fmt.Errorf("timestamp %q: %w", s, err)
	}
	if !isClock(s[11:]) {
		return features.NoDate, fmt.Errorf("timestamp %q: time of day is not HH:MM[:SS[.fraction]][zone]", s)
	}
	return d, nil
}

// isClock reports whether t is an ISO 8601 time of day: HH:MM, optional
// :SS (60 allows a leap second) and .fraction, then an optional zone.
func isClock(t string) bool {
	t, ok := twoDigits(t, 23)
	if !ok || len(t) == 0 || t[0] != ':' {
		return false
	}
	if t, ok = twoDigits(t[1:], 59); !ok {
		return false
	}
	if len(t) > 0 && t[0] == ':' {
		if t, ok = twoDigits(t[1:], 60); !ok {
			return false
		}
		if len(t) > 0 && t[0] == '.' {
			n := 1
			for n < len(t) && '0' <= t[n] && t[n] <= '9' {
				n++
			}
			if n == 1 {
				return false
			}
			t = t[n:]
		}
	}
	return isZone(t)
}

// isZone reports whether z is empty or an ISO 8601 zone: Z, ±HH, ±HHMM or
// ±HH:MM.
func isZone(z string) bool {
	switch {
	case z == "" || z == "Z":
		return true
	case z[0] != '+' && z[0] != '-':
		return false
	}
	z, ok := twoDigits(z[1:], 23)
	if !ok {
		return false
	}
	if z == "" {
		return true
	}
	if z[0] == ':' {
		z = z[1:]
	}
	z, ok = twoDigits(z, 59)
	return ok && z == ""
}

// twoDigits cuts a two-digit number no greater than max off the front of s.
func twoDigits(s string, max int) (rest string, ok bool) {
	if len(s) < 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return s, false
	}
	if int(s[0]-'0')*10+int(s[1]-'0') > max {
		return s, false
	}
	return s[2:], true
}

// interner hands out one shared copy of each distinct string. A field is a
// slice of its record's string, so keeping it would pin the whole record;
// an interned copy pins nothing, and every row of an account then shares
// one ID. Files are usually grouped by account, so the last value is
// checked before the map. The map grows with the number of distinct
// values, which is what the caller holds anyway.
type interner struct {
	last string
	seen map[string]string
}

func (in *interner) intern(s string) string {
	if s == in.last {
		return in.last
	}
	v, ok := in.seen[s]
	if !ok {
		if in.seen == nil {
			in.seen = make(map[string]string)
		}
		v = strings.Clone(s)
		in.seen[v] = v
	}
	in.last = v
	return v
}

// The dates a YYYY-MM-DD cell can hold: 0000-01-01 and 9999-12-31.
const (
	minDate features.Date = -719528
	maxDate features.Date = 2932896
)

// validDate reports whether d can be written as YYYY-MM-DD.
func validDate(d features.Date) bool { return minDate <= d && d <= maxDate }

// checkDate reports why d cannot be written as YYYY-MM-DD, if it cannot.
func checkDate(d features.Date) error {
	switch {
	case d == features.NoDate:
		return errMissing
	case !validDate(d):
		return fmt.Errorf("date %s is outside 0000-01-01 to 9999-12-31", d)
	}
	return nil
}

// appendDate appends d as YYYY-MM-DD; d must be a validDate.
func appendDate(b []byte, d features.Date) []byte {
	return d.Time().AppendFormat(b, time.DateOnly)
}

// appendNumber appends v in the shortest form that reads back exactly, or
// nothing for NaN, which marks an unknown value.
func appendNumber(b []byte, v float64) []byte {
	if math.IsNaN(v) {
		return b
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendText appends s as one CSV field, quoted whenever encoding/csv's
// Writer would quote it, so that any CSV reader gets s back.
func appendText(b []byte, s string) []byte {
	if !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// needsQuotes reports whether s needs quoting as a CSV field: when it
// holds a delimiter, a quote or a line break, or starts with a space that
// a reader trimming leading space would lose.
func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
