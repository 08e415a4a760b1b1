package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

// churnProgress runs the CLI in-process like churn, with its progress
// lines captured.
func churnProgress(t *testing.T, args ...string) (code int, stderr, progressLines string) {
	t.Helper()
	var out, errb, prog bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, progress: newProgress(&prog, false, time.Hour)}
	code = run(context.Background(), e, args)
	return code, errb.String(), prog.String()
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for k := range listing(t, dir) {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestOutputFolders checks the folder rule of "features", "train" and
// "report": the folder is replaced whole (nothing of an earlier run
// survives, one format per folder, no old candidates), a folder that is
// not an earlier output or a file is refused before the long work, and
// no output records the staging folder's name.
func TestOutputFolders(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "70", "--seed", "5", "--out", snap)

	feat := filepath.Join(dir, "features")
	mustChurn(t, "features", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--out", feat)
	mustChurn(t, "features", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--out", feat, "--format", "csv")
	if got, want := names(t, feat), []string{"./", "summary.json", "train.csv", "valid.csv"}; !slices.Equal(got, want) {
		t.Errorf("features after parquet then csv: %v, want %v", got, want)
	}

	model := filepath.Join(dir, "model")
	writeTree(t, model, map[string]string{"model.json": "earlier", "candidates/tree/model.json": "earlier", "roc.png": "earlier"})
	mustChurn(t, "train", "--features", feat, "--model", "logistic", "--no-plots", "--out", model)
	if got, want := names(t, model), []string{"./", "first-fit/", "first-fit/metrics.json", "first-fit/model.json", "metrics.json", "model.json"}; !slices.Equal(got, want) {
		t.Errorf("model folder after retraining: %v, want %v", got, want)
	}
	report := filepath.Join(dir, "report")
	mustChurn(t, "report", "--snapshots", snap, "--model", model, "--out", report)
	for _, d := range []string{feat, model, report} {
		for name := range listing(t, d) {
			b, _ := os.ReadFile(filepath.Join(d, name))
			if bytes.Contains(b, []byte(".tmp-")) {
				t.Errorf("%s records a staging folder's name", filepath.Join(d, name))
			}
		}
	}
	if got := names(t, dir); slices.ContainsFunc(got, func(n string) bool { return strings.Contains(n, ".tmp-") }) {
		t.Errorf("temporaries left: %v", got)
	}

	file := filepath.Join(dir, "notes.txt")
	writeTree(t, dir, map[string]string{"notes.txt": "mine", "home/thesis.tex": "mine"})
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"train into a file", []string{"train", "--snapshots", snap, "--horizon", "8", "--out", file}, "is a file"},
		{"train into a folder of other files", []string{"train", "--snapshots", snap, "--horizon", "8", "--out", filepath.Join(dir, "home")}, "holds other files"},
		{"features into a model folder", []string{"features", "--snapshots", snap, "--out", model}, "holds other files"},
		{"report into a file", []string{"report", "--snapshots", snap, "--out", file}, "is a file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := listing(t, dir)
			code, stderr, progress := churnProgress(t, c.args...)
			if code != 1 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 with %q", code, stderr, c.want)
			}
			if progress != "" {
				t.Errorf("refused only after some work:\n%s", progress)
			}
			if diff := diffListings(before, listing(t, dir)); len(diff) > 0 {
				t.Errorf("a refused run changed files: %v", diff)
			}
		})
	}
}

// TestScoreFlags checks that values which would silently select nothing
// or make no sense are refused with exit status 2.
func TestScoreFlags(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "70", "--seed", "5", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "8", "--model", "logistic", "--no-plots", "--out", model)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--segment", "SMB"}, `--segment "SMB": the model knows the segments enterprise, mid, smb`},
		{[]string{"--segment", "retail"}, `--segment "retail"`},
		{[]string{"--top", "-2"}, "--top -2: want a number of accounts, 0 or more"},
		{[]string{"--renewal-within", "-5"}, "--renewal-within -5: want a number of days, 0 or more"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := churn(t, append([]string{"score", "--snapshots", snap, "--model", model}, c.args...)...)
			if code != 2 || !strings.Contains(errs, c.want) || out != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit 2 with %q", code, errs, out, c.want)
			}
		})
	}
	if out := mustChurn(t, "score", "--snapshots", snap, "--model", model, "--segment", "smb", "--format", "csv"); strings.Count(out, "\n") < 2 {
		t.Errorf("--segment smb scored no account:\n%s", out)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		code, out, _ := churn(t, arg)
		if code != 0 || !strings.HasPrefix(out, "churn ") || !strings.Contains(out, "go1.") {
			t.Fatalf("churn %s: exit %d, %q", arg, code, out)
		}
	}
	for _, c := range []struct {
		name     string
		version  string
		settings map[string]string
		want     string
	}{
		{"committed", "v1.2.0", map[string]string{"vcs.revision": "0123abcd", "vcs.time": "2026-12-03T17:50:00Z", "vcs.modified": "false"},
			"churn v1.2.0 revision 0123abcd (2026-12-03T17:50:00Z) go1.26.8\n"},
		{"modified", "(devel)", map[string]string{"vcs.revision": "0123abcd", "vcs.time": "2026-12-03T17:50:00Z", "vcs.modified": "true"},
			"churn (devel) revision 0123abcd (2026-12-03T17:50:00Z, modified) go1.26.8\n"},
		{"no vcs", "(devel)", nil, "churn (devel) revision unknown (time unknown) go1.26.8\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/churnlabs/churn", Version: c.version}}
			for k, v := range c.settings {
				info.Settings = append(info.Settings, debug.BuildSetting{Key: k, Value: v})
			}
			var b bytes.Buffer
			if err := writeVersion(&b, info); err != nil || b.String() != c.want {
				t.Errorf("got %q (%v), want %q", b.String(), err, c.want)
			}
		})
	}
}

// TestScoreParquetMatchesCSV scores the same snapshots from Parquet, whose
// reader tells the last week before the rows so that each account's
// history is scored as its rows are built, and from CSV, whose rows are
// kept to the end and scored then: the rankings, histories included, must
// be the same.
func TestScoreParquetMatchesCSV(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	rankings := map[string]string{}
	for _, ext := range []string{"parquet", "csv"} {
		snap := filepath.Join(dir, "snapshots."+ext)
		mustChurn(t, "gen", "--accounts", "300", "--weeks", "70", "--seed", "5", "--out", snap)
		if ext == "parquet" {
			mustChurn(t, "train", "--snapshots", snap, "--horizon", "8", "--model", "gbm", "--no-plots", "--out", model)
		}
		rankings[ext] = mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "json")
	}
	if rankings["parquet"] != rankings["csv"] {
		t.Errorf("the rankings differ:\nparquet %.600s\ncsv     %.600s", rankings["parquet"], rankings["csv"])
	}
	// Each account's probability, then its history's: most accounts have
	// twelve weeks of it.
	if accounts, scores := strings.Count(rankings["csv"], `"account_id"`), strings.Count(rankings["csv"], `"churn_probability"`); scores < 10*accounts {
		t.Errorf("%d scores for %d accounts: the histories are missing", scores, accounts)
	}
}
