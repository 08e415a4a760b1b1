package sqlstore

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
)

func mustDate(t testing.TB, s string) features.Date {
	t.Helper()
	d, err := features.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// book returns n scores for week by version, probabilities shifted by
// p0 so two books of one week differ.
func book(week features.Date, version string, n int, p0 float64) []lifecycle.ScoreRecord {
	recs := make([]lifecycle.ScoreRecord, n)
	for i := range recs {
		p := math.Mod(p0+float64(i)/float64(n), 1)
		recs[i] = lifecycle.ScoreRecord{
			AccountID: fmt.Sprintf("acct-%06d", i), Week: week, ModelVersion: version, Segment: "smb",
			Probability: p, LogOdds: math.Log(p / (1 - p)), Health: "green",
			Top: []lifecycle.Contribution{
				{Feature: "logins_per_week", Value: float64(i), Contribution: 0.5},
				{Feature: "seats_used_pct", Value: math.NaN(), Contribution: -0.25},
			},
		}
	}
	return recs
}

// TestRecordScores stores a book, records it again and reads it back on
// every backend: one copy, the second's values, every field kept (a NaN
// feature value too).
func TestRecordScores(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s := openStore(t, addr)
		w := mustDate(t, "2025-03-03")
		first := book(w, "m1", 1203, 0) // more than two batches, and a remainder
		if n, err := s.RecordScores(ctx, first); err != nil || n != len(first) {
			t.Fatalf("RecordScores = %d, %v", n, err)
		}
		// Recording the week again replaces it: an account the new book
		// lacks is gone, the others carry the new values.
		again := book(w, "m1", 1000, 0.5)
		if _, err := s.RecordScores(ctx, again); err != nil {
			t.Fatal(err)
		}
		// Another model's scores of the week, and another week, stay apart.
		if _, err := s.RecordScores(ctx, book(w, "m2", 10, 0.1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordScores(ctx, book(w.AddDays(7), "m1", 10, 0.2)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Scores(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(again)+10 {
			t.Fatalf("week %s holds %d scores, want %d", w, len(got), len(again)+10)
		}
		for i, want := range again {
			g := got[i]
			if g.AccountID != want.AccountID || g.ModelVersion != "m1" || g.Week != w || g.Segment != want.Segment ||
				g.Probability != want.Probability || g.LogOdds != want.LogOdds || g.Health != want.Health || g.Shadow ||
				time.Since(g.RecordedAt) > time.Minute {
				t.Fatalf("score %d = %+v, want %+v", i, g, want)
			}
			if len(g.Top) != 2 || g.Top[0] != want.Top[0] || g.Top[1].Feature != "seats_used_pct" ||
				!math.IsNaN(g.Top[1].Value) || g.Top[1].Contribution != -0.25 {
				t.Fatalf("score %d: top = %+v, want %+v", i, g.Top, want.Top)
			}
		}
	})
}

// TestRecordScoresKeepsEarlierWeeks records a week's book, then the next
// week's, in which a few accounts that missed the new week stand under
// the week they were last seen (as a scored book puts them): the first
// week keeps everyone, with those few accounts' scores replaced.
func TestRecordScoresKeepsEarlierWeeks(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s := openStore(t, addr)
		w := mustDate(t, "2025-03-03")
		if _, err := s.RecordScores(ctx, book(w, "m1", 100, 0)); err != nil {
			t.Fatal(err)
		}
		next := book(w.AddDays(7), "m1", 90, 0.3)
		stragglers := book(w, "m1", 100, 0.6)[90:]
		if _, err := s.RecordScores(ctx, append(next, stragglers...)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Scores(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 100 {
			t.Fatalf("week %s holds %d scores after the next week's book, want 100", w, len(got))
		}
		want := book(w, "m1", 100, 0)
		for i, g := range got {
			p := want[i].Probability
			if i >= 90 {
				p = stragglers[i-90].Probability
			}
			if g.AccountID != want[i].AccountID || g.Probability != p {
				t.Fatalf("week %s score %d = %s %v, want %s %v", w, i, g.AccountID, g.Probability, want[i].AccountID, p)
			}
		}
		if got, err := s.Scores(ctx, w.AddDays(7)); err != nil || len(got) != 90 {
			t.Fatalf("week %s holds %d scores (%v), want 90", w.AddDays(7), len(got), err)
		}
	})
}

// TestRecordScoresRefusesBadRecords: a record missing what identifies it,
// or with a probability out of range, is refused by name and nothing of
// its batch is stored.
func TestRecordScoresRefusesBadRecords(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "churn.db"))
	w := mustDate(t, "2025-03-03")
	for _, tt := range []struct {
		name string
		edit func(r *lifecycle.ScoreRecord)
		want string
	}{
		{"no account", func(r *lifecycle.ScoreRecord) { r.AccountID = "" }, "no account_id"},
		{"no week", func(r *lifecycle.ScoreRecord) { r.Week = features.NoDate }, "no week"},
		{"no model", func(r *lifecycle.ScoreRecord) { r.ModelVersion = "" }, "no model_version"},
		{"NaN", func(r *lifecycle.ScoreRecord) { r.Probability = math.NaN() }, "probability NaN"},
		{"above 1", func(r *lifecycle.ScoreRecord) { r.Probability = 1.5 }, "probability 1.5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs := book(w, "m1", 3, 0)
			tt.edit(&recs[2])
			_, err := s.RecordScores(ctx, recs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("RecordScores = %v, want an error containing %q", err, tt.want)
			}
			if got, err := s.Scores(ctx, w); err != nil || len(got) != 0 {
				t.Fatalf("after a refused batch, week holds %d scores, %v", len(got), err)
			}
		})
	}
}

// TestShownHistory reads back what was shown: shadow scores left out,
// and of a week scored by two models the one recorded last.
func TestShownHistory(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s := openStore(t, addr)
		w1, w2, w3 := mustDate(t, "2025-03-03"), mustDate(t, "2025-03-10"), mustDate(t, "2025-03-17")
		t0 := time.Date(2025, 3, 18, 9, 0, 0, 0, time.UTC)
		rec := func(week features.Date, version, id string, p float64, shadow bool, at time.Time) {
			t.Helper()
			r := lifecycle.ScoreRecord{AccountID: id, Week: week, ModelVersion: version, Probability: p, Shadow: shadow, RecordedAt: at}
			if _, err := s.RecordScores(ctx, []lifecycle.ScoreRecord{r}); err != nil {
				t.Fatal(err)
			}
		}
		rec(w1, "old", "a", 0.1, false, t0)
		rec(w2, "old", "a", 0.2, false, t0)
		rec(w2, "new", "a", 0.3, false, t0.Add(time.Hour)) // a reload changed the model
		rec(w2, "challenger", "a", 0.9, true, t0.Add(2*time.Hour))
		rec(w3, "new", "a", 0.4, false, t0)
		rec(w3, "new", "b", 0.5, false, t0)
		got, err := s.ShownHistory(ctx, w1, w2)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]lifecycle.WeekScore{
			"a": {{Week: w1, Probability: 0.1, ModelVersion: "old"}, {Week: w2, Probability: 0.3, ModelVersion: "new"}},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ShownHistory(%s, %s) = %v, want %v", w1, w2, got, want)
		}
	})
}

// BenchmarkRecordScores records a book of 100,000 accounts on SQLite, as
// "churn score --record" and every server reload do. Run it alone:
//
//	go test -run - -bench RecordScores -benchtime 3x ./models/lifecycle/sqlstore/
func BenchmarkRecordScores(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "churn.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w, _ := features.ParseDate("2025-03-03")
	recs := book(w, "m1", 100_000, 0)
	for b.Loop() {
		if _, err := s.RecordScores(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/book")
}

// BenchmarkShownHistory reads twelve weeks of a 100,000-account book on
// SQLite, as a server does before it publishes each book. Setting it up
// records 1.2 M scores; run it alone:
//
//	go test -run - -bench ShownHistory -benchtime 3x ./models/lifecycle/sqlstore/
func BenchmarkShownHistory(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "churn.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w, _ := features.ParseDate("2025-03-03")
	for k := range 12 {
		if _, err := s.RecordScores(ctx, book(w.AddDays(7*k), "m1", 100_000, float64(k)/12)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		h, err := s.ShownHistory(ctx, w, w.AddDays(7*11))
		if err != nil || len(h) != 100_000 {
			b.Fatalf("%d accounts, %v", len(h), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/read")
}

// TestScoredWeeks lists the weeks with scores, once each, oldest first,
// whatever order and how many versions recorded them.
func TestScoredWeeks(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s := openStore(t, addr)
		if got, err := s.ScoredWeeks(ctx); err != nil || len(got) != 0 {
			t.Fatalf("empty store: ScoredWeeks = %v, %v", got, err)
		}
		w := mustDate(t, "2025-03-03")
		for _, b := range [][]lifecycle.ScoreRecord{book(w.AddDays(14), "m1", 3, 0), book(w, "m1", 3, 0), book(w, "m2", 3, 0)} {
			if _, err := s.RecordScores(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ScoredWeeks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []features.Date{w, w.AddDays(14)}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ScoredWeeks = %v, want %v", got, want)
		}
	})
}
