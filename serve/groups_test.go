package serve

import (
	"math"
	"net/url"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

// groupsAnswer is the part of a ranked account a client reads for its
// health by signal group.
type groupsAnswer struct {
	ID      string                `json:"account_id"`
	Health  string                `json:"health"`
	Groups  []ranking.GroupHealth `json:"groups"`
	Base    float64               `json:"base_value"`
	LogOdds float64               `json:"log_odds"`
}

// TestGroupsOverHTTP checks that GET /v1/ranking and GET
// /v1/accounts/{id} serve every account's four signal-group sub-scores,
// which add up to the log-odds minus the base of its score.
func TestGroupsOverHTTP(t *testing.T) {
	e := newEnv(t, models.GBM)
	book := e.srv.state.Load().book
	w := e.do("GET", "/v1/ranking?limit=20", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	page := decode[struct {
		Accounts []groupsAnswer `json:"accounts"`
	}](t, w)
	if len(page.Accounts) != 20 {
		t.Fatalf("%d accounts, want 20", len(page.Accounts))
	}
	for _, got := range page.Accounts {
		a, ok := book.Account(got.ID)
		if !ok {
			t.Fatalf("%s not in the book", got.ID)
		}
		if len(got.Groups) != len(features.SignalGroups) {
			t.Fatalf("%s: %d groups, want %d", got.ID, len(got.Groups), len(features.SignalGroups))
		}
		sum := 0.0
		for k, g := range got.Groups {
			if g != a.Groups[k] || g.Group != features.SignalGroups[k] {
				t.Errorf("%s: group %d is %+v, want %+v", got.ID, k, g, a.Groups[k])
			}
			sum += g.LogOdds
		}
		if d := a.Score.LogOdds - a.Score.Base - sum; math.Abs(d) > 1e-9 {
			t.Errorf("%s: served groups sum to %v, log-odds minus base is %v", got.ID, sum, a.Score.LogOdds-a.Score.Base)
		}
	}

	id := page.Accounts[0].ID
	w = e.do("GET", "/v1/accounts/"+url.PathEscape(id), "")
	if w.Code != 200 {
		t.Fatalf("account: status %d: %s", w.Code, w.Body)
	}
	acc := decode[struct {
		Account groupsAnswer `json:"account"`
		Score   groupsAnswer `json:"score"`
	}](t, w)
	sum := 0.0
	for _, g := range acc.Account.Groups {
		sum += g.LogOdds
	}
	if len(acc.Account.Groups) != len(features.SignalGroups) || math.Abs(acc.Score.LogOdds-acc.Score.Base-sum) > 1e-9 {
		t.Errorf("account %s: groups %+v sum to %v; its score's log-odds %v minus base %v",
			id, acc.Account.Groups, sum, acc.Score.LogOdds, acc.Score.Base)
	}
}
