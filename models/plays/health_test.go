package plays

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

// simulated is a small simulated book, its feature table, its split and
// a logistic model trained on it (refitted, as churn train does).
type simulated struct {
	rows []features.Snapshot
	tab  *features.Table
	sp   *features.Split
	res  *models.Result
}

type sliceReader struct {
	rows []features.Snapshot
}

func (r *sliceReader) Schema() features.Schema { return simulate.Schema() }

func (r *sliceReader) Next(s *features.Snapshot) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	*s, r.rows = r.rows[0], r.rows[1:]
	return nil
}

type collector struct{ rows []features.Snapshot }

func (c *collector) Write(s *features.Snapshot) error {
	r := *s
	r.Extra = slices.Clone(s.Extra)
	c.rows = append(c.rows, r)
	return nil
}

// simulateBook simulates the book and, with train, trains the model.
func simulateBook(t *testing.T, train bool) *simulated {
	t.Helper()
	ctx := context.Background()
	var c collector
	if err := simulate.Run(ctx, simulate.Config{Accounts: 500, Weeks: 70, Seed: 11}, &c, nil); err != nil {
		t.Fatal(err)
	}
	src := features.Source{Name: "memory", Open: func() (features.SnapshotReader, error) {
		return &sliceReader{rows: c.rows}, nil
	}}
	tab, err := features.Build(ctx, src, features.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close() })
	if !train {
		return &simulated{rows: c.rows, tab: tab}
	}
	opt := models.TrainOptions{Kinds: []string{models.Logistic}, Refit: true, Table: tab,
		Split: features.SplitOptions{Horizon: 8, ValidWeeks: 8}}
	sp, err := tab.Split(opt.Split)
	if err != nil {
		t.Fatal(err)
	}
	res, err := models.Train(ctx, sp, tab.Spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	return &simulated{rows: c.rows, tab: tab, sp: sp, res: res}
}

// quantileCutoffs are the model-wide rule written out again: the
// probabilities at the 70th and 90th percentile positions of the sorted
// probabilities.
func quantileCutoffs(p []float64) (yellow, red float64) {
	s := slices.Clone(p)
	sort.Float64s(s)
	at := func(f float64) float64 { return s[min(len(s)-1, int(f*float64(len(s))))] }
	return at(0.7), at(0.9)
}

// TestLearnSegmentHealth: churn train --segments's cut-offs are, for each
// segment, the 70th and 90th percentiles of the served model's
// validation probabilities of that segment's account-weeks, the segments
// matched on the raw snapshots as at scoring; a segment with too few
// rows keeps the model's.
func TestLearnSegmentHealth(t *testing.T) {
	sim := simulateBook(t, true)
	a, valid, p := sim.res.Chosen, sim.sp.Valid, sim.res.ServedValid
	if a.Refit == nil {
		t.Fatal("the model was not refitted: the test means to check the refit's probabilities")
	}
	// The probabilities are those the model-wide cut-offs were placed on.
	if y, r := quantileCutoffs(p); y != a.Health.Yellow || r != a.Health.Red {
		t.Fatalf("model cut-offs %v, %v; the served validation probabilities give %v, %v", a.Health.Yellow, a.Health.Red, y, r)
	}
	raw := map[string]*features.Snapshot{}
	for i := range sim.rows {
		s := &sim.rows[i]
		raw[s.AccountID+" "+s.Week.String()] = s
	}
	seatsAt := slices.Index(simulate.Schema().Extras, simulate.ColSeats)
	// The enterprise cut is an ARR that validation rows have, so rows
	// sit exactly on the range's end.
	var arrs []float64
	for i := range valid.Len() {
		if s := raw[valid.AccountID[i]+" "+valid.Week[i].String()]; s != nil && !math.IsNaN(s.ARR) {
			arrs = append(arrs, s.ARR)
		}
	}
	sort.Float64s(arrs)
	cut := arrs[len(arrs)*2/3]
	segFile := fmt.Sprintf(`
segments:
  - name: tiny
    arr: {min: 1000000000}
  - name: enterprise
    arr: {min: %v}
  - name: small-team
    seats: {max: 10}
  - name: smb
    segment: smb
`, cut)
	segs, err := ParseSegments("segments.yaml", []byte(segFile))
	if err != nil {
		t.Fatal(err)
	}
	sh, warnings, err := segs.Learn(a, valid, p)
	if err != nil {
		t.Fatal(err)
	}

	probs := map[string][]float64{}
	churners := map[string]int{}
	rowSegs := segs.RowSegments(a.Spec, valid)
	onCut := 0
	for i := range valid.Len() {
		s := raw[valid.AccountID[i]+" "+valid.Week[i].String()]
		if s == nil {
			t.Fatalf("validation row %s %s has no snapshot", valid.AccountID[i], valid.Week[i])
		}
		g := segs.Match(s.Segment, s.ARR, s.Extra[seatsAt]).Name
		if rowSegs[i] != g {
			t.Errorf("row %s %s (segment %q, ARR %v, seats %v): matched %s on its features, %s on its snapshot",
				valid.AccountID[i], valid.Week[i], s.Segment, s.ARR, s.Extra[seatsAt], rowSegs[i], g)
		}
		if s.ARR == cut {
			onCut++
		}
		probs[g] = append(probs[g], p[i])
		if valid.Label[i] == 1 {
			churners[g]++
		}
	}
	if onCut == 0 {
		t.Fatalf("no validation row has the ARR %v the enterprise range starts at", cut)
	}
	learned := 0
	for _, name := range segs.Names() {
		got, ok := sh[name]
		if !ok {
			t.Errorf("segment %s: no cut-offs", name)
			continue
		}
		n := len(probs[name])
		if got.Rows != n || got.Churners != churners[name] {
			t.Errorf("segment %s: %d rows, %d churners; want %d, %d", name, got.Rows, got.Churners, n, churners[name])
		}
		if n < models.MinSegmentRows || churners[name] == 0 {
			if got.Learned || got.Yellow != a.Health.Yellow || got.Red != a.Health.Red {
				t.Errorf("segment %s of %d rows, %d churners: %+v, want the model's cut-offs", name, n, churners[name], got)
			}
			if !slices.ContainsFunc(warnings, func(w string) bool {
				return w == fmt.Sprintf("segment %q keeps the model's health cut-offs (%s)", name, got.Rule)
			}) {
				t.Errorf("segment %s keeps the model's cut-offs without a warning: %q", name, warnings)
			}
			continue
		}
		learned++
		y, r := quantileCutoffs(probs[name])
		if !got.Learned || got.Yellow != y || got.Red != r {
			t.Errorf("segment %s: learned %+v; its %d validation probabilities give yellow %v, red %v", name, got, n, y, r)
		}
	}
	if learned < 3 || sh["tiny"].Learned {
		t.Errorf("learned %d segments (tiny: %+v): want enterprise, small-team and smb learned, tiny not", learned, sh["tiny"])
	}
	// The cut-offs differ between segments, or the test proves little.
	if sh["enterprise"].Red == sh["smb"].Red || sh["enterprise"].Red == a.Health.Red {
		t.Errorf("enterprise red %v, smb red %v, model red %v: want them apart", sh["enterprise"].Red, sh["smb"].Red, a.Health.Red)
	}
}

// TestApplySegmentHealth: under a segment file, every ranked account
// is coloured by its segment's cut-offs: hand-set ones win over learned
// ones, learned ones are used when the segment leaves health out or asks
// for them, and the model's otherwise; the totals follow.
func TestApplySegmentHealth(t *testing.T) {
	sim := simulateBook(t, true)
	segFile := `
segments:
  - name: smb
    segment: smb
    health: {yellow: 0.000001, red: 0.000002}
  - name: mid
    segment: mid
  - name: enterprise
    arr: {min: 30000}
    health: learned
`
	segs, err := ParseSegments("segments.yaml", []byte(segFile))
	if err != nil {
		t.Fatal(err)
	}
	a := sim.res.Chosen
	score := func(a *models.Artifact) *ranking.Book {
		t.Helper()
		b, err := ranking.Build(context.Background(), a, sim.tab)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Without learned cut-offs, "health: learned" is refused by name.
	if err := Apply(score(a), segs); err == nil || !strings.Contains(err.Error(), `segment "enterprise": health: learned`) {
		t.Fatalf("health: learned under a model without learned cut-offs: %v", err)
	}
	sh, _, err := segs.Learn(a, sim.sp.Valid, sim.res.ServedValid)
	if err != nil {
		t.Fatal(err)
	}
	if !sh["enterprise"].Learned || !sh["smb"].Learned || !sh["mid"].Learned {
		t.Fatalf("segments not learned: %+v", sh)
	}
	learned := *a
	learned.SegmentHealth = sh
	plain := score(&learned)
	b := score(&learned)
	if err := Apply(b, segs); err != nil {
		t.Fatal(err)
	}
	seatsAt := slices.Index(a.Features, "seats")
	differ := map[string]int{}
	for i, acc := range b.Accounts {
		p := plain.Accounts[i]
		if p.AccountID != acc.AccountID {
			t.Fatalf("account %d: %s, was %s", i, acc.AccountID, p.AccountID)
		}
		g := segs.Match(acc.Segment, acc.ARR, acc.Features[seatsAt])
		var want models.Health
		switch g.Name {
		case "smb":
			want = models.Health{Yellow: 0.000001, Red: 0.000002}
		default: // enterprise asks for its learned cut-offs; mid and default leave health out
			want = sh[g.Name].Health
		}
		if acc.PlaySegment != g.Name || acc.Cutoffs == nil || acc.Cutoffs.Yellow != want.Yellow || acc.Cutoffs.Red != want.Red {
			t.Fatalf("account %s: segment %s, cut-offs %+v; want %s, %+v", acc.AccountID, acc.PlaySegment, acc.Cutoffs, g.Name, want)
		}
		if colour := want.Colour(acc.Probability); acc.Health != colour {
			t.Errorf("account %s (%s, %.4f): %s, want %s", acc.AccountID, g.Name, acc.Probability, acc.Health, colour)
		}
		if p.Health != a.Health.Colour(p.Probability) || p.PlaySegment != "" || p.Cutoffs != nil {
			t.Errorf("account %s without segments: %s %q %v", p.AccountID, p.Health, p.PlaySegment, p.Cutoffs)
		}
		if acc.Health != p.Health {
			differ[g.Name]++
		}
		for k, gr := range acc.Groups {
			if c := want.Colour(1 / (1 + math.Exp(-(acc.Score.Base + gr.LogOdds)))); gr.Health != c {
				t.Errorf("account %s group %s: %s, want %s", acc.AccountID, gr.Group, gr.Health, c)
			}
			if gr.LogOdds != p.Groups[k].LogOdds {
				t.Errorf("account %s group %s: log-odds changed", acc.AccountID, gr.Group)
			}
		}
	}
	// The hand-set cut-offs are below every probability: every smb
	// account is red, where the model's leave most green.
	if differ["smb"] == 0 || differ["enterprise"]+differ["mid"] == 0 {
		t.Errorf("accounts coloured apart from the model's colours, by segment: %v; want some in smb and in a learned segment", differ)
	}
	for _, acc := range b.Rank(ranking.Query{PlaySegment: "smb"}) {
		if acc.Health != "red" {
			t.Errorf("smb account %s at %.4f is %s, want red under red >= 0.000002", acc.AccountID, acc.Probability, acc.Health)
		}
	}
	// The totals count the segments' colours.
	red := 0
	for _, acc := range b.Accounts {
		if acc.Health == "red" {
			red++
		}
	}
	if tot := b.Page(ranking.Query{}).Totals; tot.Red != red || tot.Red == plain.Page(ranking.Query{}).Totals.Red {
		t.Errorf("totals red %d, want %d (and not the model's %d)", tot.Red, red, plain.Page(ranking.Query{}).Totals.Red)
	}
	if got := b.PlaySegments(); !slices.Equal(got, []string{"enterprise", "mid", "smb"}) {
		t.Errorf("play segments %q", got)
	}
	// The plays use the same colours.
	for _, pl := range For(b, segs).Plays {
		if pl.Health != pl.Account.Health {
			t.Errorf("play %s: %s, ranking %s", pl.AccountID, pl.Health, pl.Account.Health)
		}
	}
}

// TestTableWindows: churn alerts's renewal windows are each account's
// segment's lead time, the account matched on its latest snapshot.
func TestTableWindows(t *testing.T) {
	sim := simulateBook(t, false)
	segs, err := ParseSegments("segments.yaml", []byte(`
segments:
  - name: smb
    segment: smb
    lead_days: 60
  - name: team
    seats: {max: 40}
    lead_days: 200
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := segs.TableWindows(sim.tab)
	if err != nil {
		t.Fatal(err)
	}
	latest := map[string]*features.Snapshot{}
	for i := range sim.rows {
		s := &sim.rows[i]
		if l := latest[s.AccountID]; l == nil || s.Week > l.Week {
			latest[s.AccountID] = s
		}
	}
	seatsAt := slices.Index(simulate.Schema().Extras, simulate.ColSeats)
	count := map[int]int{}
	for id, s := range latest {
		want := segs.Match(s.Segment, s.ARR, s.Extra[seatsAt]).Lead()
		if got[id] != want {
			t.Errorf("account %s (%s, %v seats): window %d, want %d", id, s.Segment, s.Extra[seatsAt], got[id], want)
		}
		count[want]++
	}
	if len(got) != len(latest) || count[60] == 0 || count[200] == 0 || count[DefaultLeadDays] == 0 {
		t.Errorf("%d windows for %d accounts; by window %v: want some of each", len(got), len(latest), count)
	}
}
