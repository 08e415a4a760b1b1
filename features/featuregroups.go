package features

import (
	"fmt"
	"slices"
	"strings"
)

// BaseGroup names the columns no feature group turns off: the 4- and
// 12-week windows, recency, tenure, ARR, renewal, segments and the extra
// columns as reported. A drop-group report lists it for its size, never
// as a candidate to drop.
const BaseGroup = "base"

// FeatureGroup is an optional group of feature columns that one Spec
// flag turns on: the unit "churn train --feature-groups" measures, keeps
// or leaves out.
type FeatureGroup struct {
	// Name is how --feature-groups and metrics.json call it.
	Name string
	// Doc says in a few words what the group adds.
	Doc  string
	flag func(*Spec) *bool
}

// FeatureGroups lists the optional groups in column order. A new call
// returns a new slice: there is no shared table to change.
func FeatureGroups() []FeatureGroup {
	return []FeatureGroup{
		{"lifetime", "logins and key actions per week since the first snapshot", func(s *Spec) *bool { return &s.Lifetime }},
		{"since", "weeks since the last SLA breach and overdue invoice", func(s *Spec) *bool { return &s.Since }},
		{"baseline", "26-week means and the last 4 weeks against them", func(s *Spec) *bool { return &s.Baseline }},
		{"windows-52", "52-week means and the last 4 weeks against them", func(s *Spec) *bool { return &s.Year }},
		{"shape", "slope and volatility of logins and key actions over 12 weeks", func(s *Spec) *bool { return &s.Shape }},
		{"renewal-term", "the contract's term: weeks between the last two renewal dates (needs renewal dates)", func(s *Spec) *bool { return &s.RenewalTerm }},
		{"extras-windows", "each extra column's 4- and 12-week mean and 4-week change", func(s *Spec) *bool { return &s.ExtraWindows }},
		{"per-seat", "logins and key actions per seat (needs a seats column)", func(s *Spec) *bool { return &s.PerSeat }},
		{"vs-lifetime", "ARR and each extra column against the account's mean since its first snapshot", func(s *Spec) *bool { return &s.VsLifetime }},
	}
}

// featureGroup returns the group called name.
func featureGroup(name string) (FeatureGroup, error) {
	groups := FeatureGroups()
	for _, g := range groups {
		if g.Name == name {
			return g, nil
		}
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	return FeatureGroup{}, fmt.Errorf("unknown feature group %q: want one of %s", name, strings.Join(names, ", "))
}

// ParseFeatureGroups reads a comma-separated list of group names, as
// --feature-groups takes it, refusing unknown and repeated names.
func ParseFeatureGroups(list string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, err := featureGroup(name); err != nil {
			return nil, err
		}
		if slices.Contains(out, name) {
			return nil, fmt.Errorf("feature group %q is listed twice", name)
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no feature group in %q", list)
	}
	return out, nil
}

// FeatureGroupsOn returns the names of the feature groups the spec turns on, in column
// order.
func (s Spec) FeatureGroupsOn() []string {
	var on []string
	for _, g := range FeatureGroups() {
		if *g.flag(&s) {
			on = append(on, g.Name)
		}
	}
	return on
}

// Supports reports why the spec's columns cannot carry a group, or nil
// when they can: extras-windows needs an extra column, per-seat the
// seats column, vs-lifetime ARR or an extra column, renewal-term the
// renewal dates.
func (s Spec) Supports(group string) error {
	switch group {
	case "renewal-term":
		if !s.Renewal {
			return fmt.Errorf("feature group %s: the snapshots have no %s column", group, ColRenewalDate)
		}
	case "extras-windows":
		if len(s.Extras) == 0 {
			return fmt.Errorf("feature group %s: the snapshots have no extra numeric column", group)
		}
	case "per-seat":
		if !slices.Contains(s.Extras, SeatsColumn) {
			return fmt.Errorf("feature group %s: the snapshots have no %q column", group, SeatsColumn)
		}
	case "vs-lifetime":
		if s.vsLifetimeWidth() == 0 {
			return fmt.Errorf("feature group %s: the snapshots have neither an %s column nor an extra numeric column", group, ColARR)
		}
	}
	_, err := featureGroup(group)
	return err
}

// WithGroups returns the spec with exactly the named groups on, the
// others off; the base columns stay as they are. A group the columns
// cannot carry is an error (see Supports).
func (s Spec) WithGroups(names []string) (Spec, error) {
	out := s
	for _, g := range FeatureGroups() {
		*g.flag(&out) = false
	}
	for _, name := range names {
		if err := s.Supports(name); err != nil {
			return Spec{}, err
		}
		g, _ := featureGroup(name)
		*g.flag(&out) = true
	}
	return out, nil
}

// GroupColumns returns the columns the named group adds to the spec, or
// with BaseGroup the columns no group adds; empty when the group is off.
func (s Spec) GroupColumns(name string) ([]string, error) {
	if name == BaseGroup {
		base, _ := s.WithGroups(nil)
		return base.Names(), nil
	}
	g, err := featureGroup(name)
	if err != nil {
		return nil, err
	}
	if !*g.flag(&s) {
		return nil, nil
	}
	without := s
	*g.flag(&without) = false
	drop := map[string]bool{}
	for _, n := range without.Names() {
		drop[n] = true
	}
	var cols []string
	for _, n := range s.Names() {
		if !drop[n] {
			cols = append(cols, n)
		}
	}
	return cols, nil
}
