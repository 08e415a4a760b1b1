package features

import (
	"context"
	"fmt"
	"math"
)

// Sample says which share of a table's labelled account-weeks its
// training datasets keep (see Table.CapRows).
type Sample struct {
	// Share is the share of account-weeks kept, in (0, 1).
	Share float64 `json:"share"`
	// MaxTrainRows is the cap that asked for it.
	MaxTrainRows int `json:"max_train_rows"`
	// TrainRows is the training side's rows before sampling.
	TrainRows int `json:"train_rows_before"`
}

// CapRows samples the table when the out-of-time split that opt places
// would train on more than max rows: every dataset it hands out for
// training afterwards (SplitContext, PlanSplit, Matured, and so the
// backtests and the refit) keeps only the account-weeks whose hash of
// account ID and week falls in the first max/rows of the range, about
// max training rows. Past a few million rows a model gains little from
// more weeks of the same accounts, while every copy of the rows costs
// memory linear in them: at a million accounts over two years the
// training side alone is 36 million float64 rows, 10 GB. The choice
// depends on nothing but the ID and the week, so it is the same in every
// run, a row sampled for training is sampled for the refit too, and the
// churn rate is kept in expectation. It returns nil when nothing needed
// sampling; max <= 0 means no cap.
func (t *Table) CapRows(ctx context.Context, opt SplitOptions, max int) (*Sample, error) {
	t.sample = nil
	if max <= 0 {
		return nil, nil
	}
	p, err := t.PlanSplit(ctx, opt)
	if err != nil {
		return nil, err
	}
	rows := p.Split.TrainStats.Rows
	if rows <= max {
		return nil, nil
	}
	s := &Sample{Share: float64(max) / float64(rows), MaxTrainRows: max, TrainRows: rows}
	t.sample = newRowSample(t, s.Share)
	return s, nil
}

// rowSample is the rule CapRows set: row i is kept when the hash of its
// account and week is below threshold.
type rowSample struct {
	account   []uint64 // per account: hash of its ID
	threshold uint64
}

func newRowSample(t *Table, share float64) *rowSample {
	s := &rowSample{account: make([]uint64, len(t.Accounts)), threshold: uint64(share * math.Exp2(64))}
	for i := range t.Accounts {
		s.account[i] = fnv1a(t.Accounts[i].ID)
	}
	return s
}

// keeps reports whether the sample keeps table row i; a table without a
// sample keeps every row.
func (t *Table) keeps(i int) bool {
	s := t.sample
	if s == nil {
		return true
	}
	return mix64(s.account[t.account[i]]^uint64(uint32(t.week[i]))*0x9e3779b97f4a7c15) < s.threshold
}

// mix64 is SplitMix64's finalizer: the account hash and the week are
// mixed so that neighbouring weeks of one account are kept independently.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// String describes the sample for a command's output.
func (s *Sample) String() string {
	return fmt.Sprintf("a %.1f%% sample of the account-weeks (%d training rows before it; --max-train-rows %d)",
		100*s.Share, s.TrainRows, s.MaxTrainRows)
}
