package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"html"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models/adoption"
	"github.com/churnlabs/churn/models/gbm"
	"github.com/churnlabs/churn/models/maturity"
)

// fullReport is the simulated history's report with every section: the
// adoption score beside a small gbm, and an uplift.
func fullReport(t *testing.T) *Report {
	t.Helper()
	s, err := simulated()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stats, err := retention.Measure(ctx, s.hist, retention.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := New(stats)
	m, err := gbm.Fit(ctx, s.split.Train, nil, gbm.Params{Trees: 60}, nil)
	if err != nil {
		t.Fatal(err)
	}
	full := &adoption.Scores{Model: "gbm", Prob: make([]float64, s.split.Valid.Len())}
	for i := range full.Prob {
		full.Prob[i] = m.LogOdds(s.split.Valid.Row(i))
	}
	if r.Adoption, err = adoption.Build(ctx, s.hist, s.split, full, adoption.Options{}); err != nil {
		t.Fatal(err)
	}
	if r.Maturity, err = maturity.Measure(ctx, s.hist, maturity.Options{}); err != nil {
		t.Fatal(err)
	}
	var as []retention.Assignment
	for i, id := range s.split.Valid.AccountID {
		if i%7 == 0 {
			as = append(as, retention.Assignment{AccountID: id, Treated: i%2 == 0, Week: features.NoDate})
		}
	}
	as = dedupe(as)
	if r.Uplift, err = s.hist.Uplift(as, retention.UpliftOptions{}); err != nil {
		t.Fatal(err)
	}
	return r
}

func dedupe(as []retention.Assignment) []retention.Assignment {
	seen := map[string]bool{}
	var out []retention.Assignment
	for _, a := range as {
		if !seen[a.AccountID] {
			seen[a.AccountID] = true
			out = append(out, a)
		}
	}
	return out
}

func TestSave(t *testing.T) {
	r := fullReport(t)
	dir := t.TempDir()
	if err := Save(dir, r); err != nil {
		t.Fatal(err)
	}
	pngs := []string{"churn_rate.png", "revenue_retention.png", "cohorts.png", "indicators.png"}
	for _, f := range pngs {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if back.Report == nil || back.Accounts != r.Accounts || len(back.Monthly) != len(r.Monthly) || back.Adoption == nil || back.Uplift == nil ||
		back.Maturity == nil || len(back.Maturity.Levels) != maturity.Levels ||
		len(back.Indicators.Ranked) != len(r.Indicators.Ranked) || back.First != r.First {
		t.Error("report.json does not read back as the report")
	}
	// The keys keep the order report.json has always had: the statistics,
	// then the adoption score, the uplift and the notes.
	want := []string{"snapshots", "first_week", "last_week", "accounts", "horizon_weeks", "confidence", "has_arr",
		"monthly", "quarterly", "cohorts", "quarterly_cohorts", "indicators", "adoption", "maturity", "uplift"}
	if got := topKeys(t, b); !slices.Equal(got, want) {
		t.Errorf("report.json keys\n %q, want\n %q", got, want)
	}

	b, err = os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, id := range []string{"churn", "revenue", "cohorts", "indicators", "adoption", "maturity", "uplift", "method"} {
		if !strings.Contains(page, `<section id="`+id+`">`) {
			t.Errorf("report.html has no section %q", id)
		}
	}
	for _, s := range []string{"GRR / NRR by segment", "Churn rate by segment", adoption.Model, "gbm", "treated", "control", "Top 25 by lift", "1 onboarding", "4 optimisation"} {
		if !strings.Contains(page, s) {
			t.Errorf("report.html does not mention %q", s)
		}
	}
	// Every chart is embedded, and nothing is loaded from elsewhere.
	// An attribute escapes "+" as "&#43;", which a browser decodes.
	images := regexp.MustCompile(`<img alt="[^"]*" src="data:image/png;base64,([^"]+)">`).FindAllStringSubmatch(page, -1)
	if len(images) != len(pngs) {
		t.Fatalf("report.html embeds %d images, want %d", len(images), len(pngs))
	}
	for _, m := range images {
		raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Errorf("embedded image: %v", err)
		}
	}
	if regexp.MustCompile(`(src|href)="(https?:|//|[a-z_]+\.(png|css|js))`).MatchString(page) {
		t.Error("report.html refers to another file")
	}
}

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// TestWriteText compares the text summary of a seeded simulated history, every
// figure in it, with a golden file. Run with -update after a deliberate
// change, and read the diff.
func TestWriteText(t *testing.T) {
	r := fullReport(t)
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("..", "..", "testdata", "retention", "summary.golden.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("summary differs from %s:\n got:\n%s\nwant:\n%s", golden, got, want)
	}
	// The golden file itself must say what the figures are.
	for _, label := range []string{"simulated: 600 accounts, weeks 2023-01-02 to 2024-12-23, horizon 12 weeks\n",
		"churn 2024-11: ", "revenue retention 2024-Q3: GRR ", "leading indicators (", "maturity levels (churn within 12 weeks):\n  1 onboarding", "uplift: retention "} {
		if !strings.Contains(string(want), label) {
			t.Errorf("%s lacks %q", golden, label)
		}
	}
}

// TestShortHistory: the report of data shorter than the horizon has its
// churn tables, says why it has no indicators, in report.json after the
// other keys as in the page, and shows no adoption section.
func TestShortHistory(t *testing.T) {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 50, Weeks: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := retention.Read(ctx, features.MemorySource("short", simulate.Schema(), rows))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := retention.Measure(ctx, b, retention.Options{Horizon: 26})
	if err != nil {
		t.Fatal(err)
	}
	r := New(stats)
	r.Notes = append(r.Notes, "A note of the caller.")
	if len(r.Notes) != 2 || !strings.Contains(r.Notes[0], "too short for the horizon") {
		t.Fatalf("notes %q: want the statistics' note, then the caller's", r.Notes)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if keys := topKeys(t, js.Bytes()); keys[len(keys)-1] != "notes" || slices.Contains(keys, "indicators") || slices.Contains(keys, "adoption") {
		t.Errorf("report.json keys %q: want notes last, no indicators, no adoption", keys)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Notes, r.Notes) {
		t.Errorf("notes read back %q, want %q", back.Notes, r.Notes)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, nil); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.Contains(page, "No indicator could be evaluated") || strings.Contains(page, `id="adoption"`) {
		t.Error("report.html of a short hist: want no indicators and no adoption section")
	}
	for _, n := range r.Notes {
		if strings.Count(page, n) != 1 {
			t.Errorf("report.html shows note %q %d times, want once", n, strings.Count(page, n))
		}
	}
}
