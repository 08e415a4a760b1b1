package retention

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
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// fullReport is the simulated book's report with every section.
func fullReport(t *testing.T) *Report {
	t.Helper()
	s := simulatedBook(t)
	ctx := context.Background()
	r, err := Summarize(ctx, s.book, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Adoption, err = s.book.Adoption(ctx, s.split, gbmScores(t, s.split), AdoptionOptions{}); err != nil {
		t.Fatal(err)
	}
	var as []Assignment
	for i, id := range s.split.Valid.AccountID {
		if i%7 == 0 {
			as = append(as, Assignment{AccountID: id, Treated: i%2 == 0, Week: features.NoDate})
		}
	}
	as = dedupe(as)
	if r.Uplift, err = s.book.Uplift(as, UpliftOptions{}); err != nil {
		t.Fatal(err)
	}
	return r
}

func dedupe(as []Assignment) []Assignment {
	seen := map[string]bool{}
	var out []Assignment
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
	if back.Accounts != r.Accounts || len(back.Monthly) != len(r.Monthly) || back.Adoption == nil || back.Uplift == nil ||
		len(back.Indicators.Ranked) != len(r.Indicators.Ranked) || back.First != r.First {
		t.Error("report.json does not read back as the report")
	}

	b, err = os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, id := range []string{"churn", "revenue", "cohorts", "indicators", "adoption", "uplift", "method"} {
		if !strings.Contains(page, `<section id="`+id+`">`) {
			t.Errorf("report.html has no section %q", id)
		}
	}
	for _, s := range []string{"GRR / NRR by segment", "Churn rate by segment", AdoptionModel, "gbm", "treated", "control", "Top 25 by lift"} {
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

// TestWriteText compares the text summary of a seeded simulated book, every
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
		"churn 2024-11: ", "revenue retention 2024-Q3: GRR ", "leading indicators (", "uplift: retention "} {
		if !strings.Contains(string(want), label) {
			t.Errorf("%s lacks %q", golden, label)
		}
	}
}

// TestSummarizeShortHistory: data shorter than the horizon still has its
// churn tables, and says why it has no indicators.
func TestSummarizeShortHistory(t *testing.T) {
	b := readRows(t, handSchema, handBook())
	r, err := Summarize(context.Background(), b, Options{Horizon: 26})
	if err != nil {
		t.Fatal(err)
	}
	if r.Indicators != nil || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "too short for the horizon") {
		t.Errorf("indicators %+v, notes %q: want none, with a note", r.Indicators, r.Notes)
	}
	if len(r.Monthly[0].Periods) != 3 {
		t.Errorf("%d monthly periods, want 3", len(r.Monthly[0].Periods))
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if page := buf.String(); !strings.Contains(page, "No indicator could be evaluated") || strings.Contains(page, `id="adoption"`) {
		t.Error("report.html of a short book: want no indicators and no adoption section")
	}
}
