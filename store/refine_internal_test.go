package store

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// randomItems returns n reports with random vectors over a small
// vocabulary (so that many pairs share terms), primaries from a few
// companies or none, relevances on both sides of the incident bounds, and
// times spread over twice the story window.
func randomItems(r *rand.Rand, n int, window time.Duration) []refineItem {
	companies := []string{"", "", "NEC", "Mitsubishi Electric", "Pasco"}
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	items := make([]refineItem, n)
	for i := range items {
		f := newFeatures()
		for range 5 + r.IntN(40) {
			f.uni[fmt.Sprintf("w%d", r.IntN(60))] += 1
		}
		items[i] = refineItem{
			r: report{id: int64(i + 1), title: fmt.Sprintf("t%d", i), primary: companies[r.IntN(len(companies))],
				relevance: []float64{0.1, 0.4, 0.8}[r.IntN(3)], seen: t0.Add(time.Duration(r.Int64N(int64(2 * window))))},
			vec:   f.weigh(func(string) float64 { return 1 + r.Float64() }),
			story: int64(i / 3),
		}
	}
	return items
}

// TestSecondOrderMatchesReference checks the refinement's fast path (dense
// look-ups on every core, k nearest kept by insertion) against the plain
// computation it replaced: dot of every allowed pair, rows sorted whole.
func TestSecondOrderMatchesReference(t *testing.T) {
	c := &clusterTx{window: 14 * 24 * time.Hour}
	hubs := 0
	for seed := range 20 {
		items := randomItems(rand.New(rand.NewPCG(uint64(seed), 1)), 2+seed*15, c.window)
		if seed%4 == 3 {
			// Beyond the years compared in nanoseconds: the slow path.
			for i := range items {
				items[i].r.seen = items[i].r.seen.AddDate(300, 0, 0)
			}
		}
		sim, flags := c.secondOrder(items)
		wantSim, wantFlags, h := referenceSecondOrder(c, items)
		hubs += h
		for i := range items {
			if len(sim[i]) != len(wantSim[i]) {
				t.Fatalf("seed %d: report %d has %d second-order links, want %d", seed, i, len(sim[i]), len(wantSim[i]))
			}
			for j, w := range wantSim[i] {
				if got := sim[i][j]; math.Abs(got-w) > 1e-12 {
					t.Fatalf("seed %d: sim[%d][%d] = %v, want %v", seed, i, j, got, w)
				}
			}
			if !maps.Equal(flags[i], wantFlags[i]) {
				t.Fatalf("seed %d: report %d: pair flags %v, want %v", seed, i, flags[i], wantFlags[i])
			}
		}
	}
	if hubs == 0 {
		t.Error("no report was a hub (nearest of more than maxHub others): the cap is untested")
	}
}

// TestAverageLinkMatchesReference checks the heap-driven merge against the
// plain loop that rescans every pair after each merge.
func TestAverageLinkMatchesReference(t *testing.T) {
	c := &clusterTx{window: 14 * 24 * time.Hour}
	merged := 0
	for seed := range 40 {
		items := randomItems(rand.New(rand.NewPCG(uint64(seed), 2)), 2+seed*5, c.window)
		sim, flags := c.secondOrder(items)
		sim2, flags2 := c.secondOrder(items) // the merge consumes its input
		got := c.averageLinkConstrained(items, sim, flags)
		want := referenceAverageLink(c, items, sim2, flags2)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: labels\n got %v\nwant %v", seed, got, want)
		}
		for i, l := range got {
			if l != i {
				merged++
			}
		}
	}
	if merged == 0 {
		t.Fatal("no report was merged in any case: the test exercises nothing")
	}
}

func referenceSecondOrder(c *clusterTx, items []refineItem) (sim []map[int]float64, flags []map[int]pairFlags, hubs int) {
	n := len(items)
	cos := make([][]float64, n)
	flags = make([]map[int]pairFlags, n)
	for i := range cos {
		cos[i] = make([]float64, n)
		flags[i] = map[int]pairFlags{}
	}
	for i := range items {
		for j := i + 1; j < n; j++ {
			a, b := &items[i].r, &items[j].r
			if a.primary != "" && b.primary != "" && a.primary != b.primary {
				continue
			}
			if d := a.seen.Sub(b.seen); d > c.window || -d > c.window {
				continue
			}
			w := dot(items[i].vec, items[j].vec)
			if w <= 0 {
				continue
			}
			cos[i][j], cos[j][i] = w, w
			thr := joinThreshold
			if a.primary != "" && a.primary == b.primary {
				thr = samePrimaryThreshold
			}
			if w >= linkFloor {
				flags[i][j] |= linked
			}
			if w >= thr {
				flags[i][j] |= strong
			}
			flags[j][i] = flags[i][j]
			if flags[i][j] == 0 {
				delete(flags[i], j)
				delete(flags[j], i)
			}
		}
	}
	rows := make([][]neighbour, n)
	for i := range items {
		var sims []neighbour
		for j, w := range cos[i] {
			if w > 0 && j != i {
				sims = append(sims, neighbour{j, w})
			}
		}
		slices.SortFunc(sims, func(a, b neighbour) int {
			if a.w != b.w {
				return cmp.Compare(b.w, a.w)
			}
			return a.j - b.j
		})
		rows[i] = append([]neighbour{{i, 1}}, sims[:min(len(sims), refineK)]...)
	}
	inRows := map[int]int{}
	for _, row := range rows {
		for _, e := range row {
			inRows[e.j]++
		}
	}
	for _, k := range inRows {
		if k > maxHub {
			hubs++
		}
	}
	sim = make([]map[int]float64, n)
	for i := range sim {
		sim[i] = map[int]float64{}
		for j := range n {
			if i == j {
				continue
			}
			var d, ni, nj float64
			shared := false
			for _, a := range rows[i] {
				ni += a.w * a.w
				for _, b := range rows[j] {
					if a.j == b.j && inRows[a.j] <= maxHub {
						d += a.w * b.w
						shared = true
					}
				}
			}
			for _, b := range rows[j] {
				nj += b.w * b.w
			}
			if shared {
				sim[i][j] = d / (math.Sqrt(ni) * math.Sqrt(nj))
			}
		}
	}
	for i := range flags {
		for j := range flags[i] {
			if _, ok := sim[i][j]; !ok {
				delete(flags[i], j)
			}
		}
	}
	return sim, flags, hubs // summed in another order: equal to within rounding
}

// referenceAverageLink is the merge loop before the heap: after every
// merge, scan all pairs for the best allowed average.
func referenceAverageLink(c *clusterTx, items []refineItem, sim []map[int]float64, flags []map[int]pairFlags) []int {
	n := len(items)
	type group struct {
		size        int
		primary     string
		relevance   float64
		first, last time.Time
		links       map[int]float64
		flags       map[int]pairFlags
	}
	gs := make([]*group, n)
	label := make([]int, n)
	for i, it := range items {
		label[i] = i
		gs[i] = &group{size: 1, primary: it.r.primary, relevance: it.r.relevance, first: it.r.seen, last: it.r.seen, links: sim[i], flags: flags[i]}
	}
	ok := func(a *group, j int, b *group) bool {
		if (a.primary == "" || b.primary == "") && incidentApart(a.relevance, b.relevance) {
			return false
		}
		if a.flags[j]&linked == 0 {
			return false
		}
		if (a.primary == "") != (b.primary == "") && a.flags[j]&strong == 0 {
			return false
		}
		if a.primary != "" && b.primary != "" && a.primary != b.primary {
			return false
		}
		return !b.first.After(a.last.Add(c.window)) && !a.first.After(b.last.Add(c.window))
	}
	for {
		bi, bj, best := -1, -1, refineThreshold
		for i, g := range gs {
			if g == nil {
				continue
			}
			for j, s := range g.links {
				if j <= i {
					continue
				}
				avg := s / float64(g.size*gs[j].size)
				if (avg > best || (avg == best && (bi < 0 || i < bi || (i == bi && j < bj)))) && ok(g, j, gs[j]) {
					bi, bj, best = i, j, avg
				}
			}
		}
		if bi < 0 {
			return label
		}
		a, b := gs[bi], gs[bj]
		a.size += b.size
		if a.primary == "" {
			a.primary = b.primary
		}
		a.relevance = max(a.relevance, b.relevance)
		if b.first.Before(a.first) {
			a.first = b.first
		}
		if b.last.After(a.last) {
			a.last = b.last
		}
		delete(a.links, bj)
		for k, s := range b.links {
			if k == bi {
				continue
			}
			a.links[k] += s
			gs[k].links[bi] += s
			delete(gs[k].links, bj)
		}
		delete(a.flags, bj)
		for k, f := range b.flags {
			if k == bi {
				continue
			}
			a.flags[k] |= f
			gs[k].flags[bi] |= f
			delete(gs[k].flags, bj)
		}
		gs[bj] = nil
		for i := range label {
			if label[i] == bj {
				label[i] = bi
			}
		}
	}
}

// BenchmarkSecondOrder measures the refinement's quadratic step on a
// part of 1,000 reports that may all join (one window, no primary
// companies), with vectors of 150 terms from a 5,000-word vocabulary:
//
//	go test ./store -run '^$' -bench SecondOrder
func BenchmarkSecondOrder(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	items := make([]refineItem, 1000)
	for i := range items {
		f := newFeatures()
		for range 150 {
			f.uni[fmt.Sprintf("w%d", r.IntN(5000))] += 1
		}
		items[i] = refineItem{
			r:   report{id: int64(i + 1), seen: t0.Add(time.Duration(r.IntN(7*24)) * time.Hour)},
			vec: f.weigh(func(string) float64 { return 1 + r.Float64() }),
		}
	}
	c := &clusterTx{window: DefaultStoryWindow}
	for b.Loop() {
		c.secondOrder(items)
	}
}
