package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestModelsRegistry runs the lifecycle of a registry through the CLI:
// train two models with --challenge (the first becomes champion, the
// second is promoted only if it wins), list, show, audit, roll back and
// promote by hand, and the errors a user meets on the way.
func TestModelsRegistry(t *testing.T) {
	t.Setenv("CHURN_USER", "ci-bot")
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "60", "--seed", "9", "--out", snap)
	reg := filepath.Join(dir, "registry")
	train := func(kind string, extra ...string) string {
		t.Helper()
		return mustChurn(t, append([]string{"train", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6",
			"--model", kind, "--no-plots", "--registry", reg}, extra...)...)
	}
	version := regexp.MustCompile(`registered ((logistic|tree)-[0-9a-f]+) in `)

	out := train("logistic", "--challenge")
	m := version.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "promoted "+m[1]+" (no champion before)") || strings.Contains(out, "wrote ") {
		t.Fatalf("first train:\n%s", out)
	}
	first := m[1]
	out = train("tree", "--challenge", "--reason", "weekly retrain")
	m = version.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "DeLong p = ") {
		t.Fatalf("second train:\n%s", out)
	}
	second := m[1]
	promoted := strings.Contains(out, "promoted "+second+" (was "+first+")")
	if promoted == strings.Contains(out, "not promoted: ") {
		t.Fatalf("second train neither promoted nor said why not:\n%s", out)
	}
	champion, other := first, second
	if promoted {
		champion, other = second, first
	}
	out = mustChurn(t, "models", "list", "--registry", reg)
	if !regexp.MustCompile(`(?m)^\*\s+`+champion).MatchString(out) || !regexp.MustCompile(`(?m)^\s+`+other).MatchString(out) {
		t.Errorf("list: want %s marked champion and %s listed:\n%s", champion, other, out)
	}
	out = mustChurn(t, "models", "show", "--registry", reg)
	if !strings.Contains(out, "version:      "+champion+" (champion)") || !strings.Contains(out, "validation:   ROC AUC") {
		t.Errorf("show:\n%s", out)
	}

	// Promote the other by a prefix of its version, then roll back.
	mustChurn(t, "models", "promote", other[:len(other)-2], "--registry", reg, "--reason", "try it")
	out = mustChurn(t, "models", "rollback", "--reason", "it was worse", "--registry", reg)
	if !strings.Contains(out, "rolled back to "+champion+" (was "+other+")") || !strings.Contains(out, "by ci-bot: it was worse") {
		t.Errorf("rollback:\n%s", out)
	}
	out = mustChurn(t, "models", "audit", "--registry", reg)
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line)
		actions = append(actions, f[4]+" "+f[5])
	}
	want := []string{"register " + first, "promote " + first, "register " + second}
	if promoted {
		want = append(want, "promote "+second)
	}
	want = append(want, "promote "+other, "rollback "+champion)
	if strings.Join(actions, ", ") != strings.Join(want, ", ") {
		t.Errorf("audit: %v, want %v\n%s", actions, want, out)
	}
	if !strings.Contains(out, "ci-bot") {
		t.Errorf("audit does not name the user:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(reg, "churn.db")); err != nil {
		t.Errorf("no SQLite store beside the versions: %v", err)
	}

	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no action", []string{"models"}, 2, "Actions:"},
		{"help", []string{"models", "--help"}, 0, "Actions:"},
		{"unknown action", []string{"models", "deploy", "--registry", reg}, 2, `unknown action "deploy"`},
		{"no registry", []string{"models", "list"}, 2, "--registry is required"},
		{"missing registry", []string{"models", "list", "--registry", filepath.Join(dir, "nothing")}, 1, "not a folder"},
		{"promote without a reason", []string{"models", "promote", other, "--registry", reg}, 2, "--reason is required"},
		{"rollback without a reason", []string{"models", "rollback", "--registry", reg, "--reason", " "}, 2, "--reason is required"},
		{"promote without a version", []string{"models", "promote", "--registry", reg, "--reason", "x"}, 2, "name the VERSION"},
		{"promote an unknown version", []string{"models", "promote", "gbm-0", "--registry", reg, "--reason", "x"}, 1, `no version "gbm-0"`},
		{"promote the champion", []string{"models", "promote", champion, "--registry", reg, "--reason", "x"}, 1, "the champion already"},
		{"two versions", []string{"models", "show", first, second, "--registry", reg}, 2, "unexpected argument"},
		{"challenge without a registry", []string{"train", "--snapshots", snap, "--out", filepath.Join(dir, "m"), "--challenge"}, 2, "--challenge needs --registry"},
		{"no output", []string{"train", "--snapshots", snap}, 2, "give --out DIR, --registry DIR or both"},
		{"serve a model and a registry", []string{"serve", "--model", reg, "--registry", reg, "--snapshots", snap}, 2, "give one of --model DIR and --registry DIR"},
		{"serve polling a model", []string{"serve", "--model", reg, "--poll", "1s", "--snapshots", snap}, 2, "--poll needs --registry"},
		{"serve a missing registry", []string{"serve", "--registry", filepath.Join(dir, "nothing"), "--snapshots", snap}, 1, "not a folder"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := churn(t, c.args...)
			if code != c.code || !strings.Contains(stdout+stderr, c.want) || strings.Count(stdout+stderr, c.want) > 1 {
				t.Errorf("exit %d, want %d saying %q:\n%s%s", code, c.code, c.want, stdout, stderr)
			}
		})
	}

	// churn serve --registry serves the champion, follows a promotion, and
	// keeps its score history in the registry's store.
	serveRegistry(t, reg, snap, champion, other)

	// A corrupt pointer is named, and before any fitting.
	if err := os.WriteFile(filepath.Join(reg, "champion.json"), []byte(`{"version": "tr`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"models", "show", "--registry", reg},
		{"train", "--snapshots", snap, "--model", "logistic", "--registry", reg, "--challenge"},
	} {
		code, _, stderr := churn(t, args...)
		if code != 1 || !strings.Contains(stderr, filepath.Join(reg, "champion.json")+" is corrupt") || strings.Contains(stderr, "registered") {
			t.Errorf("%s with a corrupt champion.json: exit %d\n%s", args[:2], code, stderr)
		}
	}
}

// TestChallengeOtherColumns challenges a champion whose columns the new
// data lacks: a segment gone from the snapshots is rebuilt, as all zeros,
// with the champion's feature spec; from a features folder, which cannot
// be rebuilt, the challenge says so.
func TestChallengeOtherColumns(t *testing.T) {
	t.Setenv("CHURN_USER", "ci-bot")
	dir := t.TempDir()
	full := filepath.Join(dir, "full.csv")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "50", "--seed", "9", "--out", full)
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if !strings.Contains(line, ",enterprise,") {
			kept = append(kept, line)
		}
	}
	noEnterprise := filepath.Join(dir, "no-enterprise.csv")
	if err := os.WriteFile(noEnterprise, []byte(strings.Join(kept, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(dir, "registry")
	split := []string{"--horizon", "8", "--valid-weeks", "6", "--no-plots", "--registry", reg, "--challenge"}
	mustChurn(t, append([]string{"train", "--snapshots", full, "--model", "logistic"}, split...)...)

	out := mustChurn(t, append([]string{"train", "--snapshots", noEnterprise, "--model", "tree"}, split...)...)
	if !strings.Contains(out, "DeLong p = ") {
		t.Errorf("challenge on snapshots without a segment:\n%s", out)
	}
	feat := filepath.Join(dir, "features")
	mustChurn(t, "features", "--snapshots", noEnterprise, "--horizon", "8", "--valid-weeks", "6", "--out", feat)
	code, _, stderr := churn(t, "train", "--features", feat, "--model", "tree", "--no-plots", "--registry", reg, "--challenge")
	if code != 1 || !strings.Contains(stderr, "challenge with --snapshots") {
		t.Errorf("challenge from a features folder without the champion's columns: exit %d\n%s", code, stderr)
	}
}

// serveRegistry runs "churn serve --registry reg", expects champion
// served, promotes next and expects it served in turn.
func serveRegistry(t *testing.T, reg, snap, champion, next string) {
	t.Helper()
	srv := startServe(t, "--registry", reg, "--snapshots", snap, "--poll", "20ms", "--drain", "10ms", "--access-log", "off")
	errb := srv.stderr
	defer func() {
		if code := srv.stop(); code != 0 {
			t.Errorf("serve exited %d:\n%s", code, errb.String())
		}
	}()
	served := func() string {
		resp, err := http.Get(srv.url + "/v1/model")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var m struct{ Version string }
		json.NewDecoder(resp.Body).Decode(&m)
		return m.Version
	}
	for _, want := range []string{champion, next} {
		if want == next {
			mustChurn(t, "models", "promote", next, "--registry", reg, "--reason", "serve it")
		}
		deadline := time.Now().Add(20 * time.Second)
		for served() != want {
			if time.Now().After(deadline) {
				t.Fatalf("serving %q, want %s:\n%s", served(), want, errb.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !strings.Contains(errb.String(), "db="+filepath.Join(reg, "churn.db")) {
		t.Errorf("the score history is not the registry's store:\n%s", errb.String())
	}
}
