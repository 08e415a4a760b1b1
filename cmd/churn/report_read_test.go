package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestReportReadsOnce: churn report builds the retention book and the
// feature table from one read of the snapshot file, which it opens once
// when its rows are in week order.
func TestReportReadsOnce(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "150", "--weeks", "40", "--seed", "3", "--out", snap)
	opens := map[string]int{}
	var out, errs bytes.Buffer
	e := &env{stdout: &out, stderr: &errs, opened: func(path string) { opens[path]++ }}
	if code := run(context.Background(), e, []string{"report", "--snapshots", snap, "--horizon", "8", "--out", filepath.Join(dir, "report")}); code != 0 {
		t.Fatalf("churn report: exit %d\n%s", code, errs.String())
	}
	if opens[snap] != 1 || len(opens) != 1 {
		t.Errorf("opened %v, want %s once", opens, snap)
	}
	if _, err := os.Stat(filepath.Join(dir, "report", "report.json")); err != nil {
		t.Error(err)
	}
}
