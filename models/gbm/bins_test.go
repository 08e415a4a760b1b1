package gbm

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

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
			for i, r := range b.order {
				if got := storedBin(g, &fb, i); got != wantBins[f][r] {
					t.Errorf("workers %d: feature %d row %d in bin %d, want %d", workers, f, r, got, wantBins[f][r])
				}
				if got := int(b.column(f)[i]); got != wantBins[f][r] {
					t.Errorf("workers %d: feature %d row %d in column bin %d, want %d", workers, f, r, got, wantBins[f][r])
				}
			}
		}
		if b.histSize != wantEntries {
			t.Errorf("histogram size %d, want %d", b.histSize, wantEntries)
		}
		// Rows 0, 1 and 3 store one bin each (outside the modes), row 2
		// two: sorted by that, in the training order among equals.
		if want := []int32{0, 1, 3, 2}; !slices.Equal(b.order, want) {
			t.Errorf("workers %d: rows in the order %v, want %v", workers, b.order, want)
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
	for i, r := range b.order {
		want := binOf(fb.cuts, x[r])
		if got := int(b.column(0)[i]); got != want {
			t.Fatalf("row %d: column bin %d, want %d", r, got, want)
		}
		if got := storedBin(g, fb, i); got != want {
			t.Fatalf("row %d: group bin %d, want %d", r, got, want)
		}
	}
}

// storedBin reads back the bin of feature fb in row i (of the binned
// order) from its group: the mode unless the row stores another.
func storedBin(g *featureGroup, fb *featureBins, i int) int {
	for _, e := range g.row(i) {
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

// TestRowOrder checks that the order the binned rows are kept in does
// not change the model, bit for bit, row and feature sampling included:
// the histograms are integer sums, and the dither and the sample follow
// the training rows.
func TestRowOrder(t *testing.T) {
	train, _ := synthetic(6_000, 12, 41)
	for _, p := range []Params{
		{Trees: 15, Depth: 5, LearningRate: 0.3, Threads: 2},
		{Trees: 15, Depth: 5, LearningRate: 0.3, Threads: 2, Subsample: 0.6, ColSample: 0.7, Seed: 9},
	} {
		p, err := p.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		pos, err := checkTraining(train)
		if err != nil {
			t.Fatal(err)
		}
		base := math.Log(float64(pos) / float64(train.Len()-pos))
		grow := func(data *binned) []tree.Tree {
			b := newBooster(p, data, train.Label, base, nil)
			var trees []tree.Tree
			for tr := range p.Trees {
				trees = append(trees, b.grow(tr))
			}
			return trees
		}
		bin := func() *binned { return binFeatures(train.X, train.Len(), len(train.Features), p.MaxBins, p.Threads) }
		want := grow(bin())
		rng := rand.New(rand.NewPCG(1, 2))
		orders := map[string][]int32{"training": make([]int32, train.Len()), "shuffled": make([]int32, train.Len())}
		for r := range train.Len() {
			orders["training"][r], orders["shuffled"][r] = int32(r), int32(r)
		}
		rng.Shuffle(train.Len(), func(i, j int) {
			orders["shuffled"][i], orders["shuffled"][j] = orders["shuffled"][j], orders["shuffled"][i]
		})
		for name, order := range orders {
			data := bin()
			reorder(data, order)
			if got := grow(data); !reflect.DeepEqual(got, want) {
				t.Errorf("%+v: rows in %s order grow other trees", p, name)
			}
		}
	}
}

// reorder puts the rows of b in the given order of training rows.
func reorder(b *binned, order []int32) {
	inTraining := make([]uint8, len(b.columns))
	for f := range b.features {
		for i, r := range b.order {
			inTraining[f*b.rows+int(r)] = b.column(f)[i]
		}
	}
	for f := range b.features {
		for i, r := range order {
			b.columns[f*b.rows+i] = inTraining[f*b.rows+int(r)]
		}
	}
	b.order = order
	for g := range b.groups {
		b.fillGroup(&b.groups[g], b.storedBins(&b.groups[g], 1), 1)
	}
}

// TestChunks checks that the booster's chunks of features, merged and
// searched side by side, cover every feature in order and hold about as
// many histogram entries each.
func TestChunks(t *testing.T) {
	// Ten features of 256 bins, then 17 of three, as in churn data, and
	// blocks of rows enough for every worker.
	rows := 4 * blockRows
	x := make([]float64, 0, rows*27)
	for r := range rows {
		for f := range 27 {
			v := float64(r % 3)
			if f < 10 {
				v = float64(r)
			}
			x = append(x, v)
		}
	}
	data := binFeatures(x, rows, 27, 255, 2)
	for _, threads := range []int{1, 2, 3, 4} {
		p, err := Params{Threads: threads}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		b := newBooster(p, data, make([]float64, rows), 0, nil)
		next := 0
		for _, c := range b.chunks {
			if c.first != next || c.end <= c.first {
				t.Fatalf("threads %d: chunks %v do not cover the features in order", threads, b.chunks)
			}
			entries := data.features[c.end-1].offset + data.features[c.end-1].bins() - data.features[c.first].offset
			if len(b.chunks) != threads {
				t.Fatalf("threads %d: %d chunks", threads, len(b.chunks))
			}
			if want := data.histSize / threads; entries > want+256 || entries < want-256 {
				t.Errorf("threads %d: chunk %v holds %d entries, want about %d", threads, c, entries, want)
			}
			next = c.end
		}
		if next != 27 {
			t.Fatalf("threads %d: chunks %v end at feature %d, want 27", threads, b.chunks, next)
		}
	}
}

// TestBinGrid checks that a feature's grid gives the bins a search of
// its cuts gives, for values inside and outside its range, on the edges
// of its cells and between.
func TestBinGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	samples := map[string][]float64{}
	for range 20_000 {
		samples["normal"] = append(samples["normal"], rng.NormFloat64())
		samples["skewed"] = append(samples["skewed"], math.Exp(4*rng.NormFloat64()))
		samples["counts"] = append(samples["counts"], float64(rng.IntN(500)))
		samples["tiny"] = append(samples["tiny"], 1+float64(rng.IntN(100))*0x1p-52)
	}
	for name, sample := range samples {
		slices.Sort(sample)
		fb := featureBins{cuts: cutPoints(sample, 255)}
		fb.makeGrid(sample)
		if fb.grid == nil {
			t.Fatalf("%s: no grid", name)
		}
		values := []float64{math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, 0, math.Copysign(0, -1),
			fb.gridLo, fb.gridHi, math.Nextafter(fb.gridHi, 0), math.Nextafter(fb.gridLo, math.Inf(-1))}
		values = append(values, fb.cuts...)
		for _, c := range fb.cuts {
			values = append(values, math.Nextafter(c, math.Inf(-1)), math.Nextafter(c, math.Inf(1)))
		}
		for c := range gridCells + 1 {
			edge := fb.gridLo + float64(c)/fb.gridScale
			values = append(values, edge, math.Nextafter(edge, math.Inf(-1)), math.Nextafter(edge, math.Inf(1)))
		}
		for range 20_000 {
			values = append(values, sample[rng.IntN(len(sample))]*(1+1e-9*rng.NormFloat64()))
		}
		for _, v := range values {
			if got, want := fb.bin(v), binOf(fb.cuts, v); got != want {
				t.Fatalf("%s: bin(%v) = %d, want %d", name, v, got, want)
			}
		}
	}
}

func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var rk radixKeys
	for _, n := range []int{0, 1, 2, 3, 100, 5000} {
		for _, kind := range []string{"normal", "counts", "specials", "same"} {
			x := make([]float64, n)
			for i := range x {
				switch kind {
				case "normal":
					x[i] = rng.NormFloat64() * math.Exp(rng.NormFloat64()*10)
				case "counts":
					x[i] = float64(rng.IntN(20))
				case "specials":
					x[i] = []float64{math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.MaxFloat64,
						-math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 1, -1}[rng.IntN(10)]
				case "same":
					x[i] = 7
				}
			}
			want := slices.Clone(x)
			slices.Sort(want)
			rk.sort(x)
			if !slices.Equal(x, want) { // -0 == +0, in either order
				t.Fatalf("%s, %d values: sorted wrong", kind, n)
			}
		}
	}
}
