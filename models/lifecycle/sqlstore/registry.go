package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/churnlabs/churn/models/lifecycle"
)

// RegisterModel adds the model version v and appends a register entry by
// user, with reason, to the audit, in one transaction. It returns the
// entry. A version registered before is refused with an error wrapping
// lifecycle.ErrExists, and nothing changes.
func (s *Store) RegisterModel(ctx context.Context, v lifecycle.ModelVersion, user, reason string) (lifecycle.AuditEntry, error) {
	if v.Version == "" {
		return lifecycle.AuditEntry{}, errors.New("register model: no version")
	}
	if v.RegisteredAt.IsZero() {
		v.RegisteredAt = time.Now()
	}
	var e lifecycle.AuditEntry
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM model_versions WHERE version = ?`), v.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("model version %s: %w", v.Version, lifecycle.ErrExists)
		}
		var details any
		if v.Details != nil {
			details = string(v.Details)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO model_versions
			(version, path, learner, trained_at, registered_at, details) VALUES (?, ?, ?, ?, ?, ?)`),
			v.Version, v.Path, v.Learner, formatTime(v.TrainedAt), formatTime(v.RegisteredAt), details); err != nil {
			return err
		}
		var err error
		e, err = s.appendAudit(ctx, tx, lifecycle.AuditEntry{
			At: v.RegisteredAt, User: user, Action: lifecycle.Register, Version: v.Version, Reason: reason,
		})
		return err
	})
	if err != nil {
		return lifecycle.AuditEntry{}, fmt.Errorf("lifecycle store %s: register model %s: %w", s.label, v.Version, err)
	}
	return e, nil
}

// ModelVersion returns the registered version named version, or an error
// wrapping lifecycle.ErrNotFound.
func (s *Store) ModelVersion(ctx context.Context, version string) (lifecycle.ModelVersion, error) {
	vs, err := s.modelVersions(ctx, ` WHERE version = ?`, version)
	if err != nil {
		return lifecycle.ModelVersion{}, err
	}
	if len(vs) == 0 {
		return lifecycle.ModelVersion{}, fmt.Errorf("lifecycle store %s: model version %s: %w", s.label, version, lifecycle.ErrNotFound)
	}
	return vs[0], nil
}

// ModelVersions returns every registered version, oldest registration
// first.
func (s *Store) ModelVersions(ctx context.Context) ([]lifecycle.ModelVersion, error) {
	return s.modelVersions(ctx, ``)
}

func (s *Store) modelVersions(ctx context.Context, where string, args ...any) ([]lifecycle.ModelVersion, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT version, path, learner, trained_at, registered_at, details
		FROM model_versions`+where+` ORDER BY registered_at, version`), args...)
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: model versions: %w", s.label, err)
	}
	defer rows.Close()
	var vs []lifecycle.ModelVersion
	for rows.Next() {
		var v lifecycle.ModelVersion
		var trained, registered string
		var details sql.NullString
		if err := rows.Scan(&v.Version, &v.Path, &v.Learner, &trained, &registered, &details); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: model versions: %w", s.label, err)
		}
		if v.TrainedAt, err = parseTime(trained); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: model version %s: trained_at: %w", s.label, v.Version, err)
		}
		if v.RegisteredAt, err = parseTime(registered); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: model version %s: registered_at: %w", s.label, v.Version, err)
		}
		if details.Valid {
			v.Details = []byte(details.String)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lifecycle store %s: model versions: %w", s.label, err)
	}
	return vs, nil
}

// SetChampion makes e.Version the champion and appends e to the audit, in
// one transaction that no other promotion can interleave with: e.Action
// must be lifecycle.Promote or lifecycle.Rollback and e.Version a
// registered version (else an error wrapping lifecycle.ErrNotFound). The
// store fills in e.Seq, e.Previous (the champion until now) and e.At
// when zero, and returns the entry as appended.
func (s *Store) SetChampion(ctx context.Context, e lifecycle.AuditEntry) (lifecycle.AuditEntry, error) {
	if !e.Action.ChangesChampion() {
		return lifecycle.AuditEntry{}, fmt.Errorf("lifecycle store %s: set champion: action %q: want %s or %s",
			s.label, e.Action, lifecycle.Promote, lifecycle.Rollback)
	}
	return s.appendVersionEntry(ctx, e)
}

// SetShadow appends e, a lifecycle.Shadow or lifecycle.Unshadow entry,
// to the audit: e.Version is the version shadowed, or the one no longer
// shadowed, and must be registered (else an error wrapping
// lifecycle.ErrNotFound). Previous is the champion at the time, the
// model the shadow is compared with. The registry's shadow pointer, not
// the store, says what a server shadows; the audit says who changed it,
// when and why.
func (s *Store) SetShadow(ctx context.Context, e lifecycle.AuditEntry) (lifecycle.AuditEntry, error) {
	if !e.Action.ChangesShadow() {
		return lifecycle.AuditEntry{}, fmt.Errorf("lifecycle store %s: set shadow: action %q: want %s or %s",
			s.label, e.Action, lifecycle.Shadow, lifecycle.Unshadow)
	}
	return s.appendVersionEntry(ctx, e)
}

// appendVersionEntry appends e to the audit in one transaction that
// first checks e.Version is registered.
func (s *Store) appendVersionEntry(ctx context.Context, e lifecycle.AuditEntry) (lifecycle.AuditEntry, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM model_versions WHERE version = ?`), e.Version).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("model version %s: %w", e.Version, lifecycle.ErrNotFound)
		}
		var err error
		e, err = s.appendAudit(ctx, tx, e)
		return err
	})
	if err != nil {
		return lifecycle.AuditEntry{}, fmt.Errorf("lifecycle store %s: %s %s: %w", s.label, e.Action, e.Version, err)
	}
	return e, nil
}

// Shadow returns the version of the last shadow entry of the audit, ""
// when there is none or the last one is an unshadow.
func (s *Store) Shadow(ctx context.Context) (string, error) {
	var version, action string
	err := s.db.QueryRowContext(ctx, `SELECT version, action FROM audit WHERE action IN ('shadow', 'unshadow')
		ORDER BY seq DESC LIMIT 1`).Scan(&version, &action)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("lifecycle store %s: shadow: %w", s.label, err)
	case lifecycle.Action(action) == lifecycle.Unshadow:
		return "", nil
	}
	return version, nil
}

// Champion returns the version promoted last (by promote or rollback),
// or an error wrapping lifecycle.ErrNoChampion.
func (s *Store) Champion(ctx context.Context) (lifecycle.ModelVersion, error) {
	version, err := champion(ctx, s.db)
	if err != nil {
		return lifecycle.ModelVersion{}, fmt.Errorf("lifecycle store %s: champion: %w", s.label, err)
	}
	if version == "" {
		return lifecycle.ModelVersion{}, fmt.Errorf("lifecycle store %s: %w", s.label, lifecycle.ErrNoChampion)
	}
	return s.ModelVersion(ctx, version)
}

// Audit returns the whole audit, oldest entry first.
func (s *Store) Audit(ctx context.Context) ([]lifecycle.AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, username, action, version, previous, reason FROM audit ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: audit: %w", s.label, err)
	}
	defer rows.Close()
	var es []lifecycle.AuditEntry
	for rows.Next() {
		var e lifecycle.AuditEntry
		var at, action string
		if err := rows.Scan(&e.Seq, &at, &e.User, &action, &e.Version, &e.Previous, &e.Reason); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: audit: %w", s.label, err)
		}
		e.Action = lifecycle.Action(action)
		if e.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: audit entry %d: %w", s.label, e.Seq, err)
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lifecycle store %s: audit: %w", s.label, err)
	}
	return es, nil
}

// querier is what champion needs of a database or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// champion returns the version of the last promote or rollback, "" when
// none.
func champion(ctx context.Context, q querier) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT version FROM audit WHERE action IN ('promote', 'rollback')
		ORDER BY seq DESC LIMIT 1`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// appendAudit appends e inside tx, filling in Seq, Previous and At.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e lifecycle.AuditEntry) (lifecycle.AuditEntry, error) {
	if !e.Action.Valid() {
		return e, fmt.Errorf("audit: unknown action %q", e.Action)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	prev, err := champion(ctx, tx)
	if err != nil {
		return e, fmt.Errorf("audit: champion: %w", err)
	}
	e.Previous = prev
	err = tx.QueryRowContext(ctx, s.rebind(`INSERT INTO audit (at, username, action, version, previous, reason)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`),
		formatTime(e.At), e.User, string(e.Action), e.Version, e.Previous, e.Reason).Scan(&e.Seq)
	if err != nil {
		return e, fmt.Errorf("audit: append: %w", err)
	}
	// Read back what was stored, so the caller sees the instant at the
	// store's precision.
	e.At, _ = parseTime(formatTime(e.At))
	return e, nil
}

// pgRegistryLock is the key of the advisory lock that serializes changes
// to the registry on PostgreSQL, so that two promotions cannot both read
// the same previous champion. SQLite's immediate transactions serialize
// writers already.
const pgRegistryLock = 0x636875726e + 1

// inTx runs f in a transaction that holds the registry's write lock,
// committing when f returns nil.
func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if s.dialect == pg {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgRegistryLock)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}
