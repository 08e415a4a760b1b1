package monitor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle/monitor"
)

// TestReportJSON: a group with one class has NaN figures, written as
// null rather than failing the encoding.
func TestReportJSON(t *testing.T) {
	recs, fates := history(6, week0, "v1", perfect)
	for id := range fates {
		fates[id] = monitor.Fate{Last: asOf, ChurnWeek: features.NoDate} // nobody churns
	}
	r, err := monitor.Evaluate(recs, fates, monitor.Options{Horizon: horizon, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Horizon     int `json:"horizon_weeks"`
		Performance []struct {
			Rows int `json:"rows"`
			AUC  struct {
				Estimate *float64 `json:"estimate"`
			} `json:"roc_auc"`
		} `json:"performance"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Horizon != horizon || len(doc.Performance) == 0 || doc.Performance[0].Rows != 6 || doc.Performance[0].AUC.Estimate != nil {
		t.Errorf("JSON %s: want horizon %d, 6 rows and a null AUC", b, horizon)
	}
	if !strings.Contains(string(b), `"pr_auc":{"estimate":null`) {
		t.Errorf("JSON %s: want pr_auc null", b)
	}
}
