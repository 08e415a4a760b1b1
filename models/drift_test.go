package models_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// TestPSI checks PSI against values computed by hand, the empty bin
// taking models.PSIEpsilon.
func TestPSI(t *testing.T) {
	for _, c := range []struct {
		name             string
		expected, actual []float64
		want             float64
	}{
		{"same", []float64{0.2, 0.3, 0.5}, []float64{0.2, 0.3, 0.5}, 0},
		// 0.25·ln 2 + 0.25·ln 1.5
		{"two bins", []float64{0.5, 0.5}, []float64{0.25, 0.75}, 0.2746530721670274},
		// -0.1·ln 0.8 + (0.1-1e-4)·ln(0.1/1e-4)
		{"empty bin", []float64{0.5, 0.5, 0}, []float64{0.5, 0.4, 0.1}, 0.7123991075017365},
	} {
		if got := models.PSI(c.expected, c.actual); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: PSI %v, want %v", c.name, got, c.want)
		}
	}
}

// TestDistributionBins checks the quantile edges and shares of a drift
// reference, with missing values, ties and a constant feature.
func TestDistributionBins(t *testing.T) {
	nan := math.NaN()
	ds := &features.Dataset{Features: []string{"ten", "binary", "constant"}}
	for i := range 11 {
		x := []float64{float64(i + 1), 0, 7}
		if i == 10 {
			x[0] = nan
		}
		if i >= 8 {
			x[1] = 1
		}
		ds.Append("a", 0, x)
	}
	r, err := models.NewDriftReference(ds, func(x []float64) float64 { return 0.5 }, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		got           models.Distribution
		edges, shares []float64
		missing       float64
	}{
		{r.Features[0], []float64{2, 4, 6, 8}, []float64{2. / 11, 2. / 11, 2. / 11, 2. / 11, 2. / 11}, 1. / 11},
		{r.Features[1], []float64{0}, []float64{8. / 11, 3. / 11}, 0},
		{r.Features[2], []float64{}, []float64{1}, 0},
		{r.Score, []float64{}, []float64{1}, 0},
	} {
		if !slices.Equal(c.got.Edges, c.edges) || !slices.Equal(c.got.Shares, c.shares) || c.got.Missing != c.missing {
			t.Errorf("%s: edges %v shares %v missing %v, want %v %v %v",
				c.got.Name, c.got.Edges, c.got.Shares, c.got.Missing, c.edges, c.shares, c.missing)
		}
	}
	// Missing values in a new week count in PSI and in the missing share.
	d := r.Features[2].Compare([]float64{7, 7, nan, nan})
	if want := models.PSI([]float64{1, 0}, []float64{0.5, 0.5}); d.PSI != want || d.Missing != 0.5 || d.MissingChange() != 0.5 {
		t.Errorf("constant feature half missing: %+v, want PSI %v and missing 0.5", d, want)
	}
}

// TestDriftFlagsTheShiftedFeature injects drift: a new week whose first
// feature is shifted by one standard deviation must be flagged at the
// default threshold, the unshifted features and an unshifted week not.
func TestDriftFlagsTheShiftedFeature(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sample := func(n int, shift float64) *features.Dataset {
		ds := &features.Dataset{Features: []string{"shifted", "steady", "gappy"}}
		for range n {
			gappy := rng.ExpFloat64()
			if rng.Float64() < 0.2 {
				gappy = math.NaN()
			}
			ds.Append("a", 0, []float64{rng.NormFloat64() + shift, rng.NormFloat64(), gappy})
		}
		return ds
	}
	score := func(x []float64) float64 { return 1 / (1 + math.Exp(-x[1])) }
	ref, err := models.NewDriftReference(sample(20000, 0), score, models.DriftBins)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		shift float64
		want  []string
	}{
		{"unshifted", 0, nil},
		{"first feature shifted", 1, []string{"shifted"}},
	} {
		week := sample(2000, c.shift)
		prob := make([]float64, week.Len())
		for i := range prob {
			prob[i] = score(week.Row(i))
		}
		drifts, err := ref.Compare(week, prob)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range models.Drifted(drifts, 0.2) {
			got = append(got, d.Name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: flagged %v, want %v (%+v)", c.name, got, c.want, drifts)
		}
		for _, d := range drifts {
			if d.Name != "shifted" && d.PSI >= 0.1 {
				t.Errorf("%s: %s has PSI %v, want a stable one below 0.1", c.name, d.Name, d.PSI)
			}
		}
		if models.Drifted(drifts, 0) != nil {
			t.Errorf("%s: a threshold of 0 flagged drift", c.name)
		}
	}
}

// TestTrainedModelRecordsDrift checks that churn train records a drift
// reference that a model's own validation rows, unchanged, do not trip on
// the shifted feature alone.
func TestTrainedModelRecordsDrift(t *testing.T) {
	sp, res := trainAll(t)
	a := res.Artifacts[models.GBM]
	if a.Drift == nil || len(a.Drift.Features) != len(a.Features) {
		t.Fatalf("drift reference %+v: want one distribution per feature", a.Drift)
	}
	s, err := models.NewScorer(a)
	if err != nil {
		t.Fatal(err)
	}
	week := &features.Dataset{Features: sp.Train.Features}
	for i := range sp.Train.Len() {
		week.Append(sp.Train.AccountID[i], sp.Train.Week[i], sp.Train.Row(i))
	}
	j := slices.Index(week.Features, a.Features[0])
	prob := make([]float64, week.Len())
	for i := range prob {
		prob[i] = s.Probability(week.Row(i))
	}
	drifts, err := a.Drift.Compare(week, prob)
	if err != nil {
		t.Fatal(err)
	}
	if got := models.Drifted(drifts, 0.01); got != nil {
		t.Errorf("the training rows drift from their own reference: %+v", got)
	}
	for i := range week.Len() {
		week.Row(i)[j] = math.NaN()
	}
	drifts, err = a.Drift.Compare(week, prob)
	if err != nil {
		t.Fatal(err)
	}
	if got := models.Drifted(drifts, 0.2); len(got) != 1 || got[0].Name != a.Features[0] || got[0].Missing != 1 {
		t.Errorf("feature %s all missing: flagged %+v", a.Features[0], got)
	}
}
