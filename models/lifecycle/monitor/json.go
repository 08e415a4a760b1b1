package monitor

import (
	"encoding/json"
	"math"

	"github.com/churnlabs/churn/features"
)

// MarshalJSON writes r with every NaN (a figure a one-class group lacks)
// as null: JSON has no NaN, and encoding/json refuses one.
func (r Report) MarshalJSON() ([]byte, error) {
	type interval struct {
		Estimate *float64 `json:"estimate"`
		Lower    *float64 `json:"lower"`
		Upper    *float64 `json:"upper"`
	}
	num := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	iv := func(i Interval) interval { return interval{num(i.Estimate), num(i.Lower), num(i.Upper)} }
	type decile struct {
		Rows          int      `json:"rows"`
		MeanPredicted *float64 `json:"mean_predicted"`
		Observed      interval `json:"observed_rate"`
	}
	type top struct {
		Rows int      `json:"rows"`
		Rate interval `json:"churn_rate"`
		Lift *float64 `json:"lift"`
	}
	type perf struct {
		ModelVersion  string        `json:"model_version"`
		Segment       string        `json:"segment"`
		Horizon       int           `json:"horizon_weeks"`
		FirstWeek     features.Date `json:"first_week"`
		LastWeek      features.Date `json:"last_week"`
		Weeks         int           `json:"weeks"`
		Rows          int           `json:"rows"`
		Positives     int           `json:"positives"`
		ChurnRate     interval      `json:"churn_rate"`
		MeanPredicted *float64      `json:"mean_predicted"`
		AUC           interval      `json:"roc_auc"`
		PRAUC         interval      `json:"pr_auc"`
		Deciles       []decile      `json:"calibration"`
		TopDecile     top           `json:"top_decile"`
	}
	// plain has Report's fields without its methods, so marshalling it
	// does not come back here.
	type plain Report
	p := plain(r)
	type comparison struct {
		Champion      string        `json:"champion"`
		Challenger    string        `json:"challenger"`
		FirstWeek     features.Date `json:"first_week"`
		LastWeek      features.Date `json:"last_week"`
		Weeks         int           `json:"weeks"`
		Rows          int           `json:"rows"`
		Positives     int           `json:"positives"`
		ChampionAUC   *float64      `json:"champion_roc_auc"`
		ChallengerAUC *float64      `json:"challenger_roc_auc"`
		Difference    interval      `json:"roc_auc_difference"`
		P             *float64      `json:"p_value"`
		Verdict       string        `json:"verdict"`
	}
	out := struct {
		*plain
		Groups  []perf       `json:"performance"`
		Shadows []comparison `json:"shadow_comparisons"`
	}{plain: &p, Groups: []perf{}, Shadows: []comparison{}}
	for _, c := range r.Shadows {
		out.Shadows = append(out.Shadows, comparison{Champion: c.Champion, Challenger: c.Challenger,
			FirstWeek: c.FirstWeek, LastWeek: c.LastWeek, Weeks: c.Weeks, Rows: c.Rows, Positives: c.Positives,
			ChampionAUC: num(c.ChampionAUC), ChallengerAUC: num(c.ChallengerAUC), Difference: iv(c.Difference),
			P: num(c.P), Verdict: c.Verdict})
	}
	for _, g := range r.Groups {
		q := perf{ModelVersion: g.ModelVersion, Segment: g.Segment, Horizon: g.Horizon, FirstWeek: g.FirstWeek, LastWeek: g.LastWeek,
			Weeks: g.Weeks, Rows: g.Rows, Positives: g.Positives, ChurnRate: iv(g.ChurnRate),
			MeanPredicted: num(g.MeanPredicted), AUC: iv(g.AUC), PRAUC: iv(g.PRAUC), Deciles: []decile{},
			TopDecile: top{Rows: g.TopDecile.Rows, Rate: iv(g.TopDecile.Rate), Lift: num(g.TopDecile.Lift)}}
		for _, d := range g.Deciles {
			q.Deciles = append(q.Deciles, decile{Rows: d.Rows, MeanPredicted: num(d.MeanPredicted), Observed: iv(d.Observed)})
		}
		out.Groups = append(out.Groups, q)
	}
	return json.Marshal(out)
}
