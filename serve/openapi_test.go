package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/models"
)

// TestOpenAPIMatchesRoutes fetches /openapi.json without a token from a
// server with every route mounted, and checks that the document and the
// router agree both ways: every registered method and path is
// documented, and every documented one is registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, models.Logistic, func(c *Config) {
		c.Token, c.AdminToken, c.Dashboard = "reader", "admin", http.NotFoundHandler()
	})
	w := e.do("GET", "/openapi.json", "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: status %d, %s: %.200s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}

	// gin writes :id and *path where OpenAPI writes {id} and {path}.
	param := regexp.MustCompile(`[:*](\w+)`)
	var registered []string
	for _, r := range e.h.(*gin.Engine).Routes() {
		registered = append(registered, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	var documented []string
	methods := []string{"get", "head", "post", "put", "delete", "options", "patch", "trace"}
	for path, item := range doc.Paths {
		for key, raw := range item {
			if !slices.Contains(methods, key) {
				continue
			}
			route := strings.ToUpper(key) + " " + path
			documented = append(documented, route)
			checkOperation(t, route, raw)
		}
	}
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is registered but not in /openapi.json", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(registered, r) {
			t.Errorf("%s is in /openapi.json but not registered", r)
		}
	}
	if len(registered) < 18 {
		t.Errorf("only %d routes registered: %v", len(registered), registered)
	}
	checkRefs(t, w.Body.Bytes())
}

// checkOperation checks that an operation documents a success and that
// each of its error responses is the {"error": "..."} body.
func checkOperation(t *testing.T, route string, raw json.RawMessage) {
	t.Helper()
	var op struct {
		Responses map[string]json.RawMessage `json:"responses"`
	}
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatalf("%s: %v", route, err)
	}
	if _, ok := op.Responses["200"]; !ok {
		t.Errorf("%s: no 200 response", route)
	}
	for code, resp := range op.Responses {
		if code[0] != '4' && code[0] != '5' {
			continue
		}
		if s := string(resp); !strings.Contains(s, "#/components/responses/") && !strings.Contains(s, "#/components/schemas/Error") {
			t.Errorf("%s: response %s is not an error body: %s", route, code, s)
		}
	}
}

// checkRefs checks that every $ref in the document points at something
// the document defines.
func checkRefs(t *testing.T, doc []byte) {
	t.Helper()
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"\$ref":\s*"#/([^"]+)"`).FindAllSubmatch(doc, -1) {
		node := root
		for _, key := range strings.Split(string(m[1]), "/") {
			obj, ok := node.(map[string]any)
			if !ok {
				node = nil
				break
			}
			node = obj[key]
		}
		if node == nil {
			t.Errorf("$ref #/%s points at nothing", m[1])
		}
	}
}

// TestOpenAPIHasNoDuplicateKeys: encoding/json keeps the last of two
// equal keys, so a document edited by two hands can lose a description
// silently; this reads it token by token and refuses any repeat.
func TestOpenAPIHasNoDuplicateKeys(t *testing.T) {
	if err := noDuplicateKeys(json.NewDecoder(bytes.NewReader(openAPI)), "$"); err != nil {
		t.Fatal(err)
	}
	if err := noDuplicateKeys(json.NewDecoder(strings.NewReader(`{"a": {"b": 1, "b": 2}}`)), "$"); err == nil {
		t.Fatal("a repeated key went unseen")
	}
}

// noDuplicateKeys reads one JSON value from d and reports the first
// object key repeated within its object, naming its path.
func noDuplicateKeys(d *json.Decoder, path string) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("%s: key %q twice", path, key)
			}
			seen[key] = true
			if err := noDuplicateKeys(d, path+"."+key); err != nil {
				return err
			}
		}
		_, err = d.Token()
	case json.Delim('['):
		for i := 0; d.More(); i++ {
			if err := noDuplicateKeys(d, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = d.Token()
	}
	return err
}
