package parquetfile

import (
	"math"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
)

// TestDateConstants checks the hand-computed day numbers against the
// features package's own calendar.
func TestDateConstants(t *testing.T) {
	if d := mustDate("0000-01-01"); d != minDate {
		t.Errorf("minDate = %d, want %d", minDate, d)
	}
	if d := mustDate("9999-12-31"); d != maxDate {
		t.Errorf("maxDate = %d, want %d", maxDate, d)
	}
	// 1858-11-17 is Julian day 2400001 (modified Julian day 0 is half a
	// day earlier), a date the Julian-day formula is checked against.
	if got := int64(mustDate("1858-11-17")) + julianUnixEpoch; got != 2400001 {
		t.Errorf("Julian day of 1858-11-17 = %d, want 2400001", got)
	}
}

func TestCodecOf(t *testing.T) {
	tests := []struct {
		node parquet.Node
		want kind
	}{
		{parquet.Leaf(parquet.BooleanType), kindBool},
		{parquet.Leaf(parquet.Int32Type), kindInt32},
		{parquet.Int(8), kindInt32},
		{parquet.Uint(16), kindUint32},
		{parquet.Int(64), kindInt64},
		{parquet.Uint(64), kindUint64},
		{parquet.Leaf(parquet.FloatType), kindFloat},
		{parquet.Leaf(parquet.DoubleType), kindDouble},
		{parquet.Decimal(2, 9, parquet.Int32Type), kindDecimal},
		{parquet.Decimal(2, 30, parquet.FixedLenByteArrayType(13)), kindDecimal},
		{parquet.Date(), kindDate},
		{parquet.Timestamp(parquet.Microsecond), kindTimestamp},
		{parquet.Leaf(parquet.Int96Type), kindInt96},
		{parquet.String(), kindString},
		{parquet.Enum(), kindString},
		{parquet.Leaf(parquet.ByteArrayType), kindString},
		{parquet.UUID(), kindUUID},
		{parquet.Time(parquet.Millisecond), kindOther},
		{parquet.JSON(), kindOther},
		{parquet.Leaf(parquet.FixedLenByteArrayType(8)), kindOther},
	}
	for _, tt := range tests {
		if got := codecOf(tt.node.Type()).kind; got != tt.want {
			t.Errorf("codecOf(%s).kind = %d, want %d", tt.node.Type(), got, tt.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	flba := func(b ...byte) parquet.Value { return parquet.FixedLenByteArrayValue(b) }
	tests := []struct {
		name  string
		node  parquet.Node
		value parquet.Value
		want  float64
	}{
		{"int32", parquet.Decimal(2, 9, parquet.Int32Type), parquet.Int32Value(-12345), -123.45},
		{"int64 scale 0", parquet.Decimal(0, 18, parquet.Int64Type), parquet.Int64Value(42), 42},
		{"3 bytes positive", parquet.Decimal(1, 6, parquet.FixedLenByteArrayType(3)), flba(0x01, 0x00, 0x00), 6553.6},
		{"3 bytes negative", parquet.Decimal(1, 6, parquet.FixedLenByteArrayType(3)), flba(0xff, 0xff, 0xfe), -0.2},
		{"16 bytes negative", parquet.Decimal(3, 38, parquet.FixedLenByteArrayType(16)), flba(
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0x00), -4.096},
		{"16 bytes beyond int64", parquet.Decimal(0, 38, parquet.FixedLenByteArrayType(16)), flba(
			0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), 1 << 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := codecOf(tt.node.Type())
			got, err := c.number(tt.value)
			if err != nil || math.Abs(got-tt.want) > 1e-9*math.Abs(tt.want) {
				t.Errorf("number = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestInteger(t *testing.T) {
	double := codecOf(parquet.DoubleType)
	tests := []struct {
		x    float64
		want int64
		ok   bool
	}{
		{0, 0, true},
		{-0.0, 0, true},
		{1e15, 1e15, true},
		{-(1 << 63), math.MinInt64, true},
		{1 << 63, 0, false},
		{0.5, 0, false},
		{math.Inf(1), 0, false},
		{math.NaN(), 0, false},
	}
	for _, tt := range tests {
		got, err := double.integer(parquet.DoubleValue(tt.x))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("integer(%v) = %d, %v; want %d, ok=%t", tt.x, got, err, tt.want, tt.ok)
		}
	}
}

func TestFlag(t *testing.T) {
	text := codecOf(parquet.String().Type())
	tests := []struct {
		s    string
		want bool
		ok   bool
	}{
		{"1", true, true}, {"true", true, true}, {"True", true, true},
		{"0", false, true}, {"false", false, true}, {"FALSE", false, true}, {"", false, true},
		{"yes", false, false}, {"2", false, false}, {" 1", false, false},
	}
	for _, tt := range tests {
		got, err := text.flag(parquet.ByteArrayValue([]byte(tt.s)))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("flag(%q) = %t, %v; want %t, ok=%t", tt.s, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for an error
	}{
		{"2024-02-29", "2024-02-29"},
		{"2024-02-29T00:00:00", "2024-02-29"},
		{"2024-02-29 23:59:59.123456789", "2024-02-29"},
		{"2024-02-29T23:00:00Z", "2024-02-29"},
		{"2024-02-29T23:00:00-05:00", "2024-02-29"}, // the day as written, not converted
		{"2024-02-29 01:00:00+0200", "2024-02-29"},
		{"2024-02-29 01:00:00+02", "2024-02-29"},
		{"2023-02-29", ""},
		{"2024-02-29T", ""},
		{"2024-02-29T10:00", ""},
		{"2024-02-29X10:00:00", ""},
		{"2024-02-29 10:00:00 UTC", ""},
		{"2024-2-29", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := parseDate([]byte(tt.in))
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("parseDate(%q) = %s, want an error", tt.in, got)
		case tt.want != "" && (err != nil || got.String() != tt.want):
			t.Errorf("parseDate(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		case err != nil && !strings.Contains(err.Error(), strings.TrimSpace(tt.in[:min(len(tt.in), 10)])):
			t.Errorf("parseDate(%q) error %q does not quote the input", tt.in, err)
		}
	}
}

func TestFloorDiv(t *testing.T) {
	tests := []struct{ a, b, want int64 }{
		{7, 2, 3}, {-7, 2, -4}, {-8, 2, -4}, {0, 5, 0}, {-1, 86400, -1}, {math.MinInt64, 86400000, -106751991168},
	}
	for _, tt := range tests {
		if got := floorDiv(tt.a, tt.b); got != tt.want {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestInterner(t *testing.T) {
	in := newInterner(2)
	a1 := in.intern([]byte("a"))
	a2 := in.intern([]byte("a"))
	if a1 != "a" || a2 != "a" || len(in.m) != 1 {
		t.Fatalf("intern a twice = %q, %q with %d remembered", a1, a2, len(in.m))
	}
	for _, s := range []string{"b", "c", "d"} {
		if got := in.intern([]byte(s)); got != s {
			t.Errorf("intern(%q) = %q", s, got)
		}
	}
	if len(in.m) != 2 {
		t.Errorf("interner remembers %d strings, want its limit of 2", len(in.m))
	}
}

// TestDateOfEveryKindAgrees checks one day through every representation.
func TestDateOfEveryKindAgrees(t *testing.T) {
	day := mustDate("1999-12-31")
	ns := int64(day)*86400e9 + 86400e9 - 1
	tests := []struct {
		node parquet.Node
		v    parquet.Value
	}{
		{parquet.Date(), parquet.Int32Value(int32(day))},
		{parquet.Timestamp(parquet.Millisecond), parquet.Int64Value(ns / 1e6)},
		{parquet.Timestamp(parquet.Microsecond), parquet.Int64Value(ns / 1e3)},
		{parquet.Timestamp(parquet.Nanosecond), parquet.Int64Value(ns)},
		{parquet.Leaf(parquet.Int96Type), parquet.Int96Value(int96("1999-12-31", 86400e9-1))},
		{parquet.String(), parquet.ByteArrayValue([]byte("1999-12-31 23:59:59.999"))},
	}
	for _, tt := range tests {
		c := codecOf(tt.node.Type())
		if got, err := c.date(tt.v); err != nil || got != day {
			t.Errorf("date of %s %v = %s, %v; want %s", tt.node.Type(), tt.v, got, err, day)
		}
	}
	// A value of another physical kind than the column's is corruption.
	c := codecOf(parquet.Date().Type())
	if _, err := c.date(parquet.Int64Value(1)); err != errCorruptValue {
		t.Errorf("date of a mismatched value = %v, want %v", err, errCorruptValue)
	}
	if got, _ := c.date(parquet.Int32Value(minDate - 1)); got != features.NoDate {
		t.Errorf("date before year 0 = %v, want NoDate", got)
	}
}
