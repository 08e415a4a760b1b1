// Package events rolls raw, time-stamped tables (product event logs,
// support tickets, invoices) and an accounts table up into the weekly
// account snapshots the rest of churn reads.
//
// One Mapping says, per source, which rows are logins and key actions,
// which tickets breached their SLA, which invoices are overdue, which
// columns to sum or count distinct as extra signals, and where ARR,
// segment, renewal date and renewal type come from. Rows are pulled through the small
// RowReader interface, so a source may be a CSV or Parquet file, a
// directory of Hive-style partitions, or a PostgreSQL query (a postgres://
// path with a query, read by package postgres): the roll-up does not care. Memory is bounded by accounts x weeks, not by
// events: each row is folded into its account-week as it is read. (Invoices
// are kept as due and paid dates until the end, a few per account-month;
// distinct counts keep each account's distinct values once, with a bit per
// week.)
//
// # Weeks
//
// A week starts on Monday in the mapping's time zone (UTC by default) and
// a snapshot describes it as of its end: recency, overdue invoices and
// the accounts table's values are those at the end of its Sunday. Only
// complete weeks are written: by default the last week is the last one
// whose Sunday the data reaches, and rows after it are left out (counted),
// because a snapshot of a week that has not ended would look like a drop
// in activity. An account's weeks run from the week of its first activity
// (a login or key action), or of its contract start when the accounts
// table maps one and it is earlier, to its churn week or the last week,
// with weeks without activity written as zero weeks. Mapping.From (or
// Options.From) starts them no earlier than a given week: rows before it
// are history, counted in recency, overdue invoices and the accounts
// table's values.
//
// # Churn
//
// An account churns at the earliest of: its first row matching the
// mapping's churn_event filter, its contract end date (accounts table),
// or, with a silence rule (ChurnAfterSilence), the day its FIRST silence
// of that length is reached: for the first active day L followed by no
// activity on days L+1..L+S, churn is declared in the week holding L+S.
//
// It is never the final silence. Labelling only the silence that ends an
// account's history would use the future: a row in the middle of a long
// silence would then be known to belong to a customer who comes back
// (otherwise that silence would have been declared churn), so a model
// would learn that long silences mean "stays", which no one can know on
// the day the row is scored.
//
// An account's history ends at its churn week. A row in a later week is an
// error after an explicit churn (a cancellation or a contract end: the
// data contradicts itself), or a counted warning when Lenient is set. After
// a silence churn it is expected (CDNOW's customers come back months
// later) and is left out with a counted note: a new life of the same
// account is out of scope.
//
// # In the warehouse
//
// SQL writes the same roll-up as one SQL statement for PostgreSQL,
// DuckDB, Spark SQL or BigQuery, each source a table, a query or (DuckDB,
// Spark) files the engine reads. One generator writes every dialect; what
// differs between engines (quoting, types, the day of an instant in a
// zone, date arithmetic, the Monday of a week, the series of an account's
// weeks, byte order, reading files) is a small table per engine, the
// dialect interface. The statement computes what Build does with the same
// steps: days, activity, the first silence, each account's life, its
// weeks, then per week the activity, signals, SLA breaches, invoices
// overdue at the end of the Sunday (as +1 and -1 steps summed over the
// weeks) and the accounts table's row in force.
//
// # Determinism
//
// Every aggregate is order-independent (counts, day sets, sums held as
// exact integers of millionths), and the output is sorted by account, then
// week; so the same rows in any order, split into any files, give the same
// bytes. An exactly repeated row counts twice: nothing tells a double
// export from two identical purchases. A source's rows are parsed in one
// goroutine, folded in another and their distinct values recorded in a
// third, each in the rows' order: the output is the same as in one.
package events
