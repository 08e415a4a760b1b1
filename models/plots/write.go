package plots

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/churnlabs/churn/features/publish"
)

// The choices WriteAll makes for its charts.
const (
	// calibrationBins matches the bins of metrics.Summary, so that the
	// chart draws the table in metrics.json.
	calibrationBins = 10
	// importanceTop keeps the importance chart at a size a reader takes
	// in at once; the features below it contribute little.
	importanceTop = 15
)

// WriteAll writes roc.png, lift.png, calibration.png and importance.png
// into dir, each atomically via publish.File, so a reader
// never sees a half-drawn chart. It checks all the input before writing
// anything, so that bad input leaves dir untouched. The importance chart
// shows the top 15 features by meanAbs, the mean absolute contribution to
// the log-odds of the feature of the same index in names, and the
// calibration chart 10 bins, as metrics.Summary reports them.
func WriteAll(dir string, curves []Curve, names []string, meanAbs []float64) error {
	if err := checkCurves(curves); err != nil {
		return err
	}
	if err := checkImportance(names, meanAbs, importanceTop); err != nil {
		return err
	}
	for i, c := range curves {
		// ROC needs both classes, which implies the churner that the
		// gains chart needs.
		if _, _, err := c.bothClasses(); err != nil {
			return curveError(i, c, err)
		}
	}
	charts := []struct {
		file string
		draw func(io.Writer) error
	}{
		{"roc.png", func(w io.Writer) error { return ROC(w, curves) }},
		{"lift.png", func(w io.Writer) error { return Lift(w, curves) }},
		{"calibration.png", func(w io.Writer) error { return Calibration(w, curves, calibrationBins) }},
		{"importance.png", func(w io.Writer) error {
			return Importance(w, importanceTitle(len(names)), names, meanAbs, importanceTop)
		}},
	}
	for _, c := range charts {
		// publish.File's error names the file.
		if err := publish.File(filepath.Join(dir, c.file), c.draw); err != nil {
			return err
		}
	}
	return nil
}

// importanceTitle says when the importance chart leaves features out, so
// that a reader does not take a missing feature for one the model lacks.
func importanceTitle(features int) string {
	if features > importanceTop {
		return fmt.Sprintf("Feature importance (top %d of %d)", importanceTop, features)
	}
	return "Feature importance"
}
