package adoption

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models/logistic"
	"github.com/churnlabs/churn/models/metrics"
)

// ErrNoIndicator is returned by Build when no indicator makes a
// significant difference to retention in the training weeks, so there is
// nothing to build a score from.
var ErrNoIndicator = errors.New("no indicator raises retention significantly in the training weeks")

// Options configure Build.
type Options struct {
	// Terms is how many indicators the score combines; default 5.
	Terms int
	// Grid is the indicator grid to choose from; its Horizon and Through
	// are taken from the split.
	Grid retention.IndicatorOptions
}

// DefaultTerms is the number of indicators an adoption score combines.
const DefaultTerms = 5

// maxPhi is the largest correlation (phi coefficient, on the reference
// rows) a chosen indicator may have with one chosen before it. Two
// indicators that nearly always agree would split one weight between
// them and make both look weaker than either is.
const maxPhi = 0.5

// Score is a product-adoption score: a few indicators as 0/1 inputs,
// weighted by logistic regression on the training weeks of an
// out-of-time split, and how well it ranks churn on the validation weeks
// beside the full model.
type Score struct {
	Horizon int `json:"horizon_weeks"`
	// SelectedThrough is the last reference week the indicators were
	// chosen on: the split's last training week, so that nothing about
	// the validation weeks guided the choice.
	SelectedThrough features.Date `json:"selected_through"`
	Terms           []Term        `json:"terms"`
	// Intercept is the log-odds of retention of an account that meets
	// no indicator; each term met adds its Weight.
	Intercept float64 `json:"intercept"`
	TrainRows int     `json:"train_rows"`
	ValidRows int     `json:"valid_rows"`
	// ValidChurnRate is the share of validation rows that churned, the
	// PR AUC of a random ranking.
	ValidChurnRate float64 `json:"valid_churn_rate"`
	// Validation compares the adoption score with the full model, when
	// one was given, on the same validation rows.
	Validation []ModelScore `json:"validation"`
}

// Term is one indicator of an adoption score.
type Term struct {
	retention.Indicator
	Description string `json:"description"`
	// Weight is the log-odds of retention that meeting the indicator
	// adds, the other terms held equal.
	Weight float64 `json:"weight"`
	// TrainShare is the share of training rows that meet it.
	TrainShare float64 `json:"train_share"`
	// Lift is its lift when it was chosen.
	Lift float64 `json:"lift"`
}

// ModelScore is how well a model's scores rank churn.
type ModelScore struct {
	Model  string  `json:"model"`
	ROCAUC float64 `json:"roc_auc"`
	PRAUC  float64 `json:"pr_auc"`
	// TopDecileCapture is the share of all churners that fall in the
	// riskiest tenth of rows (recall there, not precision).
	TopDecileCapture float64 `json:"top_decile_capture"`
}

// Scores are a model's churn probabilities (or any scores that rank like
// them) for the rows of a split's validation set, in order.
type Scores struct {
	Model string
	Prob  []float64
}

// Model names the adoption score in comparisons.
const Model = "adoption score"

// Build builds an adoption score on the split sp, which must come from
// the same snapshots as the history b. It ranks indicators on reference weeks
// up to the split's last training week, takes the opt.Terms best with a
// difference in retention whose interval excludes zero, at most one per
// column and none too correlated with one already taken, fits their
// weights on every training row and scores every validation row. full,
// when not nil, holds the full model's scores of sp.Valid, compared on
// the same rows. It returns ErrNoIndicator when no indicator qualifies.
func Build(ctx context.Context, b *retention.History, sp *features.Split, full *Scores, opt Options) (*Score, error) {
	if opt.Terms == 0 {
		opt.Terms = DefaultTerms
	}
	if opt.Terms < 1 {
		return nil, fmt.Errorf("adoption score: %d terms, want at least 1", opt.Terms)
	}
	var fullScore ModelScore
	if full != nil {
		if len(full.Prob) != sp.Valid.Len() {
			return nil, fmt.Errorf("adoption score: %d scores of model %q for %d validation rows", len(full.Prob), full.Model, sp.Valid.Len())
		}
		if fullScore = score(full.Model, sp.Valid.Label, full.Prob); math.IsNaN(fullScore.ROCAUC) || math.IsNaN(fullScore.PRAUC) {
			return nil, fmt.Errorf("adoption score: the scores of model %q include NaN", full.Model)
		}
	}
	grid := opt.Grid
	grid.Horizon, grid.Through = sp.Horizon, sp.TrainStats.Last
	found, sample, err := b.FindIndicatorsSample(ctx, grid)
	if err != nil {
		return nil, fmt.Errorf("adoption score: %w", err)
	}
	chosen := choose(found.Ranked, sample, opt.Terms)
	if len(chosen) == 0 {
		return nil, ErrNoIndicator
	}
	inds := make([]retention.Indicator, len(chosen))
	for i, c := range chosen {
		inds[i] = c.Indicator
	}
	train, err := indicatorRows(b, sp.Train, inds)
	if err != nil {
		return nil, err
	}
	valid, err := indicatorRows(b, sp.Valid, inds)
	if err != nil {
		return nil, err
	}
	m, err := logistic.Fit(ctx, train, logistic.Params{})
	if err != nil {
		return nil, fmt.Errorf("adoption score: %w", err)
	}
	coef, intercept := m.Original()
	ad := &Score{
		Horizon: sp.Horizon, SelectedThrough: grid.Through,
		Intercept: -intercept, TrainRows: train.Len(), ValidRows: valid.Len(),
	}
	for j, c := range chosen {
		met := 0.0
		for i := range train.Len() {
			met += train.X[i*len(inds)+j]
		}
		ad.Terms = append(ad.Terms, Term{
			Indicator: c.Indicator, Description: c.Description, Weight: -coef[j],
			TrainShare: met / float64(train.Len()), Lift: c.Lift,
		})
	}
	prob := make([]float64, valid.Len())
	churned := 0.0
	for i := range prob {
		prob[i] = m.Probability(valid.Row(i))
		churned += valid.Label[i]
	}
	ad.ValidChurnRate = churned / float64(valid.Len())
	ad.Validation = append(ad.Validation, score(Model, valid.Label, prob))
	if full != nil {
		ad.Validation = append(ad.Validation, fullScore)
	}
	return ad, nil
}

func score(model string, y, p []float64) ModelScore {
	return ModelScore{
		Model: model, ROCAUC: metrics.ROCAUC(y, p), PRAUC: metrics.PRAUC(y, p),
		TopDecileCapture: metrics.TopFraction(y, p, 0.1).Capture,
	}
}

// choose takes up to k ranked indicators whose difference in retention
// is significantly positive, one per column, none correlated beyond
// maxPhi with one taken before it on the sample's account-weeks.
func choose(ranked []retention.IndicatorResult, sample *retention.Sample, k int) []retention.IndicatorResult {
	var chosen []retention.IndicatorResult
	var chosenMet [][]bool
	for _, r := range ranked {
		if len(chosen) == k {
			break
		}
		sameColumn := func(c retention.IndicatorResult) bool { return c.Column == r.Column }
		if r.Difference.Lower <= 0 || slices.ContainsFunc(chosen, sameColumn) {
			continue
		}
		met := sample.Meets(r.Indicator)
		redundant := false
		for _, other := range chosenMet {
			if math.Abs(phi(met, other)) > maxPhi {
				redundant = true
				break
			}
		}
		if !redundant {
			chosen = append(chosen, r)
			chosenMet = append(chosenMet, met)
		}
	}
	return chosen
}

// phi is the correlation of two 0/1 vectors; 0 when either is constant.
func phi(x, y []bool) float64 {
	var n11, n10, n01, n00 float64
	for i := range x {
		switch {
		case x[i] && y[i]:
			n11++
		case x[i]:
			n10++
		case y[i]:
			n01++
		default:
			n00++
		}
	}
	d := math.Sqrt((n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00))
	if d == 0 {
		return 0
	}
	return (n11*n00 - n10*n01) / d
}

// indicatorRows returns the rows of ds with the indicators, evaluated on
// the history b, as 0/1 features and ds's labels.
func indicatorRows(b *retention.History, ds *features.Dataset, inds []retention.Indicator) (*features.Dataset, error) {
	out := &features.Dataset{
		Features:  make([]string, len(inds)),
		AccountID: ds.AccountID,
		Week:      ds.Week,
		X:         make([]float64, 0, ds.Len()*len(inds)),
		Label:     ds.Label,
	}
	for j, ind := range inds {
		out.Features[j] = ind.Name()
	}
	for i := range ds.Len() {
		for _, ind := range inds {
			met, found := b.Meets(ds.AccountID[i], ds.Week[i], ind)
			if !found {
				return nil, fmt.Errorf("adoption score: account %q week %s of the split is not in %s: "+
					"were the split and the hist built from the same snapshots?", ds.AccountID[i], ds.Week[i], b.File)
			}
			v := 0.0
			if met {
				v = 1
			}
			out.X = append(out.X, v)
		}
	}
	return out, nil
}
