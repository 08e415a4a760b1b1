package serve

import (
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/hazard"
)

// survivalJSON is GET /v1/accounts/{id}/survival as a client decodes it.
type survivalJSON struct {
	AccountID string `json:"account_id"`
	Week      string `json:"week"`
	Kind      string `json:"hazard_kind"`
	Curve     []struct {
		WeeksAhead int     `json:"weeks_ahead"`
		Week       string  `json:"week"`
		Survival   float64 `json:"survival"`
	} `json:"curve"`
	RenewalDate    *string  `json:"renewal_date"`
	WeeksToRenewal *int     `json:"weeks_to_renewal"`
	BeforeRenewal  *float64 `json:"before_renewal"`
	ExpectedWeeks  float64  `json:"expected_weeks_to_churn"`
	Horizon        int      `json:"horizon_weeks"`
	Within         float64  `json:"churn_within_horizon"`
	Explanation    *struct {
		WeeksAhead    int                `json:"weeks_ahead"`
		Hazard        float64            `json:"hazard"`
		LogOdds       float64            `json:"log_odds"`
		Base          float64            `json:"base_value"`
		Contributions map[string]float64 `json:"contributions"`
	} `json:"explanation"`
}

// TestSurvivalRoute checks the curve served is the model's for the
// account's latest features, and what it says follows from it: the
// chance of leaving before renewal, the expected weeks, the horizon's
// churn, and each week's hazard explained exactly.
func TestSurvivalRoute(t *testing.T) {
	e := newEnv(t, survivalKind)
	st := e.srv.state.Load()
	m := st.model.Hazard
	checked := 0
	for _, a := range st.book.Accounts[:40] {
		w := e.do("GET", "/v1/accounts/"+a.AccountID+"/survival?horizon=12", "")
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", a.AccountID, w.Code, w.Body)
		}
		got := decode[survivalJSON](t, w)
		want := m.Curve(a.Features)
		if len(got.Curve) != hazard.Weeks+1 || got.Curve[0].Survival != 1 || got.Kind != hazard.GBM || got.Week != a.Week.String() {
			t.Fatalf("%s: %+v", a.AccountID, got)
		}
		sum := 0.0
		for k, p := range got.Curve {
			if p.WeeksAhead != k || p.Survival != want[k] || (k > 0 && p.Survival > got.Curve[k-1].Survival) {
				t.Fatalf("%s week %d: %+v, model %v", a.AccountID, k, p, want[k])
			}
			if k < hazard.Weeks {
				sum += p.Survival
			}
		}
		if math.Abs(got.ExpectedWeeks-sum) > 1e-9 || got.Horizon != st.model.Horizon || got.Within != 1-want[got.Horizon] {
			t.Errorf("%s: expected weeks %v (sum %v), within %d weeks %v", a.AccountID, got.ExpectedWeeks, sum, got.Horizon, got.Within)
		}
		if got.WeeksToRenewal != nil {
			checked++
			if got.BeforeRenewal == nil || *got.BeforeRenewal != 1-want[min(*got.WeeksToRenewal, hazard.Weeks)] {
				t.Errorf("%s: before renewal %v with %d weeks to it", a.AccountID, got.BeforeRenewal, *got.WeeksToRenewal)
			}
		}
		x := got.Explanation
		if x == nil || x.WeeksAhead != 12 || len(x.Contributions) != len(st.model.Features)+1 {
			t.Fatalf("%s: explanation %+v", a.AccountID, x)
		}
		total := x.Base
		for _, v := range x.Contributions {
			total += v
		}
		if z := m.LogOdds(a.Features, 12); math.Abs(total-z) > 1e-9 || x.LogOdds != z || x.Contributions[hazard.WeeksAhead] == 0 {
			t.Errorf("%s: base + contributions %v, log-odds %v (model %v), weeks ahead %v", a.AccountID, total, x.LogOdds, z, x.Contributions[hazard.WeeksAhead])
		}
	}
	if checked == 0 {
		t.Error("no account with a renewal date: before_renewal is untested")
	}
}

// TestSurvivalErrors checks a model without a hazard part answers 404,
// and a bad query 400, naming the parameter.
func TestSurvivalErrors(t *testing.T) {
	plain := newEnv(t, models.GBM)
	w := plain.do("GET", "/v1/accounts/"+plain.anAccount()+"/survival", "")
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "--survival") {
		t.Errorf("model without a hazard: %d %s", w.Code, w.Body)
	}
	e := newEnv(t, survivalKind)
	id := e.anAccount()
	for _, c := range []struct{ query, want string }{
		{"horizon=0", "horizon=0"}, {"horizon=27", "horizon=27"}, {"horizon=x", "horizon=x"}, {"weeks=3", `"weeks\": want horizon"`},
	} {
		w := e.do("GET", "/v1/accounts/"+id+"/survival?"+c.query, "")
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), c.want) {
			t.Errorf("%s: %d %s", c.query, w.Code, w.Body)
		}
	}
	if w := e.do("GET", "/v1/accounts/nobody/survival", ""); w.Code != http.StatusNotFound {
		t.Errorf("unknown account: %d %s", w.Code, w.Body)
	}
}

// TestRankingBeforeRenewal checks the ranking sorts by the chance of
// leaving before renewal, accounts without a renewal date last, and
// refuses the sort for a model without survival curves.
func TestRankingBeforeRenewal(t *testing.T) {
	e := newEnv(t, survivalKind)
	type page struct {
		Accounts []struct {
			ID       string `json:"account_id"`
			Survival *struct {
				BeforeRenewal *float64 `json:"before_renewal"`
			} `json:"survival"`
		} `json:"accounts"`
	}
	w := e.do("GET", "/v1/ranking?sort=before_renewal&limit=1000", "")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	p := decode[page](t, w)
	prev, moved := 2.0, false
	book := e.srv.state.Load().book.Accounts
	for i, a := range p.Accounts {
		if a.Survival == nil {
			t.Fatalf("%s has no survival", a.ID)
		}
		v := -1.0
		if a.Survival.BeforeRenewal != nil {
			v = *a.Survival.BeforeRenewal
		}
		if v > prev {
			t.Fatalf("account %d (%s) before renewal %v after %v", i, a.ID, v, prev)
		}
		prev = v
		moved = moved || a.ID != book[i].AccountID
	}
	if !moved {
		t.Error("the order is the probability's: the sort changed nothing")
	}
	plain := newEnv(t, models.GBM)
	if w := plain.do("GET", "/v1/ranking?sort=before_renewal", ""); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "--survival") {
		t.Errorf("model without a hazard: %d %s", w.Code, w.Body)
	}
	if w := plain.do("GET", "/v1/ranking", ""); strings.Contains(w.Body.String(), `"survival"`) {
		t.Error("a model without a hazard lists survival in its ranking")
	}
}
