package logistic

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// TestHessian compares the analytic Hessian with central differences of
// the analytic gradient, with class weights and a penalty.
func TestHessian(t *testing.T) {
	ds := synthetic(700, 5, 8)
	st, err := standardize(ds)
	if err != nil {
		t.Fatal(err)
	}
	counts, _ := countLabels(ds)
	obj := newObjective(st, ds.Label, classWeights(counts, true), 2)
	rng := rand.New(rand.NewPCG(8, 8))
	theta := make([]float64, 1+len(st.active))
	for i := range theta {
		theta[i] = rng.NormFloat64() / 2
	}
	d := len(theta)
	h := mat.NewSymDense(d, nil)
	obj.evaluate(theta)
	obj.hessian(h)
	const eps = 1e-6
	up, down := make([]float64, d), make([]float64, d)
	for j := range d {
		obj.grad(up, slicesWith(theta, j, theta[j]+eps))
		obj.grad(down, slicesWith(theta, j, theta[j]-eps))
		for i := range d {
			want := (up[i] - down[i]) / (2 * eps)
			if got := h.At(i, j); math.Abs(got-want) > 1e-7 {
				t.Errorf("H[%d][%d] = %.10f, central difference of the gradient %.10f", i, j, got, want)
			}
		}
	}
}

// TestNewtonMatchesLBFGS fits the churn features, whose windows make the
// problem ill-conditioned, with Newton's method and with gonum's L-BFGS
// stopped where Fit used to stop it (gradient 1e-8), on the same
// objective. Newton's fit must sit at the optimum (its next step under
// 1e-9), and where the two differ, the difference must be L-BFGS's own
// distance from the optimum.
func TestNewtonMatchesLBFGS(t *testing.T) {
	ds := churnTrain(t, 500)
	for _, p := range []Params{{}, {Balanced: true}, {L2: 0.05}} {
		p, _ = p.withDefaults()
		st, err := standardize(ds)
		if err != nil {
			t.Fatal(err)
		}
		counts, _ := countLabels(ds)
		obj := newObjective(st, ds.Label, classWeights(counts, p.Balanced), p.penalty())
		newton, err := obj.minimize(context.Background(), obj.start(), p.MaxIter, nil)
		if err != nil || !newton.converged {
			t.Fatalf("%+v: Newton: %v after %d iterations", p, err, newton.iterations)
		}
		if d := stepToOptimum(obj, newton.theta); d > 1e-9 {
			t.Errorf("%+v: Newton's fit is %g from the optimum", p, d)
		}
		lbfgs, err := optimize.Minimize(optimize.Problem{
			Func: func(theta []float64) float64 { obj.evaluate(theta); return obj.f },
			Grad: obj.grad,
		}, obj.start(), &optimize.Settings{
			GradientThreshold: 1e-8, MajorIterations: 100000, Converger: optimize.NeverTerminate{},
		}, &optimize.LBFGS{Linesearcher: &optimize.MoreThuente{}})
		if lbfgs == nil {
			t.Fatalf("%+v: L-BFGS: %v", p, err)
		}
		off := stepToOptimum(obj, lbfgs.X)
		for i := range newton.theta {
			if diff := math.Abs(newton.theta[i] - lbfgs.X[i]); diff > 2*off+1e-9 {
				t.Errorf("%+v: theta[%d] Newton %.9f, L-BFGS %.9f: %g apart, L-BFGS %g from the optimum",
					p, i, newton.theta[i], lbfgs.X[i], diff, off)
			}
		}
		t.Logf("%+v: Newton %d iterations, L-BFGS %d iterations and %g from the optimum",
			p, newton.iterations, lbfgs.MajorIterations, off)
	}
}

// stepToOptimum is the infinity norm of the Newton step at theta: to
// second order, how far theta is from the optimum.
func stepToOptimum(obj *objective, theta []float64) float64 {
	d := len(theta)
	g := make([]float64, d)
	obj.grad(g, theta)
	h := mat.NewSymDense(d, nil)
	obj.hessian(h)
	var chol mat.Cholesky
	if !chol.Factorize(h) {
		return math.Inf(1)
	}
	step := mat.NewVecDense(d, nil)
	if err := chol.SolveVecTo(step, mat.NewVecDense(d, g)); err != nil {
		return math.Inf(1)
	}
	return floats.Norm(step.RawVector().Data, math.Inf(1))
}
