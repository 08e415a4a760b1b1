package events

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/churnlabs/churn/features"
)

// lastWeek returns the Monday of the last complete week on or before day.
func lastWeek(day features.Date) features.Date {
	mon := day.Monday()
	if day-mon == 6 {
		return mon
	}
	return mon - 7
}

// finish decides each account's life and writes its weeks.
func (r *rollup) finish(ctx context.Context, w Writer) (*Report, error) {
	until := r.opt.Until
	if until == features.NoDate || until == 0 {
		until = r.maxDay
	} else if today := r.opt.Today; today != features.NoDate && today != 0 && until > today {
		// Weeks after today would be zero weeks that have not happened.
		return nil, fmt.Errorf("the data's last day %s is after today (%s)", until, today)
	}
	if until == features.NoDate {
		return nil, errors.New("no events: nothing to roll up")
	}
	last := lastWeek(until)
	end := last + 6 // the last day a snapshot sees
	if from := r.opt.From; from != features.NoDate && from != 0 && from.Monday() > last {
		return nil, fmt.Errorf("from %s is after the last complete week of the data (%s)", from, last)
	}

	rep := &Report{Schema: r.m.Schema(), Rows: r.rows, First: features.NoDate, Last: features.NoDate}

	ids := make([]string, 0, len(r.index))
	for id := range r.index {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	snap := features.Snapshot{Extra: make([]float64, r.accExtras+len(r.signals))}
	for n, id := range ids {
		if n&0x3ff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		a := r.index[id]
		origin := r.origin(a)
		if origin == features.NoDate {
			if a.other.file != "" {
				err := cellError(a.other, "", fmt.Errorf("account %q has no events: unknown account", id))
				if err := r.rowError(err, "unknown account"); err != nil {
					return nil, err
				}
			} else {
				count(r.notes, "account with no login or key action (no snapshots)", id)
			}
			continue
		}
		if origin > end {
			count(r.notes, "account whose first event is after the last complete week", id)
			continue
		}
		first := origin.Monday()
		if from := r.opt.From; from != features.NoDate && from != 0 && from.Monday() > first {
			first = from.Monday()
		}
		churn, explicit := r.churnDay(a, end)
		stop := last
		if churn != features.NoDate {
			stop = churn.Monday()
		}
		if stop < first {
			count(r.notes, "account that churned before the week of its first activity, or before from (no snapshots)", id)
			continue
		}
		// Activity after the churn week.
		if churn != features.NoDate && a.active && a.lastAct >= stop+7 {
			msg := fmt.Errorf("account %q has an event on %s after it churned on %s", id, a.lastAct, churn)
			if explicit {
				if a.churnRef.file != "" {
					msg = fmt.Errorf("%w (%s)", msg, a.churnRef)
				}
				if err := r.rowError(cellError(a.lastRef, "", msg), "events after churn"); err != nil {
					return nil, err
				}
			} else {
				count(r.notes, "customer back after a silence churn (later rows left out)", cellError(a.lastRef, "", msg).Error())
			}
		}
		if err := r.writeAccount(a, origin, first, churn, stop, &snap, w, rep); err != nil {
			return nil, err
		}
	}
	// Rows after the last complete week.
	if r.maxDay > end {
		count(r.notes, fmt.Sprintf("days after the last complete week (ending %s) left out", end), fmt.Sprintf("data runs to %s", r.maxDay))
	}
	rep.Warnings = sorted(r.warnings)
	rep.Notes = sorted(r.notes)
	if rep.Written == 0 {
		return rep, errors.New("no complete week with events: nothing to write")
	}
	return rep, nil
}

func sorted(m map[string]*Count) []Count {
	var out []Count
	for _, c := range m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Count) int { return strings.Compare(a.Reason, b.Reason) })
	return out
}

// churnDay returns the day the account churned, if on or before end, and
// whether it was explicit (a cancellation row or a contract end) rather
// than a silence.
func (r *rollup) churnDay(a *account, end features.Date) (features.Date, bool) {
	churn, explicit := features.NoDate, false
	if a.churn != features.NoDate && a.churn <= end {
		churn, explicit = a.churn, true
	}
	if n := len(a.versions); n > 0 {
		if ce := a.versions[n-1].contractEnd; ce != features.NoDate && ce <= end && (churn == features.NoDate || ce < churn) {
			churn, explicit = ce, true
		}
	}
	if r.silence > 0 {
		if s := r.firstSilence(a, end); s != features.NoDate && (churn == features.NoDate || s < churn) {
			churn, explicit = s, false
		}
	}
	return churn, explicit
}

// firstSilence returns the day the account's first silence of r.silence
// days is reached (last active day + silence, with no activity in
// between), or NoDate when none is reached by end.
func (r *rollup) firstSilence(a *account, end features.Date) features.Date {
	prev := features.NoDate
	for k, c := range a.chunks {
		if c == nil {
			continue
		}
		for j := range chunkWeeks {
			wk := c.week(j, r.stride)
			days := wk.loginDays | wk.actionDays
			for days != 0 {
				d := bits.TrailingZeros8(days)
				days &^= 1 << d
				day := mondayOf(a.c0+k, j) + features.Date(d)
				if prev != features.NoDate && int(day-prev) > r.silence {
					if reached := prev + features.Date(r.silence); reached <= end {
						return reached
					}
					return features.NoDate
				}
				prev = day
			}
		}
	}
	if prev != features.NoDate {
		if reached := prev + features.Date(r.silence); reached <= end {
			return reached
		}
	}
	return features.NoDate
}

// origin returns the day an account's history begins: its first activity
// or its contract start, whichever is earlier; NoDate without either.
func (r *rollup) origin(a *account) features.Date {
	o := features.NoDate
	if a.active {
		o = a.firstAct
	}
	for _, v := range a.versions {
		if v.start != features.NoDate && (o == features.NoDate || v.start < o) {
			o = v.start
		}
	}
	return o
}

// writeAccount writes an account's weeks from first to stop; recency
// counts from origin until a first key action.
func (r *rollup) writeAccount(a *account, origin, first, churn, stop features.Date, snap *features.Snapshot, w Writer, rep *Report) error {
	var overdue []int32
	if len(a.invoices) > 0 {
		overdue = overdueWeeks(a.invoices, first, stop)
	}
	lastAction := features.NoDate
	// The last key action before the first week.
	for k, c := range a.chunks {
		if c == nil {
			continue
		}
		for j := range chunkWeeks {
			if mon := mondayOf(a.c0+k, j); mon < first {
				if m := c.week(j, r.stride).actionDays; m != 0 {
					lastAction = mon + features.Date(bits.Len8(m)-1)
				}
			}
		}
	}
	// Distinct counts, per signal, by week of a.chunks.
	var distinct [][]int32
	if a.distinct != nil {
		distinct = make([][]int32, len(r.signals))
		for k, s := range r.signals {
			if s.distinct {
				distinct[k] = a.distinct[k].counts(a.c0, len(a.chunks))
			}
		}
	}
	v := 0
	for mon := first; mon <= stop; mon += 7 {
		sunday := mon + 6
		var wk week
		c, j := a.week(mon)
		if c != nil {
			wk = c.week(j, r.stride)
		}
		if wk.actionDays != 0 {
			lastAction = mon + features.Date(bits.Len8(wk.actionDays)-1)
		}
		since := origin
		if lastAction != features.NoDate {
			since = lastAction
		}
		*snap = features.Snapshot{
			AccountID:   a.id,
			Week:        mon,
			Logins:      int64(bits.OnesCount8(wk.dayLogins)),
			Frequency:   wk.freq,
			RecencyDays: max(0, int64(sunday-since)),
			SLABreaches: int64(wk.sla),
			Churned:     churn != features.NoDate && mon == stop,
			ARR:         math.NaN(),
			RenewalDate: features.NoDate,
			Extra:       snap.Extra,
		}
		if c != nil && r.loginRows {
			snap.Logins += c[j*r.stride+2]
		}
		if overdue != nil {
			snap.OverdueInvoices = int64(overdue[int(mon-first)/7])
		}
		for v+1 < len(a.versions) && a.versions[v+1].from <= sunday {
			v++
		}
		if len(a.versions) > 0 && (a.versions[v].from == features.NoDate || a.versions[v].from <= sunday) {
			ver := &a.versions[v]
			snap.ARR, snap.Segment, snap.RenewalDate = ver.arr, ver.segment, ver.renewal
			snap.RenewalType = ver.renewalType
			copy(snap.Extra, ver.extra)
		} else {
			for k := range r.accExtras {
				snap.Extra[k] = math.NaN()
			}
		}
		for k, s := range r.signals {
			x := &snap.Extra[r.accExtras+k]
			switch {
			case c == nil:
				*x = 0
			case s.distinct && distinct == nil: // every value missing
				*x = 0
			case s.distinct:
				n, _ := chunkOf(mon)
				*x = float64(distinct[k][chunkWeeks*(n-a.c0)+j])
			default:
				*x = float64(c[j*r.stride+r.sig0+k]) / micro
			}
		}
		if err := w.Write(snap); err != nil {
			return fmt.Errorf("write account %q week %s: %w", a.id, mon, err)
		}
		rep.Written++
		if rep.First == features.NoDate || mon < rep.First {
			rep.First = mon
		}
		if rep.Last == features.NoDate || mon > rep.Last {
			rep.Last = mon
		}
	}
	rep.Accounts++
	if churn != features.NoDate {
		rep.Churned++
	}
	// The account is written: free its weeks.
	a.chunks, a.cur, a.invoices, a.distinct = nil, nil, nil, nil
	return nil
}

// overdueWeeks counts, for each week from first to stop, the invoices
// overdue at the end of its Sunday: due before that day and not paid by
// its end.
func overdueWeeks(invoices [][2]features.Date, first, stop features.Date) []int32 {
	n := int(stop-first)/7 + 1
	diff := make([]int32, n+1)
	for _, inv := range invoices {
		due, paid := inv[0], inv[1]
		// Sundays X with due < X and (no paid date or paid > X).
		lo := int((due+1-(first+6))+6) / 7 // first Sunday index >= due+1
		if due+1 < first+6 {
			lo = 0
		}
		hi := n - 1
		if paid != features.NoDate {
			// Sundays X < paid.
			if paid <= first+6 {
				continue
			}
			hi = min(hi, int(paid-1-(first+6))/7)
		}
		if lo > hi || lo >= n {
			continue
		}
		diff[lo]++
		diff[hi+1]--
	}
	out := make([]int32, n)
	var run int32
	for i := range n {
		run += diff[i]
		out[i] = run
	}
	return out
}
