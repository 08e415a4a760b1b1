package metrics

import (
	"encoding/json"
	"math"

	"github.com/churnlabs/churn/features/jsonfloat"
)

// Summary is the validation report of one model on one data set.
//
// Undefined metrics are NaN in Go and null in JSON, because encoding/json
// cannot write NaN and a one-class segment must not fail the whole report.
type Summary struct {
	Rows      int     `json:"rows"`
	Positives int     `json:"positives"`
	ROCAUC    float64 `json:"roc_auc"`
	PRAUC     float64 `json:"pr_auc"`
	LogLoss   float64 `json:"log_loss"`
	Brier     float64 `json:"brier"`
	// TopDecile is the Lift of the top 10% of rows.
	TopDecile Lift `json:"top_decile"`
	// Calibration has up to 10 equal-frequency bins.
	Calibration []CalibrationBin `json:"calibration"`
}

// Summary's fixed choices, which reports compare across models and so must
// not vary.
const (
	topDecile   = 0.1
	summaryBins = 10
)

// Summarize computes every metric of labels y and probabilities p with a
// single sort. For malformed input, or p outside [0, 1], the counts are
// zero, the metrics NaN and Calibration nil.
func Summarize(y, p []float64) Summary {
	positives, err := checkProbabilities(y, p)
	if err != nil {
		nan := math.NaN()
		return Summary{
			ROCAUC:    nan,
			PRAUC:     nan,
			LogLoss:   nan,
			Brier:     nan,
			TopDecile: Lift{Fraction: topDecile, Precision: nan, Lift: nan, Capture: nan},
		}
	}
	rows := rank(y, p)
	return Summary{
		Rows:        len(y),
		Positives:   positives,
		ROCAUC:      rocAUC(rows, positives),
		PRAUC:       averagePrecision(rows, positives),
		LogLoss:     logLoss(y, p),
		Brier:       brier(y, p),
		TopDecile:   topFraction(rows, positives, topDecile),
		Calibration: calibration(rows, summaryBins),
	}
}

// MarshalJSON encodes s with its fields' tags, writing NaN metrics as null.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.wire())
}

// UnmarshalJSON decodes what MarshalJSON wrote, reading null metrics back
// as NaN.
func (s *Summary) UnmarshalJSON(data []byte) error {
	w := s.wire()
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*s = Summary(w.plainSummary)
	s.ROCAUC, s.PRAUC = float64(w.ROCAUC), float64(w.PRAUC)
	s.LogLoss, s.Brier = float64(w.LogLoss), float64(w.Brier)
	return nil
}

// plainSummary has Summary's fields and tags but not its methods, so
// encoding it does not recurse into MarshalJSON.
type plainSummary Summary

// summaryWire is Summary as JSON carries it: its float fields shadow the
// embedded ones with the same keys, since encoding/json prefers the
// shallower field.
type summaryWire struct {
	plainSummary
	ROCAUC  jsonfloat.Float `json:"roc_auc"`
	PRAUC   jsonfloat.Float `json:"pr_auc"`
	LogLoss jsonfloat.Float `json:"log_loss"`
	Brier   jsonfloat.Float `json:"brier"`
}

func (s Summary) wire() summaryWire {
	return summaryWire{
		plainSummary: plainSummary(s),
		ROCAUC:       jsonfloat.Float(s.ROCAUC),
		PRAUC:        jsonfloat.Float(s.PRAUC),
		LogLoss:      jsonfloat.Float(s.LogLoss),
		Brier:        jsonfloat.Float(s.Brier),
	}
}

// MarshalJSON encodes l with its fields' tags, writing NaN ratios as null.
func (l Lift) MarshalJSON() ([]byte, error) {
	return json.Marshal(l.wire())
}

// UnmarshalJSON decodes what MarshalJSON wrote, reading null ratios back
// as NaN.
func (l *Lift) UnmarshalJSON(data []byte) error {
	w := l.wire()
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*l = Lift(w.plainLift)
	l.Fraction, l.Precision = float64(w.Fraction), float64(w.Precision)
	l.Lift, l.Capture = float64(w.Lift), float64(w.Capture)
	return nil
}

// plainLift and liftWire play the roles of plainSummary and summaryWire.
type plainLift Lift

type liftWire struct {
	plainLift
	Fraction  jsonfloat.Float `json:"fraction"`
	Precision jsonfloat.Float `json:"precision"`
	Lift      jsonfloat.Float `json:"lift"`
	Capture   jsonfloat.Float `json:"capture"`
}

func (l Lift) wire() liftWire {
	return liftWire{
		plainLift: plainLift(l),
		Fraction:  jsonfloat.Float(l.Fraction),
		Precision: jsonfloat.Float(l.Precision),
		Lift:      jsonfloat.Float(l.Lift),
		Capture:   jsonfloat.Float(l.Capture),
	}
}
