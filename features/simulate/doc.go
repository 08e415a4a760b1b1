// Package simulate generates realistic weekly snapshots of a B2B SaaS
// customer base: the project's built-in sample data and the data its
// models are judged on.
//
// The simulation is a small world of independent accounts that share a
// calendar. Each mechanism is a named piece with its own documentation:
//
//   - sign-ups: about 40% of accounts exist before the first week (their
//     history runs unobserved for half a year first, so they start in a
//     realistic state); the rest sign up uniformly over the weeks;
//   - segments: smb, mid and enterprise, each with its own team size
//     (seats), price per seat, contract mix and risk profile;
//   - contracts: monthly or annual; revenue expands or contracts mostly
//     at renewals, and annual accounts mostly leave at one;
//   - health: a latent, mean-reverting random walk from which activity
//     (active users, logins, key actions, recency) is drawn;
//   - decline: churn is usually preceded by weeks of falling health, but
//     some declines recover and some churn is abrupt;
//   - outages and support trouble raise SLA breaches, and repeated
//     breaches hurt health;
//   - financial distress leaves invoices overdue for weeks and raises
//     churn risk;
//   - seasonality: activity dips over the year-end holidays and summer;
//   - gaps: about 1.5% of an account's non-final weeks are not reported.
//
// The output is deterministic for a seed, and memory grows with the
// number of accounts, not rows, so very large runs stream.
//
// RunRaw writes the raw tables behind a run's snapshots instead (product
// events, support tickets, invoices, the accounts table's history), which
// package events rolls up into the same snapshots with RawMappingYAML.
package simulate
