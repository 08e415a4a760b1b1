package events

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// dialect is what differs between the SQL engines SQL writes for: the
// spelling of a handful of constructs. Everything else in the statement
// (CTEs, joins, window functions, CASE) is standard SQL all of them read,
// so the generator is one and each engine is a small table of these.
type dialect interface {
	// ident quotes a column name; str quotes a string literal.
	ident(name string) string
	str(s string) string
	// text, double and bigint name the types cast to.
	text() string
	double() string
	bigint() string
	// localDay is the calendar day, in zone, of a time value x: an
	// instant is moved to zone first.
	localDay(x, zone string) string
	// addDays is date d plus n days (n an integer expression); daysBetween
	// is the number of days from date b to date a.
	addDays(d, n string) string
	daysBetween(a, b string) string
	// monday is the Monday starting the ISO week of date d.
	monday(d string) string
	// offsets returns a query giving every column of the query rel, once
	// for each k = 0, 7, 14, ... up to rel's integer column n: the day
	// offsets of an account's weeks.
	offsets(rel, n string) string
	// sortKey orders account ids as Go's sort does: by bytes.
	sortKey(x string) string
	// files reads a file or directory of a source as a relation, or says
	// why the engine cannot.
	files(f fileSource) (string, error)
}

// fileSource is a source's path as SQL sees it.
type fileSource struct {
	path      string
	delimiter string
}

// format says how a path is read: a Parquet file, a CSV file (also .gz)
// or, for anything else, a directory of Parquet files with Hive-style
// partitions, as Spark, Trino and BigQuery export them. The path is not
// looked at on disk: it is where the engine reads, maybe s3:// or gs://.
func (f fileSource) format() string {
	p := strings.ToLower(strings.TrimSuffix(f.path, ".gz"))
	switch {
	case strings.HasSuffix(p, ".parquet"):
		return "parquet"
	case strings.HasSuffix(p, ".csv"), strings.HasSuffix(p, ".tsv"), strings.HasSuffix(p, ".txt"):
		return "csv"
	}
	return "dir"
}

// dialects are the engines SQL writes for, by --dialect name.
var dialects = map[string]dialect{
	"postgres": postgresSQL{},
	"duckdb":   duckdbSQL{},
	"spark":    sparkSQL{},
	"bigquery": bigquerySQL{},
}

// Dialects returns the names SQL accepts, sorted.
func Dialects() []string {
	var names []string
	for n := range dialects {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// doubleQuoted quotes an identifier the standard way: "a""b".
func doubleQuoted(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// singleQuoted quotes a string the standard way: 'it”s'.
func singleQuoted(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// backslashQuoted quotes a string for engines whose literals take
// backslash escapes (Spark, BigQuery): there 'it”s' is two literals.
func backslashQuoted(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`)
	return "'" + r.Replace(s) + "'"
}

// postgresSQL is PostgreSQL.
type postgresSQL struct{}

func (postgresSQL) ident(name string) string { return doubleQuoted(name) }
func (postgresSQL) str(s string) string      { return singleQuoted(s) }
func (postgresSQL) text() string             { return "text" }
func (postgresSQL) double() string           { return "double precision" }
func (postgresSQL) bigint() string           { return "bigint" }

// localDay: a timestamptz is moved to zone; a timestamp or date is read
// in the session's TimeZone.
func (postgresSQL) localDay(x, zone string) string {
	return "CAST(CAST(" + x + " AS timestamptz) AT TIME ZONE " + singleQuoted(zone) + " AS date)"
}
func (postgresSQL) addDays(d, n string) string     { return "(" + d + " + " + n + ")" }
func (postgresSQL) daysBetween(a, b string) string { return "(" + a + " - " + b + ")" }
func (postgresSQL) monday(d string) string {
	return "(" + d + " - (CAST(EXTRACT(ISODOW FROM " + d + ") AS integer) - 1))"
}
func (postgresSQL) offsets(rel, n string) string {
	return "SELECT r.*, generate_series(0, r." + n + ", 7) AS k FROM (" + rel + ") AS r"
}
func (postgresSQL) sortKey(x string) string { return x + ` COLLATE "C"` }
func (postgresSQL) files(f fileSource) (string, error) {
	return "", fmt.Errorf("PostgreSQL does not read files: give the source a table: or query:")
}

// duckdbSQL is DuckDB.
type duckdbSQL struct{}

func (duckdbSQL) ident(name string) string { return doubleQuoted(name) }
func (duckdbSQL) str(s string) string      { return singleQuoted(s) }
func (duckdbSQL) text() string             { return "VARCHAR" }
func (duckdbSQL) double() string           { return "DOUBLE" }
func (duckdbSQL) bigint() string           { return "BIGINT" }

// localDay: a TIMESTAMPTZ is moved to zone; a TIMESTAMP or DATE is read
// in the session's TimeZone setting.
func (duckdbSQL) localDay(x, zone string) string {
	return "CAST(timezone(" + singleQuoted(zone) + ", CAST(" + x + " AS TIMESTAMPTZ)) AS DATE)"
}

// addDays: DuckDB adds an INTEGER to a DATE, not the BIGINT of a column
// such as range's.
func (duckdbSQL) addDays(d, n string) string {
	if _, err := strconv.Atoi(n); err != nil {
		n = "CAST(" + n + " AS INTEGER)"
	}
	return "(" + d + " + " + n + ")"
}
func (duckdbSQL) daysBetween(a, b string) string { return "(" + a + " - " + b + ")" }
func (duckdbSQL) monday(d string) string         { return "CAST(date_trunc('week', " + d + ") AS DATE)" }
func (duckdbSQL) offsets(rel, n string) string {
	return "SELECT r.*, UNNEST(range(0, r." + n + " + 1, 7)) AS k FROM (" + rel + ") AS r"
}
func (duckdbSQL) sortKey(x string) string { return x }
func (duckdbSQL) files(f fileSource) (string, error) {
	switch f.format() {
	case "parquet":
		return "read_parquet(" + singleQuoted(f.path) + ")", nil
	case "csv":
		opts := ", header = true"
		d, err := parseDelimiter(f.delimiter)
		switch {
		case err != nil:
			return "", err
		case d == ' ':
			return "", fmt.Errorf("a whitespace-delimited file is not read in SQL: give a table: or query:")
		case d != 0:
			opts += ", delim = " + singleQuoted(string(d))
		}
		return "read_csv(" + singleQuoted(f.path) + opts + ")", nil
	}
	return "read_parquet(" + singleQuoted(strings.TrimRight(f.path, "/")+"/**/*.parquet") + ", hive_partitioning = true)", nil
}

// sparkSQL is Spark SQL (3.1 or later).
type sparkSQL struct{}

func (sparkSQL) ident(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }
func (sparkSQL) str(s string) string      { return backslashQuoted(s) }
func (sparkSQL) text() string             { return "STRING" }
func (sparkSQL) double() string           { return "DOUBLE" }
func (sparkSQL) bigint() string           { return "BIGINT" }

// localDay: a TIMESTAMP is an instant shown in the session time zone;
// to_utc_timestamp and from_utc_timestamp move its wall clock from that
// zone to zone. A DATE (or a string without an offset) is read in the
// session time zone.
func (sparkSQL) localDay(x, zone string) string {
	return "to_date(from_utc_timestamp(to_utc_timestamp(CAST(" + x + " AS TIMESTAMP), current_timezone()), " + backslashQuoted(zone) + "))"
}
func (sparkSQL) addDays(d, n string) string     { return "date_add(" + d + ", " + n + ")" }
func (sparkSQL) daysBetween(a, b string) string { return "datediff(" + a + ", " + b + ")" }
func (sparkSQL) monday(d string) string         { return "trunc(" + d + ", 'week')" }
func (sparkSQL) offsets(rel, n string) string {
	return "SELECT r.*, explode(sequence(0, r." + n + ", 7)) AS k FROM (" + rel + ") AS r"
}
func (sparkSQL) sortKey(x string) string { return x }

// files reads Parquet: a file, or a directory whose Hive-style partitions
// Spark discovers itself. A CSV file needs header options that only a
// table or view can carry.
func (s sparkSQL) files(f fileSource) (string, error) {
	if f.format() == "csv" {
		return "", fmt.Errorf("Spark SQL reads a CSV file without its header: make it a table or view and give table:")
	}
	return "parquet." + s.ident(f.path), nil
}

// bigquerySQL is BigQuery's GoogleSQL.
type bigquerySQL struct{}

func (bigquerySQL) ident(name string) string {
	return "`" + strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(name) + "`"
}
func (bigquerySQL) str(s string) string { return backslashQuoted(s) }
func (bigquerySQL) text() string        { return "STRING" }
func (bigquerySQL) double() string      { return "FLOAT64" }
func (bigquerySQL) bigint() string      { return "INT64" }

// localDay: a TIMESTAMP is an instant; a DATE or DATETIME is cast to one
// in UTC, BigQuery's default time zone.
func (bigquerySQL) localDay(x, zone string) string {
	return "DATE(CAST(" + x + " AS TIMESTAMP), " + backslashQuoted(zone) + ")"
}
func (bigquerySQL) addDays(d, n string) string     { return "DATE_ADD(" + d + ", INTERVAL " + n + " DAY)" }
func (bigquerySQL) daysBetween(a, b string) string { return "DATE_DIFF(" + a + ", " + b + ", DAY)" }
func (bigquerySQL) monday(d string) string         { return "DATE_TRUNC(" + d + ", ISOWEEK)" }
func (bigquerySQL) offsets(rel, n string) string {
	return "SELECT r.*, k FROM (" + rel + ") AS r CROSS JOIN UNNEST(GENERATE_ARRAY(0, r." + n + ", 7)) AS k"
}
func (bigquerySQL) sortKey(x string) string { return x }
func (bigquerySQL) files(f fileSource) (string, error) {
	return "", fmt.Errorf("BigQuery reads files through external tables: give the source a table: or query:")
}
