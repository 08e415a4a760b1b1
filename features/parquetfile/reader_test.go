package parquetfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// wantSnapshots is what every producer file in TestReadProducerTypes holds:
// the same three rows, the second with every optional value missing.
func wantSnapshots() []features.Snapshot {
	return []features.Snapshot{{
		AccountID: "a1", Week: mustDate("2024-01-01"),
		Logins: 3, Frequency: 2, RecencyDays: 1,
		ARR: 1200.5, Segment: "smb", RenewalDate: mustDate("2024-06-30"),
		Extra: []float64{}, Row: 1,
	}, {
		AccountID: "a1", Week: mustDate("2024-01-08"),
		RecencyDays: 8, SLABreaches: 1, OverdueInvoices: 2, Churned: true,
		ARR: math.NaN(), RenewalDate: features.NoDate,
		Extra: []float64{}, Row: 2,
	}, {
		AccountID: "b2", Week: mustDate("2024-01-01"),
		Logins: 10, Frequency: 5,
		ARR: 0, Segment: "enterprise", RenewalDate: mustDate("2025-01-01"),
		Extra: []float64{}, Row: 3,
	}}
}

var fullSchema = features.Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true}

// pandasRow is how pandas writes a frame: nanosecond timestamps, an integer
// column with a missing value promoted to float64, nullable objects.
type pandasRow struct {
	AccountID       string     `parquet:"account_id"`
	Week            time.Time  `parquet:"week,timestamp(nanosecond)"`
	Logins          int64      `parquet:"logins"`
	Frequency       float64    `parquet:"frequency"`
	RecencyDays     int64      `parquet:"recency_days"`
	SLABreaches     int64      `parquet:"sla_breaches"`
	OverdueInvoices int64      `parquet:"overdue_invoices"`
	Churned         bool       `parquet:"churned"`
	ARR             *float64   `parquet:"arr,optional"`
	Segment         *string    `parquet:"segment,optional"`
	RenewalDate     *time.Time `parquet:"renewal_date,timestamp(microsecond)"`
}

// sparkRow is how Spark writes by default: INT96 timestamps, INT32
// integers, decimals for money, DATE for dates.
type sparkRow struct {
	AccountID       string           `parquet:"account_id"`
	Week            deprecated.Int96 `parquet:"week"`
	Logins          int32            `parquet:"logins"`
	Frequency       int32            `parquet:"frequency"`
	RecencyDays     int32            `parquet:"recency_days"`
	SLABreaches     int32            `parquet:"sla_breaches"`
	OverdueInvoices int32            `parquet:"overdue_invoices"`
	Churned         int32            `parquet:"churned"`
	ARR             *int64           `parquet:"arr,decimal(2:18)"`
	Segment         string           `parquet:"segment"`
	RenewalDate     *int32           `parquet:"renewal_date,date"`
}

// textRow is a CSV converted to Parquet with every column as text, or
// nearly: unsigned counts and a float32 ARR.
type textRow struct {
	AccountID       string   `parquet:"account_id"`
	Week            string   `parquet:"week"`
	Logins          uint32   `parquet:"logins"`
	Frequency       uint64   `parquet:"frequency"`
	RecencyDays     uint32   `parquet:"recency_days"`
	SLABreaches     uint32   `parquet:"sla_breaches"`
	OverdueInvoices uint32   `parquet:"overdue_invoices"`
	Churned         string   `parquet:"churned"`
	ARR             *float32 `parquet:"arr,optional"`
	Segment         *string  `parquet:"segment,optional"`
	RenewalDate     string   `parquet:"renewal_date"`
}

// duckRow is how DuckDB writes: DATE, small integer types, wide decimals
// as FIXED_LEN_BYTE_ARRAY, millisecond timestamps, enums.
type duckRow struct {
	AccountID       string    `parquet:"account_id"`
	Week            int32     `parquet:"week,date"`
	Logins          int16     `parquet:"logins"`
	Frequency       int8      `parquet:"frequency"`
	RecencyDays     int16     `parquet:"recency_days"`
	SLABreaches     int8      `parquet:"sla_breaches"`
	OverdueInvoices int8      `parquet:"overdue_invoices"`
	Churned         *bool     `parquet:"churned,optional"`
	ARR             *[16]byte `parquet:"arr,decimal(2:38)"`
	Segment         string    `parquet:"segment,enum"`
	RenewalDate     *int64    `parquet:"renewal_date,timestamp(millisecond)"`
}

func ptr[T any](v T) *T { return &v }

func int96(day string, clock time.Duration) deprecated.Int96 {
	nanos := uint64(clock)
	return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(int64(mustDate(day)) + julianUnixEpoch)}
}

// decimal128 encodes an unscaled decimal as 16 big-endian bytes in two's
// complement.
func decimal128(unscaled int64) *[16]byte {
	var b [16]byte
	n := big.NewInt(unscaled)
	if unscaled < 0 {
		n.Add(n, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	n.FillBytes(b[:])
	return &b
}

func TestReadProducerTypes(t *testing.T) {
	at := func(s string) time.Time { return mustDate(s).Time() }
	days := func(s string) *int32 { return ptr(int32(mustDate(s))) }
	tests := []struct {
		name string
		data func(t *testing.T) []byte
	}{{
		name: "native",
		data: func(t *testing.T) []byte {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, fullSchema)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range wantSnapshots() {
				if err := w.Write(&s); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		},
	}, {
		name: "pandas",
		data: func(t *testing.T) []byte {
			return writeStructs(t, []pandasRow{
				{"a1", at("2024-01-01").Add(13 * time.Hour), 3, 2, 1, 0, 0, false, ptr(1200.5), ptr("smb"), ptr(at("2024-06-30"))},
				{"a1", at("2024-01-08").Add(23*time.Hour + 59*time.Minute), 0, 0, 8, 1, 2, true, nil, nil, nil},
				{"b2", at("2024-01-01"), 10, 5, 0, 0, 0, false, ptr(0.0), ptr("enterprise"), ptr(at("2025-01-01").Add(time.Hour))},
			})
		},
	}, {
		name: "spark",
		data: func(t *testing.T) []byte {
			return writeStructs(t, []sparkRow{
				{"a1", int96("2024-01-01", time.Hour), 3, 2, 1, 0, 0, 0, ptr(int64(120050)), "smb", days("2024-06-30")},
				{"a1", int96("2024-01-08", 0), 0, 0, 8, 1, 2, 1, nil, "", nil},
				{"b2", int96("2024-01-01", 24*time.Hour-1), 10, 5, 0, 0, 0, 0, ptr(int64(0)), "enterprise", days("2025-01-01")},
			})
		},
	}, {
		name: "text",
		data: func(t *testing.T) []byte {
			return writeStructs(t, []textRow{
				{"a1", "2024-01-01", 3, 2, 1, 0, 0, "false", ptr(float32(1200.5)), ptr("smb"), "2024-06-30 00:00:00"},
				{"a1", "2024-01-08T00:00:00Z", 0, 0, 8, 1, 2, "TRUE", nil, nil, ""},
				{"b2", "2024-01-01 12:30:00.250+02:00", 10, 5, 0, 0, 0, "0", ptr(float32(0)), ptr("enterprise"), "2025-01-01"},
			})
		},
	}, {
		name: "duckdb",
		data: func(t *testing.T) []byte {
			ms := func(s string) *int64 { return ptr(at(s).UnixMilli()) }
			return writeStructs(t, []duckRow{
				{"a1", *days("2024-01-01"), 3, 2, 1, 0, 0, ptr(false), decimal128(120050), "smb", ms("2024-06-30")},
				{"a1", *days("2024-01-08"), 0, 0, 8, 1, 2, ptr(true), nil, "", nil},
				{"b2", *days("2024-01-01"), 10, 5, 0, 0, 0, nil, decimal128(0), "enterprise", ms("2025-01-01")},
			})
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data(t)
			r := newTestReader(t, data)
			if got := r.Schema(); !got.HasChurned || !got.HasARR || !got.HasSegment || !got.HasRenewal || len(got.Extras) != 0 {
				t.Errorf("Schema() = %+v, want every optional column and no extras", got)
			}
			checkSnapshots(t, readAll(t, data), wantSnapshots())
		})
	}
}

func TestReadIdentifierTypes(t *testing.T) {
	base := validColumns()
	uuid := make([]byte, 16)
	for i := range uuid {
		uuid[i] = byte(i * 17)
	}
	tests := []struct {
		name string
		col  column
		want []string
	}{
		{"int64", column{"account_id", parquet.Leaf(parquet.Int64Type), i64s(101, -5, 1<<40)}, []string{"101", "-5", "1099511627776"}},
		{"uint32", column{"account_id", parquet.Uint(32), i32s(-1, 0, 7)}, []string{"4294967295", "0", "7"}},
		{"uint64", column{"account_id", parquet.Uint(64), i64s(-1, 1, 2)}, []string{"18446744073709551615", "1", "2"}},
		{"uuid", column{"account_id", parquet.UUID(), []parquet.Value{
			parquet.FixedLenByteArrayValue(uuid), parquet.FixedLenByteArrayValue(uuid), parquet.FixedLenByteArrayValue(make([]byte, 16)),
		}}, []string{"00112233-4455-6677-8899-aabbccddeeff", "00112233-4455-6677-8899-aabbccddeeff", "00000000-0000-0000-0000-000000000000"}},
		{"untyped bytes", column{"account_id", parquet.Leaf(parquet.ByteArrayType), strs("x", "y", "z")}, []string{"x", "y", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, writeColumns(t, replace(base, tt.col)...))
			var ids []string
			for _, s := range got {
				ids = append(ids, s.AccountID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("account IDs %q, want %q", ids, tt.want)
			}
		})
	}
}

// TestReadDateTypes checks the edges of each date representation: days
// before 1970, timestamps just before midnight, and every timestamp unit.
func TestReadDateTypes(t *testing.T) {
	tests := []struct {
		name string
		col  column
		want []string
	}{
		{"date", column{"week", parquet.Date(), i32s(0, -1, int32(mustDate("2024-02-29")))},
			[]string{"1970-01-01", "1969-12-31", "2024-02-29"}},
		{"millis", column{"week", parquet.Timestamp(parquet.Millisecond), i64s(0, -1, 86400_000-1)},
			[]string{"1970-01-01", "1969-12-31", "1970-01-01"}},
		{"micros", column{"week", parquet.Timestamp(parquet.Microsecond), i64s(86400_000_000, -86400_000_000, -86400_000_001)},
			[]string{"1970-01-02", "1969-12-31", "1969-12-30"}},
		{"nanos local", column{"week", parquet.TimestampAdjusted(parquet.Nanosecond, false), i64s(int64(mustDate("2024-01-01"))*86400e9+86400e9-1, 0, 1)},
			[]string{"2024-01-01", "1970-01-01", "1970-01-01"}},
		{"int96", column{"week", parquet.Leaf(parquet.Int96Type), []parquet.Value{
			parquet.Int96Value(int96("1969-07-20", 20*time.Hour)), parquet.Int96Value(int96("2000-01-01", 0)), parquet.Int96Value(int96("0001-01-01", 0)),
		}}, []string{"1969-07-20", "2000-01-01", "0001-01-01"}},
		{"strings", column{"week", parquet.String(), strs("9999-12-31", "0000-01-01", "2024-01-01T23:59:59.999999Z")},
			[]string{"9999-12-31", "0000-01-01", "2024-01-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, writeColumns(t, replace(validColumns(), tt.col)...))
			var weeks []string
			for _, s := range got {
				weeks = append(weeks, s.Week.String())
			}
			if !slices.Equal(weeks, tt.want) {
				t.Errorf("weeks %q, want %q", weeks, tt.want)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	valid := validColumns()
	optionalInt := parquet.Optional(parquet.Int(64))
	tests := []struct {
		name   string
		cols   []column
		row    int
		column string
		target error
		msg    string
	}{
		{"missing column", without(valid, "recency_days"), 0, "recency_days", nil, "missing required column"},
		{"negative count", replace(valid, column{"logins", parquet.Int(64), i64s(3, -1, 10)}), 2, "logins", features.ErrNegativeCount, "negative count: -1"},
		{"negative int32 count", replace(valid, column{"sla_breaches", parquet.Int(32), i32s(0, 0, -7)}), 3, "sla_breaches", features.ErrNegativeCount, "-7"},
		{"negative double count", replace(valid, column{"frequency", parquet.Leaf(parquet.DoubleType), f64s(-2, 0, 5)}), 1, "frequency", features.ErrNegativeCount, "-2"},
		{"null count", replace(valid, column{"logins", optionalInt, withNull(i64s(3, 0, 10), 2)}), 3, "logins", nil, "null value"},
		{"fractional count", replace(valid, column{"frequency", parquet.Leaf(parquet.DoubleType), f64s(2, 1.5, 5)}), 2, "frequency", nil, "1.5 is not an integer"},
		{"NaN count", replace(valid, column{"frequency", parquet.Leaf(parquet.DoubleType), f64s(2, math.NaN(), 5)}), 2, "frequency", nil, "NaN is not an integer"},
		{"huge count", replace(valid, column{"frequency", parquet.Leaf(parquet.DoubleType), f64s(2, 0, 1e19)}), 3, "frequency", nil, "is not an integer"},
		{"unsigned overflow", replace(valid, column{"overdue_invoices", parquet.Uint(64), i64s(0, -1, 0)}), 2, "overdue_invoices", nil, "18446744073709551615 is out of range"},
		{"bad date string", replace(valid, column{"week", parquet.String(), strs("2024-01-01", "2024-13-01", "2024-01-01")}), 2, "week", nil, `date "2024-13-01" is not a valid YYYY-MM-DD date`},
		{"US date string", replace(valid, column{"week", parquet.String(), strs("01/02/2024", "2024-01-01", "2024-01-01")}), 1, "week", nil, "not YYYY-MM-DD"},
		{"bad timestamp string", replace(valid, column{"week", parquet.String(), strs("2024-01-01", "2024-01-01", "2024-01-01T25:00:00")}), 3, "week", nil, "no valid time of day"},
		{"empty week", replace(valid, column{"week", parquet.String(), strs("2024-01-01", "", "2024-01-01")}), 2, "week", nil, "not YYYY-MM-DD"},
		{"null week", replace(valid, column{"week", parquet.Optional(parquet.Date()), withNull(i32s(0, 0, 0), 0)}), 1, "week", nil, "null value"},
		{"timestamp out of range", replace(valid, column{"week", parquet.Timestamp(parquet.Millisecond), i64s(0, math.MaxInt64, 0)}), 2, "week", nil, "outside years 0000-9999"},
		{"INT96 past midnight", replace(valid, column{"week", parquet.Leaf(parquet.Int96Type), []parquet.Value{
			parquet.Int96Value(int96("2024-01-01", 0)), parquet.Int96Value(int96("2024-01-01", 24*time.Hour)), parquet.Int96Value(int96("2024-01-01", 0)),
		}}), 2, "week", nil, "nanoseconds in a day"},
		{"empty account", replace(valid, column{"account_id", parquet.String(), strs("a", "b", "")}), 3, "account_id", nil, "empty value"},
		{"null account", replace(valid, column{"account_id", parquet.Optional(parquet.String()), withNull(strs("a", "b", "c"), 1)}), 2, "account_id", nil, "null value"},
		{"bad churned", append(valid, column{"churned", parquet.String(), strs("0", "yes", "1")}), 2, "churned", nil, `"yes" is not 0, 1, true or false`},
		{"churned 2", append(valid, column{"churned", parquet.Int(32), i32s(0, 1, 2)}), 3, "churned", nil, "2 is not 0 or 1"},
		{"negative arr", append(valid, column{"arr", parquet.Leaf(parquet.DoubleType), f64s(-0.5, 1, 2)}), 1, "arr", nil, "-0.5 is negative"},
		{"infinite arr", append(valid, column{"arr", parquet.Leaf(parquet.DoubleType), f64s(1, math.Inf(1), 2)}), 2, "arr", nil, "+Inf is not finite"},
		{"infinite extra", append(valid, column{"nps", parquet.Leaf(parquet.FloatType), []parquet.Value{
			parquet.FloatValue(1), parquet.FloatValue(2), parquet.FloatValue(float32(math.Inf(-1))),
		}}), 3, "nps", nil, "-Inf is not finite"},
		{"bad renewal", append(valid, column{"renewal_date", parquet.String(), strs("", "2024-02-30", "")}), 2, "renewal_date", nil, "2024-02-30"},
		{"string count", replace(valid, column{"logins", parquet.String(), strs("1", "2", "3")}), 0, "logins", nil, "type STRING, want an integer"},
		{"boolean count", replace(valid, column{"logins", parquet.Leaf(parquet.BooleanType), []parquet.Value{
			parquet.BooleanValue(true), parquet.BooleanValue(true), parquet.BooleanValue(true),
		}}), 0, "logins", nil, "type BOOLEAN, want an integer"},
		{"untyped int week", replace(valid, column{"week", parquet.Int(32), i32s(1, 2, 3)}), 0, "week", nil, "want a DATE, a TIMESTAMP or a YYYY-MM-DD string"},
		{"string arr", append(valid, column{"arr", parquet.String(), strs("1", "2", "3")}), 0, "arr", nil, "want numeric"},
		{"unknown renewal type", append(valid, column{"renewal_type", parquet.Optional(parquet.String()), strs("auto", "monthly", "")}), 2, "renewal_type", features.ErrRenewalType, `unknown renewal type "monthly"`},
		{"integer renewal type", append(valid, column{"renewal_type", parquet.Int(32), i32s(1, 2, 3)}), 0, "renewal_type", nil, "want a string"},
		{"float segment", append(valid, column{"segment", parquet.Leaf(parquet.DoubleType), f64s(1, 2, 3)}), 0, "segment", nil, "want a string or an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := firstError(t, writeColumns(t, tt.cols...))
			if err == nil {
				t.Fatal("read without error")
			}
			checkInputError(t, err, tt.row, tt.column, tt.target, tt.msg)
		})
	}
}

// TestReadNestedContractColumn checks that a contract column must be flat:
// a list of weeks has no single week to read.
func TestReadNestedContractColumn(t *testing.T) {
	type row struct {
		AccountID       string  `parquet:"account_id"`
		Week            []int32 `parquet:"week,list"`
		Logins          int64   `parquet:"logins"`
		Frequency       int64   `parquet:"frequency"`
		RecencyDays     int64   `parquet:"recency_days"`
		SLABreaches     int64   `parquet:"sla_breaches"`
		OverdueInvoices int64   `parquet:"overdue_invoices"`
	}
	err := firstError(t, writeStructs(t, []row{{AccountID: "a", Week: []int32{1}}}))
	checkInputError(t, err, 0, "week", nil, "nested or repeated column")
}

// extrasRow mixes extras of every numeric type with columns the reader
// must skip, to check both lists keep file order.
type extrasRow struct {
	Region          string                `parquet:"region"`
	AccountID       string                `parquet:"account_id"`
	Seats           int32                 `parquet:"seats"`
	Week            int32                 `parquet:"week,date"`
	Tags            []string              `parquet:"tags,list"`
	Logins          int64                 `parquet:"logins"`
	NPS             *float64              `parquet:"nps,optional"`
	Frequency       int64                 `parquet:"frequency"`
	Address         struct{ City string } `parquet:"address"`
	RecencyDays     int64                 `parquet:"recency_days"`
	Trial           bool                  `parquet:"trial"`
	SLABreaches     int64                 `parquet:"sla_breaches"`
	SignedUp        time.Time             `parquet:"signed_up,timestamp(millisecond)"`
	OverdueInvoices int64                 `parquet:"overdue_invoices"`
	Discount        int64                 `parquet:"discount,decimal(3:12)"`
	Scores          []float64             `parquet:"scores"`
	Load            float32               `parquet:"load"`
}

func TestReadExtrasAndIgnored(t *testing.T) {
	week := int32(mustDate("2024-01-01"))
	data := writeStructs(t, []extrasRow{
		{Region: "eu", AccountID: "a", Seats: 12, Week: week, NPS: ptr(-20.0), Trial: true, Discount: -1250, Load: 0.25},
		{Region: "us", AccountID: "b", Seats: -3, Week: week, Tags: []string{"x"}, Scores: []float64{1, 2}},
	})
	r := newTestReader(t, data)
	if got, want := r.Schema().Extras, []string{"seats", "nps", "trial", "discount", "load"}; !slices.Equal(got, want) {
		t.Errorf("Extras = %q, want %q", got, want)
	}
	if got, want := r.Ignored(), []string{"region", "tags", "address", "signed_up", "scores"}; !slices.Equal(got, want) {
		t.Errorf("Ignored() = %q, want %q", got, want)
	}
	if s := r.Schema(); s.HasChurned || s.HasARR || s.HasSegment || s.HasRenewal {
		t.Errorf("Schema() = %+v, want no optional contract columns", s)
	}
	got := readAll(t, data)
	want := [][]float64{{12, -20, 1, -1.25, 0.25}, {-3, math.NaN(), 0, 0, 0}}
	for i, s := range got {
		if !slices.EqualFunc(s.Extra, want[i], sameFloat) {
			t.Errorf("row %d: Extra = %v, want %v", i+1, s.Extra, want[i])
		}
	}
}

// TestReadSchemaIsACopy checks that callers cannot reach into the reader
// through the slices it returns.
func TestReadSchemaIsACopy(t *testing.T) {
	r := newTestReader(t, writeStructs(t, []extrasRow{{AccountID: "a"}}))
	r.Schema().Extras[0] = "changed"
	r.Ignored()[0] = "changed"
	if r.Schema().Extras[0] != "seats" || r.Ignored()[0] != "region" {
		t.Errorf("Schema() or Ignored() alias the reader's state")
	}
}

// TestNextAfterValueError checks that a bad value costs its row only.
func TestNextAfterValueError(t *testing.T) {
	data := writeColumns(t, replace(validColumns(), column{"logins", parquet.Int(64), i64s(-1, 0, -3)})...)
	r := newTestReader(t, data)
	defer r.Close()
	var rows []int
	var s features.Snapshot
	for {
		err := r.Next(&s)
		if err == io.EOF {
			break
		}
		if err == nil {
			continue
		}
		var ie *features.InputError
		if !errors.As(err, &ie) || !errors.Is(err, features.ErrNegativeCount) {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, ie.Row)
	}
	if !slices.Equal(rows, []int{1, 3}) {
		t.Errorf("errors at rows %v, want [1 3]", rows)
	}
}

// TestReadRowGroups checks that rows stream across row groups and batches
// in order, with row numbers that run on from one group to the next.
func TestReadRowGroups(t *testing.T) {
	const n = 2*batchSize + 37
	schema := features.Schema{HasSegment: true, Extras: []string{"x"}}
	var buf bytes.Buffer
	w, err := NewWriterSize(&buf, schema, 700)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		s := features.Snapshot{
			AccountID: string(rune('a'+i%26)) + "-" + string(rune('a'+i/26%26)),
			Week:      features.Date(19000 + i), Logins: int64(i),
			Segment: []string{"smb", "mid", ""}[i%3], Extra: []float64{float64(i) / 2},
		}
		if err := w.Write(&s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, buf.Bytes())
	if len(got) != n {
		t.Fatalf("read %d rows, want %d", len(got), n)
	}
	for i, s := range got {
		if s.Row != i+1 || s.Logins != int64(i) || s.Week != features.Date(19000+i) ||
			s.Segment != []string{"smb", "mid", ""}[i%3] || s.Extra[0] != float64(i)/2 {
			t.Fatalf("row %d: %+v", i+1, s)
		}
	}
}

func TestReadBadFiles(t *testing.T) {
	valid := writeColumns(t, validColumns()...)
	badFooter := bytes.Clone(valid)
	binary.LittleEndian.PutUint32(badFooter[len(badFooter)-8:], 1<<31)
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "not a parquet file"},
		{"too short", []byte("PAR1PAR1"), "not a parquet file"},
		{"csv", []byte("account_id,week,logins\na,2024-01-01,3\n"), "not a parquet file"},
		{"truncated", valid[:len(valid)-1], "not a"},
		{"footer length", badFooter, "footer"},
		{"no header magic", append([]byte("XXXX"), valid[4:]...), "not a readable parquet file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tt.data), int64(len(tt.data)), "test.parquet")
			if err == nil {
				t.Fatal("NewReader succeeded")
			}
			checkInputError(t, err, 0, "", nil, tt.msg)
		})
	}
}

// TestReadCorruptPages checks that damage past the footer surfaces as an
// error from Next, not a panic, whichever byte is hit.
func TestReadCorruptPages(t *testing.T) {
	valid := writeColumns(t, validColumns()...)
	failures := 0
	// Every third byte keeps the test quick and still hits every page.
	for i := 4; i < len(valid)-8; i += 3 {
		data := bytes.Clone(valid)
		data[i] ^= 0xff
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "test.parquet")
		if err != nil {
			failures++
			continue
		}
		var s features.Snapshot
		for range 10 {
			if err = r.Next(&s); err != nil {
				break
			}
		}
		if err != io.EOF {
			failures++
		}
		r.Close()
	}
	if failures == 0 {
		t.Error("no corruption was detected")
	}
}

func TestOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.parquet")
	if err := os.WriteFile(path, writeColumns(t, validColumns()...), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var s features.Snapshot
	if err := r.Next(&s); err != nil || s.AccountID != "a1" || s.Row != 1 {
		t.Fatalf("Next = %v, %+v", err, s)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Next(&s); !errors.Is(err, errClosed) {
		t.Errorf("Next after Close = %v, want %v", err, errClosed)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	if _, err := Open(filepath.Join(t.TempDir(), "missing.parquet")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open of a missing file = %v, want ErrNotExist", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	if err := os.WriteFile(bad, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ie *features.InputError
	if _, err := Open(bad); !errors.As(err, &ie) || ie.File != bad {
		t.Errorf("Open of a non-parquet file = %v, want an InputError naming it", err)
	}
}

// TestReaderImplementsSnapshotReader is a compile-time check with a
// runtime body, so that it also shows up in coverage of the interface.
func TestReaderImplementsSnapshotReader(t *testing.T) {
	var sr features.SnapshotReader = newTestReader(t, writeColumns(t, validColumns()...))
	if sr.Schema().HasARR {
		t.Error("schema of required columns only has arr")
	}
}

// benchmarkSnapshots writes n rows shaped like real input: accounts over
// weeks, every optional column, two extras.
func benchmarkSnapshots(b *testing.B, n int) []byte {
	b.Helper()
	schema := features.Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true, Extras: []string{"nps", "seats"}}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema)
	if err != nil {
		b.Fatal(err)
	}
	const weeks = 52
	s := features.Snapshot{Extra: make([]float64, 2)}
	for i := range n {
		account, week := i%(n/weeks), i/(n/weeks)
		s.AccountID = "acct-" + string(rune('A'+account%26)) + string(rune('A'+account/26%26)) + string(rune('0'+account/676%10))
		s.Week = mustDate("2023-01-02") + features.Date(7*week)
		s.Logins, s.Frequency, s.RecencyDays = int64(i%17), int64(i%5), int64(i%30)
		s.SLABreaches, s.OverdueInvoices = int64(i%3/2), int64(i%7/6)
		s.Churned = week == weeks-1 && account%10 == 0
		s.ARR = float64(1000 + account%50*100)
		s.Segment = []string{"smb", "mid", "enterprise"}[account%3]
		s.RenewalDate = mustDate("2024-01-01") + features.Date(account%365)
		s.Extra[0], s.Extra[1] = float64(i%11-5), math.NaN()
		if err := w.Write(&s); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkReader(b *testing.B) {
	const n = 100_000
	data := benchmarkSnapshots(b, n)
	var s features.Snapshot
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "bench.parquet")
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for ; ; rows++ {
			if err := r.Next(&s); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
		r.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}

// TestReadMissingRenewalSpellings reads a text renewal date spelled as
// missing (NA, n/a, ...) as unknown, as the CSV reader does.
func TestReadMissingRenewalSpellings(t *testing.T) {
	got := readAll(t, writeColumns(t, append(validColumns(), column{"renewal_date", parquet.String(), strs("NA", "n/a", "2024-03-04")})...))
	var dates []string
	for _, s := range got {
		dates = append(dates, s.RenewalDate.String())
	}
	if want := []string{"", "", "2024-03-04"}; !slices.Equal(dates, want) {
		t.Errorf("renewal dates %q, want %q", dates, want)
	}
}

// TestLastWeek checks the latest week read from the week column alone, of
// every type a week may have, with values Next would refuse left out.
func TestLastWeek(t *testing.T) {
	d := func(s string) int32 { return int32(mustDate(s)) }
	for _, c := range []struct {
		name string
		col  column
		want string
	}{
		{"date", column{"week", parquet.Date(), i32s(d("2024-01-08"), d("2024-02-05"), d("2024-01-15"))}, "2024-02-05"},
		{"micros", column{"week", parquet.Timestamp(parquet.Microsecond), i64s(int64(d("2024-03-04"))*86400e6, 0, 1)}, "2024-03-04"},
		{"strings, one unreadable", column{"week", parquet.String(), strs("2024-01-08", "someday", "2023-12-25")}, "2024-01-08"},
		{"a null", column{"week", parquet.Optional(parquet.Date()), withNull(i32s(d("2024-01-08"), d("2025-01-06"), d("2024-01-15")), 1)}, "2024-01-15"},
		{"none readable", column{"week", parquet.String(), strs("", "soon", "later")}, features.NoDate.String()},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := writeColumns(t, replace(validColumns(), c.col)...)
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "w.parquet")
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.LastWeek()
			if err != nil || got.String() != c.want {
				t.Errorf("LastWeek = %s, %v; want %s", got, err, c.want)
			}
		})
	}
	// Across row groups, and whatever rows were read before.
	const n = 3*batchSize + 5
	var buf bytes.Buffer
	w, err := NewWriterSize(&buf, features.Schema{}, 700)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Write(&features.Snapshot{AccountID: "a", Week: features.Date(19000 + 7*((i*37)%n))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "groups.parquet")
	if err != nil {
		t.Fatal(err)
	}
	var s features.Snapshot
	if err := r.Next(&s); err != nil {
		t.Fatal(err)
	}
	if got, err := r.LastWeek(); err != nil || got != features.Date(19000+7*(n-1)) {
		t.Errorf("LastWeek over row groups = %s, %v; want %s", got, err, features.Date(19000+7*(n-1)))
	}
	if err := r.Next(&s); err != nil || s.Row != 2 {
		t.Errorf("Next after LastWeek: row %d, %v; want row 2", s.Row, err)
	}
}
