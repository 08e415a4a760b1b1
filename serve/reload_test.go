package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/jsonfloat"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
)

// TestReloadUnderLoad swaps the model back and forth ten times while
// four clients score an account, and expects every request to succeed
// with a whole answer from one model or the other.
func TestReloadUnderLoad(t *testing.T) {
	e := newEnv(t, models.Logistic)
	id := e.anAccount()
	names := e.srv.state.Load().model.Features
	want := map[string]bool{fixture.versions[models.Logistic]: true, fixture.versions[models.GBM]: true}

	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var served atomic.Int64
	seen := make([]map[string]bool, 4)
	errs := make(chan error, len(seen))
	for g := range seen {
		seen[g] = map[string]bool{}
		wg.Go(func() {
			path := "/v1/accounts/" + id + "/score"
			if g%2 == 1 {
				path = "/v1/score"
			}
			for ctx.Err() == nil {
				var w *httptest.ResponseRecorder
				if g%2 == 1 {
					w = e.do("POST", path, `{"features": {"recency_days": 30, "logins_4w_mean": 1}}`)
				} else {
					w = e.do("GET", path, "")
				}
				if w.Code != 200 {
					errs <- fmt.Errorf("%s: status %d: %s", path, w.Code, w.Body)
					return
				}
				var sc scoreJSON
				if err := json.Unmarshal(w.Body.Bytes(), &sc); err != nil {
					errs <- err
					return
				}
				if err := sc.check(names); err != nil || !want[sc.ModelVersion] {
					errs <- fmt.Errorf("%s: torn or foreign score (%v): %s", path, err, w.Body)
					return
				}
				seen[g][sc.ModelVersion] = true
				served.Add(1)
			}
		})
	}
	for i := range 10 {
		kind := models.GBM
		if i%2 == 1 {
			kind = models.Logistic
		}
		installModel(t, kind, e.modelDir)
		if err := e.srv.Reload(ctx); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		if v := e.srv.ModelVersion(); v != fixture.versions[kind] {
			t.Fatalf("reload %d: serving %s, want %s", i, v, fixture.versions[kind])
		}
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	both := 0
	for _, s := range seen {
		if len(s) == 2 {
			both++
		}
	}
	t.Logf("%d requests served during 10 reloads; %d of %d clients saw both models", served.Load(), both, len(seen))
	if served.Load() == 0 || both == 0 {
		t.Error("no client saw the model change: the test did not overlap requests with reloads")
	}
}

// TestReloadRejectsBadInput breaks the model or the snapshots in each way
// a deployment can, reloads through the admin route, and expects a 422,
// a log line, a failure count, and the old model still serving.
func TestReloadRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		spoil func(e *env)
		want  string
	}{
		{"corrupt model", func(e *env) {
			writeFile(t, filepath.Join(e.modelDir, models.ModelFile), `{"format": "churn-model/1", "kind": "gbm", "trees": [`)
		}, "model.json"},
		{"model of another format", func(e *env) {
			b, err := os.ReadFile(filepath.Join(e.modelDir, models.ModelFile))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(e.modelDir, models.ModelFile), strings.Replace(string(b), models.FormatVersion, "churn-model/0", 1))
		}, "churn-model/0"},
		{"missing model", func(e *env) {
			if err := os.Remove(filepath.Join(e.modelDir, models.ModelFile)); err != nil {
				t.Fatal(err)
			}
		}, "no such file"},
		{"unreadable snapshots", func(e *env) { e.snaps.set(nil, errors.New("permission denied")) }, "permission denied"},
		{"empty snapshots", func(e *env) { e.snaps.set(nil, nil) }, "no snapshot rows"},
		{"snapshots without a column the model uses", func(e *env) {
			rows := slices.Clone(fixture.rows)
			for i := range rows {
				rows[i].Extra = rows[i].Extra[:1]
			}
			e.snaps.set(rows, nil)
			e.snaps.schema.Extras = []string{simulate.ColSeats}
		}, simulate.ColActiveUsers},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, models.GBM)
			id := e.anAccount()
			before := e.do("GET", "/v1/accounts/"+id+"/score", "").Body.String()
			c.spoil(e)
			w := e.do("POST", "/v1/admin/reload", "")
			if w.Code != 422 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			wantError("still serving model "+fixture.versions[models.GBM])(t, w)
			wantError(c.want)(t, w)
			if v := e.srv.ModelVersion(); v != fixture.versions[models.GBM] {
				t.Errorf("serving %s after a rejected reload", v)
			}
			if after := e.do("GET", "/v1/accounts/"+id+"/score", "").Body.String(); after != before {
				t.Errorf("score changed after a rejected reload:\n%s\n%s", before, after)
			}
			if !strings.Contains(e.logs.String(), "reload rejected; still serving the previous model") {
				t.Errorf("no log line:\n%s", e.logs)
			}
			m := e.do("GET", "/metrics", "").Body.String()
			if !strings.Contains(m, "churn_reload_failures_total 1") || !strings.Contains(m, "churn_reloads_total 1") {
				t.Errorf("reload metrics not counted")
			}
		})
	}
}

// TestReloadPicksUpNewSnapshots reloads after a new week of snapshots
// arrives and expects the new week served.
func TestReloadPicksUpNewSnapshots(t *testing.T) {
	e := newEnv(t, models.Logistic)
	// Serve the data without its last week first, then all of it.
	last := e.srv.state.Load().book.AsOf
	var older []features.Snapshot
	for _, r := range fixture.rows {
		if r.Week < last {
			older = append(older, r)
		}
	}
	e.snaps.set(older, nil)
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.state.Load().book.AsOf; got != last-7 {
		t.Fatalf("as of %s, want %s", got, last-7)
	}
	e.snaps.set(fixture.rows, nil)
	if w := e.do("POST", "/v1/admin/reload", ""); w.Code != 200 || !bytes.Contains(w.Body.Bytes(), []byte(last.String())) {
		t.Fatalf("reload: status %d: %s", w.Code, w.Body)
	}
	w := e.do("GET", "/v1/accounts/"+e.anAccount()+"/score", "")
	if sc := decode[scoreJSON](t, w); sc.Week != last.String() {
		t.Errorf("scored week %s, want %s", sc.Week, last)
	}
}

// TestConcurrentExplain scores the same rows from several goroutines at
// once with each tree model, whose explainers are shared by every
// request, and expects the answers of a single goroutine. Run with -race
// it shows that explaining is safe for concurrent use.
func TestConcurrentExplain(t *testing.T) {
	for _, kind := range []string{models.Tree, models.Forest, models.GBM} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			var body strings.Builder
			body.WriteString(`{"rows": [`)
			for i, a := range e.srv.state.Load().book.Accounts[:50] {
				if i > 0 {
					body.WriteByte(',')
				}
				body.WriteString(`{`)
				for j, f := range e.srv.state.Load().model.Features {
					if j > 0 {
						body.WriteByte(',')
					}
					fmt.Fprintf(&body, "%q: %s", f, jsonfloat.Append(nil, a.Features[j]))
				}
				body.WriteString(`}`)
			}
			body.WriteString(`]}`)
			want := e.do("POST", "/v1/score", body.String())
			if want.Code != 200 {
				t.Fatalf("status %d: %s", want.Code, want.Body)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range 10 {
						got := e.do("POST", "/v1/score", body.String())
						if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
							t.Errorf("concurrent scores differ from sequential ones")
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := publish.File(path, func(w io.Writer) error {
		_, err := io.WriteString(w, content)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// heldSnapshots makes the env's snapshot source block every load on
// release while hold is set, and say so on entered: a test can then keep
// a reload running for as long as it needs.
type heldSnapshots struct {
	hold    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *heldSnapshots) configure(c *Config) {
	h.entered, h.release = make(chan struct{}, 100), make(chan struct{})
	open := c.Snapshots.Open
	c.Snapshots.Open = func() (features.SnapshotReader, error) {
		if h.hold.Load() {
			h.entered <- struct{}{}
			<-h.release
		}
		return open()
	}
}

// reloadWaiters reports how many callers wait on the queued reload, and
// whether a reload runs.
func (s *Server) reloadWaiters() (queued int, running bool) {
	s.reloads.mu.Lock()
	defer s.reloads.mu.Unlock()
	if s.reloads.next != nil {
		queued = s.reloads.next.waiters
	}
	return queued, s.reloads.running
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestReloadsCoalesce holds one reload while 20 more arrive through the
// admin route after a new model is installed: they must share one
// further reload, which loads the new model, so two run in all.
func TestReloadsCoalesce(t *testing.T) {
	var h heldSnapshots
	e := newEnv(t, models.Logistic, h.configure)
	h.hold.Store(true)
	first := make(chan error, 1)
	go func() { first <- e.srv.Reload(t.Context()) }()
	<-h.entered
	installModel(t, models.GBM, e.modelDir)

	const callers = 20
	codes := make(chan string, callers)
	for range callers {
		go func() {
			w := e.do("POST", "/v1/admin/reload", "")
			var d struct {
				Version string `json:"model_version"`
			}
			_ = json.Unmarshal(w.Body.Bytes(), &d) // a bad body shows as an empty version
			codes <- fmt.Sprintf("%d %s", w.Code, d.Version)
		}()
	}
	waitFor(t, "the callers to queue", func() bool { n, _ := e.srv.reloadWaiters(); return n == callers })
	h.hold.Store(false)
	close(h.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	want := "200 " + fixture.versions[models.GBM]
	for range callers {
		if got := <-codes; got != want {
			t.Errorf("a queued caller got %q, want %q", got, want)
		}
	}
	if n := testutil.ToFloat64(e.srv.metrics.reloads); n != 2 {
		t.Errorf("%v reloads ran for 1 + %d calls, want 2", n, callers)
	}
}

// TestAbandonedReloadsAddNoWork queues 30 admin calls behind a running
// reload and hangs up on all of them: only the running reload may run.
func TestAbandonedReloadsAddNoWork(t *testing.T) {
	var h heldSnapshots
	e := newEnv(t, models.Logistic, h.configure)
	h.hold.Store(true)
	first := make(chan error, 1)
	go func() { first <- e.srv.Reload(t.Context()) }()
	<-h.entered

	const callers = 30
	ctx, hangUp := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			req := httptest.NewRequestWithContext(ctx, "POST", "/v1/admin/reload", nil)
			e.h.ServeHTTP(httptest.NewRecorder(), req)
		})
	}
	waitFor(t, "the callers to queue", func() bool { n, _ := e.srv.reloadWaiters(); return n == callers })
	hangUp()
	h.hold.Store(false)
	close(h.release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reloads to end", func() bool { _, running := e.srv.reloadWaiters(); return !running })
	// A caller gone before it calls adds no work either.
	if err := e.srv.Reload(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("reload with a cancelled context: %v", err)
	}
	if n := testutil.ToFloat64(e.srv.metrics.reloads); n != 1 {
		t.Errorf("%v reloads ran after %d abandoned calls, want 1", n, callers)
	}
}
