package ranking

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
)

// TestGroupsAddUp checks on simulated data that each account's sub-scores
// per signal group add up to its log-odds minus the base, that each group
// sums exactly the contributions of its features, and that each group's
// colour is the health colour of the base plus that group alone.
func TestGroupsAddUp(t *testing.T) {
	a := logisticModel(t)
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 200, Weeks: 30, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(ctx, a, buildTable(t, a, rows))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Accounts) < 50 {
		t.Fatalf("only %d active accounts", len(b.Accounts))
	}
	colours := map[string]int{}
	for _, acc := range b.Accounts {
		if len(acc.Groups) != len(features.SignalGroups) {
			t.Fatalf("%s: %d groups, want %d", acc.AccountID, len(acc.Groups), len(features.SignalGroups))
		}
		want := make(map[string]float64)
		for j, f := range a.Features {
			want[a.Spec.SignalGroup(f)] += acc.Score.Contributions[j]
		}
		sum := 0.0
		for k, g := range acc.Groups {
			if g.Group != features.SignalGroups[k] {
				t.Fatalf("%s: group %d is %q, want %q", acc.AccountID, k, g.Group, features.SignalGroups[k])
			}
			if math.Abs(g.LogOdds-want[g.Group]) > 1e-9 {
				t.Errorf("%s %s: %v, want %v", acc.AccountID, g.Group, g.LogOdds, want[g.Group])
			}
			if c := a.Health.Colour(1 / (1 + math.Exp(-(acc.Score.Base + g.LogOdds)))); g.Health != c {
				t.Errorf("%s %s: colour %s, want %s", acc.AccountID, g.Group, g.Health, c)
			}
			colours[g.Health]++
			sum += g.LogOdds
		}
		if d := acc.Score.LogOdds - acc.Score.Base - sum; math.Abs(d) > 1e-9 {
			t.Errorf("%s: groups sum to %v, log-odds minus base is %v", acc.AccountID, sum, acc.Score.LogOdds-acc.Score.Base)
		}
	}
	if colours["green"] == 0 || colours["red"]+colours["yellow"] == 0 {
		t.Errorf("group colours %v: want green and some yellow or red", colours)
	}
}

// supportWorld is a book of accounts whose churn is driven by SLA
// breaches alone: each account has its own breach rate, logins and
// overdue invoices vary as much but do not matter.
func supportWorld(seed uint64, accounts, weeks int) []features.Snapshot {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []features.Snapshot
	for i := range accounts {
		breachRate := r.Float64()
		logins := 5 + r.IntN(40)
		overdue := r.Float64() * 0.3
		recent := 0
		for k := range weeks {
			s := features.Snapshot{AccountID: fmt.Sprintf("acc%03d", i), Week: week(k),
				Logins: int64(logins + r.IntN(10)), Frequency: int64(logins/2 + r.IntN(5)), RecencyDays: int64(r.IntN(7)),
				ARR: math.NaN(), RenewalDate: features.NoDate}
			if r.Float64() < breachRate {
				s.SLABreaches = int64(1 + r.IntN(3))
			}
			if r.Float64() < overdue {
				s.OverdueInvoices = 1
			}
			recent = recent*3/4 + int(s.SLABreaches)
			s.Churned = r.Float64() < 0.002+0.015*float64(recent)
			out = append(out, s)
			if s.Churned {
				break
			}
		}
	}
	return out
}

// TestSupportDrivesRiskiest trains a model on a world where only SLA
// breaches drive churn and checks that support is the top group (the
// largest sub-score) of most of the riskiest tenth of the book, and of
// more of them than any other group.
func TestSupportDrivesRiskiest(t *testing.T) {
	ctx := context.Background()
	rows := supportWorld(3, 600, 40)
	schema := features.Schema{HasChurned: true}
	tab, err := features.Build(ctx, features.MemorySource("support", schema, rows), features.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := tab.Split(features.SplitOptions{Horizon: 4, ValidWeeks: 6})
	if err != nil {
		t.Fatal(err)
	}
	res, err := models.Train(ctx, sp, tab.Spec, models.TrainOptions{Kinds: []string{"logistic"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(ctx, res.Chosen, tab)
	if err != nil {
		t.Fatal(err)
	}
	n := len(b.Accounts) / 10
	if n < 10 {
		t.Fatalf("only %d active accounts", len(b.Accounts))
	}
	top := map[string]int{}
	for _, acc := range b.Accounts[:n] {
		best := slices.MaxFunc(acc.Groups, func(x, y GroupHealth) int {
			return cmp.Compare(x.LogOdds, y.LogOdds)
		})
		top[best.Group]++
	}
	t.Logf("top group of the riskiest %d: %v", n, top)
	for _, g := range features.SignalGroups {
		if g != features.GroupSupport && top[g] >= top[features.GroupSupport] {
			t.Errorf("top group of the riskiest %d: %v; want support ahead of %s", n, top, g)
		}
	}
	if 2*top[features.GroupSupport] <= n {
		t.Errorf("support is the top group of %d of the riskiest %d, want most", top[features.GroupSupport], n)
	}
}

// TestBuildRefusesBadSignalGroups checks that a model file whose spec
// names an unknown signal group is refused by name, not a panic.
func TestBuildRefusesBadSignalGroups(t *testing.T) {
	good := logisticModel(t)
	bad := *good
	bad.Spec.SignalGroups = map[string]string{features.RecencyDays: "billing"}
	rows, err := simulate.Snapshots(context.Background(), simulate.Config{Accounts: 20, Weeks: 20, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), &bad, buildTable(t, good, rows))
	if err == nil || !strings.Contains(err.Error(), `"billing" is not one of`) {
		t.Errorf("Build with a bad signal group: %v, want an error naming it", err)
	}
}
