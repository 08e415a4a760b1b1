package events

import (
	"errors"
	"fmt"
	"strings"

	"github.com/churnlabs/churn/features"
)

// SQL returns the roll-up m describes as one SQL statement of dialect
// (only "postgres" for now), reading the rows from the query from: for a
// warehouse, where the events are too many to leave it. Its result has the
// columns and rows Build writes, in the same order: weeks from Monday in
// m's time zone, logins = days with an event, frequency = events,
// recency_days = days from the last event to the week's Sunday, zero weeks
// while the account is alive, churn on the first silence of
// ChurnAfterSilence, only complete weeks up to until (NoDate: the last
// event's day).
//
// It covers the plain case (one events source, every row a login and a
// key action, sum and count_distinct signals, no filters or accounts
// table) and says so for the rest. The time column must be a timestamptz (or text PostgreSQL reads
// as one); a timestamp or date column is read in the session's TimeZone.
// Unlike Build, it does not check the rows: bad times fail the query,
// rows after today are not refused.
func SQL(m *Mapping, dialect, from string, until features.Date) (string, error) {
	if dialect != "postgres" {
		return "", fmt.Errorf("SQL dialect %q: only postgres is written so far", dialect)
	}
	if strings.TrimSpace(from) == "" {
		return "", errors.New("SQL: no query for the rows")
	}
	if len(m.Sources) != 1 {
		return "", errors.New("SQL: one events source only, so far")
	}
	s := &m.Sources[0]
	switch {
	case s.kind() != KindEvents:
		return "", fmt.Errorf("SQL: %s sources are not written so far", s.kind())
	case s.Logins != nil || s.Actions != nil || s.ChurnEvent != nil:
		return "", errors.New("SQL: login, action and churn_event filters are not written so far")
	case m.Accounts != nil:
		return "", errors.New("SQL: an accounts table is not written so far")
	case s.TimeFormat != "":
		return "", errors.New("SQL: a time format is not written so far: give the time as a timestamptz")
	case s.LoginCount == LoginRows:
		return "", errors.New("SQL: login_count: rows is not written so far")
	case m.From != "" || m.Until != "":
		// until is the function's argument; from is not written yet.
		return "", errors.New("SQL: a mapping's from: and until: are not written so far")
	case s.Account == "" || s.Time == "":
		return "", errors.New("SQL: the account and time columns are required")
	}
	loc, err := m.Location()
	if err != nil {
		return "", err
	}
	silence, err := m.SilenceDays()
	if err != nil {
		return "", err
	}
	untilSQL := "SELECT MAX(day) AS u FROM days"
	if until != features.NoDate && until != 0 {
		untilSQL = "SELECT DATE " + literal(until.String()) + " AS u"
	}
	// The signals, in the snapshot's column order (sums, then distinct
	// counts, as Schema has them): a cell IsMissing reads as unknown is
	// NULL, as in Build; sums are rounded to millionths row by row, as
	// Build keeps them.
	var missing []string
	for _, v := range features.MissingSpellings() {
		missing = append(missing, literal(v))
	}
	cell := func(col string) string {
		t := "CAST(src." + ident(col) + " AS text)"
		return "CASE WHEN " + t + " IN (" + strings.Join(missing, ", ") + ") THEN NULL ELSE " + t + " END"
	}
	var evCols, dayCols, weekSums, outCols strings.Builder
	var distinctCols []string
	for k, sig := range s.Sum {
		fmt.Fprintf(&evCols, ",\n         ROUND(CAST(%s AS numeric), 6) AS s%d", cell(sig.Column), k)
		fmt.Fprintf(&dayCols, ", SUM(s%d) AS s%d", k, k)
		fmt.Fprintf(&weekSums, ", SUM(s%d) AS s%d", k, k)
		fmt.Fprintf(&outCols, ",\n       CAST(COALESCE(k.s%d, 0) AS double precision) AS %s", k, ident(sig.name()))
	}
	for k, sig := range s.CountDistinct {
		fmt.Fprintf(&evCols, ",\n         %s AS d%d", cell(sig.Column), k)
		distinctCols = append(distinctCols, fmt.Sprintf("COUNT(DISTINCT d%d) AS d%d", k, k))
		fmt.Fprintf(&outCols, ",\n       COALESCE(x.d%d, 0) AS %s", k, ident(sig.name()))
	}
	// Each step is a CTE named for what it holds; days (one row per
	// account and active day) is what every later step reads, so the
	// events are scanned once.
	var b strings.Builder
	fmt.Fprintf(&b, `WITH ev AS (
  SELECT CAST(src.%s AS text) AS account,
         CAST(CAST(src.%s AS timestamptz) AT TIME ZONE %s AS date) AS day%s
  FROM (%s) AS src
),
days AS (
  SELECT account, day, day - (CAST(EXTRACT(ISODOW FROM day) AS integer) - 1) AS week, COUNT(*) AS n%s
  FROM ev GROUP BY account, day
),
bounds AS (
  -- The last complete week: the one whose Sunday the data (or until) reaches.
  SELECT last_week, last_week + 6 AS end_day FROM (
    SELECT u - (CAST(EXTRACT(ISODOW FROM u) AS integer) - 1) - CASE WHEN EXTRACT(ISODOW FROM u) = 7 THEN 0 ELSE 7 END AS last_week
    FROM (%s) AS x
  ) AS y
),
`, ident(s.Account), ident(s.Time), literal(loc.String()), evCols.String(), strings.TrimRight(strings.TrimSpace(from), ";"), dayCols.String(), untilSQL)
	if silence > 0 {
		fmt.Fprintf(&b, `silence AS (
  -- The day each account's FIRST silence of %[1]d days is reached: the
  -- earliest active day followed by %[1]d days without activity, plus %[1]d.
  SELECT account, MIN(day + %[1]d) AS churn_day FROM (
    SELECT account, day, LEAD(day) OVER (PARTITION BY account ORDER BY day) AS next_day FROM days
  ) AS g
  WHERE next_day IS NULL OR next_day - day > %[1]d
  GROUP BY account
),
`, silence)
	} else {
		b.WriteString("silence AS (\n  SELECT NULL::text AS account, NULL::date AS churn_day WHERE false\n),\n")
	}
	b.WriteString(`accounts AS (
  SELECT a.account, a.first_week, c.churn_day,
         COALESCE(c.churn_day - (CAST(EXTRACT(ISODOW FROM c.churn_day) AS integer) - 1), b.last_week) AS stop
  FROM (SELECT account, MIN(day) AS first_day, MIN(week) AS first_week FROM days GROUP BY account) AS a
  CROSS JOIN bounds AS b
  LEFT JOIN silence AS s ON s.account = a.account
  CROSS JOIN LATERAL (SELECT CASE WHEN s.churn_day <= b.end_day THEN s.churn_day END AS churn_day) AS c
  WHERE a.first_day <= b.end_day
),
weeks AS (
  SELECT a.account, CAST(w AS date) AS week, a.stop, a.churn_day
  FROM accounts AS a
  CROSS JOIN LATERAL generate_series(CAST(a.first_week AS timestamp), CAST(a.stop AS timestamp), interval '7 days') AS w
),
activity AS (
  SELECT account, week, COUNT(*) AS logins, SUM(n) AS frequency, MAX(day) AS last_day` + weekSums.String() + `
  FROM days GROUP BY account, week
)
`)
	if len(distinctCols) > 0 {
		b.WriteString(`, distincts AS (
  SELECT account, day - (CAST(EXTRACT(ISODOW FROM day) AS integer) - 1) AS week, ` + strings.Join(distinctCols, ", ") + `
  FROM ev GROUP BY 1, 2
)
`)
	}
	b.WriteString(`SELECT w.account AS account_id,
       w.week,
       COALESCE(k.logins, 0) AS logins,
       COALESCE(k.frequency, 0) AS frequency,
       GREATEST(0, w.week + 6 - MAX(k.last_day) OVER (PARTITION BY w.account ORDER BY w.week)) AS recency_days,
       0 AS sla_breaches,
       0 AS overdue_invoices,
       CASE WHEN w.churn_day IS NOT NULL AND w.week = w.stop THEN 1 ELSE 0 END AS churned` + outCols.String() + `
FROM weeks AS w
LEFT JOIN activity AS k ON k.account = w.account AND k.week = w.week
`)
	if len(distinctCols) > 0 {
		b.WriteString("LEFT JOIN distincts AS x ON x.account = w.account AND x.week = w.week\n")
	}
	b.WriteString(`ORDER BY w.account COLLATE "C", w.week
`)
	return b.String(), nil
}

// ident quotes a column name for SQL.
func ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// literal quotes a string for SQL.
func literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
