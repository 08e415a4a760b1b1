WITH ev AS (
  -- Every events source's rows.
  SELECT CAST(src."account_id" AS VARCHAR) AS account,
         CAST(timezone('Europe/Paris', CAST(src."ts" AS TIMESTAMPTZ)) AS DATE) AS day,
         CASE WHEN COALESCE(CAST(src."event" AS VARCHAR), '') IN ('subscription_cancelled') THEN 1 ELSE 0 END AS churn,
         CASE WHEN COALESCE(CAST(src."event" AS VARCHAR), '') IN ('login', 'sso_login') THEN 1 ELSE 0 END AS login,
         CASE WHEN COALESCE(CAST(src."event" AS VARCHAR), '') NOT IN ('login', 'page_view') THEN 1 ELSE 0 END AS action,
         CASE WHEN COALESCE(CAST(src."event" AS VARCHAR), '') IN ('login', 'sso_login') THEN 1 ELSE 0 END AS lrow,
         CAST(ROUND(CAST(CASE WHEN CAST(src."amount" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE CAST(src."amount" AS VARCHAR) END AS DOUBLE) * 1000000) AS BIGINT) AS s0,
         CAST(NULL AS BIGINT) AS s1,
         CASE WHEN CAST(src."user_id" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE CAST(src."user_id" AS VARCHAR) END AS d0
  FROM app.events AS src
  WHERE src."account_id" IS NOT NULL AND src."ts" IS NOT NULL
  UNION ALL
  SELECT CAST(src."account_id" AS VARCHAR) AS account,
         CAST(timezone('Europe/Paris', CAST(src."viewed_at" AS TIMESTAMPTZ)) AS DATE) AS day,
         0 AS churn,
         0 AS login,
         CASE WHEN COALESCE(CAST(src."page" AS VARCHAR), '') IN ('docs') THEN 1 ELSE 0 END AS action,
         0 AS lrow,
         CAST(NULL AS BIGINT) AS s0,
         CAST(ROUND(CAST(CASE WHEN CAST(src."seconds" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE CAST(src."seconds" AS VARCHAR) END AS DOUBLE) * 1000000) AS BIGINT) AS s1,
         CAST(NULL AS VARCHAR) AS d0
  FROM (SELECT * FROM web.views WHERE page <> 'x'
) AS src
  WHERE src."account_id" IS NOT NULL AND src."viewed_at" IS NOT NULL
),
days AS (
  -- One row per account and day with a row that is not a cancellation.
  SELECT account, day, MAX(login) AS login, MAX(action) AS action
  FROM ev WHERE churn = 0 GROUP BY account, day
),
bounds AS (
  -- The last complete week: the one whose Sunday the data (or until) reaches.
  SELECT last_week, (last_week + 6) AS end_day FROM (
    SELECT (CAST(date_trunc('week', (u + 1)) AS DATE) + -7) AS last_week FROM (SELECT DATE '2025-06-30' AS u) AS x
  ) AS y
),
active AS (
  -- Activity: the days with a login or a key action.
  SELECT account, day FROM days WHERE login = 1 OR action = 1
),
versions AS (
  -- The accounts table: each row holds from efrom to next_from.
  SELECT account, efrom, arr, segment, renewal, contract_end, cstart, x0,
         LEAD(efrom) OVER (PARTITION BY account ORDER BY efrom) AS next_from
  FROM (
    SELECT CAST(src."account_id" AS VARCHAR) AS account,
           CAST(CASE WHEN CAST(src."changed_at" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE src."changed_at" END AS DATE) AS efrom,
           CAST(CASE WHEN CAST(src."arr" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE CAST(src."arr" AS VARCHAR) END AS DOUBLE) AS arr,
           CASE WHEN CAST(src."segment" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE CAST(src."segment" AS VARCHAR) END AS segment,
           CAST(CASE WHEN CAST(src."renewal_date" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE src."renewal_date" END AS DATE) AS renewal,
           CAST(CASE WHEN CAST(src."ended_on" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE src."ended_on" END AS DATE) AS contract_end,
           CAST(CASE WHEN CAST(src."started_on" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE src."started_on" END AS DATE) AS cstart,
           CAST(CASE WHEN CAST(src."seats" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE CAST(src."seats" AS VARCHAR) END AS DOUBLE) AS x0
    FROM crm.accounts AS src
    WHERE src."account_id" IS NOT NULL
  ) AS v
),
ends AS (
  SELECT account, MIN(day) AS day FROM ev WHERE churn = 1 GROUP BY account
  UNION ALL
  SELECT account, contract_end AS day FROM versions WHERE next_from IS NULL AND contract_end IS NOT NULL
  UNION ALL
  -- The first silence of 91 days: the earliest activity day followed
  -- by 91 days without activity, plus 91.
  SELECT account, MIN((day + 91)) AS day FROM (
    SELECT account, day, LEAD(day) OVER (PARTITION BY account ORDER BY day) AS next_day FROM active
  ) AS g
  WHERE next_day IS NULL OR (next_day - day) > 91
  GROUP BY account
),
lives AS (
  -- Each account's life: from the week of its origin (or from's) to its
  -- churn week (a churn the data reaches) or the last complete week.
  SELECT f.account, f.first_day, f.first_week, c.churn_day,
         COALESCE(CAST(date_trunc('week', c.churn_day) AS DATE), b.last_week) AS stop
  FROM (
    SELECT account, first_day, GREATEST(CAST(date_trunc('week', first_day) AS DATE), DATE '2025-01-06') AS first_week FROM (
      SELECT account, MIN(day) AS first_day FROM (
        SELECT account, day FROM active
        UNION ALL
        SELECT account, cstart AS day FROM versions WHERE cstart IS NOT NULL
      ) AS o GROUP BY account
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
before AS (
  -- The last key action before an account's first week (from's): its
  -- recency counts from it.
  SELECT l.account, MAX(a.day) AS last_action
  FROM lives AS l JOIN days AS a ON a.account = l.account AND a.action = 1 AND a.day < l.first_week
  GROUP BY l.account
),
weeks AS (
  -- Every week of every life, those without rows too.
  SELECT account, (first_week + CAST(k AS INTEGER)) AS week, first_day, first_week, churn_day, stop FROM (
    SELECT r.*, UNNEST(range(0, r.n + 1, 7)) AS k FROM (SELECT account, first_day, first_week, churn_day, stop, (stop - first_week) AS n FROM lives WHERE stop >= first_week) AS r
  ) AS o
),
weekly AS (
  -- Per account-week: logins = days with a login (or login rows),
  -- frequency = key actions, the last key action's day, the signals.
  SELECT account, week,
         COUNT(DISTINCT CASE WHEN login = 1 AND lrow = 0 THEN day END) + SUM(lrow) AS logins,
         SUM(action) AS frequency,
         MAX(CASE WHEN action = 1 THEN day END) AS last_action, SUM(s0) AS s0, SUM(s1) AS s1, COUNT(DISTINCT d0) AS d0
  FROM (SELECT e.*, CAST(date_trunc('week', day) AS DATE) AS week FROM ev AS e WHERE churn = 0) AS x
  GROUP BY account, week
),
tickets AS (
  SELECT CAST(src."account_id" AS VARCHAR) AS account,
         CAST(timezone('Europe/Paris', CAST(src."created_at" AS TIMESTAMPTZ)) AS DATE) AS day,
         CASE WHEN CAST(CASE WHEN CAST(src."first_response_minutes" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE CAST(src."first_response_minutes" AS VARCHAR) END AS DOUBLE) > CAST(CASE WHEN CAST(src."sla_minutes" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE CAST(src."sla_minutes" AS VARCHAR) END AS DOUBLE) THEN 1 ELSE 0 END AS breach
  FROM support.tickets AS src
  WHERE src."account_id" IS NOT NULL AND src."created_at" IS NOT NULL
  UNION ALL
  SELECT CAST(src."account_id" AS VARCHAR) AS account,
         CAST(timezone('Europe/Paris', CAST(src."at" AS TIMESTAMPTZ)) AS DATE) AS day,
         CASE WHEN LOWER(TRIM(CAST(src."breached" AS VARCHAR))) IN ('1', 'true', 't', 'yes', 'y') THEN 1 ELSE 0 END AS breach
  FROM support.escalations AS src
  WHERE src."account_id" IS NOT NULL AND src."at" IS NOT NULL
),
sla AS (
  -- SLA breaches per account and week of the ticket.
  SELECT account, week, SUM(breach) AS breaches FROM (
    SELECT account, CAST(date_trunc('week', day) AS DATE) AS week, breach FROM tickets
  ) AS t GROUP BY account, week
),
invoices AS (
  SELECT CAST(src."account_id" AS VARCHAR) AS account,
         CAST(CASE WHEN CAST(src."due_date" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE src."due_date" END AS DATE) AS due,
         CAST(CASE WHEN CAST(src."paid_date" AS VARCHAR) IN ('', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null') THEN NULL ELSE src."paid_date" END AS DATE) AS paid
  FROM billing.invoices AS src
  WHERE src."account_id" IS NOT NULL
),
steps AS (
  -- An invoice is overdue at the end of a Sunday X when due < X and it is
  -- not paid by X: from the week of the first Sunday after its due day to
  -- the week before the one of the first Sunday on or after its payment.
  -- +1 and -1 at those weeks (those before an account's first week on
  -- it), summed over the weeks so far.
  SELECT s.account, CASE WHEN s.week < l.first_week THEN l.first_week ELSE s.week END AS week, s.step
  FROM (
    SELECT account, CAST(date_trunc('week', (due + 1)) AS DATE) AS week, 1 AS step FROM invoices
    WHERE due IS NOT NULL AND (paid IS NULL OR CAST(date_trunc('week', paid) AS DATE) > CAST(date_trunc('week', (due + 1)) AS DATE))
    UNION ALL
    SELECT account, CAST(date_trunc('week', paid) AS DATE) AS week, -1 AS step FROM invoices
    WHERE due IS NOT NULL AND paid IS NOT NULL AND CAST(date_trunc('week', paid) AS DATE) > CAST(date_trunc('week', (due + 1)) AS DATE)
  ) AS s
  JOIN lives AS l ON l.account = s.account
),
overdue AS (
  SELECT account, week, SUM(step) AS step FROM steps GROUP BY account, week
)
SELECT w.account AS "account_id",
       w.week AS "week",
       COALESCE(k.logins, 0) AS "logins",
       COALESCE(k.frequency, 0) AS "frequency",
       GREATEST(0, ((w.week + 6) - COALESCE(MAX(k.last_action) OVER (PARTITION BY w.account ORDER BY w.week ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), p.last_action, w.first_day))) AS "recency_days",
       COALESCE(t.breaches, 0) AS "sla_breaches",
       SUM(COALESCE(o.step, 0)) OVER (PARTITION BY w.account ORDER BY w.week ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "overdue_invoices",
       CASE WHEN w.churn_day IS NOT NULL AND w.week = w.stop THEN 1 ELSE 0 END AS "churned",
       v.arr AS "arr",
       v.segment AS "segment",
       v.renewal AS "renewal_date",
       v.x0 AS "seats",
       CAST(COALESCE(k.s0, 0) AS DOUBLE) / 1000000 AS "usage_amount",
       COALESCE(k.d0, 0) AS "active_users",
       CAST(COALESCE(k.s1, 0) AS DOUBLE) / 1000000 AS "seconds"
FROM weeks AS w
LEFT JOIN weekly AS k ON k.account = w.account AND k.week = w.week
LEFT JOIN sla AS t ON t.account = w.account AND t.week = w.week
LEFT JOIN overdue AS o ON o.account = w.account AND o.week = w.week
LEFT JOIN before AS p ON p.account = w.account
LEFT JOIN versions AS v ON v.account = w.account AND (v.efrom IS NULL OR v.efrom <= (w.week + 6)) AND (v.next_from IS NULL OR v.next_from > (w.week + 6))
ORDER BY w.account, w.week
