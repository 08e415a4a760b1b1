package simulate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// simulate runs cfg into memory and fails the test on error.
func simulate(t testing.TB, cfg Config) []features.Snapshot {
	t.Helper()
	var m collector
	if err := Run(context.Background(), cfg, &m, nil); err != nil {
		t.Fatalf("Run(%+v): %v", cfg, err)
	}
	return m.rows
}

func TestRunDeterministic(t *testing.T) {
	cfg := Config{Accounts: 200, Weeks: 60, Seed: 42}
	a, b := simulate(t, cfg), simulate(t, cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	cfg.Seed = 43
	if c := simulate(t, cfg); reflect.DeepEqual(a, c) {
		t.Fatal("runs with seeds 42 and 43 are identical")
	}
	// Zero means the default seed, 1.
	if !reflect.DeepEqual(simulate(t, Config{Accounts: 50, Weeks: 10}), simulate(t, Config{Accounts: 50, Weeks: 10, Seed: 1})) {
		t.Fatal("seed 0 does not give the default seed's run")
	}
}

func TestRunInvariants(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"defaults-sized", Config{Accounts: 400, Weeks: 104, Seed: 3}},
		{"other seed", Config{Accounts: 400, Weeks: 104, Seed: 99}},
		{"one week", Config{Accounts: 100, Weeks: 1, Seed: 5}},
		{"three years from 2019", Config{Accounts: 150, Weeks: 156, Start: mustDate(t, "2019-12-30"), Seed: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.cfg.normalize()
			if err != nil {
				t.Fatal(err)
			}
			if err := checkInvariants(cfg, simulate(t, tt.cfg)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkInvariants returns the first way rows break the contract or the
// simulator's own promises, or nil.
func checkInvariants(cfg Config, rows []features.Snapshot) error {
	type state struct {
		last    *features.Snapshot
		churned bool
	}
	last := cfg.Start.AddDays(7 * (cfg.Weeks - 1))
	accounts := map[string]*state{}
	var prev *features.Snapshot
	for i := range rows {
		s := &rows[i]
		errorf := func(format string, args ...any) error {
			return fmt.Errorf("row %d (%s %s): %s", i, s.AccountID, s.Week, fmt.Sprintf(format, args...))
		}
		switch {
		case s.Logins < 0 || s.Frequency < 0 || s.RecencyDays < 0 || s.SLABreaches < 0 || s.OverdueInvoices < 0:
			return errorf("negative count in %+v", *s)
		case s.Week < cfg.Start || s.Week > last || weekday(s.Week) != 0:
			return errorf("week outside the run or not a Monday")
		case prev != nil && (s.Week < prev.Week || s.Week == prev.Week && s.AccountID <= prev.AccountID):
			return errorf("not in (week, account) order after %s %s", prev.AccountID, prev.Week)
		case s.RenewalDate < s.Week || s.RenewalDate > s.Week.AddDays(366+6):
			return errorf("renewal %s not within a year on or after the week", s.RenewalDate)
		case !(s.ARR > 0) || math.Abs(s.ARR*100-math.Round(s.ARR*100)) > 1e-6:
			return errorf("arr %v not positive cents", s.ARR)
		case s.Segment != "smb" && s.Segment != "mid" && s.Segment != "enterprise":
			return errorf("segment %q", s.Segment)
		case len(s.Extra) != 2:
			return errorf("%d extras", len(s.Extra))
		}
		seats, active := s.Extra[0], s.Extra[1]
		switch {
		case seats < 1 || seats != math.Trunc(seats) || active < 0 || active != math.Trunc(active):
			return errorf("seats %v, active users %v", seats, active)
		case active > seats:
			return errorf("%v active users on %v seats", active, seats)
		case float64(s.Logins) < active:
			return errorf("%d logins by %v active users", s.Logins, active)
		case s.Frequency > 0 && active == 0:
			return errorf("%d key actions without active users", s.Frequency)
		case s.Frequency > 0 && s.RecencyDays > 6:
			return errorf("recency %d days in a week with %d key actions", s.RecencyDays, s.Frequency)
		}
		a := accounts[s.AccountID]
		switch {
		case a == nil:
			a = &state{}
			accounts[s.AccountID] = a
		case a.churned:
			return errorf("row after the churned row")
		case s.Week <= a.last.Week:
			return errorf("week not after the account's previous week %s", a.last.Week)
		case s.Frequency == 0 && s.Week == a.last.Week.AddDays(7) && s.RecencyDays != a.last.RecencyDays+7:
			return errorf("recency %d after %d with no key action", s.RecencyDays, a.last.RecencyDays)
		}
		a.last, a.churned = s, s.Churned
		prev = s
	}
	return nil
}

func mustDate(t testing.TB, s string) features.Date {
	t.Helper()
	d, err := features.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// history is one account's rows laid out by week index, for tests that
// look back from a week.
type history struct {
	segment     string
	first, last int // week indices of the first and last row
	churned     bool
	rows        []*features.Snapshot // by week index; nil when missing
}

// histories groups rows by account, in order of first appearance.
func histories(cfg Config, rows []features.Snapshot) []*history {
	byID := map[string]*history{}
	var hs []*history
	for i := range rows {
		s := &rows[i]
		w := int(s.Week-cfg.Start) / 7
		h := byID[s.AccountID]
		if h == nil {
			h = &history{segment: s.Segment, first: w, rows: make([]*features.Snapshot, cfg.Weeks)}
			byID[s.AccountID] = h
			hs = append(hs, h)
		}
		h.rows[w], h.last, h.churned = s, w, s.Churned
	}
	return hs
}

// meanLogins returns the mean logins over the rows present in weeks
// [from, to], and how many there were.
func (h *history) meanLogins(from, to int) (float64, int) {
	var sum float64
	n := 0
	for w := max(from, 0); w <= to && w < len(h.rows); w++ {
		if s := h.rows[w]; s != nil {
			sum += float64(s.Logins)
			n++
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return sum / float64(n), n
}

// loginTrend is the ratio of mean logins in the 4 weeks ending at w to
// those in weeks w-23..w-12: below 1 when activity is falling.
func (h *history) loginTrend(w int) float64 {
	recent, n1 := h.meanLogins(w-3, w)
	before, n2 := h.meanLogins(w-23, w-12)
	if n1 < 2 || n2 < 6 {
		return math.NaN()
	}
	return (recent + 0.5) / (before + 0.5)
}

// rateRun is the run shared by the tests of rough rates: big enough for
// stable rates, small enough to run in a second.
func rateRun() Config { return Config{Accounts: 2500, Weeks: 104, Seed: 11} }

func TestRunRates(t *testing.T) {
	cfg, err := rateRun().normalize()
	if err != nil {
		t.Fatal(err)
	}
	rows := simulate(t, cfg)
	hs := histories(cfg, rows)

	segments := map[string]float64{}
	years := map[string]float64{}
	churns := map[string]float64{}
	var existing, present, missing float64
	for _, h := range hs {
		segments[h.segment]++
		years[h.segment] += float64(h.last-h.first+1) / 52
		if h.churned {
			churns[h.segment]++
		}
		if h.first == 0 {
			existing++
		}
		for w := h.first; w <= h.last; w++ {
			if h.rows[w] == nil {
				missing++
			} else {
				present++
			}
		}
	}
	n := float64(len(hs))
	between := func(what string, got, lo, hi float64) {
		t.Helper()
		if !(got >= lo && got <= hi) {
			t.Errorf("%s = %.4f, want in [%g, %g]", what, got, lo, hi)
		}
	}
	between("accounts", n, 0.97*float64(cfg.Accounts), float64(cfg.Accounts))
	between("smb share", segments["smb"]/n, 0.55, 0.65)
	between("mid share", segments["mid"]/n, 0.25, 0.35)
	between("enterprise share", segments["enterprise"]/n, 0.07, 0.13)
	between("share with a row in week 1", existing/n, 0.35, 0.46)
	between("smb annual churn", churns["smb"]/years["smb"], 0.12, 0.28)
	between("mid annual churn", churns["mid"]/years["mid"], 0.05, 0.15)
	between("enterprise annual churn", churns["enterprise"]/years["enterprise"], 0.015, 0.11)
	between("missing weeks", missing/(missing+present), 0.008, 0.025)

	var atRenewal, churned float64
	var overdue, overdueNext float64
	weekly := make([]struct{ rows, breached, logins float64 }, cfg.Weeks)
	for i := range rows {
		s := &rows[i]
		w := &weekly[int(s.Week-cfg.Start)/7]
		w.rows++
		w.logins += float64(s.Logins)
		if s.SLABreaches > 0 {
			w.breached++
		}
		if s.Churned {
			churned++
			if s.RenewalDate < s.Week.AddDays(7) {
				atRenewal++
			}
		}
	}
	for _, h := range hs {
		for w := h.first; w < h.last; w++ {
			if s, next := h.rows[w], h.rows[w+1]; s != nil && next != nil && s.OverdueInvoices > 0 {
				overdue++
				if next.OverdueInvoices > 0 {
					overdueNext++
				}
			}
		}
	}
	// Contracts end at renewals, so nearly all churn falls on one; the
	// rest are acquisitions and shutdowns.
	between("share of churns at a renewal", atRenewal/churned, 0.85, 0.995)
	between("overdue invoices still overdue a week later", overdueNext/overdue, 0.6, 0.99)

	// Incidents hit many accounts in the same week.
	shares := make([]float64, cfg.Weeks)
	for i, w := range weekly {
		shares[i] = w.breached / w.rows
	}
	typical := median(shares)
	incidents := 0
	for _, s := range shares {
		if s > 2.5*typical {
			incidents++
		}
	}
	between("incident weeks", float64(incidents), 2, 20)

	// Activity per row dips over the holidays and in summer.
	perRow := func(from, to string) float64 {
		var l, r float64
		for w := int(mustDate(t, from)-cfg.Start) / 7; w <= int(mustDate(t, to)-cfg.Start)/7; w++ {
			l += weekly[w].logins
			r += weekly[w].rows
		}
		return l / r
	}
	spring := perRow("2023-03-06", "2023-05-29")
	between("holiday activity / spring", perRow("2023-12-25", "2023-12-25")/spring, 0.3, 0.8)
	between("August activity / spring", perRow("2023-07-31", "2023-08-14")/spring, 0.7, 0.95)
}

func TestRunRevenueMoves(t *testing.T) {
	cfg, err := rateRun().normalize()
	if err != nil {
		t.Fatal(err)
	}
	var grew, shrank, kept float64
	for _, h := range histories(cfg, simulate(t, cfg)) {
		start, end := h.rows[0], h.rows[cfg.Weeks-1]
		if start == nil || end == nil {
			continue
		}
		kept++
		switch {
		case end.ARR > start.ARR:
			grew++
		case end.ARR < start.ARR:
			shrank++
		}
	}
	if grew/kept < 0.3 || shrank/kept < 0.05 {
		t.Errorf("of %v accounts kept for two years %v grew and %v shrank, want both common", kept, grew, shrank)
	}
}

// TestLeadingSignal checks that churn is announced by falling activity,
// and that the announcement is not a certainty: some churn comes out of
// the blue, and falling activity does not always end in churn.
func TestLeadingSignal(t *testing.T) {
	cfg, err := rateRun().normalize()
	if err != nil {
		t.Fatal(err)
	}
	hs := histories(cfg, simulate(t, cfg))

	var churners, survivors []float64
	for _, h := range hs {
		switch {
		case h.churned:
			if r := h.loginTrend(h.last); !math.IsNaN(r) {
				churners = append(churners, r)
			}
		case h.last == cfg.Weeks-1:
			// Week 60 keeps both windows clear of the holidays.
			if r := h.loginTrend(60); !math.IsNaN(r) {
				survivors = append(survivors, r)
			}
		}
	}
	if len(churners) < 100 {
		t.Fatalf("only %d churners with history", len(churners))
	}
	if m := median(churners); m > 0.5 {
		t.Errorf("churners' median login trend before churn = %.2f, want < 0.5", m)
	}
	if m := median(survivors); m < 0.85 || m > 1.15 {
		t.Errorf("survivors' median login trend = %.2f, want about 1", m)
	}
	steady := 0
	for _, r := range churners {
		if r > 0.8 {
			steady++
		}
	}
	if f := float64(steady) / float64(len(churners)); f < 0.05 || f > 0.4 {
		t.Errorf("%.2f of churners left without a drop in logins, want a minority", f)
	}

	// A one-feature score ranks account-weeks by their churn in the
	// next 12 weeks well, but far from perfectly.
	const horizon = 12
	var scores, labels []float64
	for _, h := range hs {
		for w := h.first; w <= h.last; w++ {
			if h.rows[w] == nil || h.rows[w].Churned {
				continue
			}
			label := 0.0
			switch {
			case h.churned && h.last <= w+horizon:
				label = 1
			case !h.churned && h.last < w+horizon:
				continue // censored
			}
			if r := h.loginTrend(w); !math.IsNaN(r) {
				scores = append(scores, -r)
				labels = append(labels, label)
			}
		}
	}
	if auc := rocAUC(scores, labels); auc < 0.6 || auc > 0.85 {
		t.Errorf("ROC AUC of the login trend = %.3f, want in [0.6, 0.85]", auc)
	}
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

// rocAUC returns the chance that a random positive scores above a random
// negative, counting ties as half.
func rocAUC(scores, labels []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var rankSum, pos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // mean 1-based rank of the tie group
		for _, k := range idx[i:j] {
			if labels[k] == 1 {
				rankSum += mid
				pos++
			}
		}
		i = j
	}
	neg := float64(len(scores)) - pos
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var m collector
	var calls []int
	err := Run(ctx, Config{Accounts: 100, Weeks: 50}, &m, func(week, weeks int) {
		calls = append(calls, week)
		if week == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	if !slices.Equal(calls, []int{1, 2, 3}) {
		t.Errorf("progress called for weeks %v, want 1 2 3", calls)
	}
	lastWeek := DefaultStart.AddDays(14)
	for _, s := range m.rows {
		if s.Week > lastWeek {
			t.Fatalf("row for %s written after cancel in week 3", s.Week)
		}
	}

	// A context cancelled before the start writes nothing.
	m.rows = nil
	if err := Run(ctx, Config{Accounts: 10}, &m, nil); !errors.Is(err, context.Canceled) || len(m.rows) > 0 {
		t.Errorf("Run with a cancelled context = %v and %d rows, want context.Canceled and none", err, len(m.rows))
	}
}

// cancelWriter cancels its context at its first write.
type cancelWriter struct {
	cancel func()
	rows   int
}

func (w *cancelWriter) Write(*features.Snapshot) error {
	w.cancel()
	w.rows++
	return nil
}

// TestRunCancelWithinWeek cancels in the middle of a week of many
// accounts: the week must stop there, not play every account first.
func TestRunCancelWithinWeek(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{cancel: cancel}
	if err := Run(ctx, Config{Accounts: 3 * 4096, Weeks: 1}, w, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if w.rows >= 4096 {
		t.Errorf("%d rows written after the cancel at the first, want fewer than %d", w.rows, 4096)
	}
}

// failWriter fails from its nth write on.
type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failWriter) Write(*features.Snapshot) error {
	if f.n--; f.n < 0 {
		return errDiskFull
	}
	return nil
}

func TestRunWriteError(t *testing.T) {
	err := Run(context.Background(), Config{Accounts: 50, Weeks: 10}, &failWriter{n: 70}, nil)
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("Run = %v, want the writer's error", err)
	}
	if !strings.Contains(err.Error(), "acct-") {
		t.Errorf("error %q does not name the account", err)
	}
}

func TestRunProgress(t *testing.T) {
	var got [][2]int
	err := Run(context.Background(), Config{Accounts: 5, Weeks: 4}, &collector{}, func(week, weeks int) {
		got = append(got, [2]int{week, weeks})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{1, 4}, {2, 4}, {3, 4}, {4, 4}}; !slices.Equal(got, want) {
		t.Errorf("progress calls %v, want %v", got, want)
	}
}

func TestRunBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"negative accounts", Config{Accounts: -1}, "accounts"},
		{"negative weeks", Config{Weeks: -5}, "weeks"},
		{"tuesday start", Config{Start: DefaultStart + 1}, "not a Monday"},
		{"no start", Config{Start: features.NoDate}, "start"},
		{"beyond the date range", Config{Weeks: math.MaxInt32 / 7}, "date range"},
		{"negative mix factor", Config{Mix: Mix{Churn: 1, Usage: -1, Support: 1, Billing: 1, Abrupt: 1, Noise: 1}}, "usage"},
		{"huge mix factor", Config{Mix: Mix{Churn: 11}}, "churn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &collector{}
			err := Run(context.Background(), tt.cfg, w, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run(%+v) = %v, want an error about %q", tt.cfg, err, tt.want)
			}
			if len(w.rows) > 0 {
				t.Errorf("%d rows written for a bad config", len(w.rows))
			}
		})
	}
}

func TestDefaultStart(t *testing.T) {
	if got := DefaultStart.String(); got != "2023-01-02" {
		t.Errorf("DefaultStart = %s, want 2023-01-02", got)
	}
	if got := DefaultStart.Time().Weekday(); got.String() != "Monday" {
		t.Errorf("DefaultStart is a %s", got)
	}
}

func TestSchema(t *testing.T) {
	want := []string{
		"account_id", "week", "logins", "frequency", "recency_days", "sla_breaches",
		"overdue_invoices", "churned", "arr", "segment", "renewal_date", "renewal_type", "seats", "active_users",
	}
	if got := Schema().Columns(); !slices.Equal(got, want) {
		t.Errorf("Schema().Columns() = %v, want %v", got, want)
	}
	// Callers may change the schema they get.
	s := Schema()
	s.Extras[0] = "changed"
	if Schema().Extras[0] != ColSeats {
		t.Error("changing one Schema() result changed the next")
	}
}

// TestRunStreams checks that memory does not grow with the number of
// rows: a run four times as long allocates no more often.
func TestRunStreams(t *testing.T) {
	allocs := func(weeks int) float64 {
		return testing.AllocsPerRun(2, func() {
			if err := Run(context.Background(), Config{Accounts: 300, Weeks: weeks}, discard{}, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	short, long := allocs(26), allocs(104)
	if long > short*1.05+5 {
		t.Errorf("104 weeks allocate %v times, 26 weeks %v: allocation grows with rows", long, short)
	}
}

func TestWeekday(t *testing.T) {
	for d := mustDate(t, "1969-12-01"); d < mustDate(t, "1970-03-01"); d++ {
		if got, want := weekday(d), (int(d.Time().Weekday())+6)%7; got != want {
			t.Fatalf("weekday(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestSeasonality(t *testing.T) {
	tests := []struct {
		week   string
		lo, hi float64
	}{
		{"2023-03-13", 0.99, 1},
		{"2023-10-16", 0.99, 1},
		{"2023-12-25", 0.55, 0.65},
		{"2024-01-01", 0.6, 0.85},
		{"2023-07-31", 0.84, 0.9},
		{"2023-06-19", 0.95, 1},
	}
	for _, tt := range tests {
		if got := seasonality(mustDate(t, tt.week)); got < tt.lo || got > tt.hi {
			t.Errorf("seasonality(%s) = %.3f, want in [%g, %g]", tt.week, got, tt.lo, tt.hi)
		}
	}
}

// discard is a Writer that drops every snapshot.
type discard struct{}

func (discard) Write(*features.Snapshot) error { return nil }

func BenchmarkRun(b *testing.B) {
	cfg := Config{Accounts: 2000, Weeks: 104}
	var rows int
	counter := countWriter{&rows}
	b.ReportAllocs()
	for b.Loop() {
		if err := Run(context.Background(), cfg, counter, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// countWriter counts the snapshots it is given.
type countWriter struct{ n *int }

func (c countWriter) Write(*features.Snapshot) error {
	*c.n++
	return nil
}

// FuzzRun checks the invariants over small runs of any seed, size and
// start.
func FuzzRun(f *testing.F) {
	f.Add(int64(1), uint8(20), uint8(30), uint16(0))
	f.Add(int64(-7), uint8(1), uint8(1), uint16(400))
	f.Add(int64(1<<40), uint8(200), uint8(120), uint16(9000))
	f.Fuzz(func(t *testing.T, seed int64, accounts, weeks uint8, startWeek uint16) {
		cfg := Config{
			Accounts: int(accounts),
			Weeks:    int(weeks),
			Start:    mustDate(t, "1990-01-01").AddDays(7 * int(startWeek)),
			Seed:     seed,
		}
		if accounts == 0 || weeks == 0 {
			// Zero means the default size, too slow for a fuzz target.
			return
		}
		norm, err := cfg.normalize()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkInvariants(norm, simulate(t, cfg)); err != nil {
			t.Fatal(err)
		}
	})
}
