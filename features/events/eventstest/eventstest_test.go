package eventstest

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestSameCells(t *testing.T) {
	for _, c := range []struct {
		a, b []string
		want bool
	}{
		{[]string{"a", "1e+06"}, []string{"a", "1000000"}, true},
		{[]string{"a", "0.5"}, []string{"a", "0.50"}, true},
		{[]string{"a", "1"}, []string{"a", "2"}, false},
		{[]string{"a", "x"}, []string{"a", "y"}, false},
		{[]string{"a"}, []string{"a", "1"}, false},
	} {
		if got := SameCells(c.a, c.b); got != c.want {
			t.Errorf("SameCells(%q, %q) = %t, want %t", c.a, c.b, got, c.want)
		}
	}
}

// TestWarehouseSeeded: a seed gives the same tables, another seed others.
func TestWarehouseSeeded(t *testing.T) {
	l := Layouts{Event: time.RFC3339, Cancel: time.RFC3339, Flagged: time.RFC3339}
	a, b, c := Warehouse(1, l), Warehouse(1, l), Warehouse(2, l)
	if !maps.Equal(a, b) || maps.Equal(a, c) {
		t.Error("Warehouse is not a function of its seed")
	}
	want := []string{"accounts", "accounts_now", "events", "flagged", "invoices", "tickets", "views"}
	if got := slices.Sorted(maps.Keys(a)); !slices.Equal(got, want) {
		t.Errorf("tables %v, want %v", got, want)
	}
}
