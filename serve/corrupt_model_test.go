package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/churnlabs/churn/models"
)

// TestReloadRejectsAbsurdModel installs a model.json that parses but
// holds absurd numbers, each with a version matching its content as a
// tool rewriting the file would compute it, or one edited by hand
// without: a reload must answer 422 naming the field and keep serving
// the previous model, rather than serve NaN scores coloured green.
func TestReloadRejectsAbsurdModel(t *testing.T) {
	leaf := func(a *models.Artifact) *float64 {
		for i, n := range a.GBM.Ensemble.Trees[0].Nodes {
			if n.IsLeaf() {
				return &a.GBM.Ensemble.Trees[0].Nodes[i].Value
			}
		}
		t.Fatal("no leaf in the first tree")
		return nil
	}
	for _, c := range []struct {
		name  string
		spoil func(a *models.Artifact)
		want  string
	}{
		{"calibration slope 1e308", func(a *models.Artifact) { a.Calibration.A = 1e308 }, "calibration.a"},
		{"leaf value 1e308", func(a *models.Artifact) { *leaf(a) = 1e308 }, "gbm.ensemble.trees[0].nodes["},
		{"health red -1", func(a *models.Artifact) { a.Health.Red = -1 }, "health.red"},
		{"edited by hand", nil, "does not match the content"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, models.GBM)
			id := e.anAccount()
			before := e.do("GET", "/v1/accounts/"+id+"/score", "").Body.String()
			path := filepath.Join(e.modelDir, models.ModelFile)
			if c.spoil == nil {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, path, strings.Replace(string(b), `"rule": "red`, `"rule": "Red`, 1))
			} else {
				a, err := models.Load(e.modelDir)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := models.LoadReport(e.modelDir)
				if err != nil {
					t.Fatal(err)
				}
				c.spoil(a)
				if err := models.Save(e.modelDir, a, rep); err != nil {
					t.Fatal(err)
				}
			}
			w := e.do("POST", "/v1/admin/reload", "")
			if w.Code != 422 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			wantError(c.want)(t, w)
			wantError(models.ModelFile)(t, w)
			if v := e.srv.ModelVersion(); v != fixture.versions[models.GBM] {
				t.Errorf("serving %s after a rejected reload", v)
			}
			if after := e.do("GET", "/v1/accounts/"+id+"/score", "").Body.String(); after != before {
				t.Errorf("score changed after a rejected reload:\n%s\n%s", before, after)
			}
		})
	}
}
