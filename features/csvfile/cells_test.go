package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/churnlabs/churn/features"
)

func TestParseCount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string // "" for success
	}{
		{"0", 0, ""},
		{"12", 12, ""},
		{"007", 7, ""},
		{"999999999999999999", 999999999999999999, ""},
		{"9223372036854775807", math.MaxInt64, ""},
		{"+5", 5, ""},
		{"-0", 0, ""},
		{"12.0", 12, ""},
		{"12.", 12, ""},
		{"1e3", 1000, ""},
		{"-0.0", 0, ""},
		{"", 0, "missing value"},
		{"abc", 0, `invalid number "abc"`},
		{" 1", 0, `invalid number " 1"`},
		{"NaN", 0, `invalid number "NaN"`},
		{"0x10", 0, `invalid number "0x10"`},
		{"1_000", 0, `invalid number "1_000"`},
		{"12.5", 0, "12.5 is not a whole number"},
		{"1e-3", 0, "1e-3 is not a whole number"},
		{"-3", 0, "negative count: -3"},
		{"-3.0", 0, "negative count: -3.0"},
		{"-1e400", 0, "negative count: -1e400"},
		{"-99999999999999999999", 0, "negative count: -99999999999999999999"},
		{"9223372036854775808", 0, "count 9223372036854775808 is out of range"},
		{"9.3e18", 0, "count 9.3e18 is out of range"},
		{"inf", 0, "count inf is out of range"},
	}
	for _, tt := range tests {
		got, err := parseCount(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseCount(%q) = %d, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			if strings.HasPrefix(tt.wantErr, "negative") != errors.Is(err, features.ErrNegativeCount) {
				t.Errorf("parseCount(%q): errors.Is(%v, ErrNegativeCount) is wrong", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseCount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in      string
		want    float64 // NaN for NaN
		wantErr string
	}{
		{"", math.NaN(), ""},
		{"NaN", math.NaN(), ""},
		{"nan", math.NaN(), ""},
		{"0", 0, ""},
		{"-2.5", -2.5, ""},
		{"1e300", 1e300, ""},
		{"5e-324", 5e-324, ""},
		{"1e-400", 0, ""},
		{"abc", 0, `invalid number "abc"`},
		{"1,5", 0, `invalid number "1,5"`},
		{"0x1p3", 0, `invalid number "0x1p3"`},
		{"1e400", 0, "number 1e400 is out of range"},
		{"-Inf", 0, "-Inf is infinite: a value must be finite (leave the cell empty when it is unknown)"},
		{"Infinity", 0, "Infinity is infinite: a value must be finite (leave the cell empty when it is unknown)"},
	}
	for _, tt := range tests {
		got, err := parseNumber(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseNumber(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !sameFloat(got, tt.want) {
			t.Errorf("parseNumber(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, in := range []string{"", "0", "0.0", "false", "FALSE", "False"} {
		if got, err := parseBool(in); got || err != nil {
			t.Errorf("parseBool(%q) = %v, %v; want false", in, got, err)
		}
	}
	for _, in := range []string{"1", "1.0", "true", "TRUE", "True"} {
		if got, err := parseBool(in); !got || err != nil {
			t.Errorf("parseBool(%q) = %v, %v; want true", in, got, err)
		}
	}
	for _, in := range []string{"2", "yes", "t", " 1", "-1", "0.5"} {
		want := `invalid boolean "` + in + `" (want 0, 1, true or false)`
		if got, err := parseBool(in); err == nil || err.Error() != want {
			t.Errorf("parseBool(%q) = %v, %v; want error %q", in, got, err, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	jan1, _ := features.ParseDate("2024-01-01")
	tests := []struct {
		in      string
		wantErr string
	}{
		{"2024-01-01", ""},
		{"2024-01-01T00:00", ""},
		{"2024-01-01T00:00:00", ""},
		{"2024-01-01T00:00:00Z", ""},
		{"2024-01-01 00:00:00", ""},
		{"2024-01-01 23:59:60.999999999", ""},
		{"2024-01-01T12:30:00+05:30", ""},
		{"2024-01-01T12:30:00-0800", ""},
		{"2024-01-01T12:30:00.000+00", ""},
		{"2024-01-01T12:30-04:00", ""},
		{"", `date "" is not YYYY-MM-DD`},
		{"2024-1-1", `date "2024-1-1" is not YYYY-MM-DD`},
		{"01/01/2024", `date "01/01/2024" is not YYYY-MM-DD`},
		{"2024-02-30", `date "2024-02-30" is not a valid YYYY-MM-DD date`},
		{"2024-01-01x", `date "2024-01-01x" is not YYYY-MM-DD`},
		{"2024-13-01T00:00:00Z", `timestamp "2024-13-01T00:00:00Z": date "2024-13-01" is not a valid YYYY-MM-DD date`},
	}
	badClocks := []string{
		"", "0", "00", "00:", "00:0", "24:00", "12:60", "12:00:61", "12:00:00.", "12:00:00.5x",
		"12:00Y", "12:00+", "12:00+1", "12:00+24", "12:00+05:", "12:00+05:60", "12:00+0530x", "noon",
	}
	for _, c := range badClocks {
		in := "2024-01-01T" + c
		tests = append(tests, struct{ in, wantErr string }{in,
			`timestamp "` + in + `": time of day is not HH:MM[:SS[.fraction]][zone]`})
	}
	for _, tt := range tests {
		got, err := parseDate(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseDate(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != jan1 {
			t.Errorf("parseDate(%q) = %v, %v; want %v", tt.in, got, err, jan1)
		}
	}
}

func TestDateBounds(t *testing.T) {
	for _, tt := range []struct {
		d    features.Date
		want string
	}{{minDate, "0000-01-01"}, {maxDate, "9999-12-31"}} {
		d, err := features.ParseDate(tt.want)
		if err != nil || d != tt.d {
			t.Errorf("ParseDate(%q) = %d, %v; want %d", tt.want, d, err, tt.d)
		}
		if got := string(appendDate(nil, tt.d)); got != tt.want {
			t.Errorf("appendDate(%d) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAppendDate(t *testing.T) {
	// Every 97th day across the whole range, which lands on every day of
	// the month and every kind of year.
	for d := minDate; d <= maxDate; d += 97 {
		got := string(appendDate(nil, d))
		if back, err := features.ParseDate(got); err != nil || back != d {
			t.Fatalf("appendDate(%d) = %q, which reads back as %d, %v", d, got, back, err)
		}
	}
}

func TestAppendNumber(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{math.NaN(), ""},
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{1e21, "1e+21"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(-1), "-Inf"},
	}
	for _, tt := range tests {
		if got := string(appendNumber(nil, tt.in)); got != tt.want {
			t.Errorf("appendNumber(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestAppendText checks quoting against encoding/csv's Writer, whose
// output every CSV reader is known to accept.
func TestAppendText(t *testing.T) {
	for _, s := range []string{
		"", "a", "a b", " a", "\ta", "a ", "a,b", `a"b`, `"`, "a\nb", "a\rb", "\u00a0a", "héllo", `\.`,
	} {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		w.Write([]string{s})
		w.Flush()
		// encoding/csv quotes a lone `\.` for PostgreSQL; both forms read back the same.
		if s == `\.` {
			want.Reset()
			want.WriteString(s + "\n")
		}
		if got := string(appendText(nil, s)) + "\n"; got != want.String() {
			t.Errorf("appendText(%q) = %q, encoding/csv writes %q", s, got, want.String())
		}
	}
}

func TestInterner(t *testing.T) {
	var in interner
	rec := strings.Repeat("x", 100) + "acct-1"
	a := in.intern(rec[100:])
	b := in.intern(strings.Clone("acct-2"))
	c := in.intern(strings.Clone("acct-1"))
	if a != "acct-1" || b != "acct-2" || c != "acct-1" {
		t.Fatalf("intern returned %q, %q, %q", a, b, c)
	}
	if unsafe.StringData(a) == unsafe.StringData(rec[100:]) {
		t.Error("intern returned its argument, which pins the record it was sliced from")
	}
	if unsafe.StringData(a) != unsafe.StringData(c) {
		t.Error("intern returned two copies of the same string")
	}
}

// sameFloat reports whether a and b are the same value, NaN included.
func sameFloat(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || math.IsNaN(a) && math.IsNaN(b)
}

// FuzzParseDecimal checks parseDecimal, fast path for short decimals
// included, against strconv.ParseFloat, whose decimal numbers it must
// read bit for bit the same.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0", "7", "-12", "007", "123456789012345", "1234567890123456", "7.25", "-0.5", ".5", "5.",
		"-0.0", "1.23456789012345", "0.000000000000001", "12345678901234.5", "1.2.3", "-.5", ".",
		"-999999999999999", "1.5", "1e3", "+5", "-", "", "0x10", "1_000", "inf", "NaN", "9" + strings.Repeat("9", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseDecimal(s)
		want, werr := strconv.ParseFloat(s, 64)
		if strings.ContainsAny(s, "xX_") {
			if err == nil {
				t.Fatalf("parseDecimal(%q) = %v, want an error", s, got)
			}
			return
		}
		if (err == nil) != (werr == nil) || math.Float64bits(got) != math.Float64bits(want) && !(got != got && want != want) {
			t.Fatalf("parseDecimal(%q) = %v, %v; strconv.ParseFloat gives %v, %v", s, got, err, want, werr)
		}
	})
}
