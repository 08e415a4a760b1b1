package simulate

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/churnlabs/churn/features"
)

// week is what every account shares in one calendar week: the date, the
// season and the state of the platform.
type week struct {
	start features.Date
	// season scales activity: below 1 in holidays and summer.
	season float64
	// outage is the severity of a platform incident, 0 in a quiet week.
	outage float64
	// shards has bit i set when the incident hit shard i.
	shards uint8
}

// numShards is how many independent slices of infrastructure accounts are
// spread over; an incident takes down some of them, so it hits many
// accounts at once but rarely all.
const numShards = 4

// incidentsPerYear is the expected number of platform incident weeks.
const incidentsPerYear = 3.5

// calendar holds the weeks of a run, including the unobserved warm-up
// weeks before the first snapshot.
type calendar struct {
	// first is the week index of weeks[0]; it is negative, as week 0 is
	// the first snapshot week.
	first int
	weeks []week
}

// newCalendar lays out the weeks from warmup weeks before start to the
// last snapshot week and schedules the platform incidents.
func newCalendar(r *rand.Rand, start features.Date, warmup, weeks int) calendar {
	c := calendar{first: -warmup, weeks: make([]week, warmup+weeks)}
	for i := range c.weeks {
		wk := &c.weeks[i]
		wk.start = start.AddDays(7 * (i - warmup))
		wk.season = seasonality(wk.start)
		if chance(r, incidentsPerYear/52) {
			wk.outage = uniform(r, 0.5, 2)
			for wk.shards == 0 {
				wk.shards = uint8(r.IntN(1 << numShards))
			}
		}
	}
	return c
}

// at returns week t, where week 0 is the first snapshot week.
func (c *calendar) at(t int) *week { return &c.weeks[t-c.first] }

// seasonality returns the activity level of the week starting on d: a
// deep, short dip around the year-end holidays and a shallow, long one in
// the northern summer.
func seasonality(d features.Date) float64 {
	mid := d.AddDays(3).Time()
	y := mid.Year()
	holiday := math.MaxFloat64
	for _, yy := range [...]int{y - 1, y} {
		xmas := features.DateOf(time.Date(yy, time.December, 29, 0, 0, 0, 0, time.UTC))
		holiday = min(holiday, math.Abs(float64(d.AddDays(3)-xmas)))
	}
	summer := float64(d.AddDays(3) - features.DateOf(time.Date(y, time.August, 1, 0, 0, 0, 0, time.UTC)))
	level := 1 - 0.45*math.Exp(-holiday*holiday/(2*6*6))
	if math.Abs(summer) < 40 {
		level -= 0.15 * (1 + math.Cos(math.Pi*summer/40)) / 2
	}
	return level
}
