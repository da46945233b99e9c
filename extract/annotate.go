package extract

// Annotate fills Companies, Agencies, Figures and Relevance from the
// article's title and text. Placeholder until the entity extractor lands.
func Annotate(a *Article) {
	if a.Companies == nil {
		a.Companies = []Company{}
	}
	if a.Agencies == nil {
		a.Agencies = []Agency{}
	}
	if a.Figures == nil {
		a.Figures = []Figure{}
	}
}

// CanonicalCompany resolves a company name or alias ("NEC Corp.", "MHI") to
// its canonical gazetteer name. ok is false for names not in the gazetteer.
func CanonicalCompany(name string) (canonical string, ok bool) {
	return "", false
}

// CanonicalAgency resolves an agency name or alias to its canonical
// gazetteer name. An alias shared by several countries ("Defense Ministry")
// is ambiguous without context: ok is false for it.
func CanonicalAgency(name string) (canonical string, ok bool) {
	return "", false
}
