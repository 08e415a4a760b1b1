package gbm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/tree"
)

func TestCutPoints(t *testing.T) {
	inf := math.Inf(1)
	tiny := math.SmallestNonzeroFloat64
	tests := []struct {
		name    string
		values  []float64
		maxBins int
		want    []float64
	}{
		{"empty", nil, 4, nil},
		{"constant", []float64{3, 3, 3}, 4, nil},
		{"midpoints", []float64{0, 0, 1, 2, 2, 4}, 4, []float64{0.5, 1.5, 3}},
		{"negative", []float64{-3, -1}, 4, []float64{-2}},
		{"adjacent floats", []float64{1, math.Nextafter(1, 2)}, 4, []float64{math.Nextafter(1, 2)}},
		{"subnormals", []float64{0, tiny}, 4, []float64{tiny}},
		{"infinities", []float64{-inf, 0, inf}, 4, []float64{-math.MaxFloat64 / 2, math.MaxFloat64 / 2}},
		{"largest float", []float64{math.MaxFloat64, inf}, 4, nil},
		{"huge", []float64{-math.MaxFloat64, math.MaxFloat64}, 4, []float64{0}},
		// Seven values, three bins: after 0,0,0 (3 of 7 rows, at least a
		// third), the share of the rest is 2 of 4.
		{"quantiles", []float64{0, 0, 0, 1, 2, 3, 4}, 3, []float64{0.5, 2.5}},
		// A value holding most of the rows fills a bin of its own; the
		// rest still splits.
		{"heavy value", []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, 3, []float64{0.5, 2.5}},
		{"two bins", []float64{1, 2, 3, 4, 5, 6}, 2, []float64{3.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cutPoints(tt.values, tt.maxBins)
			if !slices.Equal(got, tt.want) {
				t.Errorf("cutPoints(%v, %d) = %v, want %v", tt.values, tt.maxBins, got, tt.want)
			}
		})
	}
}

// checkCuts checks the invariants Fit relies on for thresholds cut from
// sorted: at most maxBins bins, finite increasing thresholds, and binOf
// agreeing with the raw test v < cut for every value.
func checkCuts(t *testing.T, sorted, cuts []float64, maxBins int) {
	t.Helper()
	if len(cuts) > maxBins-1 {
		t.Fatalf("%d thresholds for %d bins", len(cuts), maxBins)
	}
	for k, c := range cuts {
		if math.IsNaN(c) || math.IsInf(c, 0) || (k > 0 && c <= cuts[k-1]) {
			t.Fatalf("thresholds %v are not finite and increasing", cuts)
		}
	}
	for _, v := range sorted {
		bin := binOf(cuts, v)
		for k, c := range cuts {
			if (bin <= k) != (v < c) {
				t.Fatalf("value %v is in bin %d, but v < threshold %d (%v) is %v", v, bin, k, c, v < c)
			}
		}
	}
}

func TestCutPointsBalanced(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	values := make([]float64, 100_000)
	for i := range values {
		values[i] = rng.NormFloat64()
	}
	slices.Sort(values)
	cuts := cutPoints(values, 255)
	checkCuts(t, values, cuts, 255)
	if len(cuts) != 254 {
		t.Fatalf("%d thresholds for 100,000 distinct values, want 254", len(cuts))
	}
	counts := make([]int, 255)
	for _, v := range values {
		counts[binOf(cuts, v)]++
	}
	// Quantile bins of distinct values hold n/255 = 392 rows, give or
	// take the rounding of the greedy cut.
	if lo, hi := slices.Min(counts), slices.Max(counts); lo < 380 || hi > 410 {
		t.Errorf("bin counts range over [%d, %d], want about 392 each", lo, hi)
	}
}

func FuzzCutPoints(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, uint8(4))
	f.Add([]byte{255, 255, 0, 0, 0, 0, 0, 0, 1, 2}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, bins uint8) {
		maxBins := 2 + int(bins)%254
		// Each 8 bytes are a float64's bits: every value, subnormal and
		// infinite, can occur.
		var values []float64
		for len(data) >= 8 {
			v := math.Float64frombits(uint64(data[0]) | uint64(data[1])<<8 | uint64(data[2])<<16 |
				uint64(data[3])<<24 | uint64(data[4])<<32 | uint64(data[5])<<40 | uint64(data[6])<<48 | uint64(data[7])<<56)
			if v == v {
				values = append(values, v)
			}
			data = data[8:]
		}
		slices.Sort(values)
		checkCuts(t, values, cutPoints(values, maxBins), maxBins)
	})
}

func TestBinFeatures(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	// Two rows per line, three features: a count, a feature that is NaN
	// but once, and one that runs to the largest float.
	x := []float64{
		0, nan, 1,
		1, nan, math.MaxFloat64,
		1, 5, -inf,
		2, nan, 1,
	}
	for _, workers := range []int{1, 2, 3, 5} {
		b := binFeatures(x, 4, 3, 255, workers)
		if len(b.groups) != 1 {
			t.Fatalf("%d groups, want 1", len(b.groups))
		}
		wantBins := [][]int{{0, 1, 1, 2}, {1, 1, 0, 1}, {1, 2, 0, 1}}
		for f, fb := range b.features {
			if fb.mode != 1 {
				t.Errorf("workers %d: feature %d has mode %d, want 1", workers, f, fb.mode)
			}
		}
		wantEntries := 0
		for f, fb := range b.features {
			if fb.offset != wantEntries {
				t.Errorf("feature %d: histogram offset %d, want %d", f, fb.offset, wantEntries)
			}
			wantEntries += fb.bins()
			g := &b.groups[b.group[f]]
			for r := range 4 {
				if got := storedBin(g, &fb, r); got != wantBins[f][r] {
					t.Errorf("workers %d: feature %d row %d in bin %d, want %d", workers, f, r, got, wantBins[f][r])
				}
			}
		}
		if wantEntries += maxSlots(3); b.histSize != wantEntries { // and the sinks
			t.Errorf("histogram size %d, want %d", b.histSize, wantEntries)
		}
		if !b.features[1].missingSplit || b.features[2].missingSplit {
			t.Errorf("missing splits %v %v: want allowed for feature 1 only (feature 2 reaches MaxFloat64)",
				b.features[1].missingSplit, b.features[2].missingSplit)
		}
	}
}

func TestBinFeaturesSampled(t *testing.T) {
	// More rows than cutSample: thresholds come from evenly spaced rows,
	// which skip row 4 of every 5 here. Every row is still binned, and a
	// value only the skipped rows hold still counts.
	rows := cutSample * 5 / 4
	x := make([]float64, rows)
	for r := range x {
		x[r] = float64(r % 1000)
	}
	x[4] = math.MaxFloat64
	b := binFeatures(x, rows, 1, 255, 2)
	fb := &b.features[0]
	if fb.missingSplit {
		t.Error("missing split offered though row 4 holds math.MaxFloat64")
	}
	checkCuts(t, nil, fb.cuts, 255)
	g := &b.groups[0]
	for r, v := range x {
		want := binOf(fb.cuts, v)
		if got := int(b.column(0)[r]); got != want {
			t.Fatalf("row %d: column bin %d, want %d", r, got, want)
		}
		if got := storedBin(g, fb, r); got != want {
			t.Fatalf("row %d: group bin %d, want %d", r, got, want)
		}
	}
}

// storedBin reads back the bin of feature fb in row r from its group:
// the mode unless the row stores another.
func storedBin(g *featureGroup, fb *featureBins, r int) int {
	row := slices.Concat(g.entries[r*g.slots:(r+1)*g.slots], g.overflow[g.overStart[r]:g.overStart[r+1]])
	for _, e := range row {
		if k := int(e) - g.entry(fb, 0); k >= 0 && k < fb.bins() {
			return k
		}
	}
	return fb.mode
}

func TestBinOf(t *testing.T) {
	cuts := []float64{-1, 0, 0.5, 2, 10}
	for _, tt := range []struct {
		v    float64
		want int
	}{{-5, 0}, {-1, 1}, {-0.5, 1}, {0, 2}, {0.49, 2}, {0.5, 3}, {9.99, 4}, {10, 5}, {math.Inf(1), 5}, {math.Inf(-1), 0}} {
		if got := binOf(cuts, tt.v); got != tt.want {
			t.Errorf("binOf(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
	if got := binOf(nil, 3); got != 0 {
		t.Errorf("binOf with no thresholds = %d, want 0", got)
	}
}

// TestSlotLayouts checks that every layout of the bins in slots, with
// the rest in the overflow, grows the same trees, bit for bit: the
// histograms are integer sums, whichever way their entries are stored.
func TestSlotLayouts(t *testing.T) {
	// Most rows have a bin or two outside the modes and a few have many:
	// the cheapest layout overflows.
	rng := rand.New(rand.NewPCG(5, 6))
	ds := &features.Dataset{}
	for j := range 20 {
		ds.Features = append(ds.Features, fmt.Sprint("x", j))
	}
	x := make([]float64, 20)
	for i := range 6_000 {
		for j := range x {
			x[j] = 0
			if i%50 == 0 || rng.IntN(10) == 0 {
				x[j] = float64(rng.IntN(30))
			}
		}
		ds.Append(fmt.Sprint(i), 0, x)
		y := 0.0
		if rng.Float64() < 0.2+0.02*x[0]-0.01*x[3] {
			y = 1
		}
		ds.Label = append(ds.Label, y)
	}
	p, err := Params{Trees: 15, Depth: 5, LearningRate: 0.3, Threads: 2}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	pos, err := checkTraining(ds)
	if err != nil {
		t.Fatal(err)
	}
	base := math.Log(float64(pos) / float64(ds.Len()-pos))
	grow := func(data *binned) []tree.Tree {
		b := newBooster(p, data, ds.Label, base)
		var trees []tree.Tree
		for tr := range p.Trees {
			trees = append(trees, b.grow(tr))
		}
		return trees
	}
	bin := func() *binned { return binFeatures(ds.X, ds.Len(), len(ds.Features), p.MaxBins, p.Threads) }

	data := bin()
	if g := &data.groups[0]; len(g.overflow) == 0 || g.slots == 0 {
		t.Fatalf("%d slots, %d bins in the overflow: the test misses a layout with both", g.slots, len(g.overflow))
	}
	want := grow(data)
	for _, slots := range []int{0, 8, 24} {
		data := bin()
		g := &data.groups[0]
		stored := make([]uint8, ds.Len())
		for r := range stored {
			for f, fb := range data.features {
				if int(data.column(f)[r]) != fb.mode {
					stored[r]++
				}
			}
		}
		data.storeGroup(g, stored, slots, 2)
		for r := range ds.Len() {
			for f := range data.features {
				if got, bin := storedBin(g, &data.features[f], r), int(data.column(f)[r]); got != bin {
					t.Fatalf("%d slots: row %d feature %d in bin %d, want %d", slots, r, f, got, bin)
				}
			}
		}
		if got := grow(data); !reflect.DeepEqual(got, want) {
			t.Errorf("%d slots: the trees differ from those of the cheapest layout", slots)
		}
	}
}
