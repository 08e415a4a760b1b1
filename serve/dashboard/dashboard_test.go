package dashboard_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/churnlabs/churn/serve/dashboard"
)

// get serves one request from h and returns the response.
func get(h http.Handler, method, target string, header http.Header) *http.Response {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assetURL matches the versioned asset links index.html renders.
var assetURL = regexp.MustCompile(`(?:href|src)="(assets/([^"?]+)\?v=([0-9a-f]+))"`)

// links returns the assets the page links, by name, with their URLs.
func links(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	page := body(t, get(h, http.MethodGet, "/", nil))
	out := map[string]string{}
	for _, m := range assetURL.FindAllStringSubmatch(page, -1) {
		out[m[2]] = "/" + m[1]
	}
	for _, name := range []string{"app.js", "style.css", "favicon.svg"} {
		if out[name] == "" {
			t.Fatalf("index.html does not link %s with a version; links: %v", name, out)
		}
	}
	return out
}

func TestHandler(t *testing.T) {
	h := dashboard.Handler()
	link := links(t, h)
	for _, c := range []struct {
		name, method, target string
		header               http.Header
		status               int
		contentType, cache   string
		contains             string
	}{
		{"page", "GET", "/", nil, 200, "text/html; charset=utf-8", "no-cache", `<table id="ranking"`},
		{"page HEAD", "HEAD", "/", nil, 200, "text/html; charset=utf-8", "no-cache", ""},
		{"script by version", "GET", link["app.js"], nil, 200, "text/javascript; charset=utf-8",
			"public, max-age=31536000, immutable", "AuthError"},
		{"style by version", "GET", link["style.css"], nil, 200, "text/css; charset=utf-8",
			"public, max-age=31536000, immutable", ".waterfall"},
		{"icon by version", "GET", link["favicon.svg"], nil, 200, "image/svg+xml",
			"public, max-age=31536000, immutable", "<svg"},
		{"asset without a version is revalidated", "GET", "/assets/app.js", nil, 200,
			"text/javascript; charset=utf-8", "no-cache", "AuthError"},
		{"asset with an old version is revalidated", "GET", "/assets/app.js?v=0123456789abcdef", nil, 200,
			"text/javascript; charset=utf-8", "no-cache", "AuthError"},
		{"unknown asset", "GET", "/assets/missing.js", nil, 404, "application/json; charset=utf-8", "",
			`{"error":"no such page: /assets/missing.js"}`},
		{"index.html is not an asset", "GET", "/assets/index.html", nil, 404, "application/json; charset=utf-8", "", "error"},
		{"traversal", "GET", "/assets/../dashboard.go", nil, 404, "application/json; charset=utf-8", "", "error"},
		{"assets directory", "GET", "/assets/", nil, 404, "application/json; charset=utf-8", "", "error"},
		{"other path", "GET", "/v1/ranking", nil, 404, "application/json; charset=utf-8", "", "error"},
		{"POST", "POST", "/", nil, 405, "application/json; charset=utf-8", "",
			`{"error":"POST is not allowed on /"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := get(h, c.method, c.target, c.header)
			got := body(t, resp)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, c.status, got)
			}
			if ct := resp.Header.Get("Content-Type"); ct != c.contentType {
				t.Errorf("Content-Type %q, want %q", ct, c.contentType)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != c.cache {
				t.Errorf("Cache-Control %q, want %q", cc, c.cache)
			}
			if nosniff := resp.Header.Get("X-Content-Type-Options"); nosniff != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", nosniff)
			}
			if c.method == http.MethodHead && got != "" {
				t.Errorf("HEAD answered with a body of %d bytes", len(got))
			}
			if !strings.Contains(got, c.contains) {
				t.Errorf("body does not contain %q:\n%.300s", c.contains, got)
			}
			if c.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q, want GET, HEAD", resp.Header.Get("Allow"))
			}
		})
	}
}

// TestPageHeaders checks the page's own protections: the policy that
// keeps any script but the page's own from running, and no framing.
func TestPageHeaders(t *testing.T) {
	resp := get(dashboard.Handler(), http.MethodGet, "/", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options %q, want DENY", resp.Header.Get("X-Frame-Options"))
	}
}

// TestRevalidation checks that a browser's copy is confirmed with a 304
// and no body, and that a changed ETag gets the file again.
func TestRevalidation(t *testing.T) {
	h := dashboard.Handler()
	for _, target := range []string{"/", links(t, h)["app.js"]} {
		first := get(h, http.MethodGet, target, nil)
		etag := first.Header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{16}"$`).MatchString(etag) {
			t.Fatalf("%s: ETag %q, want a quoted content hash", target, etag)
		}
		again := get(h, http.MethodGet, target, http.Header{"If-None-Match": {etag}})
		if again.StatusCode != http.StatusNotModified || body(t, again) != "" {
			t.Errorf("%s with its ETag: %s, want 304 and no body", target, again.Status)
		}
		stale := get(h, http.MethodGet, target, http.Header{"If-None-Match": {`"0000000000000000"`}})
		if stale.StatusCode != http.StatusOK {
			t.Errorf("%s with another ETag: %s, want 200", target, stale.Status)
		}
	}
}

// TestVersionsFollowContent checks that two handlers give an asset the
// same version, as two replicas behind a load balancer must, and that
// versions differ between files.
func TestVersionsFollowContent(t *testing.T) {
	a, b := links(t, dashboard.Handler()), links(t, dashboard.Handler())
	seen := map[string]string{}
	for name, url := range a {
		if b[name] != url {
			t.Errorf("%s is %s in one handler and %s in another", name, url, b[name])
		}
		v := url[strings.Index(url, "?v=")+3:]
		if other, dup := seen[v]; dup {
			t.Errorf("%s and %s share version %s", name, other, v)
		}
		seen[v] = name
	}
}

// FuzzHandler serves arbitrary paths, methods and ranges: every answer
// is one the handler means to give, and none panics.
func FuzzHandler(f *testing.F) {
	h := dashboard.Handler()
	f.Add("GET", "/", "")
	f.Add("GET", "/assets/app.js", "bytes=0-10")
	f.Add("HEAD", "/assets/style.css?v=x", "bytes=-5")
	f.Add("PUT", "/assets/../../etc/passwd", "")
	f.Add("GET", "/assets/%2e%2e/dashboard.go", "bytes=99999999-")
	f.Fuzz(func(t *testing.T, method, path, rng string) {
		req, err := http.NewRequest(method, "http://churn.test/", nil)
		if err != nil {
			t.Skip() // not a request a server could receive
		}
		req.URL.Path = path
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusPartialContent, http.StatusRequestedRangeNotSatisfiable,
			http.StatusNotFound, http.StatusMethodNotAllowed:
		default:
			t.Fatalf("%s %q (Range %q): status %d", method, path, rng, rec.Code)
		}
		if rec.Code == http.StatusOK && path != "/" && !strings.HasPrefix(path, dashboard.AssetsPrefix) {
			t.Fatalf("%s %q served a file outside the page and its assets", method, path)
		}
	})
}

func BenchmarkHandler(b *testing.B) {
	h := dashboard.Handler()
	for _, c := range []struct{ name, target string }{{"page", "/"}, {"script", "/assets/app.js"}} {
		target := c.target
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// Handler serves the page at "/" and its assets under AssetsPrefix; a
// server mounts it on both, beside its API.
func ExampleHandler() {
	mux := http.NewServeMux()
	page := dashboard.Handler()
	mux.Handle("GET /{$}", page)
	mux.Handle("GET "+dashboard.AssetsPrefix, page)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, path := range []string{"/", "/assets/style.css", "/assets/nope.js"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Output:
	// / 200 text/html; charset=utf-8
	// /assets/style.css 200 text/css; charset=utf-8
	// /assets/nope.js 404 application/json; charset=utf-8
}
