package metrics

import (
	"fmt"
	"math"
)

// Platt is a Platt-scaling calibrator: it maps a model's log-odds z to
// calibrated log-odds A·z + B. Because the map is affine in log-odds, a
// model that explains a score as base + Σ contributions stays exactly
// explained after calibration: every contribution is scaled by A and the
// base becomes A·base + B.
type Platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// LogOdds returns the calibrated log-odds of a model's log-odds z.
func (c Platt) LogOdds(z float64) float64 {
	return c.A*z + c.B
}

// Probability returns the calibrated probability of a model's log-odds z.
func (c Platt) Probability(z float64) float64 {
	return sigmoid(c.LogOdds(z))
}

// Settings of FitPlatt's Newton–Raphson, after Lin, Lin and Weng, "A note
// on Platt's probabilistic outputs for support vector machines" (2007).
const (
	plattMaxIter = 100
	// plattRidge keeps the Hessian invertible when every z is equal and
	// A and B cannot be told apart.
	plattRidge = 1e-12
	// plattMinStep ends a line search that cannot decrease the loss.
	plattMinStep = 1e-10
	// plattTol is the decrease of the mean loss, per row, that the next
	// Newton step predicts: below it, the fit is as good as float64
	// arithmetic on the summed loss can tell.
	plattTol = 1e-12
)

// FitPlatt fits a Platt calibrator to a model's log-odds z and labels y by
// minimizing the log-loss with Newton–Raphson. As Platt proposed, the
// labels are replaced by (N₊+1)/(N₊+2) and 1/(N₋+2), where N₊ and N₋
// count positives and negatives: the smoothing keeps A and B finite even
// when z separates the classes perfectly, and makes a one-class input
// well-posed.
//
// FitPlatt returns an error when the input is malformed (see the package
// documentation), some z is infinite, or the iteration fails to converge.
func FitPlatt(z, y []float64) (Platt, error) {
	positives, err := checkScores(y, z)
	if err != nil {
		return Platt{}, fmt.Errorf("fit platt: %w", err)
	}
	for i, v := range z {
		if math.IsInf(v, 0) {
			return Platt{}, fmt.Errorf("fit platt: log-odds %d is %v", i, v)
		}
	}
	n := float64(len(z))
	np, nn := float64(positives), n-float64(positives)
	t := plattTargets{y: y, hi: (np + 1) / (np + 2), lo: 1 / (nn + 2)}

	// Starting from the prior log-odds with A = 0 is Platt's choice: the
	// loss there is finite whatever the scale of z.
	c := Platt{A: 0, B: math.Log((np + 1) / (nn + 1))}
	loss := t.loss(z, c)
	for range plattMaxIter {
		gA, gB, hAA, hAB, hBB := t.derivatives(z, c)
		hAA += plattRidge
		hBB += plattRidge
		det := hAA*hBB - hAB*hAB
		dA := -(hBB*gA - hAB*gB) / det
		dB := -(hAA*gB - hAB*gA) / det
		slope := gA*dA + gB*dB // negative: the Hessian is positive definite
		if -slope/2 <= plattTol*n {
			// Within the quadratic region the full Newton step is
			// exact to second order; taking it costs nothing and
			// gains the last digits a line search could not see.
			return Platt{A: c.A + dA, B: c.B + dB}, nil
		}
		step := 1.0
		for ; step >= plattMinStep; step /= 2 {
			next := Platt{A: c.A + step*dA, B: c.B + step*dB}
			if l := t.loss(z, next); l <= loss+1e-4*step*slope {
				c, loss = next, l
				break
			}
		}
		if step < plattMinStep {
			return Platt{}, fmt.Errorf("fit platt: line search failed at A=%g B=%g", c.A, c.B)
		}
	}
	return Platt{}, fmt.Errorf("fit platt: no convergence in %d iterations", plattMaxIter)
}

// plattTargets holds Platt's smoothed labels: hi for a positive, lo for a
// negative.
type plattTargets struct {
	y      []float64
	hi, lo float64
}

func (t plattTargets) target(i int) float64 {
	if t.y[i] == 1 {
		return t.hi
	}
	return t.lo
}

// loss is the summed cross-entropy of the targets under c. With
// −log σ(f) = softplus(−f) = softplus(f) − f and −log(1−σ(f)) = softplus(f),
// a row costs softplus(f) − t·f: one exp and one log, and no log(0) or
// overflow whatever f is.
func (t plattTargets) loss(z []float64, c Platt) float64 {
	var sum float64
	for i, zi := range z {
		f := c.LogOdds(zi)
		sum += softplus(f) - t.target(i)*f
	}
	return sum
}

// derivatives returns the gradient and Hessian of loss with respect to
// (A, B).
func (t plattTargets) derivatives(z []float64, c Platt) (gA, gB, hAA, hAB, hBB float64) {
	for i, zi := range z {
		q := sigmoid(c.LogOdds(zi))
		d := q - t.target(i)
		w := q * (1 - q)
		gA += d * zi
		gB += d
		hAA += w * zi * zi
		hAB += w * zi
		hBB += w
	}
	return gA, gB, hAA, hAB, hBB
}

// sigmoid is the logistic function, evaluated so that exp never overflows.
func sigmoid(f float64) float64 {
	if f >= 0 {
		return 1 / (1 + math.Exp(-f))
	}
	e := math.Exp(f)
	return e / (1 + e)
}

// softplus is log(1 + eᶠ), evaluated so that exp never overflows.
func softplus(f float64) float64 {
	return max(f, 0) + math.Log1p(math.Exp(-math.Abs(f)))
}
