package retention

import (
	"fmt"
	"time"

	"github.com/churnlabs/churn/features"
)

// Grain is the length of the calendar periods a table is cut into.
type Grain int

// The grains of the report's tables.
const (
	Monthly Grain = iota
	Quarterly
)

// String returns "month" or "quarter".
func (g Grain) String() string {
	if g == Quarterly {
		return "quarter"
	}
	return "month"
}

func (g Grain) months() int {
	if g == Quarterly {
		return 3
	}
	return 1
}

// month counts calendar months from January of year 0, so that month
// arithmetic is integer arithmetic.
type month int

func monthOf(d features.Date) month {
	t := d.Time()
	return month(t.Year()*12 + int(t.Month()) - 1)
}

// start returns the first day of the month.
func (m month) start() features.Date {
	return features.DateOf(time.Date(int(m)/12, time.Month(int(m)%12+1), 1, 0, 0, 0, 0, time.UTC))
}

// period returns the first month of the grain's period holding m.
func (m month) period(g Grain) month { return m - m%month(g.months()) }

// label names the period of grain g that begins with month m.
func (m month) label(g Grain) string {
	if g == Quarterly {
		return fmt.Sprintf("%04d-Q%d", int(m)/12, int(m)%12/3+1)
	}
	return fmt.Sprintf("%04d-%02d", int(m)/12, int(m)%12+1)
}

// span is a calendar period [start, end).
type span struct {
	label      string
	start, end features.Date
}

// spans returns every period of grain g that holds a day of [first, last],
// in order.
func spans(g Grain, first, last features.Date) []span {
	var out []span
	step := month(g.months())
	for m := monthOf(first).period(g); m <= monthOf(last); m += step {
		out = append(out, span{label: m.label(g), start: m.start(), end: (m + step).start()})
	}
	return out
}

// covered reports whether snapshots up to the week starting last tell
// what happened until end: that week runs through last+6, the day before
// last+7.
func covered(last, end features.Date) bool { return last+7 >= end }
