package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
)

// scoreDoc is the part of "churn score --format json" these tests read.
type scoreDoc struct {
	AsOf         string `json:"as_of"`
	ModelVersion string `json:"model_version"`
	Accounts     []struct {
		AccountID string   `json:"account_id"`
		Change    *float64 `json:"change"`
		History   []struct {
			Week        string  `json:"week"`
			Probability float64 `json:"churn_probability"`
			Recorded    bool    `json:"recorded"`
		} `json:"history"`
		Probability float64 `json:"churn_probability"`
	} `json:"accounts"`
}

// TestScoreRecord records a book with "churn score --record", by default
// into churn.db beside the model folder and on PostgreSQL with --db, twice
// (one copy kept), and then reads the history back as shown.
func TestScoreRecord(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "120", "--weeks", "50", "--seed", "4", "--out", snap)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", snap, "--horizon", "6", "--valid-weeks", "4", "--model", "logistic", "--out", model, "--no-plots")
	ctx := context.Background()

	for _, tt := range []struct {
		name string
		db   func(t *testing.T) string // "" for the default
	}{
		{"default sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pg.DB(t) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := tt.db(t)
			args := []string{"score", "--snapshots", snap, "--model", model, "--format", "json", "--top", "3", "--record"}
			addr := filepath.Join(dir, "churn.db")
			if db != "" {
				args, addr = append(args, "--db", db), db
			}
			var doc scoreDoc
			for range 2 {
				code, out, errs := churn(t, args...)
				if code != 0 {
					t.Fatalf("exit %d\n%s", code, errs)
				}
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(errs, "recorded ") || !strings.Contains(errs, "scores of week "+doc.AsOf) {
					t.Errorf("stderr does not say what was recorded:\n%s", errs)
				}
			}
			store, err := sqlstore.Open(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			asOf, err := features.ParseDate(doc.AsOf)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := store.Scores(ctx, asOf)
			if err != nil {
				t.Fatal(err)
			}
			// Every scored account is recorded, not only the --top 3 shown.
			n := strings.Count(mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "csv"), "\n") - 1
			if len(recs) != n || n <= 3 {
				t.Fatalf("%d scores recorded for week %s after two runs, want the %d accounts scored", len(recs), doc.AsOf, n)
			}
			for _, r := range recs {
				if r.ModelVersion != doc.ModelVersion || len(r.Top) == 0 || r.Health == "" {
					t.Fatalf("recorded %+v", r)
				}
			}

			// What was shown last week, by another model, is what the
			// history now says: for the highest ranked account that was
			// there last week (one seen first this week has no last week).
			i := 0
			for i < len(doc.Accounts) && len(doc.Accounts[i].History) < 2 {
				i++
			}
			if i == len(doc.Accounts) {
				t.Fatal("no account of the top 3 has a history of two weeks")
			}
			top := doc.Accounts[i]
			prev := asOf.AddDays(-7)
			if _, err := store.RecordScores(ctx, []lifecycle.ScoreRecord{{AccountID: top.AccountID, Week: prev,
				ModelVersion: "earlier", Probability: 0.25, RecordedAt: time.Now().Add(time.Hour)}}); err != nil {
				t.Fatal(err)
			}
			code, out, errs := churn(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			a := doc.Accounts[i]
			h := a.History
			if a.AccountID != top.AccountID || len(h) < 2 || h[len(h)-2].Week != prev.String() ||
				h[len(h)-2].Probability != 0.25 || !h[len(h)-2].Recorded {
				t.Fatalf("account %s: history %+v, want last week's recorded 0.25", a.AccountID, h)
			}
			if a.Change == nil || *a.Change != a.Probability-0.25 {
				t.Errorf("change %v, want %v", a.Change, a.Probability-0.25)
			}
		})
	}

	if code, _, errs := churn(t, "score", "--snapshots", snap, "--model", model, "--db", filepath.Join(dir, "x.db")); code != 2 ||
		!strings.Contains(errs, "add --record") {
		t.Errorf("--db without --record: exit %d\n%s", code, errs)
	}
}

// TestOpenServeStore: "churn serve" serves without history when told to,
// or when the default store cannot be opened (with a warning), but not
// when the store it was told to use cannot be.
func TestOpenServeStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, addr, modelDir string
		open                 bool
		err, warn            string
	}{
		{"off", dbOff, filepath.Join(dir, "m"), false, "", ""},
		{"default", "", filepath.Join(dir, "m"), true, "", ""},
		{"default unusable", "", filepath.Join(blocker, "m"), false, "", "serving without a score history"},
		{"named", filepath.Join(dir, "named.db"), filepath.Join(dir, "m"), true, "", ""},
		{"named unusable", filepath.Join(blocker, "x.db"), filepath.Join(dir, "m"), false, "--db: lifecycle store " + blocker, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s, err := openServeStore(ctx, tt.addr, tt.modelDir, slog.New(slog.NewTextHandler(&logs, nil)))
			if s != nil {
				defer s.Close()
			}
			if (s != nil) != tt.open || (err != nil) != (tt.err != "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("store %v, error %v; want open %v, error %q", s, err, tt.open, tt.err)
			}
			if !strings.Contains(logs.String(), tt.warn) || (tt.warn == "") != (logs.Len() == 0) {
				t.Errorf("log %q, want %q", logs.String(), tt.warn)
			}
		})
	}
}
