package store

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text features for clustering. A report becomes a bag of weighted terms:
// lower-cased words (stop words dropped) and pairs of adjacent words, with
// the headline and proper names counting more, because what tells two
// look-alike incidents apart is mostly who and where, not what happened.
const (
	titleWeight  = 4.0 // a headline word counts as this many body words
	nameWeight   = 4.0 // a capitalised word inside a sentence (a name)
	yearWeight   = 8.0 // a year (1900-2099): it pins the incident in time
	bigramWeight = 1.0 // a pair of adjacent kept words
)

// termHash names a term in vectors and in story_terms.
type termHash = uint32

// features are a report's raw term counts: unigrams (whose document
// frequency comes from the full-text index) and bigrams (weighted by the
// rarer of their two words).
type features struct {
	uni map[string]float64
	bi  map[[2]string]float64
}

func newFeatures() features {
	return features{uni: map[string]float64{}, bi: map[[2]string]float64{}}
}

// add counts the words of s with base weight w.
func (f features) add(s string, w float64) {
	sentenceStart := true
	prev := ""
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if r == '.' || r == '!' || r == '?' || r == '\n' || r == ':' {
				sentenceStart = true
			}
			i += size
			continue
		}
		start := i
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			i += size
		}
		word := s[start:i]
		first, _ := utf8.DecodeRuneInString(word)
		isName := unicode.IsUpper(first) && !sentenceStart
		sentenceStart = false
		lw := strings.ToLower(word)
		if utf8.RuneCountInString(lw) < 2 || stopWords[lw] {
			prev = ""
			continue
		}
		ww := w
		switch {
		case isYear(lw):
			ww *= yearWeight
		case isName:
			ww *= nameWeight
		}
		f.uni[lw] += ww
		if prev != "" {
			f.bi[[2]string{prev, lw}] += w * bigramWeight
		}
		prev = lw
	}
}

// articleFeatures counts the words of a report's headline and text.
func articleFeatures(title, text string) features {
	f := newFeatures()
	f.add(title, titleWeight)
	f.add(text, 1)
	return f
}

// hashTerm is the 32-bit FNV-1a hash of s.
func hashTerm(s string) termHash {
	h := uint32(fnvOffset32)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime32
	}
	return h
}

func hashBytes(s []byte) termHash {
	h := uint32(fnvOffset32)
	for _, c := range s {
		h ^= uint32(c)
		h *= fnvPrime32
	}
	return h
}

const (
	fnvOffset32 = 2166136261
	fnvPrime32  = 16777619
)

// term is one weighted dimension of a vector.
type term struct {
	h termHash
	w float32
}

// vector is a sparse TF-IDF vector sorted by term hash.
type vector []term

// idfFunc returns the inverse document frequency of a unigram.
type idfFunc func(word string) float64

// weigh turns raw counts into a unit-length TF-IDF vector: sublinear term
// frequency (1+ln tf) times idf; a bigram takes the larger idf of its words.
func (f features) weigh(idf idfFunc) vector {
	v := make(vector, 0, len(f.uni)+len(f.bi))
	cache := make(map[string]float64, len(f.uni))
	get := func(w string) float64 {
		x, ok := cache[w]
		if !ok {
			x = idf(w)
			cache[w] = x
		}
		return x
	}
	var sum float64
	for w, c := range f.uni {
		x := (1 + math.Log(c)) * get(w)
		sum += x * x
		v = append(v, term{hashTerm(w), float32(x)})
	}
	for b, c := range f.bi {
		x := (1 + math.Log(c)) * max(get(b[0]), get(b[1]))
		sum += x * x
		v = append(v, term{hashTerm(b[0] + " " + b[1]), float32(x)})
	}
	return v.scale(sum).normalizeOrder()
}

// termPlan is features laid out for weighing without hashing: what a
// bulk import's workers compute so that the single writer only looks up
// document frequencies (weighPlan gives what features.weigh gives).
type termPlan struct {
	// uni are the unigrams' hashes, one per distinct word.
	uni []termHash
	// dims are the vector's dimensions before weighing, in hash order: a
	// unigram's or a bigram's sublinear term frequency and the unigrams
	// whose idf weighs it (b is a for a unigram).
	dims []planDim
}

type planDim struct {
	h    termHash
	tf   float64 // 1 + ln(count)
	a, b int32   // indexes in uni
}

// plan lays f out as a termPlan.
func (f features) plan() *termPlan {
	p := &termPlan{uni: make([]termHash, 0, len(f.uni)), dims: make([]planDim, 0, len(f.uni)+len(f.bi))}
	index := make(map[string]int32, len(f.uni))
	for w, c := range f.uni {
		i := int32(len(p.uni))
		index[w] = i
		h := hashTerm(w)
		p.uni = append(p.uni, h)
		p.dims = append(p.dims, planDim{h: h, tf: 1 + math.Log(c), a: i, b: i})
	}
	var buf []byte
	for b, c := range f.bi {
		buf = append(append(append(buf[:0], b[0]...), ' '), b[1]...)
		p.dims = append(p.dims, planDim{h: hashBytes(buf), tf: 1 + math.Log(c), a: index[b[0]], b: index[b[1]]})
	}
	// In hash order (ties, hash collisions, are folded in weigh): sorted
	// as hash and position packed in one integer, cheaper than sorting
	// the structs.
	order := make([]uint64, len(p.dims))
	for i, d := range p.dims {
		order[i] = uint64(d.h)<<32 | uint64(i)
	}
	slices.Sort(order)
	dims := make([]planDim, len(p.dims))
	for i, o := range order {
		dims[i] = p.dims[uint32(o)]
	}
	p.dims = dims
	return p
}

// weighPlan is features.weigh over a plan, idf given per unigram (in the
// order of p.uni).
func (p *termPlan) weigh(idf []float64) vector {
	v := make(vector, 0, len(p.dims))
	var sum float64
	for _, d := range p.dims {
		x := d.tf * max(idf[d.a], idf[d.b])
		sum += x * x
		v = append(v, term{d.h, float32(x)})
	}
	// Already in hash order: only the rare collisions to fold.
	return v.scale(sum).foldCollisions()
}

// scale divides v's weights by the square root of sumSquares, making it
// unit length; nil when the sum is 0.
func (v vector) scale(sumSquares float64) vector {
	if sumSquares == 0 {
		return nil
	}
	n := float32(math.Sqrt(sumSquares))
	for i := range v {
		v[i].w /= n
	}
	return v
}

// normalizeOrder sorts by hash and folds the rare hash collisions together.
func (v vector) normalizeOrder() vector {
	slices.SortFunc(v, func(a, b term) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return 0
	})
	return v.foldCollisions()
}

// foldCollisions adds together the weights of adjacent terms of one hash.
func (v vector) foldCollisions() vector {
	out := v[:0]
	for _, t := range v {
		if len(out) > 0 && out[len(out)-1].h == t.h {
			out[len(out)-1].w += t.w
			continue
		}
		out = append(out, t)
	}
	return out
}

// dot is the inner product of two sorted vectors.
func dot(a, b vector) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].h < b[j].h:
			i++
		case a[i].h > b[j].h:
			j++
		default:
			s += float64(a[i].w) * float64(b[j].w)
			i++
			j++
		}
	}
	return s
}

func (v vector) norm() float64 {
	var s float64
	for _, t := range v {
		s += float64(t.w) * float64(t.w)
	}
	return math.Sqrt(s)
}

// cosine of a and b; 0 when either is empty.
func cosine(a, b vector) float64 {
	na, nb := a.norm(), b.norm()
	if na == 0 || nb == 0 {
		return 0
	}
	return dot(a, b) / (na * nb)
}

// add returns a+b.
func (v vector) add(b vector) vector {
	out := make(vector, 0, len(v)+len(b))
	i, j := 0, 0
	for i < len(v) || j < len(b) {
		switch {
		case j == len(b) || (i < len(v) && v[i].h < b[j].h):
			out = append(out, v[i])
			i++
		case i == len(v) || v[i].h > b[j].h:
			out = append(out, b[j])
			j++
		default:
			out = append(out, term{v[i].h, v[i].w + b[j].w})
			i++
			j++
		}
	}
	return out
}

// stronger orders terms strongest first, ties by hash.
func stronger(a, b term) int {
	switch {
	case a.w > b.w:
		return -1
	case a.w < b.w:
		return 1
	case a.h < b.h:
		return -1
	case a.h > b.h:
		return 1
	}
	return 0
}

// top returns the n strongest terms, strongest first (ties by hash).
func (v vector) top(n int) vector {
	if n <= 0 {
		return vector{}
	}
	if n < len(v) && n <= 32 {
		// A few of many: keep the strongest so far in order (a term
		// weaker than the n-th is dropped at a glance).
		s := make(vector, 0, n)
		for _, t := range v {
			if len(s) == n && stronger(t, s[n-1]) >= 0 {
				continue
			}
			i := len(s)
			if i == n {
				i--
			} else {
				s = s[:i+1]
			}
			for i > 0 && stronger(t, s[i-1]) < 0 {
				s[i] = s[i-1]
				i--
			}
			s[i] = t
		}
		return s
	}
	s := slices.Clone(v)
	if n < len(s) {
		selectStrongest(s, n)
		s = s[:n]
	}
	slices.SortFunc(s, stronger)
	return s
}

// truncate keeps the n strongest terms, in hash order.
func (v vector) truncate(n int) vector {
	if len(v) <= n {
		return v
	}
	s := slices.Clone(v)
	selectStrongest(s, n)
	return s[:n].normalizeOrder()
}

// selectStrongest reorders s so that s[:n] are its n strongest terms (in
// no particular order), 0 < n < len(s).
func selectStrongest(s vector, n int) {
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three as pivot, moved to hi.
		mid := lo + (hi-lo)/2
		if stronger(s[mid], s[lo]) < 0 {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if stronger(s[hi], s[lo]) < 0 {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if stronger(s[mid], s[hi]) < 0 {
			s[mid], s[hi] = s[hi], s[mid]
		}
		pivot := s[hi]
		p := lo
		for i := lo; i < hi; i++ {
			if stronger(s[i], pivot) < 0 {
				s[i], s[p] = s[p], s[i]
				p++
			}
		}
		s[p], s[hi] = s[hi], s[p]
		switch {
		case p == n || p == n-1:
			return
		case p < n:
			lo = p + 1
		default:
			hi = p - 1
		}
	}
}

// encode packs v as little-endian (uint32 hash, float32 weight) pairs.
func (v vector) encode() []byte {
	b := make([]byte, 8*len(v))
	for i, t := range v {
		binary.LittleEndian.PutUint32(b[8*i:], t.h)
		binary.LittleEndian.PutUint32(b[8*i+4:], math.Float32bits(t.w))
	}
	return b
}

func decodeVector(b []byte) vector {
	v := make(vector, len(b)/8)
	for i := range v {
		v[i] = term{binary.LittleEndian.Uint32(b[8*i:]), math.Float32frombits(binary.LittleEndian.Uint32(b[8*i+4:]))}
	}
	return v
}

// SimHash over word shingles, for duplicate copies.
const (
	shingleWords = 3
	// maxDupDistance is the largest Hamming distance between the SimHashes
	// of two copies of one text; with 4 bands of 16 bits, any pair within 3
	// bits shares a band.
	maxDupDistance = 3
	// minShingles: below this a text is too short for a SimHash to be
	// trusted; short texts are copies only if identical, headline included.
	minShingles = 24
	// minCopyJaccard is the share of word 3-shingles two texts must have in
	// common to be copies when their SimHashes are further apart than
	// maxDupDistance (furniture weighs more in a short text).
	minCopyJaccard = 0.7
	// maxJaccardDistance: texts further apart than this are not compared
	// shingle by shingle (unrelated texts are about 32 bits apart).
	maxJaccardDistance = 16
	// maxBandJaccardDistance is maxJaccardDistance for a candidate that
	// shares no anchor sentence with the text, only a SimHash band: a copy
	// with furniture added keeps its long sentences, so such a candidate is
	// an edited rewrite or a chance match.
	maxBandJaccardDistance = 8
	// copyPostingLimit caps the articles read per copy key, newest first:
	// a boilerplate sentence is filed under thousands of reports.
	copyPostingLimit = 16
)

// wordHashes hashes the lower-cased words of text. Every word counts (stop
// words too): copies differ in furniture, not in vocabulary.
//
// The words are those of strings.FieldsFunc(text, not a letter or digit),
// found a byte at a time in ASCII text (copy detection shingles candidate
// texts on the writer).
func wordHashes(text string) []uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	words := make([]uint64, 0, len(text)/5+1)
	// start is where the current word began (-1: none); h is its hash so
	// far while it is ASCII (hashLower64 hashes it whole otherwise).
	start, ascii := -1, true
	var h uint64
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			default:
				if start >= 0 {
					if !ascii {
						h = hashLower64(text[start:i])
					}
					words = append(words, h)
					start = -1
				}
				i++
				continue
			}
			if start < 0 {
				start, ascii, h = i, true, offset64
			}
			h ^= uint64(c)
			h *= prime64
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			ascii = false
		} else if start >= 0 {
			if !ascii {
				h = hashLower64(text[start:i])
			}
			words = append(words, h)
			start = -1
		}
		i += size
	}
	if start >= 0 {
		if !ascii {
			h = hashLower64(text[start:])
		}
		words = append(words, h)
	}
	if len(words) == 0 {
		return nil
	}
	return words
}

// hashLower64 is the 64-bit FNV-1a hash of strings.ToLower(w), without
// building the lower-cased string when w is ASCII.
func hashLower64(w string) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			w = strings.ToLower(w)
			h := uint64(offset64)
			for j := 0; j < len(w); j++ {
				h ^= uint64(w[j])
				h *= prime64
			}
			return h
		}
	}
	h := uint64(offset64)
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= prime64
	}
	return h
}

// shingles hashes every run of shingleWords words (a shorter text is one
// shingle).
func shingles(words []uint64) []uint64 {
	if len(words) == 0 {
		return nil
	}
	var out []uint64
	for i := 0; i+shingleWords <= len(words) || (i == 0 && len(words) < shingleWords); i++ {
		var h uint64
		for k := i; k < min(i+shingleWords, len(words)); k++ {
			h = bits.RotateLeft64(h, 21) ^ words[k]
		}
		out = append(out, mix64(h))
	}
	return out
}

// simHash returns the 64-bit SimHash of text's word 3-shingles and the
// number of shingles.
func simHash(text string) (uint64, int) {
	sh := shingles(wordHashes(text))
	return simHashOf(sh), len(sh)
}

// simHashOf is the SimHash of a text's shingles.
func simHashOf(sh []uint64) uint64 {
	var counts [64]int
	for _, h := range sh {
		for b := range 64 {
			counts[b] += int(h>>b&1)*2 - 1
		}
	}
	var out uint64
	for b := range 64 {
		if counts[b] > 0 {
			out |= 1 << b
		}
	}
	return out
}

// shingleSet is the set of a text's word shingles.
func shingleSet(text string) map[uint64]bool {
	set := map[uint64]bool{}
	for _, h := range shingles(wordHashes(text)) {
		set[h] = true
	}
	return set
}

// jaccard is |a ∩ b| / |a ∪ b|.
func jaccard(a, b map[uint64]bool) float64 {
	inter := 0
	for h := range b {
		if a[h] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// shingleJaccard is the Jaccard similarity of two texts' shingle sets.
func shingleJaccard(a, b string) float64 {
	return jaccard(shingleSet(a), shingleSet(b))
}

// mix64 is the SplitMix64 finaliser: it spreads a combined hash over all bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const (
	// anchorSentences of a text (its longest) are filed as copy keys, if
	// they have at least anchorWords words.
	anchorSentences = 3
	anchorWords     = 8
)

// simHashBands is how many 16-bit bands of the SimHash are copy keys.
const simHashBands = 4

// copyKeys returns the keys a text is filed under in copy_keys: the
// simHashBands bands of its SimHash, then its anchor sentences.
func copyKeys(text string, sh uint64) []int64 {
	keys := make([]int64, 0, simHashBands+anchorSentences)
	for i := range simHashBands {
		keys = append(keys, int64(mix64(uint64(i+1)<<56^sh>>(16*i)&0xffff)))
	}
	type sentence struct {
		words int
		h     uint64
	}
	var ss []sentence
	for s := range strings.FieldsFuncSeq(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' }) {
		words := wordHashes(s)
		if len(words) < anchorWords {
			continue
		}
		var h uint64 = 0x9e3779b97f4a7c15
		for _, w := range words {
			h = mix64(bits.RotateLeft64(h, 17) ^ w)
		}
		ss = append(ss, sentence{len(words), h})
	}
	slices.SortFunc(ss, func(a, b sentence) int {
		if a.words != b.words {
			return b.words - a.words
		}
		if a.h < b.h {
			return -1
		}
		if a.h > b.h {
			return 1
		}
		return 0
	})
	for _, s := range ss[:min(len(ss), anchorSentences)] {
		keys = append(keys, int64(s.h))
	}
	return keys
}

// stopWords are dropped from term vectors: function words and the words of
// any news report (days, "said") that say nothing about which incident.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are aren as at be
	because been before being below between both but by can could did do does doing down during each few for from
	further had has have having he her here hers herself him himself his how i if in into is it its itself just me
	more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should
	so some such than that the their theirs them themselves then there these they this those through to too under
	until up very was we were what when where which while who whom why will with would you your yours yourself
	yourselves said says say told according one two new like us mr mrs ms re ve ll don didn doesn isn wasn weren
	won wouldn couldn shouldn hasn haven hadn year years last first week monday tuesday wednesday thursday friday
	saturday sunday time may might must shall get got make made many much well even still back since via per
	another every including`) {
		m[w] = true
	}
	return m
}()

// isYear reports whether w is a year from 1900 to 2099: like a name, a year
// says which incident a report is about.
func isYear(w string) bool {
	return len(w) == 4 && (w[:2] == "19" || w[:2] == "20") && w[2] >= '0' && w[2] <= '9' && w[3] >= '0' && w[3] <= '9'
}

// bloom is a set of 64-bit hashes that may answer "present" wrongly (about
// 1% of the time) but never "absent" wrongly; it grows as filled, a layer
// of twice the capacity at a time.
type bloom struct {
	layers []bloomLayer
}

type bloomLayer struct {
	bits     []uint64
	n, limit int
}

const (
	bloomStart  = 1 << 14 // elements in the first layer
	bloomBits   = 10      // bits per element
	bloomHashes = 7
)

func newBloom() *bloom { return &bloom{} }

func (b *bloom) add(x uint64) {
	if b.has(x) {
		return
	}
	if len(b.layers) == 0 || b.layers[len(b.layers)-1].n >= b.layers[len(b.layers)-1].limit {
		limit := bloomStart << len(b.layers)
		b.layers = append(b.layers, bloomLayer{bits: make([]uint64, limit*bloomBits/64), limit: limit})
	}
	l := &b.layers[len(b.layers)-1]
	h1, h2 := bloomHash(x)
	m := uint64(len(l.bits) * 64)
	for i := range uint64(bloomHashes) {
		j := (h1 + i*h2) % m
		l.bits[j/64] |= 1 << (j % 64)
	}
	l.n++
}

func (b *bloom) has(x uint64) bool {
	h1, h2 := bloomHash(x)
	for li := range b.layers {
		l := &b.layers[li]
		m := uint64(len(l.bits) * 64)
		found := true
		for i := range uint64(bloomHashes) {
			j := (h1 + i*h2) % m
			if l.bits[j/64]&(1<<(j%64)) == 0 {
				found = false
				break
			}
		}
		if found {
			return true
		}
	}
	return false
}

func bloomHash(x uint64) (uint64, uint64) {
	h := mix64(x ^ 0x9e3779b97f4a7c15)
	return h, mix64(h) | 1
}
