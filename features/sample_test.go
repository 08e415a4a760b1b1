package features

import (
	"context"
	"fmt"
	"math"
	"testing"
)

// TestCapRows checks the sample a cap on training rows takes: about the
// cap's share of the training rows, the same rows whatever the run, a
// matured (refit) set that holds every sampled training and validation
// row and nothing the sample left out, and no sample under the cap.
func TestCapRows(t *testing.T) {
	var rows []Snapshot
	for a := range 400 {
		acc := weekly(fmt.Sprintf("acct-%03d", a), monday, 60)
		if a%4 == 0 {
			acc = acc[:20+a%38]
			acc[len(acc)-1].Churned = true
		}
		rows = append(rows, acc...)
	}
	ctx := context.Background()
	opt := SplitOptions{Horizon: 4, ValidWeeks: 5}
	tab := buildRows(t, rows)
	whole, err := tab.Split(opt)
	if err != nil {
		t.Fatal(err)
	}
	n := whole.TrainStats.Rows

	if s, err := tab.CapRows(ctx, opt, n); err != nil || s != nil {
		t.Fatalf("a cap of every row: sample %v, %v", s, err)
	}
	if s, err := tab.CapRows(ctx, opt, 0); err != nil || s != nil {
		t.Fatalf("no cap: sample %v, %v", s, err)
	}
	max := n / 4
	s, err := tab.CapRows(ctx, opt, max)
	if err != nil {
		t.Fatal(err)
	}
	if s == nil || s.TrainRows != n || s.MaxTrainRows != max || math.Abs(s.Share-float64(max)/float64(n)) > 1e-12 {
		t.Fatalf("sample %+v, want share %d/%d", s, max, n)
	}
	sp, err := tab.Split(opt)
	if err != nil {
		t.Fatal(err)
	}
	// Binomial: the count is within 4 standard deviations of the cap.
	if got, sd := float64(sp.TrainStats.Rows), math.Sqrt(float64(n)*s.Share*(1-s.Share)); math.Abs(got-float64(max)) > 4*sd {
		t.Errorf("%v training rows sampled, want %d ± %.0f", got, max, 4*sd)
	}
	if sp.TrainStats.Rows != sp.Train.Len() || sp.ValidStats.Rows != sp.Valid.Len() {
		t.Errorf("stats %d/%d rows, datasets %d/%d", sp.TrainStats.Rows, sp.ValidStats.Rows, sp.Train.Len(), sp.Valid.Len())
	}
	if v := float64(sp.ValidStats.Rows) / float64(whole.ValidStats.Rows); math.Abs(v-s.Share) > 0.1 {
		t.Errorf("validation keeps %.2f of its rows, want about %.2f", v, s.Share)
	}

	type key struct {
		id string
		w  Date
	}
	keys := func(ds *Dataset) map[key]bool {
		m := map[key]bool{}
		for i := range ds.Len() {
			m[key{ds.AccountID[i], ds.Week[i]}] = true
		}
		return m
	}
	// The same cap on a table built again takes the same rows.
	again := buildRows(t, rows)
	if _, err := again.CapRows(ctx, opt, max); err != nil {
		t.Fatal(err)
	}
	sp2, err := again.Split(opt)
	if err != nil {
		t.Fatal(err)
	}
	first, second := keys(sp.Train), keys(sp2.Train)
	if len(first) != len(second) {
		t.Fatalf("%d rows sampled, then %d", len(first), len(second))
	}
	for k := range first {
		if !second[k] {
			t.Fatalf("row %v sampled once, not again", k)
		}
	}

	matured, _, err := tab.Matured(ctx, opt.Horizon, tab.Last-Date(7*opt.Horizon))
	if err != nil {
		t.Fatal(err)
	}
	m := keys(matured)
	for _, side := range []*Dataset{sp.Train, sp.Valid} {
		for k := range keys(side) {
			if !m[k] {
				t.Fatalf("sampled row %v not in the matured rows", k)
			}
		}
	}
	all := keys(whole.Train)
	out := 0
	for k := range all {
		if !first[k] && m[k] {
			t.Fatalf("row %v left out of the sample is in the matured rows", k)
		}
		if !first[k] {
			out++
		}
	}
	if out == 0 {
		t.Fatal("nothing left out")
	}
	// Weeks of one account are kept independently: no account keeps
	// every one of its training weeks or none of them throughout.
	perAccount := map[string]int{}
	for k := range first {
		perAccount[k.id]++
	}
	if len(perAccount) < whole.TrainStats.Accounts/2 {
		t.Errorf("the sample reaches %d of %d accounts: weeks are sampled by account", len(perAccount), whole.TrainStats.Accounts)
	}
}
