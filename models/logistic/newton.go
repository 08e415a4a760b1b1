package logistic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Why Newton's method: the churn features include windows of the same
// behaviour (a 4-week sum and mean, a 12-week sum) that are nearly
// collinear, so the objective's curvature differs by orders of magnitude
// between directions. L-BFGS needs thousands of passes over the rows to
// learn that from gradients; Newton's method reads it off the Hessian,
// which for a few dozen features costs one pass and a tiny Cholesky
// solve, and converges in about ten iterations.

// stepTol is where the fit stops: the last Newton step moved no
// standardised coefficient, nor the intercept, by more than this. Newton
// steps shrink quadratically near the optimum, so the coefficients are
// then within about stepTol squared of it. A gradient tolerance would not
// say as much: along the nearly collinear windows a gradient of 1e-8 still
// leaves coefficients 1e-5 from the optimum.
const stepTol = 1e-9

// quadratic is the step length below which Newton's method is in its
// quadratic regime on any problem this package fits, so the full step is
// taken without a line search: there the objective changes by less than
// its rounding, and comparing values would only refuse good steps.
const quadratic = 1e-5

// flatTol is the share of the objective below which a Newton step's
// predicted decrease (minus the slope along it) is lost in the rounding
// of a sum over the rows: no step length can then show a decrease. On
// CDNOW's refit folds a step of slope -9e-14 on an objective of 0.36 (a
// gradient of 1e-8 along nearly collinear windows) failed the fit. Such
// a point is the optimum to the objective's precision: along those
// windows the coefficients could still move, the predictions could not.
const flatTol = 1e-12

// errFlat says the objective is flat to its rounding along the step.
var errFlat = errors.New("the objective is flat to its rounding along the Newton step")

// newtonResult is where the minimisation stopped.
type newtonResult struct {
	theta      []float64
	gradNorm   float64 // infinity norm of the gradient before the last step
	stepNorm   float64 // infinity norm of the last step
	iterations int
	converged  bool
}

// minimize runs damped Newton iterations from theta until a step is at
// most stepTol or maxIter iterations have run. Each iteration is one pass
// over the rows for the value, gradient and Hessian, a Cholesky solve
// and, far from the optimum, a backtracking line search. It checks ctx
// every iteration and tells progress, when not nil, of each one.
func (o *objective) minimize(ctx context.Context, theta []float64, maxIter int, progress func(done, most int)) (newtonResult, error) {
	d := len(theta)
	g := make([]float64, d)
	step := make([]float64, d)
	trial := make([]float64, d)
	h := mat.NewSymDense(d, nil)
	var chol mat.Cholesky
	res := newtonResult{theta: theta}
	for res.iterations < maxIter {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if progress != nil && res.iterations > 0 {
			progress(res.iterations, maxIter)
		}
		res.iterations++
		o.grad(g, theta)
		res.gradNorm = floats.Norm(g, math.Inf(1))
		o.hessian(h)
		if !factorize(&chol, h) {
			return res, errors.New("the Hessian is not positive definite even when damped")
		}
		if err := chol.SolveVecTo(mat.NewVecDense(d, step), mat.NewVecDense(d, g)); err != nil {
			return res, err
		}
		floats.Scale(-1, step)
		res.stepNorm = floats.Norm(step, math.Inf(1))
		if res.stepNorm <= quadratic {
			floats.Add(theta, step)
			if res.stepNorm <= stepTol {
				res.converged = true
				return res, nil
			}
			continue
		}
		t, err := o.lineSearch(theta, step, g, trial)
		if errors.Is(err, errFlat) {
			res.converged = true
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.stepNorm *= t
		copy(theta, trial)
	}
	return res, nil
}

// lineSearch halves the step from theta until the objective falls enough
// (Armijo's rule), leaves the accepted point in trial and returns the
// fraction of the step taken.
func (o *objective) lineSearch(theta, step, g, trial []float64) (float64, error) {
	o.evaluate(theta)
	f0, slope := o.f, floats.Dot(g, step)
	if !(slope < 0) {
		return 0, fmt.Errorf("the Newton step does not descend (slope %g)", slope)
	}
	for t := 1.0; t > 1e-12; t /= 2 {
		floats.AddScaledTo(trial, theta, t, step)
		o.evaluate(trial)
		if o.f <= f0+1e-4*t*slope {
			return t, nil
		}
	}
	if -slope <= flatTol*max(1, math.Abs(f0)) {
		return 0, errFlat
	}
	return 0, errors.New("no decrease along the Newton step")
}

// factorize computes the Cholesky factor of h, adding a growing multiple
// of the identity when rounding leaves h short of positive definite (an
// unpenalised fit with a feature that barely varies).
func factorize(chol *mat.Cholesky, h *mat.SymDense) bool {
	if chol.Factorize(h) {
		return true
	}
	d := h.SymmetricDim()
	scale := 0.0
	for i := range d {
		scale = max(scale, h.At(i, i))
	}
	damped := mat.NewSymDense(d, nil)
	for mu := 1e-12 * max(scale, 1); mu < 1e6*max(scale, 1); mu *= 100 {
		damped.CopySym(h)
		for i := range d {
			damped.SetSym(i, i, h.At(i, i)+mu)
		}
		if chol.Factorize(damped) {
			return true
		}
	}
	return false
}

// hessianBlock is how many rows hessian scales at a time: enough for
// the rank-k update to run at full speed, few enough to stay in cache.
const hessianBlock = 512

// hessianParts is how many parts of the rows hessian sums separately,
// side by side, before adding them in order. It is fixed, not the number
// of CPUs, so the sum, and so the model, is the same bit for bit on any
// machine.
const hessianParts = 8

// hessian writes the objective's Hessian at the last evaluated point
// into h: with s_i the curvature w_i*p_i*(1-p_i) of row i, it is
// sum_i s_i*[1 z_i]'[1 z_i] plus the penalty on the coefficients' part.
func (o *objective) hessian(h *mat.SymDense) {
	d := 1 + o.k
	parts := make([][]float64, hessianParts)
	per := (o.rows + hessianParts - 1) / hessianParts
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for p := range parts {
		parts[p] = make([]float64, d*d)
		lo, hi := min(p*per, o.rows), min((p+1)*per, o.rows)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			o.hessianRows(parts[p], lo, hi)
			<-sem
		}()
	}
	wg.Wait()
	raw := h.RawSymmetric()
	for i := range d {
		for j := i; j < d; j++ {
			var sum float64
			for _, part := range parts {
				sum += part[i*d+j]
			}
			raw.Data[i*raw.Stride+j] = sum
		}
	}
	for j := 1; j < d; j++ {
		raw.Data[j*raw.Stride+j] += o.lambda
	}
}

// hessianRows adds rows [lo, hi) to the upper triangle of the d x d
// row-major matrix acc, without the penalty.
func (o *objective) hessianRows(acc []float64, lo, hi int) {
	k := o.k
	d := 1 + k
	// The coefficient block sits at (1,1) of acc; Syrk accumulates into
	// its upper triangle block by block of rows scaled by sqrt(s_i).
	if k == 0 {
		acc[0] += floats.Sum(o.curv[lo:hi])
		return
	}
	coef := blas64.Symmetric{N: k, Stride: d, Data: acc[d+1:], Uplo: blas.Upper}
	scaled := make([]float64, hessianBlock*k)
	sqrtS := make([]float64, hessianBlock)
	for start := lo; start < hi; start += hessianBlock {
		n := min(hessianBlock, hi-start)
		o.st.block(scaled, start, start+n)
		for i := range n {
			s := o.curv[start+i]
			acc[0] += s
			sqrtS[i] = math.Sqrt(s)
			floats.Scale(sqrtS[i], scaled[i*k:(i+1)*k])
		}
		block := blas64.General{Rows: n, Cols: k, Stride: k, Data: scaled[:n*k]}
		blas64.Syrk(blas.Trans, 1, block, 1, coef)
		// The intercept's row: sum_i s_i*z_i = sum_i sqrt(s_i)*(sqrt(s_i)*z_i).
		blas64.Gemv(blas.Trans, 1, block, vec(sqrtS[:n]), 1, vec(acc[1:d]))
	}
}
