package extract

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The main-text extractor follows the shape of Readability: drop what is
// never content, score paragraphs into their ancestors, take the best
// container and the siblings that look like it, then emit its blocks,
// dropping those that read like page furniture. Every signal is generic
// (tags, roles, class and id vocabulary, text and link density); nothing
// names a site.

// displayNoneRE matches inline styles that hide an element.
var displayNoneRE = regexp.MustCompile(`(?i)display\s*:\s*none|visibility\s*:\s*hidden`)

// A vocabulary is a set of class and id names: parts that may appear
// anywhere in a name ("comment" in "post_comments"), and short words that
// must stand alone ("nav", not "canvas"). Plain string search is several
// times faster than a regexp here, and this runs on every element.
type vocabulary struct {
	parts []string
	words map[string]bool
}

func (v vocabulary) match(name string) bool {
	if name == "" || name == " " {
		return false
	}
	name = strings.ToLower(name)
	for _, p := range v.parts {
		if strings.Contains(name, p) {
			return true
		}
	}
	if len(v.words) == 0 {
		return false
	}
	for w := range strings.FieldsFuncSeq(name, notLetter) {
		if v.words[w] {
			return true
		}
	}
	return false
}

func notLetter(r rune) bool { return r < 'a' || r > 'z' }

func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

var (
	// junkClass names page furniture.
	junkClass = vocabulary{
		parts: []string{"comment", "disqus", "share", "sharing", "social", "newsletter",
			"subscri", "signup", "cookie", "consent", "gdpr", "related", "recommend",
			"outbrain", "taboola", "promo", "sponsor", "sidebar", "breadcrumb", "footer",
			"masthead", "navbar", "navigation", "pagination", "pager", "popup", "advert",
			"widget", "toolbar", "byline", "author", "dateline", "timestamp", "caption",
			"mostpopular", "most-popular", "mostread", "most-read", "trending", "readmore",
			"read-more", "morestories", "more-stories", "screen-reader", "sr-only",
			"visually-hidden", "tag-list", "ad-slot", "adslot"},
		words: wordSet("menu", "nav", "modal", "banner", "ad", "ads", "tags", "keywords",
			"bio", "meta", "credit", "also", "rss", "print", "skip", "hidden"),
	}
	// embedClass names embedded posts and quotes, which are part of the
	// article even inside a "social" wrapper.
	embedClass = vocabulary{parts: []string{"embed", "tweet"}}

	// goodClass and badClass weigh candidates, as in Readability.
	goodClass = vocabulary{parts: []string{"article", "body", "content", "entry", "hentry",
		"h-entry", "main", "page", "pagination", "post", "text", "blog", "story"}}
	badClass = vocabulary{
		parts: []string{"-ad-", "hidden", "banner", "combx", "comment", "com-", "contact",
			"footer", "gdpr", "masthead", "media", "meta", "outbrain", "promo", "related",
			"scroll", "share", "shoutbox", "sidebar", "skyscraper", "sponsor", "shopping",
			"tags", "widget"},
		words: wordSet("hid"),
	}
)

// junkRoles are ARIA roles of regions that are never the article.
var junkRoles = map[string]bool{
	"navigation": true, "complementary": true, "banner": true, "contentinfo": true,
	"dialog": true, "alertdialog": true, "menu": true, "menubar": true, "search": true,
}

// junkTags are elements whose content is never article text.
var junkTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Svg: true, atom.Math: true, atom.Canvas: true, atom.Object: true,
	atom.Embed: true, atom.Button: true, atom.Input: true, atom.Select: true,
	atom.Textarea: true, atom.Option: true, atom.Nav: true, atom.Aside: true,
	atom.Footer: true, atom.Menu: true, atom.Dialog: true, atom.Head: true,
	atom.Title: true, atom.Link: true, atom.Meta: true, atom.Figcaption: true,
	atom.Audio: true, atom.Video: true, atom.Picture: true, atom.Img: true,
}

// blockTags start a new paragraph in the output.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true,
	atom.Main: true, atom.Header: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Blockquote: true,
	atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Td: true, atom.Th: true,
	atom.Figure: true, atom.Br: true, atom.Hr: true, atom.Address: true,
	atom.Center: true, atom.Form: true, atom.Fieldset: true, atom.Details: true,
	atom.Summary: true, atom.Caption: true, atom.Body: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true,
}

// siblingShare is the share of the best candidate's score a sibling needs
// to count as more of the article.
const siblingShare = 0.25

// textExtractor holds the per-page state of one extraction.
type textExtractor struct {
	body  *html.Node
	junk  map[*html.Node]bool
	score map[*html.Node]float64
	// pText is the length of paragraph text below each node.
	pText map[*html.Node]int
	// total is the length of all paragraph text on the page.
	total int
}

// mainText returns the article text of doc as paragraphs separated by blank
// lines. title, when known, is dropped from the start of the text.
func mainText(doc *html.Node, title string) string {
	x := &textExtractor{body: bodyOf(doc)}
	x.measure()
	var best string
	for _, byClass := range []bool{true, false} {
		x.markJunk(byClass)
		root := x.marked()
		if root == nil {
			root = x.pickRoots()
		}
		text := x.render(root, title)
		if len(text) > len(best) {
			best = text
		}
		// A short result may mean the class vocabulary removed the
		// article itself; try again trusting only tags and roles.
		if utf8.RuneCountInString(best) >= 250 {
			break
		}
	}
	return best
}

// measure records, for every node, how much paragraph text lies below it.
func (x *textExtractor) measure() {
	x.pText = make(map[*html.Node]int)
	walk(x.body, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		if junkTags[n.DataAtom] {
			return false
		}
		if n.DataAtom == atom.P {
			l := utf8.RuneCountInString(textContent(n))
			for a := n; a != nil; a = a.Parent {
				x.pText[a] += l
			}
			x.total += l
			return false
		}
		return true
	})
}

// markJunk marks the elements that are never article text. With byClass, the
// class and id vocabulary is trusted too, except on an element holding most
// of the page's paragraph text, which is the article whatever it is called.
func (x *textExtractor) markJunk(byClass bool) {
	x.junk = make(map[*html.Node]bool)
	walk(x.body, func(n *html.Node) bool {
		if n.Type == html.CommentNode {
			x.junk[n] = true
			return false
		}
		if n.Type != html.ElementNode || n == x.body {
			return true
		}
		if x.isJunk(n, byClass) {
			x.junk[n] = true
			return false
		}
		return true
	})
}

func (x *textExtractor) isJunk(n *html.Node, byClass bool) bool {
	if junkTags[n.DataAtom] {
		return true
	}
	if hasAttr(n, "hidden") || attr(n, "aria-hidden") == "true" || displayNoneRE.MatchString(attr(n, "style")) {
		return true
	}
	if junkRoles[attr(n, "role")] {
		return true
	}
	if !byClass || n.DataAtom == atom.Main || n.DataAtom == atom.A {
		return false
	}
	if attr(n, "itemprop") == "articleBody" {
		return false
	}
	cls := attr(n, "class") + " " + attr(n, "id")
	if !junkClass.match(cls) || embedClass.match(cls) {
		return false
	}
	// An element holding most of the paragraph text is the article.
	return x.pText[n]*2 < x.total
}

// marked returns the element the page itself marks as the article body
// (schema.org itemprop=articleBody) when it holds real text.
func (x *textExtractor) marked() []*html.Node {
	var found *html.Node
	walk(x.body, func(n *html.Node) bool {
		if found != nil || x.junk[n] {
			return false
		}
		if n.Type == html.ElementNode && attr(n, "itemprop") == "articleBody" {
			found = n
			return false
		}
		return true
	})
	if found == nil {
		return nil
	}
	if text, _ := x.visibleText(found); utf8.RuneCountInString(text) < 250 {
		return nil
	}
	return []*html.Node{found}
}

// contentScore is Readability's paragraph score: longer text with more
// commas is more likely prose.
func contentScore(text string) float64 {
	s := 1 + float64(strings.Count(text, ",")+strings.Count(text, "，")+strings.Count(text, "、"))
	s += float64(min(utf8.RuneCountInString(text)/100, 3))
	return s
}

func classWeight(n *html.Node) float64 {
	var w float64
	for _, v := range []string{attr(n, "class"), attr(n, "id")} {
		if v == "" {
			continue
		}
		if badClass.match(v) {
			w -= 25
		}
		if goodClass.match(v) {
			w += 25
		}
	}
	return w
}

func tagWeight(n *html.Node) float64 {
	switch n.DataAtom {
	case atom.Div, atom.Article, atom.Main, atom.Section:
		return 5
	case atom.Pre, atom.Td, atom.Blockquote:
		return 3
	case atom.Address, atom.Ol, atom.Ul, atom.Dl, atom.Dd, atom.Dt, atom.Li, atom.Form:
		return -3
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Th:
		return -5
	}
	return 0
}

// hasBlockChild reports whether n has an element child that starts a block.
func hasBlockChild(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && blockTags[c.DataAtom] && c.DataAtom != atom.Br {
			return true
		}
	}
	return false
}

// visibleText returns the text below n outside junk, whitespace folded, and
// the length of the part of it inside links.
func (x *textExtractor) visibleText(n *html.Node) (text string, linkLen int) {
	var b strings.Builder
	type item struct {
		n    *html.Node
		link bool
	}
	stack := []item{{n, false}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.junk[it.n] {
			continue
		}
		switch it.n.Type {
		case html.TextNode:
			before := b.Len()
			b.WriteString(it.n.Data)
			b.WriteByte(' ')
			if it.link {
				linkLen += b.Len() - before
			}
			continue
		case html.ElementNode, html.DocumentNode:
		default:
			continue
		}
		link := it.link || it.n.DataAtom == atom.A
		for c := it.n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, item{c, link})
		}
	}
	raw := b.String()
	text = collapseSpace(raw)
	if len(raw) > 0 {
		linkLen = linkLen * len(text) / len(raw)
	}
	return text, linkLen
}

// linkDensity is the share of the text below n, outside junk, that sits
// inside links. It counts non-space bytes and builds no strings: it runs on
// every candidate.
func (x *textExtractor) linkDensity(n *html.Node) float64 {
	type item struct {
		n    *html.Node
		link bool
	}
	var total, links int
	stack := []item{{n, false}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.junk[it.n] {
			continue
		}
		switch it.n.Type {
		case html.TextNode:
			k := nonSpace(it.n.Data)
			total += k
			if it.link {
				links += k
			}
			continue
		case html.ElementNode, html.DocumentNode:
		default:
			continue
		}
		link := it.link || it.n.DataAtom == atom.A
		for c := it.n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, item{c, link})
		}
	}
	if total == 0 {
		return 0
	}
	return float64(links) / float64(total)
}

// nonSpace counts the bytes of s that are not ASCII white space.
func nonSpace(s string) int {
	k := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\f':
		default:
			k++
		}
	}
	return k
}

// pickRoots scores paragraphs into their ancestors and returns the nodes
// whose blocks make up the article: the best candidate, or it and the
// siblings that look like more of it.
func (x *textExtractor) pickRoots() []*html.Node {
	x.score = make(map[*html.Node]float64)
	var candidates []*html.Node
	walk(x.body, func(n *html.Node) bool {
		if x.junk[n] {
			return false
		}
		if n.Type != html.ElementNode {
			return n.Type == html.DocumentNode
		}
		switch n.DataAtom {
		case atom.P, atom.Pre, atom.Td, atom.Blockquote, atom.Div, atom.Section, atom.Li:
		default:
			return true
		}
		if n.DataAtom != atom.P && n.DataAtom != atom.Pre && hasBlockChild(n) {
			// Text loose between blocks is a paragraph of n's own.
			x.scoreInlineRuns(n, &candidates)
			return true
		}
		text, _ := x.visibleText(n)
		x.addScore(n.Parent, text, &candidates)
		return false
	})
	return x.chooseRoots(candidates)
}

// scoreInlineRuns scores each run of inline content between n's block
// children as a paragraph whose parent is n.
func (x *textExtractor) scoreInlineRuns(n *html.Node, candidates *[]*html.Node) {
	var run strings.Builder
	links := 0
	end := func() {
		if text := collapseSpace(run.String()); links*3 < len(text) {
			x.addScore(n, text, candidates)
		}
		run.Reset()
		links = 0
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if x.junk[c] {
			continue
		}
		switch {
		case c.Type == html.TextNode:
			run.WriteString(c.Data)
		case c.Type == html.ElementNode && blockTags[c.DataAtom]:
			end()
		case c.Type == html.ElementNode:
			t, l := x.visibleText(c)
			if c.DataAtom == atom.A {
				l = len(t)
			}
			links += l
			run.WriteString(" " + t + " ")
		}
	}
	end()
}

// addScore adds the score of a paragraph with text to parent and its
// ancestors, less the further up.
func (x *textExtractor) addScore(parent *html.Node, text string, candidates *[]*html.Node) {
	if utf8.RuneCountInString(text) < 25 {
		return
	}
	s := contentScore(text)
	level := 0
	for a := parent; a != nil && a.Type == html.ElementNode && level < 5; a = a.Parent {
		if _, ok := x.score[a]; !ok {
			x.score[a] = tagWeight(a) + classWeight(a)
			*candidates = append(*candidates, a)
		}
		div := 1.0
		switch {
		case level == 1:
			div = 2
		case level > 1:
			div = float64(level * 3)
		}
		x.score[a] += s / div
		level++
	}
}

// chooseRoots picks the best candidate and the siblings that belong with it.
func (x *textExtractor) chooseRoots(candidates []*html.Node) []*html.Node {
	var top *html.Node
	var topScore float64
	for _, c := range candidates {
		s := x.score[c] * (1 - x.linkDensity(c))
		x.score[c] = s
		if top == nil || s > topScore {
			top, topScore = c, s
		}
	}
	if top == nil {
		return []*html.Node{x.body}
	}
	// When several strong candidates share an ancestor, the article is
	// split across them: take the ancestor.
	var alts []*html.Node
	for _, c := range candidates {
		if c != top && x.score[c]/topScore >= 0.75 {
			alts = append(alts, c)
		}
	}
	first, firstScore := top, topScore
	if len(alts) >= 3 {
		for p := top.Parent; p != nil && p != x.body; p = p.Parent {
			n := 0
			for _, a := range alts {
				if isAncestor(p, a) {
					n++
				}
			}
			if n >= 3 {
				top = p
				break
			}
		}
	}
	// A lone child adds nothing: its parent holds the same article and
	// perhaps its neighbours.
	for top.Parent != nil && top.Parent != x.body && top.Parent.Type == html.ElementNode && x.onlyChild(top) {
		top = top.Parent
	}
	if top.Parent == nil {
		return []*html.Node{top}
	}
	topScore = x.score[top]

	threshold := max(10, firstScore*siblingShare)
	var roots []*html.Node
	for s := top.Parent.FirstChild; s != nil; s = s.NextSibling {
		if s == top {
			roots = append(roots, s)
			continue
		}
		if s.Type != html.ElementNode || x.junk[s] {
			continue
		}
		bonus := 0.0
		if attr(s, "class") != "" && attr(s, "class") == attr(top, "class") {
			bonus = topScore * 0.2
		}
		if sc, ok := x.score[s]; ok && sc+bonus >= threshold {
			roots = append(roots, s)
			continue
		}
		if s.DataAtom == atom.P {
			text, link := x.visibleText(s)
			l := utf8.RuneCountInString(text)
			ld := 0.0
			if len(text) > 0 {
				ld = float64(link) / float64(len(text))
			}
			if (l > 80 && ld < 0.25) || (l > 0 && l <= 80 && ld == 0 && strings.Contains(text, ". ")) {
				roots = append(roots, s)
			}
		}
	}
	return x.addSplitParts(roots, first, firstScore, candidates)
}

// addSplitParts adds the parts of an article that advertising or embeds
// split into several containers of the same tag and class, and returns the
// roots in document order.
func (x *textExtractor) addSplitParts(roots []*html.Node, top *html.Node, topScore float64, candidates []*html.Node) []*html.Node {
	// top is the best candidate before any climbing, so its class is the
	// one its siblings in other containers share.
	cls := attr(top, "class")
	if cls == "" {
		return roots
	}
	in := make(map[*html.Node]bool)
	for _, c := range candidates {
		if c == top || c.DataAtom != top.DataAtom || attr(c, "class") != cls || x.score[c] < topScore*0.3 {
			continue
		}
		covered := false
		for _, r := range roots {
			if isAncestor(r, c) || isAncestor(c, r) {
				covered = true
				break
			}
		}
		if !covered {
			in[c] = true
		}
	}
	if len(in) == 0 {
		return roots
	}
	for _, r := range roots {
		in[r] = true
	}
	ordered := roots[:0:0]
	walk(x.body, func(n *html.Node) bool {
		if in[n] {
			ordered = append(ordered, n)
			return false
		}
		return true
	})
	return ordered
}

// onlyChild reports whether n is the only content of its parent.
func (x *textExtractor) onlyChild(n *html.Node) bool {
	for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
		if c == n || x.junk[c] {
			continue
		}
		if c.Type == html.ElementNode {
			return false
		}
		if c.Type == html.TextNode && strings.TrimSpace(c.Data) != "" {
			return false
		}
	}
	return true
}

// render emits the blocks below roots as paragraphs, dropping those that
// read like furniture.
func (x *textExtractor) render(roots []*html.Node, title string) string {
	r := renderer{x: x, title: collapseSpace(title), seen: make(map[string]bool)}
	for _, root := range roots {
		r.emit(root)
	}
	return strings.Join(trimEdges(r.paras), "\n\n")
}

type renderer struct {
	x     *textExtractor
	title string
	paras []string
	seen  map[string]bool
	cur   strings.Builder
	link  int
	// inH1 counts the open h1 elements: the headline, never body text.
	inH1 int
	// plain keeps every paragraph: the input is known to be content.
	plain bool
}

// emit walks n, flushing a paragraph at every block boundary.
func (r *renderer) emit(n *html.Node) {
	type item struct {
		n     *html.Node
		exit  bool
		link  bool
		block bool
	}
	stack := []item{{n: n}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.exit {
			if it.block {
				r.flush()
			}
			if it.n.DataAtom == atom.H1 {
				r.inH1--
			}
			continue
		}
		c := it.n
		if r.x.junk[c] {
			continue
		}
		switch c.Type {
		case html.TextNode:
			before := r.cur.Len()
			r.cur.WriteString(c.Data)
			if it.link {
				r.link += r.cur.Len() - before
			}
			continue
		case html.ElementNode, html.DocumentNode:
		default:
			continue
		}
		block := blockTags[c.DataAtom]
		if block {
			r.flush()
		}
		if c.DataAtom == atom.H1 {
			r.inH1++
		}
		link := it.link || c.DataAtom == atom.A
		stack = append(stack, item{n: c, exit: true, block: block})
		for k := c.LastChild; k != nil; k = k.PrevSibling {
			stack = append(stack, item{n: k, link: link})
		}
	}
	r.flush()
}

// flush ends the current paragraph.
func (r *renderer) flush() {
	raw := r.cur.String()
	link := r.link
	r.cur.Reset()
	r.link = 0
	text := collapseSpace(raw)
	if text == "" {
		return
	}
	if len(raw) > 0 {
		link = link * len(text) / len(raw)
	}
	if !r.plain && (r.inH1 > 0 || r.furniture(text, link)) {
		return
	}
	r.paras = append(r.paras, text)
}

// furniture reports whether a paragraph reads like page furniture rather
// than article text.
func (r *renderer) furniture(text string, link int) bool {
	if len(r.paras) == 0 && r.title != "" && strings.EqualFold(text, r.title) {
		return true
	}
	n := utf8.RuneCountInString(text)
	ld := float64(link) / float64(len(text))
	if ld > 0.65 && n < 200 {
		return true
	}
	if r.seen[text] && n < 200 {
		return true
	}
	r.seen[text] = true
	return false
}

// trimEdges drops the short lines before the first and after the last
// sentence-like paragraph: headlines, bylines and datelines at the top, tag
// lists and comment counters at the bottom. At most a few lines go from each
// end, and a text made mostly of short lines (a table, a list) is left alone.
func trimEdges(paras []string) []string {
	const maxTrim = 4
	lead, tail := 0, len(paras)
	for lead < min(maxTrim, tail-1) && edgeFurniture(paras[lead]) {
		lead++
	}
	for tail-lead > 1 && len(paras)-tail < maxTrim && edgeFurniture(paras[tail-1]) {
		tail--
	}
	if tail-lead < 2*(len(paras)-(tail-lead)) {
		return paras
	}
	return paras[lead:tail]
}

// edgeFurniture reports whether a paragraph is too short to be prose: a
// few words without closing punctuation.
func edgeFurniture(p string) bool {
	if utf8.RuneCountInString(p) >= edgeShort {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(p)
	return !strings.ContainsRune(".!?\"”’»)。！？…", last)
}

// edgeShort is the length under which an edge paragraph is furniture.
const edgeShort = 35
