package features

import (
	"fmt"
	"slices"
	"strings"
)

// Base feature names, in column order. They are named for a CS reader:
// a score's drivers show these names, so each says what was counted and
// over which window.
const (
	LoginsMean4w          = "logins_4w_mean"
	LoginsSum4w           = "logins_4w_sum"
	LoginsMean12w         = "logins_12w_mean"
	LoginsSum12w          = "logins_12w_sum"
	LoginsTrend           = "logins_trend"
	FrequencyMean4w       = "frequency_4w_mean"
	FrequencySum4w        = "frequency_4w_sum"
	FrequencyMean12w      = "frequency_12w_mean"
	FrequencySum12w       = "frequency_12w_sum"
	FrequencyTrend        = "frequency_trend"
	SLABreachesMean4w     = "sla_breaches_4w_mean"
	SLABreachesSum4w      = "sla_breaches_4w_sum"
	SLABreachesMean12w    = "sla_breaches_12w_mean"
	SLABreachesSum12w     = "sla_breaches_12w_sum"
	WeeksSinceLogin       = "weeks_since_login"
	RecencyDays           = "recency_days"
	OverdueInvoices       = "overdue_invoices"
	OverdueWeeks12w       = "overdue_weeks_12w"
	TenureWeeks           = "tenure_weeks"
	WeeksReported12w      = "weeks_reported_12w"
	LoginsLifetimeMean    = "logins_lifetime_mean"
	FrequencyLifetimeMean = "frequency_lifetime_mean"
	LogARR                = "log_arr"
	WeeksToRenewal        = "weeks_to_renewal"
	RenewalTermWeeks      = "renewal_term_weeks"
	WeeksSinceSLABreach   = "weeks_since_sla_breach"
	WeeksSinceOverdue     = "weeks_since_overdue_invoice"
	LoginsMean26w         = "logins_26w_mean"
	FrequencyMean26w      = "frequency_26w_mean"
	SLABreachesMean26w    = "sla_breaches_26w_mean"
	OverdueWeeks26w       = "overdue_weeks_26w"
	LoginsVsBaseline      = "logins_vs_baseline"
	FrequencyVsBaseline   = "frequency_vs_baseline"
	SLABreachesVsBaseline = "sla_breaches_vs_baseline"
	LoginsSlope12w        = "logins_12w_slope"
	LoginsVolatility12w   = "logins_12w_volatility"
	FrequencySlope12w     = "frequency_12w_slope"
	FrequencyVolatility   = "frequency_12w_volatility"
	LoginsMean52w         = "logins_52w_mean"
	FrequencyMean52w      = "frequency_52w_mean"
	SLABreachesMean52w    = "sla_breaches_52w_mean"
	OverdueWeeks52w       = "overdue_weeks_52w"
	LoginsVs52w           = "logins_vs_52w"
	FrequencyVs52w        = "frequency_vs_52w"
	SLABreachesVs52w      = "sla_breaches_vs_52w"
	LoginsPerSeat4w       = "logins_4w_per_seat"
	LoginsPerSeat12w      = "logins_12w_per_seat"
	FrequencyPerSeat4w    = "frequency_4w_per_seat"
	FrequencyPerSeat12w   = "frequency_12w_per_seat"
	ARRVsLifetime         = ColARR + vsLifetimeSuffix
	// SeatsColumn is the extra column that gives an account's size in
	// seats, for the per-seat group.
	SeatsColumn         = "seats"
	segmentPrefix       = "segment_"
	numBehaviourColumns = 20 // LoginsMean4w .. WeeksReported12w
	numLifetimeColumns  = 2  // LoginsLifetimeMean, FrequencyLifetimeMean
	// sinceCap caps the weeks since an event: past a year the count says
	// little more, and "never" is sinceNever, one beyond it, so that an
	// account that never had the event ranks past every one that had it.
	sinceCap   = 52
	sinceNever = sinceCap + 1
)

// The optional groups of columns, in the order they follow the lifetime
// means.
var (
	sinceNames    = []string{WeeksSinceSLABreach, WeeksSinceOverdue}
	baselineNames = []string{LoginsMean26w, FrequencyMean26w, SLABreachesMean26w, OverdueWeeks26w,
		LoginsVsBaseline, FrequencyVsBaseline, SLABreachesVsBaseline}
	shapeNames = []string{LoginsSlope12w, LoginsVolatility12w, FrequencySlope12w, FrequencyVolatility}
	yearNames  = []string{LoginsMean52w, FrequencyMean52w, SLABreachesMean52w, OverdueWeeks52w,
		LoginsVs52w, FrequencyVs52w, SLABreachesVs52w}
	perSeatNames = []string{LoginsPerSeat4w, LoginsPerSeat12w, FrequencyPerSeat4w, FrequencyPerSeat12w}
	// extraWindowSuffixes name each extra column's window features,
	// COL_4w_mean and so on, in column order.
	extraWindowSuffixes = []string{"_4w_mean", "_12w_mean", "_4w_change"}
)

// vsLifetimeSuffix names the vs-lifetime group's column of ARR and of
// each extra column: arr_vs_lifetime, seats_vs_lifetime and so on.
const vsLifetimeSuffix = "_vs_lifetime"

var behaviourNames = [numBehaviourColumns]string{
	LoginsMean4w, LoginsSum4w, LoginsMean12w, LoginsSum12w, LoginsTrend,
	FrequencyMean4w, FrequencySum4w, FrequencyMean12w, FrequencySum12w, FrequencyTrend,
	SLABreachesMean4w, SLABreachesSum4w, SLABreachesMean12w, SLABreachesSum12w,
	WeeksSinceLogin, RecencyDays, OverdueInvoices, OverdueWeeks12w,
	TenureWeeks, WeeksReported12w,
}

var descriptions = map[string]string{
	LoginsMean4w:          "logins per week, last 4 weeks",
	LoginsSum4w:           "logins, last 4 weeks",
	LoginsMean12w:         "logins per week, last 12 weeks",
	LoginsSum12w:          "logins, last 12 weeks",
	LoginsTrend:           "login trend, last 4 weeks vs the 8 before (log ratio)",
	FrequencyMean4w:       "key actions per week, last 4 weeks",
	FrequencySum4w:        "key actions, last 4 weeks",
	FrequencyMean12w:      "key actions per week, last 12 weeks",
	FrequencySum12w:       "key actions, last 12 weeks",
	FrequencyTrend:        "key-action trend, last 4 weeks vs the 8 before (log ratio)",
	SLABreachesMean4w:     "SLA breaches per week, last 4 weeks",
	SLABreachesSum4w:      "SLA breaches, last 4 weeks",
	SLABreachesMean12w:    "SLA breaches per week, last 12 weeks",
	SLABreachesSum12w:     "SLA breaches, last 12 weeks",
	WeeksSinceLogin:       "weeks since anyone logged in",
	RecencyDays:           "days since the last key action",
	OverdueInvoices:       "overdue invoices now",
	OverdueWeeks12w:       "weeks with overdue invoices, last 12 weeks",
	TenureWeeks:           "weeks as a customer (in the data)",
	WeeksReported12w:      "weeks with a snapshot, last 12 weeks",
	LogARR:                "annual recurring revenue (log)",
	ARRVsLifetime:         "ARR against the account's mean ARR since its first snapshot (log ratio)",
	WeeksToRenewal:        "weeks to the next renewal",
	RenewalTermWeeks:      "weeks between the account's last two renewal dates, its contract's term; before one is seen, the most weeks to renewal seen (a lower bound)",
	LoginsLifetimeMean:    "logins per week since the first snapshot",
	FrequencyLifetimeMean: "key actions per week since the first snapshot",
	WeeksSinceSLABreach:   "weeks since the last SLA breach (53: none seen)",
	WeeksSinceOverdue:     "weeks since an invoice was last overdue (53: never)",
	LoginsMean26w:         "logins per week, last 26 weeks",
	FrequencyMean26w:      "key actions per week, last 26 weeks",
	SLABreachesMean26w:    "SLA breaches per week, last 26 weeks",
	OverdueWeeks26w:       "weeks with overdue invoices, last 26 weeks",
	LoginsVsBaseline:      "logins, last 4 weeks vs the account's 26-week mean (log ratio)",
	FrequencyVsBaseline:   "key actions, last 4 weeks vs the account's 26-week mean (log ratio)",
	SLABreachesVsBaseline: "SLA breaches, last 4 weeks vs the account's 26-week mean (log ratio)",
	LoginsSlope12w:        "change in logins per week, fitted over the last 12 weeks",
	LoginsVolatility12w:   "week-to-week spread of logins, last 12 weeks (std. dev.)",
	FrequencySlope12w:     "change in key actions per week, fitted over the last 12 weeks",
	FrequencyVolatility:   "week-to-week spread of key actions, last 12 weeks (std. dev.)",
	LoginsMean52w:         "logins per week, last 52 weeks",
	FrequencyMean52w:      "key actions per week, last 52 weeks",
	SLABreachesMean52w:    "SLA breaches per week, last 52 weeks",
	OverdueWeeks52w:       "weeks with overdue invoices, last 52 weeks",
	LoginsVs52w:           "logins, last 4 weeks vs the account's 52-week mean (log ratio)",
	FrequencyVs52w:        "key actions, last 4 weeks vs the account's 52-week mean (log ratio)",
	SLABreachesVs52w:      "SLA breaches, last 4 weeks vs the account's 52-week mean (log ratio)",
	LoginsPerSeat4w:       "logins per week per seat, last 4 weeks",
	LoginsPerSeat12w:      "logins per week per seat, last 12 weeks",
	FrequencyPerSeat4w:    "key actions per week per seat, last 4 weeks",
	FrequencyPerSeat12w:   "key actions per week per seat, last 12 weeks",
}

// Spec fixes a model's feature columns, so the rows built for scoring line
// up with the rows the model was trained on. It is inferred from the
// training snapshots and stored with the model.
type Spec struct {
	// Lifetime adds the long-run means, logins_lifetime_mean and
	// frequency_lifetime_mean: an account's own baseline, which the 4- and
	// 12-week windows cannot see once it has been quiet for 12 weeks. A
	// spec inferred from data has it; one saved before these features
	// existed does not, and its model keeps the columns it was trained on
	// (omitempty leaves the key out when false, so that model file's
	// content hashes as before and its version still matches).
	Lifetime bool `json:"lifetime,omitempty"`
	// Since adds the weeks since the last SLA breach and since an invoice
	// was last overdue; Baseline the 26-week means and each behaviour's
	// last 4 weeks against them as a log ratio; Shape the slope and
	// spread of logins and key actions over the last 12 weeks. Like
	// Lifetime, a spec saved before they existed leaves them out (and
	// omitempty keeps its file's hash), so older models keep scoring on
	// the columns they were trained on; new training turns on the groups
	// that earned their place on the accuracy bench.
	Since    bool `json:"since,omitempty"`
	Baseline bool `json:"baseline,omitempty"`
	Shape    bool `json:"shape,omitempty"`
	// Year adds the 52-week means and the last 4 weeks against them:
	// for data with more than a year of history, where the 26-week
	// baseline may still sit inside a seasonal low. ExtraWindows adds,
	// for each extra column, its mean over 4 and 12 weeks and the change
	// of the last 4 weeks against the 8 before, so an extra column is
	// read as a behaviour, not only as this week's value. PerSeat
	// divides logins and key actions by the seats extra column, so a
	// small account is not read as a disengaged large one. All three are
	// off unless asked for (churn train --feature-groups).
	Year         bool `json:"year,omitempty"`
	ExtraWindows bool `json:"extra_windows,omitempty"`
	PerSeat      bool `json:"per_seat,omitempty"`
	// VsLifetime adds, for ARR and each extra column, this week's value
	// against the account's own mean of it since its first snapshot, as
	// a log ratio: an account that shrinks (seats cut, fewer active
	// users, a downgrade) looks like any small account by its raw value,
	// and only its own past tells them apart. A running mean keeps it to
	// two numbers per column and account, where a 52-week window would
	// keep a year of rows (README, "Features", for what it earned).
	VsLifetime bool `json:"vs_lifetime,omitempty"`
	// RenewalTerm adds the weeks between the account's last two renewal
	// dates, its contract's term, with Renewal: the weeks to the next
	// renewal alone cannot tell a monthly contract from an annual one
	// that happens to renew soon, and a monthly account meets another
	// renewal every month, which a curve of churn by week needs to know
	// (README, "Time to churn"). Like Since, a spec saved before it
	// existed leaves it out and its file hashes as before.
	RenewalTerm bool `json:"renewal_term,omitempty"`
	// ARR adds log_arr; Renewal adds weeks_to_renewal.
	ARR     bool `json:"arr"`
	Renewal bool `json:"renewal"`
	// Segments get one 0/1 indicator column each, segment_<name>; an
	// account in a segment not listed has all indicators 0.
	Segments []string `json:"segments"`
	// Extras are extra numeric snapshot columns used as they are.
	Extras []string `json:"extras"`
	// Table, when set, makes this the spec of a static customer table
	// (churn train --table): its columns replace every snapshot feature.
	Table *TableSpec `json:"table,omitempty"`
	// SignalGroups puts features or columns in a signal group other than
	// the default (see SignalGroup), by name. It is omitted when empty, so
	// a model trained without it hashes as before.
	SignalGroups map[string]string `json:"signal_groups,omitempty"`
}

// Names returns the feature columns in order.
func (s Spec) Names() []string {
	if s.Table != nil {
		return s.Table.names()
	}
	names := append(make([]string, 0, s.Width()), behaviourNames[:]...)
	if s.Lifetime {
		names = append(names, LoginsLifetimeMean, FrequencyLifetimeMean)
	}
	if s.Since {
		names = append(names, sinceNames...)
	}
	if s.Baseline {
		names = append(names, baselineNames...)
	}
	if s.Year {
		names = append(names, yearNames...)
	}
	if s.Shape {
		names = append(names, shapeNames...)
	}
	if s.ARR {
		names = append(names, LogARR)
	}
	if s.Renewal {
		names = append(names, WeeksToRenewal)
		if s.RenewalTerm {
			names = append(names, RenewalTermWeeks)
		}
	}
	for _, seg := range s.Segments {
		names = append(names, SegmentFeature(seg))
	}
	names = append(names, s.Extras...)
	if s.ExtraWindows {
		names = append(names, s.extraWindowNames()...)
	}
	if s.PerSeat {
		names = append(names, perSeatNames...)
	}
	if s.VsLifetime {
		names = append(names, s.vsLifetimeNames()...)
	}
	return names
}

// vsLifetimeWidth counts the columns the vs-lifetime group would add,
// on or off: one for ARR when the spec has it and one per extra column.
// Zero means the data cannot carry the group.
func (s Spec) vsLifetimeWidth() int {
	n := len(s.Extras)
	if s.ARR {
		n++
	}
	return n
}

// vsLifetimeNames names the vs-lifetime columns: ARR's first when the
// spec has ARR, then each extra column's.
func (s Spec) vsLifetimeNames() []string {
	var names []string
	if s.ARR {
		names = append(names, ARRVsLifetime)
	}
	for _, col := range s.Extras {
		names = append(names, col+vsLifetimeSuffix)
	}
	return names
}

// extraWindowNames names the window features of every extra column,
// column by column.
func (s Spec) extraWindowNames() []string {
	names := make([]string, 0, len(s.Extras)*len(extraWindowSuffixes))
	for _, col := range s.Extras {
		for _, suffix := range extraWindowSuffixes {
			names = append(names, col+suffix)
		}
	}
	return names
}

// Width returns the number of feature columns.
func (s Spec) Width() int {
	if s.Table != nil {
		return len(s.Table.names())
	}
	n := numBehaviourColumns + len(s.Segments) + len(s.Extras)
	if s.Lifetime {
		n += numLifetimeColumns
	}
	if s.Since {
		n += len(sinceNames)
	}
	if s.Baseline {
		n += len(baselineNames)
	}
	if s.Shape {
		n += len(shapeNames)
	}
	if s.Year {
		n += len(yearNames)
	}
	if s.ExtraWindows {
		n += len(s.Extras) * len(extraWindowSuffixes)
	}
	if s.PerSeat {
		n += len(perSeatNames)
	}
	if s.VsLifetime {
		n += s.vsLifetimeWidth()
	}
	if s.ARR {
		n++
	}
	if s.Renewal {
		n++
		if s.RenewalTerm {
			n++
		}
	}
	return n
}

// Check reports names that would collide, such as an extra column called
// like a built-in feature.
func (s Spec) Check() error {
	if s.PerSeat && !slices.Contains(s.Extras, SeatsColumn) {
		return fmt.Errorf("per-seat features need an extra column named %q", SeatsColumn)
	}
	seen := make(map[string]bool, s.Width())
	for _, n := range s.Names() {
		if seen[n] {
			return fmt.Errorf("feature %q is defined twice: rename the snapshot column", n)
		}
		seen[n] = true
	}
	return nil
}

// SegmentFeature names the indicator column of a segment.
func SegmentFeature(segment string) string { return segmentPrefix + segment }

// Describe says in plain words what a feature measures, for the drivers
// shown to CS teams. Extra columns are described by their own name.
func Describe(feature string) string {
	if d, ok := descriptions[feature]; ok {
		return d
	}
	if seg, ok := strings.CutPrefix(feature, segmentPrefix); ok {
		return "in the " + seg + " segment"
	}
	for suffix, say := range map[string]string{"_4w_mean": ", mean of the last 4 weeks", "_12w_mean": ", mean of the last 12 weeks",
		"_4w_change":     ", last 4 weeks' mean minus the 8 weeks' before",
		vsLifetimeSuffix: " this week against the account's mean since its first snapshot (log ratio)"} {
		if col, ok := strings.CutSuffix(feature, suffix); ok {
			return col + say
		}
	}
	if col, ok := strings.CutSuffix(feature, ":missing"); ok {
		return col + " is missing"
	}
	if col, level, ok := strings.Cut(feature, "="); ok {
		return col + " is " + level
	}
	return strings.ReplaceAll(feature, "_", " ")
}
