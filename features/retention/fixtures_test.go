package retention

import (
	"context"
	"math"
	"testing"

	"github.com/churnlabs/churn/features"
)

// jan1 is 2024-01-01, a Monday: week n of a hand-made history is jan1+7n.
const jan1 features.Date = 19723

func week(n int) features.Date { return jan1 + features.Date(7*n) }

// handSchema has every optional column the report uses.
var handSchema = features.Schema{HasChurned: true, HasARR: true, HasSegment: true}

// weekly returns an account's snapshots for weeks from..to, churned on
// the last when churned is set, at the given ARR, with one login a week.
func weekly(id, segment string, from, to int, churned bool, arr float64) []features.Snapshot {
	var rows []features.Snapshot
	for n := from; n <= to; n++ {
		rows = append(rows, features.Snapshot{
			AccountID: id, Week: week(n), Segment: segment, ARR: arr, Logins: 1,
			Churned: churned && n == to, RenewalDate: features.NoDate,
		})
	}
	return rows
}

// setARR changes the ARR from week n on.
func setARR(rows []features.Snapshot, n int, arr float64) []features.Snapshot {
	for i := range rows {
		if rows[i].Week >= week(n) {
			rows[i].ARR = arr
		}
	}
	return rows
}

// numbered sets each row's Row as a CSV reader would: the header is line 1.
func numbered(rows []features.Snapshot) []features.Snapshot {
	for i := range rows {
		rows[i].Row = i + 2
	}
	return rows
}

func concat(parts ...[]features.Snapshot) []features.Snapshot {
	var out []features.Snapshot
	for _, p := range parts {
		out = append(out, p...)
	}
	return numbered(out)
}

// handBook is the hand-computed history of the golden tests. Weeks run from
// 2024-01-01 (w0) to 2024-04-29 (w17), Mondays.
//
//	A smb         w0-w17  ARR 1000
//	B smb         w0-w17  ARR 2000, 3000 from w5 (2024-02-05): expansion
//	C enterprise  w0-w17  ARR 4000, 3000 from w6 (2024-02-12): contraction
//	D enterprise  w0-w7   ARR 5000, churned w7 (2024-02-19)
//	E smb         w5-w17  ARR 500, signed up 2024-02-05
//	F smb         w6-w11  ARR 600, signed up 2024-02-12, churned w11 (2024-03-18)
//	G (none)      w0-w3   no ARR, vanishes without churning
func handBook() []features.Snapshot {
	return concat(
		weekly("A", "smb", 0, 17, false, 1000),
		setARR(weekly("B", "smb", 0, 17, false, 2000), 5, 3000),
		setARR(weekly("C", "enterprise", 0, 17, false, 4000), 6, 3000),
		weekly("D", "enterprise", 0, 7, true, 5000),
		weekly("E", "smb", 5, 17, false, 500),
		weekly("F", "smb", 6, 11, true, 600),
		weekly("G", "", 0, 3, false, math.NaN()),
	)
}

func readRows(t testing.TB, schema features.Schema, rows []features.Snapshot) *History {
	t.Helper()
	b, err := Read(context.Background(), features.MemorySource("hand.csv", schema, rows))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

func mustDate(t testing.TB, s string) features.Date {
	t.Helper()
	d, err := features.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
