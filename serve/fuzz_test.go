package serve

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/churnlabs/churn/models"
)

// FuzzScoreRequest sends arbitrary bodies to POST /v1/score: the answer
// is always JSON, a 200 whose scores add up or a 4xx error, never a 500.
func FuzzScoreRequest(f *testing.F) {
	e := newEnv(f, models.GBM, func(c *Config) { c.MaxBatch = 50; c.MaxBodyBytes = 1 << 16 })
	names := e.srv.state.Load().model.Features
	for _, seed := range []string{
		`{"features": {"recency_days": 30, "logins_4w_mean": 1.5, "seats": null}}`,
		`{"rows": [{}, {"tenure_weeks": -1e300}, {"log_arr": 1e-320}]}`,
		`{"features": {"recency_days": "30"}}`,
		`{"features": {"nps": 1}}`,
		`{"rows": [null]}`,
		`{"features": {}, "rows": []}`,
		`{"features": {"recency_days": 1e400}}`,
		`{"features": {"recency_days": 3}} x`,
		`[]`, `null`, `"rows"`, ``, `{`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := e.do("POST", "/v1/score", body)
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("status %d, body not JSON: %s", w.Code, w.Body)
		}
		switch w.Code {
		case http.StatusOK:
			var d struct {
				scoreJSON
				Scores []scoreJSON `json:"scores"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
				t.Fatal(err)
			}
			scores := d.Scores
			if scores == nil {
				scores = []scoreJSON{d.scoreJSON}
			}
			for _, sc := range scores {
				if err := sc.check(names); err != nil {
					t.Fatalf("%v: %s", err, w.Body)
				}
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var d errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || d.Error == "" {
				t.Fatalf("status %d without an error message: %s", w.Code, w.Body)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

// FuzzRankingQuery sends arbitrary raw query strings to GET /v1/ranking,
// even ones net/http would refuse before routing.
func FuzzRankingQuery(f *testing.F) {
	e := newEnv(f, models.Logistic)
	for _, seed := range []string{"", "limit=3", "limit=-1", "sort=arr_at_risk&segment=smb",
		"renewal_within_days=99999999999999999999", "%zz", "a=1&a=2", "limit=1;sort=x", "\x05"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/v1/ranking", nil)
		req.URL.RawQuery = query
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("body not JSON: %s", w.Body)
		}
	})
}

// FuzzAppendString checks the hand-written string encoder against
// encoding/json: valid JSON that decodes to what encoding/json's does.
func FuzzAppendString(f *testing.F) {
	for _, seed := range []string{"", "acme", `quote " backslash \ slash /`, "tab\tnl\ncr\r\x00\x1f\x7f",
		"<b>&amp;</b>", "\u2028\u2029", "é漢字🙂", "bad \xff\xfe utf8 \xe2\x82", "\xed\xa0\x80 surrogate"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString([]byte("x"), s)[1:]
		if !json.Valid(got) {
			t.Fatalf("%q encoded as invalid JSON %s", s, got)
		}
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var a, b string
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("%q decodes as %q, encoding/json's as %q", s, a, b)
		}
	})
}
