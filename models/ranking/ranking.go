// Package ranking scores every active account with a trained model and
// ranks them for customer-success teams: probability, health colour, ARR
// at risk, renewal, the top drivers in plain words, the change since last
// week and a short weekly history.
//
// A Book is built once from a model and a snapshot file and is read-only
// afterwards, so servers can share one between goroutines and swap it
// whole when the model or the data is reloaded.
//
// Document is a ranking as JSON carries it, the one shape "churn score
// --format json" and the server's GET /v1/ranking share. The terminal
// table and the CSV are the CLI's formats and live in cmd/churn.
package ranking

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/jsonfloat"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/hazard"
	"github.com/churnlabs/churn/models/maturity"
)

// HistoryWeeks is how many weeks of scores an account's history covers,
// for its sparkline and week-over-week change: its rows in the book's
// last HistoryWeeks weeks (see historyFrom).
const HistoryWeeks = 12

// WeekScore is an account's calibrated churn probability at one week.
type WeekScore struct {
	Week        features.Date `json:"week"`
	Probability float64       `json:"churn_probability"`
	// Recorded marks a score read from the score history: the one shown
	// that week, by the model of that week. Without it the week was
	// scored again with today's model.
	Recorded bool `json:"recorded,omitempty"`
}

// Account is an active account's latest score and what a CS person needs
// beside it.
type Account struct {
	AccountID   string        `json:"account_id"`
	Week        features.Date `json:"week"`
	Probability float64       `json:"churn_probability"`
	Health      string        `json:"health"`
	Segment     string        `json:"segment"`
	// ARR is NaN when unknown; ARRAtRisk is Probability x ARR.
	ARR       float64 `json:"arr"`
	ARRAtRisk float64 `json:"arr_at_risk"`
	// RenewalDate is NoDate and DaysToRenewal -1 when unknown.
	RenewalDate   features.Date `json:"renewal_date"`
	DaysToRenewal int           `json:"days_to_renewal"`
	// RenewalType is features.RenewalAuto or features.RenewalSignature,
	// "" (and left out of JSON) when unknown. It is no model feature: it
	// picks the renewal play's touchpoints.
	RenewalType string `json:"renewal_type,omitempty"`
	// Change is the probability minus the previous snapshot's in the
	// history; NaN without one.
	Change  float64     `json:"change"`
	Drivers []Driver    `json:"drivers"`
	History []WeekScore `json:"history"`
	// Groups are the score's sub-scores per signal group, in
	// features.SignalGroups order.
	Groups []GroupHealth `json:"groups"`
	// MaturityLevel is the account's maturity level, 1 to maturity.Levels,
	// placed at Week by the ladder of a server started with --maturity;
	// 0, and not written, when nothing placed it. MaturityName names the
	// level and MaturityLacks are the next step's indicators the account
	// fails: what it lacks for the next level, none at the top.
	MaturityLevel int                  `json:"maturity_level,omitempty"`
	MaturityName  string               `json:"maturity_name,omitempty"`
	MaturityLacks []maturity.Criterion `json:"maturity_lacks,omitempty"`
	// PlaySegment is the account's renewal segment and Cutoffs the health
	// cut-offs its colours are under, when a segment file was applied
	// (plays.Apply); both are left out otherwise, the colours being the
	// model's, Document.Health.
	PlaySegment string         `json:"play_segment,omitempty"`
	Cutoffs     *models.Health `json:"cutoffs,omitempty"`
	// Survival is the account's survival curve and what follows from it,
	// when the model has a hazard part (churn train --survival); nil, and
	// left out of the JSON, otherwise.
	Survival *Survival `json:"survival,omitempty"`

	// Score is the full explanation of the latest score: Base plus the
	// Contributions (aligned with the model's features) is LogOdds.
	Score models.Score `json:"-"`
	// Features are the latest feature values, aligned likewise.
	Features []float64 `json:"-"`
	// Recent are the last raw weekly snapshots.
	Recent []features.RawWeek `json:"-"`
}

// Book is every active account's latest score, riskiest first.
type Book struct {
	Model    *models.Artifact
	Accounts []*Account
	// AsOf is the latest week in the snapshots.
	AsOf features.Date
	// HasRenewalType reports that the snapshots had a renewal_type
	// column: the CSV, table and Parquet outputs then carry one.
	HasRenewalType bool
	index          map[string]*Account

	// byARR is Accounts by ARR at risk, sorted on first use. Filters
	// keep the order, so a query sorted so reads a page off it rather
	// than sorting the book on every request. byRenewal is the same by
	// the probability of leaving before renewal.
	byARROnce     sync.Once
	byARR         []*Account
	byRenewalOnce sync.Once
	byRenewal     []*Account
}

// Survival is what an account's survival curve says.
type Survival struct {
	// Curve is S(k), the probability of still being a customer k weeks
	// after Week, for k = 0 to hazard.Weeks; Curve[0] is 1.
	Curve []float64 `json:"-"`
	// BeforeRenewal is the probability of leaving before the renewal
	// date, 1 - S(weeks to it), the weeks capped at hazard.Weeks (so for
	// a renewal further away it is the chance of leaving within the
	// curve's half-year) and 0 for a renewal date already past; NaN
	// without a renewal date. WeeksToRenewal is those weeks, -1 without.
	BeforeRenewal  float64 `json:"before_renewal"`
	WeeksToRenewal int     `json:"weeks_to_renewal"`
	// ExpectedWeeks is the restricted mean weeks to churn over the
	// curve's span: an account nobody expects to leave has hazard.Weeks.
	ExpectedWeeks float64 `json:"expected_weeks_to_churn"`
}

// MarshalJSON writes an unknown BeforeRenewal as null.
func (s *Survival) MarshalJSON() ([]byte, error) {
	type plain Survival
	return json.Marshal(struct {
		*plain
		BeforeRenewal jsonfloat.Float `json:"before_renewal"`
	}{(*plain)(s), jsonfloat.Float(s.BeforeRenewal)})
}

// survivalOf returns the survival of an account whose latest features x
// are at week, renewing at renewal (NoDate when unknown).
func survivalOf(m *hazard.Model, x []float64, week, renewal features.Date) *Survival {
	curve := m.Curve(x)
	s := &Survival{Curve: curve, BeforeRenewal: math.NaN(), WeeksToRenewal: -1, ExpectedWeeks: hazard.ExpectedWeeks(curve)}
	if renewal != features.NoDate {
		s.WeeksToRenewal = hazard.WeeksTo(week, renewal)
		s.BeforeRenewal = hazard.BeforeRenewal(curve, s.WeeksToRenewal)
	}
	return s
}

// GroupHealth is an account's sub-score in one signal group.
type GroupHealth struct {
	Group string `json:"group"`
	// LogOdds is the sum of the contributions of the group's features:
	// the sub-scores of all groups add up to the score's log-odds minus
	// its base.
	LogOdds float64 `json:"log_odds"`
	// Health is the colour of the probability the base plus this group
	// alone would give, under the model's health cut-offs: the account's
	// own colour were every other group average. A group is red when its
	// signals alone push the account past the red cut-off.
	Health string `json:"health"`
}

// groupHealth sums the contributions phi per signal group (groupOf gives
// each feature's index in features.SignalGroups) into gs, zeroed and one
// per group, and colours each sum.
func groupHealth(gs []GroupHealth, h models.Health, base float64, phi []float64, groupOf []int) []GroupHealth {
	for j, v := range phi {
		gs[groupOf[j]].LogOdds += v
	}
	for k := range gs {
		gs[k].Group = features.SignalGroups[k]
		gs[k].Health = h.Colour(1 / (1 + math.Exp(-(base + gs[k].LogOdds))))
	}
	return gs
}

// topDrivers is how many drivers an Account lists.
const topDrivers = 3

// Build scores the latest snapshot of every active account in tab, which
// must have been built with the model's feature spec. Each account's
// weekly history is its scores at its rows of the book's last
// HistoryWeeks weeks that tab kept (a table built with KeepWeeks
// HistoryWeeks keeps them all); Load builds a book without keeping them.
func Build(ctx context.Context, a *models.Artifact, tab *features.Table) (*Book, error) {
	scorer, err := models.NewScorer(a)
	if err != nil {
		return nil, err
	}
	return build(ctx, a, scorer, tab, nil)
}

// build is Build with a's scorer and the weekly scores recorded as tab
// was built, or, with weeks nil, scored from tab's rows.
func build(ctx context.Context, a *models.Artifact, scorer *models.Scorer, tab *features.Table, weeks *weeklyScores) (*Book, error) {
	if !slices.Equal(tab.Spec.Names(), a.Features) {
		return nil, errors.New("the snapshots' features do not match the model's: build them with the model's spec")
	}
	var recent [][]int
	if weeks == nil {
		recent = tab.RecentRows(HistoryWeeks)
	}
	from := historyFrom(tab.Last)
	b := &Book{Model: a, AsOf: tab.Last, HasRenewalType: tab.HasRenewalType}
	// Accounts are scored independently, a GBM's explanation costing a
	// tenth of a millisecond each: workers share them out in blocks, each
	// account's result going to its own slot, so the book is the same
	// whatever the number of workers.
	// A model file's signal groups were checked when it was trained, but
	// the file may have been edited since.
	if err := a.Spec.CheckSignalGroups(); err != nil {
		return nil, fmt.Errorf("model %s: %w", a.Version, err)
	}
	groupOf := a.Spec.SignalGroupIndex()
	descs := make([]string, len(a.Features))
	for j, f := range a.Features {
		descs[j] = features.Describe(f)
	}
	scored := make([]*Account, len(tab.Accounts))
	const block = 1024
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(tab.Accounts)/block+1)) {
		wg.Go(func() {
			var rows *features.Dataset // reused from account to account
			var past []WeekScore       // likewise
			var idx []int              // the drivers' sort, likewise
			latest := []int{0}         // the row of an account's latest week
			for ctx.Err() == nil {
				start := int(next.Add(block)) - block
				if start >= len(tab.Accounts) {
					return
				}
				end := min(start+block, len(tab.Accounts))
				s := newSlab(tab.Accounts[start:end], len(a.Features), len(features.SignalGroups))
				for i := start; i < end; i++ {
					acc := &tab.Accounts[i]
					if !acc.Active() {
						continue
					}
					past = past[:0]
					if weeks != nil {
						latest[0] = acc.LastRow
						rows = tab.DatasetInto(rows, latest)
						past = weeks.before(past, i, acc.Last)
					} else {
						rows = tab.DatasetInto(rows, recent[i])
						for k := range rows.Len() - 1 {
							if rows.Week[k] >= from {
								past = append(past, WeekScore{Week: rows.Week[k], Probability: scorer.Probability(rows.Row(k))})
							}
						}
					}
					scored[i] = scoreAccount(a, scorer, tab, acc, rows.Row(rows.Len()-1), past, groupOf, descs, s, &idx)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := 0
	for _, r := range scored {
		if r != nil {
			n++
		}
	}
	b.Accounts = make([]*Account, 0, n)
	b.index = make(map[string]*Account, n)
	for _, r := range scored {
		if r != nil {
			b.Accounts = append(b.Accounts, r)
			b.index[r.AccountID] = r
		}
	}
	slices.SortStableFunc(b.Accounts, byProbability)
	return b, nil
}

// slab holds the accounts of a block of the book and their small
// slices, each kind in one backing array: a million accounts would
// otherwise be some seven million allocations of a few dozen bytes, each
// rounded up to its size class and each a pointer for the collector to
// chase. Slices handed out are capped at their length, so none can grow
// into its neighbour's.
type slab struct {
	accounts []Account
	floats   []float64 // features, then contributions
	history  []WeekScore
	drivers  []Driver
	groups   []GroupHealth
}

// newSlab sizes a slab for the active accounts among accs, each with p
// features and g signal groups.
func newSlab(accs []features.Account, p, g int) *slab {
	n := 0
	for i := range accs {
		if accs[i].Active() {
			n++
		}
	}
	return &slab{
		accounts: make([]Account, 0, n),
		floats:   make([]float64, 0, 2*n*p),
		history:  make([]WeekScore, 0, n*HistoryWeeks),
		drivers:  make([]Driver, 0, n*topDrivers),
		groups:   make([]GroupHealth, 0, n*g),
	}
}

// take returns the next n elements of *buf, capped at n, growing it if a
// caller takes more than it was sized for.
func take[T any](buf *[]T, n int) []T {
	b := *buf
	if cap(b)-len(b) < n {
		b = make([]T, 0, max(n, cap(b)))
	}
	out := b[len(b) : len(b)+n : len(b)+n]
	*buf = b[:len(b)+n]
	return out
}

// scoreAccount scores an active account's latest row, x, with its weekly
// history before it, past (in week order), into the slab s. descs are
// the features' descriptions, idx a buffer for the drivers' sort.
func scoreAccount(a *models.Artifact, scorer *models.Scorer, tab *features.Table, acc *features.Account, row []float64, past []WeekScore, groupOf []int, descs []string, s *slab, idx *[]int) *Account {
	p := len(a.Features)
	x := take(&s.floats, p)
	copy(x, row)
	sc := scorer.Score(x, take(&s.floats, p))
	s.accounts = append(s.accounts, Account{
		AccountID: acc.ID, Week: acc.Last, Probability: sc.Probability,
		Health: a.Health.Colour(sc.Probability), Segment: acc.Segment,
		ARR: acc.ARR, ARRAtRisk: sc.Probability * acc.ARR,
		RenewalDate: acc.RenewalDate, DaysToRenewal: -1, RenewalType: acc.RenewalType, Change: math.NaN(),
		Score: sc, Features: x, Recent: acc.Recent,
		History: take(&s.history, len(past)+1)[:0],
	})
	r := &s.accounts[len(s.accounts)-1]
	if acc.RenewalDate != features.NoDate {
		r.DaysToRenewal = max(0, int(acc.RenewalDate-tab.Last))
	}
	r.History = append(append(r.History, past...), WeekScore{Week: acc.Last, Probability: sc.Probability})
	if n := len(r.History); n > 1 {
		r.Change = r.History[n-1].Probability - r.History[n-2].Probability
	}
	if a.Hazard != nil {
		r.Survival = survivalOf(a.Hazard, x, acc.Last, acc.RenewalDate)
	}
	r.Drivers = appendDrivers(take(&s.drivers, topDrivers)[:0], a.Features, descs, x, sc.Contributions, idx)
	r.Groups = groupHealth(take(&s.groups, len(features.SignalGroups)), a.Health, sc.Base, sc.Contributions, groupOf)
	return r
}

// Recorded looks up the score recorded as shown for an account's week,
// with ok false when none was.
type Recorded func(accountID string, week features.Date) (probability float64, ok bool)

// UseRecorded replaces each account's history, in every week before its
// latest where rec has a score, by the score recorded as shown that week,
// and takes the change since last week from the history so amended: a
// sparkline then draws what the customer-success team saw, not a
// rescoring with today's model. The latest week keeps the book's own
// score, the one shown now. It returns how many weekly scores it
// replaced. Call it before the book is shared: it changes the accounts.
func (b *Book) UseRecorded(rec Recorded) int {
	n := 0
	for _, a := range b.Accounts {
		h := a.History
		for k := range len(h) - 1 {
			if p, ok := rec(a.AccountID, h[k].Week); ok {
				h[k] = WeekScore{Week: h[k].Week, Probability: p, Recorded: true}
				n++
			}
		}
		if len(h) > 1 {
			a.Change = h[len(h)-1].Probability - h[len(h)-2].Probability
		}
	}
	return n
}

// HistoryStart returns the earliest week of any account's history, or
// AsOf when the book is empty: the weeks to read recorded scores from.
func (b *Book) HistoryStart() features.Date {
	start := b.AsOf
	for _, a := range b.Accounts {
		if len(a.History) > 0 && a.History[0].Week < start {
			start = a.History[0].Week
		}
	}
	return start
}

func byProbability(a, b *Account) int {
	return cmp.Or(cmp.Compare(b.Probability, a.Probability), strings.Compare(a.AccountID, b.AccountID))
}

func byARRAtRisk(a, b *Account) int {
	return cmp.Or(cmp.Compare(orZero(b.ARRAtRisk), orZero(a.ARRAtRisk)), byProbability(a, b))
}

// byBeforeRenewal puts the likeliest to leave before their renewal
// first, accounts without a renewal date (or a curve) last, each group by
// probability.
func byBeforeRenewal(a, b *Account) int {
	return cmp.Or(cmp.Compare(beforeRenewal(b), beforeRenewal(a)), byProbability(a, b))
}

func beforeRenewal(a *Account) float64 {
	if a.Survival == nil || math.IsNaN(a.Survival.BeforeRenewal) {
		return -1
	}
	return a.Survival.BeforeRenewal
}

func orZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// Sort orders for Rank.
const (
	ByProbability = "probability"
	ByARRAtRisk   = "arr_at_risk"
	// ByBeforeRenewal needs a model with a hazard part (Book.Check).
	ByBeforeRenewal = "before_renewal"
)

// Query filters and orders a ranking, and picks a page of it.
type Query struct {
	// Segment keeps one segment; "" keeps all.
	Segment string
	// PlaySegment keeps one renewal segment (Account.PlaySegment); ""
	// keeps all.
	PlaySegment string
	// RenewalWithinDays keeps accounts renewing within that many days;
	// 0 or less keeps all.
	RenewalWithinDays int
	// Limit keeps the first n after Offset; 0 or less keeps all.
	Limit int
	// Offset skips the first n of the ranking, to page through it.
	Offset int
	// Sort is ByProbability (the default), ByARRAtRisk or
	// ByBeforeRenewal.
	Sort string
}

// Check reports a query that cannot be answered.
func (q Query) Check() error {
	if q.Sort != "" && q.Sort != ByProbability && q.Sort != ByARRAtRisk && q.Sort != ByBeforeRenewal {
		return fmt.Errorf("sort %q: want %s, %s or %s", q.Sort, ByProbability, ByARRAtRisk, ByBeforeRenewal)
	}
	return nil
}

// Check reports a query that cannot be answered from b: q.Check's, or a
// sort by the chance of leaving before renewal when b's model has no
// survival curves to give it.
func (b *Book) Check(q Query) error {
	if err := q.Check(); err != nil {
		return err
	}
	if q.Sort == ByBeforeRenewal && b.Model.Hazard == nil {
		return fmt.Errorf("sort %q: model %s has no survival curves; train it with churn train --survival", q.Sort, b.Model.Version)
	}
	return nil
}

// Totals is what every account a query's filters keep adds up to, not
// only those on the page: a page of the riskiest fifty says little about
// the book, and a reader of a summary should not have to fetch it all.
type Totals struct {
	// Accounts is how many accounts the filters keep, on every page.
	Accounts int `json:"accounts"`
	// Red, Yellow and Green count the accounts by health colour.
	Red    int `json:"red"`
	Yellow int `json:"yellow"`
	Green  int `json:"green"`
	// ARR and ARRAtRisk are summed over the accounts with a known ARR;
	// UnknownARR counts the others.
	ARR        float64 `json:"arr"`
	ARRAtRisk  float64 `json:"arr_at_risk"`
	UnknownARR int     `json:"unknown_arr"`
}

func (t *Totals) add(a *Account) {
	t.Accounts++
	switch a.Health {
	case "red":
		t.Red++
	case "yellow":
		t.Yellow++
	case "green":
		t.Green++
	}
	if math.IsNaN(a.ARR) || math.IsNaN(a.ARRAtRisk) {
		t.UnknownARR++
		return
	}
	t.ARR += a.ARR
	t.ARRAtRisk += a.ARRAtRisk
}

// Page is one page of a ranking with the totals of the whole ranking.
type Page struct {
	// Accounts are the page's, in the query's order.
	Accounts []*Account
	Totals   Totals
}

// Page returns the page of the ranking that q's Offset and Limit pick,
// and the totals of every account its filters keep. The order is total,
// ties broken by account id, so pages neither repeat nor skip an account.
// The totals are summed in the book's order, whatever the sort, so they
// are the same to the last bit on every page and in either order.
func (b *Book) Page(q Query) Page {
	var p Page
	for _, a := range b.Accounts {
		if q.keeps(a) {
			p.Totals.add(a)
		}
	}
	order := b.Accounts
	if q.Sort == ByARRAtRisk {
		b.byARROnce.Do(func() {
			b.byARR = slices.Clone(b.Accounts)
			slices.SortFunc(b.byARR, byARRAtRisk)
		})
		order = b.byARR
	}
	if q.Sort == ByBeforeRenewal {
		b.byRenewalOnce.Do(func() {
			b.byRenewal = slices.Clone(b.Accounts)
			slices.SortFunc(b.byRenewal, byBeforeRenewal)
		})
		order = b.byRenewal
	}
	skip := max(q.Offset, 0)
	n := p.Totals.Accounts - min(skip, p.Totals.Accounts)
	if q.Limit > 0 {
		n = min(n, q.Limit)
	}
	p.Accounts = make([]*Account, 0, n)
	for _, a := range order {
		if len(p.Accounts) == n {
			break
		}
		if !q.keeps(a) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		p.Accounts = append(p.Accounts, a)
	}
	return p
}

// keeps reports whether a passes the query's filters.
func (q Query) keeps(a *Account) bool {
	return (q.Segment == "" || a.Segment == q.Segment) && (q.PlaySegment == "" || a.PlaySegment == q.PlaySegment) &&
		(q.RenewalWithinDays <= 0 || a.DaysToRenewal >= 0 && a.DaysToRenewal <= q.RenewalWithinDays)
}

// Rank returns the accounts the query keeps, in its order.
func (b *Book) Rank(q Query) []*Account {
	return b.Page(q).Accounts
}

// Account returns an active account's score.
func (b *Book) Account(id string) (*Account, bool) {
	a, ok := b.index[id]
	return a, ok
}

// PlaySegments lists the renewal segments of the ranked accounts, sorted:
// none unless a segment file was applied.
func (b *Book) PlaySegments() []string {
	var segs []string
	for _, a := range b.Accounts {
		if a.PlaySegment != "" && !slices.Contains(segs, a.PlaySegment) {
			segs = append(segs, a.PlaySegment)
		}
	}
	slices.Sort(segs)
	return segs
}

// Segments lists the segments of the ranked accounts, sorted.
func (b *Book) Segments() []string {
	var segs []string
	for _, a := range b.Accounts {
		if a.Segment != "" && !slices.Contains(segs, a.Segment) {
			segs = append(segs, a.Segment)
		}
	}
	slices.Sort(segs)
	return segs
}
