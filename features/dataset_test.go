package features

import (
	"fmt"
	"slices"
	"testing"
)

// datasetRows lists every row of ds as one string, in order, so two datasets
// compare by their rows whole: id, week, label and values.
func datasetRows(ds *Dataset) []string {
	out := make([]string, ds.Len())
	for i := range out {
		label := "-"
		if ds.Label != nil {
			label = fmt.Sprint(ds.Label[i])
		}
		out[i] = fmt.Sprint(ds.AccountID[i], ds.Week[i], label, ds.Row(i))
	}
	return out
}

// weeklyRows returns a dataset of two features whose rows have the weeks
// given, each row's values telling it apart.
func weeklyRows(weeks []Date, labelled bool) *Dataset {
	ds := &Dataset{Features: []string{"a", "b"}}
	for i, w := range weeks {
		ds.Append(fmt.Sprintf("acc-%d", i%3), w, []float64{float64(i), float64(10 * i)})
		if labelled {
			ds.Label = append(ds.Label, float64(i%2))
		}
	}
	return ds
}

func TestSortByWeek(t *testing.T) {
	for _, tc := range []struct {
		name     string
		weeks    []Date
		labelled bool
	}{
		{"empty", nil, true},
		{"sorted", []Date{7, 7, 14, 21}, true},
		{"reversed", []Date{21, 14, 7, 0}, true},
		{"account-major", []Date{0, 7, 14, 0, 7, 14, 0, 7, 14}, true},
		{"one long cycle", []Date{7, 14, 21, 28, 0}, true},
		{"unlabelled", []Date{14, 0, 7, 0}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := weeklyRows(tc.weeks, tc.labelled)
			// The expectation, by a stable sort of whole rows.
			want := datasetRows(ds)
			order := make([]int, len(want))
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int { return int(ds.Week[a] - ds.Week[b]) })
			sorted := make([]string, len(want))
			for k, i := range order {
				sorted[k] = want[i]
			}
			ds.SortByWeek()
			if err := ds.Check(); err != nil {
				t.Fatal(err)
			}
			if got := datasetRows(ds); !slices.Equal(got, sorted) {
				t.Errorf("rows\n got %q\nwant %q", got, sorted)
			}
		})
	}
}

func TestRotateAndSlice(t *testing.T) {
	weeks := []Date{0, 7, 14, 21, 28, 35}
	for k := range len(weeks) + 1 {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			ds := weeklyRows(weeks, true)
			before := datasetRows(ds)
			ds.Rotate(k)
			if got, want := datasetRows(ds), append(slices.Clone(before[k:]), before[:k]...); !slices.Equal(got, want) {
				t.Fatalf("rotated by %d:\n got %q\nwant %q", k, got, want)
			}
			// The rows after the first k, then the first k: one slice.
			if got, want := datasetRows(ds.Slice(len(weeks)-k, len(weeks))), before[:k]; !slices.Equal(got, want) {
				t.Errorf("slice of the rows moved: got %q, want %q", got, want)
			}
			ds.Rotate(len(weeks) - k)
			if got := datasetRows(ds); !slices.Equal(got, before) {
				t.Errorf("rotated back: got %q, want %q", got, before)
			}
		})
	}
}

func TestSliceSharesRows(t *testing.T) {
	ds := weeklyRows([]Date{0, 7, 14, 21}, true)
	s := ds.Slice(1, 3)
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 || s.Week[0] != 7 || s.Row(1)[1] != 20 {
		t.Fatalf("slice 1:3 = %q", datasetRows(s))
	}
	s.X[0] = -1
	if ds.Row(1)[0] != -1 {
		t.Error("a slice's values are not the dataset's")
	}
	// Appending to a slice must not write over the rows after it.
	s.Append("x", 99, []float64{5, 5})
	if ds.Week[3] != 21 || ds.Row(3)[0] != 3 {
		t.Errorf("appending to a slice changed the row after it: %q", datasetRows(ds))
	}
}
