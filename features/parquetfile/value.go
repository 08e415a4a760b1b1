package parquetfile

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// kind is how a column's values are to be understood once its physical
// type and its logical annotation are taken together: an INT64 may hold a
// count, a timestamp or a decimal, and only the pair says which.
type kind uint8

const (
	kindOther     kind = iota // nothing this package reads: TIME, INTERVAL, JSON...
	kindBool                  // BOOLEAN
	kindInt32                 // INT32, signed
	kindUint32                // INT32 annotated as unsigned
	kindInt64                 // INT64, signed
	kindUint64                // INT64 annotated as unsigned
	kindFloat                 // FLOAT
	kindDouble                // DOUBLE
	kindDecimal               // DECIMAL: an unscaled integer and a scale
	kindDate                  // DATE: INT32 days since the epoch
	kindTimestamp             // TIMESTAMP: INT64 units since the epoch
	kindInt96                 // INT96: the legacy Impala/Spark timestamp
	kindString                // BYTE_ARRAY, annotated or not
	kindUUID                  // UUID: FIXED_LEN_BYTE_ARRAY(16)
)

func (k kind) integer() bool {
	return k == kindInt32 || k == kindUint32 || k == kindInt64 || k == kindUint64
}

// numeric reports whether values of the kind are numbers; dates and
// timestamps are stored as integers but are not.
func (k kind) numeric() bool {
	return k == kindBool || k.integer() || k == kindFloat || k == kindDouble || k == kindDecimal
}

func (k kind) date() bool {
	return k == kindDate || k == kindTimestamp || k == kindInt96 || k == kindString
}

func (k kind) text() bool { return k == kindString || k == kindUUID || k.integer() }

func (k kind) flag() bool { return k.numeric() || k == kindString }

// codec decodes the values of one column.
type codec struct {
	kind kind
	// phys is the physical kind every value must carry; checking it keeps a
	// corrupt page from reaching an accessor that would misread it.
	phys        parquet.Kind
	scale       int   // decimal scale
	unitsPerDay int64 // timestamp units in a day
	// typ names the column's type in error messages.
	typ string
}

const (
	// Days from 1970-01-01 to 0000-01-01 and to 9999-12-31: the dates an
	// ISO YYYY-MM-DD string can hold, and so the dates accepted from any
	// other representation too.
	minDate = -719528
	maxDate = 2932896

	// julianUnixEpoch is the Julian day number of 1970-01-01, which INT96
	// timestamps count from.
	julianUnixEpoch = 2440588
	nanosPerDay     = 86400 * int64(time.Second)
)

// codecOf classifies a leaf column's type.
func codecOf(t parquet.Type) codec {
	c := codec{typ: t.String()}
	// A damaged schema can put a group's annotation, such as MAP, on a
	// leaf, whose Kind method then panics; PhysicalType says nil instead.
	pt := t.PhysicalType()
	if pt == nil {
		return c
	}
	c.phys = parquet.Kind(*pt)
	var logical format.LogicalTypeValue
	if lt := t.LogicalType(); lt != nil {
		logical = lt.Value
	}
	switch lt := logical.(type) {
	case *format.DecimalType:
		switch c.phys {
		case parquet.Int32, parquet.Int64, parquet.ByteArray, parquet.FixedLenByteArray:
			c.kind, c.scale = kindDecimal, int(lt.Scale)
		}
		return c
	case *format.DateType:
		if c.phys == parquet.Int32 {
			c.kind = kindDate
		}
		return c
	case *format.TimestampType:
		if c.phys == parquet.Int64 && lt.Unit.Value != nil {
			c.kind = kindTimestamp
			c.unitsPerDay = nanosPerDay / int64(lt.Unit.Value.Duration())
		}
		return c
	case *format.IntType:
		switch {
		case c.phys == parquet.Int32 && lt.IsSigned:
			c.kind = kindInt32
		case c.phys == parquet.Int32:
			c.kind = kindUint32
		case c.phys == parquet.Int64 && lt.IsSigned:
			c.kind = kindInt64
		case c.phys == parquet.Int64:
			c.kind = kindUint64
		}
		return c
	case *format.StringType, *format.EnumType:
		if c.phys == parquet.ByteArray {
			c.kind = kindString
		}
		return c
	case *format.UUIDType:
		if c.phys == parquet.FixedLenByteArray && t.Length() == 16 {
			c.kind = kindUUID
		}
		return c
	case nil:
	default:
		return c // TIME, JSON, BSON, FLOAT16, INTERVAL, geometry...
	}
	switch c.phys {
	case parquet.Boolean:
		c.kind = kindBool
	case parquet.Int32:
		c.kind = kindInt32
	case parquet.Int64:
		c.kind = kindInt64
	case parquet.Int96:
		c.kind = kindInt96
	case parquet.Float:
		c.kind = kindFloat
	case parquet.Double:
		c.kind = kindDouble
	case parquet.ByteArray:
		// pandas and Spark may write strings without a STRING annotation.
		c.kind = kindString
	}
	return c
}

var errCorruptValue = errors.New("value does not match the column's type (corrupt file)")

func (c *codec) check(v parquet.Value) error {
	if v.Kind() != c.phys {
		return errCorruptValue
	}
	return nil
}

// number returns a numeric value as a float64. Large integers round to
// the nearest float64, which is all a model can use anyway.
func (c *codec) number(v parquet.Value) (float64, error) {
	if err := c.check(v); err != nil {
		return 0, err
	}
	switch c.kind {
	case kindBool:
		if v.Boolean() {
			return 1, nil
		}
		return 0, nil
	case kindInt32:
		return float64(v.Int32()), nil
	case kindUint32:
		return float64(v.Uint32()), nil
	case kindInt64:
		return float64(v.Int64()), nil
	case kindUint64:
		return float64(v.Uint64()), nil
	case kindFloat:
		return float64(v.Float()), nil
	case kindDouble:
		return v.Double(), nil
	case kindDecimal:
		return c.decimal(v)
	}
	return 0, fmt.Errorf("type %s is not numeric", c.typ)
}

// decimal scales a DECIMAL's unscaled integer, which parquet stores in an
// INT32, an INT64 or a big-endian two's-complement byte array.
func (c *codec) decimal(v parquet.Value) (float64, error) {
	var unscaled float64
	switch c.phys {
	case parquet.Int32:
		unscaled = float64(v.Int32())
	case parquet.Int64:
		unscaled = float64(v.Int64())
	default:
		b := v.ByteArray()
		if len(b) == 0 {
			return 0, errors.New("empty decimal")
		}
		n := new(big.Int).SetBytes(b)
		if b[0]&0x80 != 0 {
			n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
		}
		unscaled, _ = new(big.Float).SetInt(n).Float64()
	}
	return unscaled / math.Pow10(c.scale), nil
}

// integer returns a value that must be a whole number; floating-point and
// decimal columns qualify value by value, because pandas turns an integer
// column with a missing cell into float64 for the whole column.
func (c *codec) integer(v parquet.Value) (int64, error) {
	if err := c.check(v); err != nil {
		return 0, err
	}
	switch c.kind {
	case kindInt32:
		return int64(v.Int32()), nil
	case kindUint32:
		return int64(v.Uint32()), nil
	case kindInt64:
		return v.Int64(), nil
	case kindUint64:
		if u := v.Uint64(); u > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range", u)
		}
		return v.Int64(), nil
	case kindFloat, kindDouble, kindDecimal:
		f, err := c.number(v)
		if err != nil {
			return 0, err
		}
		// 2^63 is the first float64 beyond int64; -2^63 itself fits.
		if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
			return 0, fmt.Errorf("%v is not an integer", f)
		}
		return int64(f), nil
	}
	return 0, fmt.Errorf("type %s is not an integer type", c.typ)
}

// count returns a non-negative whole number.
func (c *codec) count(v parquet.Value) (int64, error) {
	n, err := c.integer(v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("%w: %d", features.ErrNegativeCount, n)
	}
	return n, nil
}

// flag returns a boolean stored as a BOOLEAN, a number 0 or 1, or a string
// 0, 1, true or false. An empty string is false, as a null is: it is how
// text formats spell a missing cell.
func (c *codec) flag(v parquet.Value) (bool, error) {
	switch c.kind {
	case kindBool:
		if err := c.check(v); err != nil {
			return false, err
		}
		return v.Boolean(), nil
	case kindString:
		if err := c.check(v); err != nil {
			return false, err
		}
		switch s := string(v.ByteArray()); {
		case s == "" || s == "0" || strings.EqualFold(s, "false"):
			return false, nil
		case s == "1" || strings.EqualFold(s, "true"):
			return true, nil
		default:
			return false, fmt.Errorf("%q is not 0, 1, true or false", s)
		}
	}
	n, err := c.integer(v)
	if err != nil {
		return false, err
	}
	if n != 0 && n != 1 {
		return false, fmt.Errorf("%d is not 0 or 1", n)
	}
	return n == 1, nil
}

// date returns the calendar day of a date, a timestamp or a string.
// Timestamps give their UTC day; producers that store local wall-clock
// time (isAdjustedToUTC=false) store it as if it were UTC, so the same
// arithmetic yields the wall-clock day.
func (c *codec) date(v parquet.Value) (features.Date, error) {
	if err := c.check(v); err != nil {
		return features.NoDate, err
	}
	var days int64
	switch c.kind {
	case kindDate:
		days = int64(v.Int32())
	case kindTimestamp:
		days = floorDiv(v.Int64(), c.unitsPerDay)
	case kindInt96:
		// Nanoseconds within the day in the low 8 bytes, the Julian day
		// in the high 4.
		i := v.Int96()
		nanos := uint64(i[1])<<32 | uint64(i[0])
		if nanos >= uint64(nanosPerDay) {
			return features.NoDate, fmt.Errorf("INT96 timestamp has %d nanoseconds in a day", nanos)
		}
		days = int64(i[2]) - julianUnixEpoch
	case kindString:
		return parseDate(v.ByteArray())
	default:
		return features.NoDate, fmt.Errorf("type %s is not a date", c.typ)
	}
	if days < minDate || days > maxDate {
		return features.NoDate, fmt.Errorf("date is %d days from 1970-01-01, outside years 0000-9999", days)
	}
	return features.Date(days), nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// parseDate parses YYYY-MM-DD, or a timestamp string that begins with one
// (as pandas and Spark print timestamps). The date is taken as written:
// a string carries a calendar day, not an instant to convert.
func parseDate(b []byte) (features.Date, error) {
	if len(b) > 10 {
		if b[10] != 'T' && b[10] != ' ' {
			return features.NoDate, fmt.Errorf("date %q is not YYYY-MM-DD", b)
		}
		clock := string(b[11:])
		ok := false
		// time.Parse takes a fractional second after the seconds without
		// the layout asking for one.
		for _, layout := range [...]string{"15:04:05", "15:04:05Z07:00", "15:04:05Z0700", "15:04:05Z07"} {
			if _, err := time.Parse(layout, clock); err == nil {
				ok = true
				break
			}
		}
		if !ok {
			return features.NoDate, fmt.Errorf("timestamp %q has no valid time of day after its date", b)
		}
		b = b[:10]
	}
	return features.ParseDate(string(b))
}

// appendText appends an identifier's text: strings as they are, integers
// in decimal (some warehouses key accounts by number), UUIDs in their
// canonical 8-4-4-4-12 form.
func (c *codec) appendText(dst []byte, v parquet.Value) ([]byte, error) {
	if err := c.check(v); err != nil {
		return dst, err
	}
	switch c.kind {
	case kindString:
		return append(dst, v.ByteArray()...), nil
	case kindInt32:
		return strconv.AppendInt(dst, int64(v.Int32()), 10), nil
	case kindUint32:
		return strconv.AppendUint(dst, uint64(v.Uint32()), 10), nil
	case kindInt64:
		return strconv.AppendInt(dst, v.Int64(), 10), nil
	case kindUint64:
		return strconv.AppendUint(dst, v.Uint64(), 10), nil
	case kindUUID:
		u := v.ByteArray()
		if len(u) != 16 {
			return dst, errCorruptValue
		}
		for i, part := range [][]byte{u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]} {
			if i > 0 {
				dst = append(dst, '-')
			}
			dst = hex.AppendEncode(dst, part)
		}
		return dst, nil
	}
	return dst, fmt.Errorf("type %s is not text", c.typ)
}
