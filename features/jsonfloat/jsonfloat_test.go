package jsonfloat

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestMarshal(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{-2.5, "-2.5"},
		{0.000001, "0.000001"},
		{1e-7, "1e-7"},
		{123456789, "123456789"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{5e-324, "5e-324"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{math.Inf(-1), "null"},
	} {
		got, err := json.Marshal(Float(tc.v))
		if err != nil {
			t.Fatalf("%v: %v", tc.v, err)
		}
		if string(got) != tc.want {
			t.Errorf("Marshal(%v) = %s, want %s", tc.v, got, tc.want)
		}
		if got := Append([]byte("x"), tc.v); string(got) != "x"+tc.want {
			t.Errorf("Append(%v) = %s, want x%s", tc.v, got, tc.want)
		}
	}
}

// TestInStruct checks Float as a field, the way churn uses it: null
// both ways, numbers as encoding/json writes them, indentation kept.
func TestInStruct(t *testing.T) {
	type row struct {
		A Float `json:"a"`
		B Float `json:"b"`
	}
	body, err := json.MarshalIndent(row{Float(math.NaN()), 0.25}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"a\": null,\n  \"b\": 0.25\n}"; string(body) != want {
		t.Errorf("got %s, want %s", body, want)
	}
	var r row
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(r.A)) || r.B != 0.25 {
		t.Errorf("decoded %+v", r)
	}
}

func TestUnmarshalError(t *testing.T) {
	for _, in := range []string{`{"a": "1"}`, `{"a": true}`, `{"a": 1e999}`} {
		var r struct {
			A Float `json:"a"`
		}
		err := json.Unmarshal([]byte(in), &r)
		if err == nil {
			t.Errorf("%s: decoded as %v, want an error", in, r.A)
			continue
		}
		if !strings.Contains(err.Error(), "a") {
			t.Errorf("%s: error %q does not name the field", in, err)
		}
	}
}

// FuzzAppend checks the number encoder: byte for byte what encoding/json
// writes for every finite float64, null for the others, and read back
// as the same number.
func FuzzAppend(f *testing.F) {
	for _, seed := range []float64{0, math.Copysign(0, -1), 1, -2.5, 1e-7, 1e-6, 123456789, 1e20, 1e21, 5e-324,
		math.MaxFloat64, math.Inf(1), math.NaN()} {
		f.Add(math.Float64bits(seed))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		got := Append(nil, v)
		var back Float
		if err := back.UnmarshalJSON(got); err != nil {
			t.Fatalf("%v encoded as %s, which does not decode: %v", v, got, err)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if string(got) != "null" || !math.IsNaN(float64(back)) {
				t.Fatalf("%v encoded as %s, decoded as %v", v, got, back)
			}
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%v encoded as %s, encoding/json writes %s", v, got, want)
		}
		if math.Float64bits(float64(back)) != bits {
			t.Fatalf("%v encoded as %s, decoded as %v", v, got, back)
		}
	})
}
