package plays

import (
	"fmt"
	"math"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

// Names lists the segments' names in file order, Default's last: every
// segment an account can fall in.
func (s *Segments) Names() []string {
	var names []string
	if s != nil {
		for _, g := range s.Segments {
			names = append(names, g.Name)
		}
	}
	return append(names, Default.Name)
}

// RowSegments names the segment of each row of ds, a dataset of the
// model's features built with spec, by the rules that match an account
// at scoring: the segment column (read back from the segment_<name>
// indicators), ARR (from log_arr) and the seats column, as of the row's
// week. ARR ranges are compared on log_arr's own scale, log(1 + ARR), so
// an ARR equal to a range's end lands on the same side of it as at
// scoring, where the ARR itself is compared.
func (s *Segments) RowSegments(spec features.Spec, ds *features.Dataset) []string {
	col := func(name string) int { return slices.Index(ds.Features, name) }
	arrAt, seatsAt := col(features.LogARR), col(s.Seats())
	segAt := make([]int, len(spec.Segments))
	for k, name := range spec.Segments {
		segAt[k] = col(features.SegmentFeature(name))
	}
	// Each segment's ARR range on the log_arr scale.
	logARR := make([]*Range, 0)
	if s != nil {
		for _, g := range s.Segments {
			if g.ARR == nil {
				logARR = append(logARR, nil)
				continue
			}
			r := &Range{}
			if g.ARR.Min != nil {
				v := math.Log1p(*g.ARR.Min)
				r.Min = &v
			}
			if g.ARR.Max != nil {
				v := math.Log1p(*g.ARR.Max)
				r.Max = &v
			}
			logARR = append(logARR, r)
		}
	}
	out := make([]string, ds.Len())
	for i := range out {
		x := ds.Row(i)
		segment := ""
		for k, j := range segAt {
			if j >= 0 && x[j] == 1 {
				segment = spec.Segments[k]
				break
			}
		}
		arr, seats := math.NaN(), math.NaN()
		if arrAt >= 0 {
			arr = x[arrAt]
		}
		if seatsAt >= 0 {
			seats = x[seatsAt]
		}
		out[i] = Default.Name
		if s == nil {
			continue
		}
		for k := range s.Segments {
			g := &s.Segments[k]
			if (g.Segment == "" || g.Segment == segment) && logARR[k].Contains(arr) && g.Seats.Contains(seats) {
				out[i] = g.Name
				break
			}
		}
	}
	return out
}

// Learn returns each segment's health cut-offs learned from the model's
// validation rows valid, whose calibrated probabilities (those the
// model's own cut-offs were placed on) are p: see
// models.SegmentHealthFrom. warnings name the segments that keep the
// model's cut-offs, and why.
func (s *Segments) Learn(a *models.Artifact, valid *features.Dataset, p []float64) (map[string]models.SegmentHealth, []string, error) {
	if err := s.CheckModel(a.Features); err != nil {
		return nil, nil, err
	}
	if !slices.Equal(valid.Features, a.Features) {
		return nil, nil, fmt.Errorf("segment health: the validation rows' features are not the model's")
	}
	sh, err := models.SegmentHealthFrom(s.Names(), s.RowSegments(a.Spec, valid), p, valid.Label, a.Health)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	for _, name := range s.Names() {
		if h := sh[name]; !h.Learned {
			warnings = append(warnings, fmt.Sprintf("segment %q keeps the model's health cut-offs (%s)", name, h.Rule))
		}
	}
	return sh, warnings, nil
}

// CutoffsOf returns the health cut-offs of segment g under model a: its
// own when set by hand, those a learned for it when the segment asks for
// them or leaves health out, else the model's. "health: learned" under a
// model without learned cut-offs for g is an error.
func CutoffsOf(g *Segment, a *models.Artifact) (models.Health, error) {
	if h := g.Health; h != nil && !h.Learned {
		return models.Health{Yellow: h.Yellow, Red: h.Red, Rule: "set by hand in the segment file"}, nil
	}
	if sh, ok := a.SegmentHealth[g.Name]; ok {
		return sh.Health, nil
	}
	if g.Health != nil {
		return models.Health{}, fmt.Errorf("segment %q: health: %s, but model %s learned no cut-offs for it: train it with churn train --segments and this file",
			g.Name, Learned, a.Version)
	}
	return a.Health, nil
}

// Check reports a segment file that cannot be applied under model a: a
// seats segment without the column, "health: learned" without learned
// cut-offs.
func (s *Segments) Check(a *models.Artifact) error {
	if err := s.CheckModel(a.Features); err != nil {
		return err
	}
	if s == nil {
		return nil
	}
	for i := range s.Segments {
		if _, err := CutoffsOf(&s.Segments[i], a); err != nil {
			return err
		}
	}
	return nil
}

// seatsOf returns the account's team size from its latest features, NaN
// when the model has no seats column.
func seatsOf(a *ranking.Account, seatsAt int) float64 {
	if seatsAt >= 0 && seatsAt < len(a.Features) {
		return a.Features[seatsAt]
	}
	return math.NaN()
}

// Apply puts every account of b in its segment and colours it, and each
// of its signal groups, by the segment's cut-offs (CutoffsOf) instead of
// the model's: the ranking's colours, its totals and the alerts drawn
// from its recorded scores then follow the segment file. Call it before
// the book is shared: it changes the accounts.
func Apply(b *ranking.Book, s *Segments) error {
	if err := s.Check(b.Model); err != nil {
		return err
	}
	seatsAt := slices.Index(b.Model.Features, s.Seats())
	cut := map[string]*models.Health{}
	for _, a := range b.Accounts {
		g := s.Match(a.Segment, a.ARR, seatsOf(a, seatsAt))
		h, ok := cut[g.Name]
		if !ok {
			c, err := CutoffsOf(g, b.Model)
			if err != nil {
				return err
			}
			h = &c
			cut[g.Name] = h
		}
		a.PlaySegment, a.Cutoffs = g.Name, h
		a.Health = h.Colour(a.Probability)
		a.Groups = slices.Clone(a.Groups)
		for k := range a.Groups {
			a.Groups[k].Health = h.Colour(1 / (1 + math.Exp(-(a.Score.Base + a.Groups[k].LogOdds))))
		}
	}
	return nil
}

// Windows returns each account's renewal window in days, its segment's
// lead time, for the renewal_red alert: an account of a book Apply
// segmented by its PlaySegment, another by matching it.
func (s *Segments) Windows(b *ranking.Book) map[string]int {
	lead := map[string]int{Default.Name: Default.Lead()}
	if s != nil {
		for _, g := range s.Segments {
			lead[g.Name] = g.Lead()
		}
	}
	seatsAt := -1
	if b.Model != nil {
		seatsAt = slices.Index(b.Model.Features, s.Seats())
	}
	out := make(map[string]int, len(b.Accounts))
	for _, a := range b.Accounts {
		name := a.PlaySegment
		if name == "" {
			name = s.Match(a.Segment, a.ARR, seatsOf(a, seatsAt)).Name
		}
		out[a.AccountID] = lead[name]
	}
	return out
}

// TableWindows is Windows for the accounts of a snapshot table, matched
// by their latest snapshot: churn alerts reads the renewals so.
func (s *Segments) TableWindows(tab *features.Table) (map[string]int, error) {
	names := tab.Spec.Names()
	if err := s.CheckModel(names); err != nil {
		return nil, err
	}
	seatsAt := slices.Index(names, s.Seats())
	out := make(map[string]int, len(tab.Accounts))
	var ds *features.Dataset
	for i := range tab.Accounts {
		acc := &tab.Accounts[i]
		seats := math.NaN()
		if seatsAt >= 0 {
			ds = tab.DatasetInto(ds, []int{acc.LastRow})
			seats = ds.Row(0)[seatsAt]
		}
		out[acc.ID] = s.Match(acc.Segment, acc.ARR, seats).Lead()
	}
	return out, nil
}
