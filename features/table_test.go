package features

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// memSource serves snapshots from memory, as a file would.
func memSource(schema Schema, rows []Snapshot) Source {
	return MemorySource("mem.csv", schema, rows)
}

var testSchema = Schema{HasChurned: true, HasARR: true, HasSegment: true, HasRenewal: true, Extras: []string{"seats"}}

const monday = Date(19723) // 2024-01-01

// weekly makes an account's snapshots for n consecutive weeks from start;
// edit the result to shape a history.
func weekly(id string, start Date, n int) []Snapshot {
	rows := make([]Snapshot, n)
	for i := range rows {
		rows[i] = Snapshot{
			AccountID: id, Week: start + Date(7*i), Logins: int64(10 + i%3), Frequency: int64(5 + i%2),
			RecencyDays: 1, SLABreaches: int64(i % 2), OverdueInvoices: 0, ARR: 1000, Segment: "smb",
			RenewalDate: start + 364, Extra: []float64{float64(3 + i)},
		}
	}
	return rows
}

func numberRows(rows []Snapshot) []Snapshot {
	for i := range rows {
		rows[i].Row = i + 2
	}
	return rows
}

func buildRows(t *testing.T, rows []Snapshot) *Table {
	t.Helper()
	tab, err := Build(context.Background(), memSource(testSchema, numberRows(rows)), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// buildAllGroups builds rows with every optional group of features on,
// whether or not training turns it on by default.
func buildAllGroups(t *testing.T, rows []Snapshot) *Table {
	t.Helper()
	spec := buildRows(t, rows).Spec
	spec.Since, spec.Baseline, spec.Shape, spec.Year, spec.ExtraWindows, spec.PerSeat, spec.RenewalTerm = true, true, true, true, true, true, true
	tab, err := Build(context.Background(), memSource(testSchema, numberRows(rows)), BuildOptions{Spec: &spec})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestNoLeakage changes everything after a cutoff week and checks that no
// feature at or before the cutoff moves: features are point-in-time.
func TestNoLeakage(t *testing.T) {
	// Account a reaches a year and a half back from the cutoff, so the
	// 52-week windows differ from the lifetime means.
	base := append(weekly("a", monday, 90), weekly("b", monday+14, 80)...)
	base[3].OverdueInvoices = 1 // so that the weeks since an overdue invoice count
	base[60].Extra[0] = math.NaN()
	for i := 52; i < 90; i++ { // a renews after a year, so its term is known before the cutoff
		base[i].RenewalDate = monday + 2*364
	}
	cutoff := monday + 7*75
	r := rand.New(rand.NewPCG(1, 2))
	future := slices.Clone(base)
	for i := range future {
		if future[i].Week > cutoff {
			future[i].Logins = int64(r.IntN(100))
			future[i].Frequency = int64(r.IntN(100))
			future[i].SLABreaches = int64(r.IntN(5))
			future[i].OverdueInvoices = int64(r.IntN(3))
			future[i].RecencyDays = int64(r.IntN(60))
			future[i].ARR = r.Float64() * 1e5
			future[i].Segment = "enterprise"
			future[i].RenewalDate = future[i].Week + 3
			future[i].Extra = []float64{r.Float64() * 50}
		}
	}
	future = future[:len(future)-3] // and drop some future rows
	a, b := buildAllGroups(t, base), buildAllGroups(t, future)
	da, db := a.Dataset(nil), b.Dataset(nil)
	checked := 0
	// Every feature must be checked where it carries information: the
	// long-run means only once they reach beyond the 12-week window, so
	// account a's history starts 15 weeks before the cutoff.
	seen := map[string]bool{}
	for i := range da.Len() {
		if da.Week[i] > cutoff {
			continue
		}
		for j, name := range da.Features {
			if strings.HasPrefix(name, "segment_") {
				continue // the set of segments is a property of the whole file
			}
			x, y := da.Row(i)[j], db.Row(i)[db.Column(name)]
			if x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
				t.Fatalf("%s at %s: %v became %v when only later rows changed", name, da.Week[i], x, y)
			}
			seen[name] = true
			checked++
		}
	}
	if checked < 500 {
		t.Fatalf("only %d values checked", checked)
	}
	for _, name := range a.Spec.Names() {
		if !seen[name] && !strings.HasPrefix(name, "segment_") {
			t.Errorf("feature %s was never checked", name)
		}
	}
	for _, name := range slices.Concat([]string{LoginsLifetimeMean, FrequencyLifetimeMean}, sinceNames, baselineNames, shapeNames,
		yearNames, perSeatNames, []string{RenewalTermWeeks, "seats_4w_mean", "seats_12w_mean", "seats_4w_change", "arr_vs_lifetime", "seats_vs_lifetime"}) {
		if !seen[name] {
			t.Errorf("feature %s is not in the spec", name)
		}
	}
}

func TestLabels(t *testing.T) {
	const h = 4
	churner := weekly("churner", monday, 10) // churns at week index 9
	churner[9].Churned = true
	active := weekly("active", monday, 10)   // observed through index 9
	short := weekly("short", monday, 10)[:6] // leaves the data without churning
	tab := buildRows(t, slices.Concat(churner, active, short))
	want := map[string][]int{
		// From index 5 the churn at index 9 lies inside (w, w+4]: positive. Index 4 is seen
		// active through index 8 = w+4 and churns only after: negative. The churn row itself
		// is censored.
		"churner": {0, 0, 0, 0, 0, 1, 1, 1, 1, -1},
		// active: observed through index 9, so rows up to index 5 (5+4=9) are negative.
		"active": {0, 0, 0, 0, 0, 0, -1, -1, -1, -1},
		// short: last row index 5, so only index <= 1 is observed through w+4.
		"short": {0, 0, -1, -1, -1, -1},
	}
	got := map[string][]int{}
	for i := range tab.Len() {
		id := tab.Accounts[tab.account[i]].ID
		got[id] = append(got[id], tab.Label(i, h))
	}
	for id, w := range want {
		if !slices.Equal(got[id], w) {
			t.Errorf("%s labels = %v, want %v", id, got[id], w)
		}
	}
}

// TestSplitIsOutOfTime checks that validation rows are the last labelled
// weeks and that training labels end before validation starts.
func TestSplitIsOutOfTime(t *testing.T) {
	var rows []Snapshot
	for a := range 40 {
		acc := weekly(string(rune('A'+a%26))+string(rune('a'+a/26)), monday, 60)
		if a%3 == 0 { // a third of the accounts churn at different weeks
			acc = acc[:20+a]
			acc[len(acc)-1].Churned = true
		}
		rows = append(rows, acc...)
	}
	tab := buildRows(t, rows)
	sp, err := tab.Split(SplitOptions{Horizon: 4, ValidWeeks: 5})
	if err != nil {
		t.Fatal(err)
	}
	last := monday + 7*59
	if sp.ValidStats.Last != last-7*4 || sp.ValidStats.First != last-7*8 {
		t.Errorf("validation weeks %s..%s, want %s..%s", sp.ValidStats.First, sp.ValidStats.Last, last-7*8, last-7*4)
	}
	if gap := sp.ValidStats.First - sp.TrainStats.Last; gap <= 7*4 {
		t.Errorf("training ends %s, only %d days before validation starts %s", sp.TrainStats.Last, gap, sp.ValidStats.First)
	}
	for _, w := range sp.Train.Week {
		if w+7*4 >= sp.ValidStats.First {
			t.Fatalf("training row at %s has a label window reaching validation (%s)", w, sp.ValidStats.First)
		}
	}
	if sp.Train.Len() != sp.TrainStats.Rows || len(sp.Train.Label) != sp.Train.Len() || sp.Valid.Check() != nil {
		t.Errorf("inconsistent split: %+v", sp.TrainStats)
	}
}

func TestSplitNeedsHistory(t *testing.T) {
	rows := weekly("a", monday, 20)
	rows[19].Churned = true
	_, err := buildRows(t, rows).Split(SplitOptions{Horizon: 12, ValidWeeks: 13})
	if err == nil || !strings.Contains(err.Error(), "not enough history") {
		t.Fatalf("err = %v, want not enough history", err)
	}
}

func TestBuildErrors(t *testing.T) {
	dup := weekly("a", monday, 3)
	dup = append(dup, dup[1])
	after := weekly("a", monday, 4)
	after[1].Churned = true
	huge := weekly("a", monday, 3)
	huge[2].Frequency = maxWeekCount + 1
	for _, c := range []struct {
		name string
		rows []Snapshot
		want string
	}{
		{"duplicate", dup, `mem.csv: row 5: column "week": duplicate snapshot for account "a", week 2024-01-08 (first at row 3)`},
		{"after churn", after, `mem.csv: row 4: column "week": account "a" has a row at 2024-01-15 after its churned week 2024-01-08 (row 3)`},
		{"count too large", huge, `mem.csv: row 4: column "frequency": 2147483648 in one week for account "a": more than the 2147483647 that churn counts`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(context.Background(), memSource(testSchema, numberRows(c.rows)), BuildOptions{})
			var ie *InputError
			if !errors.As(err, &ie) || err.Error() != c.want {
				t.Fatalf("err = %v\nwant %s", err, c.want)
			}
		})
	}
}

// TestRowOrderDoesNotMatter builds the same snapshots in account order,
// week order and shuffled; the features must be identical.
func TestRowOrderDoesNotMatter(t *testing.T) {
	rows := slices.Concat(weekly("x", monday, 15), weekly("y", monday+7, 12), weekly("z", monday, 8))
	rows[5].Segment = "mid"
	byWeek := slices.Clone(rows)
	slices.SortStableFunc(byWeek, func(a, b Snapshot) int { return int(a.Week - b.Week) })
	shuffled := slices.Clone(rows)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	key := func(tab *Table) map[string][]float64 {
		ds := tab.Dataset(nil)
		m := map[string][]float64{}
		for i := range ds.Len() {
			m[ds.AccountID[i]+ds.Week[i].String()] = ds.Row(i)
		}
		return m
	}
	want := key(buildRows(t, rows))
	for name, order := range map[string][]Snapshot{"by week": byWeek, "shuffled": shuffled} {
		got := key(buildRows(t, order))
		for k, w := range want {
			if !slices.EqualFunc(got[k], w, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
				t.Fatalf("%s: %s = %v, want %v", name, k, got[k], w)
			}
		}
	}
}

// TestSpecWithoutLifetime checks that a spec saved before the long-run
// means existed (no "lifetime" key) still builds the columns its model was
// trained on, while a spec inferred from data has them.
func TestSpecWithoutLifetime(t *testing.T) {
	var old Spec
	if err := json.Unmarshal([]byte(`{"arr":true,"renewal":true,"segments":["smb"],"extras":["seats"]}`), &old); err != nil {
		t.Fatal(err)
	}
	rows := numberRows(weekly("a", monday, 3))
	for _, tc := range []struct {
		name     string
		spec     *Spec
		lifetime bool
	}{
		{"saved before", &old, false},
		{"inferred", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Build(context.Background(), memSource(testSchema, rows), BuildOptions{Spec: tc.spec})
			if err != nil {
				t.Fatal(err)
			}
			ds := tab.Dataset(nil)
			if got := ds.Column(LoginsLifetimeMean) >= 0; got != tc.lifetime {
				t.Fatalf("has %s = %v, want %v (features %v)", LoginsLifetimeMean, got, tc.lifetime, ds.Features)
			}
			// The baselines and shapes came later still: a spec saved
			// before them keeps its columns, and its JSON, as they were.
			for _, name := range []string{LoginsMean26w, LoginsSlope12w} {
				if got := ds.Column(name) >= 0; got != tc.lifetime {
					t.Fatalf("has %s = %v, want %v (features %v)", name, got, tc.lifetime, ds.Features)
				}
			}
			b, err := json.Marshal(tab.Spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(b), `"baseline":true`); got != tc.lifetime {
				t.Fatalf("spec JSON %s", b)
			}
			if len(ds.Features) != tab.Spec.Width() || len(ds.X) != ds.Len()*len(ds.Features) {
				t.Fatalf("%d features for width %d, %d values for %d rows", len(ds.Features), tab.Spec.Width(), len(ds.X), ds.Len())
			}
			// The columns after the behaviours are in place, whatever the spec.
			if got := ds.Row(2)[ds.Column("seats")]; got != 5 {
				t.Fatalf("seats = %v, want 5", got)
			}
			if got := ds.Row(2)[ds.Column(SegmentFeature("smb"))]; got != 1 {
				t.Fatalf("segment_smb = %v, want 1", got)
			}
		})
	}
}

func TestScoringSpecMustMatchFile(t *testing.T) {
	spec := Spec{ARR: true, Extras: []string{"seats", "nps"}}
	_, err := Build(context.Background(), memSource(testSchema, numberRows(weekly("a", monday, 2))), BuildOptions{Spec: &spec})
	if err == nil || !strings.Contains(err.Error(), `column "nps": missing column that the model was trained on`) {
		t.Fatalf("err = %v", err)
	}
}

func TestRecentRowsAndWeeks(t *testing.T) {
	rows := slices.Concat(weekly("a", monday, 5), weekly("b", monday, 2))
	rows[4].Logins = 99
	tab := buildRows(t, rows)
	recent := tab.RecentRows(3)
	if len(recent[0]) != 3 || len(recent[1]) != 2 {
		t.Fatalf("recent rows %v", recent)
	}
	for k, i := range recent[0] {
		if want := monday + Date(7*(2+k)); tab.Week(i) != want {
			t.Errorf("row %d week %s, want %s", i, tab.Week(i), want)
		}
	}
	a := tab.Accounts[0]
	if len(a.Recent) != 5 || a.Recent[4].Logins != 99 || a.Recent[0].Week != monday {
		t.Errorf("raw recent weeks %+v", a.Recent)
	}
}

// TestWindowsMatchBruteForce recomputes every window feature from scratch
// for random histories with gaps of irregular length, and compares it
// with the builder's running sums. Weeks are Mondays, as the contract
// wants.
func TestWindowsMatchBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var rows []Snapshot
	for a := range 30 {
		w := monday - 7*52*25 + Date(7*r.IntN(3)) // early enough that no history reaches today
		for range 40 + r.IntN(40) {
			rows = append(rows, Snapshot{
				AccountID: string(rune('a' + a)), Week: w, Logins: int64(r.IntN(9)), Frequency: int64(r.IntN(5)),
				SLABreaches: int64(r.IntN(3)), OverdueInvoices: int64(r.IntN(2)), ARR: math.NaN(),
				RenewalDate: NoDate, Extra: []float64{[]float64{math.NaN(), 0, 1, 2, 5, 9}[r.IntN(6)]},
			})
			w += Date([]int{7, 7, 7, 14, 21, 28, 35, 91}[r.IntN(8)])
		}
	}
	tab := buildAllGroups(t, rows)
	ds := tab.Dataset(nil)
	byAccount := map[string][]Snapshot{}
	for _, s := range rows {
		byAccount[s.AccountID] = append(byAccount[s.AccountID], s)
	}
	col := func(name string) int { return ds.Column(name) }
	for i := range ds.Len() {
		w := ds.Week[i]
		var n4, n12, l4, l12, f4, f12, s4, s12, od, n, l, f float64
		var n26, l26, f26, s26, od26 float64
		var n52, l52, f52, s52, od52 float64
		var e4, en4, e8, en8 float64 // the extra column's known values, last 4 weeks and the 8 before
		seats := math.NaN()
		lastBreach, lastOverdue := NoDate, NoDate
		var ts, ls, fs []float64 // the 12-week window's weeks (relative) and values
		for _, s := range byAccount[ds.AccountID[i]] {
			if s.Week > w {
				continue
			}
			n++
			l += float64(s.Logins)
			f += float64(s.Frequency)
			if s.SLABreaches > 0 {
				lastBreach = s.Week
			}
			if s.OverdueInvoices > 0 {
				lastOverdue = s.Week
			}
			if v := s.Extra[0]; v > 0 {
				seats = v
			}
			if s.Week <= w-364 {
				continue
			}
			n52++
			l52 += float64(s.Logins)
			f52 += float64(s.Frequency)
			s52 += float64(s.SLABreaches)
			if s.OverdueInvoices > 0 {
				od52++
			}
			if s.Week <= w-182 {
				continue
			}
			n26++
			l26 += float64(s.Logins)
			f26 += float64(s.Frequency)
			s26 += float64(s.SLABreaches)
			if s.OverdueInvoices > 0 {
				od26++
			}
			if s.Week <= w-84 {
				continue
			}
			ts = append(ts, float64(s.Week-w)/7)
			ls = append(ls, float64(s.Logins))
			fs = append(fs, float64(s.Frequency))
			n12++
			l12 += float64(s.Logins)
			f12 += float64(s.Frequency)
			s12 += float64(s.SLABreaches)
			if s.OverdueInvoices > 0 {
				od++
			}
			if v := s.Extra[0]; !math.IsNaN(v) && s.Week > w-28 {
				e4 += v
				en4++
			} else if !math.IsNaN(v) {
				e8 += v
				en8++
			}
			if s.Week > w-28 {
				n4++
				l4 += float64(s.Logins)
				f4 += float64(s.Frequency)
				s4 += float64(s.SLABreaches)
			}
		}
		trend := 0.0
		if n12 > n4 {
			trend = math.Log((l4/n4 + 1) / ((l12-l4)/(n12-n4) + 1))
		}
		since := func(last Date) float64 {
			if last == NoDate {
				return 53
			}
			return min(float64(w-last)/7, 52)
		}
		ratio := func(sum4, mean26 float64) float64 { return math.Log((sum4/n4 + 1) / (mean26 + 1)) }
		extraMean4, extraMean12, extraChange := math.NaN(), math.NaN(), math.NaN()
		if en4 > 0 {
			extraMean4, extraChange = e4/en4, 0
			if en8 > 0 {
				extraChange = e4/en4 - e8/en8
			}
		}
		if en4+en8 > 0 {
			extraMean12 = (e4 + e8) / (en4 + en8)
		}
		lSlope, lSD := fitLine(ts, ls)
		fSlope, fSD := fitLine(ts, fs)
		x := ds.Row(i)
		for name, want := range map[string]float64{
			LoginsSum4w: l4, LoginsMean4w: l4 / n4, LoginsSum12w: l12, LoginsMean12w: l12 / n12,
			FrequencySum4w: f4, FrequencySum12w: f12, SLABreachesSum4w: s4, SLABreachesSum12w: s12,
			OverdueWeeks12w: od, WeeksReported12w: n12, LoginsTrend: trend,
			LoginsLifetimeMean: l / n, FrequencyLifetimeMean: f / n,
			WeeksSinceSLABreach: since(lastBreach), WeeksSinceOverdue: since(lastOverdue),
			LoginsMean26w: l26 / n26, FrequencyMean26w: f26 / n26, SLABreachesMean26w: s26 / n26, OverdueWeeks26w: od26,
			LoginsVsBaseline: ratio(l4, l26/n26), FrequencyVsBaseline: ratio(f4, f26/n26), SLABreachesVsBaseline: ratio(s4, s26/n26),
			LoginsSlope12w: lSlope, LoginsVolatility12w: lSD, FrequencySlope12w: fSlope, FrequencyVolatility: fSD,
			LoginsMean52w: l52 / n52, FrequencyMean52w: f52 / n52, SLABreachesMean52w: s52 / n52, OverdueWeeks52w: od52,
			LoginsVs52w: ratio(l4, l52/n52), FrequencyVs52w: ratio(f4, f52/n52), SLABreachesVs52w: ratio(s4, s52/n52),
			"seats_4w_mean": extraMean4, "seats_12w_mean": extraMean12, "seats_4w_change": extraChange,
			LoginsPerSeat4w: l4 / n4 / seats, LoginsPerSeat12w: l12 / n12 / seats,
			FrequencyPerSeat4w: f4 / n4 / seats, FrequencyPerSeat12w: f12 / n12 / seats,
		} {
			got := x[col(name)]
			if math.IsNaN(got) && math.IsNaN(want) {
				continue
			}
			if math.Abs(got-want) > 1e-9 || math.IsNaN(got) != math.IsNaN(want) {
				t.Fatalf("%s %s %s = %v, want %v", ds.AccountID[i], w, name, got, want)
			}
		}
	}
}

// fitLine is the least-squares slope of y on t and the population
// standard deviation of y, 0 and 0 below two points: the textbook
// formulas, in two passes, for the builder's shape features to match.
func fitLine(t, y []float64) (slope, sd float64) {
	if len(t) < 2 {
		return 0, 0
	}
	var mt, my float64
	for i := range t {
		mt += t[i] / float64(len(t))
		my += y[i] / float64(len(t))
	}
	var stt, sty, syy float64
	for i := range t {
		stt += (t[i] - mt) * (t[i] - mt)
		sty += (t[i] - mt) * (y[i] - my)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sty / stt, math.Sqrt(syy / float64(len(t)))
}

func TestSplitContextCancelled(t *testing.T) {
	rows := weekly("a", monday, 60)
	rows[59].Churned = true
	rows = append(rows, weekly("b", monday, 60)...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := buildRows(t, rows).SplitContext(ctx, SplitOptions{Horizon: 4, ValidWeeks: 5}); !errors.Is(err, context.Canceled) {
		t.Fatalf("SplitContext after cancel = %v, want context.Canceled", err)
	}
}
