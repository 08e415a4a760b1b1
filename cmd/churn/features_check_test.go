package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainChecksFeatureFiles writes a features directory and spoils it
// the ways a second run or a hand can: churn train --features must
// refuse to train on files that summary.json does not describe.
func TestTrainChecksFeatureFiles(t *testing.T) {
	dir, snap, other := twoBooks(t)
	otherParquet := filepath.Join(dir, "other-parquet")
	mustChurn(t, append([]string{"features", "--snapshots", other, "--out", otherParquet}, featArgs...)...)
	otherCSV := filepath.Join(dir, "other-csv")
	mustChurn(t, append([]string{"features", "--snapshots", snap, "--out", otherCSV, "--format", "csv"}, featArgs...)...)

	copyFile := func(t *testing.T, from, to string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, feat string)
		want  string
	}{
		{"intact", func(*testing.T, string) {}, ""},
		{"train file of another run", func(t *testing.T, feat string) {
			copyFile(t, filepath.Join(otherParquet, "train.parquet"), filepath.Join(feat, "train.parquet"))
		}, "{dir}/train.parquet does not match {dir}/summary.json: written by another run? rebuild with churn features"},
		{"both formats", func(t *testing.T, feat string) {
			copyFile(t, filepath.Join(otherCSV, "valid.csv"), filepath.Join(feat, "valid.csv"))
		}, "{dir} holds both valid.parquet and valid.csv"},
		{"missing file", func(t *testing.T, feat string) {
			if err := os.Remove(filepath.Join(feat, "valid.parquet")); err != nil {
				t.Fatal(err)
			}
		}, "{dir}/valid.parquet is missing"},
		{"summary of an older churn", func(t *testing.T, feat string) {
			editSummary(t, feat, func(s map[string]any) {
				delete(s, "files")
				delete(s, "format")
			})
		}, "records no format and files"},
		{"row count edited", func(t *testing.T, feat string) {
			editSummary(t, feat, func(s map[string]any) {
				train := s["files"].(map[string]any)["train"].(map[string]any)
				train["rows"] = train["rows"].(float64) + 1
			})
		}, "{dir}/summary.json records "},
	} {
		t.Run(c.name, func(t *testing.T) {
			feat := filepath.Join(t.TempDir(), "features")
			mustChurn(t, append([]string{"features", "--snapshots", snap, "--out", feat}, featArgs...)...)
			c.spoil(t, feat)
			code, _, stderr := churn(t, "train", "--features", feat, "--model", "logistic", "--out", filepath.Join(t.TempDir(), "model"), "--no-plots")
			if c.want == "" {
				if code != 0 {
					t.Fatalf("intact features refused: %s", stderr)
				}
				return
			}
			want := strings.ReplaceAll(c.want, "{dir}", feat)
			if code == 0 || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, stderr %q: want a refusal saying %q", code, stderr, want)
			}
		})
	}
}

// editSummary rewrites DIR/summary.json through edit.
func editSummary(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "summary.json")
	var s map[string]any
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	edit(s)
	if b, err = json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrainAfterFormatChange writes features of one book as Parquet and
// then of another as CSV into the same folder, the sequence that had
// churn train read the stale Parquet while metrics.json described the
// CSV run. Train must either refuse the mix or train on the CSV run's
// data, whose fingerprint a clean folder gives.
func TestTrainAfterFormatChange(t *testing.T) {
	dir, snap, other := twoBooks(t)

	feat := filepath.Join(dir, "features")
	mustChurn(t, append([]string{"features", "--snapshots", other, "--out", feat}, featArgs...)...)
	mustChurn(t, append([]string{"features", "--snapshots", snap, "--out", feat, "--format", "csv"}, featArgs...)...)
	clean := filepath.Join(dir, "clean")
	mustChurn(t, append([]string{"features", "--snapshots", snap, "--out", clean, "--format", "csv"}, featArgs...)...)

	fingerprint := func(model string) string {
		var a struct {
			Fingerprint string `json:"data_fingerprint"`
		}
		readJSON(t, filepath.Join(model, "model.json"), &a)
		return a.Fingerprint
	}
	want := filepath.Join(dir, "want")
	mustChurn(t, "train", "--features", clean, "--model", "logistic", "--out", want, "--no-plots")
	got := filepath.Join(dir, "got")
	code, _, stderr := churn(t, "train", "--features", feat, "--model", "logistic", "--out", got, "--no-plots")
	switch {
	case code != 0 && !strings.Contains(stderr, "holds both train.csv and train.parquet"):
		t.Fatalf("exit %d: %s", code, stderr)
	case code == 0 && fingerprint(got) != fingerprint(want):
		t.Fatalf("trained on data fingerprinted %s, the CSV run's is %s: stale files were read", fingerprint(got), fingerprint(want))
	}
}

// featArgs are the features flags both books are split with.
var featArgs = []string{"--horizon", "8", "--valid-weeks", "6"}

// twoBooks generates two different small books in a temporary folder,
// for the tests that swap one run's feature files for another's.
func twoBooks(t *testing.T) (dir, snap, other string) {
	t.Helper()
	dir = t.TempDir()
	snap = filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "60", "--seed", "5", "--out", snap)
	other = filepath.Join(dir, "other.parquet")
	mustChurn(t, "gen", "--accounts", "200", "--weeks", "60", "--seed", "6", "--out", other)
	return dir, snap, other
}
