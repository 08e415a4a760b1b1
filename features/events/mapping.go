package events

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/postgres"
	"github.com/goccy/go-yaml"
)

// Mapping describes how raw tables become snapshots. It is what a mapping
// file (YAML) holds, and what the plain command-line flags build for the
// simplest case. Its zero value maps nothing.
type Mapping struct {
	// Timezone names the IANA zone weeks start in (Monday 00:00); "" is UTC.
	Timezone string `yaml:"timezone"`
	// ChurnAfterSilence declares churn on an account's first silence of
	// this length, such as "90d" or "13w"; "" turns the rule off.
	ChurnAfterSilence string `yaml:"churn_after_silence"`
	// From is the first week written (a date in it): rows before it are
	// history only, counted in recency, overdue invoices and the accounts
	// table's values, as when an export reaches further back than the
	// snapshots are wanted. "" writes each account from its start.
	From string `yaml:"from"`
	// Until is the data's last day (YYYY-MM-DD), as Options.Until, which
	// overrides it; "" is the last event's day.
	Until string `yaml:"until"`
	// Sources are the time-stamped tables, read in order.
	Sources []Source `yaml:"sources"`
	// Accounts is the optional accounts table: ARR, segment, renewal and
	// contract end, as of each week.
	Accounts *Accounts `yaml:"accounts"`
}

// What logins counts (Source.LoginCount).
const (
	LoginDays = "days" // days with a login (the default)
	LoginRows = "rows" // login rows
)

// Source kinds.
const (
	KindEvents   = "events"   // logins, key actions, cancellations
	KindTickets  = "tickets"  // support tickets: SLA breaches
	KindInvoices = "invoices" // invoices: overdue at the end of each week
)

// Source is one time-stamped table.
type Source struct {
	// Name labels the source in messages; "" uses Path.
	Name string `yaml:"name"`
	// Path is a file (CSV, CSV.gz or Parquet) or a directory of them,
	// relative to the mapping file, or a postgres:// URL read with Query.
	Path string `yaml:"path"`
	// Query is the SQL giving the rows of a postgres:// Path, streamed.
	// Without a Path it is for SQL alone: the source's rows in the
	// emitted statement.
	Query string `yaml:"query"`
	// Table names the table holding the rows, as the database spells it
	// (schema.events, project.dataset.events): with a postgres:// Path it
	// is read as SELECT * FROM Table; SQL reads it whatever the Path, so
	// one mapping file can name a file export for Build and its table in
	// the warehouse for SQL.
	Table string `yaml:"table"`
	// Kind is events (the default), tickets or invoices.
	Kind string `yaml:"kind"`
	// Account and Time name the account and timestamp columns. An invoice
	// source needs no time column.
	Account string `yaml:"account"`
	Time    string `yaml:"time"`
	// TimeFormat is a Go layout (2006-01-02 15:04:05), or unix or
	// unix_ms; "" accepts ISO dates and RFC 3339 timestamps.
	TimeFormat string `yaml:"time_format"`
	// Delimiter of a CSV file: "auto" (""), ",", ";", "tab", "|" or
	// "whitespace".
	Delimiter string `yaml:"delimiter"`

	// Logins selects the rows that are logins: an account-week's logins
	// are its days with one. Nil means every row (but a churn event).
	Logins *Filter `yaml:"logins"`
	// LoginCount is what logins counts: "days" ("", days with a login)
	// or "rows" (login rows, when each row is one login session).
	LoginCount string `yaml:"login_count"`
	// Actions selects the key actions: frequency counts them and recency
	// is the days since the last one. Nil means every row (but a churn
	// event).
	Actions *Filter `yaml:"actions"`
	// ChurnEvent selects cancellation rows: the first one is the
	// account's churn.
	ChurnEvent *Filter `yaml:"churn_event"`
	// Sum adds up a column per account-week; CountDistinct counts its
	// distinct values (active users per account, say). Each becomes an
	// extra numeric snapshot column.
	Sum           []Signal `yaml:"sum"`
	CountDistinct []Signal `yaml:"count_distinct"`

	// SLA says which tickets breached their SLA (tickets sources).
	SLA *SLA `yaml:"sla_breach"`
	// Invoice names the due and paid date columns (invoices sources).
	Invoice *Invoice `yaml:"invoice"`

	// Open, when set, opens the rows instead of Path: a query's rows, or
	// a test's.
	Open func() (RowReader, error) `yaml:"-"`
}

// Filter selects rows by one column's value. None selects no row: a
// source whose rows are not logins, say.
type Filter struct {
	Column string   `yaml:"column"`
	In     []string `yaml:"in"`
	NotIn  []string `yaml:"not_in"`
	None   bool     `yaml:"none"`
}

// Signal is an extra column: Column's values summed or counted, written
// as As ("" keeps Column's name).
type Signal struct {
	Column string `yaml:"column"`
	As     string `yaml:"as"`
}

// SLA says how a ticket is known to have breached its SLA: its Response
// time exceeds its Limit (both numbers in one unit, per row), or its Flag
// column is true (1, true, yes).
type SLA struct {
	Response string `yaml:"response"`
	Limit    string `yaml:"limit"`
	Flag     string `yaml:"flag"`
}

// Invoice names an invoice's due date and paid date columns; an empty paid
// date is an unpaid invoice. An invoice is overdue at the end of a day
// after its due date when it is not paid by then.
type Invoice struct {
	Due  string `yaml:"due"`
	Paid string `yaml:"paid"`
}

// Accounts is the accounts table. With EffectiveFrom, each row is the
// account's values from that date on (one row per change), so a later ARR
// change never reaches an earlier week; without it, one row per account
// holds for every week.
type Accounts struct {
	// Path, Query and Table are as a Source's: a file or directory, or a
	// postgres:// URL and the SQL (or table) giving its rows.
	Path          string `yaml:"path"`
	Query         string `yaml:"query"`
	Table         string `yaml:"table"`
	Account       string `yaml:"account"`
	EffectiveFrom string `yaml:"effective_from"`
	ARR           string `yaml:"arr"`
	Segment       string `yaml:"segment"`
	RenewalDate   string `yaml:"renewal_date"`
	// RenewalType is how the contract renews, in the spellings
	// features.ParseRenewalType reads (auto, evergreen, signature,
	// manual...): the renewal play's touchpoints follow it.
	RenewalType string `yaml:"renewal_type"`
	// ContractEnd is the day a contract ended: the account churns that
	// week, if the data reaches it.
	ContractEnd string `yaml:"contract_end"`
	// ContractStart is the day a contract started: the account's weeks
	// begin no later than its week (the earliest over its rows), and
	// recency counts from it until a first key action, so an account
	// with no activity yet is still seen.
	ContractStart string `yaml:"contract_start"`
	// Extra are numeric columns (seats, say) written as extra snapshot
	// columns, as of each week like ARR, before the sources' signals.
	Extra      []Signal `yaml:"extra"`
	TimeFormat string   `yaml:"time_format"`
	Delimiter  string   `yaml:"delimiter"`

	// Open, when set, opens the rows instead of Path.
	Open func() (RowReader, error) `yaml:"-"`
}

// ParseMapping reads a mapping file's YAML (see ReadMapping) for Build:
// the mapping is checked with Check.
func ParseMapping(data []byte, dir string) (*Mapping, error) {
	m, err := ReadMapping(data, dir)
	if err != nil {
		return nil, err
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadMapping reads a mapping file's YAML without checking it, for SQL,
// which checks what it needs (a source may have a table and no path).
// Unknown keys are errors (a misspelt key would otherwise silently map
// nothing); relative paths are taken from dir, the mapping file's
// directory, and URLs (postgres://, s3://) are kept as written.
func ReadMapping(data []byte, dir string) (*Mapping, error) {
	var m Mapping
	if err := decodeYAML(data, &m); err != nil {
		return nil, err
	}
	local := func(p string) string {
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
			return p
		}
		return filepath.Join(dir, p)
	}
	for i := range m.Sources {
		m.Sources[i].Path = local(m.Sources[i].Path)
	}
	if m.Accounts != nil {
		m.Accounts.Path = local(m.Accounts.Path)
	}
	return &m, nil
}

// decodeYAML decodes a mapping file into m. The YAML decoder panics on
// some malformed files (a tag on an empty sequence: "sources:\n !0"); a
// mapping file is user input, so that is an error too.
func decodeYAML(data []byte, m *Mapping) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mapping: not a YAML mapping file the decoder can read (%v)", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField(), yaml.Strict())
	if err := dec.Decode(m); err != nil {
		return fmt.Errorf("mapping: %s", strings.TrimSpace(yaml.FormatError(err, false, true)))
	}
	return nil
}

// Check reports the first inconsistency of the mapping for Build: a
// missing path or column name, a block on the wrong kind of source, a
// signal name used twice or taken by a snapshot column, a bad time zone
// or silence.
func (m *Mapping) Check() error {
	return m.check(false)
}

// check is Check, or with sql the checks SQL needs: there a source needs
// a table, a query or a path, which SQL then checks against the dialect.
func (m *Mapping) check(sql bool) error {
	if len(m.Sources) == 0 {
		return errors.New("mapping: no sources")
	}
	if _, err := m.Location(); err != nil {
		return err
	}
	if _, err := m.SilenceDays(); err != nil {
		return err
	}
	if _, _, err := m.Span(); err != nil {
		return err
	}
	names := map[string]bool{}
	for _, c := range append(features.RequiredColumns, features.ColChurned, features.ColARR, features.ColSegment, features.ColRenewalDate, features.ColRenewalType) {
		names[c] = true
	}
	if a := m.Accounts; a != nil {
		for _, sig := range a.Extra {
			if err := checkSignal(sig, names); err != nil {
				return fmt.Errorf("mapping: accounts: extra: %w", err)
			}
		}
	}
	events := 0
	for i := range m.Sources {
		s := &m.Sources[i]
		where := fmt.Sprintf("mapping: source %d (%s)", i+1, s.label())
		if err := checkQuery(s.Path, s.Query, s.Table, s.Open != nil, sql); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if s.Account == "" {
			return fmt.Errorf("%s: no account column", where)
		}
		kind := s.kind()
		switch kind {
		case KindEvents:
			events++
		case KindTickets, KindInvoices:
		default:
			return fmt.Errorf("%s: kind %q, want events, tickets or invoices", where, s.Kind)
		}
		if s.Time == "" && kind != KindInvoices {
			return fmt.Errorf("%s: no time column", where)
		}
		if _, err := parseDelimiter(s.Delimiter); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		switch s.LoginCount {
		case "", LoginDays, LoginRows:
		default:
			return fmt.Errorf("%s: login_count %q: want days or rows", where, s.LoginCount)
		}
		if kind != KindEvents && s.LoginCount != "" {
			return fmt.Errorf("%s: login_count belongs to an events source", where)
		}
		if kind != KindEvents && (s.Logins != nil || s.Actions != nil || s.ChurnEvent != nil) {
			return fmt.Errorf("%s: logins, actions and churn_event belong to an events source", where)
		}
		if (kind == KindTickets) != (s.SLA != nil) {
			return fmt.Errorf("%s: a tickets source, and only one, has a sla_breach block", where)
		}
		if (kind == KindInvoices) != (s.Invoice != nil) {
			return fmt.Errorf("%s: an invoices source, and only one, has an invoice block", where)
		}
		for name, f := range map[string]*Filter{"logins": s.Logins, "actions": s.Actions, "churn_event": s.ChurnEvent} {
			if err := f.check(); err != nil {
				return fmt.Errorf("%s: %s: %w", where, name, err)
			}
		}
		if s.SLA != nil {
			byTime := s.SLA.Response != "" || s.SLA.Limit != ""
			if byTime == (s.SLA.Flag != "") || byTime && (s.SLA.Response == "" || s.SLA.Limit == "") {
				return fmt.Errorf("%s: sla_breach needs either response and limit, or flag", where)
			}
		}
		if s.Invoice != nil && s.Invoice.Due == "" {
			return fmt.Errorf("%s: invoice needs a due column", where)
		}
		for _, sig := range slices.Concat(s.Sum, s.CountDistinct) {
			if err := checkSignal(sig, names); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
	}
	if events == 0 {
		return errors.New("mapping: no events source: an account's weeks start at its first event")
	}
	if a := m.Accounts; a != nil {
		if err := checkQuery(a.Path, a.Query, a.Table, a.Open != nil, sql); err != nil {
			return fmt.Errorf("mapping: accounts: %w", err)
		}
		if a.Account == "" {
			return errors.New("mapping: accounts: no account column")
		}
		if a.ARR == "" && a.Segment == "" && a.RenewalDate == "" && a.RenewalType == "" && a.ContractEnd == "" && a.ContractStart == "" && len(a.Extra) == 0 {
			return errors.New("mapping: accounts: maps none of arr, segment, renewal_date, renewal_type, contract_start, contract_end, extra")
		}
		if _, err := parseDelimiter(a.Delimiter); err != nil {
			return fmt.Errorf("mapping: accounts: %w", err)
		}
	}
	return nil
}

// Schema returns the columns of the snapshots the mapping gives: churned
// always, ARR, segment, renewal date and renewal type when the accounts
// table maps them,
// and as extras the accounts table's extra columns, then the signals in
// source order (sums before distinct counts).
func (m *Mapping) Schema() features.Schema {
	schema := features.Schema{HasChurned: true}
	if t := m.Accounts; t != nil {
		schema.HasARR, schema.HasSegment, schema.HasRenewal = t.ARR != "", t.Segment != "", t.RenewalDate != ""
		schema.HasRenewalType = t.RenewalType != ""
		for _, sig := range t.Extra {
			schema.Extras = append(schema.Extras, sig.name())
		}
	}
	for _, s := range m.Sources {
		for _, sig := range s.Sum {
			schema.Extras = append(schema.Extras, sig.name())
		}
		for _, sig := range s.CountDistinct {
			schema.Extras = append(schema.Extras, sig.name())
		}
	}
	return schema
}

// Location returns the time zone weeks start in.
func (m *Mapping) Location() (*time.Location, error) {
	if m.Timezone == "" || m.Timezone == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(m.Timezone)
	if err != nil {
		return nil, fmt.Errorf("mapping: timezone %q: %w", m.Timezone, err)
	}
	return loc, nil
}

// Span returns From and Until as dates, NoDate when unset.
func (m *Mapping) Span() (from, until features.Date, err error) {
	from, until = features.NoDate, features.NoDate
	if m.From != "" {
		if from, err = features.ParseDate(m.From); err != nil {
			return from, until, fmt.Errorf("mapping: from: %w", err)
		}
	}
	if m.Until != "" {
		if until, err = features.ParseDate(m.Until); err != nil {
			return from, until, fmt.Errorf("mapping: until: %w", err)
		}
	}
	return from, until, nil
}

// SilenceDays returns ChurnAfterSilence in days, 0 when it is off.
func (m *Mapping) SilenceDays() (int, error) {
	return ParseDays(m.ChurnAfterSilence)
}

// ParseDays parses a length of time in days or weeks: "90d", "13w" or a
// bare number of days. "" is 0.
func ParseDays(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	num, unit := s, 1
	switch {
	case strings.HasSuffix(s, "d"):
		num = s[:len(s)-1]
	case strings.HasSuffix(s, "w"):
		num, unit = s[:len(s)-1], 7
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 3650 {
		return 0, fmt.Errorf("silence %q: want a number of days (90d) or weeks (13w), between 1 day and 10 years", s)
	}
	return n * unit, nil
}

func (s *Source) kind() string {
	if s.Kind == "" {
		return KindEvents
	}
	return s.Kind
}

func (s *Source) label() string {
	if s.Name != "" {
		return s.Name
	}
	if postgres.IsURL(s.Path) {
		return postgres.Redact(s.Path)
	}
	return s.Path
}

// checkQuery checks where a table's rows come from: for Build (sql
// false), a path, and a postgres:// path has a query or a table; for SQL,
// a table, a query or a path. A query never comes with a file path: which
// of the two holds the rows would be unclear.
func checkQuery(path, query, table string, open, sql bool) error {
	query, table = strings.Trim(query, "; \t\r\n"), strings.TrimSpace(table)
	switch {
	case query != "" && table != "":
		return errors.New("query and table together: give one")
	case open:
	case path == "" && !sql && (query != "" || table != ""):
		return errors.New("no path: a query or table without a postgres:// path is for --emit-sql only")
	case path == "" && !sql:
		return errors.New("no path")
	case path == "" && query == "" && table == "":
		return errors.New("no path, table or query")
	case postgres.IsURL(path) && query == "" && table == "":
		return errors.New("a postgres:// path needs a query (or a table)")
	case path != "" && !postgres.IsURL(path) && query != "":
		return errors.New("a query reads from a postgres:// path, not from files")
	}
	return nil
}

// checkSignal checks an extra column's name against names, the columns
// taken so far, and adds it.
func checkSignal(sig Signal, names map[string]bool) error {
	if sig.Column == "" {
		return errors.New("a sum, count_distinct or extra column has no column")
	}
	name := sig.name()
	if names[name] {
		return fmt.Errorf("signal %q: the name is already a snapshot column or another signal (rename it with as:)", name)
	}
	if err := features.CheckAccountID(name); err != nil || strings.ContainsAny(name, ",\"\r\n") {
		return fmt.Errorf("signal %q is not a usable column name", name)
	}
	names[name] = true
	return nil
}

func (s Signal) name() string {
	if s.As != "" {
		return s.As
	}
	return s.Column
}

func (f *Filter) check() error {
	switch {
	case f == nil:
		return nil
	case f.None:
		if f.Column != "" || f.In != nil || f.NotIn != nil {
			return errors.New("none: true takes no column, in or not_in")
		}
		return nil
	case f.Column == "":
		return errors.New("no column")
	case f.In == nil && f.NotIn == nil:
		return errors.New("needs in or not_in (a list of values)")
	case f.In != nil && f.NotIn != nil:
		return errors.New("in and not_in together: use one")
	}
	return nil
}
