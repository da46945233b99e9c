package extract

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// fragmentJunkSel finds the elements of a feed fragment that carry no text.
// Comments need no selector: the renderer emits only text and elements.
var fragmentJunkSel = cascadia.MustCompile("script, style, noscript, template, iframe, svg, " +
	"object, embed, head, title, link, meta")

// FragmentText turns an HTML fragment, such as a feed item's description or
// content, into plain text with paragraphs separated by blank lines. Text
// that is not HTML comes back with its whitespace tidied.
func FragmentText(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return tidyParagraphs(fragment)
	}
	root, err := parseHTML([]byte(fragment))
	if err != nil {
		return tidyParagraphs(fragment)
	}
	body := bodyOf(root)
	junk := goquery.NewDocumentFromNode(body).FindMatcher(fragmentJunkSel).Nodes
	x := &textExtractor{body: body, junk: make(map[*html.Node]bool, len(junk))}
	for _, n := range junk {
		x.junk[n] = true
	}
	r := renderer{x: x, plain: true}
	r.emit(x.body)
	return strings.Join(r.paras, "\n\n")
}

// tidyParagraphs folds runs of spaces inside paragraphs and keeps one blank
// line between paragraphs.
func tidyParagraphs(s string) string {
	var paras []string
	for _, block := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if t := collapseSpace(block); t != "" {
			paras = append(paras, t)
		}
	}
	return strings.Join(paras, "\n\n")
}
