// Command genevents writes a reproducible raw event log for the roll-up's
// benchmark (make bench-events): a product's events over two years, as a
// warehouse export would hold them, so that `churn snapshots` and its pandas
// peer time the same realistic file.
//
//	go run ./features/events/internal/genevents -events 10000000 -out events.csv
//
// The file has a header and the columns ts (RFC 3339, UTC, to the second),
// account_id, user_id, event_type and amount (a price with cents on
// purchases, empty otherwise), in time order, as an export sorted by time
// is. Accounts sign up over the first 18 months, are active on some
// weekdays more than weekends, at hours peaking in working hours, with a
// few users each; about a third go quiet for good at some point and about
// one in eight takes a long break and comes back (the silence churn rule
// meets both). The file holds exactly -events rows, and the same flags
// give the same bytes.
//
// It is a benchmark tool, internal to the roll-up: `churn gen` writes
// simulated snapshots and raw tables for users.
package main

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "genevents:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("genevents", flag.ContinueOnError)
	var cfg config
	fs.IntVar(&cfg.events, "events", 10_000_000, "rows to write")
	fs.IntVar(&cfg.accounts, "accounts", 20_000, "accounts")
	fs.IntVar(&cfg.days, "days", 730, "days of data, from -start")
	start := fs.String("start", "2024-01-01", "first day, YYYY-MM-DD")
	fs.Uint64Var(&cfg.seed, "seed", 1, "random seed")
	out := fs.String("out", "", "file to write (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	t, err := time.Parse(time.DateOnly, *start)
	if err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	cfg.start = t
	if cfg.events < 0 || cfg.accounts < 1 || cfg.days < 28 {
		return errors.New("want -events >= 0, -accounts >= 1 and -days >= 28")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n, err := generate(w, cfg)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d events of %d accounts over %d days from %s\n", *out, n, cfg.accounts, cfg.days, *start)
	return nil
}

type config struct {
	events, accounts, days int
	start                  time.Time
	seed                   uint64
}

// profile is one account's behaviour.
type profile struct {
	id         string
	signup     int     // first day it can be active
	quit       int     // first day it never is again (days if never)
	breakFrom  int     // a long break: no activity on [breakFrom, breakTo)
	breakTo    int     //
	pActive    float64 // chance of activity on a weekday (weekends: a third)
	users      int     // users of the account
	userBase   int     // its first user's number
	perDay     float64 // mean events on an active day, before scaling
	purchasing float64 // share of its events that are purchases
}

var eventTypes = []string{"login", "view", "search", "export", "invite", "purchase"}

// generate writes the file and returns its rows. It works in two passes of
// the same random streams: the first draws how many events fall on each
// account-day, scaled so that they add up to exactly cfg.events; the second
// writes them, one day at a time in time order.
func generate(w io.Writer, cfg config) (int, error) {
	rng := rand.New(rand.NewPCG(cfg.seed, 0x5eed))
	accts := make([]profile, cfg.accounts)
	users := 0
	// Account ids are numbered in a shuffled order, so that an id says
	// nothing of the account's signup day.
	order := rng.Perm(cfg.accounts)
	for i := range accts {
		p := &accts[i]
		p.id = fmt.Sprintf("acct-%06d", order[i])
		p.signup = rng.IntN(cfg.days * 3 / 4)
		p.quit = cfg.days
		if rng.Float64() < 0.35 {
			p.quit = p.signup + 14 + rng.IntN(cfg.days)
		}
		p.breakFrom, p.breakTo = -1, -1
		if rng.Float64() < 0.12 {
			p.breakFrom = p.signup + rng.IntN(cfg.days/2+1)
			p.breakTo = p.breakFrom + 91 + rng.IntN(120)
		}
		p.pActive = 0.15 + 0.8*rng.Float64()
		p.users = 1 + int(rng.ExpFloat64()*6)
		p.userBase = users
		users += p.users
		p.perDay = math.Exp(rng.NormFloat64() * 0.8) // lognormal, median 1
		p.purchasing = 0.02 * rng.Float64()
	}
	// Pass 1: events per account-day.
	counts := make([]uint16, cfg.accounts*cfg.days)
	var mass float64
	for i := range accts {
		p := &accts[i]
		for d := p.signup; d < min(p.quit, cfg.days); d++ {
			if d >= p.breakFrom && d < p.breakTo {
				continue
			}
			pa := p.pActive
			if wd := cfg.start.AddDate(0, 0, d).Weekday(); wd == time.Saturday || wd == time.Sunday {
				pa /= 3
			}
			if rng.Float64() < pa {
				counts[i*cfg.days+d] = 1 // active; the count comes below
				mass += p.perDay
			}
		}
	}
	if mass == 0 && cfg.events > 0 {
		return 0, errors.New("no active account-day: more days or accounts")
	}
	// Each active day gets 1 + Poisson events with a mean scaled to the
	// target; the total is then trimmed or topped up on random active
	// days to the exact figure.
	var active []int32
	for c, v := range counts {
		if v != 0 {
			active = append(active, int32(c))
		}
	}
	extra := float64(cfg.events-len(active)) / mass
	total := 0
	if extra < 0 {
		// Fewer events than active days: keep a random subset of the days.
		rng.Shuffle(len(active), func(i, j int) { active[i], active[j] = active[j], active[i] })
		for _, c := range active[cfg.events:] {
			counts[c] = 0
		}
		active = active[:cfg.events]
		total = cfg.events
	} else {
		for _, c := range active {
			n := 1 + poisson(rng, extra*accts[int(c)/cfg.days].perDay)
			counts[c] = uint16(min(n, math.MaxUint16/2))
			total += int(counts[c])
		}
	}
	for total > cfg.events {
		if c := active[rng.IntN(len(active))]; counts[c] > 1 {
			counts[c]--
			total--
		}
	}
	for total < cfg.events {
		if c := active[rng.IntN(len(active))]; counts[c] < math.MaxUint16 {
			counts[c]++
			total++
		}
	}
	// Pass 2: the rows, a day at a time, sorted by time.
	type event struct {
		sec   int32 // of the day
		acct  int32
		user  int32
		kind  uint8
		cents int32
	}
	if _, err := io.WriteString(w, "ts,account_id,user_id,event_type,amount\n"); err != nil {
		return 0, err
	}
	var day []event
	var line []byte
	for d := range cfg.days {
		day = day[:0]
		for i := range accts {
			n := int(counts[i*cfg.days+d])
			p := &accts[i]
			for range n {
				e := event{acct: int32(i), sec: int32(daySecond(rng)), user: int32(p.userBase + rng.IntN(p.users))}
				if rng.Float64() < p.purchasing {
					e.kind = uint8(len(eventTypes) - 1)
					e.cents = int32(100 + rng.IntN(50_000))
				} else {
					e.kind = uint8(rng.IntN(len(eventTypes) - 1))
				}
				day = append(day, e)
			}
		}
		slices.SortStableFunc(day, func(a, b event) int { return cmp.Compare(a.sec, b.sec) })
		date := cfg.start.AddDate(0, 0, d).Format("2006-01-02T")
		for _, e := range day {
			line = append(line[:0], date...)
			line = appendTwo(line, int(e.sec)/3600)
			line = append(line, ':')
			line = appendTwo(line, int(e.sec)/60%60)
			line = append(line, ':')
			line = appendTwo(line, int(e.sec)%60)
			line = append(line, "Z,"...)
			line = append(line, accts[e.acct].id...)
			line = append(line, ",u"...)
			line = strconv.AppendInt(line, int64(e.user), 10)
			line = append(line, ',')
			line = append(line, eventTypes[e.kind]...)
			line = append(line, ',')
			if e.cents > 0 {
				line = strconv.AppendInt(line, int64(e.cents/100), 10)
				line = append(line, '.')
				line = appendTwo(line, int(e.cents%100))
			}
			line = append(line, '\n')
			if _, err := w.Write(line); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

// daySecond draws a second of the day, most of them in working hours
// (UTC: the accounts are in Europe and the Americas).
func daySecond(rng *rand.Rand) int {
	if rng.Float64() < 0.8 {
		h := 8 + rng.NormFloat64()*3 + 6*float64(rng.IntN(2)) // two bumps
		s := int((h + 0.5) * 3600)
		if s >= 0 && s < 86400 {
			return s
		}
	}
	return rng.IntN(86400)
}

// poisson draws from a Poisson distribution of mean m: by inversion for a
// small mean, a rounded normal for a large one.
func poisson(rng *rand.Rand, m float64) int {
	if m > 30 {
		return max(0, int(math.Round(m+math.Sqrt(m)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-m), 0, rng.Float64()
	for p > l {
		k++
		p *= rng.Float64()
	}
	return k
}

// appendTwo appends n, 0-99, as two digits.
func appendTwo(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}
