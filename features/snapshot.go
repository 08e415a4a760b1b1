package features

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Snapshot is one account's week, with the contract's columns.
type Snapshot struct {
	AccountID string
	// Week is the first day of the snapshot week.
	Week Date

	Logins          int64
	Frequency       int64
	RecencyDays     int64
	SLABreaches     int64
	OverdueInvoices int64

	// Churned is true on the week the account left; that is its last row.
	Churned bool

	// ARR is the annual recurring revenue, NaN when unknown.
	ARR float64
	// Segment is the account's segment, "" when unknown.
	Segment string
	// RenewalDate is the next contract renewal, NoDate when unknown.
	RenewalDate Date
	// RenewalType is how the contract renews: RenewalAuto,
	// RenewalSignature, or "" when unknown. Readers give it through
	// ParseRenewalType, so it is always one of the three. It is not a
	// model feature: it picks the renewal play's touchpoints.
	RenewalType string
	// Extra holds the extra numeric columns, in Schema.Extras order; NaN
	// marks an empty cell.
	Extra []float64

	// Row locates the snapshot in its file for error messages: the line
	// number in a CSV file (the header is line 1), the 1-based row number
	// in a Parquet file.
	Row int
}

// Column names of the contract's snapshot input.
const (
	ColAccountID       = "account_id"
	ColWeek            = "week"
	ColLogins          = "logins"
	ColFrequency       = "frequency"
	ColRecencyDays     = "recency_days"
	ColSLABreaches     = "sla_breaches"
	ColOverdueInvoices = "overdue_invoices"
	ColChurned         = "churned"
	ColARR             = "arr"
	ColSegment         = "segment"
	ColRenewalDate     = "renewal_date"
	ColRenewalType     = "renewal_type"
)

// RequiredColumns lists the columns every snapshot file must have.
var RequiredColumns = []string{
	ColAccountID, ColWeek, ColLogins, ColFrequency,
	ColRecencyDays, ColSLABreaches, ColOverdueInvoices,
}

// Schema says which optional columns a snapshot file carries.
type Schema struct {
	HasChurned bool
	HasARR     bool
	HasSegment bool
	HasRenewal bool
	// HasRenewalType reports a renewal_type column. It comes after
	// renewal_date when a writer emits it, and only when present, so a
	// file without one is written as before.
	HasRenewalType bool
	// Extras names the extra numeric columns, in file order.
	Extras []string
}

// Columns returns the column names of the schema in the order a writer
// emits them: required columns, the optional ones present, then extras.
func (s Schema) Columns() []string {
	cols := append([]string(nil), RequiredColumns...)
	if s.HasChurned {
		cols = append(cols, ColChurned)
	}
	if s.HasARR {
		cols = append(cols, ColARR)
	}
	if s.HasSegment {
		cols = append(cols, ColSegment)
	}
	if s.HasRenewal {
		cols = append(cols, ColRenewalDate)
	}
	if s.HasRenewalType {
		cols = append(cols, ColRenewalType)
	}
	return append(cols, s.Extras...)
}

// SnapshotReader yields the snapshots of one file in file order.
type SnapshotReader interface {
	// Schema describes the columns the file carries.
	Schema() Schema
	// Next fills s with the next snapshot and returns io.EOF after the
	// last. s.Extra is reused between calls: copy it to keep it.
	Next(s *Snapshot) error
}

// InputError locates a problem in an input file. Every validation error
// the project reports about a user's file is one of these, so a person
// can go straight to the cell.
type InputError struct {
	File   string
	Row    int    // 1-based, as in Snapshot.Row; 0 when the whole file is at fault
	Column string // "" when no single column is at fault
	Err    error
}

func (e *InputError) Error() string {
	msg := e.File
	if e.Row > 0 {
		msg += fmt.Sprintf(": row %d", e.Row)
	}
	if e.Column != "" {
		msg += fmt.Sprintf(": column %q", e.Column)
	}
	return msg + ": " + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

// Renewal types: how a contract renews, the snapshot's renewal_type.
const (
	// RenewalAuto renews unless the customer cancels.
	RenewalAuto = "auto"
	// RenewalSignature ends unless the customer signs again.
	RenewalSignature = "signature"
)

// ErrRenewalType is wrapped by errors about a renewal_type cell that
// ParseRenewalType does not know.
var ErrRenewalType = errors.New("unknown renewal type")

// ParseRenewalType reads a renewal_type cell, in any case and with
// surrounding spaces ignored. A missing value (see IsMissing) is unknown,
// "". The spellings CRMs commonly export are accepted:
//
//   - RenewalAuto: auto, auto-renew, auto_renew, autorenew, auto renew,
//     auto-renewal, auto_renewal, auto renewal, evergreen.
//   - RenewalSignature: signature, manual, manual-renewal,
//     manual_renewal, manual renewal.
//
// Anything else wraps ErrRenewalType: a typo silently read as unknown
// would put the account on the wrong touchpoints.
func ParseRenewalType(cell string) (string, error) {
	t := strings.TrimSpace(cell)
	if IsMissing(t) {
		return "", nil
	}
	switch strings.ToLower(t) {
	case "auto", "auto-renew", "auto_renew", "autorenew", "auto renew",
		"auto-renewal", "auto_renewal", "auto renewal", "evergreen":
		return RenewalAuto, nil
	case "signature", "manual", "manual-renewal", "manual_renewal", "manual renewal":
		return RenewalSignature, nil
	}
	return "", fmt.Errorf("%w %q: want %s or %s (or a missing value)", ErrRenewalType, excerptCell(cell), RenewalAuto, RenewalSignature)
}

// ErrNegativeCount is wrapped by errors about a negative count.
var ErrNegativeCount = errors.New("negative count")

// Check reports the first way s breaks the contract's value rules in a
// file with the given schema: an empty account id, no week, a negative
// count, a negative or infinite ARR, a wrong number of extra values or an
// infinite one. Writers call it so that every file they finish reads back.
func (s *Snapshot) Check(schema Schema) error {
	if s.AccountID == "" {
		return fmt.Errorf("%s: empty account id", ColAccountID)
	}
	if s.Week == NoDate {
		return fmt.Errorf("%s: no week", ColWeek)
	}
	for _, c := range [...]struct {
		name string
		n    int64
	}{
		{ColLogins, s.Logins},
		{ColFrequency, s.Frequency},
		{ColRecencyDays, s.RecencyDays},
		{ColSLABreaches, s.SLABreaches},
		{ColOverdueInvoices, s.OverdueInvoices},
	} {
		if c.n < 0 {
			return fmt.Errorf("%s: %w: %d", c.name, ErrNegativeCount, c.n)
		}
	}
	if schema.HasARR && (s.ARR < 0 || math.IsInf(s.ARR, 0)) {
		return fmt.Errorf("%s: %v is not a number >= 0", ColARR, s.ARR)
	}
	if s.RenewalType != "" && s.RenewalType != RenewalAuto && s.RenewalType != RenewalSignature {
		return fmt.Errorf("%s: %q is not %q, %q or empty", ColRenewalType, s.RenewalType, RenewalAuto, RenewalSignature)
	}
	if len(s.Extra) != len(schema.Extras) {
		return fmt.Errorf("%d extra values for %d extra columns", len(s.Extra), len(schema.Extras))
	}
	for i, v := range s.Extra {
		if math.IsInf(v, 0) {
			return fmt.Errorf("%s: infinite value", schema.Extras[i])
		}
	}
	return nil
}
