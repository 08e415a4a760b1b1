package events

import (
	"errors"
	"fmt"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/postgres"
)

// SQL returns the roll-up m describes as one SQL statement of dialect
// (postgres, duckdb, spark or bigquery; see Dialects): for a warehouse,
// where the rows are too many to leave it. Its result has the columns and
// rows Build writes, in the same order: weeks from Monday in m's time
// zone, logins (days, or rows for login_count: rows), key actions,
// cancellations and signals as the sources' filters say, SLA breaches,
// invoices overdue at the end of each Sunday, the accounts table (and its
// extra columns) as of each week, weeks from the first activity or the
// contract start, churn at the earliest of a cancellation, a contract
// end and the FIRST silence of ChurnAfterSilence, zero weeks while an
// account is alive, only complete weeks from m's From (earlier rows are
// history) up to until (NoDate: m's Until, else the last event's day).
//
// Each source is a relation of the engine: its Table, else its Query (a
// subquery), else its Path read by the engine (DuckDB: a Parquet or CSV
// file, or a directory of Parquet files with Hive partitions; Spark: a
// Parquet file or directory). A postgres:// Path's query runs in the
// database the statement runs in.
//
// Times are the engine's: an instant (timestamptz, TIMESTAMP) is moved
// to m's zone; a time without a zone, or a date, is read in the session's
// time zone (UTC on BigQuery). The due, paid, effective_from, renewal and
// contract end columns are cast to DATE; renewal_type is passed as written,
// for the snapshot readers to parse. Unlike Build, the statement does
// not check the rows: a bad cell fails the query (or, on engines that
// cast leniently, reads as NULL), rows with no account or time are left
// out, and events after a cancellation or of unknown accounts are not
// refused, nor a From after the last complete week (no rows).
func SQL(m *Mapping, dialect string, until features.Date) (string, error) {
	d, ok := dialects[dialect]
	if !ok {
		return "", fmt.Errorf("SQL dialect %q: want one of %s", dialect, strings.Join(Dialects(), ", "))
	}
	if err := m.check(true); err != nil {
		return "", err
	}
	loc, _ := m.Location()
	silence, _ := m.SilenceDays()
	from, mUntil, _ := m.Span()
	if until == features.NoDate || until == 0 {
		until = mUntil
	}
	g := &sqlGen{d: d, zone: loc.String(), from: from}
	for i := range m.Sources {
		if m.Sources[i].LoginCount == LoginRows {
			g.loginRows = true
		}
	}
	// The signals first: every events source's SELECT lists them all
	// (NULL for another source's), so that the sources union.
	for i := range m.Sources {
		for _, sig := range m.Sources[i].Sum {
			g.sums = append(g.sums, sqlSignal{source: i, column: sig.Column, name: sig.name()})
		}
		for _, sig := range m.Sources[i].CountDistinct {
			g.distincts = append(g.distincts, sqlSignal{source: i, column: sig.Column, name: sig.name()})
		}
	}
	for i := range m.Sources {
		s := &m.Sources[i]
		where := fmt.Sprintf("mapping: source %d (%s)", i+1, s.label())
		rel, err := g.relation(s.Path, s.Query, s.Table, s.Delimiter)
		if err != nil {
			return "", fmt.Errorf("%s: %w", where, err)
		}
		if s.TimeFormat != "" {
			return "", fmt.Errorf("%s: time_format %q is not written in SQL: give the times as a timestamp or date column, or ISO text", where, s.TimeFormat)
		}
		switch s.kind() {
		case KindEvents:
			g.events = append(g.events, g.eventRows(i, s, rel))
		case KindTickets:
			g.tickets = append(g.tickets, g.ticketRows(s, rel))
		case KindInvoices:
			g.invoices = append(g.invoices, g.invoiceRows(s, rel))
		}
	}
	if a := m.Accounts; a != nil {
		rel, err := g.relation(a.Path, a.Query, a.Table, a.Delimiter)
		if err != nil {
			return "", fmt.Errorf("mapping: accounts: %w", err)
		}
		if a.TimeFormat != "" {
			return "", fmt.Errorf("mapping: accounts: time_format %q is not written in SQL: give dates as date columns or ISO text", a.TimeFormat)
		}
		g.accounts = g.accountRows(a, rel)
	}
	return g.statement(m.Schema(), silence, until), nil
}

// sqlGen writes one statement.
type sqlGen struct {
	d    dialect
	zone string
	// The SELECTs of each kind of source, to be unioned.
	events, tickets, invoices []string
	accounts                  string
	// contractStart and extras say the accounts table maps
	// contract_start and extra columns (xK in the statement).
	contractStart bool
	extras        []string
	// loginRows says some source counts login rows, not days: events
	// rows then carry lrow, 1 for such a login row.
	loginRows bool
	// from is the first week written (a day in it), NoDate for each
	// account's first.
	from features.Date
	// The signals, sums and distinct counts, in source order: sK and dK
	// in the statement.
	sums, distincts []sqlSignal
}

// sqlSignal is an extra column: a sum or a distinct count of column of
// source (an index in the mapping's sources), written as name.
type sqlSignal struct {
	source       int
	column, name string
}

// relation is a source's rows as a FROM item.
func (g *sqlGen) relation(path, query, table, delimiter string) (string, error) {
	switch {
	case strings.TrimSpace(table) != "":
		return strings.TrimSpace(table), nil
	case strings.TrimSpace(query) != "":
		// The parenthesis closes on a line of its own: the query may end
		// with a -- comment.
		return "(" + strings.TrimRight(strings.TrimSpace(query), "; \n\t") + "\n)", nil
	case postgres.IsURL(path):
		return "", errors.New("a postgres:// path needs a query (or a table)")
	}
	return g.d.files(fileSource{path: path, delimiter: delimiter})
}

// col is a column of the source row.
func (g *sqlGen) col(name string) string { return "src." + g.d.ident(name) }

// asText is a value as text, the form Build's filters and distinct counts
// compare.
func (g *sqlGen) asText(x string) string { return "CAST(" + x + " AS " + g.d.text() + ")" }

// cell is a column's text, NULL when it spells a missing value (as
// features.IsMissing reads it).
func (g *sqlGen) cell(name string) string {
	t := g.asText(g.col(name))
	return "CASE WHEN " + t + " IN (" + g.missingList() + ") THEN NULL ELSE " + t + " END"
}

// number is a column as a double, NULL when missing.
func (g *sqlGen) number(name string) string {
	return "CAST(" + g.cell(name) + " AS " + g.d.double() + ")"
}

// date is a date column as a DATE, NULL when missing or unmapped.
func (g *sqlGen) date(name string) string {
	if name == "" {
		return "CAST(NULL AS DATE)"
	}
	return "CAST(CASE WHEN " + g.asText(g.col(name)) + " IN (" + g.missingList() + ") THEN NULL ELSE " + g.col(name) + " END AS DATE)"
}

func (g *sqlGen) missingList() string {
	var spellings []string
	for _, v := range features.MissingSpellings() {
		spellings = append(spellings, g.d.str(v))
	}
	return strings.Join(spellings, ", ")
}

// match is a filter's condition; nil matches every row.
func (g *sqlGen) match(f *Filter) string {
	switch {
	case f == nil:
		return "TRUE"
	case f.None:
		return "FALSE"
	}
	vals := f.In
	op := " IN "
	if f.NotIn != nil {
		vals, op = f.NotIn, " NOT IN "
	}
	var lits []string
	for _, v := range vals {
		lits = append(lits, g.d.str(v))
	}
	if len(lits) == 0 {
		// An empty list: in: [] selects no row, not_in: [] every row.
		if f.NotIn != nil {
			return "TRUE"
		}
		return "FALSE"
	}
	// Build compares the cell's text; NULL reads as an empty cell.
	return "COALESCE(" + g.asText(g.col(f.Column)) + ", '')" + op + "(" + strings.Join(lits, ", ") + ")"
}

// oneIf is 1 where cond holds, else 0.
func oneIf(cond string) string {
	switch cond {
	case "TRUE":
		return "1"
	case "FALSE":
		return "0"
	}
	return "CASE WHEN " + cond + " THEN 1 ELSE 0 END"
}

// eventRows is an events source's rows: account, day, churn (a
// cancellation), login and action, then its
// signals: sums as integer millionths, as Build adds them, and distinct
// counts' values as text.
func (g *sqlGen) eventRows(i int, s *Source, rel string) string {
	// A cancellation row is nothing else: every later step reads the rows
	// with churn = 0 but for the churn day.
	churn, login, action := "0", oneIf(g.match(s.Logins)), oneIf(g.match(s.Actions))
	if s.ChurnEvent != nil {
		churn = oneIf(g.match(s.ChurnEvent))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  SELECT %s AS account,\n         %s AS day,\n", g.asText(g.col(s.Account)), g.d.localDay(g.col(s.Time), g.zone))
	fmt.Fprintf(&b, "         %s AS churn,\n         %s AS login,\n         %s AS action", churn, login, action)
	if g.loginRows {
		// A login row of a login_count: rows source counts as one.
		lrow := "0"
		if s.LoginCount == LoginRows {
			lrow = login
		}
		fmt.Fprintf(&b, ",\n         %s AS lrow", lrow)
	}
	for k, sig := range g.sums {
		v := "CAST(NULL AS " + g.d.bigint() + ")"
		if sig.source == i {
			v = "CAST(ROUND(" + g.number(sig.column) + " * 1000000) AS " + g.d.bigint() + ")"
		}
		fmt.Fprintf(&b, ",\n         %s AS s%d", v, k)
	}
	for k, sig := range g.distincts {
		v := "CAST(NULL AS " + g.d.text() + ")"
		if sig.source == i {
			v = g.cell(sig.column)
		}
		fmt.Fprintf(&b, ",\n         %s AS d%d", v, k)
	}
	fmt.Fprintf(&b, "\n  FROM %s AS src\n  WHERE %s IS NOT NULL AND %s IS NOT NULL", rel, g.col(s.Account), g.col(s.Time))
	return b.String()
}

// ticketRows is a tickets source's rows: account, day, and breach: the
// response exceeds the limit (an unanswered ticket is not counted), or
// the flag is true.
func (g *sqlGen) ticketRows(s *Source, rel string) string {
	breach := g.number(s.SLA.Response) + " > " + g.number(s.SLA.Limit)
	if s.SLA.Flag != "" {
		breach = "LOWER(TRIM(" + g.asText(g.col(s.SLA.Flag)) + ")) IN ('1', 'true', 't', 'yes', 'y')"
	}
	return fmt.Sprintf("  SELECT %s AS account,\n         %s AS day,\n         %s AS breach\n  FROM %s AS src\n  WHERE %s IS NOT NULL AND %s IS NOT NULL",
		g.asText(g.col(s.Account)), g.d.localDay(g.col(s.Time), g.zone), oneIf(breach), rel, g.col(s.Account), g.col(s.Time))
}

// invoiceRows is an invoices source's rows: account, due and paid dates
// (NULL: unpaid).
func (g *sqlGen) invoiceRows(s *Source, rel string) string {
	return fmt.Sprintf("  SELECT %s AS account,\n         %s AS due,\n         %s AS paid\n  FROM %s AS src\n  WHERE %s IS NOT NULL",
		g.asText(g.col(s.Account)), g.date(s.Invoice.Due), g.date(s.Invoice.Paid), rel, g.col(s.Account))
}

// accountRows is the accounts table's rows, each with the day the next
// row of its account takes effect (NULL for the latest).
func (g *sqlGen) accountRows(a *Accounts, rel string) string {
	arr := "CAST(NULL AS " + g.d.double() + ")"
	if a.ARR != "" {
		arr = g.number(a.ARR)
	}
	segment := "CAST(NULL AS " + g.d.text() + ")"
	if a.Segment != "" {
		segment = g.cell(a.Segment)
	}
	// contract_start and the extra columns only when mapped: the
	// statement of a mapping without them stays as it was.
	var names, cells strings.Builder
	if a.ContractStart != "" {
		g.contractStart = true
		names.WriteString(", cstart")
		fmt.Fprintf(&cells, ",\n           %s AS cstart", g.date(a.ContractStart))
	}
	if a.RenewalType != "" {
		// Passed as written: the snapshot readers parse its spellings.
		names.WriteString(", rtype")
		fmt.Fprintf(&cells, ",\n           %s AS rtype", g.cell(a.RenewalType))
	}
	for k, sig := range a.Extra {
		g.extras = append(g.extras, sig.name())
		fmt.Fprintf(&names, ", x%d", k)
		fmt.Fprintf(&cells, ",\n           %s AS x%d", g.number(sig.Column), k)
	}
	return fmt.Sprintf(`  SELECT account, efrom, arr, segment, renewal, contract_end%s,
         LEAD(efrom) OVER (PARTITION BY account ORDER BY efrom) AS next_from
  FROM (
    SELECT %s AS account,
           %s AS efrom,
           %s AS arr,
           %s AS segment,
           %s AS renewal,
           %s AS contract_end%s
    FROM %s AS src
    WHERE %s IS NOT NULL
  ) AS v`, names.String(), g.asText(g.col(a.Account)), g.date(a.EffectiveFrom), arr, segment, g.date(a.RenewalDate), g.date(a.ContractEnd), cells.String(), rel, g.col(a.Account))
}

// union joins SELECTs with UNION ALL.
func union(selects []string) string {
	return strings.Join(selects, "\n  UNION ALL\n")
}

// statement writes the whole roll-up. Each step is a CTE named for what
// it holds; the comments say which part of Build it mirrors.
func (g *sqlGen) statement(schema features.Schema, silence int, until features.Date) string {
	d := g.d
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("WITH ev AS (\n  -- Every events source's rows.\n%s\n),\n", union(g.events))
	w(`days AS (
  -- One row per account and day with a row that is not a cancellation.
  SELECT account, day, MAX(login) AS login, MAX(action) AS action
  FROM ev WHERE churn = 0 GROUP BY account, day
),
`)
	untilSQL := "SELECT MAX(day) AS u FROM days"
	if until != features.NoDate && until != 0 {
		untilSQL = "SELECT DATE " + d.str(until.String()) + " AS u"
	}
	w(`bounds AS (
  -- The last complete week: the one whose Sunday the data (or until) reaches.
  SELECT last_week, %s AS end_day FROM (
    SELECT %s AS last_week FROM (%s) AS x
  ) AS y
),
`, d.addDays("last_week", "6"), d.addDays(d.monday(d.addDays("u", "1")), "-7"), untilSQL)
	w(`active AS (
  -- Activity: the days with a login or a key action.
  SELECT account, day FROM days WHERE login = 1 OR action = 1
),
`)
	if g.accounts != "" {
		w("versions AS (\n  -- The accounts table: each row holds from efrom to next_from.\n%s\n),\n", g.accounts)
	}
	// The candidate churn days: the first cancellation, the latest
	// accounts row's contract end, the day the FIRST silence is reached.
	ends := []string{"  SELECT account, MIN(day) AS day FROM ev WHERE churn = 1 GROUP BY account"}
	if g.accounts != "" {
		ends = append(ends, "  SELECT account, contract_end AS day FROM versions WHERE next_from IS NULL AND contract_end IS NOT NULL")
	}
	if silence > 0 {
		ends = append(ends, fmt.Sprintf(`  -- The first silence of %[1]d days: the earliest activity day followed
  -- by %[1]d days without activity, plus %[1]d.
  SELECT account, MIN(%[2]s) AS day FROM (
    SELECT account, day, LEAD(day) OVER (PARTITION BY account ORDER BY day) AS next_day FROM active
  ) AS g
  WHERE next_day IS NULL OR %[3]s > %[1]d
  GROUP BY account`, silence, d.addDays("day", fmt.Sprint(silence)), d.daysBetween("next_day", "day")))
	}
	w("ends AS (\n%s\n),\n", union(ends))
	// An account's origin: its first activity, or its contract start
	// when earlier (an account with no activity yet is still seen).
	origins := "SELECT account, MIN(day) AS first_day FROM active GROUP BY account"
	if g.contractStart {
		origins = "SELECT account, MIN(day) AS first_day FROM (\n        SELECT account, day FROM active\n        UNION ALL\n        SELECT account, cstart AS day FROM versions WHERE cstart IS NOT NULL\n      ) AS o GROUP BY account"
	}
	// From: no week before from's is written.
	firstWeek := d.monday("first_day")
	if g.from != features.NoDate && g.from != 0 {
		firstWeek = "GREATEST(" + firstWeek + ", DATE " + d.str(g.from.Monday().String()) + ")"
	}
	w(`lives AS (
  -- Each account's life: from the week of its origin (or from's) to its
  -- churn week (a churn the data reaches) or the last complete week.
  SELECT f.account, f.first_day, f.first_week, c.churn_day,
         COALESCE(%s, b.last_week) AS stop
  FROM (
    SELECT account, first_day, %s AS first_week FROM (
      %s
    ) AS a
  ) AS f
  CROSS JOIN bounds AS b
  LEFT JOIN (
    SELECT e.account, MIN(e.day) AS churn_day
    FROM ends AS e CROSS JOIN bounds AS b
    WHERE e.day <= b.end_day
    GROUP BY e.account
  ) AS c ON c.account = f.account
  WHERE f.first_day <= b.end_day
),
`, d.monday("c.churn_day"), firstWeek, origins)
	if g.from != features.NoDate && g.from != 0 {
		w(`before AS (
  -- The last key action before an account's first week (from's): its
  -- recency counts from it.
  SELECT l.account, MAX(a.day) AS last_action
  FROM lives AS l JOIN days AS a ON a.account = l.account AND a.action = 1 AND a.day < l.first_week
  GROUP BY l.account
),
`)
	}
	w(`weeks AS (
  -- Every week of every life, those without rows too.
  SELECT account, %s AS week, first_day, first_week, churn_day, stop FROM (
    %s
  ) AS o
),
`, d.addDays("first_week", "k"), d.offsets(fmt.Sprintf("SELECT account, first_day, first_week, churn_day, stop, %s AS n FROM lives WHERE stop >= first_week", d.daysBetween("stop", "first_week")), "n"))
	var sigs strings.Builder
	for k := range g.sums {
		fmt.Fprintf(&sigs, ", SUM(s%d) AS s%d", k, k)
	}
	for k := range g.distincts {
		fmt.Fprintf(&sigs, ", COUNT(DISTINCT d%d) AS d%d", k, k)
	}
	logins := "COUNT(DISTINCT CASE WHEN login = 1 THEN day END)"
	if g.loginRows {
		// Days with a login of a days source, plus login rows of the
		// rows sources.
		logins = "COUNT(DISTINCT CASE WHEN login = 1 AND lrow = 0 THEN day END) + SUM(lrow)"
	}
	w(`weekly AS (
  -- Per account-week: logins = days with a login (or login rows),
  -- frequency = key actions, the last key action's day, the signals.
  SELECT account, week,
         %s AS logins,
         SUM(action) AS frequency,
         MAX(CASE WHEN action = 1 THEN day END) AS last_action%s
  FROM (SELECT e.*, %s AS week FROM ev AS e WHERE churn = 0) AS x
  GROUP BY account, week
),
`, logins, sigs.String(), d.monday("day"))
	joins := ""
	slaCol, overdueCol := "0", "0"
	if len(g.tickets) > 0 {
		w(`tickets AS (
%s
),
sla AS (
  -- SLA breaches per account and week of the ticket.
  SELECT account, week, SUM(breach) AS breaches FROM (
    SELECT account, %s AS week, breach FROM tickets
  ) AS t GROUP BY account, week
),
`, union(g.tickets), d.monday("day"))
		joins += "LEFT JOIN sla AS t ON t.account = w.account AND t.week = w.week\n"
		slaCol = "COALESCE(t.breaches, 0)"
	}
	if len(g.invoices) > 0 {
		start, stop := d.monday(d.addDays("due", "1")), d.monday("paid")
		w(`invoices AS (
%s
),
steps AS (
  -- An invoice is overdue at the end of a Sunday X when due < X and it is
  -- not paid by X: from the week of the first Sunday after its due day to
  -- the week before the one of the first Sunday on or after its payment.
  -- +1 and -1 at those weeks (those before an account's first week on
  -- it), summed over the weeks so far.
  SELECT s.account, CASE WHEN s.week < l.first_week THEN l.first_week ELSE s.week END AS week, s.step
  FROM (
    SELECT account, %[2]s AS week, 1 AS step FROM invoices
    WHERE due IS NOT NULL AND (paid IS NULL OR %[3]s > %[2]s)
    UNION ALL
    SELECT account, %[3]s AS week, -1 AS step FROM invoices
    WHERE due IS NOT NULL AND paid IS NOT NULL AND %[3]s > %[2]s
  ) AS s
  JOIN lives AS l ON l.account = s.account
),
overdue AS (
  SELECT account, week, SUM(step) AS step FROM steps GROUP BY account, week
),
`, union(g.invoices), start, stop)
		joins += "LEFT JOIN overdue AS o ON o.account = w.account AND o.week = w.week\n"
		overdueCol = "SUM(COALESCE(o.step, 0)) OVER (PARTITION BY w.account ORDER BY w.week ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
	}
	recencyFrom := "w.first_day"
	if g.from != features.NoDate && g.from != 0 {
		joins += "LEFT JOIN before AS p ON p.account = w.account\n"
		recencyFrom = "p.last_action, w.first_day"
	}
	if g.accounts != "" {
		sunday := d.addDays("w.week", "6")
		joins += fmt.Sprintf("LEFT JOIN versions AS v ON v.account = w.account AND (v.efrom IS NULL OR v.efrom <= %[1]s) AND (v.next_from IS NULL OR v.next_from > %[1]s)\n", sunday)
	}
	// The last line of the WITH list ends with a comma: the final one goes.
	s := strings.TrimSuffix(b.String(), ",\n") + "\n"
	b.Reset()
	b.WriteString(s)

	cols := map[string]string{
		features.ColAccountID: "w.account",
		features.ColWeek:      "w.week",
		features.ColLogins:    "COALESCE(k.logins, 0)",
		features.ColFrequency: "COALESCE(k.frequency, 0)",
		// Days from the last key action so far (or the first activity)
		// to the week's Sunday.
		features.ColRecencyDays:     "GREATEST(0, " + d.daysBetween(d.addDays("w.week", "6"), "COALESCE(MAX(k.last_action) OVER (PARTITION BY w.account ORDER BY w.week ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), "+recencyFrom+")") + ")",
		features.ColSLABreaches:     slaCol,
		features.ColOverdueInvoices: overdueCol,
		features.ColChurned:         "CASE WHEN w.churn_day IS NOT NULL AND w.week = w.stop THEN 1 ELSE 0 END",
		features.ColARR:             "v.arr",
		features.ColSegment:         "v.segment",
		features.ColRenewalDate:     "v.renewal",
		features.ColRenewalType:     "v.rtype",
	}
	for k, name := range g.extras {
		cols[name] = fmt.Sprintf("v.x%d", k)
	}
	for k, sig := range g.sums {
		cols[sig.name] = fmt.Sprintf("CAST(COALESCE(k.s%d, 0) AS %s) / 1000000", k, d.double())
	}
	for k, sig := range g.distincts {
		cols[sig.name] = fmt.Sprintf("COALESCE(k.d%d, 0)", k)
	}
	var sel []string
	for _, c := range schema.Columns() {
		sel = append(sel, cols[c]+" AS "+d.ident(c))
	}
	w("SELECT %s\nFROM weeks AS w\nLEFT JOIN weekly AS k ON k.account = w.account AND k.week = w.week\n%s", strings.Join(sel, ",\n       "), joins)
	w("ORDER BY %s, w.week\n", d.sortKey("w.account"))
	return b.String()
}
