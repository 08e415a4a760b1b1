package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/serve"
)

// Example trains a model on simulated snapshots, serves it, and asks for
// one account's score with its explanation.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "serve-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Snapshots as a customer would provide them, and a model trained on
	// them, as "churn gen" and "churn train" write them.
	path := filepath.Join(dir, "snapshots.csv")
	err = publish.File(path, func(w io.Writer) error {
		cw, err := csvfile.NewWriter(w, simulate.Schema())
		if err != nil {
			return err
		}
		if err := simulate.Run(ctx, simulate.Config{Accounts: 300, Weeks: 70, Seed: 5}, cw, nil); err != nil {
			return err
		}
		return cw.Flush()
	})
	if err != nil {
		log.Fatal(err)
	}
	snapshots := csvfile.Source(path)
	tab, err := features.Build(ctx, snapshots, features.BuildOptions{})
	if err != nil {
		log.Fatal(err)
	}
	split, err := tab.Split(features.SplitOptions{Horizon: 8, ValidWeeks: 8})
	if err != nil {
		log.Fatal(err)
	}
	res, err := models.Train(ctx, split, tab.Spec, models.TrainOptions{Kinds: []string{models.Logistic}})
	if err != nil {
		log.Fatal(err)
	}
	modelDir := filepath.Join(dir, "model")
	if err := models.Save(modelDir, res.Chosen, res.Report); err != nil {
		log.Fatal(err)
	}

	srv, err := serve.New(ctx, serve.Config{ModelDir: modelDir, Snapshots: snapshots})
	if err != nil {
		log.Fatal(err)
	}
	// ListenAndServe(ctx, "127.0.0.1:8080") would listen; here the handler is
	// called directly.
	var ranking struct {
		Accounts []struct {
			ID string `json:"account_id"`
		} `json:"accounts"`
	}
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/v1/ranking?limit=1", nil))
	if err := json.Unmarshal(w.Body.Bytes(), &ranking); err != nil {
		log.Fatal(err)
	}
	w = httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/v1/accounts/"+ranking.Accounts[0].ID+"/score", nil))
	var score map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &score); err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", w.Code)
	var fields []string
	for k := range score {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	fmt.Println("fields:", fields)
	sum := score["base_value"].(float64)
	for _, c := range score["contributions"].(map[string]any) {
		sum += c.(float64)
	}
	fmt.Println("base_value + contributions == log_odds:", math.Abs(sum-score["log_odds"].(float64)) < 1e-9)
	fmt.Println("served model:", score["model_version"] == srv.ModelVersion())
	// Output:
	// status: 200
	// fields: [account_id base_value churn_probability contributions drivers health log_odds model_version week]
	// base_value + contributions == log_odds: true
	// served model: true
}
