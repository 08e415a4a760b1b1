package maturity

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features/retention"
)

const goodLadder = `steps:
  - to_level: 2
    indicators:
      - {column: recency_days, op: "<=", threshold: 6, days: 28, percent: 50}
  - to_level: 3
    indicators:
      - {column: active_users_per_seat, op: ">=", threshold: 0.5, days: 28, percent: 50}
  - to_level: 4
    indicators:
      - {column: active_users, op: ">=", threshold: 4, days: 28, percent: 50}
      - {column: frequency, op: ">=", threshold: 3, days: 28, percent: 50}
`

func TestReadLadder(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, err string
		line            int // the line the error names, 0 for none
	}{
		{"good", goodLadder, "", 0},
		{"unknown key", strings.Replace(goodLadder, "to_level: 3", "to_level: 3\n    level: 3", 1), "level", 6},
		{"bad op", strings.Replace(goodLadder, `op: "<="`, `op: "<"`, 1), `step to level 2: recency_days: op "<"`, 4},
		{"bad percent", strings.Replace(goodLadder, "frequency, op: \">=\", threshold: 3, days: 28, percent: 50}", "frequency, op: \">=\", threshold: 3, days: 28, percent: 0}", 1),
			"step to level 4: frequency: percent 0", 11},
		{"two steps", goodLadder[:strings.Index(goodLadder, "  - to_level: 4")], "2 steps, want 3", 2},
		{"no column", strings.Replace(goodLadder, "{column: recency_days, ", "{", 1), "no column", 4},
		{"misnumbered", strings.Replace(goodLadder, "to_level: 3", "to_level: 5", 1), "step 2 leads to level 5, want 3", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ladder.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			l, err := ReadLadder(path)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := l.Steps[2].Indicators[1]; got.Column != "frequency" || got.Threshold != 3 || got.Op != ">=" || got.Days != 28 || got.Percent != 50 {
					t.Errorf("step to 4, second indicator %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want an error naming %s and %q", err, path, tc.err)
			}
			if at := fmt.Sprintf("%s:%d:", path, tc.line); tc.line > 0 && !strings.Contains(err.Error(), at) &&
				!strings.Contains(err.Error(), fmt.Sprintf("[%d:", tc.line)) {
				t.Errorf("got %v, want it to name line %d", err, tc.line)
			}
		})
	}
}

// A ladder learned once and written out as report.json holds it reads
// back as a configured ladder, and places every account where the learned
// one did.
func TestConfiguredLadderPinsLearned(t *testing.T) {
	b, learned := measured(t, small)
	data, err := json.Marshal(learned.Ladder)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ladder.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLadder(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Measure(context.Background(), b, Options{Ladder: l})
	if err != nil {
		t.Fatal(err)
	}
	if got.Learned || !learned.Learned {
		t.Errorf("learned: configured %v, learned %v", got.Learned, learned.Learned)
	}
	for i := range got.Levels {
		if got.Levels[i] != learned.Levels[i] {
			t.Errorf("level %d: configured %+v, learned %+v", i+1, got.Levels[i], learned.Levels[i])
		}
	}
}

// A configured indicator of a column the snapshots lack is refused: it
// would hold every account below its step.
func TestConfiguredLadderUnknownColumn(t *testing.T) {
	b, err := small()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ladder.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(goodLadder, "column: frequency", "column: logins_per_seat", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLadder(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Measure(context.Background(), b, Options{Ladder: l}); err == nil || !strings.Contains(err.Error(), `no column "logins_per_seat"`) {
		t.Errorf("got %v", err)
	}
}

// A configured ladder whose last steps no account meets leaves levels
// without account-weeks: their churn rate is unknown, and the result
// (report.json's maturity) still encodes, with null for it.
func TestEmptyLevelEncodes(t *testing.T) {
	b, err := small()
	if err != nil {
		t.Fatal(err)
	}
	never := retention.Indicator{Column: "frequency", Op: retention.AtLeast, Threshold: 1e9, Days: 28, Percent: 100}
	l := &Ladder{Steps: []Step{
		{To: 2, Indicators: []retention.Indicator{{Column: "recency_days", Op: retention.AtMost, Threshold: 6, Days: 28, Percent: 50}}},
		{To: 3, Indicators: []retention.Indicator{never}},
		{To: 4, Indicators: []retention.Indicator{never}},
	}}
	res, err := Measure(context.Background(), b, Options{Ladder: l})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for i, lv := range back.Levels {
		empty := res.Levels[i].Rows == 0
		if empty != (lv.Level >= 3) || empty != math.IsNaN(lv.ChurnRate.Estimate) ||
			!empty && lv.ChurnRate != res.Levels[i].ChurnRate {
			t.Errorf("level %d: %d rows, churn %+v read back as %+v", lv.Level, res.Levels[i].Rows, res.Levels[i].ChurnRate, lv.ChurnRate)
		}
	}
}
