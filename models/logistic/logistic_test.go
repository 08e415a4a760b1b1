package logistic

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/stat"

	"github.com/churnlabs/churn/features"
)

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// TestFitBinaryFeature checks Fit against the closed form of an
// unpenalised fit on one 0/1 feature: the model is saturated, so it
// reproduces each group's churn rate exactly, and with class weights
// each group's odds scale by the ratio of the weights.
func TestFitBinaryFeature(t *testing.T) {
	tests := []struct {
		name  string
		cells [2][2]int // cells[feature value][label] = rows
	}{
		{"rate rises", [2][2]int{{80, 20}, {40, 60}}},
		{"rate falls", [2][2]int{{10, 30}, {30, 10}}},
		{"rare churn", [2][2]int{{950, 50}, {45, 5}}},
		{"small groups", [2][2]int{{5, 1}, {2, 3}}},
	}
	for _, tt := range tests {
		for _, balanced := range []bool{false, true} {
			name := tt.name
			if balanced {
				name += "/balanced"
			}
			t.Run(name, func(t *testing.T) {
				c := tt.cells
				rate0 := float64(c[0][1]) / float64(c[0][0]+c[0][1])
				rate1 := float64(c[1][1]) / float64(c[1][0]+c[1][1])
				wantIntercept := logit(rate0)
				wantSlope := logit(rate1) - logit(rate0)
				if balanced {
					// A positive row weighs neg/pos times a negative one,
					// which multiplies every group's odds by neg/pos.
					neg, pos := c[0][0]+c[1][0], c[0][1]+c[1][1]
					wantIntercept += math.Log(float64(neg) / float64(pos))
				}

				m, err := Fit(context.Background(), binaryData(c), Params{L2: -1, Balanced: balanced})
				if err != nil {
					t.Fatal(err)
				}
				coef, intercept := m.Original()
				if math.Abs(intercept-wantIntercept) > 1e-6 || math.Abs(coef[0]-wantSlope) > 1e-6 {
					t.Errorf("intercept, slope = %.9f, %.9f; want %.9f, %.9f",
						intercept, coef[0], wantIntercept, wantSlope)
				}
			})
		}
	}
}

// TestFitInterceptOnly checks the intercept when no feature varies: the
// log-odds of the churn rate, or 0 when the classes are balanced.
func TestFitInterceptOnly(t *testing.T) {
	ds := binaryData([2][2]int{{30, 10}, {0, 0}}) // the flag is always 0
	for _, tt := range []struct {
		balanced bool
		want     float64
	}{
		{false, logit(0.25)},
		{true, 0},
	} {
		m, err := Fit(context.Background(), ds, Params{Balanced: tt.balanced})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m.Intercept-tt.want) > 1e-9 || m.Coef[0] != 0 {
			t.Errorf("Balanced=%v: intercept %v, coef %v; want %v, 0", tt.balanced, m.Intercept, m.Coef[0], tt.want)
		}
	}
}

// TestFitSeparable checks that a penalty keeps coefficients finite on
// data a line separates perfectly, gives them the right signs, and
// shrinks them as it grows.
func TestFitSeparable(t *testing.T) {
	ds := &features.Dataset{Features: []string{"logins", "recency_days"}}
	for i := range 20 {
		x := float64(i)
		y := 0.0
		if i < 10 { // few logins and a long time since the last action churn
			y = 1
		}
		ds.Append("a", 0, []float64{x, 100 - 3*x + float64(i%3)})
		ds.Label = append(ds.Label, y)
	}
	prevNorm := math.Inf(1)
	for _, l2 := range []float64{0.1, 1, 10} {
		m, err := Fit(context.Background(), ds, Params{L2: l2})
		if err != nil {
			t.Fatalf("L2=%v: %v", l2, err)
		}
		if !(m.Coef[0] < 0 && m.Coef[1] > 0) {
			t.Errorf("L2=%v: coefficients %v, want logins < 0 < recency_days", l2, m.Coef)
		}
		norm := floats.Norm(m.Coef, 2)
		if !(norm < prevNorm) {
			t.Errorf("L2=%v: ||coef|| = %v, not below %v at the smaller penalty", l2, norm, prevNorm)
		}
		prevNorm = norm
		for i := range ds.Len() {
			if p := m.Probability(ds.Row(i)); (p > 0.5) != (ds.Label[i] == 1) {
				t.Errorf("L2=%v: row %d has label %v but probability %v", l2, i, ds.Label[i], p)
			}
		}
	}
}

// TestFitOptimality checks the documented objective independently of
// the optimiser: Mean and Scale are the mean and population standard
// deviation of the known values, and at the fitted coefficients the
// gradient of sum_i w_i*logloss_i + (L2/2)*||beta||^2 vanishes.
func TestFitOptimality(t *testing.T) {
	ds := synthetic(3000, 7, 3)
	for _, p := range []Params{{L2: 5}, {L2: 5, Balanced: true}, {L2: -1}} {
		m, err := Fit(context.Background(), ds, p)
		if err != nil {
			t.Fatal(err)
		}
		n, k := ds.Len(), len(ds.Features)
		for j := range k {
			var known []float64
			for i := range n {
				if v := ds.Row(i)[j]; !math.IsNaN(v) {
					known = append(known, v)
				}
			}
			mean, std := stat.PopMeanStdDev(known, nil)
			if !scalar.EqualWithinRel(m.Mean[j], mean, 1e-12) || !scalar.EqualWithinRel(m.Scale[j], std, 1e-12) {
				t.Errorf("feature %d: mean, scale = %v, %v; want %v, %v", j, m.Mean[j], m.Scale[j], mean, std)
			}
		}

		classWeight := [2]float64{1, 1}
		if p.Balanced {
			pos := floats.Sum(ds.Label)
			classWeight = [2]float64{float64(n) / (2 * (float64(n) - pos)), float64(n) / (2 * pos)}
		}
		grad := make([]float64, 1+k) // intercept, then coefficients
		for i := range n {
			x, y := ds.Row(i), ds.Label[i]
			r := classWeight[int(y)] * (sigmoid(m.LogOdds(x)) - y)
			grad[0] += r
			for j, v := range x {
				if !math.IsNaN(v) {
					grad[1+j] += r * (v - m.Mean[j]) / m.Scale[j]
				}
			}
		}
		for j, c := range m.Coef {
			grad[1+j] += max(p.L2, 0) * c
		}
		if g := floats.Norm(grad, math.Inf(1)) / float64(n); g > 1e-7 {
			t.Errorf("%+v: gradient norm per row %.3g at the fit, want ~0", p, g)
		}
	}
}

// TestObjectiveGradient compares the analytic gradient with central
// differences of the objective.
func TestObjectiveGradient(t *testing.T) {
	ds := synthetic(500, 6, 4)
	st, err := standardize(ds)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := countLabels(ds)
	if err != nil {
		t.Fatal(err)
	}
	obj := newObjective(st, ds.Label, classWeights(counts, true), 3)
	f := func(theta []float64) float64 { obj.evaluate(theta); return obj.f }
	rng := rand.New(rand.NewPCG(4, 4))
	theta := make([]float64, 1+len(st.active))
	for i := range theta {
		theta[i] = rng.NormFloat64()
	}
	got := make([]float64, len(theta))
	obj.grad(got, theta)
	const h = 1e-6
	for i := range theta {
		up, down := slicesWith(theta, i, theta[i]+h), slicesWith(theta, i, theta[i]-h)
		want := (f(up) - f(down)) / (2 * h)
		if math.Abs(got[i]-want) > 1e-7 {
			t.Errorf("d/dtheta[%d] = %.10f, central difference %.10f", i, got[i], want)
		}
	}
}

func slicesWith(x []float64, i int, v float64) []float64 {
	y := append([]float64(nil), x...)
	y[i] = v
	return y
}

// TestExplain checks that contributions and base value sum to LogOdds
// on rows with missing values, that a missing value contributes 0, and
// that it scores exactly as the training mean does.
func TestExplain(t *testing.T) {
	m := fitSynthetic(t, 4000, 12, 5)
	rows := synthetic(300, 12, 6)
	phi := make([]float64, len(m.Features))
	nans := 0
	for i := range rows.Len() {
		x := rows.Row(i)
		sum := m.Explain(x, phi)
		if sum != m.Intercept {
			t.Fatalf("base value %v, want the intercept %v", sum, m.Intercept)
		}
		for _, c := range phi {
			sum += c
		}
		if lo := m.LogOdds(x); math.Abs(sum-lo) > 1e-9 {
			t.Errorf("row %d: base + sum(phi) = %v, LogOdds = %v", i, sum, lo)
		}
		imputed := append([]float64(nil), x...)
		for j, v := range x {
			if math.IsNaN(v) {
				nans++
				imputed[j] = m.Mean[j]
				if phi[j] != 0 {
					t.Errorf("row %d: NaN feature %d contributes %v, want 0", i, j, phi[j])
				}
			}
		}
		if a, b := m.LogOdds(x), m.LogOdds(imputed); a != b {
			t.Errorf("row %d: LogOdds with NaN %v, with the means %v", i, a, b)
		}
	}
	if nans == 0 {
		t.Fatal("test rows have no NaN to explain")
	}
}

// TestOriginal checks that the coefficients in original units reproduce
// LogOdds on raw rows.
func TestOriginal(t *testing.T) {
	m := fitSynthetic(t, 4000, 12, 7)
	coef, intercept := m.Original()
	rows := synthetic(300, 12, 8)
	for i := range rows.Len() {
		x := rows.Row(i)
		for j := range x {
			if math.IsNaN(x[j]) {
				x[j] = m.Mean[j] + m.Scale[j]
			}
		}
		got := intercept + floats.Dot(coef, x)
		if want := m.LogOdds(x); !scalar.EqualWithinAbsOrRel(got, want, 1e-9, 1e-9) {
			t.Errorf("row %d: original-units log-odds %v, LogOdds %v", i, got, want)
		}
	}
}

// TestConstantFeatures checks that features with one value or none get
// scale 1 and coefficient 0, and that no input to them moves a score.
func TestConstantFeatures(t *testing.T) {
	ds := &features.Dataset{Features: []string{"plan", "unknown", "logins"}}
	nan := math.NaN()
	for i := range 40 {
		ds.Append("a", 0, []float64{0.1, nan, float64(i % 7)})
		ds.Label = append(ds.Label, float64(i%7/4))
	}
	m, err := Fit(context.Background(), ds, Params{})
	if err != nil {
		t.Fatal(err)
	}
	wantMean := []float64{0.1, 0} // 0.1, not a rounded mean of forty 0.1s
	for j := range 2 {
		if m.Mean[j] != wantMean[j] || m.Scale[j] != 1 || m.Coef[j] != 0 {
			t.Errorf("feature %q: mean %v, scale %v, coef %v; want %v, 1, 0",
				m.Features[j], m.Mean[j], m.Scale[j], m.Coef[j], wantMean[j])
		}
	}
	if m.Coef[2] <= 0 {
		t.Errorf("logins coefficient %v, want > 0", m.Coef[2])
	}
	phi := make([]float64, 3)
	m.Explain([]float64{math.Inf(1), -1e300, 2}, phi)
	if phi[0] != 0 || phi[1] != 0 {
		t.Errorf("constant features contribute %v, want 0", phi[:2])
	}
}

// TestFitErrors checks that unusable datasets and parameters give clear
// errors.
func TestFitErrors(t *testing.T) {
	good := func() *features.Dataset { return binaryData([2][2]int{{3, 1}, {1, 3}}) }
	tests := []struct {
		name   string
		ds     *features.Dataset
		params Params
		want   string
	}{
		{"empty", &features.Dataset{Features: []string{"f"}, Label: []float64{}}, Params{}, "no rows"},
		{"unlabelled", func() *features.Dataset { d := good(); d.Label = nil; return d }(), Params{}, "no labels"},
		{"one class", binaryData([2][2]int{{3, 0}, {4, 0}}), Params{}, "all 7 rows have label 0"},
		{"label 2", func() *features.Dataset { d := good(); d.Label[5] = 2; return d }(), Params{}, `row 6 (account "a5", week 1970-01-01): label 2 is not 0 or 1`},
		{"label NaN", func() *features.Dataset { d := good(); d.Label[0] = math.NaN(); return d }(), Params{}, "label NaN is not 0 or 1"},
		{"+Inf feature", func() *features.Dataset { d := good(); d.X[2] = math.Inf(1); return d }(), Params{}, `feature "flag" is +Inf at row 3`},
		{"-Inf feature", func() *features.Dataset { d := good(); d.X[7] = math.Inf(-1); return d }(), Params{}, `feature "flag" is -Inf at row 8`},
		{"huge values", func() *features.Dataset { d := good(); d.X[0], d.X[1] = math.MaxFloat64, -math.MaxFloat64; return d }(), Params{}, "too large"},
		{"short labels", func() *features.Dataset { d := good(); d.Label = d.Label[1:]; return d }(), Params{}, "7 labels for 8 rows"},
		{"NaN L2", good(), Params{L2: math.NaN()}, "L2 penalty NaN is not finite"},
		{"Inf L2", good(), Params{L2: math.Inf(1)}, "L2 penalty +Inf is not finite"},
		{"negative MaxIter", good(), Params{MaxIter: -1}, "MaxIter -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Fit(context.Background(), tt.ds, tt.params)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if m != nil {
				t.Errorf("got a model with the error")
			}
		})
	}
}

// countdownContext reports cancellation from its n+1st call to Err on,
// so a test can cancel a fit part way through the optimiser.
type countdownContext struct {
	context.Context
	n int
}

func (c *countdownContext) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

func TestFitCancel(t *testing.T) {
	ds := synthetic(2000, 5, 9)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for name, ctx := range map[string]context.Context{
		"before": cancelled,
		// Fit itself asks once before optimising, then once an
		// iteration, and the fit needs more than three.
		"midway": &countdownContext{Context: context.Background(), n: 3},
	} {
		if _, err := Fit(ctx, ds, Params{}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
	}
}

func TestFitNotConverged(t *testing.T) {
	m, err := Fit(context.Background(), synthetic(2000, 5, 10), Params{MaxIter: 2})
	if !errors.Is(err, ErrNotConverged) {
		t.Fatalf("err = %v, want ErrNotConverged", err)
	}
	if m == nil || len(m.Coef) != 5 {
		t.Fatalf("model %+v, want the model reached", m)
	}
}

// TestFitDeterministic checks that refitting gives the same model bit
// for bit and that Fit records the parameters it used.
func TestFitDeterministic(t *testing.T) {
	ds := synthetic(5000, 8, 11)
	a, err := Fit(context.Background(), ds, Params{Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Fit(context.Background(), ds, Params{Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two fits differ:\n%+v\n%+v", a, b)
	}
	if want := (Params{L2: DefaultL2, Balanced: true, MaxIter: DefaultMaxIter}); a.Params != want {
		t.Errorf("Params = %+v, want %+v", a.Params, want)
	}
}

// TestJSONRoundTrip checks that a model read back from JSON predicts
// exactly as the original.
func TestJSONRoundTrip(t *testing.T) {
	m := fitSynthetic(t, 3000, 10, 12)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"features"`, `"mean"`, `"scale"`, `"coef"`, `"intercept"`, `"max_iter"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
	var back Model
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, &back) {
		t.Errorf("round trip changed the model:\n%+v\n%+v", m, &back)
	}
	rows := synthetic(200, 10, 13)
	for i := range rows.Len() {
		if a, b := m.LogOdds(rows.Row(i)), back.LogOdds(rows.Row(i)); a != b {
			t.Errorf("row %d: LogOdds %v before, %v after", i, a, b)
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"syntax", `{"features":`, "unexpected end"},
		{"short coef", `{"features":["a","b"],"mean":[0,0],"scale":[1,1],"coef":[1]}`, "2 features but 2 means, 2 scales and 1 coefficients"},
		{"zero scale", `{"features":["a"],"mean":[0],"scale":[0],"coef":[1]}`, `feature "a": scale 0 is not a positive number`},
		{"negative scale", `{"features":["a"],"mean":[0],"scale":[-2],"coef":[1]}`, "scale -2"},
		{"huge mean", `{"features":["a"],"mean":[1e999],"scale":[1],"coef":[1]}`, "cannot unmarshal"},
		{"negative max_iter", `{"features":[],"mean":[],"scale":[],"coef":[],"params":{"max_iter":-3}}`, "MaxIter -3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Model
			err := json.Unmarshal([]byte(tt.json), &m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// FuzzUnmarshalJSON checks that no model file makes decoding or scoring
// panic, and that every accepted model scores its training means as its
// intercept and survives a round trip.
func FuzzUnmarshalJSON(f *testing.F) {
	f.Add(`{"features":["a","b"],"mean":[1,2],"scale":[3,4],"coef":[0.5,-1],"intercept":-2,"params":{"l2":1,"balanced":true,"max_iter":500}}`)
	f.Add(`{"features":[],"mean":[],"scale":[],"coef":[],"intercept":0}`)
	f.Add(`{"features":["a"],"mean":[1e308],"scale":[1e-308],"coef":[1e308],"intercept":1}`)
	f.Add(`{"features":null,"coef":[1]}`)
	f.Fuzz(func(t *testing.T, data string) {
		var m Model
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return
		}
		phi := make([]float64, len(m.Features))
		if base := m.Explain(m.Mean, phi); base != m.Intercept || m.LogOdds(m.Mean) != m.Intercept {
			t.Errorf("the means score %v, want the intercept %v", m.LogOdds(m.Mean), m.Intercept)
		}
		out, err := json.Marshal(&m)
		if err != nil {
			t.Fatalf("accepted model does not encode: %v", err)
		}
		var back Model
		if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(m, back) {
			t.Errorf("round trip: err %v, %+v != %+v", err, back, m)
		}
	})
}

func TestLengthMismatchPanics(t *testing.T) {
	m := &Model{Features: []string{"a", "b"}, Mean: []float64{0, 0}, Scale: []float64{1, 1}, Coef: []float64{1, 1}}
	for name, call := range map[string]func(){
		"LogOdds short x":   func() { m.LogOdds([]float64{1}) },
		"Explain long x":    func() { m.Explain([]float64{1, 2, 3}, make([]float64, 2)) },
		"Explain short phi": func() { m.Explain([]float64{1, 2}, make([]float64, 1)) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "want 2 features") {
					t.Errorf("%s: recovered %v, want a length panic", name, r)
				}
			}()
			call()
		}()
	}
}

func fitSynthetic(tb testing.TB, n, p int, seed uint64) *Model {
	tb.Helper()
	m, err := Fit(context.Background(), synthetic(n, p, seed), Params{})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func BenchmarkFit(b *testing.B) {
	ds := synthetic(100_000, 30, 1)
	ctx := context.Background()
	for _, bc := range []struct {
		name   string
		params Params
	}{
		{"default", Params{}},
		{"balanced", Params{Balanced: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Fit(ctx, ds, bc.params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExplain(b *testing.B) {
	m := fitSynthetic(b, 10_000, 30, 14)
	rows := synthetic(1024, 30, 15)
	phi := make([]float64, 30)
	i := 0
	for b.Loop() {
		m.Explain(rows.Row(i%1024), phi)
		i++
	}
}

func BenchmarkLogOdds(b *testing.B) {
	m := fitSynthetic(b, 10_000, 30, 14)
	rows := synthetic(1024, 30, 15)
	i := 0
	for b.Loop() {
		m.LogOdds(rows.Row(i % 1024))
		i++
	}
}

// FuzzFit checks that no dataset makes Fit panic, and that every model
// it returns is valid and explains its scores exactly. Each row takes
// one byte per feature, read as a small integer with 127 for NaN and
// -128 for +Inf, and one byte for the label, read as 0, 1 or 2.
func FuzzFit(f *testing.F) {
	f.Add([]byte{1, 0, 0, 2, 0, 1, 3, 1, 0, 4, 1, 1}, uint8(2), 1.0, false)
	f.Add([]byte{1, 127, 0, 5, 3, 1, 2, 127, 1}, uint8(2), -1.0, true)
	f.Add([]byte{0, 0, 9, 1, 1, 1}, uint8(1), 0.0, true)
	f.Fuzz(func(t *testing.T, data []byte, width uint8, l2 float64, balanced bool) {
		p := int(width%4) + 1
		ds := &features.Dataset{Features: []string{"a", "b", "c", "d"}[:p]}
		x := make([]float64, p)
		for len(data) >= p+1 {
			for j, b := range data[:p] {
				switch v := int8(b); v {
				case 127:
					x[j] = math.NaN()
				case -128:
					x[j] = math.Inf(1)
				default:
					x[j] = float64(v)
				}
			}
			ds.Append("a", 0, x)
			ds.Label = append(ds.Label, float64(data[p]%3))
			data = data[p+1:]
		}
		m, err := Fit(context.Background(), ds, Params{L2: l2, Balanced: balanced, MaxIter: 50})
		if err != nil && !errors.Is(err, ErrNotConverged) {
			return
		}
		if err := m.validate(); err != nil {
			t.Fatalf("Fit returned an invalid model: %v\n%+v", err, m)
		}
		phi := make([]float64, p)
		for i := range ds.Len() {
			sum := m.Explain(ds.Row(i), phi)
			for _, c := range phi {
				sum += c
			}
			if lo := m.LogOdds(ds.Row(i)); sum != lo {
				t.Fatalf("row %d: base + sum(phi) = %v, LogOdds = %v", i, sum, lo)
			}
		}
	})
}

func TestFitProgress(t *testing.T) {
	ds := synthetic(2000, 4, 5)
	var iters []int
	if _, err := FitProgress(context.Background(), ds, Params{}, func(done, most int) {
		if most != DefaultMaxIter {
			t.Errorf("progress cap %d, want %d", most, DefaultMaxIter)
		}
		iters = append(iters, done)
	}); err != nil {
		t.Fatal(err)
	}
	if len(iters) < 2 || !slices.IsSorted(iters) || iters[0] != 1 {
		t.Errorf("progress heard iterations %v, want 1, 2, ...", iters)
	}
}

// TestCancelWhileStandardizing cancels a fit while it standardises the
// features, which looks at no context: Fit returns the cancellation.
// That it does so without waiting is models/internal/abandon's TestRun's,
// which cannot depend on how fast this machine standardises.
func TestCancelWhileStandardizing(t *testing.T) {
	ds := synthetic(300_000, 10, 9)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(5*time.Millisecond, cancel)
	if _, err := Fit(ctx, ds, Params{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit = %v, want context.Canceled", err)
	}
}
