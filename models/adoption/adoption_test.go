package adoption

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/metrics"
)

// simulated is a simulated history of 600 accounts over two years with its
// out-of-time split, shared by the tests that need one.
var simulated = sync.OnceValues(func() (*simBook, error) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 600, Seed: 11})
	if err != nil {
		return nil, err
	}
	src := features.MemorySource("simulated", simulate.Schema(), rows)
	b, err := retention.Read(ctx, src)
	if err != nil {
		return nil, err
	}
	tab, err := features.Build(ctx, src, features.BuildOptions{})
	if err != nil {
		return nil, err
	}
	sp, err := tab.Split(features.SplitOptions{})
	if err != nil {
		return nil, err
	}
	return &simBook{b, sp}, nil
})

type simBook struct {
	hist  *retention.History
	split *features.Split
}

func simulatedBook(t testing.TB) *simBook {
	t.Helper()
	s, err := simulated()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gbmScores fits a small gbm on the split, the full model of the
// comparison.
func gbmScores(t testing.TB, sp *features.Split) *Scores {
	t.Helper()
	m, err := gbm.Fit(context.Background(), sp.Train, nil, gbm.Params{Trees: 60}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Scores{Model: "gbm", Prob: make([]float64, sp.Valid.Len())}
	for i := range s.Prob {
		s.Prob[i] = m.LogOdds(sp.Valid.Row(i))
	}
	return s
}

func TestAdoption(t *testing.T) {
	s := simulatedBook(t)
	ad, err := Build(context.Background(), s.hist, s.split, gbmScores(t, s.split), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ad.Terms) == 0 || len(ad.Terms) > DefaultTerms {
		t.Fatalf("%d terms, want 1 to %d", len(ad.Terms), DefaultTerms)
	}
	columns := map[string]bool{}
	for _, term := range ad.Terms {
		if columns[term.Column] {
			t.Errorf("two terms on column %s", term.Column)
		}
		columns[term.Column] = true
		if term.Lift <= 1 || term.TrainShare <= 0 || term.TrainShare >= 1 || math.IsNaN(term.Weight) {
			t.Errorf("term %+v: want lift above 1, met by some training rows but not all, a weight", term)
		}
	}
	if ad.SelectedThrough != s.split.TrainStats.Last || ad.TrainRows != s.split.Train.Len() || ad.ValidRows != s.split.Valid.Len() {
		t.Errorf("selected through %s on %d/%d rows; want the split's %s, %d/%d", ad.SelectedThrough, ad.TrainRows, ad.ValidRows,
			s.split.TrainStats.Last, s.split.Train.Len(), s.split.Valid.Len())
	}
	if len(ad.Validation) != 2 || ad.Validation[0].Model != Model || ad.Validation[1].Model != "gbm" {
		t.Fatalf("validation %+v, want the adoption score and the gbm", ad.Validation)
	}
	score, full := ad.Validation[0], ad.Validation[1]
	t.Logf("validation ROC AUC: adoption %.3f, gbm %.3f; PR AUC %.3f, %.3f (base rate %.3f)",
		score.ROCAUC, full.ROCAUC, score.PRAUC, full.PRAUC, ad.ValidChurnRate)
	// A random ranking has ROC AUC 0.5 and PR AUC the churn rate.
	if score.ROCAUC < 0.65 || score.PRAUC < 1.5*ad.ValidChurnRate {
		t.Errorf("adoption score: ROC AUC %.3f, PR AUC %.3f against a base rate %.3f: no better than random",
			score.ROCAUC, score.PRAUC, ad.ValidChurnRate)
	}
	if full.ROCAUC < 0.65 {
		t.Errorf("full model ROC AUC %.3f", full.ROCAUC)
	}
	checkScoreFormula(t, s, ad)
}

// checkScoreFormula recomputes the score as the report prints it,
// Intercept + sum of the weights of the indicators met, in log-odds of
// retention. On the validation rows its opposite must rank churn as the
// reported ROC AUC says; on the training rows its mean probability must
// match the retention observed, as a fitted logistic regression's does.
func checkScoreFormula(t *testing.T, s *simBook, ad *Score) {
	t.Helper()
	inds := make([]retention.Indicator, len(ad.Terms))
	for j, term := range ad.Terms {
		inds[j] = term.Indicator
	}
	formula := func(ds *features.Dataset) []float64 {
		rows, err := indicatorRows(s.hist, ds, inds)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, rows.Len())
		for i := range out {
			out[i] = ad.Intercept
			for j, met := range rows.Row(i) {
				out[i] += met * ad.Terms[j].Weight
			}
		}
		return out
	}
	valid := formula(s.split.Valid)
	for i := range valid {
		valid[i] = -valid[i]
	}
	if got := metrics.ROCAUC(s.split.Valid.Label, valid); math.Abs(got-ad.Validation[0].ROCAUC) > 1e-12 {
		t.Errorf("the printed score ranks churn with ROC AUC %v, the report says %v", got, ad.Validation[0].ROCAUC)
	}
	var fitted, observed float64
	for i, z := range formula(s.split.Train) {
		fitted += 1 / (1 + math.Exp(-z))
		observed += 1 - s.split.Train.Label[i]
	}
	n := float64(s.split.Train.Len())
	if math.Abs(fitted/n-observed/n) > 0.002 {
		t.Errorf("mean fitted retention %.4f, observed %.4f", fitted/n, observed/n)
	}
}

func TestAdoptionErrors(t *testing.T) {
	s := simulatedBook(t)
	ctx := context.Background()
	if _, err := Build(ctx, s.hist, s.split, &Scores{Model: "short", Prob: []float64{0.5}}, Options{}); err == nil {
		t.Error("scores of the wrong length: no error")
	}
	nan := &Scores{Model: "nan", Prob: make([]float64, s.split.Valid.Len())}
	nan.Prob[0] = math.NaN()
	if _, err := Build(ctx, s.hist, s.split, nan, Options{}); err == nil {
		t.Error("NaN scores: no error")
	}
	if _, err := Build(ctx, s.hist, s.split, nil, Options{Terms: -1}); err == nil {
		t.Error("negative terms: no error")
	}
	// A split from other snapshots names the row the history lacks.
	other := *s.split
	other.Train = &features.Dataset{Features: other.Train.Features, AccountID: []string{"nobody"},
		Week: []features.Date{s.hist.First}, X: make([]float64, len(other.Train.Features)), Label: []float64{0}}
	if _, err := Build(ctx, s.hist, &other, nil, Options{}); err == nil {
		t.Error("foreign split: no error")
	}
}

// TestAdoptionNoIndicator: when every account behaves the same, no
// indicator tells them apart and there is no score to build.
func TestAdoptionNoIndicator(t *testing.T) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 200, Weeks: 60, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		r := &rows[i]
		r.Logins, r.Frequency, r.RecencyDays, r.SLABreaches, r.OverdueInvoices = 5, 5, 1, 0, 0
		r.Extra[0], r.Extra[1] = 10, 5
	}
	src := features.MemorySource("flat", simulate.Schema(), rows)
	b, err := retention.Read(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := features.Build(ctx, src, features.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := tab.Split(features.SplitOptions{Horizon: 8, ValidWeeks: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(ctx, b, sp, nil, Options{}); !errors.Is(err, ErrNoIndicator) {
		t.Errorf("error %v, want ErrNoIndicator", err)
	}
}

func TestPhi(t *testing.T) {
	x := []bool{true, true, false, false}
	for _, c := range []struct {
		y    []bool
		want float64
	}{
		{[]bool{true, true, false, false}, 1},
		{[]bool{false, false, true, true}, -1},
		{[]bool{true, false, true, false}, 0},
		{[]bool{true, true, true, true}, 0},
	} {
		if got := phi(x, c.y); got != c.want {
			t.Errorf("phi(%v, %v) = %v, want %v", x, c.y, got, c.want)
		}
	}
}
