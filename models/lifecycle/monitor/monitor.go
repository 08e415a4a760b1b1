// Package monitor checks recorded scores against what happened: for every
// week whose label has matured, the scores a model gave then are compared
// with who churned within the horizon after it. This is the answer to
// "can I trust the score?": the validation figures of training describe a
// model before it was used, these describe it in use.
//
// Outcomes follow features.Outcome, the rule that labels training rows,
// so a realized AUC is comparable with the validation AUC.
package monitor

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/metrics"
)

// DefaultConfidence is the level of every interval.
const DefaultConfidence = 0.95

// Deciles is how many calibration bins a group is cut into.
const Deciles = 10

// Fate is what the snapshots now say of one account: its latest snapshot
// week and the week it churned (features.NoDate while active).
type Fate struct {
	Last      features.Date
	ChurnWeek features.Date
}

// Fates returns the fate of every account of t, by account id.
func Fates(t *features.Table) map[string]Fate {
	f := make(map[string]Fate, len(t.Accounts))
	for _, a := range t.Accounts {
		f[a.ID] = Fate{Last: a.Last, ChurnWeek: a.ChurnWeek}
	}
	return f
}

// Options set the horizons and the confidence level.
type Options struct {
	// Horizon is the label horizon in weeks, as in training.
	Horizon int
	// Horizons holds, by model version, the horizons of versions trained
	// for another horizon than Horizon. Each version is judged over its
	// own: labelled over another, its realized AUC would not be
	// comparable with its validation AUC.
	Horizons map[string]int
	// AsOf is the latest snapshot week: a week w has matured when
	// w + Horizon weeks is no later than AsOf.
	AsOf features.Date
	// Confidence is the level of the intervals; 0 means
	// DefaultConfidence.
	Confidence float64
}

// Matured reports whether the label of week has matured by o.AsOf, over
// Horizon.
func (o Options) Matured(week features.Date) bool {
	return week+features.Date(7*o.Horizon) <= o.AsOf
}

// HorizonOf is the horizon version is judged over: its own from
// Horizons, else Horizon.
func (o Options) HorizonOf(version string) int {
	if h, ok := o.Horizons[version]; ok {
		return h
	}
	return o.Horizon
}

// shortest is the shortest of the horizons.
func (o Options) shortest() int {
	h := o.Horizon
	for _, v := range o.Horizons {
		h = min(h, v)
	}
	return h
}

// Interval is an estimate with its confidence interval; NaN where it
// cannot be computed (one class only).
type Interval = retention.Interval

// Decile is one calibration bin: the mean score given and the share that
// churned, with its Wilson interval.
type Decile struct {
	Rows          int      `json:"rows"`
	MeanPredicted float64  `json:"mean_predicted"`
	Observed      Interval `json:"observed_rate"`
}

// Performance is how the scores of one model version (and one segment,
// or all) fared on the matured weeks.
type Performance struct {
	ModelVersion string `json:"model_version"`
	// Segment is "" for all segments together; accounts without a
	// segment count only there.
	Segment string `json:"segment"`
	// Horizon is the label horizon the version is judged over.
	Horizon   int           `json:"horizon_weeks"`
	FirstWeek features.Date `json:"first_week"`
	LastWeek  features.Date `json:"last_week"`
	Weeks     int           `json:"weeks"`
	Rows      int           `json:"rows"`
	Positives int           `json:"positives"`
	// ChurnRate is the observed share of rows that churned (Wilson).
	ChurnRate Interval `json:"churn_rate"`
	// MeanPredicted is the mean score given: beside ChurnRate, whether
	// the model over- or under-states risk on the whole.
	MeanPredicted float64 `json:"mean_predicted"`
	// AUC is the ROC AUC with DeLong's interval.
	AUC Interval `json:"roc_auc"`
	// PRAUC is the average precision, with the logit interval of Boyd,
	// Eng and Page (2013); its chance level is ChurnRate.
	PRAUC     Interval `json:"pr_auc"`
	Deciles   []Decile `json:"calibration"`
	TopDecile struct {
		Rows int `json:"rows"`
		// Rate is the churn rate of the top tenth by score (Wilson).
		Rate Interval `json:"churn_rate"`
		// Lift is Rate over ChurnRate.
		Lift float64 `json:"lift"`
	} `json:"top_decile"`
}

// Report is the realized performance of every model version on the
// matured weeks of a score history.
type Report struct {
	// Horizon is Options.Horizon; each Performance says the horizon of
	// its version.
	Horizon    int           `json:"horizon_weeks"`
	AsOf       features.Date `json:"as_of"`
	Confidence float64       `json:"confidence"`
	// Matured lists the recorded weeks evaluated, oldest first;
	// Immature those left out because their horizon has not passed. A
	// week scored by versions of different horizons may be in both.
	Matured  []features.Date `json:"matured_weeks"`
	Immature []features.Date `json:"immature_weeks"`
	// Censored counts scores left out because the account left the
	// snapshots before its outcome was known; Unknown those of accounts
	// the snapshots do not hold.
	Censored int `json:"censored"`
	Unknown  int `json:"unknown_accounts"`
	// Groups holds, per model version, the version on all segments
	// (Segment "") followed by each segment, versions in order of their
	// first matured week.
	Groups []Performance `json:"performance"`
	// Shadows compares each shadow with the model shown beside it, on
	// the account-weeks both scored, ordered by champion then
	// challenger; empty without shadow scores.
	Shadows []Comparison `json:"shadow_comparisons"`
}

// Comparison is a shadow (the challenger) against the model shown (the
// champion) on the account-weeks both scored with a matured outcome:
// "is the challenger better on live traffic?". The two AUCs are of the
// same rows, so their difference is tested by DeLong's paired test,
// which counts the correlation of two rankings of one population; the
// AUCs of the two versions in Groups are over each one's own rows and
// cannot be compared so.
type Comparison struct {
	Champion   string        `json:"champion"`
	Challenger string        `json:"challenger"`
	FirstWeek  features.Date `json:"first_week"`
	LastWeek   features.Date `json:"last_week"`
	Weeks      int           `json:"weeks"`
	Rows       int           `json:"rows"`
	Positives  int           `json:"positives"`
	// ChampionAUC and ChallengerAUC are the ROC AUCs on these rows.
	ChampionAUC   float64 `json:"champion_roc_auc"`
	ChallengerAUC float64 `json:"challenger_roc_auc"`
	// Difference is ChallengerAUC − ChampionAUC with its interval at
	// the report's confidence.
	Difference Interval `json:"roc_auc_difference"`
	// P is the two-sided p-value of DeLong's test of equal AUCs.
	P float64 `json:"p_value"`
	// Verdict says which is better at the significance level 1 −
	// confidence: "challenger better", "champion better", "no
	// significant difference", or "not enough outcomes" (NaN figures)
	// while either class has fewer than 2 rows.
	Verdict string `json:"verdict"`
}

// The verdicts of a Comparison.
const (
	ChallengerBetter = "challenger better"
	ChampionBetter   = "champion better"
	NoDifference     = "no significant difference"
	TooFew           = "not enough outcomes"
)

// Evaluate compares recs, scores of any weeks, with the outcomes fates
// give, each over its version's horizon (o.HorizonOf). Scores of weeks
// not matured by o.AsOf are left out (their weeks listed as Immature), as
// are censored outcomes. A group with a single class gets NaN where a
// figure needs both.
func Evaluate(recs []lifecycle.ScoreRecord, fates map[string]Fate, o Options) (*Report, error) {
	if o.Horizon < 1 {
		return nil, fmt.Errorf("horizon %d: want at least 1 week", o.Horizon)
	}
	for v, h := range o.Horizons {
		if h < 1 {
			return nil, fmt.Errorf("horizon %d of model %s: want at least 1 week", h, v)
		}
	}
	if o.AsOf == features.NoDate {
		return nil, errors.New("no as-of week: the snapshots hold no weeks")
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		return nil, fmt.Errorf("confidence %g: want a level in (0, 1)", o.Confidence)
	}
	r := &Report{Horizon: o.Horizon, AsOf: o.AsOf, Confidence: o.Confidence}
	type key struct{ version, segment string }
	groups := make(map[key]*group)
	var order []key
	add := func(k key, rec *lifecycle.ScoreRecord, y float64) {
		g, ok := groups[k]
		if !ok {
			g = &group{weeks: make(map[features.Date]bool)}
			groups[k] = g
			order = append(order, k)
		}
		g.y = append(g.y, y)
		g.p = append(g.p, rec.Probability)
		g.weeks[rec.Week] = true
	}
	pairs := newPairing()
	matured, immature := make(map[features.Date]bool), make(map[features.Date]bool)
	for i := range recs {
		rec := &recs[i]
		if err := rec.Check(); err != nil {
			return nil, err
		}
		h := o.HorizonOf(rec.ModelVersion)
		end := rec.Week + features.Date(7*h)
		if end > o.AsOf {
			immature[rec.Week] = true
			continue
		}
		matured[rec.Week] = true
		f, ok := fates[rec.AccountID]
		if !ok {
			r.Unknown++
			continue
		}
		label := features.Outcome(rec.Week, end, f.ChurnWeek, f.Last)
		if label == features.Censored {
			r.Censored++
			continue
		}
		y := float64(label)
		pairs.add(rec, y)
		add(key{rec.ModelVersion, ""}, rec, y)
		if rec.Segment != "" {
			add(key{rec.ModelVersion, rec.Segment}, rec, y)
		}
	}
	r.Matured, r.Immature = sortedWeeks(matured), sortedWeeks(immature)
	// Versions in order of their first week, then by name; within one,
	// all segments first, then segments by name.
	first := make(map[string]features.Date)
	for _, k := range order {
		if k.segment == "" {
			first[k.version] = slices.Min(sortedWeeks(groups[k].weeks))
		}
	}
	slices.SortFunc(order, func(a, b key) int {
		if a.version != b.version {
			return cmp.Or(cmp.Compare(first[a.version], first[b.version]), cmp.Compare(a.version, b.version))
		}
		return cmp.Compare(a.segment, b.segment)
	})
	for _, k := range order {
		p := groups[k].performance(k.version, k.segment, o.Confidence)
		p.Horizon = o.HorizonOf(k.version)
		r.Groups = append(r.Groups, p)
	}
	r.Shadows = pairs.compare(o.Confidence)
	return r, nil
}

// pairing gathers, per account-week, the labelled scores shown and those
// of shadows, to pair them.
type pairing struct {
	cells map[cellKey]*cell
	order []cellKey
}

type cellKey struct {
	account string
	week    features.Date
}

type versionScore struct {
	version string
	p       float64
}

type cell struct {
	y              float64
	shown, shadows []versionScore
}

func newPairing() *pairing { return &pairing{cells: make(map[cellKey]*cell)} }

func (pr *pairing) add(rec *lifecycle.ScoreRecord, y float64) {
	k := cellKey{rec.AccountID, rec.Week}
	c, ok := pr.cells[k]
	if !ok {
		c = &cell{y: y}
		pr.cells[k] = c
		pr.order = append(pr.order, k)
	}
	vs := versionScore{rec.ModelVersion, rec.Probability}
	if rec.Shadow {
		c.shadows = append(c.shadows, vs)
	} else {
		c.shown = append(c.shown, vs)
	}
}

// compare pairs every shadow score with every score shown for the same
// account and week by another version, and tests each (champion,
// challenger) pair's AUC difference on its rows.
func (pr *pairing) compare(level float64) []Comparison {
	type pairKey struct{ champion, challenger string }
	type rows struct {
		y, champion, challenger []float64
		weeks                   map[features.Date]bool
	}
	byPair := make(map[pairKey]*rows)
	for _, k := range pr.order {
		c := pr.cells[k]
		for _, sh := range c.shadows {
			for _, ch := range c.shown {
				if ch.version == sh.version {
					continue
				}
				pk := pairKey{ch.version, sh.version}
				r, ok := byPair[pk]
				if !ok {
					r = &rows{weeks: make(map[features.Date]bool)}
					byPair[pk] = r
				}
				r.y = append(r.y, c.y)
				r.champion = append(r.champion, ch.p)
				r.challenger = append(r.challenger, sh.p)
				r.weeks[k.week] = true
			}
		}
	}
	out := []Comparison{}
	for pk, r := range byPair {
		weeks := sortedWeeks(r.weeks)
		c := Comparison{Champion: pk.champion, Challenger: pk.challenger, Rows: len(r.y),
			FirstWeek: weeks[0], LastWeek: weeks[len(weeks)-1], Weeks: len(weeks)}
		for _, y := range r.y {
			if y == 1 {
				c.Positives++
			}
		}
		nan := math.NaN()
		c.ChampionAUC, c.ChallengerAUC, c.P = nan, nan, nan
		c.Difference = Interval{Estimate: nan, Lower: nan, Upper: nan}
		c.Verdict = TooFew
		if d, err := metrics.CompareAUC(r.y, r.challenger, r.champion); err == nil {
			lo, hi := d.Interval(level)
			c.ChallengerAUC, c.ChampionAUC, c.P = d.A, d.B, d.P
			c.Difference = Interval{Estimate: d.Diff, Lower: lo, Upper: hi}
			switch {
			case d.P >= 1-level || d.Diff == 0:
				c.Verdict = NoDifference
			case d.Diff > 0:
				c.Verdict = ChallengerBetter
			default:
				c.Verdict = ChampionBetter
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Comparison) int {
		return cmp.Or(cmp.Compare(a.Champion, b.Champion), cmp.Compare(a.Challenger, b.Challenger))
	})
	return out
}

// group gathers the labelled scores of one (version, segment).
type group struct {
	y, p  []float64
	weeks map[features.Date]bool
}

func (g *group) performance(version, segment string, level float64) Performance {
	weeks := sortedWeeks(g.weeks)
	p := Performance{ModelVersion: version, Segment: segment, Rows: len(g.y), Weeks: len(weeks),
		FirstWeek: weeks[0], LastWeek: weeks[len(weeks)-1]}
	sum := 0.0
	for i, y := range g.y {
		if y == 1 {
			p.Positives++
		}
		sum += g.p[i]
	}
	p.MeanPredicted = sum / float64(p.Rows)
	p.ChurnRate = retention.Wilson(p.Positives, p.Rows, level)
	p.AUC = Interval{Estimate: math.NaN(), Lower: math.NaN(), Upper: math.NaN()}
	if e, err := metrics.DeLongAUC(g.y, g.p); err == nil {
		lo, hi := e.Interval(level)
		p.AUC = Interval{Estimate: e.AUC, Lower: lo, Upper: hi}
	}
	p.PRAUC = prInterval(metrics.PRAUC(g.y, g.p), p.Positives, level)
	for _, b := range metrics.Calibration(g.y, g.p, Deciles) {
		x := int(math.Round(b.ObservedRate * float64(b.Rows)))
		p.Deciles = append(p.Deciles, Decile{Rows: b.Rows, MeanPredicted: b.MeanPredicted, Observed: retention.Wilson(x, b.Rows, level)})
	}
	top := metrics.TopFraction(g.y, g.p, 1.0/Deciles)
	p.TopDecile.Rows = top.Rows
	p.TopDecile.Rate = retention.Wilson(top.Positives, top.Rows, level)
	p.TopDecile.Lift = top.Lift
	return p
}

func sortedWeeks(set map[features.Date]bool) []features.Date {
	ws := make([]features.Date, 0, len(set))
	for w := range set {
		ws = append(ws, w)
	}
	slices.Sort(ws)
	return ws
}

// History is a score history that can be read back week by week
// (sqlstore.Store is one).
type History interface {
	// ScoredWeeks returns the weeks holding scores, oldest first.
	ScoredWeeks(ctx context.Context) ([]features.Date, error)
	// Scores returns the scores recorded for week.
	Scores(ctx context.Context, week features.Date) ([]lifecycle.ScoreRecord, error)
}

// Run evaluates the scores h holds against fates: it reads only the
// weeks that have matured over the shortest horizon of o and lists the
// others as Immature.
func Run(ctx context.Context, h History, fates map[string]Fate, o Options) (*Report, error) {
	weeks, err := h.ScoredWeeks(ctx)
	if err != nil {
		return nil, err
	}
	var recs []lifecycle.ScoreRecord
	immature := []features.Date{}
	for _, w := range weeks {
		if s := o.shortest(); s >= 1 && w+features.Date(7*s) > o.AsOf {
			immature = append(immature, w)
			continue
		}
		rs, err := h.Scores(ctx, w)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rs...)
	}
	r, err := Evaluate(recs, fates, o)
	if err != nil {
		return nil, err
	}
	r.Immature = append(r.Immature, immature...)
	if r.Matured == nil {
		r.Matured = []features.Date{}
	}
	return r, nil
}

// prInterval is the logit interval of an average precision ap over
// positives positives (Boyd, Eng and Page 2013, "Area under the
// precision-recall curve: point estimates and confidence intervals"):
// ap ± z/sqrt(positives·ap·(1−ap)) on the logit scale, which they found
// to cover as well as a bootstrap at a fraction of its cost, so that a
// year of account-weeks needs no resampling. It stays inside (0, 1); at
// an ap of exactly 0 or 1 it is that point, and NaN without positives.
func prInterval(ap float64, positives int, level float64) Interval {
	if math.IsNaN(ap) || positives == 0 {
		return Interval{Estimate: math.NaN(), Lower: math.NaN(), Upper: math.NaN()}
	}
	if ap <= 0 || ap >= 1 {
		return Interval{Estimate: ap, Lower: ap, Upper: ap}
	}
	z := math.Sqrt2 * math.Erfinv(level)
	eta := math.Log(ap / (1 - ap))
	tau := 1 / math.Sqrt(float64(positives)*ap*(1-ap))
	expit := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	return Interval{Estimate: ap, Lower: expit(eta - z*tau), Upper: expit(eta + z*tau)}
}

// VersionHorizons returns Options.Horizons for versions judged beside a
// served model of horizon h: the horizon each version was registered
// with (Details' "horizon_weeks", as models/registry records it) where it
// differs from h. A version registered without one is judged over h.
func VersionHorizons(versions []lifecycle.ModelVersion, h int) map[string]int {
	horizons := make(map[string]int)
	for _, v := range versions {
		var d struct {
			Horizon int `json:"horizon_weeks"`
		}
		if len(v.Details) == 0 || json.Unmarshal(v.Details, &d) != nil || d.Horizon < 1 {
			continue
		}
		if d.Horizon != h {
			horizons[v.Version] = d.Horizon
		}
	}
	return horizons
}
