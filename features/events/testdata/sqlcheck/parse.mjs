// Parses the one SQL statement on stdin as BigQuery's GoogleSQL (with
// sql-parser-cst) and exits 1 with the parser's error when it does not
// parse, for features/events/sql_engines_test.go: no BigQuery runs here.
import cst from 'sql-parser-cst';

let sql = '';
for await (const chunk of process.stdin) sql += chunk;
try {
  cst.parse(sql, { dialect: 'bigquery', includeComments: true });
} catch (e) {
  process.stderr.write(e.message + '\n');
  process.exit(1);
}
