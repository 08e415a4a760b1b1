package registry

import "github.com/churnlabs/churn/models/lifecycle"

// The lifecycle store's types, under the names the registry uses.
type (
	// ModelVersion is a registered model as the store records it.
	ModelVersion = lifecycle.ModelVersion
	// Entry is one line of the append-only audit.
	Entry = lifecycle.AuditEntry
	// Action is what an audit entry records.
	Action = lifecycle.Action
)

// The actions of the audit.
const (
	Register = lifecycle.Register
	Promote  = lifecycle.Promote
	Rollback = lifecycle.Rollback
	// ShadowOn and ShadowOff set and clear the shadow.
	ShadowOn  = lifecycle.Shadow
	ShadowOff = lifecycle.Unshadow
)

// Errors of the store the registry tells apart.
var (
	// ErrExists is wrapped by Store.RegisterModel's error for a version
	// it knows already.
	ErrExists = lifecycle.ErrExists
	// ErrNoChampion is wrapped by the error of Champion before any
	// promotion.
	ErrNoChampion = lifecycle.ErrNoChampion
)
