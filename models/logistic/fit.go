package logistic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/internal/abandon"
)

// ErrNotConverged is wrapped by the error Fit returns, together with the
// model reached, when the fit stops at its iteration limit.
var ErrNotConverged = errors.New("logistic: fit did not converge")

// Fit fits a model to the labelled dataset ds. It minimises
//
//	sum_i w_i*logloss_i + (L2/2)*||beta||^2
//
// over the standardised features with Newton's method (analytic gradient
// and Hessian, Cholesky solves, a backtracking line search), where w_i is 1, or the class weight when p.Balanced is set, and the
// intercept is not penalised. The fit is deterministic: the same data
// and parameters give the same model bit for bit.
//
// Fit reports an error for a dataset with no rows or no labels, a label
// other than 0 or 1, a single class, or an infinite feature value (NaN
// is allowed and means unknown). It checks ctx every iteration, each of
// which is a pass over the rows. If the fit stops at p.MaxIter
// iterations, Fit returns the model reached together with an error
// wrapping ErrNotConverged.
func Fit(ctx context.Context, ds *features.Dataset, p Params) (*Model, error) {
	return FitProgress(ctx, ds, p, nil)
}

// FitProgress is Fit telling progress, when not nil, of each Newton
// iteration: done so far, of at most p.MaxIter (its default when zero).
// A fit usually converges in about ten.
//
// FitProgress returns ctx's error as soon as ctx is done. The solver
// looks at ctx every iteration; standardising the
// features, which takes seconds at millions of rows, finishes on its
// own, its result dropped.
func FitProgress(ctx context.Context, ds *features.Dataset, p Params, progress func(done, most int)) (*Model, error) {
	m, err := abandon.Run(ctx, func() (*Model, error) { return fit(ctx, ds, p, progress) })
	if err != nil && err == ctx.Err() { // abandoned: the fit's own errors are wrapped already
		return nil, fmt.Errorf("logistic: fit: %w", err)
	}
	return m, err
}

func fit(ctx context.Context, ds *features.Dataset, p Params, progress func(done, most int)) (*Model, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ds.Check(); err != nil {
		return nil, fmt.Errorf("logistic: %w", err)
	}
	counts, err := countLabels(ds)
	if err != nil {
		return nil, err
	}
	st, err := standardize(ds)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("logistic: fit: %w", err)
	}

	obj := newObjective(st, ds.Label, classWeights(counts, p.Balanced), p.penalty())
	res, err := obj.minimize(ctx, obj.start(), p.MaxIter, progress)
	if cerr := ctx.Err(); cerr != nil {
		return nil, fmt.Errorf("logistic: fit: %w", cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("logistic: fit stopped with gradient norm %.3g after %d iterations: %w",
			res.gradNorm, res.iterations, err)
	}
	m := st.model(ds.Features, res.theta, p)
	if !res.converged {
		return m, fmt.Errorf("%w in %d iterations (last step %.3g, gradient norm %.3g; raise MaxIter or L2)",
			ErrNotConverged, res.iterations, res.stepNorm, res.gradNorm)
	}
	return m, nil
}

// countLabels checks that ds is labelled with both classes and returns
// the number of rows of each.
func countLabels(ds *features.Dataset) ([2]int, error) {
	var counts [2]int
	switch {
	case ds.Len() == 0:
		return counts, errors.New("logistic: dataset has no rows")
	case ds.Label == nil:
		return counts, errors.New("logistic: dataset has no labels")
	}
	for i, y := range ds.Label {
		switch y {
		case 0, 1:
			counts[int(y)]++
		default:
			return counts, fmt.Errorf("logistic: %s: label %v is not 0 or 1", rowName(ds, i), y)
		}
	}
	for c, n := range counts {
		if n == 0 {
			return counts, fmt.Errorf("logistic: all %d rows have label %d; need both classes", ds.Len(), 1-c)
		}
	}
	return counts, nil
}

// rowName locates row i of ds for an error message.
func rowName(ds *features.Dataset, i int) string {
	return fmt.Sprintf("row %d (account %q, week %s)", i+1, ds.AccountID[i], ds.Week[i])
}

// classWeights returns the weight of a row of each class, divided by the
// number of rows n. Balanced or not, the weights total n before the
// division and 1 after: the minimiser is unchanged (the penalty is
// divided by n too) and the objective stays of order 1 however many rows
// there are, which keeps the gradient tolerance meaningful.
func classWeights(counts [2]int, balanced bool) (w [2]float64) {
	n := float64(counts[0] + counts[1])
	for c := range w {
		if balanced {
			w[c] = 1 / (2 * float64(counts[c]))
		} else {
			w[c] = 1 / n
		}
	}
	return w
}

// standardized is a dataset's feature matrix, centred and scaled, as a
// view: rows are standardised a block at a time when the solver passes
// over them, never stored whole. A copy would be as large as the
// training set itself, 780 MB at 3.6 M rows of 27 features, for a few
// divisions per value per pass.
type standardized struct {
	mean, scale []float64 // per feature of the dataset
	// active lists the features that vary in training, the columns of
	// the standardised matrix. The others get coefficient 0 without
	// entering the solver, which would otherwise chase rounding noise in
	// them.
	active []int
	// x is the dataset's row-major values, width p.
	x    []float64
	p    int
	rows int
}

// block writes the standardised rows [lo, hi) into dst, row-major over
// the active features, and returns it: NaN is imputed to the mean, which
// standardises to 0.
func (st *standardized) block(dst []float64, lo, hi int) []float64 {
	k := len(st.active)
	dst = dst[:(hi-lo)*k]
	for i := lo; i < hi; i++ {
		row, zi := st.x[i*st.p:(i+1)*st.p], dst[(i-lo)*k:(i-lo+1)*k]
		for a, j := range st.active {
			if v := row[j]; math.IsNaN(v) {
				zi[a] = 0
			} else {
				zi[a] = (v - st.mean[j]) / st.scale[j]
			}
		}
	}
	return dst
}

// standardize computes the mean and population standard deviation of
// each feature over its known values, and the standardised matrix.
func standardize(ds *features.Dataset) (*standardized, error) {
	n, p := ds.Len(), len(ds.Features)
	st := &standardized{mean: make([]float64, p), scale: make([]float64, p), rows: n}
	count := make([]int, p)
	lo := make([]float64, p)
	hi := make([]float64, p)
	for j := range p {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
	}
	for i := range n {
		for j, v := range ds.Row(i) {
			switch {
			case math.IsNaN(v):
				continue
			case math.IsInf(v, 0):
				return nil, fmt.Errorf("logistic: feature %q is %v at %s; only NaN may mark a missing value",
					ds.Features[j], v, rowName(ds, i))
			}
			st.mean[j] += v
			count[j]++
			lo[j], hi[j] = min(lo[j], v), max(hi[j], v)
		}
	}
	for j := range p {
		if count[j] > 0 {
			st.mean[j] /= float64(count[j])
		}
	}
	for i := range n {
		for j, v := range ds.Row(i) {
			if !math.IsNaN(v) {
				d := v - st.mean[j]
				st.scale[j] += d * d
			}
		}
	}
	for j := range p {
		// Comparing the extremes, not the deviation, detects a constant
		// feature exactly: the computed mean of equal values can differ
		// from them in the last bit.
		if count[j] == 0 || lo[j] == hi[j] {
			if count[j] > 0 {
				st.mean[j] = lo[j]
			}
			st.scale[j] = 1
			continue
		}
		st.scale[j] = math.Sqrt(st.scale[j] / float64(count[j]))
		if !isFinite(st.mean[j]) || !isFinite(st.scale[j]) {
			return nil, fmt.Errorf("logistic: feature %q: values too large to standardise", ds.Features[j])
		}
		st.active = append(st.active, j)
	}

	st.x, st.p = ds.X, p
	return st, nil
}

// model builds the Model whose intercept is theta[0] and whose active
// coefficients are theta[1:].
func (st *standardized) model(names []string, theta []float64, p Params) *Model {
	m := &Model{
		Features:  slices.Clone(names),
		Mean:      st.mean,
		Scale:     st.scale,
		Coef:      make([]float64, len(names)),
		Intercept: theta[0],
		Params:    p,
	}
	for a, j := range st.active {
		m.Coef[j] = theta[1+a]
	}
	return m
}

// objective is the weighted mean log-loss plus the penalty, as a
// function of theta = (intercept, active coefficients).
type objective struct {
	st     *standardized
	k      int // columns of the standardised matrix
	rows   int
	y      []float64
	w      [2]float64
	lambda float64 // L2 penalty scaled like w

	// The line search asks for the value and the gradient at the same
	// point; eta and resid keep the work of the last point for both.
	at    []float64 // theta of the cached evaluation, nil before any
	f     float64
	eta   []float64 // linear predictor per row
	resid []float64 // w_i*(p_i - y_i) per row
	curv  []float64 // w_i*p_i*(1-p_i) per row, for the Hessian
	// bufs hold a block of standardised rows for each of linear's
	// goroutines; grad uses the first.
	bufs [][]float64
}

func newObjective(st *standardized, y []float64, w [2]float64, l2 float64) *objective {
	n := float64(st.rows)
	return &objective{
		st:     st,
		k:      len(st.active),
		rows:   st.rows,
		y:      y,
		w:      w,
		lambda: l2 / n,
		eta:    make([]float64, st.rows),
		resid:  make([]float64, st.rows),
		curv:   make([]float64, st.rows),
	}
}

// linear writes the standardised matrix times beta into o.eta, a block
// of rows at a time on every core: each row's product is on its own, so
// the blocks give the very values of one product over the whole matrix.
func (o *objective) linear(beta []float64) {
	k := o.k
	parts := runtime.GOMAXPROCS(0)
	per := (o.rows + parts - 1) / parts
	for len(o.bufs) < parts {
		o.bufs = append(o.bufs, make([]float64, hessianBlock*k))
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := min(p*per, o.rows), min((p+1)*per, o.rows)
		buf := o.bufs[p]
		wg.Go(func() {
			for start := lo; start < hi; start += hessianBlock {
				end := min(start+hessianBlock, hi)
				z := blas64.General{Rows: end - start, Cols: k, Stride: k, Data: o.st.block(buf, start, end)}
				blas64.Gemv(blas.NoTrans, 1, z, vec(beta), 0, vec(o.eta[start:end]))
			}
		})
	}
	wg.Wait()
}

func (o *objective) start() []float64 {
	var pos, neg float64
	for _, y := range o.y {
		if y == 1 {
			pos += o.w[1]
		} else {
			neg += o.w[0]
		}
	}
	theta := make([]float64, 1+o.k)
	theta[0] = math.Log(pos / neg)
	return theta
}

// evaluate computes the objective at theta and the per-row residuals its
// gradient needs, unless they are already cached.
func (o *objective) evaluate(theta []float64) {
	if o.at != nil && slices.Equal(o.at, theta) {
		return
	}
	b, beta := theta[0], theta[1:]
	if o.k > 0 {
		o.linear(beta)
	}
	var loss float64
	for i, e := range o.eta {
		e += b
		y := o.y[i]
		w := o.w[int(y)]
		// log(1+exp(e)) and 1/(1+exp(-e)) share t = exp(-|e|), which
		// never overflows; one exp per row is most of the cost.
		t := math.Exp(-math.Abs(e))
		loss += w * (max(e, 0) + math.Log1p(t) - y*e)
		p := 1 / (1 + t)
		if e < 0 {
			p = t / (1 + t)
		}
		o.resid[i] = w * (p - y)
		// p*(1-p) = t/(1+t)^2 whatever the sign of e, without the
		// cancellation of 1-p when p is near 1.
		o.curv[i] = w * t / ((1 + t) * (1 + t))
	}
	o.f = loss + o.lambda/2*floats.Dot(beta, beta)
	o.at = append(o.at[:0], theta...)
}

func (o *objective) grad(g, theta []float64) {
	o.evaluate(theta)
	g[0] = floats.Sum(o.resid)
	if o.k > 0 {
		// The blocks go in row order, each adding its rows to g as one
		// product over the whole matrix would: the same sums, bit for
		// bit.
		if len(o.bufs) == 0 {
			o.bufs = append(o.bufs, make([]float64, hessianBlock*o.k))
		}
		for start := 0; start < o.rows; start += hessianBlock {
			end := min(start+hessianBlock, o.rows)
			z := blas64.General{Rows: end - start, Cols: o.k, Stride: o.k, Data: o.st.block(o.bufs[0], start, end)}
			beta := 1.0
			if start == 0 {
				beta = 0
			}
			blas64.Gemv(blas.Trans, 1, z, vec(o.resid[start:end]), beta, vec(g[1:]))
		}
	}
	floats.AddScaled(g[1:], o.lambda, theta[1:])
}

func vec(x []float64) blas64.Vector {
	return blas64.Vector{N: len(x), Inc: 1, Data: x}
}
