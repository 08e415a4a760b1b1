package postgres_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/postgres"
	"github.com/churnlabs/churn/features/postgres/pgtest"
)

var pg = pgtest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
	}
	os.Exit(code)
}

// readAll reads every row of query.
func readAll(t *testing.T, ctx context.Context, url, query string) ([]string, [][]string, error) {
	t.Helper()
	r, err := postgres.Query(ctx, url, query)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var rows [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return r.Columns(), rows, nil
		}
		if err != nil {
			return r.Columns(), rows, err
		}
		rows = append(rows, append([]string(nil), row...))
	}
}

func TestQueryValues(t *testing.T) {
	url := pg.DB(t)
	tests := []struct {
		name, expr string
		want       []string // one cell per row
	}{
		{"null", "NULL::text", []string{""}},
		{"text", "'acme'::text", []string{"acme"}},
		{"varchar", "'a b'::varchar(10)", []string{"a b"}},
		{"timestamptz is UTC", "'2025-01-05 23:30:00-05'::timestamptz", []string{"2025-01-06T04:30:00Z"}},
		{"timestamptz fraction", "'2025-01-06 10:00:00.25+01'::timestamptz", []string{"2025-01-06T09:00:00.25Z"}},
		{"timestamp keeps its wall time", "'2025-01-05 23:30:00'::timestamp", []string{"2025-01-05T23:30:00"}},
		{"date", "'2025-01-06'::date", []string{"2025-01-06"}},
		{"smallint", "(-3)::smallint", []string{"-3"}},
		{"integer", "2147483647::integer", []string{"2147483647"}},
		{"bigint", "9007199254740993::bigint", []string{"9007199254740993"}},
		{"real", "1.5::real", []string{"1.5"}},
		{"double", "0.1::double precision", []string{"0.1"}},
		{"double large", "1e21::double precision", []string{"1000000000000000000000"}},
		{"numeric", "12.340::numeric(10,3)", []string{"12.340"}},
		{"numeric negative", "(-0.000001)::numeric", []string{"-0.000001"}},
		{"boolean", "true", []string{"true"}},
		{"uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}},
		{"null numbers", "NULL::numeric", []string{""}},
		{"null timestamp", "NULL::timestamptz", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, rows, err := readAll(t, context.Background(), url, "SELECT "+tt.expr+" AS v")
			if err != nil {
				t.Fatal(err)
			}
			if len(cols) != 1 || cols[0] != "v" {
				t.Fatalf("columns %q, want [v]", cols)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r[0])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	url := pg.DB(t)
	tests := []struct {
		name, query string
		want        []string // in the error message
		row         int      // of the InputError; 0: not one
		column      string
	}{
		{"syntax", "SELEC 1", []string{"query", "syntax error"}, 0, ""},
		{"unknown table", "SELECT * FROM nowhere", []string{"nowhere", "does not exist"}, 0, ""},
		{"no query", " ", []string{"no query"}, 0, ""},
		{"not a row query", "SET TimeZone = 'UTC'", []string{"no columns"}, 0, ""},
		{"duplicate column", "SELECT 1 AS a, 2 AS a", []string{`column "a"`, "rename"}, 0, "a"},
		{"NaN at row 3", "SELECT i AS n, CASE WHEN i = 3 THEN 'NaN'::numeric ELSE i END AS amount FROM generate_series(1, 4) i",
			[]string{"row 3", `column "amount"`, "not a finite number"}, 3, "amount"},
		{"infinite timestamp", "SELECT 'infinity'::timestamptz AS ts", []string{"row 1", `column "ts"`, "infinite"}, 1, "ts"},
		{"infinite date", "SELECT '-infinity'::date AS d", []string{"row 1", `column "d"`, "infinite"}, 1, "d"},
		{"infinite numeric", "SELECT 'Infinity'::numeric AS n", []string{"row 1", `column "n"`, "not a finite number"}, 1, "n"},
		{"infinite float", "SELECT 'Infinity'::float8 AS x", []string{"row 1", `column "x"`}, 1, "x"},
		{"runtime error at row 2", "SELECT 10 / (2 - i) AS q FROM generate_series(1, 3) i", []string{"row 2", "division by zero"}, 2, ""},
		{"unsupported type", "SELECT '{1,2}'::int[] AS ids", []string{`column "ids"`, "cast the column to text"}, 1, "ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, context.Background(), url, tt.query)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "@") && !strings.Contains(err.Error(), "postgres@127.0.0.1") {
				t.Errorf("error %q: unexpected credentials", err)
			}
			var ie *features.InputError
			if errors.As(err, &ie) != (tt.row > 0 || tt.column != "") {
				t.Fatalf("error %q: InputError %v, want one: %v", err, ie, tt.row > 0 || tt.column != "")
			}
			if ie != nil && (ie.Row != tt.row || ie.Column != tt.column) {
				t.Errorf("error at row %d column %q, want row %d column %q", ie.Row, ie.Column, tt.row, tt.column)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	got := postgres.Redact("postgres://churn:s3cret@db.example:5432/prod")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "db.example") {
		t.Errorf("Redact = %q", got)
	}
	if _, err := postgres.Query(context.Background(), "postgres://churn:s3cret@127.0.0.1:1/prod?connect_timeout=2", "SELECT 1"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("connect error %v: want an error without the password", err)
	}
}

// TestQueryStreams reads the first rows of a result far too large to
// hold, then closes it: both must be quick, as the rows are streamed and
// Close cancels the query rather than reading the rest.
func TestQueryStreams(t *testing.T) {
	url := pg.DB(t)
	// A bound, in case it is not streamed: the test fails rather than hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	// In the select list, generate_series yields its rows one by one
	// (in FROM it would build the whole set first).
	r, err := postgres.Query(ctx, url, "SELECT generate_series(1, 2000000000) AS n")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 1000; i++ {
		row, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && row[0] != "1" {
			t.Fatalf("first row %q, want [1]", row)
		}
	}
	if _, n := r.Where(); n != 1000 {
		t.Errorf("Where row %d, want 1000", n)
	}
	if err := r.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("reading 1000 rows and closing took %v: the result is not streamed", d)
	}
}

// TestQueryCancel cancels the context while the server is still working
// on the query: the read stops with the context's error, at once.
func TestQueryCancel(t *testing.T) {
	url := pg.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := readAll(t, ctx, url, "SELECT 'b' AS account, now()::text AS t UNION ALL SELECT 'a', pg_sleep(60)::text")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("query after cancel: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancel took %v", d)
	}
}
