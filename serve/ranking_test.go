package serve

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

// rankingPage is a GET /v1/ranking answer, as a client reads it.
type rankingPage struct {
	Count      int            `json:"count"`
	Total      int            `json:"total"`
	Offset     int            `json:"offset"`
	Limit      int            `json:"limit"`
	NextOffset *int           `json:"next_offset"`
	Totals     ranking.Totals `json:"totals"`
	Accounts   []struct {
		ID string `json:"account_id"`
	} `json:"accounts"`
}

// TestRankingPages pages through the ranking: a default page size, a
// cap, every account once and in the book's order across pages, and the
// totals of every matching account on each page.
func TestRankingPages(t *testing.T) {
	e := newEnv(t, models.GBM)
	book := e.srv.state.Load().book
	if len(book.Accounts) <= defaultRankingLimit {
		t.Fatalf("the fixture has %d active accounts, too few to test the default page of %d", len(book.Accounts), defaultRankingLimit)
	}
	get := func(t *testing.T, query string) rankingPage {
		t.Helper()
		w := e.do("GET", "/v1/ranking?"+query, "")
		if w.Code != 200 {
			t.Fatalf("%s: status %d: %s", query, w.Code, w.Body)
		}
		return decode[rankingPage](t, w)
	}

	t.Run("default limit", func(t *testing.T) {
		p := get(t, "")
		if len(p.Accounts) != defaultRankingLimit || p.Count != defaultRankingLimit || p.Limit != defaultRankingLimit ||
			p.Offset != 0 || p.Total != len(book.Accounts) || p.NextOffset == nil || *p.NextOffset != defaultRankingLimit {
			t.Errorf("without a limit: %d accounts, count %d, limit %d, offset %d, total %d, next %v; want the first %d of %d",
				len(p.Accounts), p.Count, p.Limit, p.Offset, p.Total, p.NextOffset, defaultRankingLimit, len(book.Accounts))
		}
	})

	segment := book.Segments()[0]
	for _, filter := range []string{"sort=probability", "sort=arr_at_risk", "segment=" + segment + "&renewal_within_days=200"} {
		t.Run(filter, func(t *testing.T) {
			q, err := rankingQuery(mustQuery(t, filter))
			if err != nil {
				t.Fatal(err)
			}
			q.Limit = 0
			want := book.Rank(q)
			var totals ranking.Totals
			for _, a := range book.Accounts { // the book's order: Page sums in it
				if (q.Segment == "" || a.Segment == q.Segment) &&
					(q.RenewalWithinDays == 0 || a.DaysToRenewal >= 0 && a.DaysToRenewal <= q.RenewalWithinDays) {
					addTotals(&totals, a)
				}
			}
			if totals.Accounts != len(want) || totals.Red == 0 {
				t.Fatalf("recounted %+v for %d accounts: the fixture should have red accounts", totals, len(want))
			}
			const size = 37
			var got []string
			for offset, pages := 0, 0; ; pages++ {
				if pages > len(want)/size+1 {
					t.Fatalf("more pages than %d accounts make", len(want))
				}
				p := get(t, fmt.Sprintf("%s&limit=%d&offset=%d", filter, size, offset))
				if p.Total != len(want) || p.Totals != totals || p.Offset != offset || p.Limit != size || p.Count != len(p.Accounts) {
					t.Fatalf("offset %d: total %d, totals %+v, offset %d, limit %d, count %d; want total %d, totals %+v",
						offset, p.Total, p.Totals, p.Offset, p.Limit, p.Count, len(want), totals)
				}
				for _, a := range p.Accounts {
					got = append(got, a.ID)
				}
				if p.NextOffset == nil {
					if offset+len(p.Accounts) != len(want) {
						t.Fatalf("no next page after offset %d with %d accounts, of %d", offset, len(p.Accounts), len(want))
					}
					break
				}
				if *p.NextOffset != offset+size || len(p.Accounts) != size {
					t.Fatalf("offset %d: %d accounts and next offset %d", offset, len(p.Accounts), *p.NextOffset)
				}
				offset = *p.NextOffset
			}
			var ids []string
			for _, a := range want {
				ids = append(ids, a.AccountID)
			}
			if strings.Join(got, ",") != strings.Join(ids, ",") {
				t.Errorf("the pages, put together, are not the ranking:\n%v\nwant\n%v", got, ids)
			}
		})
	}

	t.Run("past the end", func(t *testing.T) {
		p := get(t, fmt.Sprintf("offset=%d", len(book.Accounts)+5))
		if len(p.Accounts) != 0 || p.NextOffset != nil || p.Total != len(book.Accounts) {
			t.Errorf("past the end: %d accounts, next %v, total %d", len(p.Accounts), p.NextOffset, p.Total)
		}
	})

	for _, c := range []struct{ query, want string }{
		{"limit=1001", "limit=1001: want a whole number from 1 to 1000"},
		{"limit=0", "limit=0: want a whole number from 1 to 1000"},
		{"limit=-5", "limit=-5"},
		{"limit=all", "limit=all"},
		{"offset=-1", "offset=-1: want a whole number >= 0"},
		{"offset=ten", "offset=ten"},
		{"offset=1&offset=2", "2 times"},
	} {
		w := e.do("GET", "/v1/ranking?"+c.query, "")
		if w.Code != 400 {
			t.Errorf("%s: status %d, want 400: %s", c.query, w.Code, w.Body)
			continue
		}
		wantError(c.want)(t, w)
	}
}

// addTotals recounts an account into t, independently of ranking.Page.
func addTotals(t *ranking.Totals, a *ranking.Account) {
	t.Accounts++
	switch a.Health {
	case "red":
		t.Red++
	case "yellow":
		t.Yellow++
	case "green":
		t.Green++
	}
	if math.IsNaN(a.ARR) {
		t.UnknownARR++
	} else {
		t.ARR += a.ARR
		t.ARRAtRisk += a.ARRAtRisk
	}
}

func mustQuery(t *testing.T, s string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
