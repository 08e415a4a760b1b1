package plots

import (
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var chartFiles = []string{"calibration.png", "importance.png", "lift.png", "roc.png"}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	curves := []Curve{synthetic("logistic", 2000, 1, 1.5), synthetic("gbm", 2000, 2, 2)}
	names := []string{"logins", "recency_days", "sla_breaches"}
	if err := WriteAll(dir, curves, names, []float64{0.3, 0.5, 0.1}); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); !slices.Equal(got, chartFiles) {
		t.Fatalf("dir holds %v, want %v", got, chartFiles)
	}
	for _, name := range chartFiles {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s is not a PNG: %v", name, err)
		}
	}
}

// TestWriteAllChecksFirst checks that input one chart cannot draw fails
// before any chart is written.
func TestWriteAllChecksFirst(t *testing.T) {
	good := []Curve{synthetic("logistic", 100, 1, 1.5)}
	stayers := []Curve{{Name: "stayers", Label: []float64{0, 0}, Prob: []float64{0.1, 0.2}}}
	tests := []struct {
		name    string
		curves  []Curve
		names   []string
		meanAbs []float64
		want    string
	}{
		{"no curves", nil, []string{"logins"}, []float64{1}, "no curves"},
		{"one class", stayers, []string{"logins"}, []float64{1}, "needs both churners and non-churners"},
		{"no features", good, nil, nil, "no features"},
		{"bad importance", good, []string{"logins"}, []float64{-1}, `importance of "logins" is -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			assertError(t, WriteAll(dir, tt.curves, tt.names, tt.meanAbs), tt.want)
			if got := listDir(t, dir); len(got) != 0 {
				t.Errorf("dir holds %v after the error, want nothing", got)
			}
		})
	}
}

func TestWriteAllMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	err := WriteAll(dir, []Curve{synthetic("logistic", 100, 1, 1.5)}, []string{"logins"}, []float64{1})
	assertError(t, err, filepath.Join(dir, "roc.png"))
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestImportanceTitle(t *testing.T) {
	tests := []struct {
		features int
		want     string
	}{
		{3, "Feature importance"},
		{importanceTop, "Feature importance"},
		{importanceTop + 3, "Feature importance (top 15 of 18)"},
	}
	for _, tt := range tests {
		if got := importanceTitle(tt.features); got != tt.want {
			t.Errorf("importanceTitle(%d) = %q, want %q", tt.features, got, tt.want)
		}
	}
}
