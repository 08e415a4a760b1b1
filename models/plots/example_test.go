package plots_test

import (
	"bytes"
	"fmt"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/churnlabs/churn/models/plots"
)

func ExampleROC() {
	// Two models scored on the same six validation accounts, two of
	// which churned.
	label := []float64{0, 1, 0, 0, 1, 0}
	curves := []plots.Curve{
		{Name: "logistic", Label: label, Prob: []float64{0.10, 0.62, 0.35, 0.08, 0.41, 0.50}},
		{Name: "gbm", Label: label, Prob: []float64{0.05, 0.71, 0.22, 0.05, 0.66, 0.30}},
	}
	var buf bytes.Buffer
	if err := plots.ROC(&buf, curves); err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d PNG\n", cfg.Width, cfg.Height)
	// Output:
	// 576×384 PNG
}

func ExampleWriteAll() {
	dir, err := os.MkdirTemp("", "model")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	curves := []plots.Curve{{
		Name:  "logistic",
		Label: []float64{0, 1, 0, 0, 1, 0},
		Prob:  []float64{0.10, 0.62, 0.35, 0.08, 0.41, 0.50},
	}}
	names := []string{"logins", "recency_days", "sla_breaches"}
	meanAbs := []float64{0.31, 0.52, 0.12}
	if err := plots.WriteAll(dir, curves, names, meanAbs); err != nil {
		log.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// calibration.png
	// importance.png
	// lift.png
	// roc.png
}

func ExampleImportance() {
	names := []string{"logins", "frequency", "recency_days", "sla_breaches"}
	meanAbs := []float64{0.31, 0.08, 0.52, 0.12}
	var buf bytes.Buffer
	// The top two: recency_days, then logins.
	if err := plots.Importance(&buf, "Top features", names, meanAbs, 2); err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d PNG\n", cfg.Width, cfg.Height)
	// Output:
	// 576×384 PNG
}
