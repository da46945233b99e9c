package extract

import (
	"bytes"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

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
