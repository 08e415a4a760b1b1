package simulate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/churnlabs/churn/features"
)

// Config sizes and seeds a simulation. Zero values mean the defaults.
type Config struct {
	// Accounts is the number of accounts ever signed up; default 3000.
	Accounts int
	// Weeks is the number of snapshot weeks; default 104 (two years).
	Weeks int
	// Start is the first snapshot week, a Monday; default 2023-01-02.
	Start features.Date
	// Seed selects the run: the same seed gives byte-identical output.
	// Default 1, so seeds 0 and 1 give the same run.
	Seed int64
	// NoGaps writes every week of every account: the weeks Run would
	// leave out as unreported (gapRate) are written too, and the other
	// rows are the same. The raw tables (RunRaw) have no gaps.
	NoGaps bool
	// Mix scales the mechanisms that drive churn; the zero Mix is
	// DefaultMix.
	Mix Mix
}

// Defaults for the zero fields of a Config.
const (
	DefaultAccounts = 3000
	DefaultWeeks    = 104
	// DefaultStart is 2023-01-02, a Monday.
	DefaultStart features.Date = 19359
	DefaultSeed                = 1
)

// Extra columns Run writes beside the contract's.
const (
	// ColSeats is the number of seats (licensed users) under contract.
	ColSeats = "seats"
	// ColActiveUsers is the number of users active in the week; it never
	// exceeds seats.
	ColActiveUsers = "active_users"
)

// Writer receives snapshots in order; csvfile.Writer and
// parquetfile.Writer satisfy it. Run reuses the snapshot, Extra
// included, for the next row, so Write must not retain it.
type Writer interface {
	Write(s *features.Snapshot) error
}

// Schema is the column set Run writes: churned, arr, segment,
// renewal_date, renewal_type and the extras "seats" and "active_users".
func Schema() features.Schema {
	return features.Schema{
		HasChurned:     true,
		HasARR:         true,
		HasSegment:     true,
		HasRenewal:     true,
		HasRenewalType: true,
		Extras:         []string{ColSeats, ColActiveUsers},
	}
}

// Population and data-quality knobs.
const (
	// existingShare is the fraction of accounts signed up before the
	// first snapshot week.
	existingShare = 0.4
	// warmupWeeks is how much of an existing account's history is
	// simulated unobserved, so that at week 1 its health, phase, breach
	// load and invoices are in a state the mechanisms produce themselves.
	warmupWeeks = 26
	// meanPriorTenure is the mean tenure, in weeks, of existing accounts
	// beyond the warm-up.
	meanPriorTenure = 70
	// maxPriorTenure caps it, in weeks.
	maxPriorTenure = 520
	// gapRate is the chance that a non-final week of an account is
	// missing from the data.
	gapRate = 0.015
)

// Snapshots runs a simulation into memory, for tests and notebooks: a
// book of a few thousand accounts is a few tens of megabytes.
func Snapshots(ctx context.Context, cfg Config) ([]features.Snapshot, error) {
	var c collector
	err := Run(ctx, cfg, &c, nil)
	return c.rows, err
}

// collector keeps every snapshot it is given; Run reuses its snapshot, so
// it copies.
type collector struct{ rows []features.Snapshot }

func (c *collector) Write(s *features.Snapshot) error {
	r := *s
	r.Extra = slices.Clone(s.Extra)
	c.rows = append(c.rows, r)
	return nil
}

// Run simulates and streams snapshots to w, week by week (all live
// accounts of week 1, then week 2, ...). It checks ctx between weeks.
// progress (may be nil) is called after each week with the number of
// weeks done and the total.
func Run(ctx context.Context, cfg Config, w Writer, progress func(week, weeks int)) error {
	cfg, err := cfg.normalize()
	if err != nil {
		return err
	}
	s := newSimulation(cfg)
	return s.run(ctx, w, progress)
}

// normalize fills in the defaults and rejects what cannot be simulated.
func (c Config) normalize() (Config, error) {
	if c.Accounts == 0 {
		c.Accounts = DefaultAccounts
	}
	if c.Weeks == 0 {
		c.Weeks = DefaultWeeks
	}
	if c.Start == 0 {
		c.Start = DefaultStart
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.Mix == (Mix{}) {
		c.Mix = DefaultMix()
	}
	if err := c.Mix.check(); err != nil {
		return c, err
	}
	switch {
	case c.Accounts < 0:
		return c, fmt.Errorf("simulate: %d accounts: must not be negative", c.Accounts)
	case c.Weeks < 0:
		return c, fmt.Errorf("simulate: %d weeks: must not be negative", c.Weeks)
	case c.Start == features.NoDate:
		return c, errors.New("simulate: no start date")
	case weekday(c.Start) != 0:
		return c, fmt.Errorf("simulate: start %s is not a Monday", c.Start)
	}
	// Renewals run up to a year past the last week; every date must stay
	// a valid Date.
	last := int64(c.Start) + 7*int64(c.Weeks) + 400
	first := int64(c.Start) - 7*int64(warmupWeeks) - 7*int64(maxPriorTenure)
	if last > math.MaxInt32 || first <= int64(features.NoDate) {
		return c, fmt.Errorf("simulate: %d weeks from %s run out of the date range", c.Weeks, c.Start)
	}
	return c, nil
}

// weekday returns the day of the week of d, 0 for Monday.
func weekday(d features.Date) int {
	// 1970-01-01 was a Thursday.
	return ((int(d)+3)%7 + 7) % 7
}

// simulation is one run: its random source, calendar, segment profiles
// and accounts. Its size grows with the number of accounts, never rows.
type simulation struct {
	cfg      Config
	r        *rand.Rand
	cal      calendar
	profiles [numSegments]profile
	accounts []account
	// raw, when set, writes the raw tables of every simulated week.
	raw *rawWriter
}

// newSimulation lays out the calendar and signs up every account. Accounts
// are numbered in sign-up order, as a real system would issue their IDs.
func newSimulation(cfg Config) *simulation {
	s := &simulation{
		cfg:      cfg,
		r:        rand.New(rand.NewPCG(uint64(cfg.Seed), 0x636875726e)), // "churn"
		profiles: profiles(cfg.Mix),
	}
	s.cal = newCalendar(s.r, cfg.Start, warmupWeeks, cfg.Weeks)

	signups := make([]int, cfg.Accounts)
	for i := range signups {
		if chance(s.r, existingShare) {
			tenure := warmupWeeks + min(maxPriorTenure, int(s.r.ExpFloat64()*meanPriorTenure))
			signups[i] = -tenure
		} else {
			signups[i] = s.r.IntN(cfg.Weeks)
		}
	}
	slices.Sort(signups)

	width := max(5, len(fmt.Sprint(cfg.Accounts)))
	s.accounts = make([]account, cfg.Accounts)
	for i, signup := range signups {
		id := fmt.Sprintf("acct-%0*d", width, i+1)
		weekStart := cfg.Start.AddDays(7 * signup)
		s.accounts[i] = newAccount(s.r, &s.profiles, id, signup, weekStart)
		s.accounts[i].renewalType = renewalType(cfg.Seed, &s.accounts[i])
	}
	return s
}

// checkAccounts is how many accounts a week plays between looks at the
// context.
const checkAccounts = 4096

// run plays the warm-up of the existing accounts, then the observed
// weeks.
func (s *simulation) run(ctx context.Context, w Writer, progress func(week, weeks int)) error {
	for i := range s.accounts {
		a := &s.accounts[i]
		if a.signup >= 0 {
			// Accounts are in sign-up order: the rest are new.
			break
		}
		if s.raw != nil {
			s.raw.begin(a, s.cal.at(-warmupWeeks).start)
		}
		a.rollTo(s.cal.at(-warmupWeeks).start)
		for t := -warmupWeeks; t < 0; t++ {
			wk := s.cal.at(t)
			obs := a.step(s.r, &s.profiles[a.segment], wk, t, false)
			if s.raw != nil {
				if err := s.raw.step(a, i, wk, t, &obs); err != nil {
					return err
				}
			}
		}
		a.rows = 0
	}

	snap := features.Snapshot{Extra: make([]float64, 2)}
	joined := 0
	for t := range s.cfg.Weeks {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("simulate: stopped before week %d of %d: %w", t+1, s.cfg.Weeks, err)
		}
		wk := s.cal.at(t)
		for joined < len(s.accounts) && s.accounts[joined].signup <= t {
			joined++
		}
		for i := range s.accounts[:joined] {
			// A week of a million accounts takes seconds: look at ctx
			// within it too.
			if i%checkAccounts == checkAccounts-1 {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("simulate: stopped in week %d of %d: %w", t+1, s.cfg.Weeks, err)
				}
			}
			a := &s.accounts[i]
			if a.churned {
				continue
			}
			first := a.rows == 0
			if s.raw != nil && t == a.signup {
				s.raw.begin(a, wk.start)
			}
			obs := a.step(s.r, &s.profiles[a.segment], wk, t, true)
			if s.raw != nil {
				if err := s.raw.step(a, i, wk, t, &obs); err != nil {
					return err
				}
			}
			// The gap is drawn with NoGaps too, so the rows are the same.
			if !first && !obs.churned && t < s.cfg.Weeks-1 && chance(s.r, gapRate) && !s.cfg.NoGaps {
				continue
			}
			a.fill(&snap, wk, &obs)
			if err := w.Write(&snap); err != nil {
				return fmt.Errorf("simulate: write %s week %s: %w", a.id, wk.start, err)
			}
		}
		if progress != nil {
			progress(t+1, s.cfg.Weeks)
		}
	}
	return nil
}

// fill writes the account's week into snap.
func (a *account) fill(snap *features.Snapshot, wk *week, obs *observation) {
	snap.AccountID = a.id
	snap.Week = wk.start
	snap.Logins = obs.logins
	snap.Frequency = obs.frequency
	snap.RecencyDays = obs.recency
	snap.SLABreaches = obs.slaBreaches
	snap.OverdueInvoices = obs.overdue
	snap.Churned = obs.churned
	snap.ARR = obs.arr
	snap.Segment = a.segment.String()
	snap.RenewalDate = obs.renewal
	snap.RenewalType = a.renewalType
	snap.Extra[0] = float64(obs.seats)
	snap.Extra[1] = float64(obs.activeUsers)
}
