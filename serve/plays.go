package serve

import (
	"fmt"
	"net/http"
	"net/url"
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
	if err := checkParams(v, "due_only", "limit", "offset"); err != nil {
		return false, 0, 0, err
	}
	if v.Has("due_only") {
		s := v.Get("due_only")
		if dueOnly, err = strconv.ParseBool(s); err != nil {
			return false, 0, 0, fmt.Errorf("due_only=%s: want true or false", excerpt(s))
		}
	}
	limit, offset, err = pageParams(v, defaultPlaysLimit, maxPlaysLimit)
	return dueOnly, limit, offset, err
}
