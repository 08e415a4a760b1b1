package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
)

const alertColumns = `account_id, cause, week, model_version, probability, previous, health, previous_health,
	renewal_date, status, attempts, last_error, created_at, delivered_at`

// AddAlerts stores the alerts of alerts that the store does not hold yet
// (by account, cause and week), pending, in one transaction, and returns
// those it stored: the ones to send. Adding the same alerts again stores
// and returns nothing, so a run repeated sends nothing twice.
func (s *Store) AddAlerts(ctx context.Context, alerts []lifecycle.Alert) (added []lifecycle.Alert, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: add alerts: %w", s.label, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, s.rebind(`INSERT INTO alerts (`+alertColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, cause, week) DO NOTHING`))
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: add alerts: %w", s.label, err)
	}
	defer stmt.Close()
	now := time.Now()
	for _, a := range alerts {
		if a.AccountID == "" || a.Cause == "" || a.Week == features.NoDate {
			return nil, fmt.Errorf("lifecycle store %s: alert %+v: no account_id, cause or week", s.label, a)
		}
		a.Status, a.Attempts, a.LastError, a.DeliveredAt = lifecycle.Pending, 0, "", time.Time{}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		res, err := stmt.ExecContext(ctx, a.AccountID, string(a.Cause), a.Week.String(), a.ModelVersion,
			finite(a.Probability), finite(a.Previous), a.Health, a.PreviousHealth, dateText(a.RenewalDate),
			string(a.Status), a.Attempts, a.LastError, formatTime(a.CreatedAt), "")
		if err != nil {
			return nil, fmt.Errorf("lifecycle store %s: alert %s of account %q, week %s: %w", s.label, a.Cause, a.AccountID, a.Week, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: add alerts: %w", s.label, err)
		} else if n == 1 {
			added = append(added, a)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("lifecycle store %s: add alerts: commit: %w", s.label, err)
	}
	return added, nil
}

// Alerts returns the alerts stored for week, by account then cause.
func (s *Store) Alerts(ctx context.Context, week features.Date) ([]lifecycle.Alert, error) {
	return s.queryAlerts(ctx, "alerts of week "+week.String(), `WHERE week = ?`, week.String())
}

// AlertWeeks returns the weeks that hold alerts, oldest first: the
// weeks a reader of the alerts can ask for.
func (s *Store) AlertWeeks(ctx context.Context) ([]features.Date, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT week FROM alerts ORDER BY week`)
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: alert weeks: %w", s.label, err)
	}
	defer rows.Close()
	var weeks []features.Date
	for rows.Next() {
		var wk string
		if err := rows.Scan(&wk); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: alert weeks: %w", s.label, err)
		}
		w, err := features.ParseDate(wk)
		if err != nil {
			return nil, fmt.Errorf("lifecycle store %s: alert weeks: %w", s.label, err)
		}
		weeks = append(weeks, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lifecycle store %s: alert weeks: %w", s.label, err)
	}
	return weeks, nil
}

// UndeliveredAlerts returns every alert no receiver has accepted yet,
// pending or failed, oldest week first: what a restart sends again.
func (s *Store) UndeliveredAlerts(ctx context.Context) ([]lifecycle.Alert, error) {
	return s.queryAlerts(ctx, "undelivered alerts", `WHERE status <> 'delivered'`)
}

func (s *Store) queryAlerts(ctx context.Context, what, where string, args ...any) ([]lifecycle.Alert, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT `+alertColumns+` FROM alerts `+where+
		` ORDER BY week, account_id, cause`), args...)
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: %s: %w", s.label, what, err)
	}
	defer rows.Close()
	var out []lifecycle.Alert
	for rows.Next() {
		var a lifecycle.Alert
		var cause, week, renewal, status, created, delivered string
		if err := rows.Scan(&a.AccountID, &cause, &week, &a.ModelVersion, &a.Probability, &a.Previous, &a.Health,
			&a.PreviousHealth, &renewal, &status, &a.Attempts, &a.LastError, &created, &delivered); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: %s: %w", s.label, what, err)
		}
		a.Cause, a.Status = lifecycle.Cause(cause), lifecycle.AlertStatus(status)
		if a.Week, err = features.ParseDate(week); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: alert of account %q: week: %w", s.label, a.AccountID, err)
		}
		a.RenewalDate = features.NoDate
		if renewal != "" {
			if a.RenewalDate, err = features.ParseDate(renewal); err != nil {
				return nil, fmt.Errorf("lifecycle store %s: alert of account %q: renewal_date: %w", s.label, a.AccountID, err)
			}
		}
		if a.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: alert of account %q: created_at: %w", s.label, a.AccountID, err)
		}
		if a.DeliveredAt, err = parseTime(delivered); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: alert of account %q: delivered_at: %w", s.label, a.AccountID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lifecycle store %s: %s: %w", s.label, what, err)
	}
	return out, nil
}

// MarkAlert records how the delivery of a went: its status, attempts,
// last error and delivery time, found by its account, cause and week.
func (s *Store) MarkAlert(ctx context.Context, a lifecycle.Alert) error {
	switch a.Status {
	case lifecycle.Pending, lifecycle.Delivered, lifecycle.Failed:
	default:
		return fmt.Errorf("lifecycle store %s: alert %s of account %q: status %q is not pending, delivered or failed",
			s.label, a.Cause, a.AccountID, a.Status)
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE alerts SET status = ?, attempts = ?, last_error = ?, delivered_at = ?
		WHERE account_id = ? AND cause = ? AND week = ?`),
		string(a.Status), a.Attempts, a.LastError, formatTime(a.DeliveredAt), a.AccountID, string(a.Cause), a.Week.String())
	if err != nil {
		return fmt.Errorf("lifecycle store %s: mark alert %s of account %q: %w", s.label, a.Cause, a.AccountID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("lifecycle store %s: alert %s of account %q, week %s: %w", s.label, a.Cause, a.AccountID, a.Week, lifecycle.ErrNotFound)
	}
	return nil
}

// dateText is d as an ISO date, "" for NoDate.
func dateText(d features.Date) string {
	if d == features.NoDate {
		return ""
	}
	return d.String()
}
