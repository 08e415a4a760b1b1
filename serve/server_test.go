package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/hazard"
)

// fixture is what every test serves: simulated snapshots and a model of
// each kind trained on them, saved once per test binary.
var fixture struct {
	rows     []features.Snapshot
	dirs     map[string]string // kind -> model directory, read-only
	versions map[string]string // kind -> model version
}

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "serve-test-")
	if err == nil {
		err = prepare(root)
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve tests: prepare fixture:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(root)
	os.Exit(code)
}

// prepare simulates a small customer base and trains and saves every
// model kind with fast settings into root/KIND.
func prepare(root string) error {
	ctx := context.Background()
	var c collector
	if err := simulate.Run(ctx, simulate.Config{Accounts: 600, Weeks: 80, Seed: 3}, &c, nil); err != nil {
		return err
	}
	fixture.rows = c.rows
	src := (&snapshots{schema: simulate.Schema(), rows: c.rows}).source()
	tab, err := features.Build(ctx, src, features.BuildOptions{})
	if err != nil {
		return err
	}
	sp, err := tab.Split(features.SplitOptions{Horizon: 8, ValidWeeks: 8})
	if err != nil {
		return err
	}
	var p models.Params
	p.GBM = gbm.Params{Trees: 60, Depth: 3, LearningRate: 0.1, Seed: 7}
	p.Forest.Trees = 8
	p.Forest.Seed, p.Tree.Seed = 7, 7
	res, err := models.Train(ctx, sp, tab.Spec, models.TrainOptions{Params: p})
	if err != nil {
		return err
	}
	fixture.dirs = map[string]string{}
	fixture.versions = map[string]string{}
	for kind, a := range res.Artifacts {
		dir := filepath.Join(root, kind)
		if err := models.Save(dir, a, res.Report); err != nil {
			return err
		}
		fixture.dirs[kind], fixture.versions[kind] = dir, a.Version
	}
	// The GBM with survival curves (churn train --survival), its hazard
	// fitted small and fast.
	rows, sample, err := hazard.TableRows{From: tab.First, To: tab.Last, Cut: tab.Last}.Build(ctx, tab, 60_000, 1)
	if err != nil {
		return err
	}
	a := *res.Artifacts[models.GBM]
	a.Version = ""
	if a.Hazard, err = hazard.Fit(ctx, rows, sample, hazard.FitOptions{Kind: hazard.GBM, GBM: p.GBM}); err != nil {
		return err
	}
	dir := filepath.Join(root, survivalKind)
	if err := models.Save(dir, &a, res.Report); err != nil {
		return err
	}
	fixture.dirs[survivalKind], fixture.versions[survivalKind] = dir, a.Version
	return nil
}

// survivalKind names the fixture's GBM with survival curves.
const survivalKind = "gbm-survival"

// collector keeps simulated snapshots in memory.
type collector struct{ rows []features.Snapshot }

func (c *collector) Write(s *features.Snapshot) error {
	r := *s
	r.Extra = slices.Clone(s.Extra)
	c.rows = append(c.rows, r)
	return nil
}

// snapshots is an in-memory snapshot file that a test can rewrite or
// break between reloads.
type snapshots struct {
	mu     sync.Mutex
	schema features.Schema
	rows   []features.Snapshot
	err    error // returned by Open when set
}

func (s *snapshots) set(rows []features.Snapshot, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows, s.err = rows, err
}

func (s *snapshots) source() features.Source {
	return features.Source{Name: "memory", Open: func() (features.SnapshotReader, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err != nil {
			return nil, s.err
		}
		return &sliceReader{schema: s.schema, rows: s.rows}, nil
	}}
}

type sliceReader struct {
	schema features.Schema
	rows   []features.Snapshot
}

func (r *sliceReader) Schema() features.Schema { return r.schema }

func (r *sliceReader) Next(s *features.Snapshot) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	*s, r.rows = r.rows[0], r.rows[1:]
	return nil
}

// env is one test's server with what the test may change under it.
type env struct {
	srv      *Server
	h        http.Handler
	modelDir string
	snaps    *snapshots
	logs     *syncBuffer
}

// syncBuffer is a log sink that handlers on many goroutines can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newEnv serves a copy of the kind's model with the fixture snapshots;
// configure, when given, adjusts the config first.
func newEnv(t testing.TB, kind string, configure ...func(*Config)) *env {
	t.Helper()
	e := &env{modelDir: t.TempDir(), snaps: &snapshots{schema: simulate.Schema(), rows: fixture.rows}, logs: &syncBuffer{}}
	installModel(t, kind, e.modelDir)
	cfg := Config{
		ModelDir:  e.modelDir,
		Snapshots: e.snaps.source(),
		Logger:    slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range configure {
		f(&cfg)
	}
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e.srv, e.h = srv, srv.Handler()
	return e
}

// installModel puts the kind's model files into dir, each atomically, as
// a deployment would.
func installModel(t testing.TB, kind, dir string) {
	t.Helper()
	for _, name := range []string{models.MetricsFile, models.ModelFile} {
		b, err := os.ReadFile(filepath.Join(fixture.dirs[kind], name))
		if err != nil {
			t.Fatal(err)
		}
		if err := publish.File(filepath.Join(dir, name), func(w io.Writer) error {
			_, err := w.Write(b)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// do sends a request straight to the handler. header holds name, value
// pairs.
func (e *env) do(method, path, body string, header ...string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

// anAccount returns the id of the riskiest active account.
func (e *env) anAccount() string { return e.srv.state.Load().book.Accounts[0].AccountID }

// scoreJSON is a score response as a client decodes it.
type scoreJSON struct {
	AccountID     string              `json:"account_id"`
	Week          string              `json:"week"`
	Probability   float64             `json:"churn_probability"`
	LogOdds       float64             `json:"log_odds"`
	Base          float64             `json:"base_value"`
	Contributions map[string]*float64 `json:"contributions"`
	Drivers       []struct {
		Feature      string   `json:"feature"`
		Description  string   `json:"description"`
		Value        *float64 `json:"value"`
		Contribution float64  `json:"contribution"`
		Direction    string   `json:"direction"`
	} `json:"drivers"`
	Missing      []string `json:"missing"`
	Health       string   `json:"health"`
	ModelVersion string   `json:"model_version"`
}

// check verifies what every score must satisfy: a contribution for each
// feature, summing with the base to the log-odds, and a probability
// that is the sigmoid of the log-odds.
func (sc *scoreJSON) check(names []string) error {
	if len(sc.Contributions) != len(names) {
		return fmt.Errorf("%d contributions for %d features", len(sc.Contributions), len(names))
	}
	sum := sc.Base
	for _, f := range names {
		v := sc.Contributions[f]
		if v == nil {
			return fmt.Errorf("no contribution for %q", f)
		}
		sum += *v
	}
	if math.Abs(sum-sc.LogOdds) > 1e-9 {
		return fmt.Errorf("base %v + contributions = %v, log_odds %v", sc.Base, sum, sc.LogOdds)
	}
	if p := 1 / (1 + math.Exp(-sc.LogOdds)); math.Abs(p-sc.Probability) > 1e-12 {
		return fmt.Errorf("churn_probability %v, sigmoid(log_odds) %v", sc.Probability, p)
	}
	if sc.ModelVersion == "" || sc.Health == "" || len(sc.Drivers) == 0 {
		return fmt.Errorf("incomplete score %+v", sc)
	}
	return nil
}

func decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body, err)
	}
	return v
}

// TestNewSetsReleaseMode checks that a server leaves gin in release
// mode, whoever calls New: in its default debug mode gin prints every
// route on stdout, which is "churn serve"'s and any embedding program's.
func TestNewSetsReleaseMode(t *testing.T) {
	newEnv(t, "logistic")
	if gin.IsDebugging() || gin.Mode() != gin.ReleaseMode {
		t.Errorf("gin mode %q after New, want %q", gin.Mode(), gin.ReleaseMode)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	src := (&snapshots{schema: simulate.Schema(), rows: fixture.rows}).source()
	broken := (&snapshots{err: errors.New("disk on fire")}).source()
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no model", Config{Snapshots: src}, "no model directory"},
		{"no snapshots for a snapshot model", Config{ModelDir: fixture.dirs[models.GBM]}, "trained on snapshots: it needs a snapshot source"},
		{"negative batch", Config{ModelDir: fixture.dirs[models.GBM], Snapshots: src, MaxBatch: -1}, "max batch"},
		{"admin token is the readers'", Config{ModelDir: fixture.dirs[models.GBM], Snapshots: src, Token: "t", AdminToken: "t"}, "admin token"},
		{"missing model", Config{ModelDir: t.TempDir(), Snapshots: src}, "model.json"},
		{"unreadable snapshots", Config{ModelDir: fixture.dirs[models.GBM], Snapshots: broken}, "disk on fire"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(context.Background(), c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one about %q", err, c.want)
			}
		})
	}
}

// TestUnknownSegmentLogged: accounts of a segment the model was not
// trained on are scored with every segment indicator 0, and the log says
// so, naming the segment.
func TestUnknownSegmentLogged(t *testing.T) {
	rows := slices.Clone(fixture.rows)
	id := rows[len(rows)-1].AccountID
	for i := range rows {
		if rows[i].AccountID == id {
			rows[i].Segment = "public-sector"
		}
	}
	logs := &syncBuffer{}
	dir := t.TempDir()
	installModel(t, "logistic", dir)
	srv, err := New(context.Background(), Config{
		ModelDir:  dir,
		Snapshots: (&snapshots{schema: simulate.Schema(), rows: rows}).source(),
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if got := logs.String(); !strings.Contains(got, "segment unknown to the model") || !strings.Contains(got, "segment=public-sector accounts=1") {
		t.Errorf("log does not name the unknown segment:\n%s", got)
	}
}

// TestDrainingIsNoError: while the server drains, /readyz answers 503 as
// it should, and the log does not call that a failed request.
func TestDrainingIsNoError(t *testing.T) {
	e := newEnv(t, "logistic")
	e.srv.draining.Store(true)
	for _, path := range []string{"/readyz", "/v2/health/ready"} {
		if w := e.do("GET", path, ""); w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s while draining: %d, want 503", path, w.Code)
		}
	}
	if strings.Contains(e.logs.String(), "request failed") {
		t.Errorf("draining logged as a failure:\n%s", e.logs.String())
	}
}
