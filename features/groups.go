package features

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Signal groups, in the order they are shown. A CS team reads an
// account's health by group: "red because of support and billing,
// product use is fine".
const (
	GroupProduct   = "product_use"
	GroupSupport   = "support"
	GroupFinancial = "financial"
	GroupAccount   = "account"
)

// SignalGroups lists the signal groups in display order.
var SignalGroups = []string{GroupProduct, GroupSupport, GroupFinancial, GroupAccount}

// builtinGroups are the signal groups of the built-in features. Log ARR
// counts as financial, weeks to renewal and tenure as account facts.
var builtinGroups = map[string]string{
	SLABreachesMean4w: GroupSupport, SLABreachesSum4w: GroupSupport,
	SLABreachesMean12w: GroupSupport, SLABreachesSum12w: GroupSupport,
	OverdueInvoices: GroupFinancial, OverdueWeeks12w: GroupFinancial, LogARR: GroupFinancial,
	TenureWeeks: GroupAccount, WeeksReported12w: GroupAccount, WeeksToRenewal: GroupAccount,
	RenewalTermWeeks: GroupAccount,
	// Logins and key actions per seat are product use, whatever the
	// word seat in their names says.
	LoginsPerSeat4w: GroupProduct, LoginsPerSeat12w: GroupProduct,
	FrequencyPerSeat4w: GroupProduct, FrequencyPerSeat12w: GroupProduct,
}

// groupWords are the words of a column name that put an extra column in
// a group other than product use; a word also matches with a plural s.
var groupWords = []struct {
	group string
	words []string
}{
	{GroupSupport, []string{"sla", "ticket", "support", "case", "incident", "escalation", "csat", "nps"}},
	{GroupFinancial, []string{"invoice", "overdue", "arr", "mrr", "payment", "billing", "revenue", "discount", "dunning"}},
	{GroupAccount, []string{"seat", "tenure", "plan", "contract", "renewal", "segment", "tier", "licence", "license"}},
}

// SignalGroup returns the signal group of a feature of s. The rule, in
// order: the spec's own SignalGroups entry for the feature, or for the
// column it comes from (a customer table's category level col=level or
// missing indicator col:missing belongs to col); the built-in default of a
// snapshot feature (SLA breaches are support; overdue invoices and log ARR
// financial; tenure, weeks reported, weeks to renewal and the segment
// indicators account; logins, key actions and recency product use);
// otherwise the words of the name, split at anything but letters and
// digits and between a lower-case letter and a capital (camelCase), and
// lower-cased (an extra column's window features, COL_4w_mean and so on,
// go by COL): sla, ticket, support, case, incident,
// escalation, csat, nps make it support; invoice, overdue, arr, mrr,
// payment, billing, revenue, discount, dunning financial; seat, tenure,
// plan, contract, renewal, segment, tier, licence account (each also with
// an s); anything else is product use.
func (s Spec) SignalGroup(feature string) string {
	col := featureColumn(feature)
	if s.ExtraWindows {
		// An extra column's windows are in the column's group.
		for _, suffix := range extraWindowSuffixes {
			if c, ok := strings.CutSuffix(feature, suffix); ok && slices.Contains(s.Extras, c) {
				col = c
			}
		}
	}
	if g, ok := s.SignalGroups[feature]; ok {
		return g
	}
	if g, ok := s.SignalGroups[col]; ok {
		return g
	}
	if g, ok := builtinGroups[feature]; ok {
		return g
	}
	if strings.HasPrefix(feature, segmentPrefix) && s.Table == nil && slices.Contains(s.Segments, feature[len(segmentPrefix):]) {
		return GroupAccount
	}
	if slices.Contains(behaviourNames[:], feature) || feature == LoginsLifetimeMean || feature == FrequencyLifetimeMean {
		return GroupProduct
	}
	return groupByName(col)
}

// featureColumn returns the column a customer table's feature comes from.
func featureColumn(feature string) string {
	if col, ok := strings.CutSuffix(feature, ":missing"); ok {
		return col
	}
	if col, _, ok := strings.Cut(feature, "="); ok {
		return col
	}
	return feature
}

// groupByName applies the word rule of SignalGroup to a column name.
func groupByName(name string) string {
	// A lower-case letter followed by a capital starts a word too, so
	// camelCase names split like snake_case ones.
	var b strings.Builder
	prev := ' '
	for _, r := range name {
		if unicode.IsUpper(r) && unicode.IsLower(prev) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
		prev = r
	}
	words := strings.FieldsFunc(b.String(), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, gw := range groupWords {
		for _, w := range words {
			for _, k := range gw.words {
				if w == k || w == k+"s" {
					return gw.group
				}
			}
		}
	}
	return GroupProduct
}

// SignalGroupIndex returns, for each feature in Names order, the index in
// SignalGroups of its group: an account's contributions summed by it give
// its sub-score per group.
func (s Spec) SignalGroupIndex() []int {
	names := s.Names()
	of := make([]int, len(names))
	for j, n := range names {
		of[j] = slices.Index(SignalGroups, s.SignalGroup(n))
	}
	return of
}

// CheckSignalGroups reports an entry of the spec's SignalGroups naming an
// unknown group or no feature or column of the spec.
func (s Spec) CheckSignalGroups() error {
	names := s.Names()
	for name, g := range s.SignalGroups {
		if !slices.Contains(SignalGroups, g) {
			return fmt.Errorf("signal group of %q: %q is not one of %s", name, g, strings.Join(SignalGroups, ", "))
		}
		if !slices.ContainsFunc(names, func(n string) bool { return n == name || featureColumn(n) == name }) {
			return fmt.Errorf("signal group of %q: the model has no such feature or column", name)
		}
	}
	return nil
}

// ParseSignalGroups reads "column=group,column=group" (churn train
// --signal-groups) into a spec's SignalGroups.
func ParseSignalGroups(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := make(map[string]string)
	for _, part := range strings.Split(s, ",") {
		col, g, ok := strings.Cut(strings.TrimSpace(part), "=")
		col, g = strings.TrimSpace(col), strings.TrimSpace(g)
		if !ok || col == "" {
			return nil, fmt.Errorf("signal group %q: want column=group", part)
		}
		if !slices.Contains(SignalGroups, g) {
			return nil, fmt.Errorf("signal group %q: %q is not one of %s", part, g, strings.Join(SignalGroups, ", "))
		}
		m[col] = g
	}
	return m, nil
}
