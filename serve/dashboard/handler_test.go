package dashboard

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestNewHandlerRejects checks the mistakes newHandler catches when the
// package is built, so that they never reach a browser.
func TestNewHandlerRejects(t *testing.T) {
	page := &fstest.MapFile{Data: []byte(`<script src="{{asset "app.js"}}"></script>`)}
	script := &fstest.MapFile{Data: []byte("1")}
	for _, c := range []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"no static directory", fstest.MapFS{"index.html": page}, "static: open .: file does not exist"},
		{"link to a missing asset", fstest.MapFS{"static/index.html": page}, `links asset "app.js"`},
		{"unknown file type", fstest.MapFS{"static/index.html": page, "static/app.js": script,
			"static/data.bin": script}, `no content type for ".bin" files`},
		{"template error", fstest.MapFS{"static/index.html": {Data: []byte("{{asset")}}, "static/index.html: template"},
	} {
		_, err := newHandler(c.fsys)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}

	h, err := newHandler(fstest.MapFS{"static/index.html": page, "static/app.js": script})
	if err != nil {
		t.Fatal(err)
	}
	want := `<script src="assets/app.js?v=` + h.assets["app.js"].hash + `"></script>`
	if got := string(h.index.body); got != want {
		t.Errorf("rendered index %q, want %q", got, want)
	}
}
