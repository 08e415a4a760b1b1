// Package sqlstore keeps the lifecycle (package lifecycle: score history,
// model versions, the audit of promotions) in a SQL database through
// database/sql: SQLite by default, a file created on first use with no
// server to run (modernc.org/sqlite, pure Go), or PostgreSQL when the
// address is a postgres:// URL (jackc/pgx's database/sql driver).
//
// Both databases get the same schema from the same versioned migrations,
// applied when the store is opened, in one transaction, so a database is
// always at one known version. A database written by a newer churn than
// this one is refused rather than misread.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	msqlite "modernc.org/sqlite"       // registers the "sqlite" driver

	"github.com/churnlabs/churn/features/postgres"
)

// dialect is the database behind a Store.
type dialect int

const (
	sqlite dialect = iota
	pg
)

// Store is a lifecycle database. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect dialect
	label   string // the address without a password, for messages
}

// IsPostgres reports whether addr names a PostgreSQL database rather than
// a SQLite file.
func IsPostgres(addr string) bool { return postgres.IsURL(addr) }

// Open opens the lifecycle database at addr, a postgres:// URL or the
// path of a SQLite file (created, with its folder, when absent), and
// brings its schema up to date.
func Open(ctx context.Context, addr string) (*Store, error) {
	s, err := open(ctx, addr)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, len(migrations)); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// open connects without migrating.
func open(ctx context.Context, addr string) (*Store, error) {
	if addr == "" {
		return nil, errors.New("lifecycle store: no database address")
	}
	s := &Store{}
	var err error
	if IsPostgres(addr) {
		s.dialect, s.label = pg, postgres.Redact(addr)
		s.db, err = sql.Open("pgx", addr)
	} else {
		s.dialect, s.label = sqlite, addr
		if strings.ContainsRune(addr, '?') {
			return nil, fmt.Errorf("lifecycle store %s: a SQLite path may not contain '?'", addr)
		}
		if dir := filepath.Dir(addr); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("lifecycle store %s: %w", addr, err)
			}
		}
		// WAL lets the server read while a recording writes; a busy
		// timeout waits out another process's write instead of failing;
		// immediate transactions take the write lock up front, so two
		// writers queue rather than deadlock on upgrading a read lock.
		s.db, err = sql.Open("sqlite", addr+
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"+
			"&_pragma=foreign_keys(1)&_txlock=immediate")
	}
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: %w", s.label, err)
	}
	if err := s.ping(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("lifecycle store %s: %w", s.label, err)
	}
	return s, nil
}

// ping opens a first connection. SQLite's busy timeout does not cover a
// connection that switches a new database to WAL while another process
// or connection does the same (it fails at once with SQLITE_BUSY), so
// that case is retried, for as long as the busy timeout would wait.
func (s *Store) ping(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := s.db.PingContext(ctx)
		var se *msqlite.Error
		if err == nil || s.dialect != sqlite || !errors.As(err, &se) || se.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// sqliteBusy is SQLite's primary result code SQLITE_BUSY.
const sqliteBusy = 5

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// String names the database, without a password.
func (s *Store) String() string { return s.label }

// SchemaVersion is the version of the schema this binary writes.
func SchemaVersion() int { return len(migrations) }

// Version returns the database's schema version: 0 for an empty one.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("lifecycle store %s: schema version: %w", s.label, err)
	}
	return int(v.Int64), nil
}

// pgMigrationLock is the key of the advisory lock that serializes
// migrations between processes opening one PostgreSQL database at once.
const pgMigrationLock = 0x636875726e // "churn"

// migrate brings the schema up to version upto (tests stop short of the
// latest to check every upgrade path), in one transaction.
func (s *Store) migrate(ctx context.Context, upto int) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lifecycle store %s: migrate: %w", s.label, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if s.dialect == pg {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgMigrationLock)); err != nil {
			return fmt.Errorf("lifecycle store %s: migrate: lock: %w", s.label, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("lifecycle store %s: migrate: %w", s.label, err)
	}
	var have sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("lifecycle store %s: migrate: read the schema version: %w", s.label, err)
	}
	if int(have.Int64) > len(migrations) {
		return fmt.Errorf("lifecycle store %s: the database's schema is at version %d, newer than this churn knows (%d): "+
			"it was written by a later churn; upgrade churn to use it", s.label, have.Int64, len(migrations))
	}
	now := formatTime(time.Now())
	for v := int(have.Int64) + 1; v <= upto; v++ {
		m := migrations[v-1]
		stmts := m.sqlite
		if s.dialect == pg {
			stmts = m.postgres
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("lifecycle store %s: migration %d (%s): %w", s.label, v, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			v, m.name, now); err != nil {
			return fmt.Errorf("lifecycle store %s: migration %d (%s): %w", s.label, v, m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("lifecycle store %s: migrate: commit: %w", s.label, err)
	}
	return nil
}

// rebind turns the ? placeholders of q into PostgreSQL's $1, $2, ... The
// queries of this package hold no '?' other than placeholders.
func (s *Store) rebind(q string) string {
	if s.dialect != pg {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// timeLayout is fixed-width RFC 3339 in UTC, so instants sort as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("instant %q: %w", s, err)
	}
	return t, nil
}
