package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/postgres/pgtest"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
)

// fixture holds model folders of distinct versions, saved once per test
// binary: one logistic model trained on simulated snapshots, and copies
// of it that differ only in their health rule's text, which gives each a
// version of its own without fitting again.
var fixture struct {
	dirs     []string
	versions []string
	// model is the trained model, valid its validation rows.
	model *models.Artifact
	valid *features.Dataset
}

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "registry-test-")
	if err == nil {
		err = prepare(root, 10)
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry tests: prepare fixture:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(root)
	if err := pgc.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "registry tests:", err)
	}
	os.Exit(code)
}

func prepare(root string, n int) error {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 200, Weeks: 60, Seed: 5})
	if err != nil {
		return err
	}
	tab, err := features.Build(ctx, features.MemorySource("memory", simulate.Schema(), rows), features.BuildOptions{})
	if err != nil {
		return err
	}
	sp, err := tab.Split(features.SplitOptions{Horizon: 8, ValidWeeks: 8})
	if err != nil {
		return err
	}
	res, err := models.Train(ctx, sp, tab.Spec, models.TrainOptions{Kinds: []string{models.Logistic}})
	if err != nil {
		return err
	}
	fixture.model, fixture.valid = res.Chosen, sp.Valid
	for i := range n {
		a := *res.Chosen
		a.Health.Rule = fmt.Sprintf("%s (copy %d)", a.Health.Rule, i)
		dir := filepath.Join(root, fmt.Sprint(i))
		if err := models.Save(dir, &a, res.Report); err != nil {
			return err
		}
		fixture.dirs, fixture.versions = append(fixture.dirs, dir), append(fixture.versions, a.Version)
	}
	return nil
}

// memStore is the lifecycle store's registry part in memory, with its
// rules: a version is registered once, only registered versions become
// champion, entries are numbered in order and carry the champion before.
type memStore struct {
	mu       sync.Mutex
	versions map[string]ModelVersion
	audit    []Entry
	// refuse, when set, fails every SetChampion.
	refuse error
}

func newMemStore() *memStore { return &memStore{versions: map[string]ModelVersion{}} }

func (s *memStore) RegisterModel(ctx context.Context, v ModelVersion, user, reason string) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.versions[v.Version]; ok {
		return Entry{}, fmt.Errorf("model version %s: %w", v.Version, ErrExists)
	}
	s.versions[v.Version] = v
	return s.append(Entry{User: user, Action: Register, Version: v.Version, Reason: reason}), nil
}

func (s *memStore) SetChampion(ctx context.Context, e Entry) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse != nil {
		return Entry{}, s.refuse
	}
	if _, ok := s.versions[e.Version]; !ok {
		return Entry{}, fmt.Errorf("model version %s: not found", e.Version)
	}
	return s.append(e), nil
}

func (s *memStore) SetShadow(ctx context.Context, e Entry) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse != nil {
		return Entry{}, s.refuse
	}
	if _, ok := s.versions[e.Version]; !ok {
		return Entry{}, fmt.Errorf("model version %s: not found", e.Version)
	}
	return s.append(e), nil
}

func (s *memStore) append(e Entry) Entry {
	e.Seq, e.At = int64(len(s.audit)+1), time.Now()
	for _, prev := range slices.Backward(s.audit) {
		if prev.Action.ChangesChampion() {
			e.Previous = prev.Version
			break
		}
	}
	s.audit = append(s.audit, e)
	return e
}

func (s *memStore) Audit(ctx context.Context) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.audit), nil
}

// newRegistry returns an empty registry with the first n fixture
// versions registered.
func newRegistry(t *testing.T, n int) (*Registry, *memStore) {
	t.Helper()
	store := newMemStore()
	r := Open(filepath.Join(t.TempDir(), "registry"), store)
	for _, dir := range fixture.dirs[:n] {
		if _, _, err := r.Register(t.Context(), dir, "trainer", "trained"); err != nil {
			t.Fatal(err)
		}
	}
	return r, store
}

func TestRegister(t *testing.T) {
	r, store := newRegistry(t, 0)
	// A temporary left by an interrupted write is not part of the model.
	if err := os.WriteFile(filepath.Join(fixture.dirs[0], ".model.json.tmp-1-1"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(filepath.Join(fixture.dirs[0], ".model.json.tmp-1-1"))
	for i, want := range []bool{true, false} {
		v, added, err := r.Register(t.Context(), fixture.dirs[0], "ann", "trained")
		if err != nil {
			t.Fatal(err)
		}
		if added != want || v.Version != fixture.versions[0] || v.Model == nil || v.Champion {
			t.Errorf("register %d: added %v, version %s, model %v, champion %v", i, added, v.Version, v.Model != nil, v.Champion)
		}
	}
	files, err := os.ReadDir(filepath.Join(r.Dir(), "versions", fixture.versions[0]))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
	}
	if want := []string{models.MetricsFile, models.ModelFile}; !slices.Equal(names, want) {
		t.Errorf("registered files %v, want %v", names, want)
	}
	if len(store.audit) != 1 || store.audit[0].Action != Register || store.audit[0].User != "ann" {
		t.Errorf("audit %+v, want one register entry by ann", store.audit)
	}
	if _, ok := store.versions[fixture.versions[0]]; !ok {
		t.Errorf("the store does not know %s", fixture.versions[0])
	}

	// A folder that is not a model, or whose model was edited, is refused.
	edited := t.TempDir()
	b, err := os.ReadFile(filepath.Join(fixture.dirs[1], models.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(edited, models.ModelFile), []byte(strings.Replace(string(b), `"horizon_weeks": 8`, `"horizon_weeks": 9`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, dir, want string }{
		{"empty folder", t.TempDir(), "no such file"},
		{"edited model", edited, "does not match the content"},
	} {
		if _, _, err := r.Register(t.Context(), c.dir, "ann", "x"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	vs, err := r.Versions()
	if err != nil || len(vs) != 1 {
		t.Errorf("versions %v, %v: want the one registered", vs, err)
	}
}

// TestPromoteRollbackAudit runs promotions and rollbacks in turn and
// checks, after each, the champion, the earlier champions, and the audit
// entry it appended, in order.
func TestPromoteRollbackAudit(t *testing.T) {
	r, store := newRegistry(t, 3)
	v := fixture.versions
	steps := []struct {
		op, version  string // op: promote or rollback
		wantErr      string
		wantChampion string
		wantEarlier  []string
		wantPrevious string
	}{
		{op: "rollback", wantErr: "no champion has been promoted"},
		{op: "promote", version: v[0], wantChampion: v[0]},
		{op: "promote", version: v[0], wantErr: "is the champion already", wantChampion: v[0]},
		{op: "rollback", wantErr: "first champion", wantChampion: v[0]},
		{op: "promote", version: v[1][:len(v[1])-3], wantChampion: v[1], wantEarlier: v[:1], wantPrevious: v[0]},
		{op: "promote", version: v[2], wantChampion: v[2], wantEarlier: v[:2], wantPrevious: v[1]},
		{op: "promote", version: "logistic-nosuch", wantErr: `no version "logistic-nosuch"`, wantChampion: v[2], wantEarlier: v[:2]},
		{op: "promote", version: "logistic-", wantErr: "names 3 versions", wantChampion: v[2], wantEarlier: v[:2]},
		{op: "rollback", wantChampion: v[1], wantEarlier: v[:1], wantPrevious: v[2]},
		{op: "promote", version: v[2], wantChampion: v[2], wantEarlier: v[:2], wantPrevious: v[1]},
		{op: "rollback", wantChampion: v[1], wantEarlier: v[:1], wantPrevious: v[2]},
		{op: "rollback", wantChampion: v[0], wantPrevious: v[1]},
		{op: "rollback", wantErr: "first champion", wantChampion: v[0]},
	}
	for i, s := range steps {
		before := len(store.audit)
		var e Entry
		var err error
		reason := fmt.Sprintf("step %d", i)
		if s.op == "promote" {
			e, err = r.Promote(t.Context(), s.version, "bob", reason)
		} else {
			e, err = r.Rollback(t.Context(), "bob", reason)
		}
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Fatalf("step %d %s %s: error %v, want one saying %q", i, s.op, s.version, err, s.wantErr)
			}
			if len(store.audit) != before {
				t.Fatalf("step %d: a refused %s was audited", i, s.op)
			}
		} else {
			if err != nil {
				t.Fatalf("step %d %s: %v", i, s.op, err)
			}
			last := store.audit[len(store.audit)-1]
			if len(store.audit) != before+1 || last != e || e.Version != s.wantChampion ||
				string(e.Action) != s.op || e.User != "bob" || e.Reason != reason || e.Previous != s.wantPrevious {
				t.Fatalf("step %d: entry %+v (audit %d -> %d), want %s of %s after %q", i, e, before, len(store.audit), s.op, s.wantChampion, s.wantPrevious)
			}
		}
		c, err := r.Champion()
		if s.wantChampion == "" {
			if !errors.Is(err, ErrNoChampion) {
				t.Fatalf("step %d: champion %+v, %v: want none", i, c, err)
			}
			continue
		}
		if err != nil || c.Version != s.wantChampion || !slices.Equal(c.Earlier, s.wantEarlier) {
			t.Fatalf("step %d: champion %s after %v (%v), want %s after %v", i, c.Version, c.Earlier, err, s.wantChampion, s.wantEarlier)
		}
		if ver, dir, err := r.ChampionDir(); err != nil || ver != s.wantChampion || dir != filepath.Join(r.Dir(), "versions", ver) {
			t.Fatalf("step %d: champion dir %s %s %v", i, ver, dir, err)
		}
	}
	vs, err := r.Versions()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range vs {
		if x.Champion != (x.Version == v[0]) {
			t.Errorf("listed %s as champion: %v", x.Version, x.Champion)
		}
	}
}

func TestPromoteNeedsUserAndReason(t *testing.T) {
	r, store := newRegistry(t, 2)
	if _, err := r.Promote(t.Context(), fixture.versions[0], "bob", "first"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, user, reason, want string
	}{
		{"no reason", "bob", "", "give --reason"},
		{"blank reason", "bob", "  \t", "give --reason"},
		{"no user", "", "why", "set CHURN_USER"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(store.audit)
			for _, op := range []func() (Entry, error){
				func() (Entry, error) { return r.Promote(t.Context(), fixture.versions[1], c.user, c.reason) },
				func() (Entry, error) { return r.Rollback(t.Context(), c.user, c.reason) },
			} {
				if _, err := op(); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("error %v, want one saying %q", err, c.want)
				}
			}
			if c, _ := r.Champion(); c.Version != fixture.versions[0] || len(store.audit) != before {
				t.Errorf("refused change made: champion %s, audit %d -> %d", c.Version, before, len(store.audit))
			}
		})
	}
}

// TestAuditRefusal: a change the store cannot record is not made.
func TestAuditRefusal(t *testing.T) {
	r, store := newRegistry(t, 2)
	if _, err := r.Promote(t.Context(), fixture.versions[0], "bob", "first"); err != nil {
		t.Fatal(err)
	}
	store.refuse = errors.New("database is locked")
	if _, err := r.Promote(t.Context(), fixture.versions[1], "bob", "second"); err == nil ||
		!strings.Contains(err.Error(), "not changed, the audit refused it: database is locked") {
		t.Errorf("error %v", err)
	}
	if c, err := r.Champion(); err != nil || c.Version != fixture.versions[0] {
		t.Errorf("champion %s (%v) after a refused promotion", c.Version, err)
	}
}

// TestChampionErrors breaks the champion pointer or the champion's folder
// in each way a registry can be, and expects an error that says what.
func TestChampionErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, r *Registry)
		want  string
		is    error
	}{
		{"never promoted", func(t *testing.T, r *Registry) { os.Remove(filepath.Join(r.Dir(), "champion.json")) }, "no champion has been promoted", ErrNoChampion},
		{"not JSON", func(t *testing.T, r *Registry) {
			write(t, filepath.Join(r.Dir(), "champion.json"), `{"version": "logis`)
		}, "champion.json is corrupt", nil},
		{"empty", func(t *testing.T, r *Registry) { write(t, filepath.Join(r.Dir(), "champion.json"), ``) }, "champion.json is corrupt", nil},
		{"a path for a version", func(t *testing.T, r *Registry) {
			write(t, filepath.Join(r.Dir(), "champion.json"), `{"version": "../../etc"}`)
		}, "champion.json is corrupt", nil},
		{"unknown field", func(t *testing.T, r *Registry) {
			write(t, filepath.Join(r.Dir(), "champion.json"), `{"version": "logistic-1", "champion": true}`)
		}, "unknown field", nil},
		{"version not registered", func(t *testing.T, r *Registry) {
			write(t, filepath.Join(r.Dir(), "champion.json"), `{"version": "gbm-000000000000"}`)
		}, "champion gbm-000000000000", nil},
		{"champion folder removed", func(t *testing.T, r *Registry) {
			os.RemoveAll(filepath.Join(r.Dir(), "versions", fixture.versions[0]))
		}, "no such file", nil},
		{"champion model edited", func(t *testing.T, r *Registry) {
			path := filepath.Join(r.Dir(), "versions", fixture.versions[0], models.ModelFile)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			write(t, path, strings.Replace(string(b), `"horizon_weeks": 8`, `"horizon_weeks": 9`, 1))
		}, "does not match the content", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := newRegistry(t, 1)
			if _, err := r.Promote(t.Context(), fixture.versions[0], "bob", "first"); err != nil {
				t.Fatal(err)
			}
			c.spoil(t, r)
			_, _, err := r.ChampionDir()
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), r.Dir()) {
				t.Fatalf("error %v, want one naming the registry and saying %q", err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
		})
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentPromotions promotes every version at once, each from a
// Registry of its own as separate processes would, and expects a pointer
// that is whole and that agrees with the audit: every promotion landed,
// one after the other, in the audit's order.
func TestConcurrentPromotions(t *testing.T) {
	r, store := newRegistry(t, len(fixture.versions))
	var wg sync.WaitGroup
	errs := make(chan error, len(fixture.versions))
	for _, v := range fixture.versions {
		wg.Go(func() {
			own := Open(r.Dir(), store)
			if _, err := own.Promote(t.Context(), v, "bob", "race"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c, err := r.Champion()
	if err != nil {
		t.Fatal(err)
	}
	var promoted []string
	for i, e := range store.audit {
		if e.Action != Promote {
			continue
		}
		if want := ""; len(promoted) > 0 {
			want = promoted[len(promoted)-1]
			if e.Previous != want {
				t.Errorf("entry %d: previous %s, want %s", i, e.Previous, want)
			}
		}
		promoted = append(promoted, e.Version)
	}
	if got := append(slices.Clone(c.Earlier), c.Version); !slices.Equal(got, promoted) {
		t.Errorf("champion.json has %v, the audit %v", got, promoted)
	}
	sorted := slices.Sorted(slices.Values(promoted))
	if !slices.Equal(sorted, slices.Sorted(slices.Values(fixture.versions))) {
		t.Errorf("promoted %v, want each of %v once", promoted, fixture.versions)
	}
	if c.Seq != store.audit[len(store.audit)-1].Seq {
		t.Errorf("champion.json names audit entry %d, the last is %d", c.Seq, len(store.audit))
	}
}

// TestLockWaitEndsWithContext: a promotion waiting for another to finish
// gives up when its context ends, naming why.
func TestLockWaitEndsWithContext(t *testing.T) {
	r, _ := newRegistry(t, 1)
	unlock, err := r.lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = Open(r.Dir(), newMemStore()).Promote(ctx, fixture.versions[0], "bob", "x")
	if err == nil || !strings.Contains(err.Error(), "waiting for another promotion") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v", err)
	}
}

func TestUser(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CHURN_USER": "svc-deploy", "USER": "ann", "LOGNAME": "ann2"}, "svc-deploy"},
		{map[string]string{"USER": "ann", "LOGNAME": "ann2"}, "ann"},
		{map[string]string{"CHURN_USER": " ", "LOGNAME": "ann2"}, "ann2"},
		{map[string]string{}, ""},
	} {
		got, err := User(func(k string) string { return c.env[k] }, func() (*user.User, error) { return nil, errors.New("unknown uid") })
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("User(%v) = %q, %v; want %q", c.env, got, err, c.want)
		}
	}
	// Without the variables, as in a container or a cron job, the name
	// of the process's user id.
	got, err := User(func(string) string { return "" }, func() (*user.User, error) { return &user.User{Username: "svc"}, nil })
	if got != "svc" || err != nil {
		t.Errorf("User from the uid = %q, %v; want svc", got, err)
	}
}

func TestVersionsOfMissingRegistry(t *testing.T) {
	r := Open(filepath.Join(t.TempDir(), "nothing"), newMemStore())
	if _, err := r.Versions(); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("error %v", err)
	}
}

// TestWithSQLiteStore promotes and rolls back with the lifecycle store
// churn uses by default, and reads the audit back from it.
func TestWithSQLiteStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "registry")
	r := Open(dir, openStore(t, filepath.Join(dir, lifecycle.DefaultDBName)))
	store := r.store.(*sqlstore.Store)
	for _, d := range fixture.dirs[:2] {
		if _, _, err := r.Register(t.Context(), d, "ann", "trained"); err != nil {
			t.Fatal(err)
		}
	}
	if _, added, err := r.Register(t.Context(), fixture.dirs[0], "ann", "again"); err != nil || added {
		t.Fatalf("registering again: added %v, %v", added, err)
	}
	v := fixture.versions
	if _, err := r.Promote(t.Context(), v[0], "bob", "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Promote(t.Context(), v[1], "bob", "better"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Rollback(t.Context(), "carol", "worse on Monday"); err != nil {
		t.Fatal(err)
	}
	audit, err := r.Audit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range audit {
		got = append(got, fmt.Sprintf("%d %s %s by %s after %q: %s", e.Seq, e.Action, e.Version, e.User, e.Previous, e.Reason))
	}
	want := []string{
		fmt.Sprintf("1 register %s by ann after %q: trained", v[0], ""),
		fmt.Sprintf("2 register %s by ann after %q: trained", v[1], ""),
		fmt.Sprintf("3 promote %s by bob after %q: first", v[0], ""),
		fmt.Sprintf("4 promote %s by bob after %q: better", v[1], v[0]),
		fmt.Sprintf("5 rollback %s by carol after %q: worse on Monday", v[0], v[1]),
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	champ, err := store.Champion(t.Context())
	if c, _ := r.Champion(); err != nil || champ.Version != c.Version {
		t.Errorf("the store's champion %s (%v), the registry's %s", champ.Version, err, c.Version)
	}
}

func openStore(t *testing.T, addr string) *sqlstore.Store {
	t.Helper()
	store, err := sqlstore.Open(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

var pgc = pgtest.New()

// TestConcurrentPromotionsWithStores races promotions from registries of
// their own, as separate processes would, on each database churn
// supports, and checks the champion against the store's audit.
func TestConcurrentPromotionsWithStores(t *testing.T) {
	for _, b := range []struct {
		name string
		addr func(t *testing.T, dir string) string
	}{
		{"sqlite", func(t *testing.T, dir string) string { return filepath.Join(dir, lifecycle.DefaultDBName) }},
		{"postgres", func(t *testing.T, dir string) string { return pgc.DB(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "registry")
			addr := b.addr(t, dir)
			// The versions are copied in by hand, unknown to the store:
			// each promotion registers its version first.
			for i, v := range fixture.versions[:5] {
				if err := copyTree(t.Context(), fixture.dirs[i], mkdir(t, filepath.Join(dir, "versions", v))); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for _, v := range fixture.versions[:5] {
				wg.Go(func() {
					if _, err := Open(dir, openStore(t, addr)).Promote(t.Context(), v, "bob", "race"); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			r := Open(dir, openStore(t, addr))
			c, err := r.Champion()
			if err != nil {
				t.Fatal(err)
			}
			audit, err := r.Audit(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var promoted []string
			registered := 0
			for _, e := range audit {
				switch e.Action {
				case Promote:
					promoted = append(promoted, e.Version)
				case Register:
					registered++
				}
			}
			if got := append(slices.Clone(c.Earlier), c.Version); !slices.Equal(got, promoted) || registered != 5 {
				t.Errorf("champion.json has %v, the audit promoted %v and registered %d", got, promoted, registered)
			}
			champ, err := r.store.(*sqlstore.Store).Champion(t.Context())
			if err != nil || champ.Version != c.Version {
				t.Errorf("the store's champion %s (%v), champion.json's %s", champ.Version, err, c.Version)
			}
		})
	}
}

func mkdir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestVersionsListsUnusable: a version folder that no longer loads is
// listed with why, and cannot be promoted.
func TestVersionsListsUnusable(t *testing.T) {
	r, _ := newRegistry(t, 2)
	write(t, filepath.Join(r.Dir(), "versions", fixture.versions[1], models.ModelFile), "{")
	vs, err := r.Versions()
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Err != nil || vs[1].Err == nil || vs[1].Model != nil {
		t.Fatalf("versions %+v", vs)
	}
	if _, err := r.Promote(t.Context(), fixture.versions[1], "bob", "x"); err == nil || !strings.Contains(err.Error(), fixture.versions[1]) {
		t.Errorf("promoting an unusable version: %v", err)
	}
}

func TestDefaultDB(t *testing.T) {
	for _, c := range []struct{ model, want string }{
		{"reg/versions/gbm-0123456789ab", filepath.Join("reg", lifecycle.DefaultDBName)},
		{"reg/versions/gbm-0123456789ab/", filepath.Join("reg", lifecycle.DefaultDBName)},
		{"out/model", filepath.Join("out", lifecycle.DefaultDBName)},
	} {
		if got := DefaultDB(c.model); got != c.want {
			t.Errorf("DefaultDB(%q) = %q, want %q", c.model, got, c.want)
		}
	}
}

// TestShadow sets, replaces and clears the shadow, on a memory store and
// on SQLite: each change is in the audit with the champion beside it,
// shadow.json follows, refusals change nothing, and promoting the shadow
// ends its shadowing on the record.
func TestShadow(t *testing.T) {
	for _, tt := range []struct {
		name  string
		store func(t *testing.T, dir string) Store
	}{
		{"memory", func(*testing.T, string) Store { return newMemStore() }},
		{"sqlite", func(t *testing.T, dir string) Store { return openStore(t, filepath.Join(dir, "churn.db")) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			dir := filepath.Join(t.TempDir(), "registry")
			r := Open(dir, tt.store(t, t.TempDir()))
			v := fixture.versions
			for _, d := range fixture.dirs[:3] {
				if _, _, err := r.Register(ctx, d, "ann", "trained"); err != nil {
					t.Fatal(err)
				}
			}
			if sh, err := r.Shadow(); err != nil || sh.Version != "" {
				t.Fatalf("shadow of a new registry = %+v, %v", sh, err)
			}
			if ver, d, err := r.ShadowDir(); ver != "" || d != "" || err != nil {
				t.Fatalf("ShadowDir without a shadow = %q, %q, %v", ver, d, err)
			}
			if _, err := r.Promote(ctx, v[0], "ann", "first"); err != nil {
				t.Fatal(err)
			}
			shadow := func(want string) {
				t.Helper()
				ver, _, err := r.ShadowVersion()
				if err != nil || ver != want {
					t.Fatalf("shadow version = %q, %v; want %q", ver, err, want)
				}
				vs, err := r.Versions()
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range vs {
					if x.Shadow != (x.Version == want) {
						t.Errorf("Versions: %s marked shadow %v, shadow is %q", x.Version, x.Shadow, want)
					}
				}
			}
			for _, bad := range []struct{ name, user, reason, want string }{
				{v[0], "bob", "why", "is the champion"},
				{v[1], "bob", "", "no reason"},
				{v[1], "", "why", "no user"},
				{"nosuchversion", "bob", "why", "no version"},
			} {
				if _, err := r.SetShadow(ctx, bad.name, bad.user, bad.reason); err == nil || !strings.Contains(err.Error(), bad.want) {
					t.Errorf("SetShadow(%q, %q, %q) = %v, want %q", bad.name, bad.user, bad.reason, err, bad.want)
				}
			}
			if _, err := r.ClearShadow(ctx, "bob", "why"); err == nil || !strings.Contains(err.Error(), "has no shadow") {
				t.Errorf("ClearShadow without one = %v", err)
			}
			shadow("")
			if _, err := r.SetShadow(ctx, v[1][:len(v[1])-2], "bob", "live check"); err != nil {
				t.Fatal(err)
			}
			shadow(v[1])
			if ver, d, err := r.ShadowDir(); err != nil || ver != v[1] || d != filepath.Join(dir, "versions", v[1]) {
				t.Errorf("ShadowDir = %q, %q, %v", ver, d, err)
			}
			if _, err := r.SetShadow(ctx, v[1], "bob", "again"); err == nil || !strings.Contains(err.Error(), "the shadow already") {
				t.Errorf("shadowing the shadow again = %v", err)
			}
			if _, err := r.SetShadow(ctx, v[2], "bob", "another"); err != nil {
				t.Fatal(err)
			}
			shadow(v[2])
			if _, err := r.ClearShadow(ctx, "carol", "enough"); err != nil {
				t.Fatal(err)
			}
			shadow("")
			if _, err := r.SetShadow(ctx, v[1], "bob", "once more"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Promote(ctx, v[1], "carol", "better live"); err != nil {
				t.Fatal(err)
			}
			shadow("")
			audit, err := r.Audit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range audit[3:] { // after the registrations
				got = append(got, fmt.Sprintf("%s %s by %s after %q: %s", e.Action, e.Version, e.User, e.Previous, e.Reason))
			}
			want := []string{
				fmt.Sprintf("promote %s by ann after %q: first", v[0], ""),
				fmt.Sprintf("shadow %s by bob after %q: live check", v[1], v[0]),
				fmt.Sprintf("shadow %s by bob after %q: another", v[2], v[0]),
				fmt.Sprintf("unshadow %s by carol after %q: enough", v[2], v[0]),
				fmt.Sprintf("shadow %s by bob after %q: once more", v[1], v[0]),
				fmt.Sprintf("promote %s by carol after %q: better live", v[1], v[0]),
				fmt.Sprintf("unshadow %s by carol after %q: promoted to champion (audit entry %d)", v[1], v[1], audit[len(audit)-2].Seq),
			}
			if !slices.Equal(got, want) {
				t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			write(t, filepath.Join(dir, "shadow.json"), `{"version": "../x"}`)
			if _, _, err := r.ShadowVersion(); err == nil || !strings.Contains(err.Error(), "shadow.json is corrupt") {
				t.Errorf("a corrupt shadow.json: %v", err)
			}
		})
	}
}
