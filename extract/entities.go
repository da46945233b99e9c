package extract

import (
	"cmp"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// entity is a company or agency found in one article.
type entity struct {
	name, country string
	kind          int    // kindCompany or kindAgency
	sector        string // companies: gazetteer sector; "" when found by pattern
	typ           string // agencies: gazetteer type; "" when found by pattern
	known         bool   // from the gazetteer
	mentions      int    // how many mentions it has
	first         int    // first token of its earliest mention
}

type entKey struct {
	kind int
	name string
}

// mention is one occurrence of an entity: tokens [i, j).
type mention struct {
	ent  int
	i, j int
}

// genericOcc is an occurrence of a shared agency alias, resolved once the
// whole article has been read.
type genericOcc struct {
	group, i, j int
	qualifier   int // country row written right before it ("Japan's"), or -1
	qi          int // first token of the qualifier
}

type countryOcc struct {
	country, i, j int
}

// annotator holds the state of annotating one article. Annotators are
// pooled: a new field must be reset in release, or where it is used.
type annotator struct {
	g       *gazetteer
	text    string // title, blank line, body
	site    string
	toks    []token
	sent    []int // sentence number of each token
	covered []bool

	ents      []entity
	byName    map[entKey]int
	mentions  []mention
	generics  []genericOcc
	countries []countryOcc
	// publishers are news sources named in the text (never reported); their
	// home countries are weak evidence for resolving shared agency names.
	publishers []string
	primary    int // entity index of the primary company, or -1
	// otherDone says that the sentOther flags are filled (by aboutOtherCompany).
	otherDone bool

	// Buffers reused across articles.
	order      []mention
	tallies    []tally
	ranked     []ranked
	sentFlags  []uint8 // facts about each sentence (sent* bits), once sentReady
	sentReady  bool
	score      map[string]float64 // contextCountries' result, cleared on each call
	perCountry []int
}

// maxAnnotate caps the text Annotate reads: news reports are a few
// kilobytes, and the cap bounds time and memory on pathological input.
const maxAnnotate = 1 << 20

// clip cuts s to at most n bytes, at a space so no word or rune is split.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.LastIndexAny(s[:n], " \n\t"); i > 0 {
		return s[:i]
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func newAnnotator(a *Article) *annotator {
	an, _ := annotatorPool.Get().(*annotator)
	if an == nil {
		an = &annotator{byName: map[entKey]int{}}
	}
	an.g = loadGazetteer()
	an.text = clip(a.Title, 4096) + "\n\n" + clip(a.Text, maxAnnotate)
	an.site = a.Site
	an.primary = -1
	if an.site == "" {
		if u, err := url.Parse(a.URL); err == nil {
			an.site = u.Hostname()
		}
	}
	an.toks = appendTokens(an.toks[:0], an.text)
	an.sent = slices.Grow(an.sent[:0], len(an.toks))[:len(an.toks)]
	an.covered = slices.Grow(an.covered[:0], len(an.toks))[:len(an.toks)]
	clear(an.covered)
	s := -1
	for i := range an.toks {
		t := &an.toks[i]
		if t.sentStart || i == 0 {
			s++
		}
		an.sent[i] = s
		if t.kind == tokWord {
			t.cls = an.g.class(t.key)
		}
	}
	return an
}

// annotatorPool keeps annotators for reuse: their per-token buffers are the
// bulk of what annotating allocates.
var annotatorPool sync.Pool

// maxPooledTokens bounds the buffers kept for reuse, so that one huge
// article does not pin them.
const maxPooledTokens = 1 << 16

// release returns the annotator for reuse; it must not be used afterwards.
// Nothing that Annotate returns points into its buffers. Tokens left in
// them keep the last text alive until the annotator is reused or the pool
// drops it at a garbage collection; clearing them costs more than that.
func (an *annotator) release() {
	if cap(an.toks) > maxPooledTokens {
		return
	}
	clear(an.ents) // entities hold names cut from the text
	clear(an.byName)
	an.text, an.site = "", ""
	an.toks, an.sent, an.covered = an.toks[:0], an.sent[:0], an.covered[:0]
	an.ents, an.mentions = an.ents[:0], an.mentions[:0]
	an.generics, an.countries, an.publishers = an.generics[:0], an.countries[:0], an.publishers[:0]
	an.order, an.tallies, an.ranked = an.order[:0], an.tallies[:0], an.ranked[:0]
	an.sentFlags, an.sentReady, an.otherDone = an.sentFlags[:0], false, false
	an.primary = -1
	annotatorPool.Put(an)
}

// entityIndex returns the index of the entity with this kind and name,
// adding it if new.
func (an *annotator) entityIndex(kind int, name, country string, known bool, sector, typ string) int {
	key := entKey{kind, name}
	if i, ok := an.byName[key]; ok {
		return i
	}
	an.ents = append(an.ents, entity{name: name, country: country, kind: kind, known: known, sector: sector, typ: typ})
	an.byName[key] = len(an.ents) - 1
	return len(an.ents) - 1
}

func (an *annotator) addMention(ent, i, j int) {
	an.mentions = append(an.mentions, mention{ent: ent, i: i, j: j})
	e := &an.ents[ent]
	if e.mentions == 0 || i < e.first {
		e.first = i
	}
	e.mentions++
	for k := i; k < j; k++ {
		an.covered[k] = true
	}
}

// findKnown is the gazetteer pass: the longest alias at each token wins.
func (an *annotator) findKnown() {
	g := an.g
	for i := 0; i < len(an.toks); {
		if an.toks[i].kind == tokPunct {
			i++
			continue
		}
		m, ok := g.longestAt(an.text, an.toks, i)
		if !ok {
			i++
			continue
		}
		switch m.p.kind {
		case kindCompany:
			row := g.companies[m.p.id]
			j := m.j
			if k := an.skipGroupWord(j); an.isLegalForm(k) {
				j = k // "Babcock International Group PLC"
			}
			j = an.skipLegalForm(j)
			if row.sector == sectorPublisher {
				an.publishers = append(an.publishers, row.country)
				for k := i; k < j; k++ {
					an.covered[k] = true
				}
			} else {
				e := an.entityIndex(kindCompany, row.name, row.country, true, row.sector, "")
				an.addMention(e, i, j)
			}
			m.j = j
		case kindAgency:
			row := g.agencies[m.p.id]
			e := an.entityIndex(kindAgency, row.name, row.country, true, "", row.typ)
			an.addMention(e, i, m.j)
		case kindGeneric:
			q, qi := -1, -1
			if n := len(an.countries); n > 0 && an.countries[n-1].j == i {
				q, qi = an.countries[n-1].country, an.countries[n-1].i
			}
			an.generics = append(an.generics, genericOcc{group: m.p.id, i: i, j: m.j, qualifier: q, qi: qi})
			for k := i; k < m.j; k++ {
				an.covered[k] = true
			}
		case kindCountry:
			an.countries = append(an.countries, countryOcc{country: m.p.id, i: i, j: m.j})
			for k := i; k < m.j; k++ {
				an.covered[k] = true
			}
			if gm, ok := g.genericAt(an.toks, m.j); ok && !an.toks[m.j].cap {
				an.generics = append(an.generics, genericOcc{group: gm.p.id, i: gm.i, j: gm.j, qualifier: m.p.id, qi: i})
				for k := gm.i; k < gm.j; k++ {
					an.covered[k] = true
				}
				m.j = gm.j
			}
		}
		i = m.j
	}
}

// legalForms are company-form words; true marks those that must be written
// in capitals ("AG", not "ag").
var legalForms = map[string]bool{
	"co": false, "corp": false, "corporation": false, "inc": false, "incorporated": false,
	"ltd": false, "limited": false, "company": false, "plc": false, "gmbh": false, "pty": false,
	"oyj": false, "spa": false, "llc": true, "ag": true, "sa": true, "kk": true, "ab": true,
	"asa": true, "nv": true, "bv": true, "sas": true, "srl": true, "lp": true, "llp": true,
}

func legalFormKey(key string) bool {
	_, ok := legalForms[key]
	return ok
}

func (an *annotator) isLegalForm(k int) bool {
	if k >= len(an.toks) {
		return false
	}
	t := an.toks[k]
	if t.kind != tokWord || t.cls&clsLegalForm == 0 {
		return false
	}
	strict := legalForms[t.key]
	switch {
	case t.key == "plc":
		return true
	case t.key == "spa":
		return t.cap
	case strict:
		return t.upper || strings.Contains(an.text[t.start:t.end], ".") && t.cap
	}
	return t.cap
}

// skipGroupWord skips "Group" or "Holdings" after a company name.
func (an *annotator) skipGroupWord(j int) int {
	if j < len(an.toks) && an.toks[j].cap {
		switch an.toks[j].key {
		case "group", "holdings", "holding", "international":
			return j + 1
		}
	}
	return j
}

// skipLegalForm returns the index after any legal form following token j:
// "NEC Corp.", "Tsurugi Aerotech Co., Ltd.", "Pasco Corp".
func (an *annotator) skipLegalForm(j int) int {
	for {
		if an.isLegalForm(j) {
			j++
			continue
		}
		if j+1 < len(an.toks) && an.toks[j].key == "," && an.isLegalForm(j+1) && an.toks[j+1].key != "company" {
			j += 2
			continue
		}
		return j
	}
}

// nameStop are capitalised words that begin sentences or qualify names but
// are never the first word of a company or agency name.
var nameStop = map[string]bool{
	"the": true, "a": true, "an": true, "in": true, "on": true, "at": true, "for": true, "by": true,
	"from": true, "with": true, "and": true, "but": true, "or": true, "last": true, "this": true,
	"that": true, "its": true, "their": true, "our": true, "his": true, "her": true, "as": true,
	"after": true, "before": true, "while": true, "when": true, "if": true, "of": true, "to": true,
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true,
	"july": true, "august": true, "september": true, "october": true, "november": true, "december": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true,
	"saturday": true, "sunday": true, "both": true, "all": true, "some": true, "many": true,
	"meanwhile": true, "however": true, "also": true, "it": true, "he": true, "she": true, "they": true,
	"we": true, "i": true, "state-owned": true, "state": true, "defence": true, "defense": true,
	"shares": true, "hackers": true, "hacker": true, "police": true, "officials": true, "sources": true,
}

// nameConnector joins capitalised words inside a name.
var nameConnector = map[string]bool{"&": true, "and": true, "of": true, "de": true, "la": true, "for": true, "-": true}

// capRunBefore returns the start of the run of capitalised, uncovered words
// that ends just before token end (exclusive), within one sentence and one
// line. and joins words only when andJoins (agency names).
func (an *annotator) capRunBefore(end, maxLen int, andJoins bool) int {
	start := end
	for k := end - 1; k >= 0 && end-k <= maxLen; k-- {
		t := an.toks[k]
		if an.covered[k] || an.sent[k] != an.sent[end-1] {
			break
		}
		if k < end-1 && strings.ContainsRune(an.text[t.end:an.toks[k+1].start], '\n') {
			break
		}
		if t.key == "and" && !andJoins {
			break
		}
		if t.kind == tokWord && t.cap && !t.poss || t.kind == tokNumber && k < end-1 {
			start = k
			continue
		}
		if t.poss && k == end-1 {
			break
		}
		if nameConnector[t.key] && k > 0 && an.toks[k-1].cap && !an.covered[k-1] && start == k+1 {
			continue
		}
		break
	}
	// Trim connectors, sentence words and numbers from the front, and
	// people's titles with what they govern ("CEO of Hipcricket").
	for k := start; k < end; k++ {
		if roleWords[an.toks[k].key] {
			start = k + 1
		}
	}
	for start < end && (nameStop[an.toks[start].key] || nameConnector[an.toks[start].key] || an.toks[start].kind == tokNumber) {
		start++
	}
	return start
}

// roleWords are titles of people, never part of a company name.
var roleWords = map[string]bool{
	"ceo": true, "cfo": true, "cto": true, "coo": true, "founder": true, "co-founder": true,
	"president": true, "chairman": true, "chairwoman": true, "chief": true, "executive": true,
	"officer": true, "director": true, "minister": true, "secretary": true, "general": true,
	"gen": true, "lt": true, "col": true, "sen": true, "rep": true, "mr": true, "mrs": true,
	"ms": true, "dr": true, "professor": true, "prof": true, "spokesman": true, "spokeswoman": true,
	"spokesperson": true, "analyst": true, "adm": true, "capt": true, "sgt": true,
}

// shouting reports whether tokens [i, j) are all capitals and look like a
// headline or a heading rather than a name: several words, or one long word.
func (an *annotator) shouting(i, j int) bool {
	for k := i; k < j; k++ {
		if !an.toks[k].upper {
			return false
		}
	}
	return j-i > 1 || an.toks[i].end-an.toks[i].start > 5
}

func (an *annotator) span(i, j int) string {
	return an.text[an.toks[i].start:an.toks[j-1].end]
}

// companyNouns end an apposition that introduces a company: "Tsurugi
// Aerotech, a maker of components".
var companyNouns = map[string]bool{
	"maker": true, "manufacturer": true, "supplier": true, "contractor": true, "subcontractor": true,
	"firm": true, "company": true, "provider": true, "developer": true, "producer": true, "builder": true,
	"shipbuilder": true, "shipyard": true, "retailer": true, "vendor": true,
	"startup": true, "start-up": true, "conglomerate": true, "integrator": true, "operator": true,
	"lender": true, "insurer": true, "studio": true, "carrier": true, "airline": true,
	"consultancy": true, "distributor": true, "subsidiary": true, "corporation": true,
}

// appositionStop ends the search for a company noun after "X, a ...".
var appositionStop = map[string]bool{
	"of": true, "for": true, "at": true, "with": true, "in": true, "from": true, "to": true, "that": true,
	"which": true, "who": true, "whose": true, "on": true, "by": true, "and": true, "or": true,
}

// findUnknownCompanies finds companies that are not in the gazetteer by
// their legal form or an apposition, then counts their later bare mentions.
func (an *annotator) findUnknownCompanies() {
	var found [][]string // token keys of each new name
	var names []int
	for k := range an.toks {
		t := &an.toks[k]
		if t.para == 0 || an.covered[k] || !t.cap && t.key != "plc" && t.key != "," {
			continue
		}
		if an.isLegalForm(k) && k > 0 && an.toks[k-1].kind != tokPunct && t.key != "company" && t.key != "corporation" && t.key != "limited" {
			start := an.capRunBefore(k, 6, false)
			if start < k && !an.allCountry(start, k) && !an.shouting(start, k) {
				end := an.skipLegalForm(k)
				e := an.entityIndex(kindCompany, an.span(start, k), "", false, "", "")
				an.addMention(e, start, end)
				found = append(found, an.keys(start, k))
				names = append(names, e)
			}
			continue
		}
		if t.key == "," && k+2 < len(an.toks) && (an.toks[k+1].key == "a" || an.toks[k+1].key == "an") {
			if !an.appositionNoun(k + 2) {
				continue
			}
			start := an.capRunBefore(k, 5, false)
			if start < k && !an.allCountry(start, k) && !an.shouting(start, k) {
				e := an.entityIndex(kindCompany, an.span(start, k), "", false, "", "")
				an.addMention(e, start, k)
				found = append(found, an.keys(start, k))
				names = append(names, e)
			}
		}
	}
	if len(found) == 0 {
		return
	}
	// Later bare mentions: "Tsurugi Aerotech said", also in the headline.
	byFirst := map[string][]int{}
	for n, keys := range found {
		byFirst[keys[0]] = append(byFirst[keys[0]], n)
	}
	for k := 0; k < len(an.toks); k++ {
		if an.covered[k] || !an.toks[k].cap {
			continue
		}
		for _, n := range byFirst[an.toks[k].key] {
			keys := found[n]
			if k+len(keys) > len(an.toks) {
				continue
			}
			ok := true
			for x := 1; x < len(keys); x++ {
				if an.covered[k+x] || an.toks[k+x].key != keys[x] {
					ok = false
					break
				}
			}
			if ok {
				end := an.skipLegalForm(k + len(keys))
				an.addMention(names[n], k, end)
				k = end - 1
				break
			}
		}
	}
}

func (an *annotator) keys(i, j int) []string {
	ks := make([]string, 0, j-i)
	for k := i; k < j; k++ {
		ks = append(ks, an.toks[k].key)
	}
	return ks
}

// allCountry reports whether tokens [i, j) are only a country name or
// dateline city (never a company name on their own).
func (an *annotator) allCountry(i, j int) bool {
	if _, ok := an.g.cityCountry[an.span(i, j)]; ok {
		return true
	}
	m, ok := an.g.longestAt(an.text, an.toks, i)
	return ok && m.j == j && m.p.kind == kindCountry
}

func (an *annotator) appositionNoun(k int) bool {
	for x := k; x < len(an.toks) && x < k+4; x++ {
		t := an.toks[x]
		if t.kind == tokPunct || appositionStop[t.key] {
			return false
		}
		if companyNouns[t.key] {
			return true
		}
	}
	return false
}

// agencyHeads end names of government bodies found by pattern.
var agencyHeads = map[string]bool{
	"ministry": true, "agency": true, "command": true, "authority": true, "directorate": true,
}

// findUnknownAgencies keeps government bodies named by pattern: "Ministry
// of X", "Department of X", "X Ministry", "X Agency", "X Command",
// "X Authority", "X Self-Defense Force".
func (an *annotator) findUnknownAgencies() {
	for k := 0; k < len(an.toks); k++ {
		t := &an.toks[k]
		if t.para == 0 || an.covered[k] || t.kind != tokWord || !t.cap {
			continue
		}
		if (t.key == "ministry" || t.key == "department") && k+2 < len(an.toks) && an.toks[k+1].key == "of" {
			j := k + 2
			if j < len(an.toks) && an.toks[j].key == "the" {
				j++
			}
			end := j
			for end < len(an.toks) && !an.covered[end] && an.sent[end] == an.sent[k] {
				u := an.toks[end]
				if u.kind == tokWord && u.cap {
					end++
					if u.poss {
						break
					}
					continue
				}
				if (u.key == "and" || u.key == "&") && end+1 < len(an.toks) && an.toks[end+1].cap {
					end++
					continue
				}
				break
			}
			if end > j {
				e := an.entityIndex(kindAgency, an.span(k, end), "", false, "", "")
				an.addMention(e, k, end)
				k = end - 1
			}
			continue
		}
		head := t.cls&clsAgencyHead != 0
		if t.key == "force" && k > 0 && an.toks[k-1].key == "self-defense" {
			head = true
		}
		if !head {
			continue
		}
		start := an.capRunBefore(k, 6, true)
		if start >= k || an.hasPressWord(start, k) || an.shouting(start, k) {
			continue
		}
		e := an.entityIndex(kindAgency, an.span(start, k+1), "", false, "", "")
		an.addMention(e, start, k+1)
	}
}

func (an *annotator) hasPressWord(i, j int) bool {
	for k := i; k < j; k++ {
		switch an.toks[k].key {
		case "news", "press", "media", "travel", "advertising":
			return true
		}
	}
	return false
}

// contextCountries scores the countries an article is about, for resolving
// shared agency names: dateline, site domain, the countries of the
// gazetteer entities it names, country names in the text, its sources.
func (an *annotator) contextCountries() map[string]float64 {
	if an.score == nil {
		an.score = map[string]float64{}
	}
	score := an.score
	clear(score)
	g := an.g
	if c := an.datelineCountry(); c != "" {
		score[c] += 3
	}
	if host := strings.ToLower(an.site); host != "" {
		// Only "//" brings a host: a bare name or domain is not parsed.
		if strings.Contains(host, "//") {
			if u, err := url.Parse(host); err == nil && u.Host != "" {
				host = u.Hostname()
			}
		}
		tld := host[strings.LastIndexByte(host, '.')+1:]
		if id, ok := g.tldCountry[tld]; ok {
			score[g.countries[id].code] += 2
		}
	}
	for _, e := range an.ents {
		if !e.known || e.country == "" {
			continue
		}
		w := 1.0
		if e.kind == kindAgency {
			w = 1.5
		}
		if e.mentions > 1 {
			w += 0.5
		}
		score[e.country] += w
	}
	perCountry := slices.Grow(an.perCountry[:0], len(g.countries))[:len(g.countries)]
	an.perCountry = perCountry
	clear(perCountry)
	for _, c := range an.countries {
		if perCountry[c.country] < 3 {
			score[g.countries[c.country].code] += 0.5
		}
		perCountry[c.country]++
	}
	for _, c := range an.publishers {
		score[c] += 0.5
	}
	return score
}

// datelineCountry reads a wire dateline ("TOKYO (Kyodo) --", "MELBOURNE,
// Florida (Reuters) -") at the start of the body.
func (an *annotator) datelineCountry() string {
	g := an.g
	first := -1
	for k, t := range an.toks {
		if t.para > 0 {
			first = k
			break
		}
	}
	if first < 0 {
		return ""
	}
	var city []string
	code := ""
	for k := first; k < len(an.toks) && k < first+8; k++ {
		t := an.toks[k]
		if t.kind == tokWord && t.upper {
			city = append(city, an.text[t.start:t.end])
			continue
		}
		if t.kind == tokWord && t.cap && len(city) > 0 {
			// "MELBOURNE, Florida": a state or country name settles it.
			if m, ok := g.longestAt(an.text, an.toks, k); ok && m.p.kind == kindCountry {
				code = g.countries[m.p.id].code
			}
		}
		if t.key == "," {
			continue
		}
		break
	}
	if code != "" {
		return code
	}
	if id, ok := g.cityCountry[strings.Join(city, " ")]; ok {
		return g.countries[id].code
	}
	return ""
}

// resolveGenerics turns each shared alias into one country's agency: the
// country written before it, else the article's context, else the
// unqualified name.
func (an *annotator) resolveGenerics() {
	if len(an.generics) == 0 {
		return
	}
	g := an.g
	ctx := an.contextCountries()
	for _, o := range an.generics {
		grp := g.generics[o.group]
		row := -1
		if o.qualifier >= 0 {
			code := g.countries[o.qualifier].code
			for _, r := range grp.rows {
				if g.agencies[r].country == code {
					row = r
				}
			}
			if row < 0 {
				// A country the gazetteer has no such body for: keep the
				// name as written ("Brazilian Air Force").
				e := an.entityIndex(kindAgency, an.span(o.qi, o.j), code, false, "", g.agencies[grp.fallback].typ)
				an.addMention(e, o.qi, o.j)
				continue
			}
		} else {
			best := 0.0
			tie := false
			for _, r := range grp.rows {
				s := ctx[g.agencies[r].country]
				switch {
				case s > best:
					best, row, tie = s, r, false
				case s == best && s > 0:
					tie = true
				}
			}
			if tie {
				row = -1
			}
		}
		if row < 0 {
			row = grp.fallback
		}
		a := g.agencies[row]
		e := an.entityIndex(kindAgency, a.name, a.country, true, "", a.typ)
		an.addMention(e, o.i, o.j)
	}
}

// Words around a company mention that say what role it plays in a sentence.
var (
	// subjectVerbs after a name make it the subject: "NEC said".
	subjectVerbs = map[string]bool{
		"said": true, "says": true, "confirmed": true, "confirms": true, "disclosed": true, "discloses": true,
		"reported": true, "reports": true, "announced": true, "announces": true, "admitted": true,
		"suffered": true, "suffers": true, "has": true, "had": true, "was": true, "is": true,
		"detected": true, "found": true, "finds": true, "discovered": true, "denied": true, "denies": true,
		"warned": true, "notified": true, "told": true, "investigating": true, "investigates": true,
		"hit": true, "hacked": true, "breached": true, "wins": true, "won": true, "signs": true,
		"signed": true, "to": true, "will": true, "raises": true, "raised": true, "received": true,
		"delivered": true, "picks": true, "reveals": true, "revealed": true,
	}
	// incidentWords before "of/on/at/from" make the following name the
	// victim: "attack on NEC", "hack of Diligent", "taken from X".
	incidentWords = map[string]bool{
		"attack": true, "attacks": true, "breach": true, "hack": true, "intrusion": true, "taken": true,
		"stolen": true, "stole": true, "leaked": true, "cyberattack": true, "cyber-attack": true,
		"network": true, "servers": true, "systems": true, "data": true, "files": true,
	}
	operatedBy = map[string]bool{
		"run": true, "operated": true, "managed": true, "hosted": true, "owned": true, "maintained": true,
	}
	prepositions = map[string]bool{
		"for": true, "to": true, "of": true, "with": true, "by": true, "from": true, "at": true,
		"on": true, "including": true, "like": true, "than": true, "supplies": true, "against": true,
		"about": true, "into": true, "as": true, "via": true,
	}
	// relationNouns after a name make it a modifier: "Dassault Aviation subcontractor".
	relationNouns = map[string]bool{
		"supplier": true, "suppliers": true, "subcontractor": true, "subcontractors": true,
		"contractor": true, "contractors": true, "customer": true, "customers": true, "partner": true,
		"partners": true, "client": true, "clients": true, "vendor": true, "vendors": true,
		"rival": true, "rivals": true, "peer": true, "peers": true,
	}
	// elsewhereWords in a sentence place it in another incident or time:
	// "Last week, Mitsubishi Electric admitted a similar attack".
	elsewhereWords = map[string]bool{
		"last": true, "earlier": true, "previously": true, "similar": true, "weeks": true,
		"months": true, "ago": true, "prior": true,
	}
)

// mentionRole classifies a mention: oblique (the object of a preposition
// or a modifier, not the subject), or victim (the object of an incident).
func (an *annotator) mentionRole(m mention, coordinated bool) (oblique, victim, subject bool) {
	toks := an.toks
	if m.i > 0 {
		p := toks[m.i-1]
		if prepositions[p.key] {
			oblique = true
			if m.i > 1 && incidentWords[toks[m.i-2].key] {
				victim = true
			}
			if p.key == "by" && m.i > 1 && operatedBy[toks[m.i-2].key] {
				victim = true // "a payroll system run by X was hacked"
			}
			for k := m.i - 2; k >= 0 && k >= m.i-4; k-- {
				if incidentWords[toks[k].key] && an.sent[k] == an.sent[m.i] && (p.key == "from" || p.key == "of" || p.key == "on" || p.key == "at") {
					victim = true
				}
			}
		}
		if (p.key == "and" || p.key == "," || p.key == "or") && coordinated {
			oblique = true
		}
	}
	j := m.j
	if j < len(toks) && relationNouns[toks[j].key] {
		oblique = true
	}
	if toks[m.j-1].poss && !oblique {
		// "Mitsubishi Electric's network": a possessive subject of the noun phrase.
		subject = true
	}
	for k := j; k < len(toks) && k < j+3; k++ {
		if toks[k].key == "," && k == j {
			// "X, a maker of ..., said": skip over an apposition.
			break
		}
		if subjectVerbs[toks[k].key] {
			subject = !oblique
			break
		}
		if toks[k].kind == tokPunct {
			break
		}
	}
	return oblique, victim, subject
}

// choosePrimary picks the company the report is about: named in the
// headline or the lead sentence as subject or victim, most often, not only
// in sentences about another time or incident. None when a government body
// leads the report and no company heads it, or no company is a subject.
func (an *annotator) choosePrimary() {
	lead := an.leadSentence()
	order := append(an.order[:0], an.mentions...)
	slices.SortFunc(order, func(a, b mention) int { return cmp.Compare(a.i, b.i) })
	an.order = order

	tallies := slices.Grow(an.tallies[:0], len(an.ents))[:len(an.ents)]
	an.tallies = tallies
	for i := range tallies {
		tallies[i] = tally{first: math.MaxInt}
	}
	leadFirstEnt := -1
	titleSeen, leadSeen := false, false
	prevOblique, prevEnd := false, -1
	for _, m := range order {
		sent := an.sent[m.i]
		if sent == lead && leadFirstEnt < 0 {
			leadFirstEnt = m.ent
		}
		e := an.ents[m.ent]
		if e.kind != kindCompany {
			prevOblique, prevEnd = false, m.j
			continue
		}
		// Coordination carries the role: "of Harland & Wolff and Navantia".
		coordinated := prevOblique && m.i == prevEnd+1
		oblique, victim, subject := an.mentionRole(m, coordinated)
		prevOblique, prevEnd = oblique, m.j
		t := &tallies[m.ent]
		t.first = min(t.first, m.i)
		t.all++
		para := an.toks[m.i].para
		if para == 0 {
			if !titleSeen {
				t.firstInTitle = true
				titleSeen = true
			}
			if !oblique || victim {
				t.inTitle = true
			}
		}
		if sent == lead {
			if !leadSeen {
				t.firstInLead = true
				leadSeen = true
			}
			if !oblique || victim {
				t.inLead = true
			}
		}
		if (subject || victim) && t.subjects < 3 {
			t.subjects++
		}
		if para > 0 {
			t.body++
			if an.sentenceFlag(sent, sentElsewhereKnown, sentElsewhere, func(s int) bool {
				return an.sentenceHas(s, clsElsewhere)
			}) {
				t.elsewhere++
			}
		}
	}
	best, bestScore, bestFirst := -1, 0.0, 0
	second, secondScore := -1, 0.0
	for ei, e := range an.ents {
		t := tallies[ei]
		if e.kind != kindCompany || t.all == 0 {
			continue
		}
		var score float64
		eligible := false
		if t.inTitle {
			score += 3
			if t.firstInTitle {
				score++
			}
			eligible = true
		}
		if t.inLead {
			score += 2
			if t.firstInLead {
				score++
			}
			if leadFirstEnt < 0 || an.ents[leadFirstEnt].kind == kindCompany {
				eligible = true
			}
		}
		score += 0.4 * float64(min(e.mentions, 6))
		score += 0.7 * float64(t.subjects)
		if t.body > 0 && t.elsewhere == t.body && !t.inTitle {
			score -= 3 // only named about another time or incident
		}
		if (e.sector == sectorTech || e.sector == sectorServices) && t.subjects == 0 && !t.inTitle {
			score -= 2 // an IT vendor named as the way in, not as the one hit
		}
		if !eligible || score < 3 {
			continue
		}
		if best < 0 || score > bestScore || score == bestScore && t.first < bestFirst {
			second, secondScore = best, bestScore
			best, bestScore, bestFirst = ei, score, t.first
		} else if second < 0 || score > secondScore {
			second, secondScore = ei, score
		}
	}
	if second >= 0 && bestScore-secondScore < 3 && an.coordinatedInTitle(best, second) {
		// "Embraer and Saab showcase jets": a joint subject, not one
		// company; being named first (worth up to 2) does not decide it.
		return
	}
	an.primary = best
}

// tally is what choosePrimary counts for one entity.
type tally struct {
	inTitle, inLead                bool
	firstInTitle, firstInLead      bool
	subjects, elsewhere, body, all int
	first                          int
}

// Per-sentence facts, computed at most once a sentence (annotator.sentFlags).
const (
	sentCueKnown = 1 << iota
	sentCue      // has a word of exposure
	sentElsewhereKnown
	sentElsewhere // places its mentions in another time or incident
	sentOther     // names a company other than the primary, and not the primary
)

// sentenceFlag returns the fact flag of sentence s, computing it with f
// the first time (known marks it computed).
func (an *annotator) sentenceFlag(s int, known, flag uint8, f func(int) bool) bool {
	an.initSentFlags()
	v := an.sentFlags[s]
	if v&known == 0 {
		v |= known
		if f(s) {
			v |= flag
		}
		an.sentFlags[s] = v
	}
	return v&flag != 0
}

func (an *annotator) initSentFlags() {
	if an.sentReady {
		return
	}
	n := 0
	if len(an.sent) > 0 {
		n = an.sent[len(an.sent)-1] + 1
	}
	an.sentFlags = slices.Grow(an.sentFlags[:0], n)[:n]
	clear(an.sentFlags)
	an.sentReady = true
}

// coordinatedInTitle reports whether the headline names companies a and b
// side by side as one subject ("A and B", "A, B").
func (an *annotator) coordinatedInTitle(a, b int) bool {
	var title []mention
	for _, m := range an.mentions {
		if an.toks[m.i].para == 0 && (m.ent == a || m.ent == b) {
			title = append(title, m)
		}
	}
	for _, x := range title {
		for _, y := range title {
			if x.ent != y.ent && y.i == x.j+1 {
				switch an.toks[x.j].key {
				case "and", "&", ",", "or":
					return true
				}
			}
		}
	}
	return false
}

// leadSentence is the first sentence of the body with some substance
// (bylines and datelines alone are skipped).
func (an *annotator) leadSentence() int {
	cur, words := -1, 0
	for k := range an.toks {
		t := &an.toks[k]
		if t.para == 0 || t.kind == tokPunct {
			continue
		}
		if an.sent[k] != cur {
			cur, words = an.sent[k], 0
		}
		if words++; words >= 8 {
			return cur
		}
	}
	return -1
}

// sentenceHas reports whether sentence s has a word of class cls.
func (an *annotator) sentenceHas(s int, cls uint16) bool {
	for k := an.sentStart(s); k < len(an.toks) && an.sent[k] == s; k++ {
		if an.toks[k].cls&cls != 0 {
			return true
		}
	}
	return false
}

// sentStart returns the first token of sentence s.
func (an *annotator) sentStart(s int) int {
	return sort.Search(len(an.sent), func(i int) bool { return an.sent[i] >= s })
}
