package extract

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// figureStarts are the words a figure can start with.
var figureStarts = func() map[string]bool {
	m := map[string]bool{"an": true}
	for k := range approxWords {
		m[k] = true
	}
	for k := range approxPairs {
		m[k] = true
	}
	for k := range vagueAmounts {
		m[k] = true
	}
	for k := range numberWords {
		m[k] = true
	}
	return m
}()

// kindNouns name what was exposed; a number counts them only when one of
// these heads the words after it ("27,445 files", "1.2 million customer
// records"). Singular forms are modifiers ("90 employee email accounts").
var kindNouns = map[string]string{
	"files": KindFiles, "documents": KindDocuments, "records": KindRecords,
	"emails": KindEmails, "e-mails": KindEmails, "accounts": KindAccounts,
	"people": KindPeople, "persons": KindPeople, "individuals": KindPeople, "employees": KindPeople,
	"customers": KindPeople, "users": KindPeople, "clients": KindPeople, "patients": KindPeople,
	"staff": KindPeople, "workers": KindPeople, "personnel": KindPeople, "members": KindPeople,
	"students": KindPeople, "applicants": KindPeople, "retirees": KindPeople, "veterans": KindPeople,
	"citizens": KindPeople, "residents": KindPeople,
	"passengers": KindPeople, "policyholders": KindPeople, "children": KindPeople,
}

// byteUnits are data volumes, as words or as suffixes ("30GB").
var byteUnits = map[string]float64{
	"byte": 1, "bytes": 1,
	"kb": 1e3, "kilobyte": 1e3, "kilobytes": 1e3,
	"mb": 1e6, "megabyte": 1e6, "megabytes": 1e6,
	"gb": 1e9, "gigabyte": 1e9, "gigabytes": 1e9, "gig": 1e9, "gigs": 1e9,
	"tb": 1e12, "terabyte": 1e12, "terabytes": 1e12,
	"pb": 1e15, "petabyte": 1e15, "petabytes": 1e15,
}

var scaleWords = map[string]float64{
	"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "millions": 1e6,
	"bn": 1e9, "billion": 1e9, "trillion": 1e12,
}

var numberWords = map[string]float64{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
	"forty": 40, "fifty": 50, "hundred": 100, "a": 1,
}

// vagueAmounts are "tens of thousands of", "hundreds of": approximate, with
// the stated lower bound as the value.
var vagueAmounts = map[string]float64{
	"dozens": 12, "hundreds": 100, "thousands": 1e3, "millions": 1e6, "billions": 1e9, "tens": 10,
}

// approxWords before a number make it approximate; a two-word form is
// matched through its first word.
var approxWords = map[string]bool{
	"about": true, "around": true, "roughly": true, "approximately": true, "nearly": true,
	"almost": true, "some": true, "over": true, "estimated": true, "upwards": true, "~": true,
	"circa": true, "approx": true,
}

var approxPairs = map[string]string{
	"more": "than", "at": "least", "up": "to", "close": "to", "as": "many", "upward": "of",
	"fewer": "than", "less": "than",
}

var currencyAfter = map[string]bool{
	"dollars": true, "dollar": true, "euros": true, "euro": true, "yen": true, "won": true,
	"pounds": true, "pound": true, "rupees": true, "yuan": true, "usd": true, "eur": true,
	"gbp": true, "jpy": true, "krona": true, "kronor": true, "kroner": true, "percent": true,
	"per": true, "%": true, "p": true, "pence": true, "cents": true, "francs": true, "shekels": true,
	"lira": true, "zloty": true, "rubles": true, "roubles": true, "yuan,": true, "years": true,
	"year": true, "year-old": true, "years-old": true,
}

var months = map[string]bool{
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true,
	"july": true, "august": true, "september": true, "october": true, "november": true,
	"december": true, "jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true, "fiscal": true,
	"fy": true, "since": true, "until": true, "in": true, "by": true,
}

// headcountVerbs before a count of people make it a size, not an exposure:
// "employs 147,000 people", "has 2 million users".
var headcountVerbs = map[string]bool{
	"employs": true, "employ": true, "employing": true, "employed": true, "has": true, "have": true,
	"had": true, "hire": true, "hiring": true, "hired": true, "serves": true, "serve": true,
	"serving": true, "with": true, "recruit": true, "cut": true, "cuts": true, "cutting": true,
	"add": true, "adding": true, "join": true, "joined": true, "sold": true, "support": true,
	"supports": true, "sustain": true, "sustains": true, "workforce": true,
}

// incidentCue reports whether a word marks exposure in its sentence; a
// count is a figure only in such a sentence.
func incidentCue(key string) bool {
	if len(key) < 4 {
		return false
	}
	for _, p := range cueByStart[key[:4]] {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// cueByStart indexes incidentPrefixes by their first four bytes.
var cueByStart = func() map[string][]string {
	m := map[string][]string{}
	for _, p := range incidentPrefixes {
		m[p[:4]] = append(m[p[:4]], p)
	}
	return m
}()

var incidentPrefixes = []string{
	"stol", "steal", "leak", "breach", "hack", "expos", "access", "compromis", "affect",
	"exfiltrat", "attack", "cyberattack", "cyber-attack", "ransom", "malware", "obtain",
	"copied", "posted", "publish", "dump", "releas", "encrypt", "taken", "download",
	"impact", "theft", "phish", "intrusion", "unauthori", "drain", "claim", "sell", "selling",
	"spyware", "extort",
}

// findFigures extracts counts of exposed things.
func (an *annotator) findFigures() []Figure {
	toks := an.toks
	figs := []Figure{}
	type figKey struct {
		kind  string
		value int64
	}
	var seen []figKey // figures are few: a list beats a map
	for k := 0; k < len(toks); k++ {
		if t := &toks[k]; t.kind != tokNumber && t.cls&clsFigure == 0 {
			continue // the common case, cheaply
		}
		// "a" and "an" are common and start a figure only as "a million",
		// "an estimated": rule them out before figureAt.
		switch toks[k].key {
		case "a":
			if k+1 >= len(toks) || toks[k+1].cls&clsScale == 0 {
				continue
			}
		case "an":
			if k+1 >= len(toks) || toks[k+1].key != "estimated" {
				continue
			}
		}
		f, end, ok := an.figureAt(k)
		if !ok {
			continue
		}
		s := an.sent[k]
		if !an.sentenceFlag(s, sentCueKnown, sentCue, an.sentenceCue) || an.aboutOtherCompany(s) {
			k = end - 1
			continue
		}
		key := figKey{f.Kind, f.Value}
		if !slices.Contains(seen, key) {
			seen = append(seen, key)
			figs = append(figs, f)
		}
		k = end - 1
	}
	return figs
}

// sentenceCue reports whether sentence s has a word of exposure.
func (an *annotator) sentenceCue(s int) bool {
	for k := an.sentStart(s); k < len(an.toks) && an.sent[k] == s; k++ {
		if an.toks[k].kind == tokWord && incidentCue(an.toks[k].key) {
			return true
		}
	}
	return false
}

// aboutOtherCompany reports whether sentence s names a company other than
// the primary one and not the primary: a figure there belongs to another
// incident ("Boeing said at the time that 43GB had been stolen").
func (an *annotator) aboutOtherCompany(s int) bool {
	if an.primary < 0 {
		return false
	}
	if !an.otherDone {
		// Computed once: which sentences name another company, and which the primary.
		an.otherDone = true
		an.initSentFlags()
		const self = sentOther << 1
		for _, m := range an.mentions {
			e := an.ents[m.ent]
			switch {
			case e.kind != kindCompany:
			case m.ent == an.primary:
				an.sentFlags[an.sent[m.i]] |= self
			case e.sector != sectorTech:
				an.sentFlags[an.sent[m.i]] |= sentOther
			}
		}
		for i, v := range an.sentFlags {
			if v&self != 0 {
				an.sentFlags[i] = v &^ (self | sentOther)
			}
		}
	}
	return an.sentFlags[s]&sentOther != 0
}

// figureAt reads a figure starting at token k (its qualifier or number).
func (an *annotator) figureAt(k int) (Figure, int, bool) {
	toks := an.toks
	start := k
	approx := false
	// Qualifier.
	if approxWords[toks[k].key] && k+1 < len(toks) {
		approx = true
		k++
		if toks[k].key == "of" || toks[k].key == "than" {
			k++
		}
	} else if second, ok := approxPairs[toks[k].key]; ok && k+2 < len(toks) && toks[k+1].key == second {
		approx = true
		k += 2
		if toks[k].key == "of" {
			k++
		}
	} else if toks[k].key == "an" && k+1 < len(toks) && toks[k+1].key == "estimated" {
		approx = true
		k += 2
	}
	if k >= len(toks) {
		return Figure{}, 0, false
	}
	value, unit, next, vague, ok := an.parseAmount(k)
	if !ok {
		return Figure{}, 0, false
	}
	if vague {
		approx = true
	}
	// What is before the number must not make it money, a date or a size.
	if n := k - 1; n >= 0 && start == k {
		p := toks[n]
		if months[p.key] || p.key == "$" || p.key == "€" || p.key == "£" || p.key == "¥" || p.key == "+" ||
			p.key == "#" || p.kind == tokNumber {
			return Figure{}, 0, false
		}
	}
	if k > 0 && (toks[k-1].key == "$" || toks[k-1].key == "£" || toks[k-1].key == "€") {
		return Figure{}, 0, false
	}
	if next < len(toks) && (currencyAfter[toks[next].key] || toks[next].kind == tokNumber) {
		return Figure{}, 0, false
	}
	kind := ""
	end := next
	if unit > 0 {
		kind = KindBytes
		value *= unit
		// "30GB of data": keep "of X" in the fragment.
		if end+1 < len(toks) && toks[end].key == "of" && toks[end+1].kind == tokWord {
			end += 2
		}
	} else {
		kind, end = an.kindAfter(next)
		if kind == "" {
			return Figure{}, 0, false
		}
		if kind == KindPeople && (start > 0 && headcountVerbs[toks[start-1].key] || !an.sentenceHas(an.sent[k], clsData)) {
			// A count of people is exposed data only where the sentence
			// speaks of their data: "personal data of 8,122 people".
			return Figure{}, 0, false
		}
	}
	if value < 1 || value > 1e16 || math.IsNaN(value) {
		return Figure{}, 0, false
	}
	text := an.text[toks[start].start:toks[end-1].end]
	return Figure{Kind: kind, Value: int64(math.Round(value)), Approx: approx, Text: text}, end, true
}

// parseAmount reads a number at token k: "27,445", "1.2 million", "2.5bn",
// "30GB", "1.5 terabytes", "tens of thousands of", "hundreds of". unit is
// the byte multiplier when the number is a data volume (else 0).
func (an *annotator) parseAmount(k int) (value, unit float64, next int, vague, ok bool) {
	toks := an.toks
	t := toks[k]
	next = k + 1
	switch {
	case t.kind == tokNumber:
		num, suffix := splitNumber(t.key)
		if num == "" {
			return 0, 0, 0, false, false
		}
		comma := strings.IndexByte(num, ',') >= 0
		if comma && !validThousands(num) {
			return 0, 0, 0, false, false
		}
		plain := num
		if comma {
			plain = strings.ReplaceAll(num, ",", "")
		}
		v, err := strconv.ParseFloat(plain, 64)
		if err != nil {
			return 0, 0, 0, false, false
		}
		if suffix == "" && !comma && strings.IndexByte(num, '.') < 0 && v >= 1900 && v <= 2100 {
			return 0, 0, 0, false, false // a year
		}
		value = v
		switch {
		case suffix == "":
		case scaleWords[suffix] > 0:
			value *= scaleWords[suffix]
		case byteUnits[suffix] > 0:
			return value, byteUnits[suffix], next, false, true
		default:
			return 0, 0, 0, false, false
		}
		if next < len(toks) && scaleWords[toks[next].key] > 0 && suffix == "" && len(toks[next].key) > 1 {
			value *= scaleWords[toks[next].key]
			next++
		}
		if next < len(toks) && byteUnits[toks[next].key] > 0 && len(toks[next].key) > 1 {
			return value, byteUnits[toks[next].key], next + 1, false, true
		}
		return value, 0, next, false, true
	case vagueAmounts[t.key] > 0 && next < len(toks) && toks[next].key == "of":
		// "tens of thousands of files", "hundreds of documents".
		value = vagueAmounts[t.key]
		next++
		if t.key == "tens" || t.key == "hundreds" {
			if next+1 < len(toks) && vagueAmounts[toks[next].key] >= 1e3 && toks[next+1].key == "of" {
				value *= vagueAmounts[toks[next].key]
				next += 2
			} else if t.key == "tens" {
				return 0, 0, 0, false, false
			}
		}
		return value, 0, next, true, true
	case numberWords[t.key] > 0 && t.key != "a" || t.key == "a" && next < len(toks) && scaleWords[toks[next].key] >= 1e3:
		value = numberWords[t.key]
		if next < len(toks) && scaleWords[toks[next].key] >= 1e3 {
			value *= scaleWords[toks[next].key]
			next++
		} else if t.key == "one" || t.key == "a" {
			return 0, 0, 0, false, false
		}
		return value, 0, next, false, true
	}
	return 0, 0, 0, false, false
}

// splitNumber splits "2.5bn" into "2.5" and "bn".
func splitNumber(key string) (num, suffix string) {
	i := 0
	for i < len(key) && (isDigit(key[i]) || key[i] == ',' || key[i] == '.') {
		i++
	}
	return key[:i], key[i:]
}

// validThousands checks "27,445" style grouping: a first group of one to
// three digits, then groups of three, up to the decimal point.
func validThousands(num string) bool {
	intPart, _, _ := strings.Cut(num, ".")
	n, first := 0, true // length of the current group; is it the first
	for i := 0; i < len(intPart); i++ {
		if intPart[i] != ',' {
			n++
			continue
		}
		if first && (n == 0 || n > 3) || !first && n != 3 {
			return false
		}
		n, first = 0, false
	}
	if first {
		return n > 0 && n <= 3
	}
	return n == 3
}

// kindAfter finds the noun a count counts: the last of a run of kind nouns
// reached through at most four modifiers ("current and former employees").
func (an *annotator) kindAfter(k int) (kind string, end int) {
	toks := an.toks
	for x := k; x < len(toks) && x < k+6; x++ {
		t := toks[x]
		if t.kind != tokWord {
			break
		}
		if kd, ok := kindNouns[t.key]; ok && !(t.cap && x > k) {
			kind, end = kd, x+1
			continue
		}
		if kind != "" {
			break
		}
		if figureStop[t.key] || t.cap && x > k && !t.upper {
			break
		}
		if (t.key == "and" || t.key == "or") && x+1 < len(toks) && toks[x+1].kind == tokWord {
			continue
		}
	}
	return kind, end
}

// dataWords say that a sentence is about people's data.
var dataWords = map[string]bool{
	"data": true, "information": true, "details": true, "records": true, "numbers": true,
	"files": true, "accounts": true, "emails": true, "credentials": true, "passwords": true,
	"addresses": true, "identities": true, "info": true, "pii": true,
}

// figureStop ends the words between a number and its noun.
var figureStop = map[string]bool{
	"of": true, "in": true, "from": true, "to": true, "were": true, "was": true, "are": true,
	"is": true, "have": true, "has": true, "had": true, "that": true, "which": true, "who": true,
	"the": true, "a": true, "an": true, "at": true, "for": true, "on": true, "by": true,
	"with": true, "it": true, "its": true, "their": true, "more": true, "than": true, "per": true,
	"times": true, "said": true, "says": true, "and": false,
}
