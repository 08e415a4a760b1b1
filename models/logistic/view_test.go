package logistic

import (
	"context"
	"math"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// TestStandardizedBlocksMatchWholeMatrix checks that the linear
// predictor and the gradient computed block by block over the
// standardised view are, bit for bit, those of one product over the
// whole standardised matrix, which is how the fit computed them when it
// held that matrix: the coefficients cannot have moved.
func TestStandardizedBlocksMatchWholeMatrix(t *testing.T) {
	for _, n := range []int{2, hessianBlock - 1, 3*hessianBlock + 17} {
		ds := synthetic(n, 6, uint64(n))
		for i := 0; i < len(ds.X); i += 7 {
			ds.X[i] = math.NaN()
		}
		st, err := standardize(ds)
		if err != nil {
			t.Fatal(err)
		}
		k := len(st.active)
		if k == 0 {
			t.Fatalf("n=%d: no feature varies", n)
		}
		whole := blas64.General{Rows: n, Cols: k, Stride: k, Data: st.block(make([]float64, n*k), 0, n)}
		for i := range n {
			for a, j := range st.active {
				v, want := ds.Row(i)[j], 0.0
				if !math.IsNaN(v) {
					want = (v - st.mean[j]) / st.scale[j]
				}
				if got := whole.Data[i*k+a]; got != want {
					t.Fatalf("n=%d: row %d column %d standardises to %v, want %v", n, i, a, got, want)
				}
			}
		}
		o := newObjective(st, ds.Label, [2]float64{1 / float64(n), 1 / float64(n)}, 1)
		theta := []float64{0.1, 0.5, -0.25, 1.5, -2, 0.75, 0.3}[:1+k]
		o.evaluate(theta)
		eta := make([]float64, n)
		blas64.Gemv(blas.NoTrans, 1, whole, vec(theta[1:]), 0, vec(eta))
		for i := range n {
			if o.eta[i] != eta[i] {
				t.Fatalf("n=%d: eta[%d] = %v, want %v", n, i, o.eta[i], eta[i])
			}
		}
		g := make([]float64, 1+k)
		o.grad(g, theta)
		want := make([]float64, k)
		blas64.Gemv(blas.Trans, 1, whole, vec(o.resid), 0, vec(want))
		for a := range k {
			want[a] += o.lambda * theta[1+a]
			if g[1+a] != want[a] {
				t.Fatalf("n=%d: gradient[%d] = %v, want %v", n, 1+a, g[1+a], want[a])
			}
		}
	}
}

// TestFitHoldsNoCopyOfTheMatrix checks that a fit allocates less than
// the training values: the standardised matrix is a view, not a
// copy as large as the dataset (780 MB at 3.6 M rows of 27 features).
func TestFitHoldsNoCopyOfTheMatrix(t *testing.T) {
	ds := synthetic(100000, 20, 3)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := Fit(context.Background(), ds, Params{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	values := uint64(len(ds.X) * 8)
	if got := after.TotalAlloc - before.TotalAlloc; got > values {
		t.Fatalf("fit allocated %d MB for %d MB of training values, want less", got>>20, values>>20)
	}
}
