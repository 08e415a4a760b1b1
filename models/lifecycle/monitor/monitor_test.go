package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/monitor"
	"github.com/churnlabs/churn/models/metrics"
)

// week0 is the first recorded week of the fixtures; asOf the latest
// snapshot week, 20 weeks on.
var (
	week0 = mustDate("2025-01-06")
	asOf  = week0.AddDays(7 * 20)
)

const horizon = 4

func mustDate(s string) features.Date {
	d, err := features.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// history is n accounts scored at week by version: every third churns
// two weeks later, the rest stay to asOf. score gives account i's
// probability from whether it churns.
func history(n int, week features.Date, version string, score func(i int, churns bool) float64) ([]lifecycle.ScoreRecord, map[string]monitor.Fate) {
	fates := make(map[string]monitor.Fate)
	var recs []lifecycle.ScoreRecord
	for i := range n {
		id := fmt.Sprintf("a%03d", i)
		churns := i%3 == 0
		f := monitor.Fate{Last: asOf, ChurnWeek: features.NoDate}
		if churns {
			f = monitor.Fate{Last: week.AddDays(14), ChurnWeek: week.AddDays(14)}
		}
		fates[id] = f
		seg := "smb"
		if i%2 == 0 {
			seg = "enterprise"
		}
		recs = append(recs, lifecycle.ScoreRecord{AccountID: id, Week: week, ModelVersion: version, Segment: seg, Probability: score(i, churns)})
	}
	return recs, fates
}

func perfect(_ int, churns bool) float64 {
	if churns {
		return 0.8
	}
	return 0.2
}

func TestEvaluate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(int, bool) float64 { return rng.Float64() }
	tests := []struct {
		name  string
		n     int
		score func(int, bool) float64
		check func(t *testing.T, r *monitor.Report)
	}{
		{"perfectly informative scores give AUC 1", 300, perfect, func(t *testing.T, r *monitor.Report) {
			all := r.Groups[0]
			if all.AUC.Estimate != 1 || all.AUC.Lower != 1 || all.PRAUC.Estimate != 1 {
				t.Errorf("AUC %+v, PR-AUC %v, want 1", all.AUC, all.PRAUC)
			}
			if all.Rows != 300 || all.Positives != 100 {
				t.Errorf("%d rows, %d positives, want 300 and 100", all.Rows, all.Positives)
			}
			if math.Abs(all.TopDecile.Lift-3) > 1e-9 || all.TopDecile.Rate.Estimate != 1 {
				t.Errorf("top decile %+v, want every row a churner, lift 3", all.TopDecile)
			}
			// Heavy ties leave two bins: 0.2 observed 0, 0.8 observed 1.
			for _, d := range all.Deciles {
				want := 0.0
				if d.MeanPredicted > 0.5 {
					want = 1
				}
				if d.Observed.Estimate != want || !d.Observed.Contains(want) {
					t.Errorf("decile %+v: observed rate want %v", d, want)
				}
			}
		}},
		{"random scores give AUC near 0.5, inside the interval", 3000, random, func(t *testing.T, r *monitor.Report) {
			all := r.Groups[0]
			if !all.AUC.Contains(0.5) || all.AUC.Upper-all.AUC.Lower > 0.1 {
				t.Errorf("AUC %+v, want a narrow interval holding 0.5", all.AUC)
			}
			if math.Abs(all.TopDecile.Lift-1) > 0.3 {
				t.Errorf("top-decile lift %v, want near 1", all.TopDecile.Lift)
			}
			if !all.ChurnRate.Contains(1.0 / 3) {
				t.Errorf("churn rate %+v, want 1/3 inside", all.ChurnRate)
			}
			if len(all.Deciles) != monitor.Deciles {
				t.Errorf("%d calibration bins, want %d", len(all.Deciles), monitor.Deciles)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, fates := history(tt.n, week0, "v1", tt.score)
			r, err := monitor.Evaluate(recs, fates, monitor.Options{Horizon: horizon, AsOf: asOf})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range r.Groups {
				got = append(got, g.ModelVersion+"/"+g.Segment)
			}
			if want := []string{"v1/", "v1/enterprise", "v1/smb"}; !slices.Equal(got, want) {
				t.Fatalf("groups %v, want %v", got, want)
			}
			if r.Groups[1].Rows+r.Groups[2].Rows != r.Groups[0].Rows {
				t.Errorf("segments hold %d + %d rows, all %d", r.Groups[1].Rows, r.Groups[2].Rows, r.Groups[0].Rows)
			}
			tt.check(t, r)
		})
	}
}

// TestEvaluateLeavesOut checks what is not evaluated: weeks whose horizon
// has not passed, censored outcomes and accounts the snapshots lack; and
// that model versions are kept apart.
func TestEvaluateLeavesOut(t *testing.T) {
	old, fates := history(30, week0, "v1", perfect)
	// v2 scores a later week with the scores reversed: kept apart, it
	// shows AUC 0 while v1 shows 1.
	later := week0.AddDays(7)
	v2, _ := history(30, later, "v2", func(i int, churns bool) float64 { return 1 - perfect(i, churns) })
	for i := range v2 {
		// Same accounts, the churn a week nearer: still within horizon.
		v2[i].AccountID = old[i].AccountID
	}
	// A week whose horizon ends after asOf: not matured.
	young := asOf.AddDays(-7 * (horizon - 1))
	immature, _ := history(30, young, "v1", perfect)
	recs := slices.Concat(old, v2, immature)
	// An account last seen a week after week0 without churning: censored.
	fates["a001"] = monitor.Fate{Last: week0.AddDays(7), ChurnWeek: features.NoDate}
	// One the snapshots do not hold.
	recs = append(recs, lifecycle.ScoreRecord{AccountID: "gone", Week: week0, ModelVersion: "v1", Probability: 0.5})

	r, err := monitor.Evaluate(recs, fates, monitor.Options{Horizon: horizon, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if want := []features.Date{week0, later}; !slices.Equal(r.Matured, want) {
		t.Errorf("matured weeks %v, want %v", r.Matured, want)
	}
	if want := []features.Date{young}; !slices.Equal(r.Immature, want) {
		t.Errorf("immature weeks %v, want %v", r.Immature, want)
	}
	if r.Censored != 2 || r.Unknown != 1 {
		// a001 is censored at week0 and at week0+1.
		t.Errorf("censored %d, unknown %d, want 2 and 1", r.Censored, r.Unknown)
	}
	byKey := make(map[string]monitor.Performance)
	for _, g := range r.Groups {
		byKey[g.ModelVersion+"/"+g.Segment] = g
	}
	v1, v2p := byKey["v1/"], byKey["v2/"]
	if v1.Rows != 29 || v1.Weeks != 1 || v1.FirstWeek != week0 || v1.AUC.Estimate != 1 {
		t.Errorf("v1: %d rows in %d weeks from %s, AUC %v; want 29 in 1 from %s, AUC 1", v1.Rows, v1.Weeks, v1.FirstWeek, v1.AUC.Estimate, week0)
	}
	if v2p.Rows != 29 || v2p.FirstWeek != later || v2p.AUC.Estimate != 0 {
		t.Errorf("v2: %d rows from %s, AUC %v; want 29 from %s, AUC 0", v2p.Rows, v2p.FirstWeek, v2p.AUC.Estimate, later)
	}
	if r.Groups[0].ModelVersion != "v1" {
		t.Errorf("first group %s, want v1, the version of the earliest week", r.Groups[0].ModelVersion)
	}
}

// TestEvaluateVersionHorizons judges each version over its own horizon:
// accounts that churn six weeks after the week are churners for a model of
// horizon 8 and not for one of horizon 4, and a week is mature for the
// short model before it is for the long one.
func TestEvaluateVersionHorizons(t *testing.T) {
	week := asOf.AddDays(-7 * 10)
	recent := asOf.AddDays(-7 * 5) // matured over 4 weeks, not over 8
	fates := make(map[string]monitor.Fate)
	var recs []lifecycle.ScoreRecord
	for i := range 40 {
		id := fmt.Sprintf("a%03d", i)
		fates[id] = monitor.Fate{Last: asOf, ChurnWeek: features.NoDate}
		p := 0.1
		if i%4 == 0 {
			fates[id] = monitor.Fate{Last: week.AddDays(42), ChurnWeek: week.AddDays(42)}
			p = 0.6
		}
		for _, v := range []string{"short", "long"} {
			recs = append(recs, lifecycle.ScoreRecord{AccountID: id, Week: week, ModelVersion: v, Probability: p})
		}
		if i%4 != 0 { // the churners are in their last weeks by then
			recs = append(recs, lifecycle.ScoreRecord{AccountID: id, Week: recent, ModelVersion: "short", Probability: 0.1},
				lifecycle.ScoreRecord{AccountID: id, Week: recent, ModelVersion: "long", Probability: 0.1})
		}
	}
	r, err := monitor.Evaluate(recs, fates, monitor.Options{Horizon: 8, Horizons: map[string]int{"short": 4}, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]monitor.Performance)
	for _, g := range r.Groups {
		got[g.ModelVersion] = g
	}
	// short: week's churners churn after its 4 weeks (negatives), and
	// its recent week has matured; long: 10 churners, recent not matured.
	if g := got["short"]; g.Horizon != 4 || g.Positives != 0 || g.Rows != 70 || g.Weeks != 2 {
		t.Errorf("short: horizon %d, %d rows in %d weeks, %d churned; want 4, 70 in 2, 0", g.Horizon, g.Rows, g.Weeks, g.Positives)
	}
	if g := got["long"]; g.Horizon != 8 || g.Positives != 10 || g.Rows != 40 || g.AUC.Estimate != 1 {
		t.Errorf("long: horizon %d, %d rows, %d churned, AUC %v; want 8, 40, 10, 1", g.Horizon, g.Rows, g.Positives, g.AUC.Estimate)
	}
	if !slices.Equal(r.Matured, []features.Date{week, recent}) || !slices.Equal(r.Immature, []features.Date{recent}) {
		t.Errorf("matured %v, immature %v; want %s and %s matured, %s not for long", r.Matured, r.Immature, week, recent, recent)
	}
	// Run reads the weeks matured over the shortest horizon.
	h := weeksOf{}
	for _, rec := range recs {
		h[rec.Week] = append(h[rec.Week], rec)
	}
	rr, err := monitor.Run(context.Background(), h, fates, monitor.Options{Horizon: 8, Horizons: map[string]int{"short": 4}, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.Groups) != 2 || rr.Groups[0].Rows+rr.Groups[1].Rows != 110 {
		t.Errorf("Run: groups %+v, want short's 70 rows and long's 40", rr.Groups)
	}
	if _, err := monitor.Evaluate(recs, fates, monitor.Options{Horizon: 8, Horizons: map[string]int{"short": 0}, AsOf: asOf}); err == nil || !strings.Contains(err.Error(), "horizon 0 of model short") {
		t.Errorf("a horizon of 0 for one version: err %v", err)
	}
}

func TestEvaluateErrors(t *testing.T) {
	recs, fates := history(3, week0, "v1", perfect)
	tests := []struct {
		name string
		recs []lifecycle.ScoreRecord
		o    monitor.Options
		want string
	}{
		{"no horizon", recs, monitor.Options{AsOf: asOf}, "horizon 0"},
		{"no as-of week", recs, monitor.Options{Horizon: 4, AsOf: features.NoDate}, "no as-of week"},
		{"bad confidence", recs, monitor.Options{Horizon: 4, AsOf: asOf, Confidence: 95}, "confidence 95"},
		{"bad record", []lifecycle.ScoreRecord{{AccountID: "a", Week: week0, ModelVersion: "v1", Probability: 2}}, monitor.Options{Horizon: 4, AsOf: asOf}, "probability 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := monitor.Evaluate(tt.recs, fates, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// weeksOf is a History in memory.
type weeksOf map[features.Date][]lifecycle.ScoreRecord

func (h weeksOf) ScoredWeeks(context.Context) ([]features.Date, error) {
	var ws []features.Date
	for w := range h {
		ws = append(ws, w)
	}
	slices.Sort(ws)
	return ws, nil
}

func (h weeksOf) Scores(_ context.Context, w features.Date) ([]lifecycle.ScoreRecord, error) {
	if len(h[w]) > 0 && !(monitor.Options{Horizon: horizon, AsOf: asOf}).Matured(w) {
		return nil, fmt.Errorf("read week %s, which has not matured", w)
	}
	return h[w], nil
}

// TestRun reads the matured weeks of a history, and only those.
func TestRun(t *testing.T) {
	old, fates := history(30, week0, "v1", perfect)
	young := asOf.AddDays(-7)
	recent, _ := history(30, young, "v1", perfect)
	r, err := monitor.Run(context.Background(), weeksOf{week0: old, young: recent}, fates, monitor.Options{Horizon: horizon, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Matured, []features.Date{week0}) || !slices.Equal(r.Immature, []features.Date{young}) || r.Groups[0].Rows != 30 {
		t.Errorf("matured %v, immature %v, %d rows; want %s, %s, 30", r.Matured, r.Immature, r.Groups[0].Rows, week0, young)
	}
}

// TestPRAUCInterval checks the PR-AUC interval of a realistic score: it
// holds the estimate, stays in (0, 1) and narrows as positives grow.
func TestPRAUCInterval(t *testing.T) {
	width := func(n int) float64 {
		rng := rand.New(rand.NewPCG(3, 4))
		recs, fates := history(n, week0, "v1", func(_ int, churns bool) float64 {
			if churns {
				return 0.3 + 0.7*rng.Float64()
			}
			return 0.7 * rng.Float64()
		})
		r, err := monitor.Evaluate(recs, fates, monitor.Options{Horizon: horizon, AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		pr := r.Groups[0].PRAUC
		if !(0 < pr.Lower && pr.Lower < pr.Estimate && pr.Estimate < pr.Upper && pr.Upper < 1) {
			t.Errorf("%d rows: PR-AUC %+v, want the estimate strictly inside (0, 1) bounds", n, pr)
		}
		return pr.Upper - pr.Lower
	}
	small, large := width(150), width(3000)
	if !(large < small/3) {
		t.Errorf("PR-AUC interval width %v at 3000 rows, %v at 150: want it to narrow about as 1/sqrt(n)", large, small)
	}
}

// TestShadowComparison pairs a shadow's scores with the champion's on
// generated account-weeks: a challenger that ranks churners better, one
// that ranks them worse, and one that scores as the champion does. The
// AUCs are those of the paired rows alone, the difference's interval
// holds it, and the verdict follows DeLong's test.
func TestShadowComparison(t *testing.T) {
	const n = 1500
	rng := rand.New(rand.NewPCG(7, 8))
	// signal scores churners higher by strength, in noise of sd 1.
	noise := make([]float64, 2*n)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	signal := func(strength float64, k int) func(int, bool) float64 {
		return func(i int, churns bool) float64 {
			x := noise[k*n+i]
			if churns {
				x += strength
			}
			return 1 / (1 + math.Exp(-x))
		}
	}
	tests := []struct {
		name       string
		challenger func(int, bool) float64
		verdict    string
	}{
		{"a better challenger", signal(2, 1), monitor.ChallengerBetter},
		{"a worse challenger", signal(0.3, 1), monitor.ChampionBetter},
		{"the champion's own scores", signal(1, 0), monitor.NoDifference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			champ, fates := history(n, week0, "champ", signal(1, 0))
			shadow, _ := history(n, week0, "challenger", tt.challenger)
			// The shadow was set a little late: its first 300 accounts
			// were scored by the champion alone, and are not paired.
			shadow = shadow[300:]
			for i := range shadow {
				shadow[i].Shadow = true
			}
			r, err := monitor.Evaluate(append(champ, shadow...), fates, monitor.Options{Horizon: horizon, AsOf: asOf})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Shadows) != 1 {
				t.Fatalf("%d comparisons, want 1: %+v", len(r.Shadows), r.Shadows)
			}
			c := r.Shadows[0]
			var y, a, b []float64
			for i := 300; i < n; i++ {
				y = append(y, float64(1-min(1, i%3))) // every third churns
				a = append(a, champ[i].Probability)
				b = append(b, shadow[i-300].Probability)
			}
			if c.Champion != "champ" || c.Challenger != "challenger" || c.Rows != n-300 || c.Positives != (n-300)/3 || c.Weeks != 1 {
				t.Errorf("comparison %+v: want champ against challenger on %d rows, %d churned", c, n-300, (n-300)/3)
			}
			if ca, cb := metrics.ROCAUC(y, a), metrics.ROCAUC(y, b); math.Abs(c.ChampionAUC-ca) > 1e-12 || math.Abs(c.ChallengerAUC-cb) > 1e-12 {
				t.Errorf("AUCs %v and %v, want the paired rows' %v and %v", c.ChampionAUC, c.ChallengerAUC, ca, cb)
			}
			if d := c.ChallengerAUC - c.ChampionAUC; math.Abs(c.Difference.Estimate-d) > 1e-12 || !(c.Difference.Lower <= d && d <= c.Difference.Upper) {
				t.Errorf("difference %+v, want %v inside its interval", c.Difference, d)
			}
			if c.Verdict != tt.verdict {
				t.Errorf("verdict %q (AUC %.3f against %.3f, p %.3g), want %q", c.Verdict, c.ChallengerAUC, c.ChampionAUC, c.P, tt.verdict)
			}
			switch tt.verdict {
			case monitor.ChallengerBetter, monitor.ChampionBetter:
				if c.P >= 0.05 || c.Difference.Lower*c.Difference.Upper <= 0 {
					t.Errorf("p %v, interval %+v: want a significant difference", c.P, c.Difference)
				}
			case monitor.NoDifference:
				if c.Difference.Estimate != 0 || c.P != 1 {
					t.Errorf("same scores: difference %+v, p %v; want 0 and 1", c.Difference, c.P)
				}
			}
			// The shadow still has its own realized performance.
			var versions []string
			for _, g := range r.Groups {
				if g.Segment == "" {
					versions = append(versions, g.ModelVersion)
				}
			}
			if !slices.Equal(versions, []string{"challenger", "champ"}) {
				t.Errorf("versions reported %v", versions)
			}
			b2, err := json.Marshal(r)
			if err != nil || !strings.Contains(string(b2), `"verdict":"`+tt.verdict+`"`) {
				t.Errorf("JSON %s, %v: want the verdict", b2, err)
			}
		})
	}
}

// TestShadowComparisonTooFew: without both outcomes among the paired
// rows there is no test, and the verdict says so, with null figures.
func TestShadowComparisonTooFew(t *testing.T) {
	champ, fates := history(1, week0, "champ", perfect)
	shadow, _ := history(1, week0, "challenger", perfect)
	shadow[0].Shadow = true
	r, err := monitor.Evaluate(append(champ, shadow...), fates, monitor.Options{Horizon: horizon, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Shadows) != 1 || r.Shadows[0].Verdict != monitor.TooFew || !math.IsNaN(r.Shadows[0].P) {
		t.Fatalf("comparisons %+v, want one with %q", r.Shadows, monitor.TooFew)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"champion_roc_auc":null`) {
		t.Errorf("JSON %s, %v: want null AUCs", b, err)
	}
}
