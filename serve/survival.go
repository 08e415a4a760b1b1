package serve

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/jsonfloat"
	"github.com/churnlabs/churn/models/hazard"
)

// survivalInfo is what GET /v1/model says of a model's survival curves.
type survivalInfo struct {
	Kind  string `json:"kind"`
	Weeks int    `json:"weeks"`
}

func newSurvivalInfo(m *hazard.Model) *survivalInfo {
	if m == nil {
		return nil
	}
	return &survivalInfo{m.Kind, m.Weeks}
}

// survivalPoint is one week of a survival curve.
type survivalPoint struct {
	WeeksAhead int           `json:"weeks_ahead"`
	Week       features.Date `json:"week"`
	Survival   float64       `json:"survival"`
}

// hazardExplanation is one week's hazard with its contributions: the
// base plus the contributions is the log-odds, to rounding.
type hazardExplanation struct {
	WeeksAhead int     `json:"weeks_ahead"`
	Hazard     float64 `json:"hazard"`
	LogOdds    float64 `json:"log_odds"`
	Base       float64 `json:"base_value"`
	// Contributions are the model's features' and, under "weeks_ahead",
	// the sum of the timing inputs' (hazard.Timing).
	Contributions map[string]float64 `json:"contributions"`
}

// survival answers GET /v1/accounts/{id}/survival: the account's survival
// curve over the next hazard.Weeks weeks, the probability of leaving
// before its renewal and the expected weeks to churn, and with
// ?horizon=K the hazard of week K explained. 404 when the model has no
// hazard part.
func (s *Server) survival(c *gin.Context) {
	st := s.state.Load()
	v := c.Request.URL.Query()
	if err := checkParams(v, "horizon"); err != nil {
		s.fail(c, http.StatusBadRequest, err.Error())
		return
	}
	horizon := 0
	if h := v.Get("horizon"); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 1 || n > hazard.Weeks {
			s.fail(c, http.StatusBadRequest, fmt.Sprintf("horizon=%s: want a whole number of weeks from 1 to %d", excerpt(h), hazard.Weeks))
			return
		}
		horizon = n
	}
	a, ok := s.lookup(c, st)
	if !ok {
		return
	}
	m := st.model.Hazard
	if m == nil || a.Survival == nil {
		s.fail(c, http.StatusNotFound, fmt.Sprintf("model %s has no survival curves: train it with churn train --survival", st.model.Version))
		return
	}
	sv := a.Survival
	curve := make([]survivalPoint, len(sv.Curve))
	for k, p := range sv.Curve {
		curve[k] = survivalPoint{WeeksAhead: k, Week: a.Week + features.Date(7*k), Survival: p}
	}
	var weeksToRenewal *int
	var renewal *features.Date
	if sv.WeeksToRenewal >= 0 {
		weeksToRenewal, renewal = &sv.WeeksToRenewal, &a.RenewalDate
	}
	var explained *hazardExplanation
	if horizon > 0 {
		explained = explainHazard(m, a.Features, st.model.Features, horizon)
	}
	s.reply(c, http.StatusOK, struct {
		AccountID      string             `json:"account_id"`
		Week           features.Date      `json:"week"`
		ModelVersion   string             `json:"model_version"`
		Kind           string             `json:"hazard_kind"`
		Curve          []survivalPoint    `json:"curve"`
		RenewalDate    *features.Date     `json:"renewal_date"`
		WeeksToRenewal *int               `json:"weeks_to_renewal"`
		BeforeRenewal  jsonfloat.Float    `json:"before_renewal"`
		ExpectedWeeks  float64            `json:"expected_weeks_to_churn"`
		Horizon        int                `json:"horizon_weeks"`
		WithinHorizon  float64            `json:"churn_within_horizon"`
		Explanation    *hazardExplanation `json:"explanation,omitempty"`
	}{a.AccountID, a.Week, st.model.Version, m.Kind, curve, renewal, weeksToRenewal,
		jsonfloat.Float(sv.BeforeRenewal), sv.ExpectedWeeks, st.model.Horizon,
		hazard.Within(sv.Curve, st.model.Horizon), explained})
}

// explainHazard explains week k's hazard of features x, the timing
// inputs' contributions summed as "weeks_ahead".
func explainHazard(m *hazard.Model, x []float64, names []string, k int) *hazardExplanation {
	phi := make([]float64, len(m.Features))
	base := m.Explain(x, k, phi)
	z := m.LogOdds(x, k)
	e := &hazardExplanation{WeeksAhead: k, Hazard: 1 / (1 + math.Exp(-z)), LogOdds: z, Base: base,
		Contributions: make(map[string]float64, len(names)+1)}
	for j, name := range names {
		e.Contributions[name] = phi[j]
	}
	timing := 0.0
	for _, v := range phi[len(names):] {
		timing += v
	}
	e.Contributions[hazard.WeeksAhead] = timing
	return e
}
