package serve

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/models/plays"
)

// Page sizes of GET /v1/plays, as for the ranking: a whole book in the
// renewal window can be large.
const (
	defaultPlaysLimit = 100
	maxPlaysLimit     = 1000
)

// plays answers GET /v1/plays: the renewal plays of the served book's
// week under Config.Segments, ARR at risk first, a page at a time.
func (s *Server) plays(c *gin.Context) {
	st := s.state.Load()
	if st.table != nil {
		s.fail(c, http.StatusNotFound, errTableModel)
		return
	}
	dueOnly, limit, offset, err := playsQuery(c.Request.URL.Query())
	if err != nil {
		s.fail(c, http.StatusBadRequest, err.Error())
		return
	}
	// The model can be reloaded under the segments: one without the
	// team-size column would put no account in a seats segment.
	if err := s.cfg.Segments.CheckModel(st.book.Model.Features); err != nil {
		s.fail(c, http.StatusInternalServerError, err.Error())
		return
	}
	w := plays.For(st.book, s.cfg.Segments)
	if dueOnly {
		w = w.DueOnly()
	}
	total := len(w.Plays)
	w.Plays = w.Plays[min(offset, total):min(offset+limit, total)]
	var next *int
	if end := offset + len(w.Plays); end < total {
		next = &end
	}
	s.reply(c, http.StatusOK, struct {
		plays.Week
		Total      int  `json:"total"`
		Offset     int  `json:"offset"`
		Limit      int  `json:"limit"`
		NextOffset *int `json:"next_offset"`
	}{w, total, offset, limit, next})
}

// playsQuery reads GET /v1/plays's query; an unknown or repeated
// parameter is an error, as for the ranking.
func playsQuery(v url.Values) (dueOnly bool, limit, offset int, err error) {
	limit = defaultPlaysLimit
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if len(v[name]) > 1 {
			return false, 0, 0, fmt.Errorf("query parameter %q is repeated", name)
		}
		val := v.Get(name)
		switch name {
		case "due_only":
			if dueOnly, err = strconv.ParseBool(val); err != nil {
				return false, 0, 0, fmt.Errorf("due_only %q: want true or false", val)
			}
		case "limit":
			if limit, err = strconv.Atoi(val); err != nil || limit < 1 || limit > maxPlaysLimit {
				return false, 0, 0, fmt.Errorf("limit %q: want 1 to %d", val, maxPlaysLimit)
			}
		case "offset":
			if offset, err = strconv.Atoi(val); err != nil || offset < 0 {
				return false, 0, 0, fmt.Errorf("offset %q: want 0 or more", val)
			}
		default:
			return false, 0, 0, fmt.Errorf("unknown query parameter %q: want due_only, limit or offset", name)
		}
	}
	return dueOnly, limit, offset, nil
}
