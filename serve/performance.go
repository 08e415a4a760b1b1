package serve

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/models/lifecycle/monitor"
)

// performance answers GET /v1/model/performance: the recorded scores of
// every matured week checked against the churn the served snapshots
// show, as "churn monitor" prints them, over the served model's horizon.
// It reads the score history on each request, which is the price of an
// answer that includes the latest recordings; it also sets the
// churn_realized_* and churn_shadow_roc_auc_* gauges.
func (s *Server) performance(c *gin.Context) {
	st := s.state.Load()
	if st.table != nil {
		s.fail(c, http.StatusNotFound, errTableModel)
		return
	}
	h, ok := s.cfg.Scores.(monitor.History)
	if !ok || st.fates == nil {
		s.fail(c, http.StatusNotFound, "no score history: the server was started with --db off")
		return
	}
	rep, err := monitor.Run(c.Request.Context(), h, st.fates, monitor.Options{Horizon: st.model.Horizon, AsOf: st.lastWeek})
	if err != nil {
		s.fail(c, http.StatusInternalServerError, "realized outcomes: "+err.Error())
		return
	}
	s.metrics.realizedAUC.Reset()
	s.metrics.realizedRows.Reset()
	for _, g := range rep.Groups {
		s.metrics.realizedRows.WithLabelValues(g.ModelVersion, g.Segment).Set(float64(g.Rows))
		if g.AUC.Estimate == g.AUC.Estimate { // not NaN: both classes seen
			s.metrics.realizedAUC.WithLabelValues(g.ModelVersion, g.Segment).Set(g.AUC.Estimate)
		}
	}
	s.metrics.shadowAUCDiff.Reset()
	s.metrics.shadowP.Reset()
	for _, c := range rep.Shadows {
		if c.Difference.Estimate == c.Difference.Estimate { // not NaN: tested
			s.metrics.shadowAUCDiff.WithLabelValues(c.Champion, c.Challenger).Set(c.Difference.Estimate)
			s.metrics.shadowP.WithLabelValues(c.Champion, c.Challenger).Set(c.P)
		}
	}
	s.reply(c, http.StatusOK, rep)
}
