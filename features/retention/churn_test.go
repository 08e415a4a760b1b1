package retention

import (
	"context"
	"reflect"
	"testing"

	"github.com/churnlabs/churn/features"
)

// TestChurnMonthly checks the hand-computed history of handBook.
//
// February: A, B, C and D were customers on 2024-02-01 (E and F sign up
// later, G vanished in January). D churned: 1/4 = 25%. Starting ARR
// 1000+2000+4000+5000 = 12000; D's 5000 churned; C contracted by 1000;
// B expanded by 1000. Revenue churn 5000/12000; GRR (12000-5000-1000)/12000
// = 0.5; NRR (12000-5000-1000+1000)/12000 = 7/12.
//
// March: A, B, C, E, F; F churned: 1/5. Starting ARR 1000+3000+3000+500+600
// = 8100, F's 600 churned: GRR = NRR = 7500/8100.
//
// April: A, B, C, E, no churn, no change: GRR = NRR = 1. The data's last
// week, 2024-04-29, runs to 2024-05-05, so April is complete.
//
// January is left out: nobody was seen before 2024-01-01.
func TestChurnMonthly(t *testing.T) {
	b := readRows(t, handSchema, handBook())
	series, err := b.Churn(context.Background(), Monthly)
	if err != nil {
		t.Fatal(err)
	}
	var segments []string
	for _, s := range series {
		segments = append(segments, s.Segment)
	}
	if want := []string{AllAccounts, "enterprise", "smb", NoSegment}; !reflect.DeepEqual(segments, want) {
		t.Fatalf("segments %v, want %v", segments, want)
	}
	all := series[0].Periods
	want := []struct {
		period                              string
		accounts, churned                   int
		rate                                float64
		start, lost, contraction, expansion float64
		revenueChurn, grr, nrr              float64
	}{
		{"2024-02", 4, 1, 0.25, 12000, 5000, 1000, 1000, 5.0 / 12, 0.5, 7.0 / 12},
		{"2024-03", 5, 1, 0.2, 8100, 600, 0, 0, 600.0 / 8100, 7500.0 / 8100, 7500.0 / 8100},
		{"2024-04", 4, 0, 0, 7500, 0, 0, 0, 0, 1, 1},
	}
	if len(all) != len(want) {
		t.Fatalf("%d monthly periods, want %d: %+v", len(all), len(want), all)
	}
	for i, w := range want {
		p := all[i]
		if p.Period != w.period || p.Accounts != w.accounts || p.Churned != w.churned || !near(p.ChurnRate, w.rate) || p.Partial {
			t.Errorf("period %d: %s %d accounts, %d churned, rate %v, partial %t; want %s %d, %d, %v, complete",
				i, p.Period, p.Accounts, p.Churned, p.ChurnRate, p.Partial, w.period, w.accounts, w.churned, w.rate)
		}
		r := p.Revenue
		if r == nil {
			t.Fatalf("%s: no revenue", p.Period)
		}
		got := []float64{r.Start, r.Churned, r.Contraction, r.Expansion, r.Churn, r.GRR, r.NRR}
		exp := []float64{w.start, w.lost, w.contraction, w.expansion, w.revenueChurn, w.grr, w.nrr}
		for k := range got {
			if !near(got[k], exp[k]) {
				t.Errorf("%s revenue %+v, want start, churned, contraction, expansion, churn, GRR, NRR = %v", p.Period, *r, exp)
				break
			}
		}
	}

	// Per segment, February: smb A and B, no churn; enterprise C and D,
	// D churned. March: smb A, B, E, F with F churned; enterprise C.
	// G, with no segment, is a customer at no period's start.
	for _, c := range []struct {
		series, period    int
		accounts, churned int
	}{
		{1, 0, 2, 1}, {1, 1, 1, 0}, {2, 0, 2, 0}, {2, 1, 4, 1},
	} {
		p := series[c.series].Periods[c.period]
		if p.Accounts != c.accounts || p.Churned != c.churned {
			t.Errorf("%s %s: %d accounts, %d churned; want %d, %d",
				series[c.series].Segment, p.Period, p.Accounts, p.Churned, c.accounts, c.churned)
		}
	}
	if n := len(series[3].Periods); n != 0 {
		t.Errorf("segment %s has %d periods, want none", NoSegment, n)
	}
}

// TestChurnQuarterly: the first quarter began before anybody was seen;
// the second starts with A, B, C and E and runs past the data.
func TestChurnQuarterly(t *testing.T) {
	b := readRows(t, handSchema, handBook())
	series, err := b.Churn(context.Background(), Quarterly)
	if err != nil {
		t.Fatal(err)
	}
	all := series[0].Periods
	if len(all) != 1 {
		t.Fatalf("%d quarters, want 1: %+v", len(all), all)
	}
	q := all[0]
	if q.Period != "2024-Q2" || q.Accounts != 4 || q.Churned != 0 || !q.Partial ||
		q.Start != mustDate(t, "2024-04-01") || q.End != mustDate(t, "2024-07-01") {
		t.Errorf("quarter %+v, want 2024-Q2 from 2024-04-01 to 2024-07-01, 4 accounts, none churned, partial", q)
	}
	if q.Revenue == nil || q.Revenue.Start != 7500 || q.Revenue.GRR != 1 || q.Revenue.NRR != 1 {
		t.Errorf("quarter revenue %+v, want 7500 kept whole", q.Revenue)
	}
}

// TestChurnWithoutARR: a file with no ARR column has churn rates and no
// revenue figures.
func TestChurnWithoutARR(t *testing.T) {
	schema := handSchema
	schema.HasARR = false
	b := readRows(t, schema, handBook())
	series, err := b.Churn(context.Background(), Monthly)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range series[0].Periods {
		if p.Revenue != nil {
			t.Errorf("%s: revenue %+v without an ARR column", p.Period, p.Revenue)
		}
	}
	if got := series[0].Periods[0].ChurnRate; got != 0.25 {
		t.Errorf("February churn rate %v, want 0.25", got)
	}
}

func TestCohorts(t *testing.T) {
	b := readRows(t, handSchema, handBook())
	// A, B, C, D and G are in the first week: left-censored. E and F sign
	// up in February. At the end of February both are customers; F churns
	// on 2024-03-18, so at the end of March and of April one of two is
	// left. The end of May is past the data.
	want := []CohortPoint{
		{Months: 0, Observed: 2, Retained: 2, Share: 1},
		{Months: 1, Observed: 2, Retained: 1, Share: 0.5},
		{Months: 2, Observed: 2, Retained: 1, Share: 0.5},
	}
	for _, g := range []Grain{Monthly, Quarterly} {
		cs, err := b.Cohorts(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		name := map[Grain]string{Monthly: "2024-02", Quarterly: "2024-Q1"}[g]
		if cs.LeftCensored != 5 || len(cs.Cohorts) != 1 || cs.Cohorts[0].Cohort != name || cs.Cohorts[0].Accounts != 2 {
			t.Fatalf("%s cohorts %+v, want 5 left-censored and one cohort %s of 2", g, cs, name)
		}
		if got := cs.Cohorts[0].Curve; !reflect.DeepEqual(got, want) {
			t.Errorf("%s curve %+v, want %+v", g, got, want)
		}
	}
}

func TestSpans(t *testing.T) {
	d := func(s string) features.Date { return mustDate(t, s) }
	for _, c := range []struct {
		g           Grain
		first, last string
		want        []span
	}{
		{Monthly, "2023-12-25", "2024-02-05", []span{
			{"2023-12", d("2023-12-01"), d("2024-01-01")},
			{"2024-01", d("2024-01-01"), d("2024-02-01")},
			{"2024-02", d("2024-02-01"), d("2024-03-01")},
		}},
		{Quarterly, "2023-11-20", "2024-04-01", []span{
			{"2023-Q4", d("2023-10-01"), d("2024-01-01")},
			{"2024-Q1", d("2024-01-01"), d("2024-04-01")},
			{"2024-Q2", d("2024-04-01"), d("2024-07-01")},
		}},
	} {
		if got := spans(c.g, d(c.first), d(c.last)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s spans of %s to %s: %v, want %v", c.g, c.first, c.last, got, c.want)
		}
	}
}
