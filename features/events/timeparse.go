package events

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/churnlabs/churn/features"
)

// DayParser turns a time cell into the calendar day it falls on in a time
// zone. The roll-up needs no finer grain: logins are days, recency and
// silences are counted in days, and weeks are seven of them.
type DayParser struct {
	layout string
	loc    *time.Location
}

// Layouts accepted when no format is given: ISO dates and the timestamp
// spellings databases and pandas print.
var autoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
}

// NewDayParser returns a parser for layout, a Go time layout, "unix"
// (seconds since 1970) or "unix_ms"; "" accepts YYYY-MM-DD and RFC 3339 or
// "YYYY-MM-DD HH:MM:SS" timestamps, with or without a zone. A time without
// a zone is read in loc; one with a zone is moved to loc before its day is
// taken.
func NewDayParser(layout string, loc *time.Location) DayParser {
	if loc == nil {
		loc = time.UTC
	}
	return DayParser{layout: layout, loc: loc}
}

// Day parses s.
func (p DayParser) Day(s string) (features.Date, error) {
	switch p.layout {
	case "", time.DateOnly:
		if len(s) == 10 {
			return features.ParseDate(s)
		}
		if p.layout == "" {
			if d, ok := p.utcSecond(s); ok {
				return d, nil
			}
			for _, l := range autoLayouts {
				if t, err := time.ParseInLocation(l, s, p.loc); err == nil {
					return p.dayOf(t, s)
				}
			}
			return features.NoDate, fmt.Errorf("time %q is neither YYYY-MM-DD nor an RFC 3339 timestamp (give the layout with --time-format)", s)
		}
	case "20060102":
		// CDNOW's and many exports' compact dates: parsed by hand, as
		// ParseDate is, because event files hold millions of them.
		if len(s) == 8 {
			d, err := features.ParseDate(s[0:4] + "-" + s[4:6] + "-" + s[6:8])
			if err != nil {
				return features.NoDate, fmt.Errorf("time %q is not a valid YYYYMMDD date", s)
			}
			return d, nil
		}
	case "unix", "unix_ms":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return features.NoDate, fmt.Errorf("time %q is not a whole number of %s", s, map[string]string{"unix": "seconds", "unix_ms": "milliseconds"}[p.layout])
		}
		const limit = 253402300799 // 9999-12-31T23:59:59Z, in seconds
		if p.layout == "unix_ms" {
			if n > limit*1000 || n < -limit*1000 {
				return features.NoDate, fmt.Errorf("time %q is out of range", s)
			}
			return p.dayOf(time.UnixMilli(n), s)
		}
		if n > limit || n < -limit {
			return features.NoDate, fmt.Errorf("time %q is out of range", s)
		}
		return p.dayOf(time.Unix(n, 0), s)
	}
	t, err := time.ParseInLocation(p.layout, s, p.loc)
	if err != nil {
		return features.NoDate, fmt.Errorf("time %q does not match the layout %q", s, p.layout)
	}
	return p.dayOf(t, s)
}

func (p DayParser) dayOf(t time.Time, s string) (features.Date, error) {
	t = t.In(p.loc)
	if y := t.Year(); y < 0 || y > 9999 {
		return features.NoDate, fmt.Errorf("time %q is outside years 0000-9999", s)
	}
	return features.DateOf(t), nil
}

// utcSecond is the fast path of the commonest timestamp in event exports,
// YYYY-MM-DDTHH:MM:SSZ read in UTC: its day is its date. It reports false
// for anything else, and for anything time.Parse would refuse, which then
// takes the general path and its error.
func (p DayParser) utcSecond(s string) (features.Date, bool) {
	if p.loc != time.UTC || len(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return features.NoDate, false
	}
	for _, i := range [...]int{11, 12, 14, 15, 17, 18} {
		if s[i] < '0' || s[i] > '9' {
			return features.NoDate, false
		}
	}
	if s[11:13] > "23" || s[14] > '5' || s[17] > '5' {
		return features.NoDate, false
	}
	d, err := features.ParseDate(s[:10])
	return d, err == nil
}
