package maturity

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/features/simulate"
)

// readWorld reads the history of a generated world, as `churn gen` makes
// them.
func readWorld(c simulate.Config) (*retention.History, error) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, c)
	if err != nil {
		return nil, err
	}
	return retention.Read(ctx, features.MemorySource("simulated", simulate.Schema(), rows))
}

// Worlds: a small one of 600 accounts, and `churn gen`'s default world.
var (
	small        = sync.OnceValues(func() (*retention.History, error) { return readWorld(simulate.Config{Accounts: 600, Seed: 11}) })
	defaultWorld = sync.OnceValues(func() (*retention.History, error) { return readWorld(simulate.Config{}) })
)

func measured(t *testing.T, world func() (*retention.History, error)) (*retention.History, *Result) {
	t.Helper()
	b, err := world()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Measure(context.Background(), b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return b, res
}

// On a generated world the learned levels order retention: each level
// churns less than the one below it, every level has rows, and the first
// step is the most common behaviour.
func TestLevelsOrderRetention(t *testing.T) {
	for _, tc := range []struct {
		name  string
		world func() (*retention.History, error)
	}{{"small", small}, {"default", defaultWorld}} {
		t.Run(tc.name, func(t *testing.T) { testLevelsOrderRetention(t, tc.world) })
	}
}

func testLevelsOrderRetention(t *testing.T, world func() (*retention.History, error)) {
	_, res := measured(t, world)
	if err := res.Ladder.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, s := range res.Ladder.Steps {
		t.Logf("step to %d: %s (share %.3f)", s.To, s.Indicators[0], s.Share)
		if i > 0 && s.Share > res.Ladder.Steps[i-1].Share {
			t.Errorf("step to %d is met by %.3f of rows, more than the step before (%.3f)", s.To, s.Share, res.Ladder.Steps[i-1].Share)
		}
	}
	total := 0
	for i, lv := range res.Levels {
		t.Logf("level %d %s: %d rows, churn %.3f [%.3f, %.3f], %d accounts", lv.Level, lv.Name, lv.Rows,
			lv.ChurnRate.Estimate, lv.ChurnRate.Lower, lv.ChurnRate.Upper, lv.Accounts)
		if lv.Rows == 0 {
			t.Fatalf("level %d has no rows", lv.Level)
		}
		if !lv.ChurnRate.Contains(float64(lv.Churned) / float64(lv.Rows)) {
			t.Errorf("level %d: interval %+v does not hold %d/%d", lv.Level, lv.ChurnRate, lv.Churned, lv.Rows)
		}
		if i > 0 && !(lv.ChurnRate.Estimate < res.Levels[i-1].ChurnRate.Estimate) {
			t.Errorf("level %d churns %.3f, not less than level %d's %.3f", lv.Level, lv.ChurnRate.Estimate,
				lv.Level-1, res.Levels[i-1].ChurnRate.Estimate)
		}
		total += lv.Accounts
	}
	if total != len(res.Accounts) || total == 0 {
		t.Errorf("levels count %d accounts, %d placed", total, len(res.Accounts))
	}
	// The bottom and the top are far apart: the top level's interval
	// lies wholly below the bottom level's.
	if lo, hi := res.Levels[0].ChurnRate, res.Levels[Levels-1].ChurnRate; !(hi.Upper < lo.Lower) {
		t.Errorf("top level churn %+v overlaps bottom level's %+v", hi, lo)
	}
}

// Each account's level and lacks agree with the indicators it meets at
// the latest week: it meets every indicator below its level, and lacks
// exactly the indicators of the next step it fails.
func TestAccountsLackExactlyTheNextStep(t *testing.T) {
	b, res := measured(t, small)
	seen := map[int]bool{}
	for _, a := range res.Accounts {
		seen[a.Level] = true
		for _, s := range res.Ladder.Steps {
			var fails []string
			for _, ind := range s.Indicators {
				if m, found := b.Meets(a.ID, b.Last, ind); !found {
					t.Fatalf("%s has no week %s", a.ID, b.Last)
				} else if !m {
					fails = append(fails, ind.String())
				}
			}
			switch {
			case s.To <= a.Level && len(fails) > 0:
				t.Fatalf("%s at level %d fails %v of the step to %d", a.ID, a.Level, fails, s.To)
			case s.To == a.Level+1 && !slices.Equal(fails, a.Lacks):
				t.Fatalf("%s at level %d lacks %v, fails %v", a.ID, a.Level, a.Lacks, fails)
			}
		}
		if a.Level == Levels && a.Lacks != nil {
			t.Errorf("%s at the top lacks %v", a.ID, a.Lacks)
		}
	}
	if len(seen) < 3 {
		t.Errorf("current accounts span levels %v, want at least three", seen)
	}
}

func TestPlace(t *testing.T) {
	a := retention.Indicator{Column: "a", Op: retention.AtLeast, Threshold: 1, Days: 28, Percent: 50}
	b, c, d := a, a, a
	b.Column, c.Column, d.Column = "b", "c", "d"
	l := &Ladder{Steps: []Step{{To: 2, Indicators: []retention.Indicator{a}},
		{To: 3, Indicators: []retention.Indicator{b, c}}, {To: 4, Indicators: []retention.Indicator{d}}}}
	for _, tc := range []struct {
		meets []string
		level int
		lacks []string
	}{
		{nil, 1, []string{"a"}},
		{[]string{"b", "c", "d"}, 1, []string{"a"}}, // steps are climbed in order
		{[]string{"a"}, 2, []string{"b", "c"}},
		{[]string{"a", "c"}, 2, []string{"b"}},
		{[]string{"a", "b", "c"}, 3, []string{"d"}},
		{[]string{"a", "b", "c", "d"}, 4, nil},
	} {
		level, lacks := l.Place(func(ind retention.Indicator) bool { return slices.Contains(tc.meets, ind.Column) })
		var cols []string
		for _, ind := range lacks {
			cols = append(cols, ind.Column)
		}
		if level != tc.level || !slices.Equal(cols, tc.lacks) {
			t.Errorf("meets %v: level %d lacks %v, want %d lacking %v", tc.meets, level, cols, tc.level, tc.lacks)
		}
	}
}

func TestValidate(t *testing.T) {
	ind := []retention.Indicator{{Column: "a", Op: retention.AtLeast, Threshold: 1, Days: 28, Percent: 50}}
	for _, tc := range []struct {
		name   string
		ladder Ladder
		ok     bool
	}{
		{"three steps", Ladder{Steps: []Step{{2, ind, 0}, {3, ind, 0}, {4, ind, 0}}}, true},
		{"two steps", Ladder{Steps: []Step{{2, ind, 0}, {3, ind, 0}}}, false},
		{"misnumbered", Ladder{Steps: []Step{{2, ind, 0}, {4, ind, 0}, {3, ind, 0}}}, false},
		{"empty step", Ladder{Steps: []Step{{2, ind, 0}, {3, nil, 0}, {4, ind, 0}}}, false},
	} {
		if err := tc.ladder.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// A history in which nothing raises retention has no ladder to learn.
func TestTooFewIndicators(t *testing.T) {
	_, err := Learn(&retention.Indicators{}, nil)
	if !errors.Is(err, ErrTooFewIndicators) {
		t.Fatalf("got %v, want ErrTooFewIndicators", err)
	}
}
