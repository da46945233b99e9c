package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// FragmentText turns an HTML fragment, such as a feed item's description or
// content, into plain text with paragraphs separated by blank lines. Text
// that is not HTML comes back with its whitespace tidied.
func FragmentText(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return tidyParagraphs(fragment)
	}
	doc, err := parseHTML([]byte(fragment))
	if err != nil {
		return tidyParagraphs(fragment)
	}
	body := findFirst(doc, atom.Body)
	if body == nil {
		body = doc
	}
	x := &textExtractor{body: body, junk: make(map[*html.Node]bool)}
	walk(body, func(n *html.Node) bool {
		if n.Type == html.CommentNode || (n.Type == html.ElementNode && fragmentJunk[n.DataAtom]) {
			x.junk[n] = true
			return false
		}
		return true
	})
	r := renderer{x: x, plain: true}
	r.emit(body)
	return strings.Join(r.paras, "\n\n")
}

// fragmentJunk are the elements of a feed fragment that carry no text.
var fragmentJunk = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Svg: true, atom.Object: true, atom.Embed: true,
	atom.Head: true, atom.Title: true, atom.Link: true, atom.Meta: true,
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
