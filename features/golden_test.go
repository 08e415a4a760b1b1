package features_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
)

// TestGoldenHistory checks every feature of a hand-made history against
// values worked out by hand (the golden file's comments show the sums).
func TestGoldenHistory(t *testing.T) {
	tab, err := features.Build(context.Background(), csvfile.Source("../testdata/features/history.csv"), features.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := tab.Dataset(nil)
	want := readGolden(t, "../testdata/features/history_features.golden.csv")
	if g, w := strings.Join(got.Features, ","), strings.Join(want.header[2:], ","); g != w {
		t.Fatalf("feature columns\n got %s\nwant %s", g, w)
	}
	if got.Len() != len(want.rows) {
		t.Fatalf("%d rows, want %d", got.Len(), len(want.rows))
	}
	for i, row := range want.rows {
		key := row[0] + " " + row[1]
		if k := got.AccountID[i] + " " + got.Week[i].String(); k != key {
			t.Fatalf("row %d is %s, want %s", i, k, key)
		}
		for j, cell := range row[2:] {
			w, _ := strconv.ParseFloat(cell, 64)
			g := got.Row(i)[j]
			if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > 1e-6 {
				t.Errorf("%s %s = %v, want %v", key, got.Features[j], g, w)
			}
		}
	}
}

type golden struct {
	header []string
	rows   [][]string
}

func readGolden(t *testing.T, path string) golden {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return golden{header: recs[0], rows: recs[1:]}
}
