package models

import (
	"strings"
	"testing"
)

// TestSegmentHealthFrom: a segment with enough rows and a churner gets
// the deciles of its own probabilities; one with too few rows or no
// churner keeps the model's cut-offs, saying why; mismatched inputs and
// bad stored cut-offs are refused.
func TestSegmentHealthFrom(t *testing.T) {
	model := Health{Yellow: 0.3, Red: 0.5, Rule: "model"}
	var segment []string
	var p, label []float64
	add := func(name string, n int, churners int) {
		for i := range n {
			segment = append(segment, name)
			p = append(p, float64(i)/float64(n)) // 0, 1/n, ..., (n-1)/n
			y := 0.0
			if i < churners {
				y = 1
			}
			label = append(label, y)
		}
	}
	add("big", 100, 3)
	add("few", MinSegmentRows-1, 5)
	add("calm", 80, 0)
	sh, err := SegmentHealthFrom([]string{"big", "few", "calm", "empty"}, segment, p, label, model)
	if err != nil {
		t.Fatal(err)
	}
	// 100 probabilities i/100: the 70th and 90th sorted are 0.70, 0.90.
	if b := sh["big"]; !b.Learned || b.Yellow != 0.70 || b.Red != 0.90 || b.Rows != 100 || b.Churners != 3 {
		t.Errorf("big: %+v", b)
	}
	for name, why := range map[string]string{"few": "fewer than 50", "calm": "no churner", "empty": "0 validation account-weeks"} {
		if g := sh[name]; g.Learned || g.Yellow != model.Yellow || g.Red != model.Red || !strings.Contains(g.Rule, why) {
			t.Errorf("%s: %+v, want the model's cut-offs because of %q", name, g, why)
		}
	}
	if _, err := SegmentHealthFrom([]string{"big"}, segment[:1], p, label, model); err == nil {
		t.Error("one segment for many probabilities: no error")
	}
	for _, bad := range []map[string]SegmentHealth{
		{"x": {Health: Health{Yellow: 0.6, Red: 0.5}}},
		{"": {Health: model}},
		{"x": {Health: model, Rows: 3, Churners: 4}},
	} {
		if err := checkSegmentHealth(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
