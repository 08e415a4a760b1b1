package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCDNOWLogisticRefit runs CDNOW through the accuracy bench's route
// (events to snapshots, a features directory, train --features) with
// logistic. One of the refit's calibration folds reaches a point where
// the Newton step's predicted decrease (slope -9e-14 on an objective of
// 0.36) is lost in rounding, which once failed the whole command with
// "no decrease along the Newton step": such a point is the optimum to
// the objective's precision, and the fit must end there.
func TestCDNOWLogisticRefit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on CDNOW's 370k rows")
	}
	events := realTable(t, filepath.Join("cdnow", "CDNOW_master.txt"))
	dir := t.TempDir()
	snap, feat, model := filepath.Join(dir, "snapshots.csv"), filepath.Join(dir, "features"), filepath.Join(dir, "model")
	mustChurn(t, "snapshots", "--events", events, "--account", "customer_id", "--time", "date", "--time-format", "20060102",
		"--sum", "dollar_value", "--sum", "number_of_cds", "--churn-after-silence", "90d", "--out", snap)
	mustChurn(t, "features", "--snapshots", snap, "--horizon", "12", "--valid-weeks", "13", "--format", "csv", "--out", feat)
	out := mustChurn(t, "train", "--features", feat, "--model", "logistic", "--no-plots", "--out", model)
	if !strings.Contains(out, "served: logistic refitted on every matured week") {
		t.Errorf("no refit served:\n%s", out)
	}
}
