package metrics

// CalibrationBin is one bin of a reliability diagram: rows with similar
// predicted probability, and how often they were in fact positive.
type CalibrationBin struct {
	// Lo and Hi are the lowest and highest probability in the bin.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Rows counts the rows in the bin.
	Rows int `json:"rows"`
	// MeanPredicted is the mean probability of the rows.
	MeanPredicted float64 `json:"mean_predicted"`
	// ObservedRate is the share of positives among the rows. A
	// well-calibrated model has it close to MeanPredicted.
	ObservedRate float64 `json:"observed_rate"`
}

// Calibration sorts the rows by probability p and cuts them into at most
// bins bins of near-equal size, lowest probabilities first. Equal-frequency
// bins keep every bin's observed rate equally trustworthy, where
// equal-width bins would leave the high-risk end, with few rows, to noise.
//
// A run of equal probabilities is never split between bins, since a bin
// boundary inside it would be arbitrary; a bin that such a run swallows is
// dropped, so heavy ties give fewer bins. Calibration returns nil when bins
// is less than one or the input is malformed (see LogLoss).
func Calibration(y, p []float64, bins int) []CalibrationBin {
	if _, err := checkProbabilities(y, p); err != nil || bins < 1 {
		return nil
	}
	return calibration(rank(y, p), bins)
}

// calibration bins a ranking, which is highest score first: the j-th
// lowest probability is rows[n-1-j].
func calibration(rows []rankedRow, bins int) []CalibrationBin {
	n := len(rows)
	bins = min(bins, n)
	ascending := func(j int) rankedRow { return rows[n-1-j] }
	out := make([]CalibrationBin, 0, bins)
	start := 0
	for b := 1; b <= bins; b++ {
		// In int64 so that b·n cannot overflow where int is 32 bits.
		end := int(int64(b) * int64(n) / int64(bins))
		if end <= start {
			continue // the previous bin took this one's rows with a tie
		}
		for end < n && ascending(end).score == ascending(end-1).score {
			end++
		}
		var sum float64
		positives := 0
		for j := start; j < end; j++ {
			r := ascending(j)
			sum += r.score
			if r.positive {
				positives++
			}
		}
		size := end - start
		out = append(out, CalibrationBin{
			Lo:            ascending(start).score,
			Hi:            ascending(end - 1).score,
			Rows:          size,
			MeanPredicted: sum / float64(size),
			ObservedRate:  float64(positives) / float64(size),
		})
		start = end
	}
	return out
}
