package extract

import (
	"bytes"
	"strings"

	"github.com/PuerkitoBio/goquery"
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

// Page extracts the main text and metadata of an article page, without
// entities. Replaced by the full extractor; this first version takes <p>
// elements from <article>, else from <body>.
func Page(page []byte, pageURL string) (Article, error) {
	a := Article{URL: pageURL}
	if c, err := CanonicalURL(pageURL); err == nil {
		a.CanonicalURL = c
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		return a, err
	}
	a.Title = strings.TrimSpace(doc.Find("title").First().Text())
	root := doc.Find("article").First()
	if root.Length() == 0 {
		root = doc.Find("body")
	}
	var paras []string
	root.Find("p").Each(func(_ int, s *goquery.Selection) {
		if t := strings.Join(strings.Fields(s.Text()), " "); t != "" {
			paras = append(paras, t)
		}
	})
	a.Text = strings.Join(paras, "\n\n")
	return a, nil
}

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
