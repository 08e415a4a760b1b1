package maturity

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models/yamlline"
)

// ReadLadder reads a configured ladder from a YAML file (JSON is YAML too,
// so report.json's maturity.ladder can be copied into one to pin a learned
// ladder):
//
//	steps:
//	  - to_level: 2
//	    indicators:
//	      - {column: recency_days, op: "<=", threshold: 6, days: 28, percent: 50}
//	  - to_level: 3
//	    ...
//
// Unknown keys and bad values are errors naming the file, the line and
// the step.
func ReadLadder(path string) (*Ladder, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("maturity ladder: %w", err)
	}
	var l Ladder
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField(), yaml.Strict())
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimSpace(yaml.FormatError(err, false, true)))
	}
	if at, err := l.validate(); err != nil {
		if n := yamlline.Of(data, at); n > 0 {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &l, nil
}

// checkIndicator reports what is wrong with a configured indicator, or nil.
func checkIndicator(ind retention.Indicator) error {
	switch {
	case ind.Column == "":
		return fmt.Errorf("an indicator has no column")
	case ind.Op != retention.AtLeast && ind.Op != retention.AtMost:
		return fmt.Errorf("%s: op %q, want %q or %q", ind.Column, ind.Op, retention.AtLeast, retention.AtMost)
	case ind.Days < 1:
		return fmt.Errorf("%s: days %d, want at least 1", ind.Column, ind.Days)
	case ind.Percent < 1 || ind.Percent > 100:
		return fmt.Errorf("%s: percent %d, want 1 to 100", ind.Column, ind.Percent)
	}
	return nil
}

// CheckColumns reports the first indicator whose column the history lacks:
// it would never be met, and every account would stop below its step.
func (l *Ladder) CheckColumns(columns []string) error {
	for _, s := range l.Steps {
		for _, ind := range s.Indicators {
			if !slices.Contains(columns, ind.Column) {
				return fmt.Errorf("maturity ladder: step to level %d: no column %q in the snapshots (they have %s)",
					s.To, ind.Column, strings.Join(columns, ", "))
			}
		}
	}
	return nil
}
