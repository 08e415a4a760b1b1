package metrics

import "math"

// ROCAUC returns the area under the ROC curve of scores p for labels y:
// the probability that a random positive scores above a random negative,
// a tied pair counting one half (the Mann–Whitney statistic with average
// ranks). It is NaN when y holds only one class or the input is malformed.
func ROCAUC(y, p []float64) float64 {
	positives, err := checkScores(y, p)
	if err != nil {
		return math.NaN()
	}
	return rocAUC(rank(y, p), positives)
}

func rocAUC(rows []rankedRow, positives int) float64 {
	negatives := len(rows) - positives
	if positives == 0 || negatives == 0 {
		return math.NaN()
	}
	// Count correctly ordered pairs twice over, so that a tied pair adds
	// one and the sum stays an exact integer however many rows there are.
	var twice int64
	below := int64(negatives) // negatives scored below the current group
	for start := 0; start < len(rows); {
		end, pos, neg := tieGroup(rows, start)
		below -= int64(neg)
		twice += int64(pos) * (2*below + int64(neg))
		start = end
	}
	return float64(twice) / (2 * float64(positives) * float64(negatives))
}

// PRAUC returns the average precision of scores p for labels y, as
// scikit-learn's average_precision_score defines it: the sum over distinct
// score thresholds, highest first, of the precision at the threshold times
// the recall it adds. Tied scores form one threshold. Unlike the trapezoid
// area under the precision–recall curve, it never interpolates between
// operating points, which would overstate precision. It is NaN when y has
// no positives (recall is undefined) or the input is malformed.
func PRAUC(y, p []float64) float64 {
	positives, err := checkScores(y, p)
	if err != nil {
		return math.NaN()
	}
	return averagePrecision(rank(y, p), positives)
}

func averagePrecision(rows []rankedRow, positives int) float64 {
	if positives == 0 {
		return math.NaN()
	}
	var sum float64
	truePos, flagged := 0, 0
	for start := 0; start < len(rows); {
		end, pos, _ := tieGroup(rows, start)
		truePos += pos
		flagged += end - start
		// The recall step is pos/positives; the division is done once
		// at the end.
		sum += float64(pos) * float64(truePos) / float64(flagged)
		start = end
	}
	return sum / float64(positives)
}

// ValidationAUC labels the one ROC AUC every report of a model shows: that
// of the scores the model serves, on the validation weeks held out after
// the training weeks. Calibration is monotone, so it is the ROC AUC of
// the model's raw scores too.
const ValidationAUC = "validation ROC AUC (out of time)"
