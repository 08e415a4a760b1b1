package ranking

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
)

func book() *Book {
	acc := func(id, seg string, p, arr float64, days int) *Account {
		return &Account{AccountID: id, Segment: seg, Probability: p, ARR: arr, ARRAtRisk: p * arr,
			DaysToRenewal: days, RenewalDate: features.Date(20000 + days), Change: math.NaN(), Week: 20000}
	}
	b := &Book{
		Model: &models.Artifact{Version: "gbm-test", Horizon: 12, Health: models.Health{Yellow: 0.2, Red: 0.5, Rule: "test"}},
		Accounts: []*Account{
			acc("a", "smb", 0.9, 1000, 10),
			acc("b", "ent", 0.6, 500000, 200),
			acc("c", "smb", 0.3, math.NaN(), -1),
			acc("d", "mid", 0.1, 20000, 40),
		},
		AsOf: 20000,
	}
	b.index = map[string]*Account{}
	for _, a := range b.Accounts {
		b.index[a.AccountID] = a
	}
	return b
}

func ids(accs []*Account) string {
	var s []string
	for _, a := range accs {
		s = append(s, a.AccountID)
	}
	return strings.Join(s, ",")
}

func TestRank(t *testing.T) {
	b := book()
	for _, c := range []struct {
		name string
		q    Query
		want string
	}{
		{"all", Query{}, "a,b,c,d"},
		{"segment", Query{Segment: "smb"}, "a,c"},
		{"renewal within 45 days drops unknown renewals", Query{RenewalWithinDays: 45}, "a,d"},
		{"arr at risk, unknown ARR last", Query{Sort: ByARRAtRisk}, "b,d,a,c"},
		{"limit", Query{Limit: 2}, "a,b"},
		{"offset", Query{Offset: 1, Limit: 2}, "b,c"},
		{"offset without limit", Query{Offset: 3}, "d"},
		{"offset past the end", Query{Offset: 9, Limit: 2}, ""},
		{"offset after sort", Query{Sort: ByARRAtRisk, Offset: 2}, "a,c"},
		{"no match", Query{Segment: "none"}, ""},
	} {
		if got := ids(b.Rank(c.q)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if err := (Query{Sort: "name"}).Check(); err == nil {
		t.Error("unknown sort accepted")
	}
}

// TestPageTotals checks that a page carries the totals of every account
// the filters keep, whichever page and order it is.
func TestPageTotals(t *testing.T) {
	b := book()
	b.Accounts[0].Health, b.Accounts[1].Health, b.Accounts[2].Health, b.Accounts[3].Health = "red", "red", "yellow", "green"
	// Summed in the book's order, as Page sums them, so that the floats
	// are equal to the last bit.
	atRisk := b.Accounts[0].ARRAtRisk + b.Accounts[1].ARRAtRisk + b.Accounts[3].ARRAtRisk
	for _, c := range []struct {
		name string
		q    Query
		ids  string
		want Totals
	}{
		{"first page of all", Query{Limit: 1}, "a", Totals{Accounts: 4, Red: 2, Yellow: 1, Green: 1,
			ARR: 521000, ARRAtRisk: atRisk, UnknownARR: 1}},
		{"last page, by ARR at risk", Query{Limit: 3, Offset: 3, Sort: ByARRAtRisk}, "c", Totals{Accounts: 4, Red: 2, Yellow: 1, Green: 1,
			ARR: 521000, ARRAtRisk: atRisk, UnknownARR: 1}},
		{"segment", Query{Segment: "smb", Limit: 1}, "a", Totals{Accounts: 2, Red: 1, Yellow: 1, ARR: 1000, ARRAtRisk: b.Accounts[0].ARRAtRisk, UnknownARR: 1}},
		{"no match", Query{Segment: "none"}, "", Totals{}},
	} {
		p := b.Page(c.q)
		if got := ids(p.Accounts); got != c.ids || p.Totals != c.want {
			t.Errorf("%s: %s with %+v, want %s with %+v", c.name, got, p.Totals, c.ids, c.want)
		}
	}
}

// TestPagesCoverTheRanking pages through rankings with ties in both sort
// keys: every account once, in one order, whatever the page size.
func TestPagesCoverTheRanking(t *testing.T) {
	var accs []*Account
	for i := range 23 {
		// Three probabilities and two ARRs: many ties, broken by id.
		p, arr := []float64{0.5, 0.2, 0.2}[i%3], []float64{1000, 2500}[i%2]
		accs = append(accs, &Account{AccountID: fmt.Sprintf("acct-%02d", (i*7)%23), Probability: p, ARR: arr, ARRAtRisk: p * arr})
	}
	slices.SortStableFunc(accs, byProbability)
	b := &Book{Accounts: accs}
	for _, sort := range []string{ByProbability, ByARRAtRisk} {
		all := b.Rank(Query{Sort: sort})
		for _, size := range []int{1, 4, 23, 50} {
			var got []*Account
			for off := 0; off < len(all)+size; off += size {
				p := b.Page(Query{Sort: sort, Offset: off, Limit: size})
				if p.Totals.Accounts != len(all) {
					t.Fatalf("%s, %d a page, offset %d: total %d, want %d", sort, size, off, p.Totals.Accounts, len(all))
				}
				got = append(got, p.Accounts...)
			}
			if ids(got) != ids(all) {
				t.Errorf("%s, %d a page: pages give %s, the ranking is %s", sort, size, ids(got), ids(all))
			}
		}
		for i := 1; i < len(all); i++ {
			less := byProbability
			if sort == ByARRAtRisk {
				less = byARRAtRisk
			}
			if less(all[i-1], all[i]) >= 0 {
				t.Errorf("%s: %s before %s is not a strict order", sort, all[i-1].AccountID, all[i].AccountID)
			}
		}
	}
}

// TestPageCostsThePage checks that a page costs memory for its own
// accounts, not the book's: a server answers many pages at once, and a
// page of ten from a big book must not copy the book each time.
func TestPageCostsThePage(t *testing.T) {
	b := &Book{}
	for i := range 20000 {
		p := float64(i%997) / 997
		b.Accounts = append(b.Accounts, &Account{AccountID: fmt.Sprintf("acct-%05d", i), Probability: p, ARR: 1000, ARRAtRisk: 1000 * p})
	}
	slices.SortStableFunc(b.Accounts, byProbability)
	for _, sort := range []string{ByProbability, ByARRAtRisk} {
		q := Query{Sort: sort, Limit: 10, Offset: 20}
		b.Page(q) // the first sorted by ARR at risk sorts the book once
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const runs = 20
		for range runs {
			if n := len(b.Page(q).Accounts); n != 10 {
				t.Fatalf("%s: a page of %d", sort, n)
			}
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 1024 {
			t.Errorf("%s: a page of 10 from %d accounts allocates %d bytes", sort, len(b.Accounts), per)
		}
	}
}

func TestDrivers(t *testing.T) {
	names := []string{features.LoginsMean4w, features.OverdueInvoices, "nps"}
	d := Drivers(names, []float64{1, 3, 7}, []float64{0.5, -2, 0.1}, 2)
	if len(d) != 2 || d[0].Feature != features.OverdueInvoices || d[0].Direction != "lowers risk" ||
		d[1].Feature != features.LoginsMean4w || d[1].Direction != "raises risk" {
		t.Fatalf("drivers %+v", d)
	}
	if s := d[1].Sentence(); s != "logins per week, last 4 weeks = 1 (raises risk)" {
		t.Errorf("sentence %q", s)
	}
}

func TestDocumentHandlesUnknowns(t *testing.T) {
	b := book()
	body, err := json.Marshal(b.Document(b.Accounts))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Accounts []map[string]any `json:"accounts"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Accounts[2]
	if c["arr"] != nil || c["renewal_date"] != nil || c["change"] != nil || doc.Accounts[0]["renewal_date"] != "2024-10-14" {
		t.Errorf("unknowns should be null: %v / %v", c, doc.Accounts[0])
	}
}
