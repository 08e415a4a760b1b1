package registry

import (
	"encoding/json"
	"errors"
	"time"
)

// ErrExists is wrapped by Store.RegisterModel's error for a version it
// knows already.
var ErrExists = errors.New("already exists")

// ModelVersion is a registered model as the store records it.
type ModelVersion struct {
	Version string
	// Path is the version's folder in the registry.
	Path    string
	Learner string
	// TrainedAt is when it was trained; zero when unknown.
	TrainedAt time.Time
	// RegisteredAt is set by the store when zero.
	RegisteredAt time.Time
	// Details is JSON: training window, validation AUC.
	Details json.RawMessage
}

// Action is what an audit entry records.
type Action string

// The actions of the audit.
const (
	Register Action = "register"
	Promote  Action = "promote"
	Rollback Action = "rollback"
)

// Entry is one line of the append-only audit.
type Entry struct {
	// Seq numbers entries in order; the store sets it.
	Seq int64
	// At is when; the store sets it.
	At     time.Time
	User   string
	Action Action
	// Version is the version registered or made champion.
	Version string
	// Previous is the champion before; the store sets it.
	Previous string
	Reason   string
}
