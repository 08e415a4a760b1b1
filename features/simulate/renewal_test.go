package simulate

import (
	"fmt"
	"math"
	"testing"

	"github.com/churnlabs/churn/features"
)

// TestRenewalTypes checks the accounts' renewal types: one per account on
// every row, both kinds in every segment but in the segment's measure
// (most small customers auto-renew, few enterprises), and another seed
// another draw.
func TestRenewalTypes(t *testing.T) {
	types := func(seed int64) (map[string]string, map[string][2]int) {
		byAccount := map[string]string{}
		bySegment := map[string][2]int{} // auto, signature accounts
		for _, s := range simulate(t, Config{Accounts: 1500, Weeks: 8, Seed: seed}) {
			if s.RenewalType != features.RenewalAuto && s.RenewalType != features.RenewalSignature {
				t.Fatalf("%s %s: renewal type %q", s.AccountID, s.Week, s.RenewalType)
			}
			if old, ok := byAccount[s.AccountID]; ok {
				if old != s.RenewalType {
					t.Fatalf("%s changes renewal type from %s to %s", s.AccountID, old, s.RenewalType)
				}
				continue
			}
			byAccount[s.AccountID] = s.RenewalType
			n := bySegment[s.Segment]
			if s.RenewalType == features.RenewalAuto {
				n[0]++
			} else {
				n[1]++
			}
			bySegment[s.Segment] = n
		}
		return byAccount, bySegment
	}
	first, bySegment := types(7)
	autoShare := map[string]float64{}
	for seg, n := range bySegment {
		if n[0] == 0 || n[1] == 0 {
			t.Errorf("segment %s: %d auto, %d signature accounts; want both", seg, n[0], n[1])
		}
		autoShare[seg] = float64(n[0]) / float64(n[0]+n[1])
	}
	if !(autoShare["smb"] > autoShare["mid"] && autoShare["mid"] > autoShare["enterprise"]) {
		t.Errorf("auto-renew shares %v: want smb > mid > enterprise", autoShare)
	}
	second, _ := types(8)
	same := 0
	for id, typ := range first {
		if second[id] == typ {
			same++
		}
	}
	if same == len(first) {
		t.Error("seeds 7 and 8 give every account the same renewal type")
	}
}

// TestUnitHash checks that unitHash spreads consecutive ids evenly over
// [0, 1): the renewal types' shares rest on it.
func TestUnitHash(t *testing.T) {
	const n = 20000
	var bins [10]int
	for i := range n {
		u := unitHash(3, fmt.Sprintf("acct-%05d", i+1))
		if u < 0 || u >= 1 || math.IsNaN(u) {
			t.Fatalf("unitHash = %v", u)
		}
		bins[int(u*10)]++
	}
	for k, c := range bins {
		if c < n/10*9/10 || c > n/10*11/10 {
			t.Errorf("bin %d holds %d of %d draws, want about %d", k, c, n, n/10)
		}
	}
}
