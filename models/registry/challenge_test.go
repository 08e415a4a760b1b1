package registry

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/logistic"
)

// variant returns a copy of the fixture's logistic model with its
// coefficients changed by edit, and saved (in memory) under the version
// its content hashes to.
func variant(t *testing.T, edit func(m *logistic.Model)) *models.Artifact {
	t.Helper()
	a := *fixture.model
	m := *a.Logistic
	m.Coef = slices.Clone(m.Coef)
	edit(&m)
	a.Logistic = &m
	if err := models.Save(t.TempDir(), &a, &models.Report{}); err != nil {
		t.Fatal(err)
	}
	return &a
}

// subset returns the rows of ds at idx.
func subset(ds *features.Dataset, idx []int) *features.Dataset {
	out := &features.Dataset{Features: ds.Features, Label: []float64{}}
	for _, i := range idx {
		out.Append(ds.AccountID[i], ds.Week[i], ds.Row(i))
		out.Label = append(out.Label, ds.Label[i])
	}
	return out
}

func TestChallenge(t *testing.T) {
	good := fixture.model
	reversed := variant(t, func(m *logistic.Model) {
		for j := range m.Coef {
			m.Coef[j] = -m.Coef[j]
		}
	})
	// shrunk keeps the largest coefficient and shrinks the others by a
	// twentieth: it ranks a little differently, by less than the noise. Which
	// of the two ranks better depends on the fixture (with more features
	// the fitted model gained from shrinkage), so the pair is ordered by
	// validation AUC: the better one challenges the other.
	shrunk := variant(t, func(m *logistic.Model) {
		j := 0
		for k := range m.Coef {
			if math.Abs(m.Coef[k]) > math.Abs(m.Coef[j]) {
				j = k
			}
		}
		for k := range m.Coef {
			if k != j {
				m.Coef[k] *= 0.95
			}
		}
	})
	all := fixture.valid
	worse, better := shrunk, good
	if v, err := Challenge(shrunk, good, all, all, DefaultLevel); err != nil {
		t.Fatal(err)
	} else if v.AUC.Diff < 0 {
		worse, better = good, shrunk
	}
	for _, c := range []struct {
		name                 string
		champion, challenger *models.Artifact
		rows                 *features.Dataset
		wantPromote          bool
		wantWhy              string
	}{
		{"much better", reversed, good, all, true, "significantly better at the 0.05 level"},
		{"much worse", good, reversed, all, false, "not better than the champion"},
		{"the same model", good, good, all, false, "the champion already"},
		{"a copy that ranks alike", good, variant(t, func(m *logistic.Model) {}), all, false, "not better"},
		{"better by less than the noise", worse, better, all, false, "better, but not significantly at the 0.05 level"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := Challenge(c.champion, c.challenger, c.rows, c.rows, DefaultLevel)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(v.Why)
			if v.Promote != c.wantPromote || !strings.Contains(v.Why, c.wantWhy) {
				t.Errorf("promote %v: %s; want %v, %q", v.Promote, v.Why, c.wantPromote, c.wantWhy)
			}
			if v.Champion != c.champion.Version || v.Challenger != c.challenger.Version || v.AUC.Positives+v.AUC.Negatives != c.rows.Len() {
				t.Errorf("verdict %+v", v)
			}
			if !strings.Contains(v.Why, "DeLong p = ") || !strings.Contains(v.Why, "95% CI") {
				t.Errorf("no figures in %q", v.Why)
			}
		})
	}
}

// TestChallengeRows: the champion's rows are matched to the challenger's
// by account and week, whatever their order and columns, and rows that
// cannot be compared fairly are refused.
func TestChallengeRows(t *testing.T) {
	all := fixture.valid
	n := all.Len()
	reversedOrder := make([]int, n)
	for i := range n {
		reversedOrder[i] = n - 1 - i
	}
	same, err := Challenge(fixture.model, fixture.model, all, all, DefaultLevel)
	if err != nil {
		t.Fatal(err)
	}
	shuffled, err := Challenge(fixture.model, fixture.model, subset(all, reversedOrder), all, DefaultLevel)
	if err != nil {
		t.Fatal(err)
	}
	if shuffled.AUC != same.AUC {
		t.Errorf("rows in another order compared as %+v, want %+v", shuffled.AUC, same.AUC)
	}

	missing := subset(all, reversedOrder[1:])
	flipped := subset(all, reversedOrder)
	flipped.Label[0] = 1 - flipped.Label[0]
	noColumn := subset(all, reversedOrder)
	noColumn.Features = slices.Clone(noColumn.Features)
	noColumn.Features[0] = "renamed"
	early := *fixture.model
	early.Valid.First = all.Week[len(all.Week)-1] + 7
	for _, c := range []struct {
		name     string
		champion *models.Artifact
		rows     *features.Dataset
		level    float64
		want     string
	}{
		{"a row missing", fixture.model, missing, DefaultLevel, "no row for account"},
		{"a label that differs", fixture.model, flipped, DefaultLevel, "label"},
		{"a column missing", fixture.model, noColumn, DefaultLevel, "no column"},
		{"weeks the champion may have trained on", &early, all, DefaultLevel, "before the champion"},
		{"a level of 5 (percent?)", fixture.model, all, 5, "significance level 5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Challenge(c.champion, fixture.model, c.rows, all, c.level)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}
