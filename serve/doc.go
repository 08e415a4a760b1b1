// Package serve is the HTTP service behind "churn serve": it loads a
// trained model and the latest snapshot of every account, and answers
// churn scores with their explanations.
//
// # Routes
//
//	GET  /v1/accounts/{id}/score   an active account's latest score
//	GET  /v1/accounts/{id}         the same with the account's ranking entry,
//	                               feature values and recent raw weeks
//	GET  /v1/accounts/{id}/survival  its survival curve over 26 weeks, chance of
//	                               leaving before renewal, expected weeks to
//	                               churn; horizon=K explains week K's hazard
//	POST /v1/score                 scores raw feature rows: {"features": {...}}
//	                               or {"rows": [{...}, ...]}
//	GET  /v1/ranking               a page of the active accounts by risk, with
//	                               the totals of all that match; query parameters
//	                               segment, play_segment, renewal_within_days, sort
//	                               (probability, arr_at_risk, before_renewal), limit, offset
//	GET  /v1/crm                   the CRM import file (crm=salesforce or hubspot)
//	                               of every account the ranking's filters keep, as
//	                               churn score --format crm writes it
//	GET  /v1/plays                 the week's renewal plays under Config.Segments:
//	                               touchpoints due, ARR at risk first; due_only,
//	                               limit, offset
//	GET  /v1/maturity              the maturity ladder, churn by level with its
//	                               interval and accounts per level, under
//	                               Config.Maturity
//	GET  /v1/model                 the model: version, features, training
//	                               window, validation metrics, health rule
//	GET  /v1/model/performance     realized outcomes of the recorded scores per
//	                               version, with a score history
//	POST /v1/admin/reload          reloads the model and the snapshots
//	GET  /healthz, /readyz         liveness and readiness
//	GET  /v2/health/live, /v2/health/ready, /v2/models/churn/ready,
//	     /v2/models/churn          Open Inference Protocol v2 health and metadata
//	GET  /metrics                  Prometheus metrics
//	GET  /openapi.json             the OpenAPI 3 description of every route
//	                               (openapi.json, embedded)
//	GET  /, /assets/*              the dashboard, when Config.Dashboard is set
//
// Every score carries churn_probability, log_odds, base_value and
// contributions, one per feature in log-odds, that sum with base_value
// to log_odds; the top drivers in plain words; the health colour; and the
// model version. A raw row's score also lists the model features the row
// left unknown, in "missing"; a row with none of them known is refused
// with 400, naming the row's index in a batch. Errors are
// {"error": "..."} with a 4xx status for the caller's mistakes. Unknown
// numbers are written as null, never as NaN. A ranked account (GET
// /v1/ranking, GET /v1/accounts/{id}) also carries its health by signal
// group: product_use, support, financial and account, each a sub-score in
// log-odds (the four sum to log_odds minus base_value) and a colour.
//
// # Reloading
//
// A Server holds its model, scorer and ranked accounts in one immutable
// value behind an atomic pointer. Reload builds a new one beside the old
// and swaps the pointer only when every step succeeded, so requests never
// fail or see half a model, and a missing or corrupt model is rejected
// while the old one keeps serving. Each request reads the pointer once,
// so its answer is consistent even when a swap happens mid-request.
// Concurrent reloads are coalesced: one runs, one waits, and every call
// made while one waits shares its result.
//
// # Shadow and score history
//
// With Config.Scores, every state loaded is recorded, at start, on each
// reload and every Config.RecordEvery (RecordPeriodically). A shadow
// (Config.ShadowDir, or a registry's with Config.Shadow) is scored into
// the same state beside the served model and recorded marked shadow; no
// request reads it, and its failures never fail a load or a request.
// With Config.CRM, every state loaded of a new week or model version is
// also pushed to a CRM webhook (package crm), in the background.
//
// # Security
//
// With Config.Token set, every route except health, metrics and
// /openapi.json needs "Authorization: Bearer <token>";
// Config.PublicDashboard opens the read-only routes the dashboard uses,
// and Config.AdminToken, when set, is the reload route's token instead.
// Request bodies are limited to Config.MaxBodyBytes, and Serve sets
// read, write and idle timeouts. Metric labels and access log lines hold
// only bounded values, whatever method or path a client sends.
//
// # Shutting down
//
// Serve drains when its context is done: readiness fails and responses
// close their connections for Config.Drain while the server still
// serves, then it stops accepting and waits for requests in flight. It
// handles no signals; "churn serve" maps SIGINT and SIGTERM to the
// context and SIGHUP to Reload.
package serve
