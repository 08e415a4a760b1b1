package metrics

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSummarize checks that the shared sort gives what each metric gives
// on its own.
func TestSummarize(t *testing.T) {
	z, y := simulate(5000, 1.3, -1.5, 3)
	p := probabilities(z)
	s := Summarize(y, p)
	positives := 0
	for _, v := range y {
		positives += int(v)
	}
	if s.Rows != len(y) || s.Positives != positives {
		t.Errorf("Rows, Positives = %d, %d, want %d, %d", s.Rows, s.Positives, len(y), positives)
	}
	for _, m := range []struct {
		name      string
		got, want float64
	}{
		{"ROCAUC", s.ROCAUC, ROCAUC(y, p)},
		{"PRAUC", s.PRAUC, PRAUC(y, p)},
		{"LogLoss", s.LogLoss, LogLoss(y, p)},
		{"Brier", s.Brier, Brier(y, p)},
	} {
		if m.got != m.want || math.IsNaN(m.got) {
			t.Errorf("%s = %v, want %v", m.name, m.got, m.want)
		}
	}
	if want := TopFraction(y, p, 0.1); !sameLift(s.TopDecile, want) || s.TopDecile.Rows != 500 {
		t.Errorf("TopDecile = %+v, want %+v", s.TopDecile, want)
	}
	if want := Calibration(y, p, 10); !sameBins(s.Calibration, want) || len(want) != 10 {
		t.Errorf("Calibration = %+v, want %+v", s.Calibration, want)
	}
}

func TestSummarizeMalformed(t *testing.T) {
	for _, m := range slices.Concat(malformed, []labelled{{"log-odds", []float64{0, 1}, []float64{-2, 3}}}) {
		t.Run(m.name, func(t *testing.T) {
			s := Summarize(m.y, m.p)
			if s.Rows != 0 || s.Positives != 0 || s.Calibration != nil ||
				!math.IsNaN(s.ROCAUC) || !math.IsNaN(s.PRAUC) || !math.IsNaN(s.LogLoss) ||
				!math.IsNaN(s.Brier) || !math.IsNaN(s.TopDecile.Lift) {
				t.Errorf("Summarize = %+v, want zero counts and NaN metrics", s)
			}
		})
	}
}

func TestSummaryJSON(t *testing.T) {
	tests := []struct {
		name  string
		y, p  []float64
		nulls []string // keys that must be written as null
	}{
		{"defined", []float64{0, 1, 0, 1}, []float64{0.2, 0.7, 0.4, 0.6}, nil},
		// One class: both AUCs, lift and capture are undefined.
		{"one class", []float64{0, 0, 0}, []float64{0.2, 0.7, 0.4}, []string{"roc_auc", "pr_auc", "lift", "capture"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Summarize(tt.y, tt.p)
			data, err := json.Marshal(want)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			for _, key := range []string{"rows", "positives", "roc_auc", "pr_auc", "log_loss", "brier", "top_decile", "fraction", "precision", "calibration", "mean_predicted", "observed_rate"} {
				if !strings.Contains(string(data), `"`+key+`":`) {
					t.Errorf("JSON %s lacks key %q", data, key)
				}
			}
			for _, key := range tt.nulls {
				if !strings.Contains(string(data), `"`+key+`":null`) {
					t.Errorf("JSON %s does not write %q as null", data, key)
				}
			}
			var got Summary
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			// NaN ≠ NaN, so compare the re-encoded forms.
			again, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("Marshal again: %v", err)
			}
			if string(again) != string(data) || !sameNaNs(got, want) {
				t.Errorf("round trip gave %s (%+v), want %s", again, got, data)
			}
		})
	}
}

// sameNaNs reports whether a and b have NaN in the same float fields.
func sameNaNs(a, b Summary) bool {
	nans := func(s Summary) []bool {
		return []bool{
			math.IsNaN(s.ROCAUC), math.IsNaN(s.PRAUC), math.IsNaN(s.LogLoss), math.IsNaN(s.Brier),
			math.IsNaN(s.TopDecile.Fraction), math.IsNaN(s.TopDecile.Precision),
			math.IsNaN(s.TopDecile.Lift), math.IsNaN(s.TopDecile.Capture),
		}
	}
	return reflect.DeepEqual(nans(a), nans(b))
}

func TestSummaryUnmarshalError(t *testing.T) {
	for _, data := range []string{`{"roc_auc":"high"}`, `{"top_decile":{"lift":true}}`, `[1]`} {
		var s Summary
		if err := json.Unmarshal([]byte(data), &s); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want an error", data)
		}
	}
}

func BenchmarkSummarize(b *testing.B) {
	z, y := simulate(500_000, 1, -2, 1)
	p := probabilities(z)
	b.ReportAllocs()
	for b.Loop() {
		Summarize(y, p)
	}
}
