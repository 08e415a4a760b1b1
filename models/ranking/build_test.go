package ranking

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
)

var (
	modelOnce sync.Once
	model     *models.Artifact
	modelErr  error
)

// logisticModel trains a small logistic model on simulated snapshots once
// per test binary: the ranking only needs a real model with real features.
func logisticModel(t *testing.T) *models.Artifact {
	t.Helper()
	modelOnce.Do(func() {
		ctx := context.Background()
		rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 300, Weeks: 60, Seed: 5})
		if modelErr = err; err != nil {
			return
		}
		tab, err := features.Build(ctx, features.MemorySource("sim", simulate.Schema(), rows), features.BuildOptions{})
		if modelErr = err; err != nil {
			return
		}
		sp, err := tab.Split(features.SplitOptions{Horizon: 6, ValidWeeks: 6})
		if modelErr = err; err != nil {
			return
		}
		res, err := models.Train(ctx, sp, tab.Spec, models.TrainOptions{Kinds: []string{"logistic"}})
		if modelErr = err; err != nil {
			return
		}
		model = res.Chosen
	})
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return model
}

// monday0 is a Monday; week k of the test data starts 7k days later.
var monday0 = mustDate("2024-01-01")

func mustDate(s string) features.Date {
	d, err := features.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func week(k int) features.Date { return monday0.AddDays(7 * k) }

// snapshots are an account's rows at the given weeks, with behaviour that
// changes from week to week so that every week scores differently.
func snapshots(id, segment string, renewal features.Date, churnAtLast bool, weeks ...int) []features.Snapshot {
	var out []features.Snapshot
	for i, k := range weeks {
		out = append(out, features.Snapshot{
			AccountID: id, Week: week(k), Segment: segment, RenewalDate: renewal,
			Logins: int64(40 - 2*i), Frequency: int64(30 - i), RecencyDays: int64(i % 9),
			SLABreaches: int64(i % 3 / 2), OverdueInvoices: int64(i % 5 / 4), ARR: 12000,
			Extra:   []float64{10, float64(8 - i%4)},
			Churned: churnAtLast && i == len(weeks)-1,
		})
	}
	return out
}

func weeks(from, to int) []int {
	var out []int
	for k := from; k <= to; k++ {
		out = append(out, k)
	}
	return out
}

func buildTable(t *testing.T, a *models.Artifact, rows []features.Snapshot) *features.Table {
	t.Helper()
	tab, err := features.Build(context.Background(), features.MemorySource("test", simulate.Schema(), rows),
		features.BuildOptions{Spec: &a.Spec})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestBuildHistoryChangeRenewal checks each account's weekly history (its
// rows of the book's last twelve weeks), week-over-week change and days to
// renewal against values computed independently: the probability at a
// week is scored from a table that holds only the account's rows up to
// that week.
func TestBuildHistoryChangeRenewal(t *testing.T) {
	a := logisticModel(t)
	seg := a.Spec.Segments[0]
	gappy := append(weeks(0, 5), weeks(9, 15)...)
	accounts := []struct {
		id          string
		renewal     features.Date
		churned     bool
		weeks       []int
		wantHistory []int // weeks of the history, oldest first; nil: not ranked
		wantDays    int
	}{
		{"steady", week(15).AddDays(45), false, weeks(0, 15), weeks(4, 15), 45},
		{"gappy", features.NoDate, false, gappy, append(weeks(4, 5), weeks(9, 15)...), -1},
		{"quiet", week(20), false, weeks(3, 13), weeks(4, 13), 35},
		{"lapsed-renewal", week(10), false, weeks(8, 15), weeks(8, 15), 0},
		{"new", week(15).AddDays(400), false, []int{15}, []int{15}, 400},
		{"gone", week(30), true, weeks(0, 12), nil, 0},
	}
	var rows []features.Snapshot
	for _, acc := range accounts {
		rows = append(rows, snapshots(acc.id, seg, acc.renewal, acc.churned, acc.weeks...)...)
	}
	slices.SortStableFunc(rows, func(x, y features.Snapshot) int { return int(x.Week - y.Week) })
	b, err := Build(context.Background(), a, buildTable(t, a, rows))
	if err != nil {
		t.Fatal(err)
	}
	if b.AsOf != week(15) {
		t.Errorf("as of %s, want %s", b.AsOf, week(15))
	}
	scorer, err := models.NewScorer(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, acc := range accounts {
		got, ok := b.Account(acc.id)
		if acc.wantHistory == nil {
			if ok {
				t.Errorf("%s churned but is ranked", acc.id)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s is not ranked", acc.id)
		}
		if got.DaysToRenewal != acc.wantDays {
			t.Errorf("%s: %d days to renewal, want %d", acc.id, got.DaysToRenewal, acc.wantDays)
		}
		if len(got.History) != len(acc.wantHistory) {
			t.Fatalf("%s: %d weeks of history, want %d", acc.id, len(got.History), len(acc.wantHistory))
		}
		for i, k := range acc.wantHistory {
			h := got.History[i]
			if h.Week != week(k) {
				t.Errorf("%s history[%d] is week %s, want %s", acc.id, i, h.Week, week(k))
			}
			// Score the week from a table that ends there.
			var upTo []int
			for _, w := range acc.weeks {
				if w <= k {
					upTo = append(upTo, w)
				}
			}
			alone := buildTable(t, a, snapshots(acc.id, seg, acc.renewal, false, upTo...))
			want := scorer.Probability(alone.Dataset([]int{alone.Accounts[0].LastRow}).Row(0))
			if math.Abs(h.Probability-want) > 1e-12 {
				t.Errorf("%s week %s: probability %v, scored alone %v", acc.id, h.Week, h.Probability, want)
			}
		}
		n := len(got.History)
		if got.Probability != got.History[n-1].Probability {
			t.Errorf("%s: probability %v, last history %v", acc.id, got.Probability, got.History[n-1].Probability)
		}
		switch {
		case n == 1 && !math.IsNaN(got.Change):
			t.Errorf("%s: change %v with one week of history, want NaN", acc.id, got.Change)
		case n > 1 && got.Change != got.History[n-1].Probability-got.History[n-2].Probability:
			t.Errorf("%s: change %v, history ends %v, %v", acc.id, got.Change, got.History[n-2].Probability, got.History[n-1].Probability)
		case n > 1 && got.Change == 0:
			t.Errorf("%s: change 0: the test data should move the score", acc.id)
		}
	}
	if len(b.Accounts) != 5 {
		t.Errorf("%d accounts ranked, want 5", len(b.Accounts))
	}
}

// TestUseRecorded replaces the rescored history by the scores recorded
// as shown, week by week where one was recorded, and keeps the latest
// week's score, which is the one being shown now; the change since last
// week follows the recorded previous week.
func TestUseRecorded(t *testing.T) {
	a := logisticModel(t)
	seg := a.Spec.Segments[0]
	var rows []features.Snapshot
	rows = append(rows, snapshots("kept", seg, features.NoDate, false, weeks(10, 15)...)...)
	rows = append(rows, snapshots("recorded", seg, features.NoDate, false, weeks(10, 15)...)...)
	slices.SortStableFunc(rows, func(x, y features.Snapshot) int { return int(x.Week - y.Week) })
	b, err := Build(context.Background(), a, buildTable(t, a, rows))
	if err != nil {
		t.Fatal(err)
	}
	if got := b.HistoryStart(); got != week(10) {
		t.Errorf("history starts %s, want %s", got, week(10))
	}
	rescored := map[string][]WeekScore{}
	for _, acc := range b.Accounts {
		rescored[acc.AccountID] = slices.Clone(acc.History)
	}
	shown := map[features.Date]float64{week(12): 0.61, week(14): 0.42, week(15): 0.99}
	n := b.UseRecorded(func(id string, w features.Date) (float64, bool) {
		p, ok := shown[w]
		return p, ok && id == "recorded"
	})
	if n != 2 {
		t.Errorf("UseRecorded replaced %d weekly scores, want 2", n)
	}
	kept, _ := b.Account("kept")
	if !slices.Equal(kept.History, rescored["kept"]) {
		t.Errorf("an account without records changed: %v, was %v", kept.History, rescored["kept"])
	}
	acc, _ := b.Account("recorded")
	for i, h := range acc.History {
		want := rescored["recorded"][i]
		if p, ok := shown[h.Week]; ok && h.Week != week(15) {
			want = WeekScore{Week: h.Week, Probability: p, Recorded: true}
		}
		if h != want {
			t.Errorf("history[%d] = %+v, want %+v", i, h, want)
		}
	}
	if last := acc.History[len(acc.History)-1]; last.Probability != acc.Probability {
		t.Errorf("latest week %v replaced; the account shows %v", last, acc.Probability)
	}
	if want := acc.Probability - 0.42; acc.Change != want {
		t.Errorf("change %v, want %v (from the recorded previous week)", acc.Change, want)
	}
}

// TestBuildRenewalType checks that an account's renewal type reaches the
// book, that it leaves the score alone, and that JSON leaves out an
// unknown one.
func TestBuildRenewalType(t *testing.T) {
	a := logisticModel(t)
	seg := a.Spec.Segments[0]
	var rows []features.Snapshot
	for _, c := range []struct{ id, typ string }{{"auto", features.RenewalAuto}, {"sig", features.RenewalSignature}, {"none", ""}} {
		for _, s := range snapshots(c.id, seg, week(20), false, weeks(0, 8)...) {
			s.RenewalType = c.typ
			rows = append(rows, s)
		}
	}
	slices.SortStableFunc(rows, func(x, y features.Snapshot) int { return int(x.Week - y.Week) })
	b, err := Build(context.Background(), a, buildTable(t, a, rows))
	if err != nil {
		t.Fatal(err)
	}
	if !b.HasRenewalType {
		t.Error("book of snapshots with a renewal_type column has HasRenewalType false")
	}
	p := map[string]float64{}
	for id, want := range map[string]string{"auto": features.RenewalAuto, "sig": features.RenewalSignature, "none": ""} {
		acc, ok := b.Account(id)
		if !ok {
			t.Fatalf("%s not in the book", id)
		}
		p[id] = acc.Probability
		if acc.RenewalType != want {
			t.Errorf("%s: renewal type %q, want %q", id, acc.RenewalType, want)
		}
		body, err := json.Marshal(acc)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if got, ok := m["renewal_type"]; want == "" && ok || want != "" && got != want {
			t.Errorf("%s: JSON renewal_type %v (present %v), want %q", id, got, ok, want)
		}
	}
	if p["auto"] != p["sig"] || p["sig"] != p["none"] {
		t.Errorf("the same behaviour scores %v by renewal type: it is no feature", p)
	}
}
