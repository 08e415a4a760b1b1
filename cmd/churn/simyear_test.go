package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/monitor"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
)

// The simulated year: one "churn gen" world, cut week by week.
const (
	yearAccounts = 1500
	yearSeed     = 11
	yearHistory  = 40 // weeks of snapshots before the first model
	yearWeeks    = 52 // weeks scored
	yearHorizon  = 8
	yearValid    = 8
	yearModel    = "logistic"
)

// yearRetrains are the weeks of the year (0-based) at which the model is
// retrained on the snapshots so far and promoted.
var yearRetrains = []int{17, 35}

// TestSimulatedYear is the lifecycle end to end, as a team would run it
// for a year: train a model into a registry on the first yearHistory
// weeks of a simulated book, then each week, as that week's snapshots
// arrive, record the champion's scores of it ("churn score --record");
// twice in the year retrain on everything so far and promote the new
// model ("train --challenge", else "churn models promote"). Once the
// horizon after the last scored week has passed, "churn monitor" checks
// what was recorded against who churned. The realized ROC AUC of each
// version that served must agree, within noise, with the validation AUC
// training reported for it in metrics.json: scores recorded under the
// wrong week, by the wrong version, or labelled over another horizon
// than training's would not.
//
// The commands never see a snapshot after the week they run in: the
// world is generated once and cut at each week, as a weekly feed grows.
//
// Training runs with --no-refit: a refitted model has also learnt from
// its validation weeks, so metrics.json's validation AUC (the first
// fit's) would understate it, and the exact replay of those weeks below
// would not hold. TestTrainRefit and models' TestRefitOnLaterWeeks cover
// what the refit adds.
func TestSimulatedYear(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of weekly scoring: not with -short")
	}
	t.Setenv("CHURN_USER", "sim-year")
	dir := t.TempDir()
	worldPath := filepath.Join(dir, "world.csv")
	total := yearHistory + yearWeeks + yearHorizon
	mustChurn(t, "gen", "--accounts", strconv.Itoa(yearAccounts), "--weeks", strconv.Itoa(total),
		"--seed", strconv.Itoa(yearSeed), "--out", worldPath)
	w := readWorld(t, worldPath)
	if len(w.weeks) != total {
		t.Fatalf("world has %d weeks, want %d", len(w.weeks), total)
	}
	snap := filepath.Join(dir, "snapshots.csv") // the feed, as of the week
	reg := filepath.Join(dir, "registry")
	db := filepath.Join(reg, lifecycle.DefaultDBName)
	trainArgs := []string{"--snapshots", snap, "--horizon", strconv.Itoa(yearHorizon),
		"--valid-weeks", strconv.Itoa(yearValid), "--model", yearModel, "--no-plots", "--no-refit", "--registry", reg, "--challenge"}

	// The first model: the registry is empty, so it becomes champion.
	w.cut(t, snap, yearHistory-1)
	champion := registered(t, mustChurn(t, append([]string{"train"}, trainArgs...)...))
	served := make([]string, yearWeeks) // the champion of each week of the year
	versions := []string{champion}
	promotedWeek := make(map[int]string) // score --format json of the week of each retrain
	for y := range yearWeeks {
		week := yearHistory + y
		w.cut(t, snap, week)
		if slices.Contains(yearRetrains, y) {
			out := mustChurn(t, append([]string{"train"}, append(trainArgs, "--reason", fmt.Sprintf("retrain in week %d of the year", y))...)...)
			v := registered(t, out)
			t.Logf("week %d of the year, %s: %s", y, w.weeks[week], challengeVerdict(out))
			if !strings.Contains(out, "promoted "+v) {
				// Not significantly better on its validation weeks: the
				// team promotes the fresher model by hand, as they planned.
				mustChurn(t, "models", "promote", v, "--registry", reg, "--reason", fmt.Sprintf("scheduled retrain in week %d of the year", y))
			}
			champion = v
			versions = append(versions, v)
		}
		served[y] = champion
		args := []string{"score", "--snapshots", snap, "--model", filepath.Join(reg, "versions", champion),
			"--record", "--db", db, "--top", "1", "--format", "csv"}
		if slices.Contains(yearRetrains, y) {
			args = append(args[:len(args)-4], "--format", "json") // every account, with its history
		}
		out, errs := mustChurnErr(t, args...)
		if !strings.Contains(errs, "scores of week "+w.weeks[week].String()+" by model "+champion) {
			t.Fatalf("week %s: score says\n%s", w.weeks[week], errs)
		}
		if slices.Contains(yearRetrains, y) {
			promotedWeek[y] = out
		}
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(versions))); len(distinct) != 1+len(yearRetrains) {
		t.Fatalf("versions %v: want %d distinct", versions, 1+len(yearRetrains))
	}

	ctx := context.Background()
	store, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	checkYearAudit(t, ctx, store, versions)
	for i, y := range yearRetrains {
		checkShownAcrossPromotion(t, ctx, store, promotedWeek[y], versions[i], w.weeks[yearHistory+y-1])
	}
	weeksOf := checkYearHistory(t, ctx, store, w, served)

	// The year is over and its horizon has passed: the whole world.
	code, out, errs := churn(t, "monitor", "--snapshots", worldPath, "--registry", reg, "--format", "json")
	if code != 0 {
		t.Fatalf("monitor: exit %d\n%s", code, errs)
	}
	var doc monitorDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Horizon != yearHorizon {
		t.Errorf("monitor horizon %d, want the models' %d", doc.Horizon, yearHorizon)
	}
	if len(doc.Matured) != len(weeksOf[""]) || len(doc.Immature) != 0 {
		t.Errorf("%d weeks matured, %d not: want all %d recorded weeks matured", len(doc.Matured), len(doc.Immature), len(weeksOf[""]))
	}
	tab, err := buildTable(ctx, &env{stdout: io.Discard, stderr: io.Discard}, worldPath, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	y := &year{reg: reg, versions: versions, served: served, weeks: w.weeks[yearHistory : yearHistory+yearWeeks], weeksOf: weeksOf, doc: &doc,
		fates: monitor.Fates(tab), opts: monitor.Options{Horizon: yearHorizon, AsOf: tab.Last}}
	for _, v := range versions {
		y.metrics = append(y.metrics, readYearMetrics(t, reg, v))
	}
	y.checkReplay(t, ctx, w, filepath.Join(dir, "replay.db"), snap)
	y.checkAUC(t, ctx, store)
}

// mustChurnErr is mustChurn returning stderr too.
func mustChurnErr(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errs := churn(t, args...)
	if code != 0 {
		t.Fatalf("churn %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out, errs
}

// registered returns the version "churn train --registry" registered.
func registered(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`registered (\S+) in `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("train registered nothing:\n%s", out)
	}
	return m[1]
}

// challengeVerdict is the line of "train --challenge" that says whether
// the new model beat the champion.
func challengeVerdict(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "not promoted: ") || strings.HasPrefix(l, "significantly better") {
			return l
		}
	}
	return "(no verdict)"
}

// world is a snapshot CSV as "churn gen" writes it, week after week.
type world struct {
	header string
	lines  []string
	weeks  []features.Date
	// end[i] is the number of lines of weeks[0..i].
	end []int
	// rows are the parsed account, week and churned of each line.
	rows []worldRow
}

type worldRow struct {
	account string
	week    features.Date
	churned bool
}

func readWorld(t *testing.T, path string) *world {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	w := &world{header: lines[0], lines: lines[1:]}
	cols := strings.Split(w.header, ",")
	churnedCol := slices.Index(cols, "churned")
	if cols[0] != "account_id" || cols[1] != "week" || churnedCol < 0 {
		t.Fatalf("header %q: want account_id, week, ..., churned", w.header)
	}
	for i, l := range w.lines {
		f := strings.Split(l, ",")
		week, err := features.ParseDate(f[1])
		if err != nil {
			t.Fatalf("line %d: %v", i+2, err)
		}
		if n := len(w.weeks); n == 0 || week != w.weeks[n-1] {
			if n > 0 && week < w.weeks[n-1] {
				t.Fatalf("line %d: week %s after %s: want the file in week order", i+2, week, w.weeks[n-1])
			}
			w.weeks = append(w.weeks, week)
			w.end = append(w.end, i)
		}
		w.rows = append(w.rows, worldRow{account: f[0], week: week, churned: f[churnedCol] == "1"})
	}
	w.end = append(w.end[1:], len(w.lines))
	return w
}

// index is the index of week in w.weeks.
func (w *world) index(t *testing.T, week features.Date) int {
	t.Helper()
	i := slices.Index(w.weeks, week)
	if i < 0 {
		t.Fatalf("week %s is not in the world (%s to %s)", week, w.weeks[0], w.weeks[len(w.weeks)-1])
	}
	return i
}

// cut writes the snapshots of weeks[0..i] to path: the feed as of that
// week.
func (w *world) cut(t *testing.T, path string, i int) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(w.header + "\n")
	for _, l := range w.lines[:w.end[i]] {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkYearAudit checks the audit holds the three promotions, each of
// the version trained then, in order.
func checkYearAudit(t *testing.T, ctx context.Context, store *sqlstore.Store, versions []string) {
	t.Helper()
	audit, err := store.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var promoted []lifecycle.AuditEntry
	for _, e := range audit {
		if e.Action.ChangesChampion() {
			promoted = append(promoted, e)
		}
	}
	if len(promoted) != len(versions) {
		t.Fatalf("audit has %d promotions, want %d (the first model and %d retrains): %+v", len(promoted), len(versions), len(versions)-1, audit)
	}
	for i, e := range promoted {
		prev := ""
		if i > 0 {
			prev = versions[i-1]
		}
		if e.Action != lifecycle.Promote || e.Version != versions[i] || e.Previous != prev || e.User != "sim-year" || e.Reason == "" {
			t.Errorf("promotion %d: %+v, want %s promoted over %q by sim-year with a reason", i+1, e, versions[i], prev)
		}
		if i > 0 && !strings.Contains(e.Reason, "week "+strconv.Itoa(yearRetrains[i-1])+" of the year") {
			t.Errorf("promotion %d: reason %q does not say which retrain", i+1, e.Reason)
		}
	}
}

// checkShownAcrossPromotion checks that the first book of a new champion
// (out, "churn score --format json") shows, as each account's score of
// the week before, what the previous champion recorded for it then: the
// sparkline and the change since last week draw what was shown, not a
// rescoring with the new model.
func checkShownAcrossPromotion(t *testing.T, ctx context.Context, store *sqlstore.Store, out, previous string, before features.Date) {
	t.Helper()
	var doc scoreDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	recs, err := store.Scores(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	shown := make(map[string]float64)
	for _, r := range recs {
		if r.ModelVersion == previous {
			shown[r.AccountID] = r.Probability
		}
	}
	checked := 0
	for _, a := range doc.Accounts {
		p, ok := shown[a.AccountID]
		if !ok {
			continue // new this week, or not seen the week before
		}
		for k, h := range a.History {
			if h.Week != before.String() || k == len(a.History)-1 {
				// The latest week is the score shown now: for an account
				// that missed this week, the new model's of the week before.
				continue
			}
			checked++
			if !h.Recorded || h.Probability != p {
				t.Errorf("%s's first book shows %s's week %s as %v (recorded %v); %s recorded %v", doc.ModelVersion, a.AccountID, h.Week, h.Probability, h.Recorded, previous, p)
			}
		}
	}
	if checked < len(doc.Accounts)/2 {
		t.Errorf("%s's first book: %d of %d accounts show week %s; want most", doc.ModelVersion, checked, len(doc.Accounts), before)
	}
}

// scoredWeek is one account-week scored by one model version.
type scoredWeek struct {
	account string
	week    features.Date
	version string
}

func (k scoredWeek) String() string { return k.account + " " + k.week.String() + " " + k.version }

// checkYearHistory checks the score history holds exactly what was shown:
// each week of the year, every account active as of that week under its
// latest snapshot week (an account that missed the week is scored on the
// week it was last seen), scored by the champion of that week, once. It
// returns the weeks each version holds scores of, and under "" all of
// them.
func checkYearHistory(t *testing.T, ctx context.Context, store *sqlstore.Store, w *world, served []string) map[string]map[features.Date]bool {
	t.Helper()
	want := make(map[scoredWeek]bool)
	weeksOf := map[string]map[features.Date]bool{"": {}}
	last := make(map[string]features.Date)
	churned := make(map[string]bool)
	next := 0
	for y, version := range served {
		for ; next < w.end[yearHistory+y]; next++ {
			r := w.rows[next]
			last[r.account] = r.week
			churned[r.account] = churned[r.account] || r.churned
		}
		if weeksOf[version] == nil {
			weeksOf[version] = make(map[features.Date]bool)
		}
		for a, wk := range last {
			if !churned[a] {
				want[scoredWeek{a, wk, version}] = true
				weeksOf[version][wk], weeksOf[""][wk] = true, true
			}
		}
	}
	weeks, err := store.ScoredWeeks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[scoredWeek]bool)
	var extra []scoredWeek
	for _, wk := range weeks {
		recs, err := store.Scores(ctx, wk)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			k := scoredWeek{r.AccountID, r.Week, r.ModelVersion}
			if got[k] {
				t.Errorf("account %s, week %s, model %s recorded twice", k.account, k.week, k.version)
			}
			got[k] = true
			if !want[k] && len(extra) < 5 {
				extra = append(extra, k)
			}
		}
	}
	var missing []scoredWeek
	for k := range want {
		if !got[k] && len(missing) < 5 {
			missing = append(missing, k)
		}
	}
	if len(got) != len(want) || len(extra) > 0 || len(missing) > 0 {
		t.Errorf("score history holds %d account-weeks, want %d; not shown: %v; missing: %v", len(got), len(want), extra, missing)
	}
	return weeksOf
}

// yearMetrics is the part of a model's metrics.json the year reads.
type yearMetrics struct {
	Chosen  string `json:"chosen"`
	Horizon int    `json:"horizon_weeks"`
	Valid   struct {
		First     features.Date `json:"first_week"`
		Last      features.Date `json:"last_week"`
		Rows      int           `json:"rows"`
		Positives int           `json:"positives"`
	} `json:"valid"`
	Models []struct {
		Name     string  `json:"name"`
		ValidAUC float64 `json:"valid_auc"`
	} `json:"models"`
	// AUC is the chosen model's validation ROC AUC.
	AUC float64 `json:"-"`
}

func readYearMetrics(t *testing.T, reg, version string) yearMetrics {
	t.Helper()
	var m yearMetrics
	b, err := os.ReadFile(filepath.Join(reg, "versions", version, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m.AUC = math.NaN()
	for _, c := range m.Models {
		if c.Name == m.Chosen {
			m.AUC = c.ValidAUC
		}
	}
	if m.Horizon != yearHorizon || math.IsNaN(m.AUC) || m.Valid.Rows == 0 {
		t.Fatalf("%s: metrics.json %+v: want horizon %d and the chosen model's validation", version, m, yearHorizon)
	}
	return m
}

// year is what the simulated year produced, for the checks of its
// realized outcomes.
type year struct {
	reg      string
	versions []string
	served   []string // the champion of each week of the year
	weeks    []features.Date
	metrics  []yearMetrics
	// weeksOf are the weeks each version holds scores of ("" for all).
	weeksOf map[string]map[features.Date]bool
	doc     *monitorDoc
	fates   map[string]monitor.Fate
	opts    monitor.Options
}

// evaluate is the realized performance of version's recorded scores of
// the weeks from first to last, on all segments.
func (y *year) evaluate(t *testing.T, ctx context.Context, h monitor.History, fates map[string]monitor.Fate, o monitor.Options,
	version string, first, last features.Date) monitor.Performance {
	t.Helper()
	var recs []lifecycle.ScoreRecord
	for wk := first; wk <= last; wk = wk.AddDays(7) {
		rs, err := h.Scores(ctx, wk)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.ModelVersion == version {
				recs = append(recs, r)
			}
		}
	}
	rep, err := monitor.Evaluate(recs, fates, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) == 0 || rep.Groups[0].Segment != "" {
		t.Fatalf("%s, weeks %s to %s: no realized figures", version, first, last)
	}
	return rep.Groups[0]
}

// checkReplay replays each version's validation weeks as if it had served
// them: the feed cut at each of those weeks, "churn score --record" into
// a store of its own. Told the outcomes the snapshots training saw tell
// (the feed cut at its last week), the monitor must then find, on those
// weeks, exactly the rows, churners and ROC AUC training reported for its
// validation: the same account-weeks, labelled by the same rule over the
// same horizon. This pins the alignment of recorded weeks and labels
// exactly, free of the noise that sets one stretch of weeks apart from
// another. (With the whole world's outcomes instead, a few rows more
// count: accounts that missed the week training's data ended on, whose
// outcome training could not tell.)
func (y *year) checkReplay(t *testing.T, ctx context.Context, w *world, db, snap string) {
	t.Helper()
	for i, v := range y.versions {
		m := y.metrics[i]
		for wk := m.Valid.First; wk <= m.Valid.Last; wk = wk.AddDays(7) {
			w.cut(t, snap, w.index(t, wk))
			mustChurn(t, "score", "--snapshots", snap, "--model", filepath.Join(y.reg, "versions", v),
				"--record", "--db", db, "--top", "1", "--format", "csv")
		}
	}
	store, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i, v := range y.versions {
		m := y.metrics[i]
		trainedOn := m.Valid.Last.AddDays(7 * m.Horizon) // the last week of its training data
		w.cut(t, snap, w.index(t, trainedOn))
		tab, err := buildTable(ctx, &env{stdout: io.Discard, stderr: io.Discard}, snap, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := y.evaluate(t, ctx, store, monitor.Fates(tab), monitor.Options{Horizon: m.Horizon, AsOf: tab.Last}, v, m.Valid.First, m.Valid.Last)
		t.Logf("%s replayed on its validation weeks %s to %s: ROC AUC %.4f on %d rows (%d churned); training reported %.4f on %d rows (%d churned)",
			v, m.Valid.First, m.Valid.Last, p.AUC.Estimate, p.Rows, p.Positives, m.AUC, m.Valid.Rows, m.Valid.Positives)
		if p.Rows != m.Valid.Rows || p.Positives != m.Valid.Positives || math.Abs(p.AUC.Estimate-m.AUC) > 1e-9 {
			t.Errorf("%s: recorded and monitored, its validation weeks give ROC AUC %.6f on %d rows (%d churned); training reported %.6f on %d rows (%d churned)",
				v, p.AUC.Estimate, p.Rows, p.Positives, m.AUC, m.Valid.Rows, m.Valid.Positives)
		}
	}
}

// checkAUC compares each served version's realized ROC AUC, as "churn
// monitor" reports it, with the validation AUC in its metrics.json, and
// then their mean difference over the versions.
//
// The rule. The validation AUC is the AUC of one stretch of yearValid
// weeks; the realized AUC is that of the 17 or 18 weeks the version
// served. They agree when they differ by at most zTolerance standard
// errors of the difference, sqrt(se_r² + se_w²), where:
//   - se_r is DeLong's standard error of the realized AUC, read off the
//     monitor's 95% interval;
//   - se_w is how far the AUC of one stretch of yearValid weeks strays
//     from a model's AUC over many weeks: measured on the year itself, as
//     the root mean square deviation of the realized AUC of each run of
//     yearValid consecutive weeks a version served from that version's
//     realized AUC (degrees of freedom: windows less versions). It holds
//     both the sampling error of a window and the weeks' own variation
//     (seasons, renewals), which is larger here than sampling error: an
//     autumn window's AUC can exceed the next spring's by 0.08. Hanley
//     and McNeil's (1982) standard error of the validation AUC, from its
//     class counts, is its floor.
//
// Overall, the mean of the differences over the k versions must be within
// zTolerance·sqrt(Σ (se_r² + se_w²))/k. zTolerance is 3: account-weeks
// are not independent (an account is scored week after week), so DeLong's
// error understates the noise somewhat.
func (y *year) checkAUC(t *testing.T, ctx context.Context, store *sqlstore.Store) {
	t.Helper()
	const zTolerance = 3
	z95 := math.Sqrt2 * math.Erfinv(0.95)
	realized := make([]monitorPerf, len(y.versions))
	for i, v := range y.versions {
		j := slices.IndexFunc(y.doc.Performance, func(p monitorPerf) bool { return p.ModelVersion == v && p.Segment == "" })
		if j < 0 {
			t.Fatalf("monitor has no figures for %s", v)
		}
		realized[i] = y.doc.Performance[j]
		if p := realized[i]; p.AUC.Estimate == nil || p.Weeks != len(y.weeksOf[v]) {
			t.Fatalf("%s: realized over %d weeks (%d rows, %d churned): want a ROC AUC over the %d weeks it has scores of", v, p.Weeks, p.Rows, p.Positives, len(y.weeksOf[v]))
		}
	}

	// se_w, from the windows of yearValid weeks each version served.
	var ss float64
	windows := 0
	for i, v := range y.versions {
		var weeks []features.Date
		for k, s := range y.served {
			if s == v {
				weeks = append(weeks, y.weeks[k])
			}
		}
		for start := 0; start+yearValid <= len(weeks); start += yearValid {
			p := y.evaluate(t, ctx, store, y.fates, y.opts, v, weeks[start], weeks[start+yearValid-1])
			d := p.AUC.Estimate - *realized[i].AUC.Estimate
			t.Logf("%s: realized ROC AUC %.3f on weeks %s to %s", v, p.AUC.Estimate, weeks[start], weeks[start+yearValid-1])
			ss += d * d
			windows++
		}
	}
	if windows <= len(y.versions) {
		t.Fatalf("%d windows of %d weeks: too few to measure how windows vary", windows, yearValid)
	}
	seW := math.Sqrt(ss / float64(windows-len(y.versions)))
	t.Logf("a window of %d weeks strays from the long-run AUC by %.3f (root mean square, %d windows)", yearValid, seW, windows)

	var sumDiff, sumVar float64
	for i, v := range y.versions {
		m, p := y.metrics[i], realized[i]
		r := *p.AUC.Estimate
		seR := (r - *p.AUC.Lower) / z95 // the upper bound may be clipped at 1
		seV := max(seW, hanleyMcNeilSE(m.AUC, m.Valid.Positives, m.Valid.Rows-m.Valid.Positives))
		diff, se := r-m.AUC, math.Hypot(seR, seV)
		t.Logf("%s: validation ROC AUC %.3f (%d rows, %d churned, weeks %s to %s); realized %.3f ± %.3f over %d weeks (%d rows, %.1f%% churned, mean score %.1f%%); difference %+.3f ± %.3f, z %+.2f",
			v, m.AUC, m.Valid.Rows, m.Valid.Positives, m.Valid.First, m.Valid.Last, r, seR, p.Weeks, p.Rows,
			100*float64(p.Positives)/float64(p.Rows), 100*p.MeanPredicted, diff, se, diff/se)
		if math.Abs(diff) > zTolerance*se {
			t.Errorf("%s: realized ROC AUC %.3f is %.1f standard errors from its validation AUC %.3f (allowed %d)", v, r, math.Abs(diff)/se, m.AUC, zTolerance)
		}
		sumDiff += diff
		sumVar += se * se
	}
	k := float64(len(y.versions))
	diff, se := sumDiff/k, math.Sqrt(sumVar)/k
	t.Logf("overall: realized minus validation ROC AUC %+.3f ± %.3f (mean over %d versions), z %+.2f", diff, se, len(y.versions), diff/se)
	if math.Abs(diff) > zTolerance*se {
		t.Errorf("overall: realized ROC AUC differs from validation by %+.3f, %.1f standard errors (allowed %d)", diff, math.Abs(diff)/se, zTolerance)
	}
}

// hanleyMcNeilSE is the standard error of an AUC over pos positives and
// neg negatives (Hanley and McNeil 1982, "The meaning and use of the area
// under a ROC curve", eq. 2).
func hanleyMcNeilSE(auc float64, pos, neg int) float64 {
	q1, q2 := auc/(2-auc), 2*auc*auc/(1+auc)
	np, nn := float64(pos), float64(neg)
	return math.Sqrt((auc*(1-auc) + (np-1)*(q1-auc*auc) + (nn-1)*(q2-auc*auc)) / (np * nn))
}
