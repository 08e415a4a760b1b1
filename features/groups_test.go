package features

import (
	"strings"
	"testing"
)

func TestSignalGroup(t *testing.T) {
	spec := Spec{ARR: true, Renewal: true, Lifetime: true, Year: true, PerSeat: true, ExtraWindows: true, Segments: []string{"smb"},
		Extras:       []string{"tickets_open", "csat", "mrr", "InvoicesDue", "seats_used", "plan_tier", "carry_over", "api_calls", "nps_score"},
		SignalGroups: map[string]string{"api_calls": GroupSupport}}
	tests := []struct{ feature, want string }{
		{LoginsMean4w, GroupProduct},
		{RecencyDays, GroupProduct},
		{FrequencyLifetimeMean, GroupProduct},
		{SLABreachesSum12w, GroupSupport},
		{OverdueInvoices, GroupFinancial},
		{LogARR, GroupFinancial},
		{TenureWeeks, GroupAccount},
		{WeeksToRenewal, GroupAccount},
		{RenewalTermWeeks, GroupAccount},
		{"segment_smb", GroupAccount},
		{"tickets_open", GroupSupport},
		{"csat", GroupSupport},
		{"mrr", GroupFinancial},
		{"InvoicesDue", GroupFinancial},
		{"seats_used", GroupAccount},
		{"plan_tier", GroupAccount},
		{"carry_over", GroupProduct}, // "arr" inside a word is not the word arr
		{"api_calls", GroupSupport},  // the spec's own entry wins
		{"nps_score", GroupSupport},
		{LoginsPerSeat4w, GroupProduct},
		{OverdueWeeks52w, GroupFinancial},
		{SLABreachesVs52w, GroupSupport},
		{"api_calls_4w_mean", GroupSupport}, // an extra column's window goes with the column
		{"mrr_4w_change", GroupFinancial},
	}
	for _, tt := range tests {
		if got := spec.SignalGroup(tt.feature); got != tt.want {
			t.Errorf("SignalGroup(%q) = %q, want %q", tt.feature, got, tt.want)
		}
	}
	idx := spec.SignalGroupIndex()
	if len(idx) != spec.Width() {
		t.Fatalf("SignalGroupIndex has %d entries, want %d", len(idx), spec.Width())
	}
	for j, n := range spec.Names() {
		if SignalGroups[idx[j]] != spec.SignalGroup(n) {
			t.Errorf("index of %s is %d", n, idx[j])
		}
	}
}

func TestSignalGroupTableColumns(t *testing.T) {
	spec := Spec{Table: &TableSpec{Columns: []Column{
		{Name: "billing_plan", Levels: []string{"a", "b"}, Missing: true},
	}}, SignalGroups: map[string]string{}}
	for _, n := range spec.Names() {
		if g := spec.SignalGroup(n); g != GroupFinancial {
			t.Errorf("SignalGroup(%q) = %q, want %s (billing comes first)", n, g, GroupFinancial)
		}
	}
}

func TestParseSignalGroups(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{"", nil, ""},
		{"nps=support, seats = account", map[string]string{"nps": GroupSupport, "seats": GroupAccount}, ""},
		{"nps", nil, "want column=group"},
		{"nps=billing", nil, `"billing" is not one of`},
	}
	for _, tt := range tests {
		got, err := ParseSignalGroups(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSignalGroups(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Fatalf("ParseSignalGroups(%q) = %v, %v", tt.in, got, err)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("ParseSignalGroups(%q)[%q] = %q, want %q", tt.in, k, got[k], v)
			}
		}
	}
	bad := Spec{SignalGroups: map[string]string{"nope": GroupSupport}}
	if err := bad.CheckSignalGroups(); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("CheckSignalGroups = %v, want an error naming nope", err)
	}
}
