package serve

import (
	"context"
	"errors"
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
)

// accountJSON is GET /v1/accounts/{id} as the dashboard reads it.
type accountJSON struct {
	Account struct {
		Probability float64  `json:"churn_probability"`
		Change      *float64 `json:"change"`
		History     []struct {
			Week        string  `json:"week"`
			Probability float64 `json:"churn_probability"`
			Recorded    bool    `json:"recorded"`
		} `json:"history"`
	} `json:"account"`
}

// TestScoreHistory serves with a score store: the book is recorded when
// it loads and again on reload, once per week and model, and an
// account's past weeks come from the scores recorded as shown (here by
// an earlier model) rather than from a rescoring with today's.
func TestScoreHistory(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores = store })
	book := e.srv.state.Load().book
	n := len(book.Accounts)
	recorded := func() int {
		recs, err := store.Scores(ctx, book.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.ModelVersion != book.Model.Version {
				t.Fatalf("recorded model %q, serving %q", r.ModelVersion, book.Model.Version)
			}
		}
		return len(recs)
	}
	waitFor(t, "the book to be recorded", func() bool { return recorded() == n })

	// Last week an earlier model showed this account 0.123.
	id := e.anAccount()
	prev := book.AsOf.AddDays(-7)
	if _, err := store.RecordScores(ctx, []lifecycle.ScoreRecord{{
		AccountID: id, Week: prev, ModelVersion: "earlier-model", Probability: 0.123, RecordedAt: time.Now().Add(time.Hour),
	}}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	got := decode[accountJSON](t, e.do("GET", "/v1/accounts/"+url.PathEscape(id), ""))
	h := got.Account.History
	if len(h) < 2 {
		t.Fatalf("history of %d weeks", len(h))
	}
	last, before := h[len(h)-1], h[len(h)-2]
	if before.Week != prev.String() || before.Probability != 0.123 || !before.Recorded {
		t.Errorf("last week = %+v, want the recorded 0.123 of %s", before, prev)
	}
	if last.Week != book.AsOf.String() || last.Probability != got.Account.Probability || last.Recorded {
		t.Errorf("this week = %+v, want the score shown now, %v", last, got.Account.Probability)
	}
	if got.Account.Change == nil || math.Abs(*got.Account.Change-(got.Account.Probability-0.123)) > 1e-12 {
		t.Errorf("change %v, want %v", got.Account.Change, got.Account.Probability-0.123)
	}
	// The reload recorded the week again: one copy, every account.
	waitFor(t, "the reload to be recorded", func() bool {
		return testutil.ToFloat64(e.srv.metrics.historyRecorded) >= 2
	})
	if c := recorded(); c != n {
		t.Errorf("week %s holds %d scores after two recordings, want %d", book.AsOf, c, n)
	}
}

// failingStore is a score store whose every call fails.
type failingStore struct{}

func (failingStore) RecordScores(context.Context, []lifecycle.ScoreRecord) (int, error) {
	return 0, errors.New("disk full")
}

func (failingStore) ShownHistory(context.Context, features.Date, features.Date) (map[string][]lifecycle.WeekScore, error) {
	return nil, errors.New("disk full")
}

// TestScoreHistoryFailures: a store that fails neither stops the server
// nor fails a request; each failure is logged and counted.
func TestScoreHistoryFailures(t *testing.T) {
	e := newEnv(t, models.Logistic, func(c *Config) { c.Scores = failingStore{} })
	if w := e.do("GET", "/v1/accounts/"+url.PathEscape(e.anAccount()), ""); w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatalf("reload failed for the store's sake: %v", err)
	}
	waitFor(t, "two failed recordings", func() bool {
		return testutil.ToFloat64(e.srv.metrics.historyFailures.WithLabelValues("record")) == 2
	})
	if got := testutil.ToFloat64(e.srv.metrics.historyFailures.WithLabelValues("read")); got != 2 {
		t.Errorf("%v failed reads counted, want 2", got)
	}
	for _, want := range []string{"score history not recorded", "score history not read", "disk full"} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, e.logs.String())
		}
	}
}
