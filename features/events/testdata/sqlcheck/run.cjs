// Runs SQL in an in-memory DuckDB for features/events/sql_engines_test.go:
// the statements of the DUCKDB_SETUP environment variable (separated by
// ";\n"), then the one statement on stdin, whose result it writes as CSV
// on stdout: a header, then the rows, NULL as an empty cell, dates as
// YYYY-MM-DD.
const { DuckDBInstance } = require('@duckdb/node-api');

const cell = (v) => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
};

(async () => {
  let sql = '';
  for await (const chunk of process.stdin) sql += chunk;
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  for (const stmt of (process.env.DUCKDB_SETUP || '').split(';\n')) {
    if (stmt.trim() !== '') await conn.run(stmt);
  }
  const reader = await conn.runAndReadAll(sql);
  const out = [reader.columnNames().map(cell).join(',')];
  for (const row of reader.getRowsJson()) out.push(row.map(cell).join(','));
  process.stdout.write(out.join('\n') + '\n');
})().catch((e) => {
  process.stderr.write(String((e && e.message) || e) + '\n');
  process.exit(1);
});
