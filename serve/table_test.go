package serve

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

// tableModel trains a small customer table's gbm and saves it in a
// directory of its own.
func tableModel(t *testing.T) string {
	t.Helper()
	spec := features.Spec{Table: &features.TableSpec{Label: "y", Columns: []features.Column{
		{Name: "plan", Levels: []string{"basic", "pro"}, Missing: true},
		{Name: "seats"},
	}}}
	ds := &features.Dataset{Features: spec.Names()}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 400 {
		plan, seats := rng.IntN(2), float64(rng.IntN(20))
		x := []float64{float64(1 - plan), float64(plan), 0, seats}
		y := 0.0
		if rng.Float64() < 1/(1+math.Exp(-(float64(plan)*1.5-1+0.05*seats))) {
			y = 1
		}
		ds.Append(fmt.Sprint(i), 0, x)
		ds.Label = append(ds.Label, y)
	}
	var p models.Params
	p.GBM.Trees = 30
	res, err := models.TrainCV(context.Background(), ds, spec, models.CVOptions{Kinds: []string{models.GBM}, Params: p, Folds: 3})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := models.Save(dir, res.Chosen, res.Report); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestServeTableModel serves a customer table's model without snapshots:
// POST /v1/score takes raw columns, categories as strings, and answers
// contributions per column that add up to the log-odds; an unseen
// category is scored as missing and listed; bad rows are 400s naming the
// row and column.
func TestServeTableModel(t *testing.T) {
	srv, err := New(context.Background(), Config{ModelDir: tableModel(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e := &env{srv: srv, h: srv.Handler()}

	if w := e.do(http.MethodGet, "/v1/model", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"columns"`) {
		t.Errorf("GET /v1/model: %d %s", w.Code, w.Body)
	}
	for _, path := range []string{"/v1/ranking", "/v1/crm?crm=hubspot", "/v1/accounts/a/score", "/v1/accounts/a", "/v1/model/performance"} {
		if w := e.do(http.MethodGet, path, ""); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "customer table") {
			t.Errorf("GET %s: %d %s, want 404 saying the model has no accounts", path, w.Code, w.Body)
		}
	}
	w := e.do(http.MethodPost, "/v1/score", `{"rows":[{"plan":"pro","seats":12},{"plan":"gold","seats":5},{"seats":3}]}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	type tableScore struct {
		scoreJSON
		Unseen []string `json:"unseen_categories"`
	}
	got := decode[struct{ Scores []tableScore }](t, w)
	if len(got.Scores) != 3 {
		t.Fatalf("%d scores", len(got.Scores))
	}
	for i, sc := range got.Scores {
		if err := sc.check([]string{"plan", "seats"}); err != nil {
			t.Errorf("rows[%d]: %v", i, err)
		}
	}
	if fmt.Sprint(got.Scores[1].Unseen, got.Scores[1].Missing) != "[plan] [plan]" ||
		got.Scores[0].Unseen != nil || fmt.Sprint(got.Scores[2].Missing) != "[plan]" {
		t.Errorf("unseen and missing: %+v", got.Scores)
	}
	if *got.Scores[0].Contributions["plan"] == 0 {
		t.Error("plan contributes nothing to a pro row")
	}

	for _, c := range []struct{ body, want string }{
		{`{"features":{"plan":"pro","seats":"twelve"}}`, `column \"seats\": \"twelve\" is not a number`},
		{`{"features":{"colour":"red"}}`, `unknown column \"colour\"`},
		{`{"rows":[{"plan":"pro"},{"plan":null}]}`, `rows[1]: every column of the model is missing`},
	} {
		w := e.do(http.MethodPost, "/v1/score", c.body)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), c.want) {
			t.Errorf("%s: %d %s, want 400 with %s", c.body, w.Code, w.Body, c.want)
		}
	}
}
