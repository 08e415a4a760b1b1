// Package plays turns a ranking into the week's renewal plays: for every
// account whose renewal falls within its segment's lead time, the
// touchpoints due this week, riskiest ARR first.
//
// Segments come from a YAML file (ParseSegments): each segment is picked
// by the snapshot's segment column or by ARR and team-size ranges, and
// carries its own lead time and touchpoints. Accounts no segment claims
// fall under Default.
package plays

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/yamlline"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Renewal types a segment's touchpoints are keyed by: the snapshot's
// renewal_type values (features.RenewalAuto, features.RenewalSignature).
// Signature is the default for an account of unknown type, as a contract
// that needs a signature is the one a missed touchpoint loses.
const (
	Auto      = features.RenewalAuto
	Signature = features.RenewalSignature
)

// DefaultLeadDays is how many days before its renewal an account enters
// the renewal sequence, when its segment does not say.
const DefaultLeadDays = 120

// DefaultTouchpoints are the standard four touchpoints, in days before
// the renewal.
var DefaultTouchpoints = []int{120, 90, 60, 30}

// DefaultSeatsColumn is the extra snapshot column that gives team size.
const DefaultSeatsColumn = "seats"

// Range is a half-open range [Min, Max); a nil end is unbounded.
type Range struct {
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// Contains reports whether v is in the range; NaN (unknown) is in none
// but the unbounded one.
func (r *Range) Contains(v float64) bool {
	if r == nil {
		return true
	}
	if math.IsNaN(v) {
		return r.Min == nil && r.Max == nil
	}
	return (r.Min == nil || v >= *r.Min) && (r.Max == nil || v < *r.Max)
}

// Segment is one segment's rules.
type Segment struct {
	Name string `yaml:"name"`
	// Segment, when set, matches the snapshot's segment column exactly;
	// ARR and Seats ranges must then also hold if given.
	Segment string `yaml:"segment"`
	ARR     *Range `yaml:"arr"`
	Seats   *Range `yaml:"seats"`
	// LeadDays is 0 for DefaultLeadDays.
	LeadDays int `yaml:"lead_days"`
	// Touchpoints are days before renewal, keyed by renewal type (Auto,
	// Signature); a missing type gets DefaultTouchpoints.
	Touchpoints map[string][]int `yaml:"touchpoints"`
	// Health, when set by hand ({yellow, red}), colours the segment's
	// accounts by its own cut-offs instead of the model's: a red in
	// enterprise may start lower. "health: learned" asks for the cut-offs
	// the model learned for the segment (churn train --segments), and is
	// an error under a model without them; left out, the segment takes
	// the learned ones when the model has them, else the model's.
	Health *Cutoffs `yaml:"health"`
}

// Cutoffs are churn probabilities from which an account is yellow and
// red, or, with Learned, the model's learned cut-offs of the segment.
type Cutoffs struct {
	Yellow float64 `yaml:"yellow"`
	Red    float64 `yaml:"red"`
	// Learned is "health: learned".
	Learned bool `yaml:"-"`
}

// Learned is the word that asks for a segment's learned cut-offs.
const Learned = "learned"

// UnmarshalYAML reads "learned" or a {yellow, red} mapping. It takes the
// node, not its value, so that an unknown word's error names its line.
func (c *Cutoffs) UnmarshalYAML(node ast.Node) error {
	if node.Type() == ast.StringType {
		if word := node.(*ast.StringNode).Value; word != Learned {
			return &lineError{line: node.GetToken().Position.Line,
				msg: fmt.Sprintf("health %q: want %q or {yellow: P, red: P}", word, Learned)}
		}
		*c = Cutoffs{Learned: true}
		return nil
	}
	type plain Cutoffs // without this method
	var p plain
	if err := yaml.NodeToValue(node, &p, yaml.DisallowUnknownField(), yaml.Strict()); err != nil {
		return err
	}
	*c = Cutoffs(p)
	return nil
}

// lineError is an error at a line of a segment file that the decoder
// would not place itself.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

// Lead is the segment's lead time in days.
func (s *Segment) Lead() int {
	if s.LeadDays == 0 {
		return DefaultLeadDays
	}
	return s.LeadDays
}

// For returns the touchpoints of a renewal type, latest first.
func (s *Segment) For(renewalType string) []int {
	if tp, ok := s.Touchpoints[renewalType]; ok {
		return tp
	}
	return DefaultTouchpoints
}

// Segments is a segment file: the first segment that matches an account
// is its segment.
type Segments struct {
	// SeatsColumn names the extra column giving team size; "" for
	// DefaultSeatsColumn.
	SeatsColumn string    `yaml:"seats_column"`
	Segments    []Segment `yaml:"segments"`
}

// Default is the segment of accounts no segment claims, and of every
// account without a segment file.
var Default = Segment{Name: "default"}

// Seats is the team-size column's name.
func (s *Segments) Seats() string {
	if s == nil || s.SeatsColumn == "" {
		return DefaultSeatsColumn
	}
	return s.SeatsColumn
}

// UsesSeats reports whether any segment selects by team size.
func (s *Segments) UsesSeats() bool {
	return s != nil && slices.ContainsFunc(s.Segments, func(g Segment) bool { return g.Seats != nil })
}

// Match returns the first segment matching an account's segment column,
// ARR and seats (NaN when unknown), or Default.
func (s *Segments) Match(segment string, arr, seats float64) *Segment {
	if s != nil {
		for i := range s.Segments {
			g := &s.Segments[i]
			if (g.Segment == "" || g.Segment == segment) && g.ARR.Contains(arr) && g.Seats.Contains(seats) {
				return g
			}
		}
	}
	return &Default
}

// ParseSegments reads a segment file. name is the file's name for error
// messages, which also give the line of the offending field. Unknown keys
// are errors: a misspelt key would silently send every account to the
// default segment.
func ParseSegments(name string, data []byte) (*Segments, error) {
	var s Segments
	if err := decode(data, &s); err != nil {
		if le, ok := errors.AsType[*lineError](err); ok {
			return nil, fmt.Errorf("%s:%d: %s", name, le.line, le.msg)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := s.check(); err != nil {
		line := yamlline.Of(data, err.path)
		if line > 0 {
			return nil, fmt.Errorf("%s:%d: %s: %s", name, line, err.field, err.msg)
		}
		return nil, fmt.Errorf("%s: %s: %s", name, err.field, err.msg)
	}
	return &s, nil
}

// decode decodes strictly; the decoder panics on some malformed input
// (see features/events), which is the user's error, not ours.
func decode(data []byte, s *Segments) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("not a YAML segment file the decoder can read (%v)", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField(), yaml.Strict())
	if err := dec.Decode(s); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("segments: the file is empty")
		}
		if _, ok := errors.AsType[*lineError](err); ok {
			return err
		}
		return fmt.Errorf("%s", strings.TrimSpace(yaml.FormatError(err, false, true)))
	}
	return nil
}

// fieldError is a check failure: path is the YAML path to locate its
// line, field the name the message shows.
type fieldError struct {
	path, field, msg string
}

func (s *Segments) check() *fieldError {
	if len(s.Segments) == 0 {
		return &fieldError{"$", "segments", "no segments defined"}
	}
	names := map[string]bool{}
	for i := range s.Segments {
		g := &s.Segments[i]
		at := func(key, msg string, args ...any) *fieldError {
			p, f := fmt.Sprintf("$.segments[%d]", i), fmt.Sprintf("segments[%d]", i)
			if g.Name != "" {
				f = fmt.Sprintf("segment %q", g.Name)
			}
			if key != "" {
				p, f = p+"."+key, f+" "+key
			}
			return &fieldError{p, f, fmt.Sprintf(msg, args...)}
		}
		if g.Name == "" {
			return at("", "has no name")
		}
		if names[g.Name] {
			return at("name", "is defined twice")
		}
		names[g.Name] = true
		for key, r := range map[string]*Range{"arr": g.ARR, "seats": g.Seats} {
			if r == nil {
				continue
			}
			for _, v := range []*float64{r.Min, r.Max} {
				if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0) {
					return at(key, "%g is not a number >= 0", *v)
				}
			}
			if r.Min != nil && r.Max != nil && *r.Max <= *r.Min {
				return at(key, "max %g is not above min %g", *r.Max, *r.Min)
			}
		}
		if h := g.Health; h != nil && !h.Learned && !(h.Yellow > 0 && h.Yellow < h.Red && h.Red < 1) {
			return at("health", "yellow %g, red %g: want 0 < yellow < red < 1", h.Yellow, h.Red)
		}
		if g.LeadDays < 0 || g.LeadDays > 730 {
			return at("lead_days", "%d: want 1 to 730 days", g.LeadDays)
		}
		for typ, tps := range g.Touchpoints {
			if typ != Auto && typ != Signature {
				return at("touchpoints", "renewal type %q: want %s or %s", typ, Auto, Signature)
			}
			if len(tps) == 0 {
				return at("touchpoints."+typ, "is empty")
			}
			for k, d := range tps {
				if d < 0 || d > g.Lead() {
					return at("touchpoints."+typ, "%d days: want 0 to the lead time, %d", d, g.Lead())
				}
				if k > 0 && d >= tps[k-1] {
					return at("touchpoints."+typ, "%d after %d: list days before renewal from the earliest, without repeats", d, tps[k-1])
				}
			}
		}
	}
	return nil
}

// CheckModel reports an error when a segment selects by team size and
// the model has no team-size feature to read it from: every such segment
// would silently match nothing.
func (s *Segments) CheckModel(modelFeatures []string) error {
	if s.UsesSeats() && !slices.Contains(modelFeatures, s.Seats()) {
		return fmt.Errorf("segments select by seats but the model has no %q column: train with it as an extra column or set seats_column", s.Seats())
	}
	return nil
}

// Read reads and parses a segment file.
func Read(path string) (*Segments, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read segments: %w", err)
	}
	return ParseSegments(path, data)
}
