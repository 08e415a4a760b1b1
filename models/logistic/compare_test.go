//go:build cgo

// The product spec lets logistic regression be fitted "with gonum
// (optimize, L-BFGS) or golearn's liblinear, whichever validates better
// and is faster" (Fit has since moved to Newton's method on gonum's mat
// and blas, see newton.go; the comparison stands). This file measures both on the same standardised
// problem with the same objective: liblinear's L2R_LR minimises
// (1/2)||w||^2 + C*sum_i logloss_i, which is Fit's objective divided by
// L2 when C = 1/L2, except that liblinear also penalises the intercept.
//
// What golearn's binding (linear_models at 74ae077) can and cannot do,
// from its source:
//   - LogisticRegression.Predict returns class labels only. liblinear's
//     predict_probability is not bound, and the trained model sits in an
//     unexported field, so LogisticRegression gives neither probabilities
//     nor log-odds, and so nothing to rank accounts or explain scores by.
//   - Predict hands liblinear only the positive inputs (convert_vector
//     keeps x > 0): every zero or negative value, such as each
//     below-mean standardised value, is silently read as 0.
//   - Fit trains without an intercept (NewProblem(..., 0)); a bias > 0
//     emits feature nodes with the invalid index 0. The intercept must
//     be a constant column of ones, which liblinear then penalises.
//   - Classes cannot be weighted: the binding fixes nr_weight at 0.
//   - The solver's log goes to golearn's package-level base.Logger.
//   - Train passes liblinear a C struct that holds Go pointers to Go
//     memory, which breaks cgo's pointer rules: with Go's default
//     GODEBUG=cgocheck=1 it panics ("cgo argument has Go pointer to
//     unpinned Go pointer"). Any binary that trains with it must run
//     with GODEBUG=cgocheck=0, which turns the checks off for all of
//     its cgo calls. The setting is read only at start-up and cannot be
//     a //go:debug directive, so TestCompareLiblinear re-runs itself in
//     a child process with it, and the liblinear benchmarks skip unless
//     it is set.
//
// To score liblinear's fit, compareLiblinear therefore trains through
// the lower-level Train and reads the weights back from the model file
// Export writes.

package logistic

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/linear_models"

	"github.com/churnlabs/churn/features"
)

// liblinearEps is liblinear's own default stopping tolerance for
// L2R_LR, relative to the initial gradient.
const liblinearEps = 0.01

func TestMain(m *testing.M) {
	// liblinear logs every solver iteration to stdout through golearn's
	// package-level logger, which would bury the test output.
	base.SetLoggerOut(io.Discard)
	os.Exit(m.Run())
}

// compareProblem is the shared benchmark problem: 100k training rows of
// 30 features, a validation set drawn from the same distribution, and
// both standardised with the training statistics for liblinear.
type compareProblem struct {
	train, valid         *features.Dataset
	trainRows, validRows [][]float64 // standardised, plus a column of ones
	trainGrid, validGrid *base.DenseInstances
}

func newCompareProblem(tb testing.TB) *compareProblem {
	tb.Helper()
	cp := &compareProblem{
		train: synthetic(100_000, 30, 1),
		valid: synthetic(50_000, 30, 2),
	}
	st, err := standardize(cp.train)
	if err != nil {
		tb.Fatal(err)
	}
	cp.trainRows = designRows(cp.train, st)
	cp.validRows = designRows(cp.valid, st)
	cp.trainGrid = denseInstances(cp.trainRows, cp.train.Label)
	cp.validGrid = denseInstances(cp.validRows, cp.valid.Label)
	return cp
}

// designRows standardises ds with st's statistics, imputes NaN to 0 (the
// mean), and appends the constant column that stands in for liblinear's
// intercept.
func designRows(ds *features.Dataset, st *standardized) [][]float64 {
	rows := make([][]float64, ds.Len())
	for i := range rows {
		r := make([]float64, len(ds.Features)+1)
		for j, v := range ds.Row(i) {
			if !math.IsNaN(v) {
				r[j] = (v - st.mean[j]) / st.scale[j]
			}
		}
		r[len(r)-1] = 1
		rows[i] = r
	}
	return rows
}

// denseInstances builds the golearn grid LogisticRegression.Fit takes:
// one float attribute per column and a float class attribute.
func denseInstances(rows [][]float64, label []float64) *base.DenseInstances {
	inst := base.NewDenseInstances()
	specs := make([]base.AttributeSpec, len(rows[0]))
	for j := range specs {
		specs[j] = inst.AddAttribute(base.NewFloatAttribute(fmt.Sprintf("x%02d", j)))
	}
	class := base.NewFloatAttribute("label")
	classSpec := inst.AddAttribute(class)
	if err := inst.AddClassAttribute(class); err != nil {
		panic(err) // the attribute was added just above
	}
	if err := inst.Extend(len(rows)); err != nil {
		panic(err)
	}
	for i, r := range rows {
		for j, v := range r {
			inst.Set(specs[j], i, base.PackFloatToBytes(v))
		}
		inst.Set(classSpec, i, base.PackFloatToBytes(label[i]))
	}
	return inst
}

func BenchmarkFitGonum(b *testing.B) {
	cp := newCompareProblem(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := Fit(ctx, cp.train, Params{L2: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitLiblinear times golearn's public path, which includes
// golearn's conversion of the grid to liblinear's sparse rows, at
// liblinear's default tolerance and at a tolerance whose coefficients
// agree with Fit's to about 1e-4 (the rest is the penalised intercept).
func BenchmarkFitLiblinear(b *testing.B) {
	if !cgocheckOff() {
		b.Skip("golearn's liblinear binding needs GODEBUG=cgocheck=0")
	}
	cp := newCompareProblem(b)
	for _, eps := range []float64{liblinearEps, 1e-4} {
		b.Run(fmt.Sprintf("eps=%g", eps), func(b *testing.B) {
			for b.Loop() {
				lr, err := linear_models.NewLogisticRegression("l2", 1, eps)
				if err != nil {
					b.Fatal(err)
				}
				if err := lr.Fit(cp.trainGrid); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Without golearn's conversion from its grid: liblinear's own cost.
	b.Run("solver-only", func(b *testing.B) {
		param := linear_models.NewParameter(linear_models.L2R_LR, 1, liblinearEps)
		for b.Loop() {
			linear_models.Train(linear_models.NewProblem(cp.trainRows, cp.train.Label, 0), param)
		}
	})
}

// TestCompareLiblinear checks that Fit validates at least as well as
// liblinear on the same problem, and logs both AUCs and how far apart
// the two solutions are.
func TestCompareLiblinear(t *testing.T) {
	if testing.Short() {
		t.Skip("fits 100k rows three times")
	}
	if !cgocheckOff() {
		rerunWithoutCgocheck(t)
		return
	}
	cp := newCompareProblem(t)
	const l2 = 1.0

	m, err := Fit(context.Background(), cp.train, Params{L2: l2})
	if err != nil {
		t.Fatal(err)
	}
	ours := make([]float64, cp.valid.Len())
	for i := range ours {
		ours[i] = m.LogOdds(cp.valid.Row(i))
	}

	w := liblinearWeights(t, cp, 1/l2)
	theirs := make([]float64, len(cp.validRows))
	for i, r := range cp.validRows {
		for j, v := range r {
			theirs[i] += w[j] * v
		}
	}
	var maxDiff float64
	for j, c := range m.Coef {
		maxDiff = max(maxDiff, math.Abs(c-w[j]))
	}

	oursAUC, theirsAUC := auc(ours, cp.valid.Label), auc(theirs, cp.valid.Label)
	t.Logf("validation AUC: gonum Newton %.5f, liblinear %.5f (eps %g); max |coef diff| %.2g; intercepts %.5f vs %.5f",
		oursAUC, theirsAUC, liblinearEps, maxDiff, m.Intercept, w[len(w)-1])
	t.Logf("validation AUC of golearn's Predict (class labels only): %.5f", predictAUC(t, cp))
	if oursAUC < theirsAUC-0.002 {
		t.Errorf("gonum AUC %.5f is more than 0.002 below liblinear's %.5f", oursAUC, theirsAUC)
	}
}

// liblinearWeights trains liblinear on the comparison problem and
// returns its weights oriented so that a positive score means churn; the
// last weight is the (penalised) intercept.
func liblinearWeights(t *testing.T, cp *compareProblem, c float64) []float64 {
	t.Helper()
	prob := linear_models.NewProblem(cp.trainRows, cp.train.Label, 0)
	model := linear_models.Train(prob, linear_models.NewParameter(linear_models.L2R_LR, c, liblinearEps))
	path := filepath.Join(t.TempDir(), "liblinear.model")
	if err := linear_models.Export(model, path); err != nil {
		t.Fatal(err)
	}
	w, firstLabel, err := readLiblinearModel(path)
	if err != nil {
		t.Fatal(err)
	}
	// NewProblem declares one feature more than the rows hold; no row
	// uses it, so its weight is 0 and can be dropped.
	if cols := len(cp.trainRows[0]); len(w) != cols+1 || w[cols] != 0 {
		t.Fatalf("liblinear model has weights %v, want %d and a trailing 0", w, cols)
	}
	w = w[:len(w)-1]
	// liblinear scores the first label it met in the training data as
	// the positive class.
	if firstLabel == 0 {
		for j := range w {
			w[j] = -w[j]
		}
	}
	return w
}

// readLiblinearModel parses the weights and the first class label from
// a binary liblinear model file.
func readLiblinearModel(path string) (w []float64, firstLabel int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inWeights := false
	firstLabel = -1
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case inWeights && len(fields) == 1:
			v, err := strconv.ParseFloat(fields[0], 64)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: %w", path, err)
			}
			w = append(w, v)
		case len(fields) > 1 && fields[0] == "label":
			if firstLabel, err = strconv.Atoi(fields[1]); err != nil {
				return nil, 0, fmt.Errorf("%s: %w", path, err)
			}
		case len(fields) == 1 && fields[0] == "w":
			inWeights = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if firstLabel < 0 || len(w) == 0 {
		return nil, 0, fmt.Errorf("%s: no labels or weights", path)
	}
	return w, firstLabel, nil
}

// predictAUC is the AUC of golearn's public LogisticRegression.Predict,
// whose class labels are the only score it offers.
func predictAUC(t *testing.T, cp *compareProblem) float64 {
	t.Helper()
	lr, err := linear_models.NewLogisticRegression("l2", 1, liblinearEps)
	if err != nil {
		t.Fatal(err)
	}
	if err := lr.Fit(cp.trainGrid); err != nil {
		t.Fatal(err)
	}
	pred, err := lr.Predict(cp.validGrid)
	if err != nil {
		t.Fatal(err)
	}
	specs := base.ResolveAttributes(pred, pred.AllClassAttributes())
	score := make([]float64, cp.valid.Len())
	for i := range score {
		score[i] = base.UnpackBytesToFloat(pred.Get(specs[0], i))
	}
	return auc(score, cp.valid.Label)
}

// cgocheckOff reports whether $GODEBUG turns cgo's pointer checks off;
// as in the runtime, the last setting wins.
func cgocheckOff() bool {
	off := false
	for _, kv := range strings.Split(os.Getenv("GODEBUG"), ",") {
		switch kv {
		case "cgocheck=0":
			off = true
		case "cgocheck=1":
			off = false
		}
	}
	return off
}

// rerunWithoutCgocheck runs t alone in a child test process with
// GODEBUG=cgocheck=0 and relays its output.
func rerunWithoutCgocheck(t *testing.T) {
	t.Helper()
	godebug := "cgocheck=0"
	if v := os.Getenv("GODEBUG"); v != "" {
		godebug = v + "," + godebug
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	// os/exec keeps the last of duplicate variables.
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug)
	out, err := cmd.CombinedOutput()
	t.Logf("re-run with GODEBUG=%s:\n%s", godebug, out)
	if err != nil {
		t.Fatalf("re-run with GODEBUG=%s: %v", godebug, err)
	}
}
