package extract

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The gazetteers are readable TSV files embedded in the binary; see the
// header comment of each for its columns.
var (
	//go:embed data/companies.tsv
	companiesTSV string
	//go:embed data/agencies.tsv
	agenciesTSV string
	//go:embed data/countries.tsv
	countriesTSV string
)

// Entry kinds in the gazetteer trie.
const (
	kindCompany = iota + 1
	kindAgency
	kindCountry
	kindGeneric // an agency alias shared by several countries
)

// Company sectors in companies.tsv.
const (
	sectorDefense   = "defense"
	sectorTech      = "tech"
	sectorServices  = "services"
	sectorPublisher = "publisher"
)

type companyRow struct {
	name, country, sector string
}

type agencyRow struct {
	name, country, typ string
}

type countryRow struct {
	code   string
	cities map[string]bool // upper-case dateline cities
	tlds   []string
}

// genericGroup is an alias such as "Defense Ministry" that several countries
// share: rows lists the candidate agencies; fallback (or -1) is the row with
// no country, used when the context decides nothing.
type genericGroup struct {
	rows     []int
	fallback int
}

// aliasForm is one way an alias is written; its tokens' case is checked
// against the text (acronyms exactly, names by their first letter).
type aliasForm struct {
	toks []aliasTok
	// personLike forms are also first names: "Rafael" is not the company
	// in "Rafael Nadal".
	personLike bool
}

// aliasTok is one token of an alias form, with its case worked out once.
type aliasTok struct {
	surf           string
	capital, upper bool // as caseOf
	innerUpper     bool // as hasInnerUpper
}

// payload is what a gazetteer alias resolves to.
type payload struct {
	kind  int
	id    int // row in the companies, agencies or countries table, or generic group
	forms []aliasForm
}

type trieNode struct {
	next map[string]*trieNode
	end  *payload
}

// gazetteer holds the parsed tables and one token trie over every alias of
// every table, so a single left-to-right pass finds all names.
type gazetteer struct {
	companies []companyRow
	agencies  []agencyRow
	countries []countryRow
	generics  []genericGroup
	root      *trieNode

	// lowerStarts are the first words of aliases that do not begin with a
	// capital ("dpa"); other lower-case words cannot start a name.
	lowerStarts map[string]bool

	// Word classes (cls* bits) of the words that matter to some pass, so
	// that each word of a text is looked up once, not once a pass (see
	// class). classFilter is a Bloom filter over the classified words: most
	// words of a text have no class and it rules them out cheaply; the
	// rest are found in classSlots, an open-addressing table on the same
	// hash, cheaper than a map.
	classFilter [classFilterBits / 64]uint64
	classSlots  []classSlot

	companyByKey map[string]int   // normalized alias -> company row
	agencyByKey  map[string]int   // normalized alias -> agency row
	genericByKey map[string]int   // normalized shared alias -> generic group
	countryCode  map[string]int   // ISO code -> country row
	cityCountry  map[string]int   // upper-case city -> country row
	tldCountry   map[string]int   // tld -> country row
	agencyNames  map[string][]int // normalized alias -> all agency rows (for AgencyNames)
}

var (
	gazOnce sync.Once
	gaz     *gazetteer
)

// loadGazetteer parses the embedded tables once. The tables are part of the
// program, so a malformed one is a programming error caught by the tests.
func loadGazetteer() *gazetteer {
	gazOnce.Do(func() {
		g, err := parseGazetteer(companiesTSV, agenciesTSV, countriesTSV)
		if err != nil {
			panic("extract: embedded gazetteer: " + err.Error())
		}
		gaz = g
	})
	return gaz
}

func tsvRows(data string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

func splitAliases(s string) []string {
	var out []string
	for _, a := range strings.Split(s, "|") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func parseGazetteer(companies, agencies, countries string) (*gazetteer, error) {
	g := &gazetteer{
		root:         &trieNode{},
		lowerStarts:  map[string]bool{},
		companyByKey: map[string]int{},
		agencyByKey:  map[string]int{},
		genericByKey: map[string]int{},
		countryCode:  map[string]int{},
		cityCountry:  map[string]int{},
		tldCountry:   map[string]int{},
		agencyNames:  map[string][]int{},
	}
	for i, f := range tsvRows(countries) {
		if len(f) < 2 {
			return nil, fmt.Errorf("countries.tsv row %d: want at least 2 columns", i+1)
		}
		c := countryRow{code: f[0], cities: map[string]bool{}}
		id := len(g.countries)
		g.countryCode[f[0]] = id
		for _, n := range splitAliases(f[1]) {
			if err := g.add(n, kindCountry, id); err != nil {
				return nil, fmt.Errorf("countries.tsv %s: %w", f[0], err)
			}
		}
		if len(f) > 2 {
			for _, city := range splitAliases(f[2]) {
				g.cityCountry[city] = id
			}
		}
		if len(f) > 3 {
			for _, t := range splitAliases(f[3]) {
				g.tldCountry[t] = id
			}
		}
		g.countries = append(g.countries, c)
	}
	for i, f := range tsvRows(companies) {
		if len(f) < 3 {
			return nil, fmt.Errorf("companies.tsv row %d: want at least 3 columns", i+1)
		}
		id := len(g.companies)
		g.companies = append(g.companies, companyRow{name: f[0], country: f[1], sector: f[2]})
		names := []string{f[0]}
		if len(f) > 3 {
			names = append(names, splitAliases(f[3])...)
		}
		guarded := map[string]bool{}
		for _, n := range names {
			if rest, ok := strings.CutPrefix(n, "?"); ok {
				guarded[normName(rest)] = true
			}
		}
		for _, n := range names {
			n, person := strings.CutPrefix(n, "?")
			key := normName(n)
			g.companyByKey[key] = id
			if !person && guarded[key] {
				continue // the canonical name is itself a first name
			}
			if err := g.addForm(n, kindCompany, id, person); err != nil {
				return nil, fmt.Errorf("companies.tsv %s: %w", f[0], err)
			}
		}
	}
	for i, f := range tsvRows(agencies) {
		if len(f) < 3 {
			return nil, fmt.Errorf("agencies.tsv row %d: want at least 3 columns", i+1)
		}
		id := len(g.agencies)
		g.agencies = append(g.agencies, agencyRow{name: f[0], country: f[1], typ: f[2]})
		var names []string
		if f[1] != "" {
			names = append(names, f[0])
		}
		if len(f) > 3 {
			names = append(names, splitAliases(f[3])...)
		}
		for _, n := range names {
			n, shared := strings.CutPrefix(n, "~")
			key := normName(n)
			g.agencyNames[key] = appendUnique(g.agencyNames[key], id)
			if !shared {
				if err := g.add(n, kindAgency, id); err != nil {
					return nil, fmt.Errorf("agencies.tsv %s: %w", f[0], err)
				}
				g.agencyByKey[key] = id
				continue
			}
			gid, ok := g.genericByKey[key]
			if !ok {
				gid = len(g.generics)
				g.generics = append(g.generics, genericGroup{fallback: -1})
				g.genericByKey[key] = gid
				if err := g.add(n, kindGeneric, gid); err != nil {
					return nil, fmt.Errorf("agencies.tsv %s: %w", f[0], err)
				}
			} else if err := g.add(n, kindGeneric, gid); err != nil {
				return nil, fmt.Errorf("agencies.tsv %s: %w", f[0], err)
			}
			if f[1] == "" {
				g.generics[gid].fallback = id
			} else {
				g.generics[gid].rows = appendUnique(g.generics[gid].rows, id)
			}
		}
	}
	classes := map[string]uint16{}
	for k := range g.root.next {
		classes[k] |= clsTrie
		if base, ok := strings.CutSuffix(k, "'s"); ok {
			classes[base] |= clsTrie // reached through a possessive
		}
	}
	for k := range legalForms {
		classes[k] |= clsLegalForm
	}
	for k := range agencyHeads {
		classes[k] |= clsAgencyHead
	}
	for k := range elsewhereWords {
		classes[k] |= clsElsewhere
	}
	for k := range dataWords {
		classes[k] |= clsData
	}
	for k := range scaleWords {
		classes[k] |= clsScale
	}
	for k := range strongCyber {
		classes[k] |= clsStrong
	}
	for _, k := range cyberPairFirst {
		classes[k] |= clsCyberPair
	}
	for k := range g.lowerStarts {
		classes[k] |= clsLowerStart
	}
	for k := range figureStarts {
		classes[k] |= clsFigure
	}
	for k := range signalWords {
		classes[k] |= clsSignal
	}
	size := 16
	for size < 4*len(classes) {
		size *= 2
	}
	g.classSlots = make([]classSlot, size)
	for k, cls := range classes {
		h := wordHash(k)
		for i := h & uint64(size-1); ; i = (i + 1) & uint64(size-1) {
			if g.classSlots[i].key == "" {
				g.classSlots[i] = classSlot{k, cls}
				break
			}
		}
		g.classFilter[h%classFilterBits/64] |= 1 << (h % 64)
		h >>= 32
		g.classFilter[h%classFilterBits/64] |= 1 << (h % 64)
	}
	for key, gid := range g.genericByKey {
		if g.generics[gid].fallback < 0 {
			return nil, fmt.Errorf("agencies.tsv: shared alias %q has no row without a country to fall back to", key)
		}
	}
	return g, nil
}

func appendUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

const classFilterBits = 1 << 16

type classSlot struct {
	key string // "" for an empty slot
	cls uint16
}

// wordHash is FNV-1a, 64 bits: two independent 32-bit halves for the filter.
func wordHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// class returns the word classes (cls* bits) of a token key.
func (g *gazetteer) class(key string) uint16 {
	h := wordHash(key)
	if g.classFilter[h%classFilterBits/64]&(1<<(h%64)) == 0 {
		return 0
	}
	if h2 := h >> 32; g.classFilter[h2%classFilterBits/64]&(1<<(h2%64)) == 0 {
		return 0
	}
	mask := uint64(len(g.classSlots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch g.classSlots[i].key {
		case key:
			return g.classSlots[i].cls
		case "":
			return 0
		}
	}
}

// add puts one alias into the trie. Two different rows may not share an
// alias (shared agency aliases go through one generic group instead).
func (g *gazetteer) add(alias string, kind, id int) error {
	return g.addForm(alias, kind, id, false)
}

func (g *gazetteer) addForm(alias string, kind, id int, personLike bool) error {
	var toks, keys []string
	for _, t := range tokenize(alias) {
		surf, key := alias[t.start:t.end], t.key
		if t.poss {
			// Kept in the key: "Commissioner's Office" is one name.
			surf, key = surf+"'s", key+"'s"
		}
		toks = append(toks, surf)
		keys = append(keys, key)
	}
	if len(toks) == 0 {
		return fmt.Errorf("empty alias %q", alias)
	}
	if c, _ := caseOf(toks[0]); !c {
		g.lowerStarts[keys[0]] = true
	}
	n := g.root
	for _, k := range keys {
		if n.next == nil {
			n.next = map[string]*trieNode{}
		}
		child := n.next[k]
		if child == nil {
			child = &trieNode{}
			n.next[k] = child
		}
		n = child
	}
	if n.end == nil {
		n.end = &payload{kind: kind, id: id}
	} else if n.end.kind != kind || n.end.id != id {
		return fmt.Errorf("alias %q is already used by another entry", alias)
	}
	f := aliasForm{personLike: personLike}
	for _, t := range toks {
		c, u := caseOf(t)
		f.toks = append(f.toks, aliasTok{surf: t, capital: c, upper: u, innerUpper: hasInnerUpper(t)})
	}
	n.end.forms = append(n.end.forms, f)
	return nil
}

// normName is the lookup form of a whole name: tokens' keys joined by spaces.
func normName(s string) string {
	toks := tokenize(s)
	keys := make([]string, 0, len(toks))
	for _, t := range toks {
		keys = append(keys, t.key)
	}
	return strings.Join(keys, " ")
}

// Word classes (token.cls bits).
const (
	clsLowerStart = 1 << iota // may start a gazetteer name though not capitalised
	clsFigure                 // may start a figure ("about", "tens")
	clsSignal                 // a relevance signal word
	clsTrie                   // may start a gazetteer name (any case)
	clsLegalForm              // a key of legalForms
	clsAgencyHead             // a key of agencyHeads
	clsElsewhere              // a key of elsewhereWords
	clsData                   // a key of dataWords
	clsCyberPair              // first word of "cyber attack", "security incident"
	clsScale                  // a key of scaleWords ("million")
	clsStrong                 // a key of strongCyber
)

// Token kinds.
const (
	tokWord = iota
	tokNumber
	tokPunct
)

// token is one word, number or punctuation mark of a text. Offsets are
// 32-bit (Annotate reads about a megabyte at most) to keep tokens small.
type token struct {
	key        string // lower-case, dots removed: the lookup key
	start, end int32  // byte span of the surface form, possessive excluded
	para       int32  // paragraph number (0: title)
	kind       uint8
	cls        uint16 // word classes (cls* bits), set by the annotator for words
	cap        bool   // first letter upper-case
	upper      bool   // every letter upper-case (and at least two letters)
	poss       bool   // followed by 's or ’s
	sentStart  bool   // first token of a sentence
}

// tokenize splits s into tokens. Words keep inner hyphens, apostrophes,
// ampersands (L&T) and abbreviation dots (U.S., S.p.A., Corp.); numbers keep
// thousands separators and decimals (27,445; 1.5) and unit suffixes (30GB).
func tokenize(s string) []token {
	return appendTokens(make([]token, 0, len(s)/4+4), s)
}

// appendTokens is tokenize appending to toks, so that a caller can reuse
// one token buffer across texts.
func appendTokens(toks []token, s string) []token {
	// Keys are slices of s when it is already lower case, else of one
	// buffer of lower-cased words, so most tokens cost no allocation.
	var lower strings.Builder
	lower.Grow(len(s)/8 + 16)
	var para int32
	sentStart := true
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '\n' {
			// A blank line ends a paragraph (and a sentence).
			j := i + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r') {
				j++
			}
			if j < len(s) && s[j] == '\n' {
				para++
				sentStart = true
			}
			i++
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' {
			i++
			continue
		}
		r, size, word := rune(c), 1, asciiClass[c] != 0
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
			word = isWordRune(r)
		}
		if word {
			w := scanWord(s, i)
			end, hasDot := w.end, w.dot
			// Possessive: strip 's / ’s / trailing apostrophe.
			surfEnd, poss := end, false
			if n := possessiveLen(s[i:end]); n > 0 && n < end-i {
				surfEnd, poss = end-n, true
			}
			surf := s[i:surfEnd]
			kind := uint8(tokWord)
			if r >= '0' && r <= '9' {
				kind = tokNumber
			}
			var key string
			switch {
			case kind != tokNumber && (hasDot || w.curly):
				// Numbers keep their dots ("1.2 million"), words do not.
				key = tokenKey(surf)
			case w.ascii && w.uppers == 0:
				key = surf
			default:
				n := lower.Len()
				appendLower(&lower, surf)
				key = lower.String()[n:]
			}
			var capital, upper bool
			if w.ascii && !poss {
				capital, upper = w.firstUpper, w.letters >= 2 && w.uppers == w.letters
			} else {
				capital, upper = caseOf(surf)
			}
			t := nextToken(&toks)
			t.key, t.start, t.end, t.para, t.kind, t.cls = key, int32(i), int32(surfEnd), para, kind, 0
			t.cap, t.upper, t.poss, t.sentStart = capital, upper, poss, sentStart
			sentStart = false
			// An abbreviation dot that ends a legal form ("... Ltd. The
			// company") also ends the sentence when a capitalised word follows.
			if hasDot && legalFormEnd(key) && nextIsCapitalWord(s, end) {
				sentStart = true
			}
			i = end
			continue
		}
		// Punctuation: one rune per token; "--" and em dashes are one token.
		t := nextToken(&toks)
		t.key, t.start, t.end, t.para, t.kind, t.cls = s[i:i+size], int32(i), int32(i+size), para, tokPunct, 0
		t.cap, t.upper, t.poss, t.sentStart = false, false, false, sentStart
		sentStart = false
		if (c == '.' || c == '!' || c == '?') && !(c == '.' && i+1 < len(s) && s[i+1] == '.') {
			sentStart = true
		}
		i += size
	}
	return toks
}

// nextToken extends *toks by one token and returns it for the caller to
// set every field: that is cheaper than appending a whole token, which the
// runtime copies with a bulk write barrier while the collector runs.
func nextToken(toks *[]token) *token {
	if len(*toks) == cap(*toks) {
		*toks = slices.Grow(*toks, len(*toks)/2+16)
	}
	*toks = (*toks)[:len(*toks)+1]
	return &(*toks)[len(*toks)-1]
}

// asciiClass classifies bytes for scanWord: 1 for a digit, 3 for a
// lower-case ASCII letter, 7 for an upper-case one, 0 for anything else
// (bit 1: a letter, bit 2: upper case), so it can count without branching.
var asciiClass = func() (t [256]uint8) {
	for c := range utf8.RuneSelf {
		switch {
		case c >= '0' && c <= '9':
			t[c] = 1
		case c >= 'a' && c <= 'z':
			t[c] = 3
		case c >= 'A' && c <= 'Z':
			t[c] = 7
		}
	}
	return t
}()

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0 && asciiClass[r] != 0
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// wordScan describes one word found by scanWord.
type wordScan struct {
	end             int
	dot, curly      bool // holds a '.' or a '’'
	ascii           bool // every rune is ASCII
	letters, uppers int  // ASCII letters, and how many are upper-case
	firstUpper      bool // the first ASCII letter is upper-case
}

// scanWord reads the word starting at i. Inner '-', '\”, '’', '&' join
// when a word rune follows; ',' joins between digits; '.' joins when a word
// rune follows (U.S, 1.5) and is kept at the end of an abbreviation (U.S.,
// Corp.).
func scanWord(s string, i int) wordScan {
	// Counts live in locals, not in w, so that the loop keeps them in
	// registers: this loop is the hottest of annotation.
	letters, uppers := 0, 0
	ascii, dot, curly := true, false, false
	j := i
	for j < len(s) {
		if cl := asciiClass[s[j]]; cl != 0 {
			letters += int(cl >> 1 & 1)
			uppers += int(cl >> 2)
			j++
			continue
		}
		r, size := rune(s[j]), 1
		if s[j] >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[j:])
			ascii = false
		}
		if isWordRune(r) {
			j += size
			continue
		}
		if r == ' ' || r == '\n' {
			break // the common case: no joiner
		}
		next := rune(0)
		if j+size < len(s) {
			next, _ = utf8.DecodeRuneInString(s[j+size:])
		}
		switch r {
		case '-', '\'', '’', '&':
			if isWordRune(next) {
				curly = curly || r == '’'
				j += size
				continue
			}
		case ',':
			if j > i && isDigit(s[j-1]) && j+3 < len(s) && isDigit(s[j+1]) && isDigit(s[j+2]) && isDigit(s[j+3]) &&
				(j+4 >= len(s) || !isDigit(s[j+4])) {
				j += size
				continue
			}
		case '.':
			if isWordRune(next) && !(unicode.IsUpper(next) && j-i > 3 && !dot) {
				dot = true
				j += size
				continue
			}
			if dot && (letters > 0 || !ascii) || isAbbrev(s[i:j]) {
				dot = true
				j++ // keep the abbreviation's dot
				return wordScan{end: j, dot: dot, curly: curly, ascii: ascii, letters: letters, uppers: uppers,
					firstUpper: firstUpper(s[i:j], letters)}
			}
		}
		break
	}
	return wordScan{end: j, dot: dot, curly: curly, ascii: ascii, letters: letters, uppers: uppers,
		firstUpper: firstUpper(s[i:j], letters)}
}

// firstUpper reports whether the first ASCII letter of w is upper-case;
// letters is how many ASCII letters w has.
func firstUpper(w string, letters int) bool {
	if letters == 0 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if cl := asciiClass[w[i]]; cl&2 != 0 {
			return cl&4 != 0
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isAbbrev reports words that keep their trailing dot: legal forms and a few
// titles, so "NEC Corp. said" stays one sentence.
func isAbbrev(w string) bool {
	switch w {
	case "Corp", "Co", "Inc", "Ltd", "Bros", "Mr", "Mrs", "Ms", "Dr", "St", "Gen", "Lt", "Col", "Adm", "Sgt", "Capt", "Va", "Ariz", "Calif", "Fla", "Md", "Mass", "Wash", "No", "Jan", "Feb", "Aug", "Sept", "Oct", "Nov", "Dec", "vs", "approx", "Pty", "Vol":
		return true
	}
	return false
}

func legalFormEnd(key string) bool {
	switch key {
	case "corp", "co", "inc", "ltd", "bros", "kk", "sa", "spa", "ag", "nv", "bv", "llc", "plc":
		return true
	}
	return false
}

func nextIsCapitalWord(s string, i int) bool {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	if !unicode.IsUpper(r) {
		return false
	}
	j := scanWord(s, i).end
	return !legalFormKey(tokenKey(s[i:j]))
}

func possessiveLen(w string) int {
	if w == "" {
		return 0
	}
	switch w[len(w)-1] {
	case 's', 'S', '\'', 0x99: // 0x99 ends '’'
	default:
		return 0
	}
	switch {
	case strings.HasSuffix(w, "'s") || strings.HasSuffix(w, "'S"):
		return 2
	case strings.HasSuffix(w, "’s"):
		return len("’s")
	case strings.HasSuffix(w, "'"):
		return 1
	case strings.HasSuffix(w, "’"):
		return len("’")
	}
	return 0
}

// tokenKey lower-cases a word and drops dots; it allocates only when the
// word is not already in that form.
func tokenKey(w string) string {
	clean := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' || c == '.' || c == 0xE2 {
			clean = false
			break
		}
	}
	if clean {
		return w
	}
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range w {
		switch {
		case r == '.':
			continue
		case r == '’':
			r = '\''
		case r < utf8.RuneSelf:
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// appendLower writes w lower-cased to b, rune by rune where that keeps the
// byte length, so that offsets into w and into the copy agree.
func appendLower(b *strings.Builder, w string) {
	if len(w) <= 32 {
		// Short ASCII words, the common case, in one write.
		var buf [32]byte
		ascii := true
		for i := 0; i < len(w); i++ {
			c := w[i]
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		if ascii {
			b.Write(buf[:len(w)])
			return
		}
	}
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(w[i:])
		if l := unicode.ToLower(r); l != r && utf8.RuneLen(l) == size {
			b.WriteRune(l)
		} else {
			b.WriteString(w[i : i+size])
		}
		i += size
	}
}

func caseOf(w string) (capital, upper bool) {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		letters, uppers := 0, 0
		for i := 0; i < len(w); i++ {
			c := w[i]
			switch {
			case c >= 'A' && c <= 'Z':
				if letters == 0 {
					capital = true
				}
				letters++
				uppers++
			case c >= 'a' && c <= 'z':
				letters++
			}
		}
		return capital, letters >= 2 && uppers == letters
	}
	letters, uppers := 0, 0
	first := true
	for _, r := range w {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		isUp := unicode.IsUpper(r)
		if isUp {
			uppers++
		}
		if first {
			capital = isUp
			first = false
		}
	}
	return capital, letters >= 2 && uppers == letters
}

// formMatches checks the case of text tokens against one written form of an
// alias: acronyms (two or more letters, all upper-case) must be upper-case
// in the text; a capitalised first word must be capitalised in the text.
func formMatches(f aliasForm, text string, toks []token) bool {
	for i, at := range f.toks {
		acap, aup := at.capital, at.upper
		tt := toks[i]
		if aup && !tt.upper {
			// "MoD" style mixed forms are not acronyms; single letters neither.
			return false
		}
		if aup && tokenHasLower(text[tt.start:tt.end]) {
			return false
		}
		if acap && !tt.cap {
			// "Danish defence firm" is not "Danish Defence".
			return false
		}
		if !aup && at.innerUpper && text[tt.start:tt.end] != at.surf {
			// Mixed-case brand forms (MoD, LIGNex1, iXblue) are written exactly.
			return false
		}
	}
	return true
}

func tokenHasLower(w string) bool {
	for _, r := range w {
		if unicode.IsLower(r) {
			return true
		}
	}
	return false
}

func hasInnerUpper(w string) bool {
	for i, r := range w {
		if i > 0 && unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// genericAt returns the longest shared agency alias starting at token i,
// ignoring case: after a country ("Japan's defence ministry", "the Dutch
// navy") news style often writes it in lower case.
func (g *gazetteer) genericAt(toks []token, i int) (m match, ok bool) {
	n := g.root
	for j := i; j < len(toks) && j < i+6; j++ {
		if toks[j].kind != tokWord {
			break
		}
		if n = n.next[toks[j].key]; n == nil {
			break
		}
		if n.end != nil && n.end.kind == kindGeneric {
			m, ok = match{i: i, j: j + 1, p: n.end}, true
		}
	}
	return m, ok
}

// followedByName reports whether token k continues a person's name: a
// capitalised word (not a legal form) or a particle such as "da" or "de".
func followedByName(toks []token, k int) bool {
	if k >= len(toks) || toks[k].kind != tokWord || toks[k].sentStart {
		return false
	}
	switch toks[k].key {
	case "da", "de", "di", "del", "van", "von":
		return true
	}
	return toks[k].cap && !legalFormKey(toks[k].key)
}

// match is a gazetteer name found in the text: tokens [i, j).
type match struct {
	i, j int
	p    *payload
}

// longestAt returns the longest gazetteer alias starting at token i whose
// case fits, or ok false.
func (g *gazetteer) longestAt(text string, toks []token, i int) (m match, ok bool) {
	if !toks[i].cap && toks[i].cls&clsLowerStart == 0 {
		return m, false
	}
	if toks[i].kind == tokWord && toks[i].cls&clsTrie == 0 {
		return m, false // the common case: no name starts with this word
	}
	n := g.root
	for j := i; j < len(toks); j++ {
		t := toks[j]
		if t.kind == tokPunct && t.key != "&" && t.key != "," && t.key != "-" {
			break
		}
		next := n.next[t.key]
		if t.poss {
			// "Information Commissioner's Office" goes on through the
			// possessive; "Japan's Defense Ministry" ends at it.
			if c := n.next[t.key+"'s"]; c != nil {
				next = c
				t.poss = false
			}
		}
		n = next
		if n == nil {
			break
		}
		if n.end != nil {
			for _, f := range n.end.forms {
				if f.personLike && followedByName(toks, j+1) {
					continue
				}
				if formMatches(f, text, toks[i:j+1]) {
					m, ok = match{i: i, j: j + 1, p: n.end}, true
					break
				}
			}
		}
		if t.poss {
			break
		}
	}
	return m, ok
}
