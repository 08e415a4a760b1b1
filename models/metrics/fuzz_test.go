package metrics

import (
	"math"
	"testing"
)

// FuzzMetrics decodes bytes into labelled scores with heavy ties and checks
// every function against its definition or its invariants.
func FuzzMetrics(f *testing.F) {
	f.Add([]byte{0x01})
	f.Add([]byte{0x00, 0x01, 0x02, 0x03})
	f.Add([]byte{0x0f, 0x0e, 0x0e, 0x01, 0x00, 0x08, 0x09, 0x0c, 0xff})
	f.Add([]byte("churned accounts, weekly"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 300 {
			data = data[:300] // the brute-force references are quadratic
		}
		// Each byte is a row: the low bit is the label, the next three
		// bits one of eight probabilities.
		y := make([]float64, len(data))
		p := make([]float64, len(data))
		positives := 0
		for i, b := range data {
			y[i] = float64(b & 1)
			p[i] = float64(b>>1&7) / 7
			positives += int(b & 1)
		}
		if len(data) == 0 {
			if s := Summarize(y, p); s.Rows != 0 || !math.IsNaN(s.ROCAUC) {
				t.Fatalf("Summarize of nothing = %+v", s)
			}
			return
		}

		s := Summarize(y, p)
		if s.Rows != len(y) || s.Positives != positives {
			t.Fatalf("Rows, Positives = %d, %d, want %d, %d", s.Rows, s.Positives, len(y), positives)
		}
		if want := bruteROCAUC(y, p); !near(s.ROCAUC, want, 1e-12) {
			t.Errorf("ROCAUC = %v, brute force %v", s.ROCAUC, want)
		}
		if want := brutePRAUC(y, p); !near(s.PRAUC, want, 1e-12) {
			t.Errorf("PRAUC = %v, brute force %v", s.PRAUC, want)
		}

		frac := float64(data[0]%10+1) / 10
		l := TopFraction(y, p, frac)
		if want := int(math.Ceil(frac*float64(len(y)) - 1e-9)); l.Rows != max(want, 1) ||
			l.Positives > min(l.Rows, positives) || (positives > 0 && !near(l.Capture, float64(l.Positives)/float64(positives), 1e-12)) {
			t.Errorf("TopFraction(%v) = %+v with %d rows, %d positives", frac, l, len(y), positives)
		}

		checkBins(t, s.Calibration, len(y))

		c, err := FitIsotonic(p, y)
		if err != nil {
			t.Fatalf("FitIsotonic: %v", err)
		}
		fitted := make([]float64, len(p))
		for i, v := range p {
			fitted[i] = c.Predict(v)
			if i > 0 && (p[i] <= p[i-1] && fitted[i] > fitted[i-1] || p[i] >= p[i-1] && fitted[i] < fitted[i-1]) {
				t.Fatalf("isotonic fit reverses scores %v, %v: %v, %v", p[i-1], p[i], fitted[i-1], fitted[i])
			}
		}
		if raw, got := Brier(y, p), Brier(y, fitted); got > raw+1e-12 {
			t.Errorf("isotonic Brier %v, raw %v", got, raw)
		}

		z := make([]float64, len(p))
		for i, v := range p {
			z[i] = 4*v - 2
		}
		if pl, err := FitPlatt(z, y); err != nil || math.IsNaN(pl.A) || math.IsInf(pl.A, 0) {
			t.Errorf("FitPlatt = %+v, %v", pl, err)
		}
	})
}

// checkBins checks that bins partition n rows into increasing, disjoint
// probability ranges whose means and rates are consistent.
func checkBins(t *testing.T, bins []CalibrationBin, n int) {
	t.Helper()
	rows := 0
	for i, b := range bins {
		rows += b.Rows
		if b.Rows < 1 || b.Lo > b.Hi || b.MeanPredicted < b.Lo-1e-12 || b.MeanPredicted > b.Hi+1e-12 ||
			b.ObservedRate < 0 || b.ObservedRate > 1 || (i > 0 && bins[i-1].Hi >= b.Lo) {
			t.Fatalf("bin %d of %+v is inconsistent", i, bins)
		}
	}
	if rows != n || len(bins) > summaryBins {
		t.Fatalf("%d bins hold %d rows, want at most %d bins holding %d", len(bins), rows, summaryBins, n)
	}
}
