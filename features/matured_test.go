package features

import (
	"context"
	"strings"
	"testing"
)

// TestMatured checks the rows a refit takes: every labelled row up to the
// last matured week, labelled as the split labels them, the gap between
// the split's sides included, and nothing whose label could still change.
func TestMatured(t *testing.T) {
	var rows []Snapshot
	for a := range 40 {
		acc := weekly(string(rune('A'+a%26))+string(rune('a'+a/26)), monday, 60)
		if a%3 == 0 {
			acc = acc[:20+a]
			acc[len(acc)-1].Churned = true
		}
		rows = append(rows, acc...)
	}
	tab := buildRows(t, rows)
	const h = 4
	last := tab.Last - Date(7*h)
	ds, p, err := tab.Matured(context.Background(), h, last)
	if err != nil {
		t.Fatal(err)
	}
	if p.Last != last || p.First != tab.First || p.Rows != ds.Len() || ds.Check() != nil || len(ds.Label) != ds.Len() {
		t.Errorf("period %+v of %d rows, want weeks %s to %s", p, ds.Len(), tab.First, last)
	}
	sp, err := tab.Split(SplitOptions{Horizon: h, ValidWeeks: 5})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		id string
		w  Date
	}
	label := map[key]float64{}
	for i := range ds.Len() {
		label[key{ds.AccountID[i], ds.Week[i]}] = ds.Label[i]
	}
	for _, side := range []*Dataset{sp.Train, sp.Valid} {
		for i := range side.Len() {
			if y, ok := label[key{side.AccountID[i], side.Week[i]}]; !ok || y != side.Label[i] {
				t.Fatalf("split row %s %s labelled %v: matured has %v (%v)", side.AccountID[i], side.Week[i], side.Label[i], y, ok)
			}
		}
	}
	if ds.Len() <= sp.Train.Len()+sp.Valid.Len() {
		t.Errorf("%d matured rows, want more than the split's %d + %d: the gap's too", ds.Len(), sp.Train.Len(), sp.Valid.Len())
	}
	for i := range tab.Len() {
		if w := tab.Week(i); w <= last && tab.Label(i, h) != Censored {
			if _, ok := label[key{tab.Accounts[tab.account[i]].ID, w}]; !ok {
				t.Fatalf("labelled row at %s left out", w)
			}
		}
	}
	if _, _, err := tab.Matured(context.Background(), h, last+7); err == nil || !strings.Contains(err.Error(), "has matured") {
		t.Errorf("a week past the matured ones: %v", err)
	}
}
