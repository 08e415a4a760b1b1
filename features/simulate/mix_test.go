package simulate

import (
	"crypto/sha256"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		in      string
		want    Mix
		str     string
		wantErr string
	}{
		{in: "", want: DefaultMix(), str: "default"},
		{in: "churn=1", want: DefaultMix(), str: "default"},
		{in: "usage=0.5,support=2", want: Mix{Churn: 1, Usage: 0.5, Support: 2, Billing: 1, Abrupt: 1, Noise: 1}, str: "usage=0.5,support=2"},
		{in: " noise = 2 , abrupt=0", want: Mix{Churn: 1, Usage: 1, Support: 1, Billing: 1, Abrupt: 0, Noise: 2}, str: "abrupt=0,noise=2"},
		{in: "churn", wantErr: "not key=factor"},
		{in: "health=2", wantErr: `unknown key "health"`},
		{in: "noise=-1", wantErr: "from 0 to 10"},
		{in: "noise=11", wantErr: "from 0 to 10"},
		{in: "noise=NaN", wantErr: "from 0 to 10"},
		{in: "noise=lots", wantErr: "from 0 to 10"},
		{in: "churn=1,churn=2", wantErr: "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMix(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseMix(%q) = %v, %v; want an error about %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMix(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
			if back, err := ParseMix(strings.ReplaceAll(got.String(), "default", "")); err != nil || back != got {
				t.Errorf("ParseMix(String()) = %+v, %v; want %+v", back, err, got)
			}
		})
	}
}

// defaultWorldDigest is the SHA-256 of the snapshots of defaultWorld as
// the simulation wrote them before it had a Mix: the default mix must not
// move the default world by a single rounding.
const defaultWorldDigest = "e50e2559a31a09bb2eace01a0d41e7045cee35a6fb471b4a86f3165d95c91075"

func defaultWorld() Config { return Config{Accounts: 300, Weeks: 52, Seed: 5} }

// digest hashes snapshots in a fixed text form: the fields a snapshot had
// before renewal types, whose draw moves none of them
// (TestRenewalTypes checks those).
func digest(t *testing.T, cfg Config) string {
	// before is features.Snapshot as it was, for its %+v form.
	type before struct {
		AccountID                                                    string
		Week                                                         features.Date
		Logins, Frequency, RecencyDays, SLABreaches, OverdueInvoices int64
		Churned                                                      bool
		ARR                                                          float64
		Segment                                                      string
		RenewalDate                                                  features.Date
		Extra                                                        []float64
		Row                                                          int
	}
	h := sha256.New()
	for _, s := range simulate(t, cfg) {
		fmt.Fprintf(h, "%+v\n", before{s.AccountID, s.Week, s.Logins, s.Frequency, s.RecencyDays, s.SLABreaches, s.OverdueInvoices,
			s.Churned, s.ARR, s.Segment, s.RenewalDate, s.Extra, s.Row})
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDefaultMixKeepsTheDefaultWorld(t *testing.T) {
	base := defaultWorld()
	if got := digest(t, base); got != defaultWorldDigest {
		t.Errorf("default world digest = %s, want %s: the default world changed", got, defaultWorldDigest)
	}
	explicit := base
	explicit.Mix = DefaultMix()
	if got := digest(t, explicit); got != defaultWorldDigest {
		t.Errorf("DefaultMix() world digest = %s, want the default world's", got)
	}
}

// churnShare returns the share of accounts that churn in cfg's run.
func churnShare(t *testing.T, cfg Config) float64 {
	accounts, churned := map[string]bool{}, 0
	for _, s := range simulate(t, cfg) {
		accounts[s.AccountID] = true
		if s.Churned {
			churned++
		}
	}
	return float64(churned) / float64(len(accounts))
}

func TestMixChangesTheWorld(t *testing.T) {
	cfg := Config{Accounts: 1000, Weeks: 104, Seed: 9}
	with := func(s string) Config {
		m, err := ParseMix(s)
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Mix = m
		return c
	}
	base := churnShare(t, cfg)
	if rare := churnShare(t, with("churn=0.3,abrupt=0.3")); !(rare < 0.75*base) {
		t.Errorf("churn=0.3,abrupt=0.3: %.3f of accounts churn, want well under the default's %.3f", rare, base)
	}
	if often := churnShare(t, with("churn=2.5")); !(often > 1.25*base) {
		t.Errorf("churn=2.5: %.3f of accounts churn, want well over the default's %.3f", often, base)
	}
	// Every other key changes the world too, and a factor of 1 does not.
	cfg = Config{Accounts: 200, Weeks: 52, Seed: 9}
	plain := simulate(t, cfg)
	for _, key := range mixKeys {
		if !reflect.DeepEqual(simulate(t, with(key+"=1")), plain) {
			t.Errorf("%s=1 changed the world", key)
		}
		if reflect.DeepEqual(simulate(t, with(key+"=2")), plain) {
			t.Errorf("%s=2 left the world as it was", key)
		}
	}
}
