package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// churn runs the CLI in-process and returns its exit status and output.
func churn(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), &env{stdout: &out, stderr: &errb, progress: nil}, args)
	return code, out.String(), errb.String()
}

func mustChurn(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := churn(t, args...)
	if code != 0 {
		t.Fatalf("churn %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

// TestPipeline runs the data scientist's and the CS team's path through the
// CLI on a small simulated book and checks the contract's outputs.
func TestPipeline(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "400", "--weeks", "70", "--seed", "5", "--out", snap)
	mustChurn(t, "validate", "--snapshots", snap)
	feat := filepath.Join(dir, "features")
	mustChurn(t, "features", "--snapshots", snap, "--horizon", "8", "--valid-weeks", "6", "--out", feat, "--format", "csv")
	for _, f := range []string{"train.csv", "valid.csv", "summary.json"} {
		if _, err := os.Stat(filepath.Join(feat, f)); err != nil {
			t.Fatal(err)
		}
	}
	header := readCSVHeader(t, filepath.Join(feat, "train.csv"))
	if header[0] != "account_id" || header[1] != "week" || header[len(header)-1] != "label" {
		t.Errorf("train.csv header %v: want account_id, week, features..., label", header)
	}

	model := filepath.Join(dir, "model")
	out := mustChurn(t, "train", "--features", feat, "--model", "logistic", "--out", model, "--no-plots")
	if !strings.Contains(out, "chosen: logistic") {
		t.Errorf("train output:\n%s", out)
	}
	var metrics struct {
		Chosen string `json:"chosen"`
		Models []struct {
			Name       string   `json:"name"`
			ValidAUC   *float64 `json:"valid_auc"`
			FitSeconds *float64 `json:"fit_seconds"`
		} `json:"models"`
	}
	b, err := os.ReadFile(filepath.Join(model, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &metrics); err != nil {
		t.Fatal(err)
	}
	if metrics.Chosen != "logistic" || len(metrics.Models) != 1 || metrics.Models[0].ValidAUC == nil || metrics.Models[0].FitSeconds == nil {
		t.Errorf("metrics.json %s", b)
	}

	csvOut := mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "csv", "--top", "5")
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[0][0] != "account_id" || rows[0][1] != "churn_probability" {
		t.Fatalf("score csv:\n%s", csvOut)
	}
	if rows[1][1] < rows[5][1] {
		t.Errorf("not ranked highest risk first:\n%s", csvOut)
	}

	testScoreJSON(t, snap, model)

	report := filepath.Join(dir, "report")
	mustChurn(t, "report", "--snapshots", snap, "--model", model, "--out", report)
	var rep struct {
		Accounts int `json:"accounts"`
		Monthly  []struct {
			Segment string            `json:"segment"`
			Periods []json.RawMessage `json:"periods"`
		} `json:"monthly"`
		Adoption *struct {
			Validation []struct {
				Model  string  `json:"model"`
				ROCAUC float64 `json:"roc_auc"`
			} `json:"validation"`
		} `json:"adoption"`
		Maturity *struct {
			Ladder json.RawMessage `json:"ladder"`
			Levels []struct {
				Level    int `json:"level"`
				Rows     int `json:"rows"`
				Accounts int `json:"accounts"`
			} `json:"levels"`
			Accounts []struct {
				ID    string   `json:"account_id"`
				Level int      `json:"level"`
				Lacks []string `json:"lacks"`
			} `json:"accounts"`
		} `json:"maturity"`
	}
	b, err = os.ReadFile(filepath.Join(report, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Accounts != 400 || len(rep.Monthly) == 0 || len(rep.Monthly[0].Periods) == 0 ||
		rep.Adoption == nil || len(rep.Adoption.Validation) != 2 {
		t.Errorf("report.json: %d accounts, monthly %v, adoption %v", rep.Accounts, rep.Monthly, rep.Adoption)
	}
	// Every current account is on a maturity level, and all but the top
	// level's accounts lack something for the next.
	if m := rep.Maturity; m == nil || len(m.Levels) != 4 || len(m.Accounts) == 0 {
		t.Errorf("report.json maturity: %+v", m)
	} else {
		placed := 0
		for _, lv := range m.Levels {
			placed += lv.Accounts
		}
		if placed != len(m.Accounts) {
			t.Errorf("report.json maturity: levels count %d accounts, %d placed", placed, len(m.Accounts))
		}
		for _, a := range m.Accounts {
			if a.Level < 1 || a.Level > 4 || (a.Level < 4) != (len(a.Lacks) > 0) {
				t.Errorf("report.json maturity: %+v", a)
			}
		}
	}
	var ladder string
	var levels map[string]string
	if rep.Maturity != nil {
		ladder, levels = testScoreMaturity(t, snap, model, rep.Maturity.Ladder, func(yield func(id string, level int) bool) {
			for _, a := range rep.Maturity.Accounts {
				if !yield(a.ID, a.Level) {
					return
				}
			}
		})
	}
	if html, err := os.ReadFile(filepath.Join(report, "report.html")); err != nil || !bytes.Contains(html, []byte("data:image/png;base64,")) {
		t.Errorf("report.html is missing or has no embedded charts (%v)", err)
	}
	testServe(t, snap, model, rows[1][0], ladder, levels)
}

// testScoreMaturity checks that churn score --maturity, given the ladder
// the report learned, places every current account at the level the
// report gave it, with what it lacks for the next level; it returns the
// ladder file and the level score gave each account.
func testScoreMaturity(t *testing.T, snap, model string, ladder []byte, levels iter.Seq2[string, int]) (file string, scored map[string]string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "ladder.json")
	if err := os.WriteFile(file, ladder, 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(mustChurn(t, "score", "--snapshots", snap, "--model", model,
		"--format", "csv", "--maturity", file))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n := len(rows[0])
	if n < 2 || rows[0][n-2] != "maturity_level" || rows[0][n-1] != "maturity_next" {
		t.Fatalf("score --maturity header %q", rows[0])
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r[n-2]
		if (r[n-2] == "4") != (r[n-1] == "-") || r[n-1] != "-" && !strings.HasPrefix(r[n-1], "next: ") {
			t.Errorf("score --maturity row %q: level %s, next %q", r[0], r[n-2], r[n-1])
		}
	}
	compared := 0
	for id, level := range levels {
		if g, ok := got[id]; ok {
			compared++
			if g != strconv.Itoa(level) {
				t.Errorf("%s: score --maturity gives level %s, report %d", id, g, level)
			}
		}
	}
	if compared == 0 {
		t.Error("no account of the report is in the score")
	}
	return file, got
}

// testScoreJSON checks that "churn score --format json" ranks every
// active account in one document, as before the server's ranking route
// took pages: the CLI writes files and pipes, where paging would only
// lose accounts. Its keys, in order, are the document's and nothing else.
func testScoreJSON(t *testing.T, snap, model string) {
	t.Helper()
	out := mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "json")
	rows, err := csv.NewReader(strings.NewReader(mustChurn(t, "score", "--snapshots", snap, "--model", model, "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The document is indented by two spaces a level: its own keys are
	// the lines that start with exactly two.
	var keys []string
	for _, m := range regexp.MustCompile(`(?m)^  "([a-z_]+)":`).FindAllStringSubmatch(out, -1) {
		keys = append(keys, m[1])
	}
	if want := []string{"as_of", "model_version", "health", "count", "accounts"}; !slices.Equal(keys, want) {
		t.Errorf("score json keys %q, want %q", keys, want)
	}
	var doc struct {
		Count    int `json:"count"`
		Accounts []struct {
			ID string `json:"account_id"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || doc.Count != len(rows)-1 || len(doc.Accounts) != doc.Count {
		t.Errorf("score json: count %d and %d accounts; the csv ranks %d", doc.Count, len(doc.Accounts), len(rows)-1)
	}
	for i, a := range doc.Accounts {
		if i+1 < len(rows) && a.ID != rows[i+1][0] {
			t.Fatalf("score json: account %d is %s, the csv's is %s", i+1, a.ID, rows[i+1][0])
		}
	}
}

// testServe runs "churn serve" on a free port, scores the riskiest
// account over HTTP and stops the server by cancelling its context.
func testServe(t *testing.T, snap, model, account, ladder string, levels map[string]string) {
	t.Helper()
	accessLog := filepath.Join(t.TempDir(), "access.log")
	srv := startServe(t, "--model", model, "--snapshots", snap, "--drain", "10ms", "--access-log", accessLog, "--maturity", ladder)
	url := srv.url + "/v1/accounts/" + account + "/score"
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = http.Get(url); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET %s: %v (serve exited %d)\n%s", url, err, srv.stop(), srv.stderr.String())
	}
	var score struct {
		AccountID   string  `json:"account_id"`
		Probability float64 `json:"churn_probability"`
	}
	err = json.NewDecoder(resp.Body).Decode(&score)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || score.AccountID != account || score.Probability <= 0 || score.Probability >= 1 {
		t.Errorf("GET %s: status %d, %+v, %v", url, resp.StatusCode, score, err)
	}
	testServeMaturity(t, srv.url, levels)
	// "churn serve" catches SIGHUP before it serves, so the process
	// survives this one and reloads.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	metrics := srv.url + "/metrics"
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(metrics)
		if err != nil {
			t.Fatalf("GET %s: %v", metrics, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(b, []byte("\nchurn_reloads_total 1\n")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reload after SIGHUP")
		}
	}
	if code := srv.stop(); code != 0 {
		t.Errorf("serve exited %d after shutdown:\n%s", code, srv.stderr.String())
	}
	b, err := os.ReadFile(accessLog)
	if err != nil {
		t.Fatal(err)
	}
	want := `"route":"/v1/accounts/:id/score","path":"/v1/accounts/` + account + `/score","status":200`
	if !bytes.Contains(b, []byte(want)) {
		t.Errorf("access log lacks %s:\n%s", want, b)
	}
}

func readCSVHeader(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := csv.NewReader(f).Read()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned\n"+
		"a,2024-01-01,1,1,1,0,0,0\n"+
		"a,2024-01-08,-2,1,1,0,0,0\n"), 0o644)
	dup := filepath.Join(dir, "dup.csv")
	os.WriteFile(dup, []byte("account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices\n"+
		"a,2024-01-01,1,1,1,0,0\n"+
		"a,2024-01-01,1,1,1,0,0\n"), 0o644)
	ladder := filepath.Join(dir, "ladder.yaml")
	os.WriteFile(ladder, []byte("steps:\n  - to_level: 2\n    indicators: [{column: logins, op: \"<\", threshold: 1, days: 28, percent: 50}]\n"), 0o644)
	out := filepath.Join(dir, "out")
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("s3cret\n"), 0o600)
	serve := []string{"serve", "--model", filepath.Join(dir, "none"), "--snapshots", bad}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"missing flag", []string{"features", "--out", out}, 2, "--snapshots is required"},
		{"missing file", []string{"features", "--snapshots", filepath.Join(dir, "nope.csv"), "--out", out}, 1, "nope.csv"},
		{"negative count", []string{"features", "--snapshots", bad, "--out", out}, 1, `bad.csv: row 3: column "logins"`},
		{"duplicate", []string{"features", "--snapshots", dup, "--out", out}, 1, `dup.csv: row 3: column "week": duplicate`},
		{"validate duplicate", []string{"validate", "--snapshots", dup}, 1, "errors that stop training"},
		{"bad format", []string{"features", "--snapshots", bad, "--out", out, "--format", "xlsx"}, 2, `--format "xlsx"`},
		{"bad model kind", []string{"train", "--features", out, "--out", out, "--model", "svm"}, 2, `--model "svm"`},
		{"negative row cap", []string{"train", "--snapshots", bad, "--out", out, "--max-train-rows", "-1"}, 2, "--max-train-rows -1"},
		{"row cap on a features directory", []string{"train", "--features", out, "--out", out, "--max-train-rows", "10"}, 2, "--max-train-rows is for --snapshots"},
		{"bad maturity ladder", []string{"report", "--snapshots", bad, "--out", out, "--maturity", ladder}, 1, "ladder.yaml:2: maturity ladder: 1 steps, want 3"},
		{"maturity with a table", []string{"score", "--table", bad, "--model", out, "--maturity", ladder}, 2, "--maturity is for snapshots"},
		{"maturity in json", []string{"score", "--snapshots", bad, "--model", out, "--format", "json", "--maturity", ladder}, 2, "--maturity adds columns to the table and CSV"},
		{"bad maturity ladder for score", []string{"score", "--snapshots", bad, "--model", out, "--maturity", ladder}, 1, "ladder.yaml:2: maturity ladder: 1 steps"},
		{"no model", []string{"score", "--snapshots", bad, "--model", filepath.Join(dir, "none")}, 1, "model.json"},
		{"negative drain", append(serve, "--drain", "-1s"), 2, "--drain -1s"},
		{"access log in a missing directory", append(serve, "--access-log", filepath.Join(dir, "no", "access.log")), 1, "--access-log"},
		{"one token for readers and admin", append(serve, "--token-file", token, "--admin-token-file", token), 1, "same token"},
		{"missing admin token file", append(serve, "--admin-token-file", filepath.Join(dir, "nope")), 1, "--admin-token-file"},
		{"bad maturity ladder for serve", append(serve, "--maturity", ladder), 1, "ladder.yaml:2: maturity ladder: 1 steps, want 3"},
		{"missing maturity ladder for serve", append(serve, "--maturity", filepath.Join(dir, "nope.yaml")), 1, "nope.yaml"},
		{"maturity without snapshots", []string{"serve", "--model", out, "--maturity", "learn"}, 2, "--maturity places the accounts of --snapshots"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := churn(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d with %q", code, errs, c.code, c.want)
			}
			if c.code == 1 && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("error is not one line: %q", errs)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind", out)
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := churn(t, "help")
	if code != 0 || !strings.Contains(out, "features") || !strings.Contains(out, "train") {
		t.Fatalf("help: exit %d\n%s", code, out)
	}
	for _, cmd := range commands() {
		code, out, _ := churn(t, cmd.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: churn "+cmd.name) {
			t.Errorf("%s --help: exit %d\n%s", cmd.name, code, out)
		}
	}
}

// testServeMaturity checks that churn serve --maturity, given the ladder
// churn score --maturity was, places every ranked account at the level
// score gave it, and that GET /v1/maturity's levels hold them all.
func testServeMaturity(t *testing.T, base string, scored map[string]string) {
	t.Helper()
	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s %v", path, resp.Status, err)
		}
	}
	var ranking struct {
		Total    int `json:"total"`
		Accounts []struct {
			ID    string            `json:"account_id"`
			Level int               `json:"maturity_level"`
			Lacks []json.RawMessage `json:"maturity_lacks"`
		} `json:"accounts"`
	}
	get("/v1/ranking?limit=1000", &ranking)
	if len(ranking.Accounts) != ranking.Total || len(ranking.Accounts) != len(scored) {
		t.Fatalf("serve ranks %d of %d accounts, score %d", len(ranking.Accounts), ranking.Total, len(scored))
	}
	for _, a := range ranking.Accounts {
		if want := scored[a.ID]; strconv.Itoa(a.Level) != want || (a.Level < 4) != (len(a.Lacks) > 0) {
			t.Errorf("%s: serve gives level %d lacking %d indicators, score level %s", a.ID, a.Level, len(a.Lacks), want)
		}
	}
	var m struct {
		Learned bool `json:"learned"`
		Levels  []struct {
			Rows     int `json:"rows"`
			Accounts int `json:"accounts"`
		} `json:"levels"`
		Accounts int `json:"accounts"`
	}
	get("/v1/maturity", &m)
	sum := 0
	for _, lv := range m.Levels {
		sum += lv.Accounts
	}
	if m.Learned || len(m.Levels) != 4 || sum != len(ranking.Accounts) || m.Accounts != sum {
		t.Errorf("GET /v1/maturity: %+v, %d ranked", m, len(ranking.Accounts))
	}
}
