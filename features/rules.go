package features

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds an account id and a segment name. Ids and segments
// are keys that people read and type; anything longer is a column mix-up
// (a free-text field, a JSON blob), and keeping it per account would let
// one bad file take gigabytes of memory.
const MaxNameBytes = 256

// missingSpellings are the cell values read as "unknown" in every
// optional numeric column (arr, extras) and optional date column: the
// strings pandas' read_csv treats as missing by default, so a file pandas
// wrote (or reads) means the same thing here. They are case-sensitive,
// as in pandas.
var missingSpellings = map[string]bool{
	"": true, "#N/A": true, "#N/A N/A": true, "#NA": true, "-1.#IND": true, "-1.#QNAN": true,
	"-NaN": true, "-nan": true, "1.#IND": true, "1.#QNAN": true, "<NA>": true, "N/A": true,
	"NA": true, "NULL": true, "NaN": true, "None": true, "n/a": true, "nan": true, "null": true,
}

// MissingSpellings returns the spellings IsMissing accepts, sorted: for
// code that must say the same in another language (the roll-up's SQL).
func MissingSpellings() []string {
	out := make([]string, 0, len(missingSpellings))
	for s := range missingSpellings {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// IsMissing reports whether a text cell spells an unknown value: empty,
// NA, N/A, n/a, NaN, nan, null, NULL, None and the other spellings pandas
// reads as missing by default. Readers use it for every optional numeric
// or date column, so "n/a" means the same in arr as in an extra column.
func IsMissing(s string) bool {
	// A number ends in a digit and no missing spelling does: the common
	// case, a number, never reaches the map.
	if n := len(s); n > 8 || (n > 0 && s[n-1]-'0' < 10) {
		return false
	}
	return missingSpellings[s]
}

// CheckAccountID reports why id cannot be an account id: it is empty,
// longer than MaxNameBytes, not valid UTF-8, holds a control character
// (NUL included) or starts or ends with white space. Such an id would not
// survive JSON, a terminal or a person copying it into a URL, so the
// account could never be looked up by the id the file gives.
func CheckAccountID(id string) error {
	if id == "" {
		return errors.New("empty account id")
	}
	return checkName("account id", id)
}

// checkName applies the rules of CheckAccountID but emptiness to a key
// such as a segment.
func checkName(what, s string) error {
	if len(s) > MaxNameBytes {
		return fmt.Errorf("%s is %d bytes long, more than the %d allowed", what, len(s), MaxNameBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s %q holds the control character %U at byte %d", what, s, r, i)
		}
	}
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		return fmt.Errorf("%s %q starts with white space", what, s)
	}
	if r, _ := utf8.DecodeLastRuneInString(s); unicode.IsSpace(r) {
		return fmt.Errorf("%s %q ends with white space", what, s)
	}
	return nil
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01, day 0, was a Thursday.
	return time.Weekday(((int64(d)+4)%7 + 7) % 7)
}

// Monday returns the Monday that starts d's ISO week: d itself when d is
// a Monday, otherwise up to six days earlier.
func (d Date) Monday() Date {
	return d - Date((int(d.Weekday())+6)%7)
}

// latestToday is the latest calendar date that is today somewhere on
// Earth (UTC+14): a week starting after it has not begun in any time
// zone, so however the file's producer reckons days, it is in the future.
func latestToday(now time.Time) Date {
	return DateOf(now.UTC().Add(14 * time.Hour))
}

// rowRules checks, on every row a reader yields, the contract's rules
// that no single cell parser can: an account id that can be looked up, a
// segment that can be shown, and a week that is the Monday starting it.
// Source.Read puts it in front of every reader, so that validation,
// building and scoring all see the same rows.
type rowRules struct {
	SnapshotReader
	file      string
	normalize bool
	// lastID and lastSegment were checked already: files hold an
	// account's rows together, so most rows repeat them.
	lastID, lastSegment string
}

// lastWeeker is a SnapshotReader that can tell the latest week of its
// file before its rows are read, as parquetfile's does from the week
// column alone: Build then knows, as it builds each row, whether the row
// is one of the file's last weeks (BuildOptions.Recent).
type lastWeeker interface {
	// LastWeek returns the latest week in the file, NoDate if it has
	// none it can read. Weeks it cannot read are for Next to report.
	LastWeek() (Date, error)
}

// lastWeek is the latest week of the file r reads, as its rows will give
// it (moved to its Monday when weeks are normalised), NoDate when r
// cannot tell it before the rows are read.
func (r *rowRules) lastWeek() (Date, error) {
	lw, ok := r.SnapshotReader.(lastWeeker)
	if !ok {
		return NoDate, nil
	}
	last, err := lw.LastWeek()
	if err != nil || last == NoDate {
		return NoDate, err
	}
	if r.normalize {
		last = last.Monday()
	}
	return last, nil
}

func (r *rowRules) Next(s *Snapshot) error {
	if err := r.SnapshotReader.Next(s); err != nil {
		return err
	}
	if s.AccountID != r.lastID {
		if err := CheckAccountID(s.AccountID); err != nil {
			return &InputError{File: r.file, Row: s.Row, Column: ColAccountID, Err: err}
		}
		r.lastID = s.AccountID
	}
	if s.Segment != r.lastSegment {
		if err := checkName("segment", s.Segment); err != nil {
			return &InputError{File: r.file, Row: s.Row, Column: ColSegment, Err: err}
		}
		r.lastSegment = s.Segment
	}
	if s.RenewalType != "" && s.RenewalType != RenewalAuto && s.RenewalType != RenewalSignature {
		// Readers parse the cell with ParseRenewalType; this guards a
		// reader that does not, as a play would pick touchpoints by it.
		return &InputError{File: r.file, Row: s.Row, Column: ColRenewalType, Err: fmt.Errorf("%w %q", ErrRenewalType, s.RenewalType)}
	}
	if s.Week == NoDate {
		return &InputError{File: r.file, Row: s.Row, Column: ColWeek, Err: errors.New("no week")}
	}
	if m := s.Week.Monday(); m != s.Week {
		if !r.normalize {
			return &InputError{File: r.file, Row: s.Row, Column: ColWeek, Err: fmt.Errorf(
				"%s is a %s: a week is given by the Monday that starts it (%s); "+
					"normalising weeks (--normalize-weeks) moves every date to its week's Monday",
				s.Week, s.Week.Weekday(), m)}
		}
		s.Week = m
	}
	return nil
}
