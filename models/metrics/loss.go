package metrics

import "math"

// clip bounds probabilities away from 0 and 1 in LogLoss, so that one
// confident mistake costs about 34.5 nats instead of +Inf.
const clip = 1e-15

// LogLoss returns the mean negative log-likelihood of labels y under
// probabilities p, each first clipped to [1e-15, 1−1e-15] as scikit-learn
// does. It is NaN when the input is malformed or p leaves [0, 1].
func LogLoss(y, p []float64) float64 {
	if _, err := checkProbabilities(y, p); err != nil {
		return math.NaN()
	}
	return logLoss(y, p)
}

func logLoss(y, p []float64) float64 {
	var sum float64
	for i, q := range p {
		q = min(max(q, clip), 1-clip)
		if y[i] == 1 {
			sum -= math.Log(q)
		} else {
			sum -= math.Log1p(-q)
		}
	}
	return sum / float64(len(p))
}

// Brier returns the mean squared difference between probabilities p and
// labels y. It is NaN when the input is malformed or p leaves [0, 1].
func Brier(y, p []float64) float64 {
	if _, err := checkProbabilities(y, p); err != nil {
		return math.NaN()
	}
	return brier(y, p)
}

func brier(y, p []float64) float64 {
	var sum float64
	for i, q := range p {
		d := q - y[i]
		sum += d * d
	}
	return sum / float64(len(p))
}
