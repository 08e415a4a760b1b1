package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshotHeader is the contract's columns, for test files.
const snapshotHeader = "account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned\n"

// writeFile writes a test input and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInputRules runs the commands on inputs that break a rule of the
// input contract: each must fail with a message naming the problem.
func TestInputRules(t *testing.T) {
	good := writeFile(t, "good.csv", snapshotHeader+"a,2024-01-01,1,1,1,0,0,0\n")
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"horizon 0", []string{"features", "--snapshots", good, "--out", out, "--horizon", "0"}, 1, "--horizon 0: want at least 1 week"},
		{"negative horizon", []string{"features", "--snapshots", good, "--out", out, "--horizon", "-3"}, 1, "--horizon -3: want at least 1 week"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := churn(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d with %q", code, errs, c.code, c.want)
			}
		})
	}
}
