package store

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestTermPlanWeighsAsFeatures checks that a termPlan weighs a text as
// features.weigh does, bit for bit.
func TestTermPlanWeighsAsFeatures(t *testing.T) {
	texts := [][2]string{
		{"NEC hit by cyberattack", "NEC said files were accessed. The Defense Ministry said 2019 files of NEC were stolen by hackers."},
		{"", "Saab received an order for four Gripen fighters, Saab said on Monday."},
		{"Ünïcode Straße", "Die Straße in München: Ünïcode and ASCII words, Ärger über Hacker."},
		{"the a of", ""},
	}
	idf := func(w string) float64 { return 1 + float64(hashTerm(w)%7)/3 }
	for _, tc := range texts {
		f := articleFeatures(tc[0], tc[1])
		want := f.weigh(idf)
		p := f.plan()
		w := make([]float64, len(p.uni))
		for i, h := range p.uni {
			// idf by hash: the plan's words are the features' words.
			for word := range f.uni {
				if hashTerm(word) == h {
					w[i] = idf(word)
				}
			}
		}
		got := p.weigh(w)
		if len(got) != len(want) {
			t.Fatalf("%q: %d terms, want %d", tc[0], len(got), len(want))
		}
		for i := range got {
			if got[i].h != want[i].h || got[i].w != want[i].w {
				t.Fatalf("%q: term %d = %v, want %v", tc[0], i, got[i], want[i])
			}
		}
	}
}

// TestTopAndTruncateBySelection checks top and truncate against a full sort.
func TestTopAndTruncateBySelection(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := r.IntN(600)
		v := make(vector, 0, n)
		for range n {
			// Few distinct weights: many ties broken by hash.
			v = append(v, term{h: r.Uint32(), w: float32(r.IntN(20)) / 7})
		}
		v = v.normalizeOrder()
		full := slices.Clone(v)
		slices.SortFunc(full, stronger)
		for _, k := range []int{1, 5, 16, 32, 33, 64, 200, len(v), len(v) + 3} {
			if k <= 0 {
				continue
			}
			want := full[:min(k, len(full))]
			if got := v.top(k); !slices.Equal(got, want) {
				t.Fatalf("top(%d) of %d terms differs", k, len(v))
			}
			wantT := v
			if len(v) > k {
				wantT = slices.Clone(want).normalizeOrder()
			}
			if got := v.truncate(k); !slices.Equal(got, wantT) {
				t.Fatalf("truncate(%d) of %d terms differs", k, len(v))
			}
		}
	}
}

// TestHashesAsFNV checks the inlined FNV-1a hashes against hash/fnv.
func TestHashesAsFNV(t *testing.T) {
	for _, w := range []string{"", "a", "NEC", "Mitsubishi", "mIxEd09", "Straße", "ÜNÏCODE", "İstanbul", "ǅemal"} {
		h32 := fnv.New32a()
		h32.Write([]byte(w))
		if got := hashTerm(w); got != h32.Sum32() {
			t.Errorf("hashTerm(%q) = %x, want %x", w, got, h32.Sum32())
		}
		if got := hashBytes([]byte(w)); got != h32.Sum32() {
			t.Errorf("hashBytes(%q) = %x, want %x", w, got, h32.Sum32())
		}
		h64 := fnv.New64a()
		h64.Write([]byte(strings.ToLower(w)))
		if got := hashLower64(w); got != h64.Sum64() {
			t.Errorf("hashLower64(%q) = %x, want %x", w, got, h64.Sum64())
		}
	}
}

// TestTopVoted checks topVoted against summing votes in a map.
func TestTopVoted(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		var postings, primary []int64
		votes := map[int64]int{}
		for range r.IntN(16) {
			seen := map[int64]bool{}
			for range r.IntN(postingLimit) {
				id := 1 + r.Int64N(200)
				if !seen[id] {
					seen[id] = true
					postings = append(postings, id)
					votes[id]++
				}
			}
		}
		for range r.IntN(primaryCandidates) {
			id := 1 + r.Int64N(300)
			if !slices.Contains(primary, id) {
				primary = append(primary, id)
				votes[id] += queryTerms
			}
		}
		var want []int64
		for id := range votes {
			want = append(want, id)
		}
		slices.SortFunc(want, func(a, b int64) int {
			if votes[a] != votes[b] {
				return votes[b] - votes[a]
			}
			return int(b - a)
		})
		want = want[:min(len(want), maxCandidates)]
		if got := topVoted(slices.Clone(postings), primary); !slices.Equal(got, want) {
			t.Fatalf("topVoted = %v, want %v", got, want)
		}
	}
}

// BenchmarkPrepareText measures the clusterer's per-report text work (on
// the import's workers) on a generated report of ~140 words:
//
//	go test ./store -run '^$' -bench PrepareText -benchmem
func BenchmarkPrepareText(b *testing.B) {
	title := "Torzel Systems says hackers accessed 27445 files in supply-chain attack"
	var text strings.Builder
	for i := range 12 {
		fmt.Fprintf(&text, "Torzel Systems said on Tuesday that intruders had copied %d engineering files from servers in Kallon, and that the Defense Ministry had been told of attack number %d. ", 1000+i, i)
	}
	for b.Loop() {
		prepareText(title, text.String())
	}
}
