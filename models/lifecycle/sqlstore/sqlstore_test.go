package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/postgres/pgtest"
	"github.com/churnlabs/churn/models/lifecycle"
)

var pgc = pgtest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgc.Stop(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
	}
	os.Exit(code)
}

// backends are the databases every store test runs on: each returns the
// address of a new, empty database.
var backends = []struct {
	name string
	addr func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "lifecycle", "churn.db") }},
	{"postgres", func(t *testing.T) string { return pgc.DB(t) }},
}

// eachBackend runs f on a new, empty database of every backend.
func eachBackend(t *testing.T, f func(t *testing.T, addr string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.addr(t)) })
	}
}

// openStore opens a migrated store at a new database, closed at the end.
func openStore(t *testing.T, addr string) *Store {
	t.Helper()
	s, err := Open(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seeds write, at each schema version, rows that the later migrations
// must keep; checks read them back at the latest version.
var seeds = map[int]func(ctx context.Context, s *Store) error{
	1: func(ctx context.Context, s *Store) error {
		if _, err := s.RegisterModel(ctx, lifecycle.ModelVersion{Version: "v1", Learner: "logistic"}, "ann", "first"); err != nil {
			return err
		}
		_, err := s.SetChampion(ctx, lifecycle.AuditEntry{User: "ann", Action: lifecycle.Promote, Version: "v1", Reason: "first"})
		return err
	},
	4: func(ctx context.Context, s *Store) error {
		_, err := s.AddAlerts(ctx, []lifecycle.Alert{seedAlert})
		return err
	},
}

// seedAlert is the alert seeds store at version 4.
var seedAlert = lifecycle.Alert{AccountID: "a1", Cause: lifecycle.TurnedRed, Week: 20100, Probability: 0.7,
	Previous: 0.3, Health: "red", PreviousHealth: "yellow", RenewalDate: features.NoDate}

// checkLatestAlerts checks, on a store migrated from version from, that
// the alerts table keeps what version 4 stored and takes new alerts,
// each once.
func checkLatestAlerts(t *testing.T, s *Store, from int) {
	t.Helper()
	ctx := context.Background()
	got, err := s.UndeliveredAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := min(max(from-3, 0), 1); len(got) != want {
		t.Fatalf("%d alerts kept after migrating from version %d, want %d", len(got), from, want)
	}
	a := seedAlert
	a.Week++
	for want := 1; want >= 0; want-- { // the second time, it is already there
		if added, err := s.AddAlerts(ctx, []lifecycle.Alert{a}); err != nil || len(added) != want {
			t.Fatalf("AddAlerts after migrating from version %d = %d added, %v; want %d", from, len(added), err, want)
		}
	}
}

// TestMigrations applies the schema from empty and from every earlier
// version, on every backend: the result is the latest schema, with the
// earlier versions' rows kept, and opening again changes nothing.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	for k := 0; k <= len(migrations); k++ {
		t.Run(fmt.Sprintf("from version %d", k), func(t *testing.T) {
			eachBackend(t, func(t *testing.T, addr string) {
				s, err := open(ctx, addr)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if err := s.migrate(ctx, k); err != nil {
					t.Fatalf("migrate to %d: %v", k, err)
				}
				if v, err := s.Version(ctx); err != nil || v != k {
					t.Fatalf("version after migrating to %d = %d, %v", k, v, err)
				}
				for v := 1; v <= k; v++ {
					if seed := seeds[v]; seed != nil {
						if err := seed(ctx, s); err != nil {
							t.Fatalf("seed at version %d: %v", v, err)
						}
					}
				}
				for range 2 { // the second open finds nothing to do
					s2 := openStore(t, addr)
					if v, err := s2.Version(ctx); err != nil || v != len(migrations) {
						t.Fatalf("version after Open = %d, %v; want %d", v, err, len(migrations))
					}
					if k >= 1 {
						c, err := s2.Champion(ctx)
						if err != nil || c.Version != "v1" || c.Learner != "logistic" {
							t.Fatalf("champion kept across migrations = %+v, %v", c, err)
						}
					}
				}
				checkLatestAudit(t, openStore(t, addr), k)
				checkLatestAlerts(t, openStore(t, addr), k)
			})
		})
	}
}

// checkLatestAudit checks, on a store migrated from version from, what
// the latest schema's audit must do: keep the earlier entries and their
// numbers, take the shadow actions, number on after the kept entries,
// and still refuse to be edited.
func checkLatestAudit(t *testing.T, s *Store, from int) {
	t.Helper()
	ctx := context.Background()
	before, err := s.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := min(from, 1) * 2; len(before) != want {
		t.Fatalf("%d audit entries kept, want %d: %+v", len(before), want, before)
	}
	if _, err := s.RegisterModel(ctx, lifecycle.ModelVersion{Version: "v2"}, "bob", "challenger"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []lifecycle.AuditEntry{
		{User: "bob", Action: lifecycle.Shadow, Version: "v2", Reason: "try it on live traffic"},
		{User: "bob", Action: lifecycle.Unshadow, Version: "v2", Reason: "seen enough"},
		{User: "bob", Action: lifecycle.Shadow, Version: "v2", Reason: "again"},
	} {
		got, err := s.SetShadow(ctx, e)
		if err != nil {
			t.Fatalf("%s after migrating from version %d: %v", e.Action, from, err)
		}
		if len(before) > 0 && got.Seq <= before[len(before)-1].Seq {
			t.Errorf("%s numbered %d, not after the kept entry %d", e.Action, got.Seq, before[len(before)-1].Seq)
		}
	}
	if v, err := s.Shadow(ctx); err != nil || v != "v2" {
		t.Errorf("shadow = %q, %v; want v2", v, err)
	}
	after, err := s.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+4 {
		t.Fatalf("%d audit entries after 4 more, had %d", len(after), len(before))
	}
	for i, e := range before {
		if after[i] != e {
			t.Errorf("audit[%d] = %+v after the shadow entries, was %+v", i, after[i], e)
		}
	}
	for _, q := range []string{`UPDATE audit SET reason = 'edited'`, `DELETE FROM audit`} {
		if _, err := s.db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s after migrating from version %d: %v, want the audit to refuse", q, from, err)
		}
	}
}

// TestNewerSchemaRefused: a database migrated by a later churn is refused
// with an error that says so, not misread.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s := openStore(t, addr)
		if _, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', '')`),
			len(migrations)+1); err != nil {
			t.Fatal(err)
		}
		_, err := Open(ctx, addr)
		if err == nil {
			t.Fatal("Open of a newer database succeeded")
		}
		for _, want := range []string{"newer than this churn", "upgrade churn"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
}

// TestOpenErrors: addresses that cannot be a store get an error naming
// them.
func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "snapshots.csv")
	if err := os.WriteFile(text, []byte("account_id,week\nacme,2025-01-06\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ addr, want string }{
		{"", "no database address"},
		{text, text + ": "},                                // not a database: named, not overwritten
		{filepath.Join(file, "churn.db"), file},            // its folder is a file
		{filepath.Join(t.TempDir(), "a?b.db"), "'?'"},      // would be read as parameters
		{"postgres://u:secret@127.0.0.1:1/db", "u:xxxxx@"}, // nothing listening; password hidden
	} {
		_, err := Open(ctx, tt.addr)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) = %v, want an error containing %q and no password", tt.addr, err, tt.want)
		}
	}
	if b, err := os.ReadFile(text); err != nil || !strings.HasPrefix(string(b), "account_id,week") {
		t.Errorf("the file that is not a database was changed: %q, %v", b, err)
	}
}

// TestRegistry registers, promotes and rolls back on every backend: the
// champion follows, the audit keeps every step with the previous
// champion, and the database refuses to edit the audit.
func TestRegistry(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s := openStore(t, addr)
		if _, err := s.Champion(ctx); !errors.Is(err, lifecycle.ErrNoChampion) {
			t.Fatalf("champion of an empty store: %v, want ErrNoChampion", err)
		}
		for _, v := range []string{"a", "b"} {
			if _, err := s.RegisterModel(ctx, lifecycle.ModelVersion{Version: v, Path: "/m/" + v, Details: []byte(`{"auc":0.8}`)}, "ann", "trained"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.RegisterModel(ctx, lifecycle.ModelVersion{Version: "a"}, "bob", ""); !errors.Is(err, lifecycle.ErrExists) {
			t.Errorf("registering a twice: %v, want ErrExists", err)
		}
		if _, err := s.SetChampion(ctx, lifecycle.AuditEntry{User: "bob", Action: lifecycle.Promote, Version: "zzz"}); !errors.Is(err, lifecycle.ErrNotFound) {
			t.Errorf("promoting an unknown version: %v, want ErrNotFound", err)
		}
		if _, err := s.SetChampion(ctx, lifecycle.AuditEntry{User: "bob", Action: lifecycle.Register, Version: "a"}); err == nil {
			t.Error("SetChampion with action register succeeded")
		}
		steps := []lifecycle.AuditEntry{
			{User: "ann", Action: lifecycle.Promote, Version: "a", Reason: "first"},
			{User: "bob", Action: lifecycle.Promote, Version: "b", Reason: "better AUC"},
			{User: "ann", Action: lifecycle.Rollback, Version: "a", Reason: "b misfires"},
		}
		for _, e := range steps {
			if _, err := s.SetChampion(ctx, e); err != nil {
				t.Fatal(err)
			}
			c, err := s.Champion(ctx)
			if err != nil || c.Version != e.Version {
				t.Fatalf("champion after %s %s = %q, %v", e.Action, e.Version, c.Version, err)
			}
		}
		audit, err := s.Audit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type line struct {
			user          string
			action        lifecycle.Action
			version, prev string
			reason        string
		}
		want := []line{
			{"ann", lifecycle.Register, "a", "", "trained"},
			{"ann", lifecycle.Register, "b", "", "trained"},
			{"ann", lifecycle.Promote, "a", "", "first"},
			{"bob", lifecycle.Promote, "b", "a", "better AUC"},
			{"ann", lifecycle.Rollback, "a", "b", "b misfires"},
		}
		if len(audit) != len(want) {
			t.Fatalf("audit has %d entries, want %d: %+v", len(audit), len(want), audit)
		}
		for i, e := range audit {
			got := line{e.User, e.Action, e.Version, e.Previous, e.Reason}
			if got != want[i] {
				t.Errorf("audit[%d] = %+v, want %+v", i, got, want[i])
			}
			if e.At.IsZero() || (i > 0 && (e.Seq <= audit[i-1].Seq || e.At.Before(audit[i-1].At))) {
				t.Errorf("audit[%d]: seq %d at %v out of order", i, e.Seq, e.At)
			}
		}
		vs, err := s.ModelVersions(ctx)
		if err != nil || len(vs) != 2 || vs[0].Version != "a" || vs[1].Path != "/m/b" || string(vs[0].Details) != `{"auc":0.8}` {
			t.Errorf("model versions = %+v, %v", vs, err)
		}
		for _, q := range []string{`UPDATE audit SET reason = 'edited'`, `DELETE FROM audit`} {
			if _, err := s.db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want the audit to refuse", q, err)
			}
		}
	})
}

// TestMigrationIsAtomic: a migration that fails leaves the database at
// the version it had, with nothing of the failed step, and says which
// step failed.
func TestMigrationIsAtomic(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		s, err := open(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.migrate(ctx, 1); err != nil {
			t.Fatal(err)
		}
		// A table in the way of migration 2's second statement.
		if _, err := s.db.ExecContext(ctx, `CREATE TABLE scores_account (x INTEGER)`); err != nil {
			t.Fatal(err)
		}
		_, err = Open(ctx, addr)
		if err == nil || !strings.Contains(err.Error(), "migration 2 (score history)") {
			t.Fatalf("Open = %v, want migration 2 to fail", err)
		}
		if v, err := s.Version(ctx); err != nil || v != 1 {
			t.Errorf("version after a failed migration = %d, %v; want 1", v, err)
		}
		if _, err := s.db.ExecContext(ctx, `SELECT COUNT(*) FROM scores`); err == nil {
			t.Error("the failed migration's first table is there")
		}
	})
}

// TestConcurrentOpenAndPromote opens one empty database from several
// goroutines at once (each its own connection pool, as processes would)
// and promotes from all of them: every open succeeds, and the audit's
// chain of previous champions has no gap, as no two promotions read the
// same champion.
func TestConcurrentOpenAndPromote(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, addr string) {
		const workers, each = 4, 5
		stores := make([]*Store, workers)
		errs := make(chan error, workers)
		for i := range stores {
			go func() {
				var err error
				stores[i], err = Open(ctx, addr)
				errs <- err
			}()
		}
		for range workers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range stores {
			defer s.Close()
		}
		for _, v := range []string{"a", "b"} {
			if _, err := stores[0].RegisterModel(ctx, lifecycle.ModelVersion{Version: v}, "ci", ""); err != nil {
				t.Fatal(err)
			}
		}
		for i, s := range stores {
			go func() {
				for k := range each {
					v := []string{"a", "b"}[(i+k)%2]
					if _, err := s.SetChampion(ctx, lifecycle.AuditEntry{User: fmt.Sprint("w", i), Action: lifecycle.Promote, Version: v}); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range workers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		audit, err := stores[0].Audit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		prev, promotions := "", 0
		for _, e := range audit {
			if !e.Action.ChangesChampion() {
				continue
			}
			promotions++
			if e.Previous != prev {
				t.Errorf("entry %d: previous %q, but the champion was %q", e.Seq, e.Previous, prev)
			}
			prev = e.Version
		}
		if promotions != workers*each {
			t.Errorf("%d promotions in the audit, want %d", promotions, workers*each)
		}
	})
}
