package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/serve"
	"github.com/churnlabs/churn/serve/dashboard"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// requireEnv makes a missing browser fail the test rather than skip it:
// CI sets CHURN_E2E=require after installing Chromium, so a broken
// install cannot pass as a skipped test.
const requireEnv = "CHURN_E2E"

// artifactsEnv names a directory that also receives the screenshots,
// for CI to keep: the test's temporary directory is gone when it ends.
const artifactsEnv = "CHURN_E2E_ARTIFACTS"

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // no route listing on stdout
	os.Exit(m.Run())
}

// TestBrowser serves a real model and drives the dashboard in headless
// Chromium, as a customer-success person would use it.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv(requireEnv) == "require" {
			t.Fatalf("%s=require but there is no browser: %v (apt-get install chromium chromium-driver)", requireEnv, err)
		}
		t.Skipf("no browser at %s (apt-get install chromium chromium-driver, or set %s=require to fail instead)",
			chromiumPath, requireEnv)
	}
	if testing.Short() {
		t.Skip("trains a model and starts a browser; skipped with -short")
	}
	fx := newFixture(t)
	browser := startBrowser(t)

	t.Run("ranking, filter and drill-down", func(t *testing.T) {
		ts := fx.server(t, serve.Config{})
		tab := newTab(t, browser)
		tab.open(ts.URL)
		tab.checkRanking(ts.URL)
		tab.screenshot("dashboard.png")
		tab.checkKeyboard()
	})
	t.Run("token required", func(t *testing.T) {
		const token = "s3cret-token"
		ts := fx.server(t, serve.Config{Token: token})
		tab := newTab(t, browser)
		tab.open(ts.URL)
		tab.do(chromedp.WaitVisible(chromedp.CSS(`#auth[data-reason="required"] #token-form`)))
		if n := tab.count("#ranking tbody tr"); n != 0 {
			t.Fatalf("%d ranking rows shown before the token was given", n)
		}

		tab.screenshot("sign-in.png")

		tab.signIn("wrong-token")
		tab.do(chromedp.WaitVisible(chromedp.CSS(`#auth[data-reason="rejected"] #token-form`)))
		if msg := tab.text("#auth-message"); !strings.Contains(msg, "did not accept") {
			t.Errorf("after a wrong token the page says %q, want that it was not accepted", msg)
		}

		tab.signIn(token)
		tab.waitRows("")
		if got := tab.eval(`sessionStorage.getItem("churn.token")`); got != token {
			t.Errorf("sessionStorage holds %q, want the token", got)
		}
		// A reload keeps the token for the tab's life.
		tab.open(ts.URL)
		tab.waitRows("")
		tab.checkErrors()
	})
	t.Run("public dashboard", func(t *testing.T) {
		ts := fx.server(t, serve.Config{Token: "s3cret-token", PublicDashboard: true})
		tab := newTab(t, browser)
		tab.open(ts.URL)
		tab.waitRows("")
		if tab.visible("#token-form") {
			t.Error("the token form is shown although the dashboard is public")
		}
		tab.checkErrors()
	})
}

// fixture is a trained model and the snapshots it scores.
type fixture struct {
	modelDir  string
	snapshots features.Source
}

// newFixture simulates a small customer base into a CSV file, trains a
// gradient-boosted model on it and saves the model, as "churn gen" and
// "churn train" would.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshots.csv")
	err := features.WriteFileAtomic(path, func(f io.Writer) error {
		w, err := csvfile.NewWriter(f, simulate.Schema())
		if err != nil {
			return err
		}
		if err := simulate.Run(ctx, simulate.Config{Accounts: 600, Weeks: 80, Seed: 5}, w, nil); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		t.Fatalf("write snapshots: %v", err)
	}
	src := features.Source{Name: path, Open: func() (features.SnapshotReader, error) {
		r, err := csvfile.Open(path)
		if err != nil {
			return nil, err
		}
		return r, nil
	}}
	table, err := features.Build(ctx, src, features.BuildOptions{})
	if err != nil {
		t.Fatalf("build features: %v", err)
	}
	sp, err := table.Split(features.SplitOptions{Horizon: 8, ValidWeeks: 8})
	if err != nil {
		t.Fatalf("split: %v", err)
	}
	var p models.Params
	p.GBM = gbm.Params{Trees: 40, Depth: 3, LearningRate: 0.15, Seed: 7}
	res, err := models.Train(ctx, sp, table.Spec, models.TrainOptions{Kinds: []string{models.GBM}, Params: p})
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	modelDir := filepath.Join(dir, "model")
	if err := models.Save(modelDir, res.Chosen, res.Report); err != nil {
		t.Fatal(err)
	}
	return &fixture{modelDir: modelDir, snapshots: src}
}

// server starts the churn server with the dashboard and the given access
// settings.
func (fx *fixture) server(t *testing.T, cfg serve.Config) *httptest.Server {
	t.Helper()
	cfg.ModelDir, cfg.Snapshots, cfg.Dashboard = fx.modelDir, fx.snapshots, dashboard.Handler()
	s, err := serve.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	// A browser cannot send a bearer token when it navigates, so the page
	// itself must load without one; only the data behind it is guarded.
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / without a token: %s, want 200: the page holds no data, and without it "+
			"nobody can give the token", resp.Status)
	}
	return ts
}

// startBrowser starts headless Chromium with a fresh profile, for the
// whole test.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	profile := filepath.Join(t.TempDir(), "chromium-profile")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1440, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the browser to exit
		// Chromium's helper processes can write to the profile for a
		// moment after it exits; TempDir's own cleanup would then fail.
		removeAll(t, profile)
	})
	// The first action starts the browser, which then lives as long as
	// the context of that action: so it gets ctx itself, not a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

func removeAll(t *testing.T, dir string) {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("remove browser profile: %v", err)
}

// tab is one browser tab, in a browser context of its own so that tabs
// share no storage, with the page errors it has seen.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu     sync.Mutex
	errors []string
}

// tabTimeout bounds each step: generous for a loaded CI machine, short
// enough that a page that never renders fails rather than hangs.
const tabTimeout = 30 * time.Second

// cspProbe records Content-Security-Policy violations. Scripts added
// this way are exempt from the page's policy, so it sees them all.
const cspProbe = `document.addEventListener("securitypolicyviolation", (e) => {
	(window.cspViolations = window.cspViolations || []).push(e.violatedDirective + " blocked " + e.blockedURI);
});`

func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			msg = "console.error:"
			for _, arg := range ev.Args {
				msg += " " + string(arg.Value) + arg.Description
			}
		default:
			return
		}
		tb.mu.Lock()
		tb.errors = append(tb.errors, msg)
		tb.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("open tab: %v", err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe}); err != nil {
		t.Fatalf("add CSP probe: %v", err)
	}
	return tb
}

// do runs browser actions, failing the test on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, tabTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v%s", err, tb.pageErrors())
	}
}

// eval evaluates a JavaScript expression whose value is a string.
func (tb *tab) eval(expr string) string {
	tb.t.Helper()
	return run(tb, chromedp.Evaluate[string](expr))
}

func run[T any](tb *tab, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, tabTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("browser: %v%s", err, tb.pageErrors())
	}
	return v
}

func (tb *tab) open(url string) { tb.t.Helper(); tb.do(chromedp.Navigate(url)) }

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return run(tb, chromedp.TextContent(chromedp.CSS(sel)))
}

func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return run(tb, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

func (tb *tab) visible(sel string) bool {
	tb.t.Helper()
	return run(tb, chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); return !!e && e.checkVisibility(); })()`, sel)))
}

func (tb *tab) signIn(token string) {
	tb.t.Helper()
	tb.do(
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)),
	)
}

// waitRows waits until the ranking has rendered the answer for segment
// ("" for all) and shows at least one row.
func (tb *tab) waitRows(segment string) {
	tb.t.Helper()
	sel := fmt.Sprintf(`#ranking[data-state="ready"][data-segment=%q] tbody tr[data-account-id]`, segment)
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// pageErrors describes what went wrong inside the page, for failures.
func (tb *tab) pageErrors() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.errors) == 0 {
		return ""
	}
	return "\npage errors:\n\t" + strings.Join(tb.errors, "\n\t")
}

// checkErrors fails the test if the page threw, logged an error or broke
// its Content-Security-Policy.
func (tb *tab) checkErrors() {
	tb.t.Helper()
	if errs := tb.pageErrors(); errs != "" {
		tb.t.Error(strings.TrimPrefix(errs, "\n"))
	}
	csp := run(tb, chromedp.Evaluate[[]string](`window.cspViolations || []`))
	for _, v := range csp {
		tb.t.Errorf("Content-Security-Policy violation: %s", v)
	}
}

func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	png := run(tb, chromedp.FullScreenshot(100))
	dirs := []string{tb.t.TempDir()}
	if keep := os.Getenv(artifactsEnv); keep != "" {
		dirs = append(dirs, keep)
	}
	for _, dir := range dirs {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			tb.t.Fatal(err)
		}
		tb.t.Logf("screenshot: %s", path)
	}
}

// checkRanking filters by a segment, opens the riskiest account and
// checks that its waterfall adds up.
func (tb *tab) checkRanking(base string) {
	t := tb.t
	t.Helper()
	tb.waitRows("")
	if header := tb.text("#model-version"); !strings.HasPrefix(header, models.GBM+"-") {
		t.Errorf("header shows model %q, want the gbm model's version", header)
	}

	segments := run(tb, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#segment option")).map((o) => o.value).filter(Boolean)`))
	if len(segments) < 2 {
		t.Fatalf("segment choices %q, want the simulated segments", segments)
	}
	// The last segment, not the first: choosing it must change the rows.
	segment := segments[len(segments)-1]
	tb.do(
		chromedp.SetValue(chromedp.CSS("#segment"), segment),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#segment").dispatchEvent(new Event("change", {bubbles: true}))`),
	)
	tb.waitRows(segment)
	shown := run(tb, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#ranking tbody tr td.segment")).map((td) => td.textContent)`))
	if len(shown) == 0 {
		t.Fatalf("no rows in segment %q", segment)
	}
	for i, s := range shown {
		if s != segment {
			t.Errorf("row %d shows segment %q after filtering by %q", i+1, s, segment)
		}
	}
	if q := tb.eval(`location.search`); !strings.Contains(q, "segment="+segment) {
		t.Errorf("the page's URL %q does not keep the filter", q)
	}

	id := tb.eval(`document.querySelector("#ranking tbody tr").dataset.accountId`)
	tb.do(chromedp.Click(chromedp.CSS("#ranking tbody tr:first-child")))
	tb.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q] #waterfall`, id))))

	w := tb.waterfall()
	sum := w.base
	for _, c := range w.contributions {
		sum += c
	}
	if math.Abs(sum-w.logOdds) > 1e-6 {
		t.Errorf("waterfall: base %v + Σ %d contributions = %v, but the log-odds shown is %v",
			w.base, len(w.contributions), sum, w.logOdds)
	}
	if p := 1 / (1 + math.Exp(-w.logOdds)); math.Abs(p-w.probability) > 1e-9 {
		t.Errorf("sigmoid(log-odds %v) = %v, but the probability shown is %v", w.logOdds, p, w.probability)
	}
	if want := strconv.FormatFloat(100*w.probability, 'f', 2, 64) + "%"; w.probabilityText != want {
		t.Errorf("probability printed as %q, want %q", w.probabilityText, want)
	}
	// The rounded numbers a person reads add up too.
	shownSum := w.shownBase
	for _, c := range w.shownContributions {
		shownSum += c
	}
	if shownSum != w.shownLogOdds {
		t.Errorf("printed numbers do not add up: base %d + Σ %v = %d, but log-odds printed is %d (in thousandths)",
			w.shownBase, w.shownContributions, shownSum, w.shownLogOdds)
	}

	// The page shows the server's numbers, not numbers of its own.
	want := fetchScore(t, base, id)
	if w.base != want.Base || w.logOdds != want.LogOdds || w.probability != want.Probability {
		t.Errorf("waterfall shows base %v, log-odds %v, probability %v; the API says %v, %v, %v",
			w.base, w.logOdds, w.probability, want.Base, want.LogOdds, want.Probability)
	}
	if len(w.features) != len(want.Contributions) {
		t.Errorf("waterfall bars cover %d features, the model has %d", len(w.features), len(want.Contributions))
	}
	if rows := tb.count("#recent tbody tr"); rows == 0 {
		t.Error("no recent weeks shown")
	}
	tb.checkErrors()
}

// checkKeyboard opens an account with the keyboard alone: Tab to a row
// and Enter, as someone who does not use a mouse would.
func (tb *tab) checkKeyboard() {
	tb.t.Helper()
	id := tb.eval(`document.querySelector("#ranking tbody tr:nth-child(2)").dataset.accountId`)
	tb.do(
		chromedp.Focus(chromedp.CSS("#ranking tbody tr:nth-child(2)")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q]`, id))),
	)
	if focused := tb.eval(`document.activeElement.id`); focused != "detail" {
		tb.t.Errorf("focus is on %q after opening an account, want the drill-down", focused)
	}
	tb.do(chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("#detail")))
	if focused := tb.eval(`document.activeElement.dataset.accountId || ""`); focused != id {
		tb.t.Errorf("focus is on %q after closing the drill-down, want back on row %q", focused, id)
	}
}

// waterfall is what the drill-down shows, read back from the DOM.
type waterfall struct {
	base, logOdds, probability float64
	contributions              []float64
	features                   []string
	probabilityText            string
	// Printed values, in thousandths.
	shownBase, shownLogOdds int
	shownContributions      []int
}

// readWaterfall is evaluated in the page; it returns the attributes as
// written, and Go parses them, so the arithmetic checked is Go's.
const readWaterfall = `(() => {
	const chart = document.querySelector("#waterfall");
	const steps = Array.from(chart.querySelectorAll("[data-contribution]"));
	return {
		base: chart.dataset.base,
		logOdds: chart.dataset.logOdds,
		probability: chart.dataset.probability,
		contributions: steps.map((s) => s.dataset.contribution),
		features: steps.flatMap((s) => s.dataset.features.split(" ")),
		shown: steps.map((s) => s.dataset.shown),
		shownBase: chart.querySelector(".base").dataset.shown,
		shownLogOdds: chart.querySelector(".total").dataset.shown,
		probabilityText: document.querySelector("#detail-probability").textContent,
		probabilityAttr: document.querySelector("#detail-probability").dataset.probability,
	};
})()`

func (tb *tab) waterfall() waterfall {
	t := tb.t
	t.Helper()
	var raw struct {
		Base, LogOdds, Probability       string
		Contributions, Features, Shown   []string
		ShownBase, ShownLogOdds          string
		ProbabilityText, ProbabilityAttr string
	}
	b := run(tb, chromedp.Evaluate[[]byte](readWaterfall))
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("read waterfall: %v", err)
	}
	num := func(what, s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("waterfall %s: %v", what, err)
		}
		return v
	}
	w := waterfall{
		base:            num("data-base", raw.Base),
		logOdds:         num("data-log-odds", raw.LogOdds),
		probability:     num("data-probability", raw.Probability),
		features:        raw.Features,
		probabilityText: raw.ProbabilityText,
		shownBase:       thousandths(t, raw.ShownBase),
		shownLogOdds:    thousandths(t, raw.ShownLogOdds),
	}
	if len(raw.Contributions) == 0 {
		t.Fatal("the waterfall has no contribution bars")
	}
	if raw.ProbabilityAttr != raw.Probability {
		t.Errorf("equation probability %s differs from the chart's %s", raw.ProbabilityAttr, raw.Probability)
	}
	for i, c := range raw.Contributions {
		w.contributions = append(w.contributions, num("data-contribution", c))
		w.shownContributions = append(w.shownContributions, thousandths(t, raw.Shown[i]))
	}
	return w
}

// thousandths parses a printed log-odds such as "+1.234" or "−0.050" (a
// real minus sign) into an exact count of thousandths.
func thousandths(t *testing.T, s string) int {
	t.Helper()
	neg := strings.HasPrefix(s, "−")
	digits := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s, "−"), "+"), "-")
	whole, frac, ok := strings.Cut(digits, ".")
	n, err1 := strconv.Atoi(whole)
	f, err2 := strconv.Atoi(frac)
	if !ok || len(frac) != 3 || errors.Join(err1, err2) != nil {
		t.Fatalf("printed log-odds %q is not a number with 3 decimals", s)
	}
	v := n*1000 + f
	if neg {
		v = -v
	}
	return v
}

// apiScore is the part of GET /v1/accounts/{id} the waterfall draws.
type apiScore struct {
	Probability   float64            `json:"churn_probability"`
	LogOdds       float64            `json:"log_odds"`
	Base          float64            `json:"base_value"`
	Contributions map[string]float64 `json:"contributions"`
}

func fetchScore(t *testing.T, base, id string) apiScore {
	t.Helper()
	resp, err := http.Get(base + "/v1/accounts/" + url.PathEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Score apiScore `json:"score"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/accounts/%s: %s %v", id, resp.Status, err)
	}
	return doc.Score
}
