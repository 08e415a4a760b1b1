// Package yamlline finds where a value sits in a YAML document, so that
// the errors about a configuration file (a segment file, a maturity
// ladder) can name the line to fix, not only the field.
package yamlline

import (
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
)

// Of returns the line of the node at the YAML path (such as
// "$.segments[1].lead_days") in data, 0 when it cannot tell: a missing
// key, a document that does not parse, or a path the library cannot
// follow.
func Of(data []byte, path string) (line int) {
	// The path filter panics on some malformed documents (found by
	// fuzzing the segment file): an error message without a line beats a
	// crash.
	defer func() {
		if recover() != nil {
			line = 0
		}
	}()
	p, err := yaml.PathString(path)
	if err != nil {
		return 0
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return 0
	}
	n, err := p.FilterFile(f)
	if err != nil || n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}
