package features

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestBuildObserve: the observer of the pass Build completes sees every
// row in file order, then the end, from one open of a file in week order;
// a file out of order is read again and observed afresh; an error of the
// observer stops Build.
func TestBuildObserve(t *testing.T) {
	sorted := numberRows(slices.Concat(weekly("x", monday, 6), weekly("y", monday+7, 4)))
	unsorted := slices.Clone(sorted)
	unsorted[2], unsorted[4] = unsorted[4], unsorted[2]
	errStop := errors.New("stop")
	for _, c := range []struct {
		name            string
		rows            []Snapshot
		failSchema      bool
		failRow         int // file row the observer rejects; 0 for none
		failEnd         bool
		opens, observes int
		wantErr         error
	}{
		{name: "in week order", rows: sorted, opens: 1, observes: 1},
		{name: "out of order", rows: unsorted, opens: 2, observes: 2},
		{name: "schema rejected", rows: sorted, failSchema: true, opens: 1, observes: 1, wantErr: errStop},
		{name: "row rejected", rows: sorted, failRow: sorted[3].Row, opens: 1, observes: 1, wantErr: errStop},
		{name: "end rejected", rows: sorted, failEnd: true, opens: 1, observes: 1, wantErr: errStop},
		{name: "end rejected out of order", rows: unsorted, failEnd: true, opens: 2, observes: 2, wantErr: errStop},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := memSource(testSchema, c.rows)
			opens := 0
			open := src.Open
			src.Open = func() (SnapshotReader, error) { opens++; return open() }
			observes := 0
			var o *testObserver
			tab, err := Build(context.Background(), src, BuildOptions{Observe: func(s Schema) (Observer, error) {
				observes++
				if !slices.Equal(s.Extras, testSchema.Extras) {
					t.Errorf("schema %+v, want the file's", s)
				}
				if c.failSchema {
					return nil, errStop
				}
				o = &testObserver{failRow: c.failRow, failEnd: c.failEnd, err: errStop} // a new pass starts over
				return o, nil
			}})
			if opens != c.opens || observes != c.observes {
				t.Errorf("%d opens, %d passes observed; want %d, %d", opens, observes, c.opens, c.observes)
			}
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) || tab != nil {
					t.Errorf("error %v, want %v and no table", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []int
			for _, s := range c.rows {
				want = append(want, s.Row)
			}
			if !slices.Equal(o.seen, want) || o.ends != 1 {
				t.Errorf("observed rows %v and %d ends, want every row in file order %v, then one end", o.seen, o.ends, want)
			}
			if tab.Len() != len(c.rows) {
				t.Errorf("table of %d rows, want %d", tab.Len(), len(c.rows))
			}
		})
	}
}

// testObserver records the rows it sees and fails where told.
type testObserver struct {
	failRow int
	failEnd bool
	err     error
	seen    []int
	ends    int
}

func (o *testObserver) Row(s *Snapshot) error {
	if s.Row == o.failRow {
		return o.err
	}
	o.seen = append(o.seen, s.Row)
	return nil
}

func (o *testObserver) End(context.Context) error {
	o.ends++
	if o.failEnd {
		return o.err
	}
	return nil
}
