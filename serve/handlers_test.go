package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/serve/dashboard"
)

// TestRoutes sends every route its good and bad requests and checks the
// status, that the body is JSON, and what each case says it must hold.
func TestRoutes(t *testing.T) {
	e := newEnv(t, models.GBM)
	st := e.srv.state.Load()
	id := e.anAccount()
	names := st.model.Features
	version := st.model.Version
	row := func(extra string) string {
		return `{"logins_4w_mean": 2.5, "recency_days": 40, "overdue_invoices": null` + extra + `}`
	}
	var nulls []string
	for _, f := range names {
		nulls = append(nulls, fmt.Sprintf("%q: null", f))
	}
	allNull := "{" + strings.Join(nulls, ", ") + "}"
	type doc = map[string]any
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, w *httptest.ResponseRecorder)
	}{
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
		{name: "readyz", method: "GET", path: "/readyz", status: 200, check: func(t *testing.T, w *httptest.ResponseRecorder) {
			if d := decode[doc](t, w); d["model_version"] != version {
				t.Errorf("readyz %v", d)
			}
		}},
		{name: "oip live", method: "GET", path: "/v2/health/live", status: 200, check: wantBody(`{}`)},
		{name: "oip ready", method: "GET", path: "/v2/health/ready", status: 200, check: wantBody(`{}`)},
		{name: "oip model ready", method: "GET", path: "/v2/models/churn/ready", status: 200, check: wantBody(`{}`)},
		{name: "oip metadata", method: "GET", path: "/v2/models/churn", status: 200, check: func(t *testing.T, w *httptest.ResponseRecorder) {
			d := decode[struct {
				Name     string      `json:"name"`
				Versions []string    `json:"versions"`
				Platform string      `json:"platform"`
				Inputs   []oipTensor `json:"inputs"`
				Outputs  []oipTensor `json:"outputs"`
			}](t, w)
			if d.Name != "churn" || !slices.Equal(d.Versions, []string{version}) || d.Platform != "churn-go" ||
				len(d.Inputs) != len(names) || d.Inputs[0].Name != names[0] || d.Inputs[0].Datatype != "FP64" || !slices.Equal(d.Inputs[0].Shape, []int{-1}) ||
				len(d.Outputs) != 1 || d.Outputs[0].Name != "churn_probability" {
				t.Errorf("metadata %s", w.Body)
			}
		}},
		{name: "model", method: "GET", path: "/v1/model", status: 200, check: func(t *testing.T, w *httptest.ResponseRecorder) {
			d := decode[struct {
				Version  string        `json:"version"`
				Kind     string        `json:"kind"`
				Features []featureInfo `json:"features"`
				Horizon  int           `json:"horizon_weeks"`
				Train    doc           `json:"train"`
				Metrics  doc           `json:"valid_metrics"`
				Health   models.Health `json:"health"`
			}](t, w)
			if d.Version != version || d.Kind != models.GBM || len(d.Features) != len(names) || d.Horizon != 8 ||
				d.Features[0].Description != features.Describe(names[0]) || d.Train["first_week"] == "" ||
				d.Metrics["roc_auc"] == nil || d.Health.Red <= 0 {
				t.Errorf("model %s", w.Body)
			}
		}},
		{name: "account score", method: "GET", path: "/v1/accounts/" + id + "/score", status: 200, check: func(t *testing.T, w *httptest.ResponseRecorder) {
			sc := decode[scoreJSON](t, w)
			if err := sc.check(names); err != nil {
				t.Error(err)
			}
			if sc.AccountID != id || sc.Week != st.book.AsOf.String() || sc.Missing != nil {
				t.Errorf("score %s", w.Body)
			}
		}},
		{name: "account", method: "GET", path: "/v1/accounts/" + id, status: 200, check: func(t *testing.T, w *httptest.ResponseRecorder) {
			d := decode[struct {
				Account  doc                 `json:"account"`
				Score    scoreJSON           `json:"score"`
				Features map[string]*float64 `json:"features"`
				Recent   []features.RawWeek  `json:"recent_weeks"`
			}](t, w)
			if err := d.Score.check(names); err != nil {
				t.Error(err)
			}
			if d.Account["account_id"] != id || len(d.Features) != len(names) || len(d.Recent) == 0 {
				t.Errorf("account %s", w.Body)
			}
		}},
		{name: "unknown account", method: "GET", path: "/v1/accounts/nobody/score", status: 404, check: wantError("nobody")},
		{name: "unknown account page", method: "GET", path: "/v1/accounts/nobody", status: 404, check: wantError("nobody")},
		{name: "ranking", method: "GET", path: "/v1/ranking?limit=5&sort=arr_at_risk", status: 200, check: func(t *testing.T, w *httptest.ResponseRecorder) {
			d := decode[struct {
				AsOf     string        `json:"as_of"`
				Version  string        `json:"model_version"`
				Health   models.Health `json:"health"`
				Segments []string      `json:"segments"`
				Count    int           `json:"count"`
				Accounts []doc         `json:"accounts"`
			}](t, w)
			if d.AsOf != st.book.AsOf.String() || d.Version != version || d.Count != 5 || len(d.Accounts) != 5 ||
				len(d.Segments) == 0 || d.Health.Rule == "" {
				t.Errorf("ranking %s", w.Body)
			}
			for i := 1; i < len(d.Accounts); i++ {
				if d.Accounts[i]["arr_at_risk"].(float64) > d.Accounts[i-1]["arr_at_risk"].(float64) {
					t.Errorf("not sorted by ARR at risk: %v", d.Accounts)
				}
			}
		}},
		{name: "ranking by segment", method: "GET", path: "/v1/ranking?segment=" + st.book.Segments()[0] + "&renewal_within_days=90", status: 200,
			check: func(t *testing.T, w *httptest.ResponseRecorder) {
				d := decode[struct{ Accounts []doc }](t, w)
				for _, a := range d.Accounts {
					if a["segment"] != st.book.Segments()[0] || a["days_to_renewal"].(float64) > 90 {
						t.Errorf("filter let %v through", a)
					}
				}
			}},
		{name: "ranking unknown segment", method: "GET", path: "/v1/ranking?segment=SMB", status: 400,
			check: wantError(`segment "SMB": no ranked account has it; the segments are ` + strings.Join(st.book.Segments(), ", "))},
		{name: "ranking bad limit", method: "GET", path: "/v1/ranking?limit=ten", status: 400, check: wantError("limit=ten")},
		{name: "ranking negative days", method: "GET", path: "/v1/ranking?renewal_within_days=-1", status: 400, check: wantError("renewal_within_days")},
		{name: "ranking bad sort", method: "GET", path: "/v1/ranking?sort=name", status: 400, check: wantError("sort")},
		{name: "ranking unknown parameter", method: "GET", path: "/v1/ranking?limt=3", status: 400, check: wantError(`"limt"`)},
		{name: "ranking repeated parameter", method: "GET", path: "/v1/ranking?limit=3&limit=4", status: 400, check: wantError("2 times")},
		{name: "score one row", method: "POST", path: "/v1/score", body: `{"features": ` + row("") + `}`, status: 200,
			check: func(t *testing.T, w *httptest.ResponseRecorder) {
				sc := decode[scoreJSON](t, w)
				if err := sc.check(names); err != nil {
					t.Error(err)
				}
				if sc.AccountID != "" || len(sc.Missing) != len(names)-2 || slices.Contains(sc.Missing, "recency_days") ||
					!slices.Contains(sc.Missing, "overdue_invoices") {
					t.Errorf("score %s", w.Body)
				}
			}},
		{name: "score batch", method: "POST", path: "/v1/score", body: `{"rows": [` + row("") + `, {"tenure_weeks": 60}]}`, status: 200,
			check: func(t *testing.T, w *httptest.ResponseRecorder) {
				d := decode[struct{ Scores []scoreJSON }](t, w)
				if len(d.Scores) != 2 || len(d.Scores[1].Missing) != len(names)-1 || slices.Contains(d.Scores[1].Missing, "tenure_weeks") {
					t.Fatalf("batch %s", w.Body)
				}
				for _, sc := range d.Scores {
					if err := sc.check(names); err != nil {
						t.Error(err)
					}
				}
			}},
		{name: "malformed JSON", method: "POST", path: "/v1/score", body: `{"features": {`, status: 400, check: wantError("invalid JSON")},
		{name: "empty body", method: "POST", path: "/v1/score", status: 400, check: wantError("empty body")},
		{name: "trailing data", method: "POST", path: "/v1/score", body: `{"features": {}} {}`, status: 400, check: wantError("after the request")},
		{name: "unknown field", method: "POST", path: "/v1/score", body: `{"feature": {}}`, status: 400, check: wantError(`"feature"`)},
		{name: "neither", method: "POST", path: "/v1/score", body: `{}`, status: 400, check: wantError("no rows")},
		{name: "both", method: "POST", path: "/v1/score", body: `{"features": {}, "rows": [{}]}`, status: 400, check: wantError("not both")},
		{name: "empty batch", method: "POST", path: "/v1/score", body: `{"rows": []}`, status: 400, check: wantError("empty")},
		{name: "not an object", method: "POST", path: "/v1/score", body: `[1, 2]`, status: 400, check: wantError("want {")},
		{name: "features not an object", method: "POST", path: "/v1/score", body: `{"features": [1]}`, status: 400, check: wantError(`"features" is a JSON array`)},
		{name: "no feature given", method: "POST", path: "/v1/score", body: `{"features": {}}`, status: 400,
			check: wantError("every feature of the model is missing")},
		{name: "every feature null", method: "POST", path: "/v1/score", body: `{"features": ` + allNull + `}`, status: 400,
			check: wantError("every feature of the model is missing")},
		{name: "batch row without features", method: "POST", path: "/v1/score", body: `{"rows": [` + row("") + `, {"recency_days": null}]}`, status: 400,
			check: wantError("rows[1]: every feature of the model is missing")},
		{name: "null row", method: "POST", path: "/v1/score", body: `{"rows": [{"recency_days": 1}, null]}`, status: 400, check: wantError("rows[1]: null")},
		{name: "bare row", method: "POST", path: "/v1/score", body: row(""), status: 400, check: wantError("unknown field")},
		{name: "unknown features named", method: "POST", path: "/v1/score", body: `{"features": ` + row(`, "nps": 7, "mood": 1`) + `}`, status: 400,
			check: wantError(`unknown feature "mood"; unknown feature "nps"`)},
		{name: "unknown feature in batch", method: "POST", path: "/v1/score", body: `{"rows": [{"recency_days": 1}, {"recency_days": 2}, {"nps": 1}]}`, status: 400,
			check: wantError(`rows[2]: unknown feature "nps"`)},
		{name: "string value", method: "POST", path: "/v1/score", body: `{"rows": [{"recency_days": "40"}]}`, status: 400,
			check: wantError(`rows[0]: feature "recency_days": "40" is not a number`)},
		{name: "bool value", method: "POST", path: "/v1/score", body: `{"features": {"recency_days": true}}`, status: 400, check: wantError("true is not a number")},
		{name: "out of range", method: "POST", path: "/v1/score", body: `{"features": {"recency_days": 1e999}}`, status: 400, check: wantError("out of range")},
		{name: "reload", method: "POST", path: "/v1/admin/reload", status: 200, check: func(t *testing.T, w *httptest.ResponseRecorder) {
			if d := decode[doc](t, w); d["model_version"] != version {
				t.Errorf("reload %s", w.Body)
			}
		}},
		{name: "unknown route", method: "GET", path: "/v1/nothing", status: 404, check: wantError("no such route")},
		{name: "no dashboard configured", method: "GET", path: "/", status: 404, check: wantError("no such route")},
		{name: "trailing slash", method: "GET", path: "/v1/model/", status: 404, check: wantError("no such route")},
		{name: "wrong method", method: "GET", path: "/v1/score", status: 405, check: func(t *testing.T, w *httptest.ResponseRecorder) {
			wantError("not allowed")(t, w)
			if w.Header().Get("Allow") != "POST" {
				t.Errorf("Allow %q", w.Header().Get("Allow"))
			}
		}},
		{name: "wrong method on health", method: "POST", path: "/healthz", status: 405, check: wantError("not allowed")},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := e.do(c.method, c.path, c.body)
			if w.Code != c.status {
				t.Fatalf("%s %s: status %d, want %d: %s", c.method, c.path, w.Code, c.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("body is not JSON: %s", w.Body)
			}
			if c.check != nil {
				c.check(t, w)
			}
		})
	}
}

func wantBody(want string) func(*testing.T, *httptest.ResponseRecorder) {
	return func(t *testing.T, w *httptest.ResponseRecorder) {
		t.Helper()
		if w.Body.String() != want {
			t.Errorf("body %s, want %s", w.Body, want)
		}
	}
}

// wantError checks for {"error": "..."} and nothing else, containing the
// given text.
func wantError(text string) func(*testing.T, *httptest.ResponseRecorder) {
	return func(t *testing.T, w *httptest.ResponseRecorder) {
		t.Helper()
		var d map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		msg, ok := d["error"].(string)
		if !ok || len(d) != 1 || !strings.Contains(msg, text) {
			t.Errorf("body %s, want an error containing %q", w.Body, text)
		}
	}
}

// TestContributionsAddUpOverHTTP checks, for every model kind, that the
// scores a client decodes add up: account scores, and raw rows with
// unknown and extreme values.
func TestContributionsAddUpOverHTTP(t *testing.T) {
	for _, kind := range models.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			st := e.srv.state.Load()
			names := st.model.Features
			for i, a := range st.book.Accounts {
				if i%25 != 0 {
					continue
				}
				w := e.do("GET", "/v1/accounts/"+url.PathEscape(a.AccountID)+"/score", "")
				if w.Code != 200 {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				sc := decode[scoreJSON](t, w)
				if err := sc.check(names); err != nil {
					t.Fatalf("account %s: %v", a.AccountID, err)
				}
				if sc.Probability != a.Probability {
					t.Fatalf("account %s: served %v, ranked %v", a.AccountID, sc.Probability, a.Probability)
				}
			}
			// Raw rows: real feature rows, some values unknown, some far
			// outside anything in training.
			var rows []string
			for i, a := range st.book.Accounts[:40] {
				var kv []string
				for j, v := range a.Features {
					switch (i + j) % 7 {
					case 0:
						continue // missing
					case 1:
						kv = append(kv, fmt.Sprintf("%q: null", names[j]))
					case 2:
						kv = append(kv, fmt.Sprintf("%q: %v", names[j], -1e6))
					default:
						if !math.IsNaN(v) {
							kv = append(kv, fmt.Sprintf("%q: %v", names[j], v))
						}
					}
				}
				rows = append(rows, "{"+strings.Join(kv, ",")+"}")
			}
			w := e.do("POST", "/v1/score", `{"rows": [`+strings.Join(rows, ",")+`]}`)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			d := decode[struct{ Scores []scoreJSON }](t, w)
			if len(d.Scores) != len(rows) {
				t.Fatalf("%d scores for %d rows", len(d.Scores), len(rows))
			}
			for i, sc := range d.Scores {
				if err := sc.check(names); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
			}
		})
	}
}

// TestUnknownValuesAreNull serves snapshots in which some accounts never
// report ARR, so their log_arr is unknown: every route must still answer
// JSON, with null where the number is unknown.
func TestUnknownValuesAreNull(t *testing.T) {
	for _, kind := range []string{models.Logistic, models.GBM} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			rows := slices.Clone(fixture.rows)
			for i := range rows {
				if strings.HasSuffix(rows[i].AccountID, "7") {
					rows[i].ARR = math.NaN()
				}
			}
			e.snaps.set(rows, nil)
			if err := e.srv.Reload(t.Context()); err != nil {
				t.Fatal(err)
			}
			st := e.srv.state.Load()
			var id string
			for _, a := range st.book.Accounts {
				if math.IsNaN(a.ARR) {
					id = a.AccountID
					break
				}
			}
			if id == "" {
				t.Fatal("no account without ARR")
			}
			w := e.do("GET", "/v1/accounts/"+id, "")
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			d := decode[struct {
				Account  map[string]any      `json:"account"`
				Features map[string]*float64 `json:"features"`
			}](t, w)
			if v, ok := d.Features[features.LogARR]; !ok || v != nil || d.Account["arr"] != nil {
				t.Errorf("unknown ARR not null: %s", w.Body)
			}
			if w := e.do("GET", "/v1/ranking", ""); w.Code != 200 {
				t.Errorf("ranking: status %d: %s", w.Code, w.Body)
			}
		})
	}
}

// TestAccountIDsAreOpaque serves accounts whose ids hold a slash, a
// space, a quote and non-ASCII letters: the customer's own keys, which
// the path must carry escaped and the JSON must carry intact.
func TestAccountIDsAreOpaque(t *testing.T) {
	e := newEnv(t, models.GBM)
	ids := map[string]string{} // fixture id -> odd id
	for i, odd := range []string{"acme/eu", "Zoë & Co \"GmbH\"", "100%", "a?b#c"} {
		ids[e.srv.state.Load().book.Accounts[i].AccountID] = odd
	}
	rows := slices.Clone(fixture.rows)
	for i, r := range rows {
		if odd, ok := ids[r.AccountID]; ok {
			rows[i].AccountID = odd
		}
	}
	e.snaps.set(rows, nil)
	if err := e.srv.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		for _, path := range []string{"/v1/accounts/" + url.PathEscape(id) + "/score", "/v1/accounts/" + url.PathEscape(id)} {
			w := e.do("GET", path, "")
			if w.Code != 200 {
				t.Fatalf("%s: status %d: %s", path, w.Code, w.Body)
			}
			d := decode[struct {
				scoreJSON
				Account struct {
					ID string `json:"account_id"`
				} `json:"account"`
			}](t, w)
			if d.AccountID != id && d.Account.ID != id {
				t.Errorf("%s: id %q not in %s", path, id, w.Body)
			}
		}
	}
}

func TestRankingQuery(t *testing.T) {
	for _, c := range []struct {
		query   string
		want    string // the parsed query, or the error
		wantErr bool
	}{
		{"", "{  0 100 0 }", false},
		{"limit=&segment=&offset=", "{  0 100 0 }", false},
		{"limit=10&offset=20&segment=smb&renewal_within_days=30&sort=arr_at_risk", "{smb  30 10 20 arr_at_risk}", false},
		{"play_segment=enterprise&segment=smb", "{smb enterprise 0 100 0 }", false},
		{"limit=1000", "{  0 1000 0 }", false},
		{"limit=1001", "from 1 to 1000", true},
		{"limit=0", "limit=0", true},
		{"limit=-3", "limit=-3", true},
		{"limit=1.5", "limit=1.5", true},
		{"offset=-1", "offset=-1", true},
		{"renewal_within_days=soon", "renewal_within_days=soon", true},
		{"sort=churn", `sort "churn"`, true},
		{"page=2", `"page"`, true},
		{"segment=a&segment=b", "2 times", true},
	} {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		q, err := rankingQuery(v)
		switch {
		case c.wantErr && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: err %v, want one about %s", c.query, err, c.want)
		case !c.wantErr && (err != nil || fmt.Sprint(q) != c.want):
			t.Errorf("%q: %v, %v; want %s", c.query, q, err, c.want)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, models.Logistic, func(c *Config) { c.MaxBodyBytes = 64 })
	small := `{"features": {"recency_days": 3}}`
	big := `{"features": {"recency_days": 3` + strings.Repeat(" ", 100) + `}}`
	if w := e.do("POST", "/v1/score", small); w.Code != 200 {
		t.Fatalf("small body: status %d: %s", w.Code, w.Body)
	}
	if w := e.do("POST", "/v1/score", big); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared large body: status %d: %s", w.Code, w.Body)
	}
	// Without a Content-Length the limit bites while reading.
	req := httptest.NewRequest("POST", "/v1/score", strings.NewReader(big))
	req.ContentLength = -1
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("streamed large body: status %d: %s", w.Code, w.Body)
	}
	wantError("64 bytes")(t, w)
}

func TestBatchLimit(t *testing.T) {
	e := newEnv(t, models.Logistic, func(c *Config) { c.MaxBatch = 2 })
	const r = `{"recency_days": 1}`
	if w := e.do("POST", "/v1/score", `{"rows": [`+r+`, `+r+`]}`); w.Code != 200 {
		t.Fatalf("2 rows: status %d: %s", w.Code, w.Body)
	}
	w := e.do("POST", "/v1/score", `{"rows": [`+r+`, `+r+`, `+r+`]}`)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("3 rows: status %d: %s", w.Code, w.Body)
	}
	wantError("at most 2")(t, w)
}

// TestAuth checks which routes need the token, with and without the
// public dashboard.
func TestAuth(t *testing.T) {
	const token = "s3cret-token"
	dashboard := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>dashboard "+r.URL.Path+"</html>")
	})
	open := []string{"GET /healthz", "GET /readyz", "GET /v2/health/live", "GET /v2/health/ready", "GET /metrics", "GET /openapi.json", "GET /", "GET /assets/app.js"}
	read := []string{"GET /v1/ranking", "GET /v1/accounts/ID", "GET /v1/accounts/ID/score", "GET /v1/model"}
	private := []string{"POST /v1/score", "POST /v1/admin/reload", "GET /v2/models/churn"}
	for _, public := range []bool{false, true} {
		t.Run(fmt.Sprintf("public dashboard %v", public), func(t *testing.T) {
			e := newEnv(t, models.Logistic, func(c *Config) {
				c.Token, c.PublicDashboard, c.Dashboard = token, public, dashboard
			})
			send := func(route string, header ...string) *httptest.ResponseRecorder {
				method, path, _ := strings.Cut(route, " ")
				path = strings.ReplaceAll(path, "ID", e.anAccount())
				body := ""
				if method == "POST" && path == "/v1/score" {
					body = `{"features": {"recency_days": 3}}`
				}
				return e.do(method, path, body, header...)
			}
			for _, route := range slices.Concat(open, read, private) {
				needsToken := slices.Contains(private, route) || (!public && slices.Contains(read, route))
				w := send(route)
				if needsToken {
					if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("%s without token: status %d", route, w.Code)
					}
					wantError("missing bearer token")(t, w)
				} else if w.Code != 200 {
					t.Errorf("%s without token: status %d: %s", route, w.Code, w.Body)
				}
				if w := send(route, "Authorization", "Bearer wrong"); needsToken && w.Code != http.StatusUnauthorized {
					t.Errorf("%s with a wrong token: status %d", route, w.Code)
				}
				if w := send(route, "Authorization", "Basic "+token); needsToken && w.Code != http.StatusUnauthorized {
					t.Errorf("%s with basic auth: status %d", route, w.Code)
				}
				if w := send(route, "Authorization", "bearer "+token); w.Code != 200 {
					t.Errorf("%s with the token: status %d: %s", route, w.Code, w.Body)
				}
			}
			w := send("GET /assets/app.js", "Authorization", "Bearer "+token)
			if !strings.Contains(w.Body.String(), "dashboard /assets/app.js") {
				t.Errorf("dashboard got %s", w.Body)
			}
		})
	}
}

// TestDashboardMounted serves the real dashboard and follows the page
// to one of its assets.
func TestDashboardMounted(t *testing.T) {
	e := newEnv(t, models.Logistic, func(c *Config) { c.Dashboard = dashboard.Handler() })
	w := e.do("GET", "/", "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: status %d, %s", w.Code, w.Header().Get("Content-Type"))
	}
	// The page links its assets relative to itself: "assets/app.js?v=...".
	asset := "/" + regexp.MustCompile(`assets/[^"?]+`).FindString(w.Body.String())
	if asset == "/" {
		t.Fatalf("no asset linked from the page:\n%s", w.Body)
	}
	for _, method := range []string{"GET", "HEAD"} {
		if w := e.do(method, asset, ""); w.Code != 200 {
			t.Errorf("%s %s: status %d", method, asset, w.Code)
		}
	}
}

// TestPanicIsLogged500 checks that a panic becomes a JSON 500, logged,
// and that the server keeps answering.
func TestPanicIsLogged500(t *testing.T) {
	e := newEnv(t, models.Logistic, func(c *Config) {
		c.Dashboard = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("dashboard bug") })
	})
	w := e.do("GET", "/", "")
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", w.Code)
	}
	wantError("internal error")(t, w)
	if !strings.Contains(e.logs.String(), "dashboard bug") {
		t.Errorf("panic not logged:\n%s", e.logs)
	}
	if w := e.do("GET", "/healthz", ""); w.Code != 200 {
		t.Errorf("after the panic: status %d", w.Code)
	}
}

// TestAdminToken checks that with an admin token the reload route takes
// that token and no other, and that the readers' routes do not take it.
func TestAdminToken(t *testing.T) {
	const reader, admin = "reader-token", "admin-token"
	for _, c := range []struct {
		name          string
		token         string // the readers' token, if any
		route, bearer string
		status        int
	}{
		{"reload with the admin token", reader, "POST /v1/admin/reload", admin, 200},
		{"reload with the readers' token", reader, "POST /v1/admin/reload", reader, 401},
		{"reload without a token", reader, "POST /v1/admin/reload", "", 401},
		{"score with the readers' token", reader, "POST /v1/score", reader, 200},
		{"score with the admin token", reader, "POST /v1/score", admin, 401},
		{"model with the admin token", reader, "GET /v1/model", admin, 401},
		{"admin token alone: reload without it", "", "POST /v1/admin/reload", "", 401},
		{"admin token alone: reload with it", "", "POST /v1/admin/reload", admin, 200},
		{"admin token alone: score stays open", "", "POST /v1/score", "", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, models.Logistic, func(cfg *Config) { cfg.Token, cfg.AdminToken = c.token, admin })
			method, path, _ := strings.Cut(c.route, " ")
			body := ""
			if path == "/v1/score" {
				body = `{"features": {"recency_days": 3}}`
			}
			var header []string
			if c.bearer != "" {
				header = []string{"Authorization", "Bearer " + c.bearer}
			}
			if w := e.do(method, path, body, header...); w.Code != c.status {
				t.Errorf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
		})
	}
}
