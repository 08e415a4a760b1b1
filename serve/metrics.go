package serve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serverMetrics are one Server's Prometheus metrics, in a registry of its own:
// two servers in one process, as in tests, must not share counters.
type serverMetrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// scoredAccounts and scoredRows are the two series of
	// churn_scores_served_total, resolved once: they are on the hot path.
	scoredAccounts prometheus.Counter
	scoredRows     prometheus.Counter

	model    *prometheus.GaugeVec
	accounts prometheus.Gauge
	// maturity counts the ranked accounts by maturity level; it has no
	// series on a server without maturity levels.
	maturity *prometheus.GaugeVec
	// featurePSI and featureMissing are labelled by the served model's
	// features only, reset on each load: bounded by the model file, not
	// by anything a client sends.
	featurePSI     *prometheus.GaugeVec
	featureMissing *prometheus.GaugeVec
	scorePSI       *prometheus.GaugeVec
	loaded         prometheus.Gauge

	reloads        prometheus.Counter
	reloadFailures prometheus.Counter

	accessLogDropped prometheus.Counter

	historyRecorded prometheus.Counter
	historyFailures *prometheus.CounterVec

	// shadowRecorded and shadowFailures count the shadow's books
	// recorded and its failures, by stage (load or record).
	shadowRecorded prometheus.Counter
	shadowFailures *prometheus.CounterVec
	// shadowAUCDiff and shadowP are the paired comparisons of the last
	// GET /v1/model/performance, by champion and challenger version.
	shadowAUCDiff *prometheus.GaugeVec
	shadowP       *prometheus.GaugeVec

	// realizedAUC and realizedRows are the realized outcomes of the
	// last GET /v1/model/performance, by model version and segment.
	realizedAUC  *prometheus.GaugeVec
	realizedRows *prometheus.GaugeVec

	// crmRecords counts the records of the CRM push by result
	// (delivered or failed); crmFailures the requests given up.
	crmRecords  *prometheus.CounterVec
	crmFailures prometheus.Counter
}

func newServerMetrics() *serverMetrics {
	m := &serverMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "churn_http_requests_total",
			Help: "HTTP requests answered, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "churn_http_request_duration_seconds",
			Help: "Time to answer HTTP requests, by route, method and status code.",
			// Down to 100µs: a precomputed account score takes well under
			// a millisecond, and coarser buckets would hide a regression.
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method", "code"}),
		model: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "churn_model_info",
			Help: "The model being served: 1 for its version and kind.",
		}, []string{"version", "kind"}),
		accounts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "churn_active_accounts",
			Help: "Active accounts scored from the latest snapshots.",
		}),
		maturity: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "churn_maturity_accounts",
			Help: "Active accounts at each maturity level (1 onboarding to 4 optimisation), with churn serve --maturity.",
		}, []string{"level"}),
		featurePSI: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "churn_feature_psi",
			Help: "Population stability index of each feature, latest snapshot week against the training weeks (below 0.1 stable, above 0.25 a major shift).",
		}, []string{"feature"}),
		featureMissing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "churn_feature_missing_share",
			Help: "Share of active accounts whose feature is missing in the latest snapshot week.",
		}, []string{"feature"}),
		// A vector with no labels: it has no series for a model that
		// recorded no training distribution, rather than a false 0.
		scorePSI: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "churn_score_psi",
			Help: "Population stability index of the churn score, latest snapshot week against the training weeks.",
		}, nil),
		loaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "churn_state_loaded_timestamp_seconds",
			Help: "When the model and snapshots being served were loaded, in Unix seconds.",
		}),
		reloads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "churn_reloads_total",
			Help: "Reloads attempted, by signal or by the admin route.",
		}),
		reloadFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "churn_reload_failures_total",
			Help: "Reloads rejected; the previous model kept serving.",
		}),
		accessLogDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "churn_access_log_dropped_total",
			Help: "Access log lines dropped because the log's writer fell behind.",
		}),
		historyRecorded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "churn_score_history_recorded_total",
			Help: "Books of scores recorded in the score history, at start and on each reload.",
		}),
		historyFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "churn_score_history_failures_total",
			Help: "Score history operations that failed, by op: record (a book not stored) or read (past weeks scored again instead).",
		}, []string{"op"}),
	}
	m.realizedAUC = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "churn_realized_roc_auc",
		Help: "ROC AUC of the recorded scores against realized churn on the matured weeks, by model version and segment (\"\" for all), as of the last GET /v1/model/performance.",
	}, []string{"model_version", "segment"})
	m.realizedRows = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "churn_realized_rows",
		Help: "Recorded scores with a matured, uncensored outcome, by model version and segment, as of the last GET /v1/model/performance.",
	}, []string{"model_version", "segment"})
	for _, op := range []string{"record", "read"} {
		m.historyFailures.WithLabelValues(op)
	}
	m.shadowRecorded = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "churn_shadow_recorded_total",
		Help: "Books of shadow scores (a challenger scored beside the served model, never shown) recorded in the score history.",
	})
	m.shadowFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "churn_shadow_failures_total",
		Help: "Shadow model failures, by stage: load (not read or not scored; the served model serves alone) or record (its scores not stored).",
	}, []string{"stage"})
	for _, stage := range []string{"load", "record"} {
		m.shadowFailures.WithLabelValues(stage)
	}
	m.shadowAUCDiff = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "churn_shadow_roc_auc_difference",
		Help: "Realized ROC AUC of the shadow (challenger) minus the model shown (champion), on the matured account-weeks both scored, as of the last GET /v1/model/performance.",
	}, []string{"champion", "challenger"})
	m.shadowP = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "churn_shadow_roc_auc_p_value",
		Help: "Two-sided p-value of DeLong's paired test of churn_shadow_roc_auc_difference.",
	}, []string{"champion", "challenger"})
	m.crmRecords = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "churn_crm_push_records_total",
		Help: "Records pushed to the CRM webhook (serve --crm-webhook), by result: delivered, or failed (given up, or not sent once the receiver was found down).",
	}, []string{"result"})
	for _, r := range []string{"delivered", "failed"} {
		m.crmRecords.WithLabelValues(r)
	}
	m.crmFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "churn_crm_push_failures_total",
		Help: "Requests of the CRM push given up: refused (4xx), out of attempts, or abandoned on shutdown.",
	})
	scores := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "churn_scores_served_total",
		Help: "Scores served: account scores by id, and raw rows scored.",
	}, []string{"endpoint"})
	m.scoredAccounts = scores.WithLabelValues("account")
	m.scoredRows = scores.WithLabelValues("row")
	m.reg.MustRegister(m.requests, m.latency, scores, m.model, m.accounts, m.maturity, m.loaded,
		m.featurePSI, m.featureMissing, m.scorePSI,
		m.reloads, m.reloadFailures, m.accessLogDropped, m.historyRecorded, m.historyFailures,
		m.realizedAUC, m.realizedRows, m.shadowRecorded, m.shadowFailures, m.shadowAUCDiff, m.shadowP,
		m.crmRecords, m.crmFailures, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe records one answered request. Every label comes from a
// bounded set, whatever the client sends: the method is folded by
// sanitizeMethod, the route is a registered pattern or "unmatched", and
// the status is one this server wrote.
func (m *serverMetrics) observe(method, route string, status int, took time.Duration) {
	code := statusLabel(status)
	m.requests.WithLabelValues(route, method, code).Inc()
	m.latency.WithLabelValues(route, method, code).Observe(took.Seconds())
}

// sanitizeMethod folds a request method into a bounded set, as
// Prometheus' own promhttp instrumentation does: the standard methods in
// upper or lower case become their upper-case name, anything else
// "unknown". The method is the client's to choose, and before auth, so
// labelling or logging it raw lets any client mint series and log bytes
// at will.
func sanitizeMethod(m string) string {
	switch m {
	case "GET", "get":
		return http.MethodGet
	case "HEAD", "head":
		return http.MethodHead
	case "POST", "post":
		return http.MethodPost
	case "PUT", "put":
		return http.MethodPut
	case "DELETE", "delete":
		return http.MethodDelete
	case "CONNECT", "connect":
		return http.MethodConnect
	case "OPTIONS", "options":
		return http.MethodOptions
	case "PATCH", "patch":
		return http.MethodPatch
	case "TRACE", "trace":
		return http.MethodTrace
	}
	return "unknown"
}

// statusLabel is the code label of a status: the code itself when it is
// a valid HTTP status, else "other".
func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

// describe points the state metrics at st.
func (m *serverMetrics) describe(st *state) {
	m.model.Reset()
	m.model.WithLabelValues(st.model.Version, st.model.Kind).Set(1)
	m.accounts.Set(float64(len(st.book.Accounts)))
	m.maturity.Reset()
	if st.maturity != nil {
		for _, lv := range st.maturity.res.Levels {
			m.maturity.WithLabelValues(strconv.Itoa(lv.Level)).Set(float64(lv.Accounts))
		}
	}
	m.loaded.Set(float64(st.loaded.UnixNano()) / 1e9)
	m.featurePSI.Reset()
	m.featureMissing.Reset()
	m.scorePSI.Reset()
	for j, d := range st.drift {
		if j == len(st.model.Features) {
			m.scorePSI.WithLabelValues().Set(d.PSI)
			continue
		}
		m.featurePSI.WithLabelValues(d.Name).Set(d.PSI)
		m.featureMissing.WithLabelValues(d.Name).Set(d.Missing)
	}
}

// handler serves the registry in the Prometheus exposition formats.
func (m *serverMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
