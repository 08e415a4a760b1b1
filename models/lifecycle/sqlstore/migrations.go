package sqlstore

// migration is one step of the schema. Steps are applied in order, each
// once, and never edited after release: a change to the schema is a new
// step at the end, so a database made by any earlier binary can be
// brought up to date.
//
// The schema is the same on both databases; only the spelling differs
// where SQL does (identity columns, triggers), so each step has its
// statements for SQLite and for PostgreSQL.
//
// Portable types are chosen on purpose: weeks are ISO dates and instants
// fixed-width RFC 3339 UTC text (both sort as text), top contributions
// JSON text, booleans integers 0/1.
type migration struct {
	name     string
	sqlite   []string
	postgres []string
}

// migrations is the schema, version i+1 at index i.
var migrations = []migration{
	{
		name: "model versions and the audit of promotions",
		sqlite: []string{
			`CREATE TABLE model_versions (
				version       TEXT PRIMARY KEY,
				path          TEXT NOT NULL DEFAULT '',
				learner       TEXT NOT NULL DEFAULT '',
				trained_at    TEXT NOT NULL DEFAULT '',
				registered_at TEXT NOT NULL,
				details       TEXT
			)`,
			`CREATE TABLE audit (
				seq      INTEGER PRIMARY KEY AUTOINCREMENT,
				at       TEXT NOT NULL,
				username TEXT NOT NULL,
				action   TEXT NOT NULL CHECK (action IN ('register', 'promote', 'rollback')),
				version  TEXT NOT NULL REFERENCES model_versions (version),
				previous TEXT NOT NULL DEFAULT '',
				reason   TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX audit_champion ON audit (seq) WHERE action IN ('promote', 'rollback')`,
			// The audit is append-only: the database refuses to change
			// or remove a line, whoever asks.
			`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
			BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END`,
			`CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
			BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END`,
		},
		postgres: []string{
			`CREATE TABLE model_versions (
				version       TEXT PRIMARY KEY,
				path          TEXT NOT NULL DEFAULT '',
				learner       TEXT NOT NULL DEFAULT '',
				trained_at    TEXT NOT NULL DEFAULT '',
				registered_at TEXT NOT NULL,
				details       TEXT
			)`,
			`CREATE TABLE audit (
				seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				at       TEXT NOT NULL,
				username TEXT NOT NULL,
				action   TEXT NOT NULL CHECK (action IN ('register', 'promote', 'rollback')),
				version  TEXT NOT NULL REFERENCES model_versions (version),
				previous TEXT NOT NULL DEFAULT '',
				reason   TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX audit_champion ON audit (seq) WHERE action IN ('promote', 'rollback')`,
			`CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'the audit is append-only'; END $$`,
			`CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
			FOR EACH ROW EXECUTE FUNCTION audit_append_only()`,
			`CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
			FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()`,
		},
	},
	{
		name:     "score history",
		sqlite:   scoresDDL,
		postgres: scoresDDL,
	},
	{
		name: "shadow and unshadow in the audit",
		// SQLite cannot change a CHECK constraint in place: the audit is
		// copied whole, numbers included, into a table with the new one,
		// and its index and append-only triggers made again. Dropping
		// the triggers first is part of this one migration, in its
		// transaction, never something a user's statement can do.
		sqlite: []string{
			`DROP TRIGGER audit_no_update`,
			`DROP TRIGGER audit_no_delete`,
			`DROP INDEX audit_champion`,
			`CREATE TABLE audit_v3 (
				seq      INTEGER PRIMARY KEY AUTOINCREMENT,
				at       TEXT NOT NULL,
				username TEXT NOT NULL,
				action   TEXT NOT NULL CHECK (action IN ('register', 'promote', 'rollback', 'shadow', 'unshadow')),
				version  TEXT NOT NULL REFERENCES model_versions (version),
				previous TEXT NOT NULL DEFAULT '',
				reason   TEXT NOT NULL DEFAULT ''
			)`,
			`INSERT INTO audit_v3 (seq, at, username, action, version, previous, reason)
				SELECT seq, at, username, action, version, previous, reason FROM audit ORDER BY seq`,
			`DROP TABLE audit`,
			`ALTER TABLE audit_v3 RENAME TO audit`,
			`CREATE INDEX audit_champion ON audit (seq) WHERE action IN ('promote', 'rollback')`,
			`CREATE INDEX audit_shadow ON audit (seq) WHERE action IN ('shadow', 'unshadow')`,
			`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
			BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END`,
			`CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
			BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END`,
		},
		postgres: []string{
			`ALTER TABLE audit DROP CONSTRAINT audit_action_check`,
			`ALTER TABLE audit ADD CONSTRAINT audit_action_check
				CHECK (action IN ('register', 'promote', 'rollback', 'shadow', 'unshadow'))`,
			`CREATE INDEX audit_shadow ON audit (seq) WHERE action IN ('shadow', 'unshadow')`,
		},
	},
	{
		name: "alerts",
		// One row per account, cause and week: the key is what keeps an
		// alert from being raised twice, and the status what lets a
		// restart resend the ones no receiver accepted.
		sqlite:   alertsDDL,
		postgres: alertsDDL,
	},
}

// scoresDDL creates the score history: the same statements on SQLite
// and PostgreSQL.
var scoresDDL = []string{
	`CREATE TABLE scores (
			week          TEXT NOT NULL,
			model_version TEXT NOT NULL,
			account_id    TEXT NOT NULL,
			segment       TEXT NOT NULL DEFAULT '',
			probability   DOUBLE PRECISION NOT NULL,
			log_odds      DOUBLE PRECISION NOT NULL,
			health        TEXT NOT NULL DEFAULT '',
			top           TEXT NOT NULL DEFAULT '[]',
			shadow        INTEGER NOT NULL DEFAULT 0,
			recorded_at   TEXT NOT NULL,
			PRIMARY KEY (week, model_version, account_id)
		)`,
	`CREATE INDEX scores_account ON scores (account_id, week)`,
}

// alertsDDL creates the alerts table: the same statements on SQLite and
// PostgreSQL.
var alertsDDL = []string{
	`CREATE TABLE alerts (
			account_id      TEXT NOT NULL,
			cause           TEXT NOT NULL CHECK (cause IN ('turned_red', 'jumped', 'renewal_red')),
			week            TEXT NOT NULL,
			model_version   TEXT NOT NULL DEFAULT '',
			probability     DOUBLE PRECISION NOT NULL,
			previous        DOUBLE PRECISION NOT NULL,
			health          TEXT NOT NULL DEFAULT '',
			previous_health TEXT NOT NULL DEFAULT '',
			renewal_date    TEXT NOT NULL DEFAULT '',
			status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
			attempts        INTEGER NOT NULL DEFAULT 0,
			last_error      TEXT NOT NULL DEFAULT '',
			created_at      TEXT NOT NULL,
			delivered_at    TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (account_id, cause, week)
		)`,
	`CREATE INDEX alerts_undelivered ON alerts (week) WHERE status <> 'delivered'`,
}
