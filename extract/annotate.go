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
