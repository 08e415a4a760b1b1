package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/models"
)

// TestSegmentHealthCLI: churn train --segments stores each segment's
// cut-offs in model.json (and without it the key is absent); churn score
// --segments colours each account by its segment's (hand-set ones
// winning) in JSON, CSV and Parquet alike, filters by segment, and
// refuses --red with it; churn plays colours the plays the same way.
func TestSegmentHealthCLI(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "400", "--weeks", "60", "--seed", "7", "--out", snap)
	segFile := filepath.Join(dir, "segments.yaml")
	if err := os.WriteFile(segFile, []byte(`
segments:
  - name: smb
    segment: smb
    health: {yellow: 0.000001, red: 0.000002}
  - name: big
    arr: {min: 20000}
    lead_days: 180
  - name: tiny
    arr: {min: 100000000}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	model, plain := filepath.Join(dir, "model"), filepath.Join(dir, "plain")
	train := []string{"train", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "8", "--model", "logistic", "--no-plots", "--no-refit"}
	code, out, stderr := churn(t, append(train, "--out", model, "--segments", segFile)...)
	if code != 0 {
		t.Fatalf("train --segments: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "segment health cut-offs ("+segFile+")") || !strings.Contains(stderr, `segment "tiny" keeps the model's health cut-offs`) {
		t.Errorf("train --segments says:\n%s\nstderr:\n%s", out, stderr)
	}
	mustChurn(t, append(train, "--out", plain)...)
	if b, err := os.ReadFile(filepath.Join(plain, models.ModelFile)); err != nil || strings.Contains(string(b), "segment_health") {
		t.Errorf("a model trained without --segments has segment_health (%v)", err)
	}
	a, err := models.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"smb", "big", "tiny", "default"} {
		if _, ok := a.SegmentHealth[name]; !ok {
			t.Errorf("model.json has no segment_health for %s: %v", name, a.SegmentHealth)
		}
	}
	big := a.SegmentHealth["big"]
	if !big.Learned || big.Red == a.Health.Red || a.SegmentHealth["tiny"].Learned || a.SegmentHealth["tiny"].Red != a.Health.Red {
		t.Fatalf("segment_health %+v, model %+v: want big learned apart from the model, tiny the model's", a.SegmentHealth, a.Health)
	}

	var doc struct {
		Accounts []struct {
			ID          string         `json:"account_id"`
			Probability float64        `json:"churn_probability"`
			Health      string         `json:"health"`
			PlaySegment string         `json:"play_segment"`
			Cutoffs     *models.Health `json:"cutoffs"`
		} `json:"accounts"`
	}
	score := []string{"score", "--snapshots", snap, "--model", model, "--segments", segFile}
	if err := json.Unmarshal([]byte(mustChurn(t, append(score, "--format", "json")...)), &doc); err != nil {
		t.Fatal(err)
	}
	differ := 0
	health := map[string]string{}
	for _, acc := range doc.Accounts {
		want := a.SegmentHealth[acc.PlaySegment].Health
		if acc.PlaySegment == "smb" {
			want = models.Health{Yellow: 0.000001, Red: 0.000002}
		}
		if acc.Cutoffs == nil || acc.Cutoffs.Yellow != want.Yellow || acc.Cutoffs.Red != want.Red || acc.Health != want.Colour(acc.Probability) {
			t.Fatalf("account %s of %q: %s under %+v, want %s under %+v", acc.ID, acc.PlaySegment, acc.Health, acc.Cutoffs, want.Colour(acc.Probability), want)
		}
		if acc.Health != a.Health.Colour(acc.Probability) {
			differ++
		}
		health[acc.ID] = acc.Health
	}
	if differ == 0 {
		t.Error("no account is coloured apart from the model's cut-offs")
	}

	// The CSV and the Parquet file carry the same segments and cut-offs.
	rows, err := csv.NewReader(strings.NewReader(mustChurn(t, append(score, "--format", "csv")...))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(dir, "ranking.parquet")
	mustChurn(t, append(score, "--out", pq)...)
	for name, table := range map[string][][]string{"csv": rows, "parquet": readRankingParquet(t, pq)} {
		h := table[0]
		if !slices.Equal(h[len(h)-3:], []string{"play_segment", "health_yellow", "health_red"}) || len(table) != len(doc.Accounts)+1 {
			t.Fatalf("%s: header %q, %d rows", name, h[len(h)-3:], len(table)-1)
		}
		for i, r := range table[1:] {
			acc := doc.Accounts[i]
			y, _ := strconv.ParseFloat(r[len(r)-2], 64)
			red, _ := strconv.ParseFloat(r[len(r)-1], 64)
			if r[0] != acc.ID || r[2] != acc.Health || r[len(r)-3] != acc.PlaySegment ||
				!near(y, acc.Cutoffs.Yellow) || !near(red, acc.Cutoffs.Red) {
				t.Fatalf("%s row %d: %q, want %s %s %s %+v", name, i+1, r, acc.ID, acc.Health, acc.PlaySegment, acc.Cutoffs)
			}
		}
	}
	// Without --segments neither has them.
	if h := strings.SplitN(mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "csv"), "\n", 2)[0]; strings.Contains(h, "play_segment") {
		t.Errorf("CSV header without --segments: %s", h)
	}

	// --play-segment keeps one segment; --red is refused with --segments.
	if err := json.Unmarshal([]byte(mustChurn(t, append(score, "--format", "json", "--play-segment", "smb")...)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Accounts) == 0 {
		t.Error("--play-segment smb: no account")
	}
	for _, acc := range doc.Accounts {
		if acc.PlaySegment != "smb" || acc.Health != health[acc.ID] {
			t.Errorf("--play-segment smb: %s of %s, %s; ranked %s", acc.ID, acc.PlaySegment, acc.Health, health[acc.ID])
		}
	}
	for _, args := range [][]string{
		append(slices.Clone(score), "--red", "0.5"),
		append(slices.Clone(score), "--play-segment", "nope"),
		{"score", "--snapshots", snap, "--model", model, "--play-segment", "smb"},
	} {
		if code, _, stderr := churn(t, args...); code == 0 {
			t.Errorf("churn %s: exit 0, %s", strings.Join(args[5:], " "), stderr)
		}
	}
	// "health: learned" under a model without learned cut-offs is
	// refused by name.
	learned := filepath.Join(dir, "learned.yaml")
	os.WriteFile(learned, []byte("segments:\n  - name: big\n    arr: {min: 20000}\n    health: learned\n"), 0o644)
	if code, _, stderr := churn(t, "score", "--snapshots", snap, "--model", plain, "--segments", learned); code == 0 ||
		!strings.Contains(stderr, `segment "big": health: learned, but model`) {
		t.Errorf("health: learned without learned cut-offs: exit %d, %s", code, stderr)
	}

	// The plays are coloured as the ranking.
	var week struct {
		Plays []struct {
			ID     string `json:"account_id"`
			Health string `json:"health"`
		} `json:"plays"`
	}
	if err := json.Unmarshal([]byte(mustChurn(t, "plays", "--snapshots", snap, "--model", model, "--segments", segFile, "--format", "json")), &week); err != nil {
		t.Fatal(err)
	}
	if len(week.Plays) == 0 {
		t.Fatal("no plays")
	}
	for _, p := range week.Plays {
		if p.Health != health[p.ID] {
			t.Errorf("play %s: %s, ranking %s", p.ID, p.Health, health[p.ID])
		}
	}
}

// near reports whether a cut-off written with six decimals is v.
func near(s, v float64) bool { return s-v < 1e-6 && v-s < 1e-6 }
