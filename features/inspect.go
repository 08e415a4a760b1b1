package features

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Report is a data-quality review of a snapshot file: what would stop
// training (duplicates, rows after churn) and what deserves a look before
// trusting a model (gaps, accounts that never did anything).
type Report struct {
	File     string `json:"file"`
	Rows     int    `json:"rows"`
	Accounts int    `json:"accounts"`
	First    Date   `json:"first_week"`
	Last     Date   `json:"last_week"`
	Churned  int    `json:"churned_accounts"`

	// The lists hold the first examples; the counts are exact.
	DuplicateCount  int          `json:"duplicate_count"`
	Duplicates      []Duplicate  `json:"duplicates"`
	AfterChurnCount int          `json:"rows_after_churn_count"`
	AfterChurn      []AfterChurn `json:"rows_after_churn"`
	// Future lists rows whose week has not started yet; Stray rows whose
	// week lies more than a year after the rest of the file. Either is
	// most likely a mistyped date, and it would make every other row look
	// old: scoring is "as of" the latest week.
	FutureCount int       `json:"future_weeks_count"`
	Future      []WeekRow `json:"future_weeks"`
	StrayCount  int       `json:"stray_weeks_count"`
	Stray       []WeekRow `json:"stray_weeks"`

	AccountsWithGaps int          `json:"accounts_with_gaps"`
	MissingWeeks     int          `json:"missing_weeks"`
	WorstGaps        []AccountGap `json:"worst_gaps"`
	// Inactive lists accounts with no logins and no key actions in any row.
	InactiveCount int      `json:"inactive_count"`
	Inactive      []string `json:"inactive_accounts"`
}

// Duplicate is an (account, week) that appears on more than one row.
type Duplicate struct {
	AccountID string `json:"account_id"`
	Week      Date   `json:"week"`
	Rows      []int  `json:"rows"`
}

// AfterChurn is a row dated after its account's churned week.
type AfterChurn struct {
	AccountID string `json:"account_id"`
	Row       int    `json:"row"`
	Week      Date   `json:"week"`
	ChurnRow  int    `json:"churn_row"`
}

// WeekRow is a row whose week is suspect.
type WeekRow struct {
	AccountID string `json:"account_id"`
	Row       int    `json:"row"`
	Week      Date   `json:"week"`
}

// AccountGap counts the weeks missing between an account's first and last
// snapshot.
type AccountGap struct {
	AccountID string `json:"account_id"`
	Missing   int    `json:"missing_weeks"`
	Longest   int    `json:"longest_gap_weeks"`
}

// Errors reports whether the file has findings that stop training.
func (r *Report) Errors() int {
	return r.DuplicateCount + r.AfterChurnCount + r.FutureCount + r.StrayCount
}

// strayGap is how long a stretch without any row must be for the weeks
// after it to count as stray, when they hold fewer rows than the weeks
// before: no weekly export pauses for a year and comes back smaller.
const strayGap = 52 * 7

// InspectOptions tune Inspect.
type InspectOptions struct {
	// Now is the clock that says which weeks are in the future; nil
	// means time.Now.
	Now func() time.Time
}

// maxListed bounds each list in a report: the counts stay exact, the
// examples stay readable.
const maxListed = 20

type seen struct {
	week    Date
	row     int
	churned bool
	active  bool
}

// Inspect reads every snapshot of r and reviews the data's quality. A
// value the reader cannot parse is still an error: Inspect reviews files
// that parse, for problems no single row shows. So is a file with no
// rows. Give it the reader of Source.Read, which checks the rules of
// single rows (ids, Monday weeks) that Inspect does not check again.
func Inspect(ctx context.Context, r SnapshotReader, file string, opt InspectOptions) (*Report, error) {
	rep := &Report{File: file, First: NoDate, Last: NoDate}
	index := newAccountIndex()
	var byAccount [][]seen
	var s Snapshot
	for {
		if err := r.Next(&s); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		rep.Rows++
		if rep.Rows%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		a, ok := index.find(s.AccountID)
		if !ok {
			byAccount = append(byAccount, nil)
		}
		byAccount[a] = append(byAccount[a], seen{s.Week, s.Row, s.Churned, s.Logins > 0 || s.Frequency > 0})
		if rep.First == NoDate || s.Week < rep.First {
			rep.First = s.Week
		}
		if rep.Last == NoDate || s.Week > rep.Last {
			rep.Last = s.Week
		}
	}
	if rep.Rows == 0 {
		return nil, &InputError{File: file, Err: errors.New("the file has a header but no rows")}
	}
	ids := index.ids
	rep.Accounts = len(ids)
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	rep.reviewWeeks(ids, byAccount, latestToday(now()))
	var gaps []AccountGap
	for a, id := range ids {
		rows := byAccount[a]
		slices.SortStableFunc(rows, func(a, b seen) int { return cmp.Compare(a.week, b.week) })
		rep.review(id, rows, &gaps)
	}
	slices.SortStableFunc(gaps, func(a, b AccountGap) int {
		return cmp.Or(cmp.Compare(b.Missing, a.Missing), cmp.Compare(b.Longest, a.Longest))
	})
	rep.WorstGaps = gaps[:min(len(gaps), maxListed)]
	return rep, nil
}

// reviewWeeks finds the future and stray weeks. A stray week is one
// after the first stretch of more than strayGap days without data that
// leaves fewer rows after it than before: what a few mistyped years look
// like beside years of weekly rows.
func (rep *Report) reviewWeeks(ids []string, byAccount [][]seen, today Date) {
	rows, past := map[Date]int{}, 0
	for _, acc := range byAccount {
		for _, s := range acc {
			if s.week <= today {
				rows[s.week]++
				past++
			}
		}
	}
	stray, _, found := strayWeek(rows, past)
	for a, acc := range byAccount {
		for _, s := range acc {
			switch {
			case s.week > today:
				rep.FutureCount++
				if len(rep.Future) < maxListed {
					rep.Future = append(rep.Future, WeekRow{ids[a], s.row, s.week})
				}
			case found && s.week >= stray:
				rep.StrayCount++
				if len(rep.Stray) < maxListed {
					rep.Stray = append(rep.Stray, WeekRow{ids[a], s.row, s.week})
				}
			}
		}
	}
	slices.SortFunc(rep.Future, func(a, b WeekRow) int { return cmp.Compare(a.Row, b.Row) })
	slices.SortFunc(rep.Stray, func(a, b WeekRow) int { return cmp.Compare(a.Row, b.Row) })
}

// strayWeek finds the first stray week among rows, the number of rows in
// each week (total in all): the first week after a stretch of more than
// strayGap days without data that leaves fewer rows after it than before.
// end is the last week before the stretch. Inspect lists the stray rows;
// Build refuses a file that has any.
func strayWeek(rows map[Date]int, total int) (stray, end Date, found bool) {
	weeks := slices.Sorted(maps.Keys(rows))
	before := 0
	for i, w := range weeks {
		if i > 0 && w-weeks[i-1] > strayGap && 2*before > total {
			return w, weeks[i-1], true
		}
		before += rows[w]
	}
	return 0, 0, false
}

func (rep *Report) review(id string, rows []seen, gaps *[]AccountGap) {
	active := false
	churn := -1
	var g AccountGap
	for i, s := range rows {
		active = active || s.active
		if churn >= 0 && s.week > rows[churn].week {
			rep.AfterChurnCount++
			if len(rep.AfterChurn) < maxListed {
				rep.AfterChurn = append(rep.AfterChurn, AfterChurn{id, s.row, s.week, rows[churn].row})
			}
		}
		if s.churned && churn < 0 {
			churn = i
			rep.Churned++
		}
		if i == 0 {
			continue
		}
		prev := rows[i-1]
		if s.week == prev.week {
			n := len(rep.Duplicates)
			switch {
			case n > 0 && rep.Duplicates[n-1].AccountID == id && rep.Duplicates[n-1].Week == s.week:
				rep.Duplicates[n-1].Rows = append(rep.Duplicates[n-1].Rows, s.row)
				continue // the same duplicate again
			case n < maxListed:
				rep.Duplicates = append(rep.Duplicates, Duplicate{id, s.week, []int{prev.row, s.row}})
			}
			rep.DuplicateCount++
			continue
		}
		if missing := int(s.week-prev.week)/7 - 1; missing > 0 {
			g.Missing += missing
			g.Longest = max(g.Longest, missing)
		}
	}
	if g.Missing > 0 {
		g.AccountID = id
		rep.AccountsWithGaps++
		rep.MissingWeeks += g.Missing
		*gaps = append(*gaps, g)
	}
	if !active {
		rep.InactiveCount++
		if len(rep.Inactive) < maxListed {
			rep.Inactive = append(rep.Inactive, id)
		}
	}
}

// WriteText prints the report for a person.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows, %d accounts, weeks %s to %s, %d churned accounts\n",
		rep.File, rep.Rows, rep.Accounts, rep.First, rep.Last, rep.Churned)
	fmt.Fprintf(&b, "duplicated (account_id, week): %d%s\n", rep.DuplicateCount, capped(rep.DuplicateCount))
	for _, d := range rep.Duplicates {
		fmt.Fprintf(&b, "  account %q week %s on rows %v\n", d.AccountID, d.Week, d.Rows)
	}
	fmt.Fprintf(&b, "rows after the churned week: %d%s\n", rep.AfterChurnCount, capped(rep.AfterChurnCount))
	for _, a := range rep.AfterChurn {
		fmt.Fprintf(&b, "  account %q row %d (week %s) after its churn on row %d\n", a.AccountID, a.Row, a.Week, a.ChurnRow)
	}
	fmt.Fprintf(&b, "weeks in the future: %d%s\n", rep.FutureCount, capped(rep.FutureCount))
	for _, w := range rep.Future {
		fmt.Fprintf(&b, "  account %q row %d: week %s has not started\n", w.AccountID, w.Row, w.Week)
	}
	fmt.Fprintf(&b, "weeks more than a year after the rest of the file: %d%s\n", rep.StrayCount, capped(rep.StrayCount))
	for _, w := range rep.Stray {
		fmt.Fprintf(&b, "  account %q row %d: week %s\n", w.AccountID, w.Row, w.Week)
	}
	fmt.Fprintf(&b, "gaps: %d accounts miss %d weeks between their first and last snapshot (a gap is not churn)\n",
		rep.AccountsWithGaps, rep.MissingWeeks)
	for _, g := range rep.WorstGaps {
		fmt.Fprintf(&b, "  account %q: %d missing weeks, longest gap %d\n", g.AccountID, g.Missing, g.Longest)
	}
	fmt.Fprintf(&b, "accounts with no logins and no key actions in any week: %d%s\n", rep.InactiveCount, capped(rep.InactiveCount))
	for _, id := range rep.Inactive {
		fmt.Fprintf(&b, "  account %q\n", id)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func capped(n int) string {
	if n > maxListed {
		return fmt.Sprintf(" (first %d shown)", maxListed)
	}
	return ""
}
