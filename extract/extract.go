package extract

import (
	"strings"
)

// HTML extracts an article from a page: main text and metadata, then the
// entities, figures and relevance of that text. pageURL is where the page was
// fetched from (may be ""); it resolves relative links and is the fallback
// canonical URL. HTML must be UTF-8 (fetch decodes other charsets).
func HTML(page []byte, pageURL string) (Article, error) {
	a, err := Page(page, pageURL)
	if err != nil {
		return a, err
	}
	Annotate(&a)
	return a, nil
}

// Text builds an article from text that is already clean, such as an archive
// line with "text" or a feed item's description, and annotates it.
func Text(pageURL, title, text string) Article {
	a := Article{URL: pageURL, Title: strings.TrimSpace(title), Text: strings.TrimSpace(text)}
	if c, err := CanonicalURL(pageURL); err == nil {
		a.CanonicalURL = c
	}
	Annotate(&a)
	return a
}
