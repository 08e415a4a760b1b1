package gbm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
)

func TestFitLearnsSynthetic(t *testing.T) {
	train, truth := synthetic(20_000, 20, 1)
	valid, _ := synthetic(10_000, 20, 2)
	m, err := Fit(context.Background(), train, valid, Params{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := auc(scores(valid, m.LogOdds), valid.Label)
	oracle := auc(scores(valid, truth), valid.Label)
	t.Logf("validation AUC %.4f, oracle %.4f", got, oracle)
	// The oracle knows the true log-odds; a learner cannot beat it, and
	// a good one gets close on 20k rows.
	if got < oracle-0.015 {
		t.Errorf("validation AUC %.4f, want within 0.015 of the oracle's %.4f", got, oracle)
	}
	if len(m.Ensemble.Trees) != DefaultTrees || m.BestIteration != DefaultTrees {
		t.Errorf("%d trees, best iteration %d; want %d without early stopping",
			len(m.Ensemble.Trees), m.BestIteration, DefaultTrees)
	}
	if len(m.ValidLoss) != DefaultTrees {
		t.Errorf("%d validation losses, want one per tree", len(m.ValidLoss))
	}
	if want := meanLogLoss(valid, m.LogOdds); math.Abs(m.ValidLoss[len(m.ValidLoss)-1]-want) > 1e-9 {
		t.Errorf("last ValidLoss %v, but the model's validation log-loss is %v", m.ValidLoss[len(m.ValidLoss)-1], want)
	}
}

func TestTrainingLossDecreases(t *testing.T) {
	train, _ := synthetic(5_000, 10, 3)
	m, err := Fit(context.Background(), train, nil, Params{Trees: 200}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prev := math.Inf(1)
	for _, k := range []int{0, 1, 5, 20, 50, 100, 200} {
		e := m.Ensemble
		e.Trees = e.Trees[:k]
		loss := meanLogLoss(train, e.LogOdds)
		if loss >= prev {
			t.Errorf("training log-loss %v after %d trees, not below %v before", loss, k, prev)
		}
		prev = loss
	}
}

func TestEarlyStopping(t *testing.T) {
	// Deep trees at a high learning rate on few rows overfit within a
	// few rounds, so the validation loss turns up early.
	train, _ := synthetic(2_000, 20, 4)
	valid, _ := synthetic(2_000, 20, 5)
	p := Params{Trees: 300, Depth: 8, LearningRate: 0.5, MinChildWeight: 0.01, EarlyStopping: 10}
	m, err := Fit(context.Background(), train, valid, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	best := m.BestIteration
	if best < 1 || best+p.EarlyStopping >= p.Trees {
		t.Fatalf("best iteration %d: early stopping did not stop the fit", best)
	}
	if len(m.Ensemble.Trees) != best {
		t.Errorf("%d trees kept, want the best iteration's %d", len(m.Ensemble.Trees), best)
	}
	if len(m.ValidLoss) != best+p.EarlyStopping {
		t.Errorf("%d rounds fitted, want %d: the best and %d without improvement",
			len(m.ValidLoss), best+p.EarlyStopping, p.EarlyStopping)
	}
	if low := slices.Min(m.ValidLoss); m.ValidLoss[best-1] != low {
		t.Errorf("best iteration's loss %v, lowest %v", m.ValidLoss[best-1], low)
	}
	if got := meanLogLoss(valid, m.LogOdds); math.Abs(got-m.ValidLoss[best-1]) > 1e-9 {
		t.Errorf("model's validation loss %v, want the best iteration's %v", got, m.ValidLoss[best-1])
	}
}

func TestFitDeterministic(t *testing.T) {
	train, _ := synthetic(30_000, 15, 6)
	valid, _ := synthetic(3_000, 15, 7)
	fit := func(threads int, seed uint64) *Model {
		p := Params{Trees: 30, Depth: 5, Subsample: 0.8, ColSample: 0.6, Seed: seed, Threads: threads, EarlyStopping: 5}
		m, err := Fit(context.Background(), train, valid, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ref := fit(1, 42)
	for _, threads := range []int{1, 2, 3} {
		m := fit(threads, 42)
		if !reflect.DeepEqual(m.Ensemble, ref.Ensemble) || !slices.Equal(m.ValidLoss, ref.ValidLoss) {
			t.Errorf("Threads %d: the model differs from the one fitted with Threads 1", threads)
		}
	}
	if other := fit(2, 43); reflect.DeepEqual(other.Ensemble, ref.Ensemble) {
		t.Error("Seed 43 fitted the same model as Seed 42: sampling ignores the seed")
	}
}

func TestSubsampleCovers(t *testing.T) {
	train, _ := synthetic(20_000, 10, 8)
	m, err := Fit(context.Background(), train, nil, Params{Trees: 20, Subsample: 0.5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	covers := map[float64]bool{}
	for i, tr := range m.Ensemble.Trees {
		root := tr.Nodes[0].Cover
		covers[root] = true
		// Each row is drawn with probability 1/2: 10,000 +- 5 sd.
		if math.Abs(root-10_000) > 500 {
			t.Errorf("tree %d: root cover %v, want about half of 20,000 rows", i, root)
		}
		for j, n := range tr.Nodes {
			if !n.IsLeaf() && n.Cover != tr.Nodes[n.Left].Cover+tr.Nodes[n.Right].Cover {
				t.Errorf("tree %d node %d: cover %v is not its children's sum", i, j, n.Cover)
			}
		}
	}
	if len(covers) < 15 {
		t.Errorf("only %d distinct root covers in 20 trees: the sample does not change per tree", len(covers))
	}
}

func TestExplainSumsToLogOdds(t *testing.T) {
	train, _ := synthetic(10_000, 12, 9)
	m, err := Fit(context.Background(), train, nil, Params{Trees: 100, Depth: 6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	valid, _ := synthetic(500, 12, 10)
	phi := make([]float64, len(m.Features))
	for i := range valid.Len() {
		x := valid.Row(i)
		base := m.Explain(x, phi)
		sum := base
		for _, v := range phi {
			sum += v
		}
		f := m.LogOdds(x)
		if math.Abs(sum-f) > 1e-9*max(1, math.Abs(f)) {
			t.Fatalf("row %d: base + sum(phi) = %v, LogOdds = %v", i, sum, f)
		}
	}
	// The unused noise features must get nothing for most rows; the
	// signal ones carry the weight.
	var signal, noise float64
	for i := range valid.Len() {
		m.Explain(valid.Row(i), phi)
		for j, v := range phi {
			if j < 8 {
				signal += math.Abs(v)
			} else {
				noise += math.Abs(v)
			}
		}
	}
	if noise > signal/5 {
		t.Errorf("noise features carry %.3g of |phi|, signal features %.3g", noise, signal)
	}
}

func TestProgressAndCancel(t *testing.T) {
	train, _ := synthetic(2_000, 8, 11)
	var calls []int
	_, err := Fit(context.Background(), train, nil, Params{Trees: 7}, func(done, total int) {
		if total != 7 {
			t.Errorf("progress total %d, want 7", total)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(calls, want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls = nil
	_, err = Fit(ctx, train, nil, Params{Trees: 50}, func(done, total int) {
		calls = append(calls, done)
		if done == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit after cancel: %v, want context.Canceled", err)
	}
	if len(calls) != 3 {
		t.Errorf("%d trees fitted after the cancel at 3", len(calls))
	}
}

func TestFitDefaults(t *testing.T) {
	train, _ := synthetic(500, 8, 12)
	m, err := Fit(context.Background(), train, nil, Params{Trees: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Params{
		Trees: 3, Depth: DefaultDepth, LearningRate: DefaultLearningRate,
		MinChildWeight: DefaultMinChildWeight, Lambda: DefaultLambda,
		Subsample: 1, ColSample: 1, MaxBins: DefaultMaxBins, Threads: m.Params.Threads,
	}
	if m.Params != want || m.Params.Threads < 1 {
		t.Errorf("model params %+v, want %+v", m.Params, want)
	}
	if !slices.Equal(m.Features, train.Features) {
		t.Errorf("model features %v, want %v", m.Features, train.Features)
	}
	var pos float64
	for _, y := range train.Label {
		pos += y
	}
	if want := math.Log(pos / (500 - pos)); m.Ensemble.Base != want || m.Ensemble.Weight != 1 {
		t.Errorf("base %v weight %v, want the training log-odds %v and weight 1", m.Ensemble.Base, m.Ensemble.Weight, want)
	}
}

func TestFitErrors(t *testing.T) {
	good, _ := synthetic(100, 8, 13)
	edit := func(f func(ds *features.Dataset)) *features.Dataset {
		ds := &features.Dataset{
			Features:  slices.Clone(good.Features),
			AccountID: slices.Clone(good.AccountID),
			Week:      slices.Clone(good.Week),
			X:         slices.Clone(good.X),
			Label:     slices.Clone(good.Label),
		}
		f(ds)
		return ds
	}
	tests := []struct {
		name         string
		train, valid *features.Dataset
		p            Params
		want         string
	}{
		{"no training set", nil, nil, Params{}, "no training set"},
		{"no rows", &features.Dataset{Features: []string{"a"}, Label: []float64{}}, nil, Params{}, "no rows"},
		{"no features", edit(func(ds *features.Dataset) { ds.Features, ds.X = nil, nil }), nil, Params{}, "no features"},
		{"no labels", edit(func(ds *features.Dataset) { ds.Label = nil }), nil, Params{}, "no labels"},
		{"ragged", edit(func(ds *features.Dataset) { ds.X = ds.X[1:] }), nil, Params{}, "values for 100 rows"},
		{"NaN label", edit(func(ds *features.Dataset) { ds.Label[7] = math.NaN() }), nil, Params{}, "row 8"},
		{"label 2", edit(func(ds *features.Dataset) { ds.Label[0] = 2 }), nil, Params{}, "label 2 is not 0 or 1"},
		{"one class", edit(func(ds *features.Dataset) { clear(ds.Label) }), nil, Params{}, "all 100 rows have label 0"},
		{"renamed valid feature", good, edit(func(ds *features.Dataset) { ds.Features[1] = "other" }), Params{},
			`validation feature 2 is "other", training feature 2 is "x1"`},
		{"valid without labels", good, edit(func(ds *features.Dataset) { ds.Label = nil }), Params{}, "validation set has no labels"},
		{"valid NaN label", good, edit(func(ds *features.Dataset) { ds.Label[3] = math.NaN() }), Params{}, "validation set: row 4"},
		{"deep", good, nil, Params{Depth: 13}, "Depth 13"},
		{"learning rate", good, nil, Params{LearningRate: 1.5}, "LearningRate"},
		{"NaN lambda", good, nil, Params{Lambda: math.NaN()}, "Lambda"},
		{"subsample", good, nil, Params{Subsample: -0.5}, "Subsample"},
		{"colsample", good, nil, Params{ColSample: 2}, "ColSample"},
		{"bins", good, nil, Params{MaxBins: 256}, "MaxBins 256"},
		{"early stopping", good, nil, Params{EarlyStopping: -1}, "EarlyStopping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(context.Background(), tt.train, tt.valid, tt.p, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fit: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestModelJSON(t *testing.T) {
	train, _ := synthetic(3_000, 8, 14)
	m, err := Fit(context.Background(), train, train, Params{Trees: 20, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var got Model
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	got.Params.Threads = m.Params.Threads // not stored: the model does not depend on it
	if got.ValidationLogOdds(train) != nil {
		t.Error("a model read from JSON has validation log-odds")
	}
	m.valid = nil // not stored: what the fit computed of its validation set
	if !reflect.DeepEqual(&got, m) {
		t.Fatal("the model changed in a JSON round trip")
	}

	broken := strings.Replace(string(data), `"features":["x0",`, `"features":[`, 1)
	if err := json.Unmarshal([]byte(broken), &got); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("decoding a model that splits on a missing feature: %v", err)
	}
	badParams := strings.Replace(string(data), `"depth":4`, `"depth":99`, 1)
	if err := json.Unmarshal([]byte(badParams), &got); err == nil || !strings.Contains(err.Error(), "Depth 99") {
		t.Errorf("decoding a model with Depth 99: %v", err)
	}
}

func TestModelPanicsOnWrongLength(t *testing.T) {
	m := &Model{Features: []string{"a", "b"}}
	for name, f := range map[string]func(){
		"LogOdds": func() { m.LogOdds([]float64{1}) },
		"Explain": func() { m.Explain([]float64{1, 2}, make([]float64, 3)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with a wrong length did not panic", name)
				}
			}()
			f()
		}()
	}
}

// awkward returns a dataset with every kind of value that binning must
// route exactly: ties, NaN, infinities, the largest floats, adjacent
// floats, a feature whose only split is missing against known, and one
// that is always NaN.
func awkward(n int) *features.Dataset {
	rng := rand.New(rand.NewPCG(21, 22))
	ds := &features.Dataset{Features: []string{"count", "gappy", "extreme", "flag", "empty", "dense"}}
	specials := []float64{math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, 0, 1e300}
	for i := range n {
		x := []float64{
			float64(rng.IntN(6)),
			rng.NormFloat64(),
			specials[rng.IntN(len(specials))],
			5,
			math.NaN(),
			1 + float64(rng.IntN(4))*0x1p-52,
		}
		if rng.IntN(3) == 0 {
			x[1] = math.NaN()
		}
		if rng.IntN(2) == 0 {
			x[3] = math.NaN()
		}
		f := x[0]/3 - 1 + x[5] - 1
		if math.IsNaN(x[1]) {
			f += 1
		}
		if math.IsNaN(x[3]) {
			f -= 1
		}
		if x[2] > 0 {
			f += 0.5
		}
		var y float64
		if rng.Float64() < 1/(1+math.Exp(-f)) {
			y = 1
		}
		ds.Append(fmt.Sprint(i), 0, x)
		ds.Label = append(ds.Label, y)
	}
	return ds
}

// TestTrainingRoutesLikeLogOdds checks that the thresholds stored in
// the features' units route every training row exactly as the bins did
// while training: the predictions Fit kept for the gradients equal the
// sums of the trees' raw predictions, bit for bit.
func TestTrainingRoutesLikeLogOdds(t *testing.T) {
	// More histogram entries than a uint16 indexes, with the signal in
	// the last features, whose entries come last.
	wide, _ := synthetic(3_000, 600, 23)
	slices.Reverse(wide.Features)
	for i := range wide.Len() {
		slices.Reverse(wide.Row(i))
	}
	tests := []struct {
		name          string
		ds            *features.Dataset
		subsample     float64
		missingSplits bool // whether the trees must split known against NaN
		signal        int  // the trees must split on features >= signal
	}{
		{"awkward values", awkward(5_000), 1, true, 0},
		{"awkward values, subsampled", awkward(5_000), 0.7, true, 0},
		{"600 features", wide, 0.8, false, 592},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Params{Trees: 40, Depth: 5, LearningRate: 0.3, Subsample: tt.subsample}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			ds := tt.ds
			pos, err := checkTraining(ds)
			if err != nil {
				t.Fatal(err)
			}
			base := math.Log(float64(pos) / float64(ds.Len()-pos))
			b := newBooster(p, binFeatures(ds.X, ds.Len(), len(ds.Features), p.MaxBins, p.Threads), ds.Label, base, nil)
			raw := make([]float64, ds.Len())
			for i := range raw {
				raw[i] = base
			}
			missingSplits, signalSplits := 0, 0
			for tr := range p.Trees {
				tree := b.grow(tr)
				for _, n := range tree.Nodes {
					if !n.IsLeaf() && n.Threshold == math.MaxFloat64 {
						missingSplits++
					}
					if !n.IsLeaf() && n.Feature >= tt.signal {
						signalSplits++
					}
				}
				for j, i := range b.order { // the booster's row j is training row i
					raw[i] += tree.Predict(ds.Row(int(i)))
					if raw[i] != b.pred[j] {
						t.Fatalf("tree %d, row %d %v: raw thresholds give %v, training %v",
							tr, i, ds.Row(int(i)), raw[i], b.pred[j])
					}
				}
			}
			if tt.missingSplits && missingSplits == 0 {
				t.Errorf("no split of known against missing values; the test misses that case")
			}
			if signalSplits == 0 {
				t.Errorf("no split on features %d and up, which carry the signal", tt.signal)
			}
		})
	}
}

func TestFitTinyData(t *testing.T) {
	// Fewer rows than goroutines, trees that may sample no row at all,
	// and a depth the data cannot fill.
	ds := &features.Dataset{Features: []string{"a", "b"}}
	for i, y := range []float64{0, 1, 0, 1} {
		ds.Append(fmt.Sprint(i), 0, []float64{float64(i), math.NaN()})
		ds.Label = append(ds.Label, y)
	}
	p := Params{Trees: 20, Depth: MaxDepth, Subsample: 0.3, ColSample: 0.5, MinChildWeight: 1e-9, Threads: 8}
	m, err := Fit(context.Background(), ds, ds, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Ensemble.Validate(2); err != nil {
		t.Fatalf("fitted ensemble is invalid: %v", err)
	}
	for i := range ds.Len() {
		if f := m.LogOdds(ds.Row(i)); math.IsNaN(f) || math.IsInf(f, 0) {
			t.Errorf("row %d: log-odds %v", i, f)
		}
	}
}

func TestValidationLogOdds(t *testing.T) {
	train, _ := synthetic(4_000, 8, 31)
	valid, _ := synthetic(1_500, 8, 32)
	for _, p := range []Params{
		{Trees: 30, Seed: 1},
		{Trees: 200, LearningRate: 0.5, EarlyStopping: 3, Seed: 2}, // stops early, dropping trees
	} {
		m, err := Fit(context.Background(), train, valid, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.EarlyStopping > 0 && len(m.ValidLoss) == m.BestIteration {
			t.Fatalf("early stopping kept all %d trees; the test misses dropped trees", m.BestIteration)
		}
		z := m.ValidationLogOdds(valid)
		if len(z) != valid.Len() {
			t.Fatalf("%d validation log-odds for %d rows", len(z), valid.Len())
		}
		for i := range z {
			if want := m.LogOdds(valid.Row(i)); z[i] != want {
				t.Fatalf("%+v: row %d: validation log-odds %v, LogOdds %v", p, i, z[i], want)
			}
		}
		if other, _ := synthetic(1_500, 8, 32); m.ValidationLogOdds(other) != nil {
			t.Error("validation log-odds for a dataset the model was not validated on")
		}
	}
}

// TestValidationRoutes checks the validation loss and log-odds when the
// validation rows go down the trees by their bins, values the training
// rows never had included, and in the one case where bins cannot route
// them exactly: +Inf and math.MaxFloat64 in a feature whose trees split
// known against unknown values.
func TestValidationRoutes(t *testing.T) {
	train := awkward(5_000)
	unseen := []float64{5, 7, -1, math.NaN(), math.Inf(-1)}
	tests := []struct {
		name   string
		values []float64 // for the "flag" feature, 5 or NaN in training
		binned bool
	}{
		{"unseen values", unseen, true},
		{"huge values", append(unseen, math.Inf(1), math.MaxFloat64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			valid := awkward(2_000)
			for i := range valid.Len() {
				valid.Row(i)[3] = tt.values[i%len(tt.values)]
			}
			m, err := Fit(context.Background(), train, valid, Params{Trees: 40, Depth: 5, LearningRate: 0.3}, nil)
			if err != nil {
				t.Fatal(err)
			}
			missingSplits := 0
			for _, tr := range m.Ensemble.Trees {
				for _, n := range tr.Nodes {
					if n.Feature == 3 && n.Threshold == math.MaxFloat64 {
						missingSplits++
					}
				}
			}
			if missingSplits == 0 {
				t.Fatal("no split of known against missing flags; the test misses that case")
			}
			data := binFeatures(train.X, train.Len(), len(train.Features), m.Params.MaxBins, 1)
			if v := newValidation(valid, data, 0, nil, 1); (v.cols != nil) != tt.binned {
				t.Errorf("rows binned: %v, want %v", v.cols != nil, tt.binned)
			}
			z := m.ValidationLogOdds(valid)
			for i := range valid.Len() {
				if want := m.LogOdds(valid.Row(i)); z[i] != want {
					t.Fatalf("row %d %v: validation log-odds %v, LogOdds %v", i, valid.Row(i), z[i], want)
				}
			}
			if want := meanLogLoss(valid, m.LogOdds); math.Abs(m.ValidLoss[len(m.ValidLoss)-1]-want) > 1e-9 {
				t.Errorf("last ValidLoss %v, but the model's validation log-loss is %v", m.ValidLoss[len(m.ValidLoss)-1], want)
			}
		})
	}
}

// TestCancelDuringBinning cancels a fit while it bins the features,
// which looks at no context: Fit returns the cancellation. That it does
// so without waiting for the binning is models/internal/abandon's
// TestRun's, which cannot depend on how fast this machine bins.
func TestCancelDuringBinning(t *testing.T) {
	train, _ := synthetic(150_000, 12, 13)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(5 * time.Millisecond)
		cancel()
	}()
	if _, err := Fit(ctx, train, nil, Params{Trees: 1}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit = %v, want context.Canceled", err)
	}
}

// TestEvenStart checks that StartEven boosts from log-odds 0, that the
// trees still bring the level to the training churn rate, that the
// contributions still add up, that StartAuto picks even odds for rare
// churn only, and that model files of auto fits carry no key for it.
func TestEvenStart(t *testing.T) {
	train, _ := synthetic(5_000, 10, 21)
	var pos float64
	for _, y := range train.Label {
		pos += y
	}
	prior := math.Log(pos / (float64(train.Len()) - pos))
	m, err := Fit(context.Background(), train, train, Params{Trees: 200, Start: StartEven, Seed: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Ensemble.Base != 0 {
		t.Fatalf("base %v, want 0 with EvenStart", m.Ensemble.Base)
	}
	if prior > -0.5 {
		t.Fatalf("the fixture's training log-odds %v is too close to 0 to tell the starts apart", prior)
	}
	// The mean predicted probability comes back to the churn rate.
	var mean float64
	for i := range train.Len() {
		mean += 1 / (1 + math.Exp(-m.LogOdds(train.Row(i))))
	}
	if mean /= float64(train.Len()); math.Abs(mean-pos/float64(train.Len())) > 0.02 {
		t.Errorf("mean probability %v after 200 trees, training churn rate %v", mean, pos/float64(train.Len()))
	}
	phi := make([]float64, len(m.Features))
	for i := range 100 {
		x := train.Row(i)
		sum := m.Explain(x, phi)
		for _, v := range phi {
			sum += v
		}
		if f := m.LogOdds(x); math.Abs(sum-f) > 1e-9*max(1, math.Abs(f)) {
			t.Fatalf("row %d: base + sum(phi) = %v, LogOdds = %v", i, sum, f)
		}
	}
	if v := m.ValidLoss[len(m.ValidLoss)-1]; math.Abs(v-meanLogLoss(train, m.LogOdds)) > 1e-9 {
		t.Errorf("last ValidLoss %v does not track the model from its even start", v)
	}

	plain, err := Fit(context.Background(), train, nil, Params{Trees: 5, Seed: 2, Start: StartRate}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(plain.Ensemble.Base-prior) > 1e-12 {
		t.Errorf("base %v without EvenStart, want the training log-odds %v", plain.Ensemble.Base, prior)
	}
	// Auto starts from the rate here, where a third of the rows churn, and
	// from even odds once the churners are cut to under RareShare.
	auto, err := Fit(context.Background(), train, nil, Params{Trees: 5, Seed: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auto.Ensemble.Base != plain.Ensemble.Base {
		t.Errorf("auto start %v on common churn, want the rate's %v", auto.Ensemble.Base, plain.Ensemble.Base)
	}
	rare := *train
	rare.Label = slices.Clone(train.Label)
	kept := 0
	for i, y := range rare.Label {
		if y == 1 {
			if kept++; kept > train.Len()/100 {
				rare.Label[i] = 0
			}
		}
	}
	for _, c := range []struct {
		start string
		even  bool
	}{{StartAuto, true}, {StartRate, false}, {StartEven, true}} {
		r, err := Fit(context.Background(), &rare, nil, Params{Trees: 5, Seed: 2, Start: c.start}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if (r.Ensemble.Base == 0) != c.even {
			t.Errorf("start %q with 1%% churn: base %v, want even odds %v", c.start, r.Ensemble.Base, c.even)
		}
	}

	// Only an asked-for start is written: an auto fit's file is as before.
	for _, c := range []struct {
		m    *Model
		want string
	}{{m, `"start":"even"`}, {plain, `"start":"rate"`}, {auto, ""}} {
		data, err := json.Marshal(c.m)
		if err != nil {
			t.Fatal(err)
		}
		if c.want != "" && !strings.Contains(string(data), c.want) || c.want == "" && strings.Contains(string(data), `"start"`) {
			t.Errorf("want %q in the model file: %s", c.want, data[:min(len(data), 300)])
		}
	}
	if _, err := Fit(context.Background(), train, nil, Params{Start: "zero"}, nil); err == nil || !strings.Contains(err.Error(), `Start "zero"`) {
		t.Errorf("Start zero: %v", err)
	}
}
