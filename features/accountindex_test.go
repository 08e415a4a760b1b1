package features

import (
	"math/rand/v2"
	"testing"
)

// TestAccountIndex checks the numbering whatever the order of rows: week
// after week in a fixed order (the prediction right on almost every row),
// account after account, an order that changes every week (the
// prediction wrong on most), and a shuffle. Each ID is numbered in order
// of first appearance and seen from its second row on.
func TestAccountIndex(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	var weekMajor, accountMajor, rotating []string
	for w := range 4 {
		for k := range ids {
			weekMajor = append(weekMajor, ids[k])
			rotating = append(rotating, ids[(k+w)%len(ids)])
		}
	}
	for _, id := range ids {
		for range 4 {
			accountMajor = append(accountMajor, id)
		}
	}
	shuffled := append([]string(nil), weekMajor...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, c := range []struct {
		name string
		rows []string
	}{{"week after week", weekMajor}, {"account after account", accountMajor}, {"rotating", rotating}, {"shuffled", shuffled}, {"one row", []string{"x"}}} {
		t.Run(c.name, func(t *testing.T) {
			x := newAccountIndex()
			want := map[string]int32{}
			for i, id := range c.rows {
				n, ok := want[id]
				if !ok {
					n = int32(len(want))
					want[id] = n
				}
				buf := []byte(id) // a reader's shared buffer
				a, seen := x.find(string(buf))
				if a != n || seen != ok {
					t.Fatalf("row %d (%s): number %d, seen %v; want %d, %v", i, id, a, seen, n, ok)
				}
			}
			if len(x.ids) != len(want) {
				t.Fatalf("%d ids numbered, want %d", len(x.ids), len(want))
			}
			for id, n := range want {
				if x.ids[n] != id {
					t.Errorf("number %d is %q, want %q", n, x.ids[n], id)
				}
			}
		})
	}
}
