package yamlline

import "testing"

func TestOf(t *testing.T) {
	doc := []byte("seats_column: seats\nsegments:\n  - name: a\n    lead_days: 90\n  - name: b\n")
	for _, c := range []struct {
		path string
		want int
	}{
		{"$.seats_column", 1},
		{"$.segments[0].lead_days", 4},
		{"$.segments[1].name", 5},
		{"$.segments[2].name", 0}, // no such node
		{"$.nothing", 0},
		{"not a path", 0},
	} {
		if got := Of(doc, c.path); got != c.want {
			t.Errorf("Of(%q) = %d, want %d", c.path, got, c.want)
		}
	}
	if got := Of([]byte("a: [unclosed"), "$.a"); got != 0 {
		t.Errorf("a document that does not parse: line %d, want 0", got)
	}
}
