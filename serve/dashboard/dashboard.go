// Package dashboard is the web page that "churn serve" shows at /: the
// ranking of active accounts by churn risk, a page at a time, with
// filters, the book's totals, health colours and weekly sparklines, and a
// drill-down per account that shows how the model's base value and the
// features' contributions add up to the score. The page's URL names the
// filters, the page and the open account, so it can be shared. A second
// view, "Model performance", shows how the recorded scores fared once
// their outcomes matured: ROC AUC and PR-AUC with their intervals, lift
// and calibration by decile, per model version and segment.
//
// The page is plain HTML, CSS and JavaScript embedded in the binary, with
// no build step and nothing fetched from other sites: it reads the
// server's JSON API (GET /v1/ranking, /v1/accounts/{id}, /v1/model and
// /v1/model/performance) and nothing else. When the API answers 401 the page asks for the bearer
// token and keeps it in the tab's sessionStorage, so it is forgotten when
// the tab closes.
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// static holds the page. index.html is a template whose only action is
// {{asset "name"}}, which links an asset by its content hash.
//
//go:embed static
var static embed.FS

// AssetsPrefix is the path under which the page's scripts, styles and
// images are served; the server routes it to Handler with the page.
const AssetsPrefix = "/assets/"

// Cache-Control values. The page itself is revalidated on every load,
// so a new release shows at once; an asset linked by its content hash
// can never change under that URL, so browsers may keep it for a year.
const (
	cacheRevalidate = "no-cache"
	cacheImmutable  = "public, max-age=31536000, immutable"
)

// contentSecurityPolicy allows the page only its own scripts, styles and
// API: even if some account data slipped past the page's escaping, no
// script could run from it or send anything elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// contentTypes lists the file types the page is made of. A file of any
// other type in static makes Handler panic, so a new kind of asset is a
// decision, not a browser's guess.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Handler returns the handler of the page at "/" and of its assets under
// AssetsPrefix. It answers GET and HEAD, with ETags, and 404 or 405 with a
// JSON {"error": ...} body, as the rest of the server does. Mount it at
// exactly "/" and at AssetsPrefix: it expects the request's full path.
func Handler() http.Handler {
	h, err := newHandler(static)
	if err != nil {
		// The files are compiled in, so this cannot depend on the
		// machine; the package's tests would fail first.
		panic("dashboard: " + err.Error())
	}
	return h
}

// file is one response body, ready to serve.
type file struct {
	name        string
	body        []byte
	contentType string
	// hash identifies the content: the ETag, and the version that
	// index.html puts in an asset's URL.
	hash string
}

func newFile(name string, body []byte) (*file, error) {
	ctype, ok := contentTypes[path.Ext(name)]
	if !ok {
		return nil, fmt.Errorf("%s: no content type for %q files", name, path.Ext(name))
	}
	sum := sha256.Sum256(body)
	return &file{name: name, body: body, contentType: ctype, hash: hex.EncodeToString(sum[:8])}, nil
}

// handler serves the page and its assets from memory.
type handler struct {
	index *file
	// assets maps a path below AssetsPrefix to its file.
	assets map[string]*file
}

// newHandler loads every file of fsys's static directory and renders
// index.html with the assets' versioned URLs.
func newHandler(fsys fs.FS) (*handler, error) {
	root, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	h := &handler{assets: make(map[string]*file)}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == "index.html" {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		f, err := newFile(name, body)
		if err != nil {
			return err
		}
		h.assets[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	index, err := h.renderIndex(root)
	if err != nil {
		return nil, fmt.Errorf("static/index.html: %w", err)
	}
	h.index, err = newFile("index.html", index)
	return h, err
}

// renderIndex executes index.html. {{asset "app.js"}} becomes a relative
// URL, "assets/app.js?v=HASH", so the page also works behind a proxy that
// serves it under a path prefix; naming an asset that does not exist is
// an error, so a broken link cannot ship.
func (h *handler) renderIndex(root fs.FS) ([]byte, error) {
	funcs := template.FuncMap{"asset": func(name string) (string, error) {
		f, ok := h.assets[name]
		if !ok {
			return "", fmt.Errorf("index.html links asset %q, which is not in static", name)
		}
		return strings.TrimPrefix(AssetsPrefix, "/") + name + "?v=" + f.hash, nil
	}}
	t, err := template.New("index.html").Funcs(funcs).ParseFS(root, "index.html")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, nil); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
		return
	}
	if r.URL.Path == "/" {
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Frame-Options", "DENY")
		serveFile(w, r, h.index, cacheRevalidate)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, AssetsPrefix)
	f := h.assets[name]
	if !ok || f == nil {
		writeError(w, http.StatusNotFound, "no such page: "+r.URL.Path)
		return
	}
	// Only the URL that names the current content may be cached for
	// good: an old page asking for an old version gets today's file, and
	// must not keep it under that name.
	cache := cacheRevalidate
	if r.URL.Query().Get("v") == f.hash {
		cache = cacheImmutable
	}
	serveFile(w, r, f, cache)
}

// serveFile answers with f, or 304 when the browser's copy is current.
// http.ServeContent handles HEAD, ranges and If-None-Match.
func serveFile(w http.ResponseWriter, r *http.Request, f *file, cache string) {
	hdr := w.Header()
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", cache)
	hdr.Set("ETag", `"`+f.hash+`"`)
	hdr.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}

// writeError answers {"error": msg}, the server's error shape.
func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg}) // a struct of one string always encodes
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(body)
}
