package retention

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

// loginBook is the hand-computed history of TestIndicatorCounts: weeks w0 to
// w9, four accounts logging in 10 times a week (H1-H4) and four once a
// week (L1-L4); H4 churns at w6, L3 at w5, L4 at w7.
func loginBook(t *testing.T) *History {
	var parts [][]features.Snapshot
	add := func(id string, logins int64, last int, churned bool) {
		rows := weekly(id, "", 0, last, churned, math.NaN())
		for i := range rows {
			rows[i].Logins = logins
		}
		parts = append(parts, rows)
	}
	add("H1", 10, 9, false)
	add("H2", 10, 9, false)
	add("H3", 10, 9, false)
	add("H4", 10, 6, true)
	add("L1", 1, 9, false)
	add("L2", 1, 9, false)
	add("L3", 1, 5, true)
	add("L4", 1, 7, true)
	return readRows(t, features.Schema{HasChurned: true}, concat(parts...))
}

// TestIndicatorCounts evaluates "logins >= 10 in every reported week of
// the last week" with a 4-week horizon at every week up to w5 (the last
// whose horizon the data covers). The median of the 71 weekly login
// values (34 ones, 37 tens) is 10; the other columns are constant and
// give no threshold.
//
// Meets (H): H1-H3 are retained at w0-w5, 18 rows. H4 churns at w6: at
// w0 and w1 it is retained 4 weeks later, at w2-w5 not. 24 rows, 20
// retained.
//
// Does not (L): L1-L2 give 12 retained rows. L3 churns at w5, whose own
// row is left out: w0 retained, w1-w4 not (5 rows, 1 retained). L4
// churns at w7: w0-w2 retained, w3-w5 not (6 rows, 3 retained). 23 rows,
// 16 retained.
//
// Lift = (20/24) / (16/23) = 1.19792.
func TestIndicatorCounts(t *testing.T) {
	b := loginBook(t)
	got, err := b.FindIndicators(context.Background(), IndicatorOptions{
		Horizon: 4, Every: 1, Days: []int{7}, Percents: []int{100}, Quantiles: []float64{0.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 47 || got.Accounts != 8 || got.Evaluated != 1 || got.FirstWeek != week(0) || got.LastWeek != week(5) {
		t.Errorf("%d rows of %d accounts, weeks %s to %s, %d evaluated; want 47 of 8, w0 to w5, 1",
			got.Rows, got.Accounts, got.FirstWeek, got.LastWeek, got.Evaluated)
	}
	if len(got.Ranked) != 1 {
		t.Fatalf("ranked %+v, want one indicator", got.Ranked)
	}
	r := got.Ranked[0]
	want := Indicator{Column: "logins", Op: AtLeast, Threshold: 10, Days: 7, Percent: 100}
	if r.Indicator != want {
		t.Errorf("indicator %+v, want %+v", r.Indicator, want)
	}
	if r.Meet.Rows != 24 || r.Meet.Retained != 20 || r.NotMeet.Rows != 23 || r.NotMeet.Retained != 16 {
		t.Errorf("meets %d/%d, does not %d/%d; want 20/24 and 16/23",
			r.Meet.Retained, r.Meet.Rows, r.NotMeet.Retained, r.NotMeet.Rows)
	}
	if math.Abs(r.Lift-1.19792) > 5e-6 {
		t.Errorf("lift %v, want 1.19792", r.Lift)
	}
	if d := Newcombe(20, 24, 16, 23, 0.95); r.Difference != d {
		t.Errorf("difference %+v, want %+v", r.Difference, d)
	}
	if r.Description != "logins >= 10 in every reported week of the last week" {
		t.Errorf("description %q", r.Description)
	}
}

// TestIndicatorSupport: an indicator met by too few rows is not ranked.
func TestIndicatorSupport(t *testing.T) {
	b := loginBook(t)
	got, err := b.FindIndicators(context.Background(), IndicatorOptions{
		Horizon: 4, Every: 1, Days: []int{7}, Percents: []int{100}, Quantiles: []float64{0.5}, MinSupport: 0.49,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.MinRows != 24 || len(got.Ranked) != 0 {
		t.Errorf("min rows %d, ranked %d; want 24 and none (23 rows do not meet it)", got.MinRows, len(got.Ranked))
	}
}

func TestIndicatorShortHistory(t *testing.T) {
	b := loginBook(t)
	_, err := b.FindIndicators(context.Background(), IndicatorOptions{Horizon: 20})
	if !errors.Is(err, ErrShortHistory) {
		t.Errorf("error %v, want ErrShortHistory", err)
	}
}

func TestIndicatorOptionsInvalid(t *testing.T) {
	b := loginBook(t)
	for _, opt := range []IndicatorOptions{
		{Horizon: -1}, {Every: -2}, {MinSupport: 0.5}, {Confidence: 1.5},
		{Days: []int{}}, {Days: []int{0}}, {Percents: []int{101}}, {Quantiles: []float64{math.NaN()}},
	} {
		if _, err := b.FindIndicators(context.Background(), opt); err == nil {
			t.Errorf("options %+v: no error", opt)
		}
	}
}

// TestMeets checks the share-of-reported-weeks rule on one account:
// logins 10, 1, (gap), 10, 10 at w0, w1, w3, w4, judged at w4.
func TestMeets(t *testing.T) {
	rows := weekly("A", "", 0, 4, false, math.NaN())
	rows = append(rows[:2], rows[3:]...)
	for i, v := range []int64{10, 1, 10, 10} {
		rows[i].Logins = v
		rows[i].RecencyDays = 3 * v
	}
	b := readRows(t, features.Schema{HasChurned: true}, numbered(rows))
	a, _ := b.lookup("A")
	for _, c := range []struct {
		ind  Indicator
		want bool
	}{
		// The last 4 weeks are w1-w4: w1, w3, w4 reported, 2 of 3 reach 10.
		{Indicator{"logins", AtLeast, 10, 28, 50}, true},
		{Indicator{"logins", AtLeast, 10, 28, 66}, true},
		{Indicator{"logins", AtLeast, 10, 28, 67}, false},
		{Indicator{"logins", AtLeast, 10, 28, 100}, false},
		// The last 2 weeks are w3-w4: both reach it.
		{Indicator{"logins", AtLeast, 10, 14, 100}, true},
		// The last 5 weeks reach back to w0: 3 of 4.
		{Indicator{"logins", AtLeast, 10, 35, 75}, true},
		{Indicator{"logins", AtLeast, 10, 35, 76}, false},
		// Recency 30, 3, 30, 30: at most 3 in a third of the last 4 weeks.
		{Indicator{"recency_days", AtMost, 3, 28, 33}, true},
		{Indicator{"recency_days", AtMost, 3, 28, 34}, false},
	} {
		met, ok := b.meets(a, len(a.weeks)-1, b.column(c.ind.Column), c.ind)
		if met != c.want || !ok {
			t.Errorf("%s: met %t (counted %t), want %t", c.ind, met, ok, c.want)
		}
	}
}

// TestTallyAgreesWithMeets: the one-pass tally of the whole grid counts
// what evaluating each indicator on its own counts.
func TestTallyAgreesWithMeets(t *testing.T) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 120, Weeks: 52, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	b := readRows(t, simulate.Schema(), rows)
	opt := IndicatorOptions{Horizon: 8, MinSupport: 0.01}
	got, sample, err := b.FindIndicatorsSample(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Ranked) < 20 {
		t.Fatalf("only %d indicators ranked", len(got.Ranked))
	}
	if sample.Len() != got.Rows {
		t.Fatalf("sample of %d account-weeks, indicators judged at %d", sample.Len(), got.Rows)
	}
	refs := sample.refs
	for _, r := range got.Ranked {
		var meet, retained int
		for i, m := range sample.Meets(r.Indicator) {
			// History.Meets, by account id and week, must agree.
			a := &b.accounts[refs[i].account]
			if byID, found := b.Meets(a.id, a.weeks[refs[i].week], r.Indicator); !found || byID != m {
				t.Fatalf("%s at %s %s: History.Meets %v (found %v), Sample.Meets %v", r.Indicator, a.id, a.weeks[refs[i].week], byID, found, m)
			}
			if m {
				meet++
				if refs[i].retained {
					retained++
				}
			}
		}
		if meet != r.Meet.Rows || retained != r.Meet.Retained {
			t.Errorf("%s: tally %d/%d, one by one %d/%d", r.Indicator, r.Meet.Retained, r.Meet.Rows, retained, meet)
		}
	}
	for i := 1; i < len(got.Ranked); i++ {
		if got.Ranked[i].Lift > got.Ranked[i-1].Lift {
			t.Fatalf("ranked %d (lift %v) above %d (lift %v)", i-1, got.Ranked[i-1].Lift, i, got.Ranked[i].Lift)
		}
	}
}

func TestIndicatorName(t *testing.T) {
	for _, c := range []struct {
		ind         Indicator
		name, short string
	}{
		{Indicator{"logins", AtLeast, 12, 28, 75}, "logins_ge_12_75pct_28d", "logins >= 12, 75% of 4 weeks"},
		{Indicator{"active_users_per_seat", AtLeast, 0.55, 56, 100}, "active_users_per_seat_ge_0p55_100pct_56d", "active_users_per_seat >= 0.55, 100% of 8 weeks"},
		{Indicator{"recency_days", AtMost, 7, 30, 50}, "recency_days_le_7_50pct_30d", "recency_days <= 7, 50% of 30 days"},
	} {
		if got := c.ind.Name(); got != c.name {
			t.Errorf("Name() = %q, want %q", got, c.name)
		}
		if got := c.ind.Short(); got != c.short {
			t.Errorf("Short() = %q, want %q", got, c.short)
		}
	}
}

// TestMeetsUnknown: an account-week or a column the history lacks is not
// met, and only the missing account-week is reported as not found.
func TestMeetsUnknown(t *testing.T) {
	b := loginBook(t)
	a := &b.accounts[0]
	ind := Indicator{Column: features.ColLogins, Op: AtLeast, Threshold: 0, Days: 7, Percent: 100}
	for _, c := range []struct {
		name       string
		id         string
		week       features.Date
		ind        Indicator
		met, found bool
	}{
		{"known", a.id, a.weeks[0], ind, true, true},
		{"unknown account", "nobody", a.weeks[0], ind, false, false},
		{"unknown week", a.id, a.weeks[0] - 7, ind, false, false},
		{"unknown column", a.id, a.weeks[0], Indicator{Column: "nope", Op: AtLeast, Days: 7, Percent: 100}, false, true},
	} {
		if met, found := b.Meets(c.id, c.week, c.ind); met != c.met || found != c.found {
			t.Errorf("%s: met %v found %v, want %v %v", c.name, met, found, c.met, c.found)
		}
	}
	_, sample, err := b.FindIndicatorsSample(context.Background(), IndicatorOptions{Horizon: 2})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(sample.Meets(Indicator{Column: "nope", Op: AtLeast, Days: 7, Percent: 100}), true) {
		t.Error("an indicator of an unknown column is met in the sample")
	}
}
