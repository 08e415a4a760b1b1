package serve

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/alerts"
	"github.com/churnlabs/churn/models/lifecycle"
)

// Page sizes of GET /v1/alerts.
const (
	defaultAlertsLimit = 100
	maxAlertsLimit     = 1000
)

// alertLog is a score history that also keeps the alerts raised from it
// (sqlstore.Store).
type alertLog interface {
	AlertWeeks(ctx context.Context) ([]features.Date, error)
	Alerts(ctx context.Context, week features.Date) ([]lifecycle.Alert, error)
}

// alertJSON is one alert as GET /v1/alerts serves it: the webhook's
// body, and how its delivery went.
type alertJSON struct {
	alerts.Payload
	Status    lifecycle.AlertStatus `json:"status"`
	Attempts  int                   `json:"attempts"`
	LastError string                `json:"last_error,omitempty"`
}

// alerts answers GET /v1/alerts: one week's alerts as the store keeps
// them, by account then cause, a page at a time; the latest week with
// alerts unless week= names one. It is there only when the server keeps
// a score history, which is what alerts are raised from and kept in.
func (s *Server) alerts(c *gin.Context) {
	store, ok := s.cfg.Scores.(alertLog)
	if !ok {
		s.fail(c, http.StatusNotFound, "no alerts: they are kept in the score history, and the server was started with --db off")
		return
	}
	q, err := alertsQuery(c.Request.URL.Query())
	if err != nil {
		s.fail(c, http.StatusBadRequest, err.Error())
		return
	}
	ctx := c.Request.Context()
	weeks, err := store.AlertWeeks(ctx)
	if err != nil {
		s.fail(c, http.StatusInternalServerError, "alerts: "+err.Error())
		return
	}
	slices.Reverse(weeks) // newest first, as the dashboard offers them
	week := q.week
	if week == features.NoDate && len(weeks) > 0 {
		week = weeks[0]
	}
	var out []alertJSON
	if week != features.NoDate {
		as, err := store.Alerts(ctx, week)
		if err != nil {
			s.fail(c, http.StatusInternalServerError, "alerts: "+err.Error())
			return
		}
		for i := range as {
			if q.cause != "" && as[i].Cause != q.cause {
				continue
			}
			out = append(out, alertJSON{Payload: alerts.PayloadOf(&as[i]), Status: as[i].Status,
				Attempts: as[i].Attempts, LastError: as[i].LastError})
		}
	}
	total := len(out)
	out = out[min(q.offset, total):min(q.offset+q.limit, total)]
	if out == nil {
		out = []alertJSON{}
	}
	var next *int
	if end := q.offset + len(out); end < total {
		next = &end
	}
	weekText := make([]string, len(weeks))
	for i, w := range weeks {
		weekText[i] = w.String()
	}
	var shown *string
	if week != features.NoDate {
		w := week.String()
		shown = &w
	}
	s.reply(c, http.StatusOK, struct {
		Week       *string     `json:"week"`
		Weeks      []string    `json:"weeks"`
		Alerts     []alertJSON `json:"alerts"`
		Total      int         `json:"total"`
		Offset     int         `json:"offset"`
		Limit      int         `json:"limit"`
		NextOffset *int        `json:"next_offset"`
	}{shown, weekText, out, total, q.offset, q.limit, next})
}

// alertsParams is GET /v1/alerts's query.
type alertsParams struct {
	week          features.Date // NoDate: the latest with alerts
	cause         lifecycle.Cause
	limit, offset int
}

// alertsQuery reads GET /v1/alerts's query; an unknown or repeated
// parameter is an error, as for the ranking.
func alertsQuery(v url.Values) (alertsParams, error) {
	p := alertsParams{week: features.NoDate}
	if err := checkParams(v, "week", "cause", "limit", "offset"); err != nil {
		return p, err
	}
	if s := v.Get("week"); s != "" {
		w, err := features.ParseDate(s)
		if err != nil {
			return p, fmt.Errorf("week=%s: want a date, YYYY-MM-DD", excerpt(s))
		}
		p.week = w
	}
	switch c := lifecycle.Cause(v.Get("cause")); c {
	case "", lifecycle.TurnedRed, lifecycle.Jumped, lifecycle.RenewalRed:
		p.cause = c
	default:
		return p, fmt.Errorf("cause=%s: want %s, %s or %s", excerpt(string(c)), lifecycle.TurnedRed, lifecycle.Jumped, lifecycle.RenewalRed)
	}
	var err error
	p.limit, p.offset, err = pageParams(v, defaultAlertsLimit, maxAlertsLimit)
	return p, err
}
