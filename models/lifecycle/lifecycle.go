// Package lifecycle holds what churn remembers about its models after
// training them: the scores it gave each account week by week, the model
// versions it knows, and the append-only audit of which version was
// promoted to champion, by whom, when and why.
//
// This package is the domain: plain types and the rules on them. The
// database that keeps them is an adapter, package sqlstore (SQLite by
// default, PostgreSQL on request), so that code reading history depends
// on these types, not on a database.
//
// Score history exists so that what a customer-success team was shown
// can be checked later against what happened: a score is recorded once,
// for its week and the model version that computed it, and never
// recomputed with a later model.
package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/churnlabs/churn/features"
)

// DefaultDBName is the file name of the SQLite database that holds the
// lifecycle when no --db is given. It lives beside the model folders, in
// the folder that holds them, so that one store serves every version.
const DefaultDBName = "churn.db"

// DefaultDB returns the path of the default SQLite database for the model
// folder modelDir: DefaultDBName in modelDir's parent.
func DefaultDB(modelDir string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(modelDir)), DefaultDBName)
}

// Errors a store wraps, so callers can tell them apart with errors.Is.
var (
	// ErrNotFound: the model version (or other record) asked for is not
	// in the store.
	ErrNotFound = errors.New("not found")
	// ErrExists: a model version is registered twice.
	ErrExists = errors.New("already exists")
	// ErrNoChampion: no version has been promoted yet.
	ErrNoChampion = errors.New("no champion has been promoted")
)

// Contribution is one feature's share of a score, in log-odds, as the
// explanation gave it: the top few are kept with each score.
type Contribution struct {
	Feature string `json:"feature"`
	// Value is the feature's value in the scored row.
	Value float64 `json:"value"`
	// Contribution is in log-odds; positive raises the risk.
	Contribution float64 `json:"contribution"`
}

// ScoreRecord is one account's score for one week by one model version,
// as it was shown (or, for a shadow score, computed beside it).
type ScoreRecord struct {
	AccountID string
	// Week is the snapshot week the score is for.
	Week features.Date
	// ModelVersion is models.Artifact.Version of the model that scored.
	ModelVersion string
	Segment      string
	// Probability is the calibrated churn probability; LogOdds its
	// log-odds, the sum of the base value and every contribution.
	Probability float64
	LogOdds     float64
	// Health is the colour shown: red, yellow or green.
	Health string
	// Top are the largest contributions, as many as the recorder kept.
	Top []Contribution
	// Shadow marks a score computed beside the champion and not shown
	// (a challenger's); history of what was shown leaves these out.
	Shadow bool
	// RecordedAt is when the score was stored; the store sets it when
	// zero.
	RecordedAt time.Time
}

// Check reports what makes r unfit to store, naming the field.
func (r *ScoreRecord) Check() error {
	switch {
	case r.AccountID == "":
		return errors.New("score record: no account_id")
	case r.Week == features.NoDate:
		return fmt.Errorf("score record for account %q: no week", r.AccountID)
	case r.ModelVersion == "":
		return fmt.Errorf("score record for account %q, week %s: no model_version", r.AccountID, r.Week)
	case !(r.Probability >= 0 && r.Probability <= 1):
		return fmt.Errorf("score record for account %q, week %s: probability %g is not in [0, 1]", r.AccountID, r.Week, r.Probability)
	}
	return nil
}

// WeekScore is one stored weekly score of an account, for sparklines and
// week-over-week change.
type WeekScore struct {
	Week         features.Date
	Probability  float64
	ModelVersion string
}

// ModelVersion is a trained model the store knows.
type ModelVersion struct {
	// Version is models.Artifact.Version: the hash of the model's
	// content, so one model has one version wherever it is copied.
	Version string
	// Path is where the model folder was when it was registered.
	Path string
	// Learner names the learner that fitted it (logistic, gbm, ...).
	Learner string
	// TrainedAt is when it was trained; zero when unknown.
	TrainedAt time.Time
	// RegisteredAt is when the store learnt of it; the store sets it
	// when zero.
	RegisteredAt time.Time
	// Details is free-form JSON kept beside the version (validation
	// metrics, training window, ...); nil for none.
	Details json.RawMessage
}

// Action is what an audit entry records.
type Action string

// The actions of the audit. Register adds a version without changing the
// champion; Promote and Rollback both make a version champion, Rollback
// saying it goes back to an earlier one. Shadow makes a version the
// shadow, scored beside the champion and recorded but never shown;
// Unshadow stops shadowing it.
const (
	Register Action = "register"
	Promote  Action = "promote"
	Rollback Action = "rollback"
	Shadow   Action = "shadow"
	Unshadow Action = "unshadow"
)

// Valid reports whether a is one of the known actions.
func (a Action) Valid() bool { return a == Register || a.ChangesChampion() || a.ChangesShadow() }

// ChangesChampion reports whether a makes its version the champion.
func (a Action) ChangesChampion() bool { return a == Promote || a == Rollback }

// ChangesShadow reports whether a sets or clears the shadow.
func (a Action) ChangesShadow() bool { return a == Shadow || a == Unshadow }

// AuditEntry is one line of the append-only audit of the registry.
type AuditEntry struct {
	// Seq numbers entries in the order they were appended; the store
	// sets it.
	Seq int64
	// At is when; the store sets it when zero.
	At time.Time
	// User is who, as the environment named them.
	User   string
	Action Action
	// Version is the model version acted on.
	Version string
	// Previous is the champion before the entry ("" when there was
	// none); the store sets it.
	Previous string
	// Reason is why, as given with --reason.
	Reason string
}
