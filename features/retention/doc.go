// Package retention computes the measurements retention teams act on
// from the same weekly account snapshots the churn models learn from:
// churn and revenue retention, sign-up cohorts, leading indicators of
// retention, and the uplift of an intervention.
//
// It holds statistics only: counts, shares, their intervals and the
// rules that define them, with no model fitted and nothing drawn. It
// sits in the domain layer beside features and imports nothing from
// models (features/layers_test.go enforces it). The adoption score, which
// fits a logistic regression on the indicators found here, is
// models/adoption; the report that gathers everything into report.json,
// PNG charts and report.html is models/report.
//
// Read streams a snapshot file once into a History, a compact per-account
// history: first, last and churn weeks, segment, ARR changes, and weekly
// behaviour as float32. A Collector builds the same History from the pass of
// features.Build (BuildOptions.Observe), so that one read of a file makes
// both the feature table and the history. Everything else is computed from
// the History:
//
//   - Churn: per calendar month or quarter, for the whole history and per
//     segment, the churn rate of the accounts that were customers as the
//     period began, and from their ARR the revenue churn, gross revenue
//     retention (GRR) and net revenue retention (NRR).
//   - Cohorts: accounts grouped by the month (or quarter) of their first
//     snapshot, with the share still a customer month by month. Accounts
//     present in the data's first week signed up on an unknown earlier
//     date and are left out, counted as left-censored.
//   - FindIndicators: indicators of the form "at least P% of reported
//     weeks in the last T days have E at least v" (at most v for recency
//     and trouble counts), for every behaviour column, thresholds from its
//     quantiles, and a grid of T and P. Each is judged at sampled
//     account-weeks by the retention, a horizon later, of the accounts
//     that meet it against those that do not: counts, lift, and a
//     Newcombe interval for the difference. FindIndicatorsSample also
//     returns those account-weeks, and Sample.Meets and History.Meets
//     evaluate an indicator of one's choice, which is what an adoption
//     score is built from.
//   - Uplift: retention after a contact week of treated against control
//     accounts, from a treatment file (ReadTreatment): a difference of
//     proportions with a Newcombe interval.
//
// Measure gathers the churn, cohort and indicator statistics into a
// Report.
//
// The rules follow the product's label: a customer at a date has been
// seen before it and is seen on or after it; churn is the week marked
// churned; an account that stops reporting without churning drops out
// of what follows, counted neither as churned nor as retained (a gap is
// not churn). An account's ARR at a date is the last ARR it reported
// before that date.
package retention
