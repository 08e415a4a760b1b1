package features

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestParseRenewalType(t *testing.T) {
	tests := []struct {
		cell, want string
		bad        bool
	}{
		{"auto", RenewalAuto, false},
		{"Auto-Renew", RenewalAuto, false},
		{"AUTO_RENEW", RenewalAuto, false},
		{"autorenew", RenewalAuto, false},
		{"auto renewal", RenewalAuto, false},
		{" Evergreen ", RenewalAuto, false},
		{"signature", RenewalSignature, false},
		{"Manual", RenewalSignature, false},
		{"manual_renewal", RenewalSignature, false},
		{"", "", false},
		{"NA", "", false},
		{"null", "", false},
		{"   ", "", false},
		{" NA ", "", false},
		{"monthly", "", true},
		{"auto-renewing", "", true},
		{"1", "", true},
	}
	for _, tt := range tests {
		got, err := ParseRenewalType(tt.cell)
		if tt.bad != (err != nil) || got != tt.want {
			t.Errorf("ParseRenewalType(%q) = %q, %v; want %q, error %v", tt.cell, got, err, tt.want, tt.bad)
		}
		if err != nil && !errors.Is(err, ErrRenewalType) {
			t.Errorf("ParseRenewalType(%q): error %v does not wrap ErrRenewalType", tt.cell, err)
		}
	}
}

// TestAccountRenewalType checks that an account keeps its latest reported
// renewal type over empty cells, as its segment, that a change is taken
// up, and that the type leaves the feature set alone.
func TestAccountRenewalType(t *testing.T) {
	a := weekly("a", monday, 4)
	a[0].RenewalType, a[2].RenewalType = RenewalSignature, RenewalAuto // rows 1 and 3 empty
	b := weekly("b", monday, 4)
	b[1].RenewalType = RenewalSignature
	c := weekly("c", monday, 4) // never reported
	rows := numberRows(slices.Concat(a, b, c))
	schema := testSchema
	schema.HasRenewalType = true
	tab, err := Build(context.Background(), memSource(schema, rows), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !tab.HasRenewalType {
		t.Error("Table.HasRenewalType is false for a file with the column")
	}
	got := map[string]string{}
	for _, acc := range tab.Accounts {
		got[acc.ID] = acc.RenewalType
	}
	want := map[string]string{"a": RenewalAuto, "b": RenewalSignature, "c": ""}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("account %s: renewal type %q, want %q", id, got[id], w)
		}
	}

	// The same rows without the column build the same features.
	plain := slices.Clone(rows)
	for i := range plain {
		plain[i].RenewalType = ""
	}
	ref, err := Build(context.Background(), memSource(testSchema, plain), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ref.HasRenewalType {
		t.Error("Table.HasRenewalType is true for a file without the column")
	}
	if !slices.Equal(tab.Spec.Names(), ref.Spec.Names()) {
		t.Fatalf("features %v, without renewal types %v", tab.Spec.Names(), ref.Spec.Names())
	}
	x, y := tab.Dataset(nil), ref.Dataset(nil)
	for i := range x.Len() {
		if !slices.EqualFunc(x.Row(i), y.Row(i), func(p, q float64) bool { return p == q || math.IsNaN(p) && math.IsNaN(q) }) {
			t.Fatalf("row %d: features %v, without renewal types %v", i, x.Row(i), y.Row(i))
		}
	}
}
