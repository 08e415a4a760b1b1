package retention

import (
	"context"
	"strings"
	"testing"
)

// TestMeasureShortHistory: data shorter than the horizon still has its
// churn tables, and says why it has no indicators.
func TestMeasureShortHistory(t *testing.T) {
	b := readRows(t, handSchema, handBook())
	r, err := Measure(context.Background(), b, Options{Horizon: 26})
	if err != nil {
		t.Fatal(err)
	}
	if r.Indicators != nil || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "too short for the horizon") {
		t.Errorf("indicators %+v, notes %q: want none, with a note", r.Indicators, r.Notes)
	}
	if len(r.Monthly[0].Periods) != 3 {
		t.Errorf("%d monthly periods, want 3", len(r.Monthly[0].Periods))
	}
}
