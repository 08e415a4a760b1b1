package features

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// module is the import path every package of the project starts with.
const module = "github.com/churnlabs/churn"

// TestLayers keeps the imports pointing down the floors of the project:
// features (the domain: snapshots, the feature table, retention
// statistics) below models (fitting, scoring, charts, reports), below
// serve and the cmd binaries. A package of a floor may import its own
// floor and those below, never one above: features never imports models,
// serve or cmd, and models never imports serve or cmd. Test files count
// too, as they would otherwise pull the upper floor into the lower one's
// tests.
func TestLayers(t *testing.T) {
	for _, c := range []struct {
		dir       string // relative to this package
		floor     string
		forbidden []string
	}{
		{".", "features", []string{module + "/models", module + "/serve", module + "/cmd"}},
		{filepath.Join("..", "models"), "models", []string{module + "/serve", module + "/cmd"}},
	} {
		files := 0
		err := filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); path != c.dir && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			files++
			for _, imp := range f.Imports {
				p, err := strconv.Unquote(imp.Path.Value)
				if err != nil {
					return err
				}
				for _, bad := range c.forbidden {
					if p == bad || strings.HasPrefix(p, bad+"/") {
						t.Errorf("%s imports %s: %s must not import a floor above it", path, p, c.floor)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files == 0 {
			t.Errorf("no Go file under %s: the test looks in the wrong place", c.dir)
		}
	}
}
