package dashboard_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"
)

// apiSurvival is the part of GET /v1/accounts/{id}/survival the curve
// draws.
type apiSurvival struct {
	Curve []struct {
		WeeksAhead int     `json:"weeks_ahead"`
		Survival   float64 `json:"survival"`
	} `json:"curve"`
	RenewalDate    *string  `json:"renewal_date"`
	WeeksToRenewal *int     `json:"weeks_to_renewal"`
	BeforeRenewal  *float64 `json:"before_renewal"`
}

func (tb *tab) fetchSurvival(base, id string) apiSurvival {
	t := tb.t
	t.Helper()
	resp, err := http.Get(base + "/v1/accounts/" + url.PathEscape(id) + "/survival")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc apiSurvival
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET survival of %s: %s %v", id, resp.Status, err)
	}
	return doc
}

// checkSurvival opens the ranking sorted by the chance of leaving before
// renewal and an account renewing within the curve, and checks the rows
// are the API's in its order and the curve drawn is the API's, point by
// point, never rising, with the renewal line at its week.
func (tb *tab) checkSurvival(base string) {
	t := tb.t
	t.Helper()
	want := fetchRanking(t, base, "sort=before_renewal&limit=50")
	var id string
	var doc apiSurvival
	for _, a := range want.Accounts {
		if doc = tb.fetchSurvival(base, a.ID); doc.WeeksToRenewal != nil && *doc.WeeksToRenewal >= 1 && *doc.WeeksToRenewal <= 26 {
			id = a.ID
			break
		}
	}
	if id == "" {
		t.Fatal("no account on the first page renews within 26 weeks")
	}
	tb.open(base + "/?sort=before_renewal&account=" + url.QueryEscape(id))
	tb.waitRows("")
	tb.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-state="ready"][data-account-id=%q] #survival-box svg`, id))))
	var ids []string
	for _, a := range want.Accounts {
		ids = append(ids, a.ID)
	}
	if got := tb.rowIDs(); !slices.Equal(got, ids) {
		t.Errorf("rows sorted by before_renewal %v, the API %v", got[:min(5, len(got))], ids[:5])
	}
	var drawn struct {
		Points []struct {
			K  string  `json:"k"`
			S  string  `json:"s"`
			CX float64 `json:"cx"`
			CY float64 `json:"cy"`
		} `json:"points"`
		Renewal *struct {
			K string  `json:"k"`
			X float64 `json:"x"`
		} `json:"renewal"`
	}
	raw := tb.eval(`JSON.stringify((() => {
		const chart = document.querySelector("#survival-box svg");
		const points = Array.from(chart.querySelectorAll("circle.point")).map((c) => ({
			k: c.dataset.weeksAhead, s: c.dataset.survival, cx: c.cx.baseVal.value, cy: c.cy.baseVal.value }));
		const r = chart.querySelector("line.renewal");
		return { points, renewal: r && { k: r.dataset.weeksAhead, x: r.x1.baseVal.value } };
	})())`)
	if err := json.Unmarshal([]byte(raw), &drawn); err != nil {
		t.Fatal(err)
	}
	if len(drawn.Points) != len(doc.Curve) || len(doc.Curve) != 27 {
		t.Fatalf("%d points drawn, the API has %d", len(drawn.Points), len(doc.Curve))
	}
	for k, p := range drawn.Points {
		s, err := strconv.ParseFloat(p.S, 64)
		if err != nil || p.K != strconv.Itoa(doc.Curve[k].WeeksAhead) || s != doc.Curve[k].Survival {
			t.Fatalf("point %d drawn %+v, the API %+v", k, p, doc.Curve[k])
		}
		if k > 0 && (p.CX <= drawn.Points[k-1].CX || p.CY < drawn.Points[k-1].CY) {
			t.Fatalf("point %d at (%v, %v) after (%v, %v): the curve goes back or rises", k, p.CX, p.CY, drawn.Points[k-1].CX, drawn.Points[k-1].CY)
		}
	}
	w := *doc.WeeksToRenewal
	if r := drawn.Renewal; r == nil || r.K != strconv.Itoa(w) || math.Abs(r.X-drawn.Points[w].CX) > 1e-6 {
		t.Errorf("renewal line %+v, want it at week %d (x %v)", drawn.Renewal, w, drawn.Points[w].CX)
	}
	facts := tb.text("#survival-facts")
	if pct := fmt.Sprintf("%.1f%%", 100**doc.BeforeRenewal); !strings.Contains(facts, pct) {
		t.Errorf("the facts say %q, want the chance of leaving before renewal %s", facts, pct)
	}
}
