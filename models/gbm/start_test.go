package gbm

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// TestFitFromZeroStarts checks that rows all starting from 0 fit the
// same model, bit for bit, as boosting from even odds: the starts enter
// where the base score does and nowhere else.
func TestFitFromZeroStarts(t *testing.T) {
	train, _ := synthetic(3_000, 8, 41)
	valid, _ := synthetic(1_000, 8, 42)
	p := Params{Trees: 40, Subsample: 0.8, ColSample: 0.8, EarlyStopping: 5, Seed: 3, Start: StartEven}
	even, err := Fit(context.Background(), train, valid, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Start = StartAuto // ignored with starts
	from := Starts{Train: make([]float64, train.Len()), Valid: make([]float64, valid.Len())}
	m, err := FitFrom(context.Background(), train, valid, from, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Ensemble, even.Ensemble) || !reflect.DeepEqual(m.ValidLoss, even.ValidLoss) {
		t.Fatal("zero starts fitted another model than even odds")
	}
}

// TestFitFromStarts checks that a fit from rows' own starts corrects
// them: starting from the true log-odds halved, the trees bring the sum
// close to the truth, the model's base is 0, and the validation loss and
// log-odds it reports are those of start plus model.
func TestFitFromStarts(t *testing.T) {
	train, truth := synthetic(20_000, 10, 43)
	valid, _ := synthetic(5_000, 10, 44)
	half := func(ds *features.Dataset) []float64 {
		z := make([]float64, ds.Len())
		for i := range z {
			z[i] = truth(ds.Row(i)) / 2
		}
		return z
	}
	from := Starts{Train: half(train), Valid: half(valid)}
	m, err := FitFrom(context.Background(), train, valid, from, Params{Trees: 150, Depth: 3, LearningRate: 0.1, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Ensemble.Base != 0 {
		t.Errorf("base %v, want 0 on top of the starts", m.Ensemble.Base)
	}
	sum := func(x []float64, i int) float64 { return from.Valid[i] + m.LogOdds(x) }
	var lossStart, lossSum, lossTruth float64
	z := m.ValidationLogOdds(valid)
	for i := range valid.Len() {
		x, y := valid.Row(i), valid.Label[i]
		if z[i] != m.LogOdds(x) {
			t.Fatalf("row %d: validation log-odds %v, LogOdds %v (without the start)", i, z[i], m.LogOdds(x))
		}
		lossStart += logLoss(from.Valid[i], y)
		lossSum += logLoss(sum(x, i), y)
		lossTruth += logLoss(truth(x), y)
	}
	n := float64(valid.Len())
	lossStart, lossSum, lossTruth = lossStart/n, lossSum/n, lossTruth/n
	t.Logf("validation log-loss: start %.4f, start+trees %.4f, truth %.4f", lossStart, lossSum, lossTruth)
	if got := m.ValidLoss[len(m.ValidLoss)-1]; math.Abs(got-lossSum) > 1e-9 {
		t.Errorf("last validation loss %v, the sums' %v", got, lossSum)
	}
	// The trees must close most of the gap between the halved start and
	// the truth.
	if gap := lossStart - lossTruth; lossSum-lossTruth > gap/4 {
		t.Errorf("start+trees %.4f: closed less than three quarters of the gap from %.4f to the truth's %.4f", lossSum, lossStart, lossTruth)
	}
}

func TestFitFromErrors(t *testing.T) {
	train, _ := synthetic(200, 8, 45)
	valid, _ := synthetic(100, 8, 46)
	nan := make([]float64, train.Len())
	nan[7] = math.NaN()
	for _, tt := range []struct {
		name  string
		valid *features.Dataset
		from  Starts
		want  string
	}{
		{"short", nil, Starts{Train: make([]float64, 10)}, "10 starts for 200 training rows"},
		{"NaN", nil, Starts{Train: nan}, "training row 8 starts from log-odds NaN"},
		{"valid only", valid, Starts{Valid: make([]float64, valid.Len())}, "only one of"},
		{"train only", valid, Starts{Train: make([]float64, train.Len())}, "only one of"},
		{"no validation set", nil, Starts{Train: make([]float64, train.Len()), Valid: make([]float64, 5)}, "no validation set"},
		{"short validation", valid, Starts{Train: make([]float64, train.Len()), Valid: make([]float64, 5)}, "5 starts for 100 validation rows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FitFrom(context.Background(), train, tt.valid, tt.from, Params{Trees: 2}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}
