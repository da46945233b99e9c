package extract

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// FragmentText turns an HTML fragment, such as a feed item's description or
// content, into plain text with paragraphs separated by blank lines. Text
// that is not HTML comes back with its whitespace tidied.
func FragmentText(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return tidyParagraphs(fragment)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(fragment))
	if err != nil {
		return tidyParagraphs(fragment)
	}
	doc.Find("script, style, noscript, iframe").Remove()
	doc.Find("p, div, br, li, h1, h2, h3, h4, blockquote").Each(func(_ int, s *goquery.Selection) {
		s.AfterHtml("\n\n")
	})
	return tidyParagraphs(doc.Text())
}

// tidyParagraphs folds runs of spaces inside paragraphs and keeps one blank
// line between paragraphs.
func tidyParagraphs(s string) string {
	var paras []string
	for _, block := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if t := strings.Join(strings.Fields(block), " "); t != "" {
			paras = append(paras, t)
		}
	}
	return strings.Join(paras, "\n\n")
}
