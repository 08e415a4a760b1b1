package dashboard_test

import (
	"context"
	"encoding/csv"
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/hazard"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/models/plays"
	"github.com/churnlabs/churn/models/ranking"
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
		if tab.visible("#play-segment-field") {
			t.Error("the renewal segment filter shows without a segment file")
		}
		tab.screenshot("dashboard.png")
		tab.checkKeyboard()
	})
	t.Run("pages, book totals, links, layout and missing weeks at 1400x900", func(t *testing.T) {
		ts := fx.server(t, serve.Config{})
		tab := newTab(t, browser)
		tab.do(chromedp.EmulateViewport(1400, 900))
		tab.open(ts.URL)
		tab.waitRows("")
		// A server without maturity levels shows none of them.
		if tab.visible("#tab-maturity") || tab.visible("#col-maturity") || tab.count("#ranking .maturity-cell") > 0 {
			t.Error("maturity shown by a server without --maturity")
		}
		// Nor alerts, without a score history to keep them.
		if tab.visible("#tab-alerts") {
			t.Error("the alerts tab shown by a server without a score history")
		}
		tab.checkSummary(ts.URL)
		tab.checkFits()
		tab.checkPaging(ts.URL)
		tab.checkAccountLink(ts.URL, browser)
		tab.checkChartLabels()
		tab.checkMissingWeeks(ts.URL)
		tab.checkChartLabels()
		tab.screenshot("missing-week-1400.png")
		tab.checkErrors()
	})
	t.Run("CRM export follows the filters", func(t *testing.T) {
		ts := fx.server(t, serve.Config{})
		tab := newTab(t, browser)
		tab.checkCRMExport(ts.URL)
		tab.checkErrors()
	})
	t.Run("survival curve and the sort by renewal", func(t *testing.T) {
		ts := fx.server(t, serve.Config{ModelDir: fx.survivalDir})
		tab := newTab(t, browser)
		tab.checkSurvival(ts.URL)
		tab.screenshot("survival.png")
		tab.checkErrors()
		// A model without survival curves offers neither.
		plain := fx.server(t, serve.Config{})
		tab.open(plain.URL + "/?sort=before_renewal")
		tab.waitRows("")
		id := tab.rowIDs()[0]
		tab.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#ranking tr[data-account-id=%q]`, id))),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q] #waterfall`, id))))
		if tab.visible("#survival-panel") || tab.visible(`#sort option[value="before_renewal"]`) || tab.eval(`document.querySelector("#sort").value`) != "probability" {
			t.Error("a model without survival curves shows the curve or offers the sort by renewal")
		}
		tab.checkErrors()
	})
	t.Run("this week's renewal plays", func(t *testing.T) {
		// A touchpoint every 7 days over a year: every account renewing
		// within the year has exactly one due this week.
		days := make([]string, 0, 53)
		for d := 364; d >= 0; d -= 7 {
			days = append(days, strconv.Itoa(d))
		}
		list := "[" + strings.Join(days, ", ") + "]"
		segs, err := plays.ParseSegments("s.yaml", []byte("segments:\n  - name: year\n    lead_days: 364\n    touchpoints:\n      signature: "+list+"\n      auto: "+list+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		ts := fx.server(t, serve.Config{Segments: segs})
		tab := newTab(t, browser)
		tab.open(ts.URL + "/?view=week")
		tab.checkWeek(ts.URL)
		tab.screenshot("this-week.png")
		tab.checkErrors()
	})
	t.Run("alerts", func(t *testing.T) {
		base, turnedRed := fx.alertsServer(t)
		tab := newTab(t, browser)
		tab.do(chromedp.EmulateViewport(1400, 900))
		tab.open(base)
		tab.waitRows("")
		tab.do(chromedp.Click(chromedp.CSS("#tab-alerts")))
		if q := tab.eval(`location.search`); !strings.Contains(q, "view=alerts") {
			t.Errorf("the alerts view's URL is %q, want it to say view=alerts", q)
		}
		tab.checkAlerts(base, turnedRed)
		tab.open(base + "/?view=alerts")
		tab.do(chromedp.WaitVisible(chromedp.CSS(`#alerts[data-state="ready"]`)))
		tab.screenshot("alerts.png")
		tab.checkErrors()
	})
	t.Run("maturity levels", func(t *testing.T) {
		ts := fx.server(t, serve.Config{Maturity: &serve.Maturity{}})
		tab := newTab(t, browser)
		tab.do(chromedp.EmulateViewport(1400, 900))
		tab.open(ts.URL + "/?view=maturity")
		tab.checkMaturity(ts.URL)
		tab.screenshot("maturity.png")
		tab.open(ts.URL)
		tab.checkAccountMaturity(ts.URL)
		tab.screenshot("account-maturity.png")
		tab.checkErrors()
	})
	t.Run("renewal segments: filter, colours and totals", func(t *testing.T) {
		// smb's cut-offs are below every probability: each of its
		// accounts is red, where the model's cut-offs leave most green.
		segs, err := plays.ParseSegments("s.yaml", []byte(`
segments:
  - name: smb
    segment: smb
    health: {yellow: 0.000001, red: 0.000002}
  - name: big
    arr: {min: 60000}
`))
		if err != nil {
			t.Fatal(err)
		}
		ts := fx.server(t, serve.Config{Segments: segs})
		tab := newTab(t, browser)
		tab.open(ts.URL)
		tab.waitRows("")
		tab.checkPlaySegments(ts.URL)
		tab.screenshot("renewal-segments.png")
		tab.checkErrors()
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
		tab.checkCRMDownload(ts.URL, token)
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
		// Without a score history the performance view says so, and is
		// no error.
		tab.do(chromedp.Click(chromedp.CSS("#tab-performance")),
			chromedp.WaitVisible(chromedp.CSS(`#performance[data-state="unavailable"] #perf-empty`)))
		if got := tab.text("#perf-empty"); !strings.Contains(got, "no score history") || tab.visible("#error") {
			t.Errorf("without a score history the panel says %q (error box shown: %v)", got, tab.visible("#error"))
		}
		tab.checkErrors()
	})
	t.Run("score history shown as recorded", func(t *testing.T) {
		store, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "churn.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		// The first server shows the history rescored; last week an
		// earlier model showed the riskiest account 0.5, which a server
		// started afterwards must draw.
		first := fetchRanking(t, fx.server(t, serve.Config{}).URL, "limit=1")
		a := first.Accounts[0]
		prev, err := features.ParseDate(a.History[len(a.History)-2].Week)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.RecordScores(t.Context(), []lifecycle.ScoreRecord{{
			AccountID: a.ID, Week: prev, ModelVersion: "earlier", Probability: 0.5,
		}}); err != nil {
			t.Fatal(err)
		}
		ts := fx.server(t, serve.Config{Scores: store})
		tab := newTab(t, browser)
		tab.open(ts.URL + "/?account=" + url.QueryEscape(a.ID))
		tab.waitRows("")
		tab.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q] #history-box svg`, a.ID))))
		var got struct {
			Row, Chart string
			Label      string
			Note       bool
		}
		b := run(tab, chromedp.Evaluate[[]byte](fmt.Sprintf(`(() => {
			const row = document.querySelector('#ranking tr[data-account-id=%q] svg.sparkline');
			const chart = document.querySelector("#history-box svg");
			return {
				Row: row ? row.dataset.recordedWeeks : "no sparkline", Chart: chart.dataset.recordedWeeks,
				Label: chart.getAttribute("aria-label"), Note: !document.getElementById("history-recorded").hidden,
			};
		})()`, a.ID)))
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Row != "1" || got.Chart != "1" || !strings.Contains(got.Label, "1 earlier weeks as shown then") || !got.Note {
			t.Errorf("account %s with last week recorded: sparkline marks %q recorded weeks, chart %q, label %q, note shown %v",
				a.ID, got.Row, got.Chart, got.Label, got.Note)
		}
		tab.checkErrors()
	})
	t.Run("model performance", func(t *testing.T) {
		store, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "churn.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		ts := fx.server(t, serve.Config{Scores: store})
		tab := newTab(t, browser)
		tab.do(chromedp.EmulateViewport(1400, 900))

		// Only the week the server records itself: nothing has matured.
		waitRecorded(t, store, fx.lastWeek)
		tab.open(ts.URL + "/?view=performance")
		tab.do(chromedp.WaitVisible(chromedp.CSS(`#performance[data-state="empty"] #perf-empty`)))
		h := fx.horizon
		want := fmt.Sprintf("Scores recorded from the week of %s; first outcomes mature in %d weeks", fx.lastWeek, h)
		if got := tab.text("#perf-empty"); !strings.Contains(got, want) {
			t.Errorf("before any outcome matured the panel says %q, want %q", got, want)
		}
		tab.screenshot("performance-empty.png")

		// Weeks scored back then, by the model and by an earlier one,
		// whose outcomes the snapshots now show; the server sees them
		// once it reloads.
		fx.recordPastWeeks(t, store, map[int]string{h + 6: "earlier-model", h + 4: "earlier-model", h + 2: "", h: ""})
		resp, err := http.Post(ts.URL+"/v1/admin/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /v1/admin/reload: %s", resp.Status)
		}
		rep := fetchPerformance(t, ts.URL)
		for _, back := range []int{h, h + 6} {
			// An account that missed the cut's week is scored at the
			// week it was last seen: more weeks than cuts mature.
			if w := fx.lastWeek.AddDays(-7 * back).String(); !slices.Contains(rep.Matured, w) {
				t.Fatalf("the API evaluates weeks %v, not the recorded %s", rep.Matured, w)
			}
		}

		// The tabs switch views in place, and the URL says which.
		tab.open(ts.URL)
		tab.waitRows("")
		tab.do(chromedp.Click(chromedp.CSS("#tab-performance")))
		tab.do(chromedp.WaitVisible(chromedp.CSS(`#performance[data-state="ready"] .perf-version`)))
		if q := tab.eval(`location.search`); !strings.Contains(q, "view=performance") {
			t.Errorf("the performance view's URL is %q, want it to say view=performance", q)
		}
		if tab.visible("#ranking") {
			t.Error("the ranking is shown beside the performance view")
		}
		tab.checkPerformance(rep)
		tab.screenshot("performance.png")
		tab.do(chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS("#ranking")))
		if tab.visible("#performance") {
			t.Error("after going back the performance view is still shown")
		}
		tab.checkErrors()
	})
}

// waitRecorded waits until the server has recorded the scores of week,
// which it does in the background after each load.
func waitRecorded(t *testing.T, store *sqlstore.Store, week features.Date) {
	t.Helper()
	deadline := time.Now().Add(tabTimeout)
	for time.Now().Before(deadline) {
		if rs, err := store.Scores(t.Context(), week); err == nil && len(rs) > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the server did not record the week of %s", week)
}

// apiPerformance is the part of GET /v1/model/performance the panel shows.
type apiPerformance struct {
	Matured []string `json:"matured_weeks"`
	Groups  []struct {
		ModelVersion string `json:"model_version"`
		Segment      string `json:"segment"`
		Rows         int    `json:"rows"`
		AUC          struct {
			Estimate *float64 `json:"estimate"`
		} `json:"roc_auc"`
		PRAUC struct {
			Estimate *float64 `json:"estimate"`
		} `json:"pr_auc"`
		Calibration []struct {
			MeanPredicted float64 `json:"mean_predicted"`
		} `json:"calibration"`
	} `json:"performance"`
}

func fetchPerformance(t *testing.T, base string) apiPerformance {
	t.Helper()
	resp, err := http.Get(base + "/v1/model/performance")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc apiPerformance
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/model/performance: %s %v", resp.Status, err)
	}
	return doc
}

// checkPerformance checks that the panel shows the API's figures, as
// rounded for reading, for every model version and segment, and draws
// each version's calibration in ten points.
func (tb *tab) checkPerformance(want apiPerformance) {
	t := tb.t
	t.Helper()
	type row struct {
		Version, Segment, Rows, AUC, AUCValue, PRAUC string
	}
	var got struct {
		Rows   []row
		Charts []struct {
			Version   string
			Points    int
			Predicted []string
		}
	}
	b := run(tb, chromedp.Evaluate[[]byte](`(() => {
		const cards = Array.from(document.querySelectorAll("#perf-versions .perf-version"));
		const text = (e) => e ? e.textContent : "";
		return {
			Rows: cards.flatMap((c) => Array.from(c.querySelectorAll(".perf-table tbody tr")).map((tr) => ({
				Version: c.dataset.modelVersion, Segment: tr.dataset.segment, Rows: tr.querySelector(".rows").dataset.rows,
				AUC: text(tr.querySelector(".auc .estimate")), AUCValue: tr.querySelector(".auc .estimate")?.dataset.value || "",
				PRAUC: text(tr.querySelector(".pr-auc .estimate")),
			}))),
			Charts: cards.map((c) => ({
				Version: c.dataset.modelVersion,
				Points: c.querySelectorAll("svg.calibration .decile").length,
				Predicted: Array.from(c.querySelectorAll("svg.calibration .decile")).map((g) => g.dataset.predicted),
			})),
		};
	})()`))
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("read the performance panel: %v", err)
	}
	if len(got.Rows) != len(want.Groups) {
		t.Fatalf("the panel shows %d rows, the API %d groups", len(got.Rows), len(want.Groups))
	}
	charts := 0
	for i, g := range want.Groups {
		r := got.Rows[i]
		if r.Version != g.ModelVersion || r.Segment != g.Segment || r.Rows != strconv.Itoa(g.Rows) {
			t.Errorf("row %d is %s/%q with %s account-weeks; the API's group is %s/%q with %d",
				i+1, r.Version, r.Segment, r.Rows, g.ModelVersion, g.Segment, g.Rows)
		}
		if g.AUC.Estimate == nil || g.PRAUC.Estimate == nil {
			t.Fatalf("group %s/%q has no AUC: the fixture must hold both outcomes in every group", g.ModelVersion, g.Segment)
		}
		if shown := strconv.FormatFloat(*g.AUC.Estimate, 'f', 3, 64); r.AUC != shown || !sameFloat(r.AUCValue, *g.AUC.Estimate) {
			t.Errorf("%s/%q: the panel shows ROC AUC %q (%s); the API says %v, shown %s",
				g.ModelVersion, g.Segment, r.AUC, r.AUCValue, *g.AUC.Estimate, shown)
		}
		if shown := strconv.FormatFloat(*g.PRAUC.Estimate, 'f', 3, 64); r.PRAUC != shown {
			t.Errorf("%s/%q: the panel shows PR-AUC %q; the API says %v, shown %s", g.ModelVersion, g.Segment, r.PRAUC, *g.PRAUC.Estimate, shown)
		}
		if g.Segment != "" {
			continue
		}
		// Each version's chart is of all its segments at first.
		c := got.Charts[charts]
		charts++
		if c.Version != g.ModelVersion || c.Points != 10 || len(g.Calibration) != 10 {
			t.Errorf("%s: the calibration chart of %s has %d points, the API %d deciles; want 10", g.ModelVersion, c.Version, c.Points, len(g.Calibration))
			continue
		}
		for k, d := range g.Calibration {
			if !sameFloat(c.Predicted[k], d.MeanPredicted) {
				t.Errorf("%s: decile %d drawn at %s, the API's mean is %v", g.ModelVersion, k+1, c.Predicted[k], d.MeanPredicted)
			}
		}
	}
	if charts != len(got.Charts) || charts < 2 {
		t.Errorf("the panel draws %d charts for %d model versions, want one each and both versions", len(got.Charts), charts)
	}

	// Choosing a segment draws its calibration instead.
	last := want.Groups[len(want.Groups)-1]
	if last.Segment == "" {
		t.Fatal("the last version has no segments")
	}
	card := fmt.Sprintf(`#perf-versions .perf-version[data-model-version=%q]`, last.ModelVersion)
	tb.do(
		chromedp.SetValue(chromedp.CSS(card+" select.perf-segment"), last.Segment),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change"))`, card+" select.perf-segment")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`%s .chart-box[data-segment=%q] svg.calibration`, card, last.Segment))),
	)
	if n := tb.count(card + " svg.calibration .decile"); n != len(last.Calibration) {
		t.Errorf("the calibration of %s/%s has %d points, the API %d deciles", last.ModelVersion, last.Segment, n, len(last.Calibration))
	}
}

// fixture is a trained model and the snapshots it scores.
type fixture struct {
	modelDir string
	// survivalDir holds the same model with survival curves.
	survivalDir string
	snapshots   features.Source
	// lastWeek is the snapshots' latest week, horizon the model's.
	lastWeek features.Date
	horizon  int
}

// newFixture simulates a small customer base into a CSV file, trains a
// gradient-boosted model on it and saves the model, as "churn gen" and
// "churn train" would.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshots.csv")
	err := publish.File(path, func(f io.Writer) error {
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
	src := csvfile.Source(path)
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
	// The same model with survival curves, its hazard fitted small.
	rows, sample, err := hazard.TableRows{From: table.First, To: table.Last, Cut: table.Last}.Build(ctx, table, 60_000, 1)
	if err != nil {
		t.Fatal(err)
	}
	a := *res.Chosen
	a.Version = ""
	if a.Hazard, err = hazard.Fit(ctx, rows, sample, hazard.FitOptions{Kind: hazard.GBM, GBM: p.GBM}); err != nil {
		t.Fatal(err)
	}
	survivalDir := filepath.Join(dir, "survival-model")
	if err := models.Save(survivalDir, &a, res.Report); err != nil {
		t.Fatal(err)
	}
	return &fixture{modelDir: modelDir, survivalDir: survivalDir, snapshots: src, lastWeek: table.Last, horizon: sp.Horizon}
}

// recordPastWeeks records the scores the fixture's model gives on the
// snapshots cut at each of weeks (weeks before the latest), as "churn
// score --record" on last weeks' files would have: under the model's
// version, or the one weeks names.
func (fx *fixture) recordPastWeeks(t *testing.T, store *sqlstore.Store, weeks map[int]string) {
	t.Helper()
	ctx := t.Context()
	a, err := models.Load(fx.modelDir)
	if err != nil {
		t.Fatal(err)
	}
	var schema features.Schema
	var rows []features.Snapshot
	err = fx.snapshots.Read(func(r features.SnapshotReader) error {
		schema = r.Schema()
		for {
			var s features.Snapshot
			if err := r.Next(&s); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			s.Extra = slices.Clone(s.Extra)
			rows = append(rows, s)
		}
	})
	if err != nil {
		t.Fatalf("read snapshots: %v", err)
	}
	for back, version := range weeks {
		cut := fx.lastWeek.AddDays(-7 * back)
		var kept []features.Snapshot
		for _, s := range rows {
			if s.Week <= cut {
				kept = append(kept, s)
			}
		}
		table, err := features.Build(ctx, features.MemorySource(cut.String(), schema, kept), features.BuildOptions{Spec: &a.Spec})
		if err != nil {
			t.Fatalf("build the snapshots up to %s: %v", cut, err)
		}
		book, err := ranking.Build(ctx, a, table)
		if err != nil {
			t.Fatalf("score the week of %s: %v", cut, err)
		}
		recs := lifecycle.Records(book)
		for i := range recs {
			if version != "" {
				recs[i].ModelVersion = version
			}
		}
		if _, err := store.RecordScores(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
}

// server starts the churn server with the dashboard and the given access
// settings.
func (fx *fixture) server(t *testing.T, cfg serve.Config) *httptest.Server {
	t.Helper()
	if cfg.ModelDir == "" {
		cfg.ModelDir = fx.modelDir
	}
	cfg.Snapshots, cfg.Dashboard = fx.snapshots, dashboard.Handler()
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
	tb.checkGroups(base, id)
	tb.checkRenewalType(base, id)
	tb.checkErrors()
}

// checkRenewalType checks that the open account page states the account's
// renewal type as GET /v1/accounts/{id} serves it.
func (tb *tab) checkRenewalType(base, id string) {
	t := tb.t
	t.Helper()
	resp, err := http.Get(base + "/v1/accounts/" + url.PathEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Account struct {
			RenewalType string `json:"renewal_type"`
		} `json:"account"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/accounts/%s: %s %v", id, resp.Status, err)
	}
	want := map[string]string{"auto": "auto-renew", "signature": "signature"}[doc.Account.RenewalType]
	if want == "" {
		t.Fatalf("the simulated account %s has renewal type %q", id, doc.Account.RenewalType)
	}
	got := tb.eval(`Array.from(document.querySelectorAll("#detail-facts dt"), (dt) => dt.textContent === "Renewal type" ? dt.nextElementSibling.textContent : "").join("")`)
	if got != want {
		t.Errorf("account page says renewal type %q, want %q", got, want)
	}
}

// apiGroup is one signal group of GET /v1/accounts/{id}'s account.
type apiGroup struct {
	Group   string  `json:"group"`
	LogOdds float64 `json:"log_odds"`
	Health  string  `json:"health"`
}

// checkGroups checks that an account's row shows its health by signal
// group as the API serves it: the four groups in order, each in the API's
// colour with the API's sub-score, and that the sub-scores add up to the
// score's log-odds minus its base.
func (tb *tab) checkGroups(base, id string) {
	t := tb.t
	t.Helper()
	resp, err := http.Get(base + "/v1/accounts/" + url.PathEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Account struct {
			Groups []apiGroup `json:"groups"`
		} `json:"account"`
		Score apiScore `json:"score"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/accounts/%s: %s %v", id, resp.Status, err)
	}
	want := doc.Account.Groups
	sum := 0.0
	for _, g := range want {
		sum += g.LogOdds
	}
	if len(want) != 4 || math.Abs(doc.Score.LogOdds-doc.Score.Base-sum) > 1e-9 {
		t.Fatalf("the API's groups %+v sum to %v; log-odds %v minus base %v", want, sum, doc.Score.LogOdds, doc.Score.Base)
	}
	b := run(tb, chromedp.Evaluate[[]byte](fmt.Sprintf(`Array.from(
		document.querySelectorAll('#ranking tbody tr[data-account-id=%q] .gchip')).map((c) => ({
		group: c.dataset.group, health: c.dataset.health, log_odds: Number(c.dataset.logOdds),
		cls: c.className, text: c.textContent }))`, id)))
	var got []struct {
		apiGroup
		Class string `json:"cls"`
		Text  string `json:"text"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("the row of %s shows %d group chips, the API has %d groups", id, len(got), len(want))
	}
	for k, g := range got {
		if g.apiGroup != want[k] || !strings.Contains(g.Class, "chip-"+want[k].Health) || !strings.HasSuffix(g.Text, " "+want[k].Health) {
			t.Errorf("%s: chip %d shows %+v (class %q, text %q); the API says %+v", id, k, g.apiGroup, g.Class, g.Text, want[k])
		}
	}
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

// apiRanking is the part of a GET /v1/ranking page the page shows.
type apiRanking struct {
	Total      int  `json:"total"`
	Offset     int  `json:"offset"`
	Limit      int  `json:"limit"`
	NextOffset *int `json:"next_offset"`
	Totals     struct {
		Accounts  int     `json:"accounts"`
		Red       int     `json:"red"`
		Yellow    int     `json:"yellow"`
		Green     int     `json:"green"`
		ARRAtRisk float64 `json:"arr_at_risk"`
	} `json:"totals"`
	Accounts []struct {
		ID      string `json:"account_id"`
		History []struct {
			Week string `json:"week"`
		} `json:"history"`
		Health      string         `json:"health"`
		PlaySegment string         `json:"play_segment"`
		Cutoffs     *models.Health `json:"cutoffs"`
	} `json:"accounts"`
	PlaySegments []string `json:"play_segments"`
}

// checkPlaySegments checks the renewal segments against the API: the
// filter offers the API's play_segments, each row shows its account's
// renewal segment and its chip the cut-offs it is coloured by; choosing
// a segment keeps its accounts only, in the URL too, with the summary
// the API's totals for it.
func (tb *tab) checkPlaySegments(base string) {
	t := tb.t
	t.Helper()
	if !tb.visible("#play-segment-field") {
		t.Fatal("the renewal segment filter is hidden under a segment file")
	}
	doc := fetchRanking(t, base, tb.eval(`location.search`))
	options := run(tb, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#play-segment option")).map((o) => o.value).filter(Boolean)`))
	if strings.Join(options, ",") != strings.Join(doc.PlaySegments, ",") || len(options) < 2 {
		t.Fatalf("renewal segment choices %q; the API's are %q", options, doc.PlaySegments)
	}
	type row struct {
		ID, PlaySegment, Health, Shown, CutoffRed, Title string
	}
	rows := func() []row {
		var rs []row
		b := run(tb, chromedp.Evaluate[[]byte](`Array.from(document.querySelectorAll("#ranking tbody tr[data-account-id]")).map((tr) => {
			const chip = tr.querySelector("td.health-cell > .chip");
			return { ID: tr.dataset.accountId, PlaySegment: tr.dataset.playSegment || "", Health: tr.dataset.health,
				Shown: tr.querySelector("td.segment .play-segment")?.textContent || "",
				CutoffRed: chip.dataset.cutoffRed || "", Title: chip.title };
		})`))
		if err := json.Unmarshal(b, &rs); err != nil {
			t.Fatalf("read rows: %v", err)
		}
		return rs
	}
	api := map[string]int{}
	for i, a := range doc.Accounts {
		api[a.ID] = i
	}
	for _, r := range rows() {
		i, ok := api[r.ID]
		if !ok {
			t.Fatalf("row %s is not on the API's page", r.ID)
		}
		a := doc.Accounts[i]
		if a.Cutoffs == nil || r.PlaySegment != a.PlaySegment || r.Shown != a.PlaySegment+" renewals" || r.Health != a.Health ||
			!sameFloat(r.CutoffRed, a.Cutoffs.Red) || !strings.Contains(r.Title, a.PlaySegment+" segment's cut-offs") {
			t.Errorf("row %+v; the API has %s, %s, cut-offs %+v", r, a.PlaySegment, a.Health, a.Cutoffs)
		}
	}

	tb.do(
		chromedp.SetValue(chromedp.CSS("#play-segment"), "smb"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#play-segment").dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`#ranking[data-state="ready"][data-play-segment="smb"] tbody tr[data-account-id]`)),
	)
	if q := tb.eval(`location.search`); !strings.Contains(q, "play_segment=smb") {
		t.Errorf("the URL %q does not keep the renewal segment", q)
	}
	smb := fetchRanking(t, base, "play_segment=smb&limit=250")
	shown := rows()
	if len(shown) == 0 || smb.Totals.Accounts == 0 || smb.Totals.Red != smb.Totals.Accounts {
		t.Fatalf("smb: %d rows; the API's totals %+v, want every account red", len(shown), smb.Totals)
	}
	for _, r := range shown {
		if r.PlaySegment != "smb" || r.Health != "red" {
			t.Errorf("after filtering by smb, row %+v", r)
		}
	}
	s := summaryCounts(tb)
	if s["accounts"] != strconv.Itoa(smb.Totals.Accounts) || s["red"] != strconv.Itoa(smb.Totals.Red) || s["yellow"] != "0" {
		t.Errorf("summary %v; the API's smb totals are %+v", s, smb.Totals)
	}
}

// summaryCounts reads the summary's counts as the page holds them.
func summaryCounts(tb *tab) map[string]string {
	b := run(tb, chromedp.Evaluate[[]byte](`(() => { const d = document.querySelector("#summary").dataset;
		return { accounts: d.accounts, red: d.red, yellow: d.yellow }; })()`))
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		tb.t.Fatalf("read summary: %v", err)
	}
	return m
}

func fetchRanking(t *testing.T, base, query string) apiRanking {
	t.Helper()
	resp, err := http.Get(base + "/v1/ranking?" + strings.TrimPrefix(query, "?"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc apiRanking
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/ranking?%s: %s %v", query, resp.Status, err)
	}
	return doc
}

// waitPage waits until the ranking shows the page at offset.
func (tb *tab) waitPage(offset int) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(
		fmt.Sprintf(`#ranking[data-state="ready"][data-offset="%d"] tbody tr[data-account-id]`, offset))))
}

// rowIDs lists the account ids of the rows shown.
func (tb *tab) rowIDs() []string {
	tb.t.Helper()
	return run(tb, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#ranking tbody tr[data-account-id]")).map((tr) => tr.dataset.accountId)`))
}

// checkSummary checks that the summary above the table tells the book,
// every account the filters keep, as the API totals it: not the page.
func (tb *tab) checkSummary(base string) {
	t := tb.t
	t.Helper()
	want := fetchRanking(t, base, tb.eval(`location.search`))
	rows := tb.count("#ranking tbody tr[data-account-id]")
	if want.Totals.Accounts <= rows {
		t.Fatalf("the fixture's %d accounts fit on one page of %d: the summary cannot tell the book from the page",
			want.Totals.Accounts, rows)
	}
	var got struct {
		Accounts, Red, Yellow, Green, ARRAtRisk, Text string
	}
	b := run(tb, chromedp.Evaluate[[]byte](`(() => {
		const s = document.querySelector("#summary");
		return { Accounts: s.dataset.accounts, Red: s.dataset.red, Yellow: s.dataset.yellow, Green: s.dataset.green,
			ARRAtRisk: s.dataset.arrAtRisk, Text: s.textContent };
	})()`))
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("read summary: %v", err)
	}
	w := want.Totals
	if got.Accounts != strconv.Itoa(w.Accounts) || got.Red != strconv.Itoa(w.Red) || got.Yellow != strconv.Itoa(w.Yellow) ||
		got.Green != strconv.Itoa(w.Green) || !sameFloat(got.ARRAtRisk, w.ARRAtRisk) {
		t.Errorf("summary holds %+v; the API's totals are %+v", got, w)
	}
	for _, part := range []string{
		thousands(int64(w.Accounts)) + " accounts", thousands(int64(w.Red)) + " red",
		thousands(int64(w.Yellow)) + " yellow", "ARR at risk " + thousands(int64(math.Round(w.ARRAtRisk))),
	} {
		if !strings.Contains(got.Text, part) {
			t.Errorf("summary %q does not say %q", got.Text, part)
		}
	}
}

// sameFloat reports whether s, as JavaScript wrote a number, is v.
func sameFloat(s string, v float64) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == v
}

// thousands writes n with commas, as the page's en-US format does.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// checkFits checks that the whole ranking table, down to the sparkline
// of the last column, is inside its card and the window: nothing to
// scroll sideways for at 1400 px.
func (tb *tab) checkFits() {
	t := tb.t
	t.Helper()
	var got struct {
		Header                     string
		Sparklines                 int
		Right, CardRight, Viewport float64
		ScrollWidth, ClientWidth   float64
	}
	b := run(tb, chromedp.Evaluate[[]byte](`(() => {
		const card = document.querySelector(".table-card");
		const cells = Array.from(document.querySelectorAll("#ranking tbody tr td:last-child"));
		return {
			Header: document.querySelector("#ranking thead th:last-child").textContent,
			Sparklines: cells.filter((td) => td.querySelector("svg.sparkline")).length,
			Right: Math.max(...cells.map((td) => td.getBoundingClientRect().right)),
			CardRight: card.getBoundingClientRect().right,
			Viewport: document.documentElement.clientWidth,
			ScrollWidth: card.scrollWidth,
			ClientWidth: card.clientWidth,
		};
	})()`))
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("read layout: %v", err)
	}
	if !strings.Contains(got.Header, "12 weeks") || got.Sparklines == 0 {
		t.Fatalf("the last column is %q with %d sparklines, want the sparklines", got.Header, got.Sparklines)
	}
	if got.Right > got.CardRight || got.Right > got.Viewport || got.ScrollWidth > got.ClientWidth {
		t.Errorf("at 1400 px the sparkline cells end at %.0f px, the card at %.0f px and the window at %.0f px; "+
			"the card scrolls %.0f px wide in %.0f px", got.Right, got.CardRight, got.Viewport, got.ScrollWidth, got.ClientWidth)
	}
}

// checkPaging steps to the next page and back, as the API pages, and
// checks that the last page offers no next one.
func (tb *tab) checkPaging(base string) {
	t := tb.t
	t.Helper()
	query := tb.eval(`location.search`)
	first := fetchRanking(t, base, query)
	if first.NextOffset == nil {
		t.Fatal("the first page is the last")
	}
	next := fetchRanking(t, base, query+"&offset="+strconv.Itoa(*first.NextOffset))
	tb.do(chromedp.Click(chromedp.CSS("#next-page")))
	tb.waitPage(*first.NextOffset)
	ids := tb.rowIDs()
	if len(ids) != len(next.Accounts) || ids[0] != next.Accounts[0].ID || ids[len(ids)-1] != next.Accounts[len(next.Accounts)-1].ID {
		t.Errorf("the second page shows %d rows from %s; the API's has %d from %s", len(ids), ids[0], len(next.Accounts), next.Accounts[0].ID)
	}
	if n := tb.text("#ranking tbody tr td:first-child"); n != strconv.Itoa(*first.NextOffset+1) {
		t.Errorf("the second page's first row is numbered %s, want %d", n, *first.NextOffset+1)
	}
	if q := tb.eval(`location.search`); !strings.Contains(q, "offset="+strconv.Itoa(*first.NextOffset)) {
		t.Errorf("the page's URL %q does not keep the page", q)
	}
	tb.do(chromedp.Click(chromedp.CSS("#prev-page")))
	tb.waitPage(0)
	if ids := tb.rowIDs(); ids[0] != first.Accounts[0].ID {
		t.Errorf("back on the first page, the first row is %s, want %s", ids[0], first.Accounts[0].ID)
	}

	// The last page of 250: the rest of the accounts, and no next page.
	last := (first.Total - 1) / 250 * 250
	tb.open(fmt.Sprintf("%s/?limit=250&offset=%d", base, last))
	tb.waitPage(last)
	if n := tb.count("#ranking tbody tr[data-account-id]"); n != first.Total-last {
		t.Errorf("the last page shows %d rows, want the last %d of %d", n, first.Total-last, first.Total)
	}
	if !run(tb, chromedp.Evaluate[bool](`document.querySelector("#next-page").disabled`)) {
		t.Error("the last page offers a next page")
	}
	tb.open(base)
	tb.waitPage(0)
}

// checkAccountLink opens the riskiest account and checks that the URL
// names it, that the URL opens it in another tab, and that going back
// closes it.
func (tb *tab) checkAccountLink(base string, browser context.Context) {
	t := tb.t
	t.Helper()
	id := tb.eval(`document.querySelector("#ranking tbody tr").dataset.accountId`)
	tb.do(chromedp.Click(chromedp.CSS("#ranking tbody tr:first-child")))
	tb.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q]`, id))))
	link := tb.eval(`location.href`)
	if u, err := url.Parse(link); err != nil || u.Query().Get("account") != id {
		t.Fatalf("after opening %s the page's URL is %s, want it to name the account", id, link)
	}

	other := newTab(t, browser)
	other.do(chromedp.EmulateViewport(1400, 900))
	other.open(link)
	other.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q] #waterfall`, id))))
	if got := other.eval(`document.querySelector("#detail-title").firstChild.textContent`); got != id {
		t.Errorf("the shared link opens %q, want %q", got, id)
	}
	other.checkErrors()

	tb.do(chromedp.NavigateBack(), chromedp.WaitNotVisible(chromedp.CSS("#detail")))
	if q := tb.eval(`location.search`); strings.Contains(q, "account=") {
		t.Errorf("after going back the URL still names an account: %q", q)
	}
	tb.do(chromedp.NavigateForward(),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q]`, id))))
}

// checkChartLabels checks that no two labels of the drill-down's charts
// overlap, nor a cut-off label the chart's axis.
func (tb *tab) checkChartLabels() {
	t := tb.t
	t.Helper()
	overlaps := run(tb, chromedp.Evaluate[[]string](`(() => {
		const out = [];
		const hit = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
		for (const chart of document.querySelectorAll("#detail svg")) {
			const texts = Array.from(chart.querySelectorAll("text")).map((e) => ({ e, box: e.getBBox() }));
			for (let i = 0; i < texts.length; i++) {
				for (let j = i + 1; j < texts.length; j++) {
					if (hit(texts[i].box, texts[j].box)) {
						out.push(texts[i].e.textContent + " / " + texts[j].e.textContent);
					}
				}
			}
			const base = chart.querySelector(".baseline");
			if (base) {
				const y = base.y1.baseVal.value;
				for (const { e, box } of texts) {
					if (e.classList.contains("threshold-label") && box.y < y && y < box.y + box.height) {
						out.push(e.textContent + " / axis");
					}
				}
			}
		}
		return out;
	})()`))
	for _, o := range overlaps {
		t.Errorf("chart labels overlap: %s", o)
	}
}

// checkMissingWeeks opens, by its URL, an account that skipped a week
// and checks that its sparkline, chart and raw weeks show the gap.
func (tb *tab) checkMissingWeeks(base string) {
	t := tb.t
	t.Helper()
	const pageSize = 50
	all := fetchRanking(t, base, "limit=1000")
	id, missing, index := "", "", 0
	for i, a := range all.Accounts {
		if len(a.History) == 0 {
			continue
		}
		last := week(t, a.History[len(a.History)-1].Week)
		for k := 1; k < len(a.History) && id == ""; k++ {
			// A gap the row's last twelve weeks show, not only the chart,
			// with a scored week before it in those twelve: a gap in the
			// first of them is drawn as one run, rightly.
			prev, next := week(t, a.History[k-1].Week), week(t, a.History[k].Week)
			if gap := prev.AddDate(0, 0, 7); next.After(gap) && gap.After(last.AddDate(0, 0, -7*11)) {
				id, missing, index = a.ID, gap.Format(time.DateOnly), i
			}
		}
		if id != "" {
			break
		}
	}
	if id == "" {
		t.Fatal("no account in the fixture skipped a recent week")
	}
	offset := index / pageSize * pageSize
	tb.open(fmt.Sprintf("%s/?limit=%d&offset=%d&account=%s", base, pageSize, offset, url.QueryEscape(id)))
	tb.waitPage(offset)
	tb.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q] #history-box svg`, id))))

	var got struct {
		Row, Chart, Header, Cell string
		RowRuns, ChartRuns       int
	}
	b := run(tb, chromedp.Evaluate[[]byte](fmt.Sprintf(`(() => {
		const row = document.querySelector('#ranking tr[data-account-id=%q] svg.sparkline');
		const chart = document.querySelector("#history-box svg");
		const th = document.querySelector('#recent thead th.missing[data-week=%q]');
		const td = document.querySelector("#recent tbody td.missing");
		return {
			Row: row ? row.dataset.missingWeeks || "" : "no sparkline", RowRuns: row ? Number(row.dataset.runs || 1) : 0,
			Chart: chart.dataset.missingWeeks || "", ChartRuns: Number(chart.dataset.runs || 1),
			Header: th ? th.title : "", Cell: td ? td.textContent : "",
		};
	})()`, id, missing)))
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("read missing weeks: %v", err)
	}
	if !strings.Contains(got.Row, missing) || got.RowRuns < 2 || !strings.Contains(got.Chart, missing) || got.ChartRuns < 2 {
		t.Errorf("%s skipped the week of %s: its sparkline marks %q in %d runs, its chart %q in %d runs",
			id, missing, got.Row, got.RowRuns, got.Chart, got.ChartRuns)
	}
	if !strings.Contains(got.Header, "No snapshot") || got.Cell != "no snapshot" {
		t.Errorf("%s skipped the week of %s: the raw weeks' column is titled %q and says %q", id, missing, got.Header, got.Cell)
	}
}

func week(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatalf("week %q: %v", s, err)
	}
	return d
}

// checkWeek checks that the "This week" view lists GET /v1/plays's plays
// in its order, each with one touchpoint due, and says how many.
func (tb *tab) checkWeek(base string) {
	t := tb.t
	t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(`#week[data-state="ready"]`)))
	resp, err := http.Get(base + "/v1/plays?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Week  string `json:"week"`
		Total int    `json:"total"`
		Plays []struct {
			ID          string `json:"account_id"`
			RenewalType string `json:"renewal_type"`
			Due         []any  `json:"due"`
		} `json:"plays"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/plays: %s %v", resp.Status, err)
	}
	if len(doc.Plays) < 3 {
		t.Fatalf("the fixture has %d plays", len(doc.Plays))
	}
	ids := strings.Split(tb.eval(`Array.from(document.querySelectorAll("#plays tbody tr"), (r) => r.dataset.account).join("\n")`), "\n")
	dues := strings.Split(tb.eval(`Array.from(document.querySelectorAll("#plays tbody tr"), (r) => r.dataset.due).join("\n")`), "\n")
	if len(ids) != len(doc.Plays) {
		t.Fatalf("the view lists %d plays, the API %d", len(ids), len(doc.Plays))
	}
	types := strings.Split(tb.eval(`Array.from(document.querySelectorAll("#plays tbody tr .renewal-type"), (c) => c.textContent).join("\n")`), "\n")
	shown := map[string]string{"auto": "auto-renew", "signature": "signature"}
	for i, p := range doc.Plays {
		if ids[i] != p.ID || dues[i] != "1" || len(p.Due) != 1 {
			t.Errorf("row %d: %s with %s due, API %s with %d", i, ids[i], dues[i], p.ID, len(p.Due))
		}
		if i < len(types) && types[i] != shown[p.RenewalType] {
			t.Errorf("row %d: %s shown as %q, API renewal type %q", i, p.ID, types[i], p.RenewalType)
		}
	}
	want := fmt.Sprintf("Week of %s: %d accounts in their renewal window, %d with a touchpoint due.", doc.Week, doc.Total, len(doc.Plays))
	if got := tb.text("#week-summary"); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if tb.visible("#accounts-view") || tb.visible("#performance") {
		t.Error("another view is shown beside This week")
	}
}

// apiMaturity is GET /v1/maturity as the test reads it.
type apiMaturity struct {
	Week     string `json:"week"`
	Accounts int    `json:"accounts"`
	Steps    []struct {
		To         int `json:"to_level"`
		Indicators []struct {
			Description string `json:"description"`
		} `json:"indicators"`
	} `json:"steps"`
	Levels []struct {
		Level     int    `json:"level"`
		Name      string `json:"name"`
		Rows      int    `json:"rows"`
		Churned   int    `json:"churned"`
		Accounts  int    `json:"accounts"`
		ChurnRate struct {
			Estimate *float64 `json:"estimate"`
			Lower    *float64 `json:"lower"`
			Upper    *float64 `json:"upper"`
		} `json:"churn_rate"`
	} `json:"levels"`
}

// getJSON decodes the 200 answer to GET base+path into v.
func getJSON(t *testing.T, base, path string, v any) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", path, resp.Status, err)
	}
}

// checkMaturity checks the Maturity view against GET /v1/maturity: the
// ladder's indicators in words, and per level the churn rate, its
// interval, the account-weeks, the churned and the accounts now.
func (tb *tab) checkMaturity(base string) {
	t := tb.t
	t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(`#maturity[data-state="ready"]`)))
	var m apiMaturity
	getJSON(t, base, "/v1/maturity", &m)
	if !tb.visible("#tab-maturity") || tb.visible("#accounts-view") || tb.visible("#performance") {
		t.Error("the Maturity view is not the one shown, or its tab is hidden")
	}
	if got := tb.eval(`document.getElementById("maturity-accounts").dataset.accounts`); got != strconv.Itoa(m.Accounts) {
		t.Errorf("the view places %s accounts, the API %d", got, m.Accounts)
	}
	var want []string
	for _, st := range m.Steps {
		for _, ind := range st.Indicators {
			want = append(want, strconv.Itoa(st.To)+": "+ind.Description)
		}
	}
	got := tb.eval(`Array.from(document.querySelectorAll("#maturity-ladder > li"), (li) =>
		Array.from(li.querySelectorAll("ul li"), (i) => li.dataset.toLevel + ": " + i.textContent).join("\n")).join("\n")`)
	if got != strings.Join(want, "\n") {
		t.Errorf("the ladder shows\n%s\nthe API\n%s", got, strings.Join(want, "\n"))
	}
	type row struct {
		Level, Rows, Churned, Accounts, Estimate, CI, Chip string
	}
	var rows []row
	if err := json.Unmarshal([]byte(tb.eval(`JSON.stringify(Array.from(document.querySelectorAll("#maturity-levels tbody tr"), (tr) => ({
		Level: tr.dataset.level, Rows: tr.dataset.rows, Churned: tr.dataset.churned, Accounts: tr.dataset.accounts,
		Estimate: tr.querySelector(".estimate")?.dataset.value ?? "", CI: tr.querySelector(".ci")?.textContent ?? "",
		Chip: tr.querySelector(".chip.level")?.textContent ?? "",
	})))`)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(m.Levels) || len(rows) != 4 {
		t.Fatalf("the view has %d levels, the API %d", len(rows), len(m.Levels))
	}
	sum := 0
	for i, lv := range m.Levels {
		r := rows[i]
		sum += lv.Accounts
		if r.Level != strconv.Itoa(lv.Level) || r.Rows != strconv.Itoa(lv.Rows) || r.Churned != strconv.Itoa(lv.Churned) ||
			r.Accounts != strconv.Itoa(lv.Accounts) || r.Chip != fmt.Sprintf("%d %s", lv.Level, lv.Name) {
			t.Errorf("level %d: the view shows %+v, the API %+v", lv.Level, r, lv)
		}
		if lv.ChurnRate.Estimate == nil {
			if r.Estimate != "" {
				t.Errorf("level %d has no churn rate, the view shows %s", lv.Level, r.Estimate)
			}
			continue
		}
		ci := fmt.Sprintf("%.1f%%–%.1f%%", 100**lv.ChurnRate.Lower, 100**lv.ChurnRate.Upper)
		if !sameFloat(r.Estimate, *lv.ChurnRate.Estimate) || r.CI != ci {
			t.Errorf("level %d: churn %s (%s), the API %v (%s)", lv.Level, r.Estimate, r.CI, *lv.ChurnRate.Estimate, ci)
		}
	}
	if sum != m.Accounts || m.Accounts == 0 {
		t.Errorf("the levels hold %d accounts, %d placed", sum, m.Accounts)
	}
}

// checkAccountMaturity checks the ranking's maturity column and an
// account page's level and what it lacks against the API.
func (tb *tab) checkAccountMaturity(base string) {
	t := tb.t
	t.Helper()
	tb.waitRows("")
	if !tb.visible("#col-maturity") {
		t.Fatal("no maturity column in the ranking")
	}
	// The column must not push the sparklines out of the window.
	tb.checkFits()
	type entry struct {
		ID    string `json:"account_id"`
		Level int    `json:"maturity_level"`
		Name  string `json:"maturity_name"`
		Lacks []struct {
			Description string `json:"description"`
		} `json:"maturity_lacks"`
	}
	var page struct {
		Accounts []entry `json:"accounts"`
	}
	getJSON(t, base, "/v1/ranking?limit=50&sort=probability", &page)
	shown := strings.Split(tb.eval(`Array.from(document.querySelectorAll("#ranking tbody tr"), (tr) =>
		tr.dataset.accountId + " " + (tr.querySelector(".maturity-cell .chip")?.textContent ?? "")).join("\n")`), "\n")
	if len(shown) != len(page.Accounts) {
		t.Fatalf("the ranking shows %d rows, the API %d", len(shown), len(page.Accounts))
	}
	pick := -1
	for i, a := range page.Accounts {
		if want := fmt.Sprintf("%s %d %s", a.ID, a.Level, a.Name); shown[i] != want {
			t.Errorf("row %d: %q, the API %q", i, shown[i], want)
		}
		if pick < 0 && a.Level < 4 && a.Level > 0 {
			pick = i
		}
	}
	if pick < 0 {
		t.Fatal("every account of the first page is at the top level: nothing lacking to check")
	}
	var doc struct {
		Account entry `json:"account"`
	}
	getJSON(t, base, "/v1/accounts/"+url.PathEscape(page.Accounts[pick].ID), &doc)
	tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#ranking tbody tr[data-account-id=%q]`, doc.Account.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q] #detail-maturity`, doc.Account.ID))))
	if got := tb.eval(`document.getElementById("detail-maturity").dataset.level`); got != strconv.Itoa(doc.Account.Level) {
		t.Errorf("%s: the page shows level %s, the API %d", doc.Account.ID, got, doc.Account.Level)
	}
	var want []string
	for _, l := range doc.Account.Lacks {
		want = append(want, l.Description)
	}
	got := tb.eval(`Array.from(document.querySelectorAll("#detail-maturity .lacks li"), (li) => li.textContent).join("\n")`)
	if len(want) == 0 || got != strings.Join(want, "\n") {
		t.Errorf("%s lacks, on the page:\n%s\nin the API:\n%s", doc.Account.ID, got, strings.Join(want, "\n"))
	}
	if chip := tb.text("#detail-maturity .chip.level"); chip != fmt.Sprintf("%d %s", doc.Account.Level, doc.Account.Name) {
		t.Errorf("%s: the page's level chip %q", doc.Account.ID, chip)
	}
}

// checkCRMExport checks the "Export for CRM" link: its URL carries the
// chosen CRM and the ranking's filters and sort (not the page), follows
// a change of either without reloading the ranking for the CRM, and
// fetched by the page it is the CRM's CSV whose first data row is the
// first account the ranking shows under those filters.
func (tb *tab) checkCRMExport(base string) {
	t := tb.t
	t.Helper()
	tb.open(base + "/?sort=arr_at_risk&renewal_within_days=300&limit=25")
	tb.waitRows("")
	segments := run(tb, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#segment option")).map((o) => o.value).filter(Boolean)`))
	if len(segments) < 2 {
		t.Fatalf("segment choices %q, want the simulated segments", segments)
	}
	segment := segments[len(segments)-1]
	// The CRM first, then a filter: the link follows each on its own.
	tb.do(
		chromedp.SetValue(chromedp.CSS("#crm"), "hubspot"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#crm").dispatchEvent(new Event("change", {bubbles: true}))`),
	)
	if href := tb.eval(`document.querySelector("#crm-export").href`); !strings.Contains(href, "/v1/crm?crm=hubspot&") {
		t.Errorf("after choosing HubSpot the export link is %s", href)
	}
	tb.do(
		chromedp.SetValue(chromedp.CSS("#segment"), segment),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#segment").dispatchEvent(new Event("change", {bubbles: true}))`),
	)
	tb.waitRows(segment)
	if !tb.visible("#crm-export") || !tb.visible("#crm") {
		t.Fatal("the CRM export is not shown")
	}
	href := tb.eval(`document.querySelector("#crm-export").href`)
	u, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"crm": {"hubspot"}, "segment": {segment}, "renewal_within_days": {"300"}, "sort": {"arr_at_risk"}}
	if u.Path != "/v1/crm" || u.Query().Encode() != want.Encode() {
		t.Fatalf("export link %s, want /v1/crm?%s", href, want.Encode())
	}
	// The CRM is no filter: choosing one does not reload the ranking.
	if q := tb.eval(`location.search`); strings.Contains(q, "crm") {
		t.Errorf("the page's URL %q took the CRM as a filter", q)
	}

	type download struct {
		Status      int
		ContentType string
		Body        string
	}
	var got download
	b := run(tb, chromedp.Evaluate[[]byte](`fetch(document.querySelector("#crm-export").href).then(async (r) => ({
		Status: r.status, ContentType: r.headers.get("Content-Type"), Body: await r.text() }))`, chromedp.EvalAwaitPromise))
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != http.StatusOK || got.ContentType != "text/csv; charset=utf-8" {
		t.Fatalf("GET %s: %d %s: %.300s", href, got.Status, got.ContentType, got.Body)
	}
	rows, err := csv.NewReader(strings.NewReader(got.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	api := fetchRanking(t, base, "segment="+url.QueryEscape(segment)+"&renewal_within_days=300&sort=arr_at_risk&limit=1")
	shown := tb.rowIDs()
	if len(rows) < 2 || rows[0][0] != "external_account_id" || len(shown) == 0 || len(api.Accounts) == 0 {
		t.Fatalf("CSV of %d rows, header %q; %d rows shown; API %d", len(rows), rows[0], len(shown), len(api.Accounts))
	}
	if rows[1][0] != shown[0] || rows[1][0] != api.Accounts[0].ID || len(rows)-1 != api.Total {
		t.Errorf("the CSV's first account is %s of %d; the ranking shows %s first, the API %s of %d",
			rows[1][0], len(rows)-1, shown[0], api.Accounts[0].ID, api.Total)
	}
}

// checkCRMDownload clicks "Download CSV" on a server that wants a token,
// which a plain link cannot carry: the page fetches the file with the
// token and the browser saves it under the server's name, the same bytes
// as GET /v1/crm with the token.
func (tb *tab) checkCRMDownload(base, token string) {
	t := tb.t
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		BrowserContextID: chromedp.FromContext(tb.ctx).BrowserContextID,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	href := tb.eval(`document.querySelector("#crm-export").href`)
	req, err := http.NewRequest(http.MethodGet, href, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	name := strings.TrimSuffix(strings.TrimPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="`), `"`)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(name, "churn-salesforce-") {
		t.Fatalf("GET %s: %s %v, file %q", href, resp.Status, err, name)
	}

	tb.do(chromedp.Click(chromedp.CSS("#crm-export")))
	var got []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if got, err = os.ReadFile(filepath.Join(dir, name)); err == nil && len(got) == len(want) {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			t.Fatalf("no %s downloaded (%d bytes read, %v; the folder holds %v)%s", name, len(got), err, entries, tb.pageErrors())
		}
	}
	if string(got) != string(want) {
		t.Errorf("the downloaded file differs from GET %s:\n%.300s\nwant:\n%.300s", href, got, want)
	}
	if tb.visible("#error") {
		t.Errorf("the page shows an error: %s", tb.text("#error"))
	}
}
