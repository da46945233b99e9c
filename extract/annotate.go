package extract

import (
	"cmp"
	"slices"
)

// ranked is an entity as results orders it.
type ranked struct {
	ent, count, first int
}

// Annotate fills Companies, Agencies, Figures and Relevance from the
// article's title and text (and uses Site or URL as context for shared
// agency names). It replaces whatever those fields held. Only the first
// megabyte of text is read.
func Annotate(a *Article) {
	an := newAnnotator(a)
	defer an.release()
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
	cs := an.ranked[:0]
	for i, e := range an.ents {
		if e.mentions == 0 {
			continue
		}
		r := ranked{i, e.mentions, e.first}
		if e.kind == kindCompany {
			cs = append(cs, r)
		}
	}
	nc := len(cs)
	for i, e := range an.ents {
		if e.mentions > 0 && e.kind != kindCompany {
			cs = append(cs, ranked{i, e.mentions, e.first})
		}
	}
	an.ranked = cs
	cs, as := cs[:nc:nc], cs[nc:]
	order := func(a, b ranked) int {
		if pa, pb := a.ent == an.primary, b.ent == an.primary; pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		if a.count != b.count {
			return cmp.Compare(b.count, a.count)
		}
		return cmp.Compare(a.first, b.first)
	}
	slices.SortFunc(cs, order)
	slices.SortFunc(as, order)
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
