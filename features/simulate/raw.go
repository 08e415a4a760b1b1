package simulate

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/churnlabs/churn/features"
)

// The raw tables RunRaw writes, by file name, and the mapping that rolls
// them up.
const (
	RawEvents   = "events.csv"
	RawTickets  = "tickets.csv"
	RawInvoices = "invoices.csv"
	RawAccounts = "accounts.csv"
	RawMapping  = "mapping.yaml"
)

// RawTables are the writers of the raw tables, each written as CSV with a
// header row.
type RawTables struct {
	// Events: account_id, user_id, ts, event. One row per login session
	// (login, sso_login), key action (export, report_created,
	// invite_sent) and cancellation (subscription_cancelled), in UTC.
	Events io.Writer
	// Tickets: ticket_id, account_id, created_at, priority, sla_minutes,
	// first_response_minutes.
	Tickets io.Writer
	// Invoices: invoice_id, account_id, kind, issued_on, due_on, paid_on
	// (empty: unpaid), amount.
	Invoices io.Writer
	// Accounts: account_id, effective_from, segment, billing, seats, arr,
	// renewal_date, contract_start, renewal_type; the first row effective from the
	// contract start, then one per change, effective from the Monday
	// after the week the change happened in.
	Accounts io.Writer
}

// RunRaw simulates the run Run would and writes, instead of its
// snapshots, the raw tables they summarise: product events, support
// tickets, invoices and the accounts table's history, with the history
// before the first week that the first snapshots depend on (the warm-up
// weeks' events, earlier renewals and invoices). Rolled up with
// RawMappingYAML (package events), they give Run's snapshots with
// Config.NoGaps set: every week, the gaps included. The simulation draws
// the same numbers as Run; the raw detail (times, users, ticket and
// invoice figures) comes from a second random source, so it changes
// nothing of the snapshots. Rows are streamed week by week.
func RunRaw(ctx context.Context, cfg Config, t RawTables, progress func(week, weeks int)) error {
	cfg, err := cfg.normalize()
	if err != nil {
		return err
	}
	s := newSimulation(cfg)
	raw := newRawWriter(cfg, t, len(s.accounts))
	s.raw = raw
	if err := s.run(ctx, discardSnapshots{}, progress); err != nil {
		return err
	}
	return raw.close(s)
}

// RawMappingYAML returns the mapping file that rolls the raw tables of cfg
// up into its snapshots, with the tables beside it.
func RawMappingYAML(cfg Config) ([]byte, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	last := cfg.Start.AddDays(7*cfg.Weeks - 1)
	return fmt.Appendf(nil, `# Written by churn gen --raw: churn snapshots --map %[7]s rolls these tables
# up into the snapshots churn gen --no-gaps writes for the same flags.
from: %[1]s    # the first snapshot week; earlier rows are history
until: %[2]s   # the export's last day
sources:
  - name: product
    path: %[3]s
    account: account_id
    time: ts
    logins: {column: event, in: [login, sso_login]}
    login_count: rows        # each login row is one session
    actions: {column: event, in: [export, report_created, invite_sent]}
    churn_event: {column: event, in: [subscription_cancelled]}
    count_distinct: [{column: user_id, as: active_users}]
  - name: support
    path: %[4]s
    kind: tickets
    account: account_id
    time: created_at
    sla_breach: {response: first_response_minutes, limit: sla_minutes}
  - name: billing
    path: %[5]s
    kind: invoices
    account: account_id
    time: issued_on
    invoice: {due: due_on, paid: paid_on}
accounts:
  path: %[6]s
  account: account_id
  effective_from: effective_from
  arr: arr
  segment: segment
  renewal_date: renewal_date
  renewal_type: renewal_type
  contract_start: contract_start
  extra: [{column: seats}]
`, cfg.Start, last, RawEvents, RawTickets, RawInvoices, RawAccounts, RawMapping), nil
}

// discardSnapshots drops Run's snapshots when only the raw tables are
// wanted.
type discardSnapshots struct{}

func (discardSnapshots) Write(*features.Snapshot) error { return nil }

// Raw detail: what the snapshots do not say.
const (
	// weekendWeight is how likely a Saturday or Sunday is, next to a
	// weekday, for a login, action or ticket.
	weekendWeight = 0.15
	// okTickets is the tickets answered in time per SLA breach an
	// account expects in normal operation: most tickets meet their SLA.
	okTickets = 6
	// netDays is the payment term of an invoice.
	netDays = 30
)

// Event kinds.
var (
	loginKinds  = [...]string{"login", "sso_login"}
	actionKinds = [...]string{"export", "report_created", "invite_sent"}
)

const cancelKind = "subscription_cancelled"

// rawEvent is one product event of an account-week.
type rawEvent struct {
	day  int8  // 0 = Monday
	sec  int32 // second of the day
	user int32
	kind string
}

// openInvoice is an invoice past due and not paid yet.
type openInvoice struct {
	id          int64
	issued, due features.Date
	amount      float64
}

// rawWriter turns the simulation's weekly state into raw rows.
type rawWriter struct {
	r                         *rand.Rand
	start, end                features.Date // first Monday, last Sunday
	events, tickets, invoices *bufio.Writer
	accountsW                 *bufio.Writer
	buf                       []byte
	week                      []rawEvent
	keys                      []uint64
	// dayText caches the text of the last day written as a time.
	dayText             []byte
	textDay             features.Date
	perm                []int32
	open                [][]openInvoice // per account
	ticketID, invoiceID int64
	slaMinutes          [numSegments]int
	dayWeights          [7]float64
	err                 error
}

func newRawWriter(cfg Config, t RawTables, accounts int) *rawWriter {
	w := &rawWriter{
		r:          rand.New(rand.NewPCG(uint64(cfg.Seed), 0x726177)), // "raw"
		start:      cfg.Start,
		end:        cfg.Start.AddDays(7*cfg.Weeks - 1),
		events:     bufio.NewWriterSize(t.Events, 1<<16),
		tickets:    bufio.NewWriter(t.Tickets),
		invoices:   bufio.NewWriter(t.Invoices),
		accountsW:  bufio.NewWriter(t.Accounts),
		open:       make([][]openInvoice, accounts),
		slaMinutes: [numSegments]int{smb: 480, mid: 240, enterprise: 60},
		dayWeights: [7]float64{1, 1, 1, 1, 1, weekendWeight, weekendWeight},
	}
	w.events.WriteString("account_id,user_id,ts,event\n")
	w.tickets.WriteString("ticket_id,account_id,created_at,priority,sla_minutes,first_response_minutes\n")
	w.invoices.WriteString("invoice_id,account_id,kind,issued_on,due_on,paid_on,amount\n")
	w.accountsW.WriteString("account_id,effective_from,segment,billing,seats,arr,renewal_date,contract_start,renewal_type\n")
	return w
}

// contractStart is the day a's contract started.
func (w *rawWriter) contractStart(a *account) features.Date {
	return w.start.AddDays(7*a.signup + a.startOffset)
}

// begin writes what precedes a's first simulated week, whose Monday is
// mon: its contract's first terms, for an account older than the
// warm-up its earlier renewals, and its last key action before the
// simulation picks it up. It runs before rollTo.
func (w *rawWriter) begin(a *account, mon features.Date) {
	start := w.contractStart(a)
	w.accountRow(a, start, a.seats, a.arr, a.renewal)
	w.periodInvoice(a, start, a.arr)
	for r := a.renewal; r < mon; {
		next := addMonths(r, a.term())
		w.accountRow(a, r.Monday()+7, a.seats, a.arr, next)
		w.periodInvoice(a, r, a.arr)
		r = next
	}
	if start < mon {
		// Existing accounts enter the warm-up a.recency days after their
		// last key action of the week before.
		day := mon - 1 - features.Date(a.recency)
		w.event(a, day, w.workSecond(), int32(w.r.Int64N(a.seats)), actionKinds[0])
	}
}

// step writes a's week t, whose snapshot is obs, after the simulation
// has played it: the terms in a are those from the next week on.
func (w *rawWriter) step(a *account, idx int, wk *week, t int, obs *observation) error {
	mon := wk.start
	first := 0
	if t == a.signup {
		first = a.startOffset
	}
	if err := w.activity(a, mon, first, obs); err != nil {
		return fmt.Errorf("simulate: raw %s week %s: %w", a.id, mon, err)
	}
	w.support(a, mon, first, obs.slaBreaches)
	w.billing(a, idx, mon, obs)
	if obs.churned {
		// Cancelled at the renewal (or any day of an abrupt exit), but
		// not before the week's last event: nobody works in a product
		// after cancelling it.
		day, sec := first+w.r.IntN(7-first), w.workSecond()
		if obs.renewal <= mon+6 {
			day = int(obs.renewal - mon)
		}
		if n := len(w.keys); n > 0 {
			last := &w.week[uint32(w.keys[n-1])]
			if int(last.day) > day || int(last.day) == day && last.sec >= sec {
				day, sec = int(last.day), min(86399, last.sec+1+w.r.Int32N(3600))
			}
		}
		w.event(a, mon+features.Date(day), sec, 0, cancelKind)
		w.flushOpen(a, idx)
		return w.err
	}
	// Changes of this week take effect from the next one.
	if next := mon + 7; next <= w.end && (a.seats != obs.seats || a.arr != obs.arr || a.renewal != obs.renewal) {
		w.accountRow(a, next, a.seats, a.arr, a.renewal)
	}
	if a.renewal != obs.renewal {
		w.periodInvoice(a, obs.renewal, a.arr)
	}
	return w.err
}

// activity writes the week's logins, key actions: each active user logs
// in once and the rest of the sessions fall on random active users; the
// last key action falls on the day recency says, the others before it.
func (w *rawWriter) activity(a *account, mon features.Date, first int, obs *observation) error {
	active := obs.activeUsers
	if active > obs.seats || obs.logins < active || (active == 0 && obs.logins+obs.frequency > 0) {
		return fmt.Errorf("%d logins and %d key actions by %d active users of %d seats", obs.logins, obs.frequency, active, obs.seats)
	}
	w.week = w.week[:0]
	if active > 0 {
		// The active users: a random sample of the seats.
		seats := int(obs.seats)
		w.perm = w.perm[:0]
		for i := range seats {
			w.perm = append(w.perm, int32(i))
		}
		for i := range int(active) {
			j := i + w.r.IntN(seats-i)
			w.perm[i], w.perm[j] = w.perm[j], w.perm[i]
		}
		users := w.perm[:active]
		for i := range obs.logins {
			u := users[i%active]
			if i >= active {
				u = users[w.r.Int64N(active)]
			}
			w.week = append(w.week, rawEvent{day: int8(w.day(first, 6)), sec: w.workSecond(), user: u, kind: loginKinds[w.r.IntN(len(loginKinds))]})
		}
		if n := obs.frequency; n > 0 {
			last := 6 - int(obs.recency)
			if last < first {
				return fmt.Errorf("%d key actions but the last %d days before the week's end, before the week's first day %d", n, obs.recency, first)
			}
			for i := range n {
				d := last
				if i > 0 {
					d = w.day(first, last)
				}
				w.week = append(w.week, rawEvent{day: int8(d), sec: w.workSecond(), user: users[w.r.Int64N(active)], kind: actionKinds[w.r.IntN(len(actionKinds))]})
			}
		}
	} else if obs.frequency > 0 {
		return fmt.Errorf("%d key actions without an active user", obs.frequency)
	}
	// In time order: sorting integer keys (day, second, index) is several
	// times faster than sorting the events.
	w.keys = w.keys[:0]
	for i, e := range w.week {
		w.keys = append(w.keys, uint64(e.day)<<56|uint64(e.sec)<<32|uint64(i))
	}
	slices.Sort(w.keys)
	for _, k := range w.keys {
		e := &w.week[uint32(k)]
		w.event(a, mon+features.Date(e.day), e.sec, e.user, e.kind)
	}
	return nil
}

// day draws a weekday in [lo, hi], weekends less often.
func (w *rawWriter) day(lo, hi int) int {
	var total float64
	for d := lo; d <= hi; d++ {
		total += w.dayWeights[d]
	}
	u := w.r.Float64() * total
	for d := lo; d < hi; d++ {
		if u -= w.dayWeights[d]; u < 0 {
			return d
		}
	}
	return hi
}

// workSecond draws a time of day around office hours.
func (w *rawWriter) workSecond() int32 {
	s := 13*3600 + 3*3600*w.r.NormFloat64()
	return int32(min(86399, max(0, s)))
}

// support writes the week's tickets: breaches answered after their SLA,
// and the others in time.
func (w *rawWriter) support(a *account, mon features.Date, first int, breaches int64) {
	n := breaches + poisson(w.r, okTickets*a.ticketRate)
	for i := range n {
		sla, priority := w.slaMinutes[a.segment], "normal"
		if chance(w.r, 0.2) {
			sla, priority = sla/4, "high"
		}
		resp := int(float64(sla) * uniform(w.r, 0.05, 1))
		if i < breaches {
			resp = sla + 1 + int(float64(sla)*w.r.ExpFloat64())
		}
		day := mon + features.Date(w.day(first, 6))
		w.ticketID++
		b := append(w.buf[:0], 'T')
		b = strconv.AppendInt(b, w.ticketID, 10)
		b = append(b, ',')
		b = append(b, a.id...)
		b = append(b, ',')
		b = appendTime(b, day, int32(w.r.IntN(86400)))
		b = append(b, ',')
		b = append(b, priority...)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(sla), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(resp), 10)
		b = append(b, '\n')
		w.write(w.tickets, b)
	}
}

// billing writes the week's overdue invoices: the simulation's paid ones
// (oldest first) are paid this week, its new one is due this week, by
// Saturday, so it is overdue at the end of Sunday.
func (w *rawWriter) billing(a *account, idx int, mon features.Date, obs *observation) {
	open := w.open[idx]
	for range a.paidNow {
		inv := open[0]
		open = open[1:]
		w.invoiceRow(a, inv.id, "usage", inv.issued, inv.due, mon+features.Date(w.r.IntN(7)), inv.amount)
	}
	if a.lateNow {
		w.invoiceID++
		due := mon + features.Date(w.r.IntN(6))
		open = append(open, openInvoice{
			id: w.invoiceID, issued: due - netDays, due: due,
			amount: cents(obs.arr * uniform(w.r, 0.01, 0.05)),
		})
	}
	if int64(len(open)) != obs.overdue {
		w.fail(fmt.Errorf("simulate: raw %s week %s: %d open invoices, the snapshot says %d overdue", a.id, mon, len(open), obs.overdue))
	}
	w.open[idx] = open
}

// flushOpen writes a's invoices still unpaid.
func (w *rawWriter) flushOpen(a *account, idx int) {
	for _, inv := range w.open[idx] {
		w.invoiceRow(a, inv.id, "usage", inv.issued, inv.due, features.NoDate, inv.amount)
	}
	w.open[idx] = nil
}

// periodInvoice writes the invoice of a contract period starting on day,
// paid in time.
func (w *rawWriter) periodInvoice(a *account, day features.Date, arr float64) {
	if day > w.end {
		return
	}
	amount := arr
	if a.monthly {
		amount = cents(arr / 12)
	}
	w.invoiceID++
	paid := day + features.Date(w.r.IntN(netDays-1))
	if paid > w.end {
		paid = features.NoDate // not paid yet when the data was exported
	}
	w.invoiceRow(a, w.invoiceID, "subscription", day, day+netDays, paid, amount)
}

func (w *rawWriter) invoiceRow(a *account, id int64, kind string, issued, due, paid features.Date, amount float64) {
	b := append(w.buf[:0], "INV"...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ',')
	b = append(b, a.id...)
	b = append(b, ',')
	b = append(b, kind...)
	b = append(b, ',')
	b = appendDate(b, issued)
	b = append(b, ',')
	b = appendDate(b, due)
	b = append(b, ',')
	if paid != features.NoDate {
		b = appendDate(b, paid)
	}
	b = append(b, ',')
	b = strconv.AppendFloat(b, amount, 'f', 2, 64)
	b = append(b, '\n')
	w.write(w.invoices, b)
}

func (w *rawWriter) accountRow(a *account, from features.Date, seats int64, arr float64, renewal features.Date) {
	b := append(w.buf[:0], a.id...)
	b = append(b, ',')
	b = appendDate(b, from)
	b = append(b, ',')
	b = append(b, a.segment.String()...)
	b = append(b, ',')
	if a.monthly {
		b = append(b, "monthly"...)
	} else {
		b = append(b, "annual"...)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, seats, 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, arr, 'f', -1, 64)
	b = append(b, ',')
	b = appendDate(b, renewal)
	b = append(b, ',')
	b = appendDate(b, w.contractStart(a))
	b = append(b, ',')
	b = append(b, a.renewalType...)
	b = append(b, '\n')
	w.write(w.accountsW, b)
}

func (w *rawWriter) event(a *account, day features.Date, sec int32, user int32, kind string) {
	b := append(w.buf[:0], a.id...)
	b = append(b, ',')
	b = append(b, a.id...)
	b = append(b, "-u"...)
	b = strconv.AppendInt(b, int64(user)+1, 10)
	b = append(b, ',')
	if day != w.textDay || w.dayText == nil {
		w.textDay, w.dayText = day, appendDate(w.dayText[:0], day)
	}
	b = append(b, w.dayText...)
	b = appendClock(b, sec)
	b = append(b, ',')
	b = append(b, kind...)
	b = append(b, '\n')
	w.write(w.events, b)
}

func (w *rawWriter) write(bw *bufio.Writer, b []byte) {
	w.buf = b[:0]
	if w.err != nil {
		return
	}
	if _, err := bw.Write(b); err != nil {
		w.fail(fmt.Errorf("simulate: write raw rows: %w", err))
	}
}

func (w *rawWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// close writes the invoices still unpaid at the end and flushes.
func (w *rawWriter) close(s *simulation) error {
	for i := range s.accounts {
		if !s.accounts[i].churned {
			w.flushOpen(&s.accounts[i], i)
		}
	}
	for _, bw := range []*bufio.Writer{w.events, w.tickets, w.invoices, w.accountsW} {
		if err := bw.Flush(); err != nil {
			w.fail(fmt.Errorf("simulate: write raw rows: %w", err))
		}
	}
	return w.err
}

// appendDate appends d as YYYY-MM-DD.
func appendDate(b []byte, d features.Date) []byte {
	y, m, dd := d.Time().Date()
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, int(m), 2)
	b = append(b, '-')
	return appendPadded(b, dd, 2)
}

// appendTime appends day at sec seconds as an RFC 3339 UTC time.
func appendTime(b []byte, day features.Date, sec int32) []byte {
	b = appendDate(b, day)
	return appendClock(b, sec)
}

// appendClock appends "THH:MM:SSZ".
func appendClock(b []byte, sec int32) []byte {
	h, m, s := sec/3600, sec/60%60, sec%60
	return append(b, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10),
		':', byte('0'+s/10), byte('0'+s%10), 'Z')
}

func appendPadded(b []byte, n, width int) []byte {
	start := len(b)
	b = strconv.AppendInt(b, int64(n), 10)
	for len(b)-start < width {
		b = append(b, 0)
		copy(b[start+1:], b[start:])
		b[start] = '0'
	}
	return b
}
