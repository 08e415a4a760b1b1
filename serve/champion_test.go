package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/models/registry"
)

// newRegistry returns a registry with the fixture's logistic and GBM
// models registered and the logistic one promoted.
func newRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlstore.Open(t.Context(), filepath.Join(dir, "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := registry.Open(dir, store)
	for _, kind := range []string{models.Logistic, models.GBM} {
		if _, _, err := reg.Register(t.Context(), fixture.dirs[kind], "test", "fixture"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.Promote(t.Context(), fixture.versions[models.Logistic], "test", "first"); err != nil {
		t.Fatal(err)
	}
	return reg
}

// serving waits until the server serves version, or fails the test.
func serving(t *testing.T, srv *Server, version string) {
	t.Helper()
	waitFor(t, "model "+version, func() bool { return srv.ModelVersion() == version })
}

// TestFollowChampionUnderLoad promotes and rolls back four times while
// four clients score, with the server following the registry's champion,
// and expects every promotion served and every request answered whole.
func TestFollowChampionUnderLoad(t *testing.T) {
	reg := newRegistry(t)
	e := newEnv(t, models.Logistic, func(c *Config) { c.ModelDir, c.Champion = "", reg })
	go e.srv.FollowChampion(t.Context(), 10*time.Millisecond)
	id := e.anAccount()
	names := e.srv.state.Load().model.Features
	want := map[string]bool{fixture.versions[models.Logistic]: true, fixture.versions[models.GBM]: true}

	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var served, failed atomic.Int64
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				path, method, body := "/v1/accounts/"+id+"/score", "GET", ""
				if g%2 == 1 {
					path, method, body = "/v1/score", "POST", `{"features": {"recency_days": 30}}`
				}
				w := e.do(method, path, body)
				var sc scoreJSON
				err := json.Unmarshal(w.Body.Bytes(), &sc)
				if err == nil {
					err = sc.check(names)
				}
				if w.Code != 200 || err != nil || !want[sc.ModelVersion] {
					failed.Add(1)
					select {
					case errs <- fmt.Errorf("%s: status %d (%v): %s", path, w.Code, err, w.Body):
					default:
					}
					continue
				}
				served.Add(1)
			}
		})
	}
	for i := range 4 {
		var err error
		target := fixture.versions[models.GBM]
		if i%2 == 0 {
			_, err = reg.Promote(ctx, target, "test", fmt.Sprint("promotion ", i))
		} else {
			target = fixture.versions[models.Logistic]
			_, err = reg.Rollback(ctx, "test", fmt.Sprint("rollback ", i))
		}
		if err != nil {
			t.Fatal(err)
		}
		serving(t, e.srv, target)
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d requests served during 4 changes of champion, %d failed", served.Load(), failed.Load())
	if failed.Load() > 0 || served.Load() == 0 {
		t.Errorf("%d failed requests, %d served", failed.Load(), served.Load())
	}
}

// TestFollowChampionKeepsServing breaks the champion pointer, then
// promotes a model that cannot be served, and expects the current model
// to keep serving, one log line for each, and no reload retried on every
// poll.
func TestFollowChampionKeepsServing(t *testing.T) {
	reg := newRegistry(t)
	e := newEnv(t, models.Logistic, func(c *Config) { c.ModelDir, c.Champion = "", reg })
	ctx := t.Context()
	follow := func() (stop func()) {
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			e.srv.FollowChampion(ctx, 5*time.Millisecond)
			close(done)
		}()
		return func() { cancel(); <-done }
	}
	stop := follow()
	logistic := fixture.versions[models.Logistic]
	pointer := filepath.Join(reg.Dir(), "champion.json")
	good, err := os.ReadFile(pointer)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, pointer, `{"version": "gbm-`)
	waitFor(t, "the log line", func() bool { return strings.Contains(e.logs.String(), "cannot read the champion") })
	time.Sleep(50 * time.Millisecond) // ten polls more
	if v := e.srv.ModelVersion(); v != logistic {
		t.Fatalf("serving %s after the pointer broke", v)
	}
	if n := strings.Count(e.logs.String(), "cannot read the champion"); n != 1 {
		t.Errorf("%d log lines for a broken pointer, want 1:\n%s", n, e.logs)
	}
	writeFile(t, pointer, string(good))

	// A GBM whose model.json was edited after training: promoted (the
	// registry checked it then) while the server was not looking, it
	// cannot be loaded now.
	stop()
	if _, err := reg.Promote(ctx, fixture.versions[models.GBM], "test", "bad"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(reg.Dir(), "versions", fixture.versions[models.GBM], models.ModelFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, strings.Replace(string(b), `"horizon_weeks": 8`, `"horizon_weeks": 9`, 1))
	stop = follow()
	waitFor(t, "the rejected reload", func() bool { return strings.Contains(e.logs.String(), "reload rejected") })
	time.Sleep(50 * time.Millisecond)
	if v := e.srv.ModelVersion(); v != logistic {
		t.Fatalf("serving %s after a bad promotion", v)
	}
	if n := strings.Count(e.logs.String(), "the champion changed: reloading"); n != 1 {
		t.Errorf("%d reloads of the bad champion, want 1 (no retry every poll):\n%s", n, e.logs)
	}
	// Rolling back to what is served is no change; promoting a good
	// model again is followed.
	if _, err := reg.Rollback(ctx, "test", "back"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(b))
	if _, err := reg.Promote(ctx, fixture.versions[models.GBM], "test", "fixed"); err != nil {
		t.Fatal(err)
	}
	serving(t, e.srv, fixture.versions[models.GBM])
	stop()
}

func TestConfigModelOrChampion(t *testing.T) {
	reg := newRegistry(t)
	_, err := New(t.Context(), Config{ModelDir: fixture.dirs[models.GBM], Champion: reg, Snapshots: (&snapshots{}).source()})
	if err == nil || !strings.Contains(err.Error(), "give one") {
		t.Errorf("error %v", err)
	}
	empty := registry.Open(t.TempDir(), nil)
	_, err = New(t.Context(), Config{Champion: empty, Snapshots: (&snapshots{}).source()})
	if err == nil || !strings.Contains(err.Error(), "no champion has been promoted") {
		t.Errorf("error %v", err)
	}
}
