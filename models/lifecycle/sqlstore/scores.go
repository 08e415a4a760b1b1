package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/lifecycle"
)

// scoreColumns are the columns one recorded score fills, in the order
// of the values insertScores binds.
const scoreColumns = `(week, model_version, account_id, segment, probability, log_odds, health, top, shadow, recorded_at)`

const scoreParams = 10

// insertBatch is how many scores one INSERT carries: multi-row inserts
// cut the statements, and round trips to PostgreSQL, a hundredfold.
// 500 rows are 5000 parameters, well under SQLite's 32766 and
// PostgreSQL's 65535.
const insertBatch = 500

// RecordScores stores recs in one transaction and returns how many it
// stored. Recording is idempotent: for each model version, the scores of
// its latest week in recs replace all it stored before for that week, so
// recording one week's book twice keeps one copy of it, the latest. A
// record of an earlier week replaces only the same account's score of
// that week: a book puts an account that missed its latest week under
// the week it was last seen, and that one account must not wipe out the
// week everyone else was scored in then. A record that fails
// lifecycle.ScoreRecord.Check is refused, naming it, and nothing is
// stored.
func (s *Store) RecordScores(ctx context.Context, recs []lifecycle.ScoreRecord) (int, error) {
	latest := make(map[string]features.Date) // by model version
	for i := range recs {
		if err := recs[i].Check(); err != nil {
			return 0, fmt.Errorf("lifecycle store %s: record scores: %w", s.label, err)
		}
		if w, ok := latest[recs[i].ModelVersion]; !ok || recs[i].Week > w {
			latest[recs[i].ModelVersion] = recs[i].Week
		}
	}
	if len(recs) == 0 {
		return 0, nil
	}
	// Scores take no registry lock: a long recording never holds up a
	// promotion on PostgreSQL.
	now := formatTime(time.Now())
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("lifecycle store %s: record scores: %w", s.label, err)
	}
	defer tx.Rollback()
	del := s.rebind(`DELETE FROM scores WHERE week = ? AND model_version = ?`)
	for version, week := range latest {
		if _, err := tx.ExecContext(ctx, del, week.String(), version); err != nil {
			return 0, fmt.Errorf("lifecycle store %s: record scores: replace week %s of model %s: %w", s.label, week, version, err)
		}
	}
	delOne := s.rebind(`DELETE FROM scores WHERE week = ? AND model_version = ? AND account_id = ?`)
	for i := range recs {
		if r := &recs[i]; r.Week != latest[r.ModelVersion] {
			if _, err := tx.ExecContext(ctx, delOne, r.Week.String(), r.ModelVersion, r.AccountID); err != nil {
				return 0, fmt.Errorf("lifecycle store %s: record scores: replace account %q week %s of model %s: %w", s.label, r.AccountID, r.Week, r.ModelVersion, err)
			}
		}
	}
	full, err := tx.PrepareContext(ctx, s.insertScores(insertBatch))
	if err != nil {
		return 0, fmt.Errorf("lifecycle store %s: record scores: %w", s.label, err)
	}
	defer full.Close()
	args := make([]any, 0, insertBatch*scoreParams)
	var top []byte
	for start := 0; start < len(recs); start += insertBatch {
		batch := recs[start:min(start+insertBatch, len(recs))]
		args = args[:0]
		for i := range batch {
			r := &batch[i]
			top, err = appendTop(top[:0], r.Top)
			if err != nil {
				return 0, fmt.Errorf("lifecycle store %s: record scores: account %q: %w", s.label, r.AccountID, err)
			}
			at := now
			if !r.RecordedAt.IsZero() {
				at = formatTime(r.RecordedAt)
			}
			shadow := 0
			if r.Shadow {
				shadow = 1
			}
			args = append(args, r.Week.String(), r.ModelVersion, r.AccountID, r.Segment,
				r.Probability, finite(r.LogOdds), r.Health, string(top), shadow, at)
		}
		stmt := full
		if len(batch) < insertBatch {
			if stmt, err = tx.PrepareContext(ctx, s.insertScores(len(batch))); err != nil {
				return 0, fmt.Errorf("lifecycle store %s: record scores: %w", s.label, err)
			}
			defer stmt.Close()
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return 0, fmt.Errorf("lifecycle store %s: record scores %d to %d: %w", s.label, start+1, start+len(batch), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("lifecycle store %s: record scores: commit: %w", s.label, err)
	}
	return len(recs), nil
}

// insertScores returns an INSERT of n scores.
func (s *Store) insertScores(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO scores ` + scoreColumns + ` VALUES `)
	row := "(" + strings.Repeat("?, ", scoreParams-1) + "?)"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return s.rebind(b.String())
}

// appendTop appends the JSON of top to buf. JSON has no NaN or infinity:
// a value that is not finite (a missing feature) is written as null.
func appendTop(buf []byte, top []lifecycle.Contribution) ([]byte, error) {
	type contribution struct {
		Feature      string   `json:"feature"`
		Value        *float64 `json:"value"`
		Contribution float64  `json:"contribution"`
	}
	cs := make([]contribution, len(top))
	for i, c := range top {
		cs[i] = contribution{Feature: c.Feature, Contribution: finite(c.Contribution)}
		if !math.IsNaN(c.Value) && !math.IsInf(c.Value, 0) {
			cs[i].Value = &top[i].Value
		}
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return buf, fmt.Errorf("top contributions: %w", err)
	}
	return append(buf, b...), nil
}

// finite maps NaN, which JSON cannot carry and which would compare
// oddly in SQL, to 0: only a degenerate model yields a NaN log-odds.
func finite(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}

// Scores returns the scores recorded for week, shadow ones included,
// by model version then account.
func (s *Store) Scores(ctx context.Context, week features.Date) ([]lifecycle.ScoreRecord, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT week, model_version, account_id, segment, probability, log_odds,
		health, top, shadow, recorded_at FROM scores WHERE week = ? ORDER BY model_version, account_id`), week.String())
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: scores of week %s: %w", s.label, week, err)
	}
	defer rows.Close()
	var recs []lifecycle.ScoreRecord
	for rows.Next() {
		var r lifecycle.ScoreRecord
		var wk, top, at string
		var shadow int
		if err := rows.Scan(&wk, &r.ModelVersion, &r.AccountID, &r.Segment, &r.Probability, &r.LogOdds,
			&r.Health, &top, &shadow, &at); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: scores of week %s: %w", s.label, week, err)
		}
		if r.Week, err = features.ParseDate(wk); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: score of account %q: week: %w", s.label, r.AccountID, err)
		}
		if r.RecordedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: score of account %q: recorded_at: %w", s.label, r.AccountID, err)
		}
		if r.Top, err = parseTop(top); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: score of account %q: top: %w", s.label, r.AccountID, err)
		}
		r.Shadow = shadow != 0
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lifecycle store %s: scores of week %s: %w", s.label, week, err)
	}
	return recs, nil
}

// parseTop reads the JSON appendTop wrote; null values become NaN.
func parseTop(s string) ([]lifecycle.Contribution, error) {
	var cs []struct {
		Feature      string   `json:"feature"`
		Value        *float64 `json:"value"`
		Contribution float64  `json:"contribution"`
	}
	if err := json.Unmarshal([]byte(s), &cs); err != nil {
		return nil, err
	}
	var top []lifecycle.Contribution
	for _, c := range cs {
		v := math.NaN()
		if c.Value != nil {
			v = *c.Value
		}
		top = append(top, lifecycle.Contribution{Feature: c.Feature, Value: v, Contribution: c.Contribution})
	}
	return top, nil
}

// ShownHistory returns the scores shown in the weeks from from to to,
// both included, by account, oldest week first: shadow scores are left
// out, and of a week scored by several model versions (a reload that
// changed the model) the one recorded last is kept, as it is the one
// that was shown last.
func (s *Store) ShownHistory(ctx context.Context, from, to features.Date) (map[string][]lifecycle.WeekScore, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT account_id, week, model_version, probability, recorded_at
		FROM scores WHERE week >= ? AND week <= ? AND shadow = 0`), from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: score history: %w", s.label, err)
	}
	defer rows.Close()
	type shown struct {
		lifecycle.WeekScore
		at string
	}
	byAccount := make(map[string][]shown)
	// A server reads a million rows here before it publishes a book:
	// RawBytes spares an allocation per column, and a string is made
	// only of what is kept.
	var id, wk, version, at sql.RawBytes
	var p float64
	// Weeks, versions and instants repeat across a book: each is parsed
	// or made a string once.
	weeks := make(map[string]features.Date)
	strs := make(map[string]string)
	intern := func(b []byte) string {
		if v, ok := strs[string(b)]; ok {
			return v
		}
		v := string(b)
		strs[v] = v
		return v
	}
	for rows.Next() {
		if err := rows.Scan(&id, &wk, &version, &p, &at); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: score history: %w", s.label, err)
		}
		week, ok := weeks[string(wk)]
		if !ok {
			if week, err = features.ParseDate(string(wk)); err != nil {
				return nil, fmt.Errorf("lifecycle store %s: score history of account %q: %w", s.label, id, err)
			}
			weeks[string(wk)] = week
		}
		h, known := byAccount[string(id)]
		i := 0
		for i < len(h) && h[i].Week < week {
			i++
		}
		if i < len(h) && h[i].Week == week {
			if c := strings.Compare(string(at), h[i].at); c < 0 || (c == 0 && string(version) <= h[i].ModelVersion) {
				continue
			}
			h[i] = shown{lifecycle.WeekScore{Week: week, Probability: p, ModelVersion: intern(version)}, intern(at)}
			continue
		}
		if !known {
			h = make([]shown, 0, 12)
		}
		h = append(h, shown{})
		copy(h[i+1:], h[i:])
		h[i] = shown{lifecycle.WeekScore{Week: week, Probability: p, ModelVersion: intern(version)}, intern(at)}
		byAccount[string(id)] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lifecycle store %s: score history: %w", s.label, err)
	}
	out := make(map[string][]lifecycle.WeekScore, len(byAccount))
	for id, h := range byAccount {
		ws := make([]lifecycle.WeekScore, len(h))
		for i := range h {
			ws[i] = h[i].WeekScore
		}
		out[id] = ws
	}
	return out, nil
}

// ScoredWeeks returns every week that holds recorded scores, oldest
// first: the weeks a monitor can check once their labels mature.
func (s *Store) ScoredWeeks(ctx context.Context) ([]features.Date, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT week FROM scores ORDER BY week`)
	if err != nil {
		return nil, fmt.Errorf("lifecycle store %s: scored weeks: %w", s.label, err)
	}
	defer rows.Close()
	var weeks []features.Date
	for rows.Next() {
		var wk string
		if err := rows.Scan(&wk); err != nil {
			return nil, fmt.Errorf("lifecycle store %s: scored weeks: %w", s.label, err)
		}
		w, err := features.ParseDate(wk)
		if err != nil {
			return nil, fmt.Errorf("lifecycle store %s: scored weeks: %w", s.label, err)
		}
		weeks = append(weeks, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lifecycle store %s: scored weeks: %w", s.label, err)
	}
	return weeks, nil
}
