package serve

import "github.com/churnlabs/churn/models/crm"

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
