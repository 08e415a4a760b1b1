package retention

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

func TestReadErrors(t *testing.T) {
	dup := handBook()
	dup = append(dup, dup[3])
	dup[len(dup)-1].Row = 999
	afterChurn := handBook()
	for i := range afterChurn {
		if afterChurn[i].AccountID == "D" && afterChurn[i].Week == week(3) {
			afterChurn[i].Churned = true // D then has rows w4-w7 after it
		}
	}
	reversed := slices.Clone(afterChurn)
	slices.Reverse(reversed)
	negative := handBook()
	negative[7].Logins = -2
	noChurned := handSchema
	noChurned.HasChurned = false
	for _, c := range []struct {
		name   string
		schema features.Schema
		rows   []features.Snapshot
		row    int
		column string
		msg    string
	}{
		{"duplicate week", handSchema, dup, 999, features.ColWeek, `duplicate snapshot for account "A", week 2024-01-22 (first at row 5)`},
		{"row after churn", handSchema, afterChurn, 60, features.ColWeek, `account "D" has a row at 2024-01-29 after its churned week 2024-01-22`},
		{"row after churn, rows out of order", handSchema, reversed, 60, features.ColWeek, `account "D" has a row at 2024-01-29 after its churned week 2024-01-22`},
		{"negative count", handSchema, negative, 9, "", "negative count"},
		{"no churned column", noChurned, handBook(), 0, features.ColChurned, "missing column"},
		{"no rows", handSchema, nil, 0, "", "no snapshot rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(context.Background(), features.MemorySource("hand.csv", c.schema, c.rows))
			var ie *features.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an InputError", err)
			}
			if ie.File != "hand.csv" || ie.Row != c.row || ie.Column != c.column || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q (row %d, column %q), want row %d, column %q, saying %q", err, ie.Row, ie.Column, c.row, c.column, c.msg)
			}
			// A history collected from the pass of features.Build fails the same way.
			col := NewCollector("hand.csv")
			_, berr := features.Build(context.Background(), features.MemorySource("hand.csv", c.schema, c.rows),
				features.BuildOptions{Observe: col.Observe})
			if berr == nil {
				_, berr = col.History()
			}
			if berr == nil || berr.Error() != err.Error() {
				t.Errorf("collected from Build: error %v, want %v", berr, err)
			}
		})
	}
}

// TestReadOrder: rows in any order make the same report, and a
// duplicate is still found when its rows are far apart.
func TestReadOrder(t *testing.T) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 150, Weeks: 60, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	report := func(b *History) string {
		t.Helper()
		r, err := Measure(ctx, b, Options{Horizon: 8})
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	shuffled := slices.Clone(rows)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	want := report(readRows(t, simulate.Schema(), rows))
	if report(readRows(t, simulate.Schema(), shuffled)) != want {
		t.Error("shuffling the rows changed the report")
	}
	// A history collected from features.Build is the history Read reads, in
	// either order (Build reads the shuffled rows twice).
	for name, rows := range map[string][]features.Snapshot{"in order": rows, "shuffled": shuffled} {
		col := NewCollector("hand.csv")
		if _, err := features.Build(ctx, features.MemorySource("hand.csv", simulate.Schema(), rows),
			features.BuildOptions{Observe: col.Observe}); err != nil {
			t.Fatal(err)
		}
		b, err := col.History()
		if err != nil {
			t.Fatal(err)
		}
		if report(b) != want {
			t.Errorf("%s: the hist collected from Build differs from the one Read reads", name)
		}
	}

	shuffled = append(shuffled, shuffled[0])
	shuffled[len(shuffled)-1].Row = -7
	_, err = Read(ctx, features.MemorySource("s", simulate.Schema(), shuffled))
	if ie := (*features.InputError)(nil); !errors.As(err, &ie) || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate in shuffled rows: error %v", err)
	}
}

// TestReadRatios: with seats, every *_users column gets a per-seat
// share, empty when seats is 0.
func TestReadRatios(t *testing.T) {
	schema := features.Schema{HasChurned: true, Extras: []string{"seats", "active_users", "admin_users", "widgets"}}
	rows := weekly("A", "", 0, 1, false, math.NaN())
	rows[0].Extra = []float64{10, 4, 1, 7}
	rows[1].Extra = []float64{0, 4, 1, 7}
	b := readRows(t, schema, numbered(rows))
	want := []string{"logins", "frequency", "recency_days", "sla_breaches", "overdue_invoices",
		"seats", "active_users", "admin_users", "widgets", "active_users_per_seat", "admin_users_per_seat"}
	if !slices.Equal(b.Columns, want) {
		t.Fatalf("columns %v, want %v", b.Columns, want)
	}
	a, _ := b.lookup("A")
	width := len(b.Columns)
	if got := a.values[width-2 : width]; got[0] != 0.4 || got[1] != 0.1 {
		t.Errorf("week 0 ratios %v, want [0.4 0.1]", got)
	}
	if got := a.values[2*width-2:]; !math.IsNaN(float64(got[0])) || !math.IsNaN(float64(got[1])) {
		t.Errorf("week 1 ratios %v with no seats, want NaN", got)
	}
}

func TestAccountRules(t *testing.T) {
	b := readRows(t, handSchema, handBook())
	get := func(id string) *account {
		a, ok := b.lookup(id)
		if !ok {
			t.Fatalf("no account %s", id)
		}
		return a
	}
	for _, c := range []struct {
		name   string
		id     string
		at     features.Date
		active bool
	}{
		{"seen before and after", "A", week(3), true},
		{"first week is not before itself", "A", week(0), false},
		{"churn week still starts as a customer", "D", week(7), true},
		{"after churn", "D", week(8), false},
		{"vanished", "G", week(4), false},
		{"before sign-up", "E", week(5), false},
	} {
		if got := get(c.id).activeAt(c.at); got != c.active {
			t.Errorf("%s: %s activeAt(%s) = %t", c.name, c.id, c.at, got)
		}
	}
	for _, c := range []struct {
		id              string
		from, to        int
		retained, known bool
	}{
		{"D", 3, 7, false, true},  // churns at the end
		{"D", 3, 6, true, true},   // its row at w7 shows it still there at w6
		{"F", 9, 12, false, true}, // churned at w11
		{"A", 0, 17, true, true},
		{"A", 10, 18, false, false}, // past the data
		{"G", 0, 3, true, true},
		{"G", 0, 4, false, false}, // vanished: unknown, not churn
	} {
		r, k := get(c.id).outcome(week(c.from), week(c.to))
		if r != c.retained || k != c.known {
			t.Errorf("%s outcome(w%d, w%d) = %t, %t; want %t, %t", c.id, c.from, c.to, r, k, c.retained, c.known)
		}
	}
	if got := get("B").arrBefore(week(5)); got != 2000 {
		t.Errorf("B's ARR before its change: %v", got)
	}
	if got := get("B").arrBefore(week(5) + 1); got != 3000 {
		t.Errorf("B's ARR after its change: %v", got)
	}
	if got := get("G").arrBefore(week(9)); got != 0 {
		t.Errorf("G's ARR, never known: %v, want 0", got)
	}
}
