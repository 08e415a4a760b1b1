package features

import (
	"context"
	"fmt"
)

// Matured returns every row up to week last whose label over horizon
// weeks is known, labelled, with its period: the rows a model is refitted
// on once validation has chosen it. last is normally the latest week
// whose label has matured, Last - horizon, which is also where the
// validation weeks of Split end; a later row's label could still change
// (a negative is only known once the account is seen horizon weeks on),
// so it is not taken even when it is already positive.
func (t *Table) Matured(ctx context.Context, horizon int, last Date) (*Dataset, Period, error) {
	if !t.HasChurned {
		return nil, Period{}, fmt.Errorf("the snapshots have no churned column: it is required to label training rows")
	}
	if horizon < 1 {
		return nil, Period{}, fmt.Errorf("horizon %d: want at least 1 week", horizon)
	}
	if matured := t.Last - Date(7*horizon); last > matured {
		return nil, Period{}, fmt.Errorf("week %s is after the last week whose %d-week label has matured, %s", last, horizon, matured)
	}
	labels := make([]int8, t.Len())
	n := 0
	for i, w := range t.week {
		if i%splitCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, Period{}, err
			}
		}
		labels[i] = Censored
		if w <= last && t.keeps(i) {
			if labels[i] = int8(t.Label(i, horizon)); labels[i] != Censored {
				n++
			}
		}
	}
	ds := t.newDataset(n)
	var p Period
	accounts := map[int32]bool{}
	for i, y := range labels {
		if y == Censored {
			continue
		}
		t.appendRow(ds, i)
		ds.Label = append(ds.Label, float64(y))
		p.add(t.week[i], int(y))
		accounts[t.account[i]] = true
	}
	p.Accounts = len(accounts)
	if p.Rows == 0 || p.Positives == 0 || p.Positives == p.Rows {
		return nil, Period{}, fmt.Errorf("the rows up to %s have %d labels with %d churn positives: both classes are needed", last, p.Rows, p.Positives)
	}
	return ds, p, nil
}
