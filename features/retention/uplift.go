package retention

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/churnlabs/churn/features"
)

// The treatment file's group column and its values. Its other columns
// are features.ColAccountID and, optionally, features.ColWeek.
const (
	ColGroup = "group"
	Treated  = "treated"
	Control  = "control"
)

// Assignment is one account of an intervention: contacted (treated) or
// held out (control), at a contact week.
type Assignment struct {
	AccountID string
	Treated   bool
	// Week is the contact week; NoDate takes the default of UpliftOptions.
	Week features.Date
	// Row is the line in the treatment file, for messages.
	Row int
}

// ReadTreatment reads a treatment file: CSV with a header naming the
// columns account_id, group (treated or control) and, optionally, week
// (the contact week, YYYY-MM-DD; empty for the default), in any order.
// An unknown or repeated column, a missing value, an unknown group, a bad
// date or an account listed twice is a *features.InputError naming file,
// line and column.
func ReadTreatment(r io.Reader, file string) ([]Assignment, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, to name the row
	cr.ReuseRecord = true
	inputErr := func(row int, col string, err error) error {
		return &features.InputError{File: file, Row: row, Column: col, Err: err}
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, inputErr(0, "", errors.New("empty file: want a header row account_id,group[,week]"))
	} else if err != nil {
		return nil, csvError(file, err)
	}
	fields := len(header) // the header's slice is reused by the next Read
	idCol, groupCol, weekCol := -1, -1, -1
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // spreadsheet exports start with a byte-order mark
		}
		var col *int
		switch strings.TrimSpace(name) {
		case features.ColAccountID:
			col = &idCol
		case ColGroup:
			col = &groupCol
		case features.ColWeek:
			col = &weekCol
		default:
			return nil, inputErr(1, name, errors.New("unknown column: want account_id, group and optionally week"))
		}
		if *col >= 0 {
			return nil, inputErr(1, name, errors.New("column appears twice"))
		}
		*col = i
	}
	for _, c := range []struct {
		name string
		i    int
	}{{features.ColAccountID, idCol}, {ColGroup, groupCol}} {
		if c.i < 0 {
			return nil, inputErr(1, c.name, errors.New("missing column"))
		}
	}
	var out []Assignment
	first := map[string]int{} // account -> line
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, csvError(file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != fields {
			return nil, inputErr(line, "", fmt.Errorf("%d fields, want %d as in the header", len(rec), fields))
		}
		as := Assignment{AccountID: strings.TrimSpace(rec[idCol]), Week: features.NoDate, Row: line}
		if as.AccountID == "" {
			return nil, inputErr(line, features.ColAccountID, errors.New("empty account id"))
		}
		if prev, ok := first[as.AccountID]; ok {
			return nil, inputErr(line, features.ColAccountID, fmt.Errorf("account %q is listed twice (first on line %d)", as.AccountID, prev))
		}
		switch g := strings.ToLower(strings.TrimSpace(rec[groupCol])); g {
		case Treated:
			as.Treated = true
		case Control:
		default:
			return nil, inputErr(line, ColGroup, fmt.Errorf("group %q: want %s or %s", rec[groupCol], Treated, Control))
		}
		if weekCol >= 0 {
			if s := strings.TrimSpace(rec[weekCol]); s != "" {
				if as.Week, err = features.ParseDate(s); err != nil {
					return nil, inputErr(line, features.ColWeek, err)
				}
			}
		}
		as.AccountID = strings.Clone(as.AccountID) // the record is reused
		first[as.AccountID] = line
		out = append(out, as)
	}
	if len(out) == 0 {
		return nil, inputErr(0, "", errors.New("no accounts after the header"))
	}
	return out, nil
}

// csvError turns a CSV syntax error into an InputError at its line.
func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &features.InputError{File: file, Row: pe.StartLine, Err: pe.Err}
	}
	return fmt.Errorf("read %s: %w", file, err)
}

// ReadTreatmentFile reads the treatment file at path; see ReadTreatment.
func ReadTreatmentFile(path string) ([]Assignment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read treatment file: %w", err)
	}
	defer f.Close()
	return ReadTreatment(f, path)
}

// UpliftOptions configure Uplift. Zero fields select the defaults.
type UpliftOptions struct {
	// Horizon is how long after contact retention is measured, in
	// weeks; default features.DefaultHorizon.
	Horizon int
	// Week is the contact week of assignments without one; the zero
	// value means the latest week whose horizon the data covers (Last -
	// Horizon weeks).
	Week features.Date
	// Confidence is the level of the intervals; default 0.95.
	Confidence float64
}

// Uplift is the retention difference an intervention made: treated
// against control accounts that were customers at their contact week.
// It is a causal effect only if the groups were assigned at random.
type Uplift struct {
	Horizon     int           `json:"horizon_weeks"`
	DefaultWeek features.Date `json:"default_contact_week"`
	Treated     Group         `json:"treated"`
	Control     Group         `json:"control"`
	// Difference is treated minus control retention with its Newcombe
	// interval.
	Difference Interval `json:"difference"`
	// Left out: accounts not in the snapshots, accounts that were not
	// customers at their contact week, and accounts whose outcome the
	// data does not reach.
	Unknown  int `json:"unknown_accounts"`
	Inactive int `json:"inactive_at_contact"`
	Censored int `json:"outcome_not_observed"`
	// Warning says when the groups are too small to trust the interval.
	Warning string `json:"warning,omitempty"`
}

// Small-group limits: below them the normal approximation behind the
// interval is rough.
const (
	minGroupRows     = 30
	minGroupOutcomes = 5
)

// Uplift measures retention over the horizon after each assignment's
// contact week: an account counts when it was a customer at that week
// and the data shows whether it still is one a horizon later. It is an
// error when either group has no such account.
func (b *History) Uplift(as []Assignment, opt UpliftOptions) (*Uplift, error) {
	if opt.Horizon == 0 {
		opt.Horizon = features.DefaultHorizon
	}
	if opt.Confidence == 0 {
		opt.Confidence = DefaultConfidence
	}
	if opt.Horizon < 1 || !(opt.Confidence > 0 && opt.Confidence < 1) {
		return nil, fmt.Errorf("uplift: horizon %d weeks and confidence %v: want at least 1 week and a level in (0, 1)",
			opt.Horizon, opt.Confidence)
	}
	h := features.Date(7 * opt.Horizon)
	u := &Uplift{Horizon: opt.Horizon, DefaultWeek: opt.Week}
	if u.DefaultWeek == 0 {
		u.DefaultWeek = b.Last - h
	}
	var t, c tally
	for _, x := range as {
		a, ok := b.lookup(x.AccountID)
		if !ok {
			u.Unknown++
			continue
		}
		w := x.Week
		if w == features.NoDate {
			w = u.DefaultWeek
		}
		// A customer at w: seen by then, not churned and not vanished before it.
		if a.first > w || a.last < w || a.churn != features.NoDate && a.churn <= w {
			u.Inactive++
			continue
		}
		retained, known := a.outcome(w, w+h)
		if !known {
			u.Censored++
			continue
		}
		if x.Treated {
			t.add(retained)
		} else {
			c.add(retained)
		}
	}
	if t.rows == 0 || c.rows == 0 {
		return nil, fmt.Errorf("uplift: %d treated and %d control accounts were customers at their contact week "+
			"with an observed outcome %d weeks later (left out: %d not in the snapshots, %d not customers then, %d not yet observed)",
			t.rows, c.rows, opt.Horizon, u.Unknown, u.Inactive, u.Censored)
	}
	u.Treated = newGroup(t.rows, t.retained, opt.Confidence)
	u.Control = newGroup(c.rows, c.retained, opt.Confidence)
	u.Difference = Newcombe(t.retained, t.rows, c.retained, c.rows, opt.Confidence)
	if small(t) || small(c) {
		u.Warning = fmt.Sprintf("small groups (%d treated, %d control accounts; %d and %d churned): "+
			"the interval is wide and only approximate, so read the difference as indicative",
			t.rows, c.rows, t.rows-t.retained, c.rows-c.retained)
	}
	return u, nil
}

func small(g tally) bool {
	return g.rows < minGroupRows || g.retained < minGroupOutcomes || g.rows-g.retained < minGroupOutcomes
}
