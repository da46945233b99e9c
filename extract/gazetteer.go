package extract

import (
	_ "embed"
	"fmt"
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
	toks []string
	// personLike forms are also first names: "Rafael" is not the company
	// in "Rafael Nadal".
	personLike bool
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

	// wordClass gives, for the few words that matter to more than one
	// pass, their classes: one map lookup a word instead of one a pass.
	wordClass map[string]uint8

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
	g.wordClass = map[string]uint8{}
	for k := range g.lowerStarts {
		g.wordClass[k] |= clsLowerStart
	}
	for k := range figureStarts {
		g.wordClass[k] |= clsFigure
	}
	for k := range signalWords {
		g.wordClass[k] |= clsSignal
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
	n.end.forms = append(n.end.forms, aliasForm{toks: toks, personLike: personLike})
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
)

// Token kinds.
const (
	tokWord = iota
	tokNumber
	tokPunct
)

// token is one word, number or punctuation mark of a text.
type token struct {
	key        string // lower-case, dots removed: the lookup key
	start, end int    // byte span of the surface form, possessive excluded
	para       int32  // paragraph number (0: title)
	kind       uint8
	cls        uint8 // word classes (cls* bits), set by the annotator
	cap        bool  // first letter upper-case
	upper      bool  // every letter upper-case (and at least two letters)
	poss       bool  // followed by 's or ’s
	sentStart  bool  // first token of a sentence
}

// tokenize splits s into tokens. Words keep inner hyphens, apostrophes,
// ampersands (L&T) and abbreviation dots (U.S., S.p.A., Corp.); numbers keep
// thousands separators and decimals (27,445; 1.5) and unit suffixes (30GB).
func tokenize(s string) []token {
	// Keys are slices of one lower-cased copy of s, so most tokens cost no
	// allocation of their own.
	lower := lowerCopy(s)
	toks := make([]token, 0, len(s)/5+4)
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
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if isWordRune(r) {
			w := scanWord(s, i)
			end, hasDot := w.end, w.dot
			t := token{start: i, end: end, para: para, sentStart: sentStart}
			sentStart = false
			// Possessive: strip 's / ’s / trailing apostrophe.
			surf := s[i:end]
			if n := possessiveLen(surf); n > 0 && n < len(surf) {
				t.end -= n
				t.poss = true
				surf = s[i:t.end]
			}
			t.kind = tokWord
			if r >= '0' && r <= '9' {
				t.kind = tokNumber
			}
			switch {
			case t.kind == tokNumber:
				// Numbers keep their dots: "1.2 million".
				t.key = lower[i:t.end]
			case hasDot || w.curly:
				t.key = tokenKey(lower[i:t.end])
			default:
				t.key = lower[i:t.end]
			}
			if w.ascii && !t.poss {
				t.cap, t.upper = w.firstUpper, w.letters >= 2 && w.uppers == w.letters
			} else {
				t.cap, t.upper = caseOf(surf)
			}
			toks = append(toks, t)
			// An abbreviation dot that ends a legal form ("... Ltd. The
			// company") also ends the sentence when a capitalised word follows.
			if hasDot && legalFormEnd(t.key) && nextIsCapitalWord(s, end) {
				sentStart = true
			}
			i = end
			continue
		}
		// Punctuation: one rune per token; "--" and em dashes are one token.
		t := token{start: i, end: i + size, kind: tokPunct, para: para, sentStart: sentStart}
		sentStart = false
		t.key = s[i : i+size]
		toks = append(toks, t)
		if (c == '.' || c == '!' || c == '?') && !(c == '.' && i+1 < len(s) && s[i+1] == '.') {
			sentStart = true
		}
		i += size
	}
	return toks
}

// asciiWord marks the ASCII bytes that are word runes.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return t
}()

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0 && asciiWord[r]
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
	w := wordScan{ascii: true}
	j := i
	for j < len(s) {
		if c := s[j]; c < utf8.RuneSelf && asciiWord[c] {
			if c > '9' {
				if w.letters == 0 {
					w.firstUpper = c <= 'Z'
				}
				w.letters++
				if c <= 'Z' {
					w.uppers++
				}
			}
			j++
			continue
		}
		r, size := rune(s[j]), 1
		if s[j] >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[j:])
			w.ascii = false
		}
		if isWordRune(r) {
			j += size
			continue
		}
		next := rune(0)
		if j+size < len(s) {
			next, _ = utf8.DecodeRuneInString(s[j+size:])
		}
		switch r {
		case '-', '\'', '’', '&':
			if isWordRune(next) {
				w.curly = w.curly || r == '’'
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
			if isWordRune(next) && !(unicode.IsUpper(next) && j-i > 3 && !w.dot) {
				w.dot = true
				j += size
				continue
			}
			if w.dot && (w.letters > 0 || !w.ascii) || isAbbrev(s[i:j]) {
				w.dot = true
				w.end = j + 1
				return w
			}
		}
		break
	}
	w.end = j
	return w
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

// lowerCopy lower-cases s rune by rune where that keeps the byte length,
// so that offsets into s and into the copy agree.
func lowerCopy(s string) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if l := unicode.ToLower(r); l != r && utf8.RuneLen(l) == size {
			utf8.EncodeRune(b[i:], l)
		} else {
			copy(b[i:i+size], s[i:i+size])
		}
		i += size
	}
	return string(b)
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
		acap, aup := caseOf(at)
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
		if !aup && hasInnerUpper(at) && text[tt.start:tt.end] != at {
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
