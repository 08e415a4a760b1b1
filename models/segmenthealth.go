package models

import (
	"fmt"
	"maps"
	"slices"
)

// MinSegmentRows is the fewest validation account-weeks a segment needs
// for cut-offs of its own. Its red cut-off is then the fifth riskiest of
// them: with fewer, one account's weeks would set it, and the segment
// keeps the model's cut-offs instead.
const MinSegmentRows = 50

// SegmentHealth is a renewal segment's own health cut-offs and what they
// were learned from.
type SegmentHealth struct {
	Health
	// Rows and Churners count the segment's validation account-weeks and
	// those labelled churned.
	Rows     int `json:"rows"`
	Churners int `json:"churners"`
	// Learned is false when the segment had too few rows or no churner:
	// Health is then the model's, and Rule says why.
	Learned bool `json:"learned"`
}

// SegmentHealthFrom learns each segment's health cut-offs by the rule of
// the model-wide ones (red the riskiest 10%, yellow the next 20%) from
// the validation account-weeks of that segment alone: segment[i] names
// the segment of the row whose calibrated probability is p[i] and label
// label[i]. names lists every segment, so that one without rows gets an
// entry too. A segment with fewer than MinSegmentRows rows, or without a
// churner, keeps model, the model's cut-offs: a decile of a handful of
// rows, or of rows that never churned, says nothing of the segment's
// risk.
func SegmentHealthFrom(names, segment []string, p, label []float64, model Health) (map[string]SegmentHealth, error) {
	if len(segment) != len(p) || len(p) != len(label) {
		return nil, fmt.Errorf("segment health: %d segments, %d probabilities and %d labels: want one of each per row",
			len(segment), len(p), len(label))
	}
	probs := map[string][]float64{}
	churners := map[string]int{}
	for i, g := range segment {
		probs[g] = append(probs[g], p[i])
		if label[i] == 1 {
			churners[g]++
		}
	}
	out := make(map[string]SegmentHealth, len(names))
	for _, name := range names {
		ps := probs[name]
		sh := SegmentHealth{Rows: len(ps), Churners: churners[name]}
		switch {
		case len(ps) < MinSegmentRows:
			sh.Health = model
			sh.Rule = fmt.Sprintf("the model's cut-offs: %d validation account-weeks in the segment, fewer than %d", len(ps), MinSegmentRows)
		case churners[name] == 0:
			sh.Health = model
			sh.Rule = fmt.Sprintf("the model's cut-offs: no churner among the segment's %d validation account-weeks", len(ps))
		default:
			sh.Health = healthFrom(ps)
			sh.Rule = "red: riskiest 10% of the segment's validation account-weeks; yellow: next 20%"
			sh.Learned = true
		}
		out[name] = sh
	}
	return out, nil
}

// checkSegmentHealth verifies the segment cut-offs as the model's.
func checkSegmentHealth(sh map[string]SegmentHealth) error {
	for _, name := range slices.Sorted(maps.Keys(sh)) {
		h := sh[name]
		if name == "" {
			return fmt.Errorf("segment_health: a segment without a name")
		}
		if err := h.Health.check(); err != nil {
			return fmt.Errorf("segment_health %q: %w", name, err)
		}
		if h.Rows < 0 || h.Churners < 0 || h.Churners > h.Rows {
			return fmt.Errorf("segment_health %q: %d churners of %d rows", name, h.Churners, h.Rows)
		}
	}
	return nil
}
