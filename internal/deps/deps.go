// Package deps pins the product's dependencies in go.mod while the packages
// that use them are being written. Delete it once every import is real.
package deps

import (
	_ "github.com/gin-gonic/gin"
	_ "github.com/parquet-go/parquet-go"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/sjwhitworth/golearn/base"
	_ "github.com/sjwhitworth/golearn/ensemble"
	_ "github.com/sjwhitworth/golearn/evaluation"
	_ "github.com/sjwhitworth/golearn/linear_models"
	_ "github.com/sjwhitworth/golearn/trees"
	_ "gonum.org/v1/gonum/floats"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/gonum/optimize"
	_ "gonum.org/v1/gonum/stat"
	_ "gonum.org/v1/gonum/stat/distuv"
	_ "gonum.org/v1/plot"
	_ "gonum.org/v1/plot/plotter"
	_ "gonum.org/v1/plot/vg"
)
