package serve

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/models/crm"
	"github.com/churnlabs/churn/models/ranking"
)

// crmConfig is cfg counting into the server's metrics (and still
// telling cfg.Done) and logging to its logger unless cfg has one.
func (s *Server) crmConfig(cfg crm.PushConfig) crm.PushConfig {
	done := cfg.Done
	cfg.Done = func(r crm.BatchResult) {
		if r.Err == nil {
			s.metrics.crmRecords.WithLabelValues("delivered").Add(float64(r.Records))
		} else {
			s.metrics.crmRecords.WithLabelValues("failed").Add(float64(r.Records))
			if r.Attempts > 0 {
				s.metrics.crmFailures.Inc()
			}
		}
		if done != nil {
			done(r)
		}
	}
	if cfg.Log == nil {
		cfg.Log = s.log
	}
	return cfg
}

// crmExport answers GET /v1/crm: the CRM import file of every account
// the ranking's filters keep, in the ranking's order, as churn score
// --format crm --crm writes it. The time scored is when the book was
// loaded, not the request's, so every download of a week is the same
// file and matches what the webhook push sent.
func (s *Server) crmExport(c *gin.Context) {
	st := s.state.Load()
	if st.table != nil {
		s.fail(c, http.StatusNotFound, errTableModel)
		return
	}
	v := c.Request.URL.Query()
	err := checkParams(v, "crm", "segment", "play_segment", "renewal_within_days", "sort")
	var cols crm.Columns
	if err == nil {
		cols, err = crmParam(v)
	}
	var q ranking.Query
	if err == nil {
		q, err = rankingFilters(v)
	}
	if err == nil {
		err = checkFilters(st.book, q)
	}
	if err != nil {
		s.fail(c, http.StatusBadRequest, err.Error())
		return
	}
	accounts := st.book.Rank(q)
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="churn-%s-%s.csv"`, v.Get("crm"), st.book.AsOf))
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Status(http.StatusOK)
	// Written as it goes: the file of a large book runs to megabytes. An
	// error here is the client gone, with the status already sent.
	if err := crm.WriteCSV(c.Writer, cols, st.book, accounts, st.loaded); err != nil {
		s.log.Warn("CRM export cut short", "err", err)
	}
}

// crmParam reads the crm parameter: the CRM whose field names the file
// carries, required.
func crmParam(v url.Values) (crm.Columns, error) {
	name := v.Get("crm")
	if name == "" {
		return crm.Columns{}, fmt.Errorf("query parameter crm is required: want one of %s", strings.Join(crm.Names(), ", "))
	}
	cols, err := crm.Lookup(name)
	if err != nil {
		return cols, fmt.Errorf("crm=%s: want one of %s", excerpt(name), strings.Join(crm.Names(), ", "))
	}
	return cols, nil
}
