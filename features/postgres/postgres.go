// Package postgres reads the rows of a PostgreSQL query as text cells, for
// the roll-up of raw events into snapshots (package events reads any
// table through the same small RowReader interface).
//
// The rows are streamed: each is decoded as it arrives from the server,
// so a query over billions of events needs no more memory than one row.
// Values become the text the roll-up parses: timestamps with a time zone
// as RFC 3339 in UTC, timestamps without one and dates as written (read in
// the mapping's time zone, as a CSV file's would be), numbers as decimal
// text, NULL as the empty string.
package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// IsURL reports whether s names a PostgreSQL database rather than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns a connection URL without its password, for messages.
func Redact(connURL string) string {
	u, err := url.Parse(connURL)
	if err != nil {
		return "postgres database" // an unparsable URL may hold a password anywhere
	}
	return u.Redacted()
}

// Rows is a query's result being read. Its methods are those of
// events.RowReader.
type Rows struct {
	label  string
	conn   *pgx.Conn
	rows   pgx.Rows
	cancel context.CancelFunc
	cols   []string
	oids   []uint32
	cells  []string
	row    int
	done   bool
}

// Query connects to connURL and starts query. The query stops when ctx is
// done; Close stops it too, without reading the rows left.
func Query(ctx context.Context, connURL, query string) (_ *Rows, err error) {
	label := Redact(connURL)
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("%s: no query", label)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", label, err)
	}
	// The default mode prepares the statement first, so a query that does
	// not parse or names an unknown column fails here, before any row.
	rows, err := conn.Query(ctx, query)
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("%s: query: %w", label, err)
	}
	r := &Rows{label: label + " (query)", conn: conn, rows: rows, cancel: cancel}
	for _, fd := range rows.FieldDescriptions() {
		r.cols = append(r.cols, fd.Name)
		r.oids = append(r.oids, fd.DataTypeOID)
	}
	if len(r.cols) == 0 {
		// A statement that returns no rows (INSERT, SET) ends here with
		// its error, if any.
		rows.Close()
		err := rows.Err()
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: query: %w", label, err)
		}
		return nil, fmt.Errorf("%s: the query returns no columns", label)
	}
	for i, c := range r.cols {
		for _, d := range r.cols[:i] {
			if c == d {
				r.Close()
				return nil, &features.InputError{File: r.label, Column: c, Err: errors.New("two columns have this name; rename one with AS")}
			}
		}
	}
	r.cells = make([]string, len(r.cols))
	return r, nil
}

// Columns names the query's result columns.
func (r *Rows) Columns() []string { return r.cols }

// Next returns the next row's cells, or io.EOF after the last.
func (r *Rows) Next() ([]string, error) {
	if r.done {
		return nil, io.EOF
	}
	if !r.rows.Next() {
		r.done = true
		if err := r.rows.Err(); err != nil {
			return nil, &features.InputError{File: r.label, Row: r.row + 1, Err: err}
		}
		return nil, io.EOF
	}
	r.row++
	vals, err := r.rows.Values()
	if err != nil {
		return nil, &features.InputError{File: r.label, Row: r.row, Err: err}
	}
	for i, v := range vals {
		s, err := text(v, r.oids[i])
		if err != nil {
			return nil, &features.InputError{File: r.label, Row: r.row, Column: r.cols[i], Err: err}
		}
		r.cells[i] = s
	}
	return r.cells, nil
}

// Where names the query and the 1-based row of its result Next returned
// last.
func (r *Rows) Where() (string, int) { return r.label, r.row }

// Close ends the query. Before the last row it cancels the query rather
// than reading the rest of the rows, which pgx would otherwise do.
func (r *Rows) Close() error {
	if !r.done {
		r.cancel()
	}
	if r.rows != nil {
		r.rows.Close()
	}
	err := r.conn.Close(context.Background())
	r.cancel()
	return err
}

// text formats a decoded value as the roll-up reads it.
func text(v any, oid uint32) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int16:
		return strconv.FormatInt(int64(v), 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float32:
		return float(float64(v), 32)
	case float64:
		return float(v, 64)
	case pgtype.Numeric:
		if v.NaN || v.InfinityModifier != pgtype.Finite {
			return "", errors.New("numeric is not a finite number")
		}
		s, err := v.Value()
		if err != nil {
			return "", err
		}
		return s.(string), nil
	case time.Time:
		switch oid {
		case pgtype.DateOID:
			return v.Format(time.DateOnly), nil
		case pgtype.TimestampOID:
			// No zone: written without one, so it is read in the
			// mapping's time zone, as the same value in a CSV file is.
			return v.Format("2006-01-02T15:04:05.999999999"), nil
		}
		return v.UTC().Format(time.RFC3339Nano), nil
	case pgtype.InfinityModifier:
		return "", errors.New("infinite date or timestamp")
	case [16]byte: // uuid
		h := hex.EncodeToString(v[:])
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
	case netip.Prefix:
		return v.String(), nil
	case fmt.Stringer:
		return v.String(), nil
	}
	return "", fmt.Errorf("values of type %T (type oid %d) are not read; cast the column to text in the query", v, oid)
}

func float(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("%v is not a finite number", f)
	}
	return strconv.FormatFloat(f, 'f', -1, bits), nil
}
