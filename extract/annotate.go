package extract

import "sort"

// Annotate fills Companies, Agencies, Figures and Relevance from the
// article's title and text (and uses Site or URL as context for shared
// agency names). It replaces whatever those fields held. Only the first
// megabyte of text is read.
func Annotate(a *Article) {
	an := newAnnotator(a)
	an.findKnown()
	an.findUnknownCompanies()
	an.findUnknownAgencies()
	an.resolveGenerics()
	an.choosePrimary()
	a.Companies, a.Agencies = an.results()
	a.Figures = an.findFigures()
	a.Relevance = an.relevance(a.Figures)
}

// results lists companies (the primary first, then by mentions) and
// agencies (by mentions), each in order of first appearance among equals.
func (an *annotator) results() ([]Company, []Agency) {
	type ranked struct {
		ent, count, first int
	}
	var cs, as []ranked
	for i, e := range an.ents {
		if len(e.mentions) == 0 {
			continue
		}
		first := an.mentions[e.mentions[0]].i
		for _, m := range e.mentions {
			first = min(first, an.mentions[m].i)
		}
		r := ranked{i, len(e.mentions), first}
		if e.kind == kindCompany {
			cs = append(cs, r)
		} else {
			as = append(as, r)
		}
	}
	less := func(s []ranked) func(i, j int) bool {
		return func(i, j int) bool {
			pi, pj := s[i].ent == an.primary, s[j].ent == an.primary
			if pi != pj {
				return pi
			}
			if s[i].count != s[j].count {
				return s[i].count > s[j].count
			}
			return s[i].first < s[j].first
		}
	}
	sort.Slice(cs, less(cs))
	sort.Slice(as, less(as))
	companies := make([]Company, 0, len(cs))
	for _, r := range cs {
		e := an.ents[r.ent]
		companies = append(companies, Company{Name: e.name, Mentions: r.count, Primary: r.ent == an.primary, Country: e.country})
	}
	agencies := make([]Agency, 0, len(as))
	for _, r := range as {
		e := an.ents[r.ent]
		agencies = append(agencies, Agency{Name: e.name, Mentions: r.count, Country: e.country})
	}
	return companies, agencies
}

// CanonicalCompany resolves a company name or alias ("NEC Corp.", "MHI") to
// its canonical gazetteer name. ok is false for names not in the gazetteer
// (and for news publishers, which are never reported as companies).
func CanonicalCompany(name string) (canonical string, ok bool) {
	g := loadGazetteer()
	key := normName(name)
	id, ok := g.companyByKey[key]
	if !ok {
		// "NEC Corp.": drop trailing legal forms.
		toks := tokenize(name)
		for len(toks) > 1 && legalFormKey(toks[len(toks)-1].key) {
			toks = toks[:len(toks)-1]
		}
		if len(toks) > 0 && toks[len(toks)-1].key == "," {
			toks = toks[:len(toks)-1]
		}
		if len(toks) == 0 {
			return "", false
		}
		id, ok = g.companyByKey[normName(name[:toks[len(toks)-1].end])]
	}
	if !ok || g.companies[id].sector == sectorPublisher {
		return "", false
	}
	return g.companies[id].name, true
}

// CanonicalAgency resolves an agency name or alias to its canonical
// gazetteer name. An alias shared by several countries ("Defense Ministry")
// is ambiguous without context: ok is false for it (see AgencyNames).
func CanonicalAgency(name string) (canonical string, ok bool) {
	g := loadGazetteer()
	key := normName(name)
	if id, ok := g.agencyByKey[key]; ok {
		return g.agencies[id].name, true
	}
	return "", false
}

// AgencyNames returns every canonical agency name an alias can stand for,
// case-insensitively: one name for a plain alias ("ATLA"), all the
// countries' bodies plus the unqualified name for a shared one ("Defense
// Ministry"), nil for an unknown alias. Filters use it to match all of them.
func AgencyNames(alias string) []string {
	g := loadGazetteer()
	rows := g.agencyNames[normName(alias)]
	names := make([]string, 0, len(rows))
	for _, r := range rows {
		names = append(names, g.agencies[r].name)
	}
	return names
}
