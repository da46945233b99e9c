package extract

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// The helpers below walk the tree with explicit stacks rather than
// recursion: pages come from the web and may nest arbitrarily deep.

// walk calls fn for n and every node below it in document order. When fn
// returns false the node's children are skipped.
func walk(n *html.Node, fn func(*html.Node) bool) {
	if n == nil {
		return
	}
	stack := []*html.Node{n}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !fn(c) {
			continue
		}
		for k := c.LastChild; k != nil; k = k.PrevSibling {
			stack = append(stack, k)
		}
	}
}

// attr returns the value of the attribute key of n, or "".
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// hasAttr reports whether n carries the attribute key.
func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// bodySel finds the body element; it stops at the first match.
var bodySel = goquery.Single("body")

// bodyOf returns the body element of the document root, or root itself
// when it has none.
func bodyOf(root *html.Node) *html.Node {
	if body := goquery.NewDocumentFromNode(root).FindMatcher(bodySel); body.Length() > 0 {
		return body.Get(0)
	}
	return root
}

// textContent returns all text below n, with whitespace folded to single
// spaces.
func textContent(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) bool {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
			b.WriteByte(' ')
		}
		return true
	})
	return collapseSpace(b.String())
}

// collapseSpace folds runs of white space, including non-breaking spaces,
// into one space and trims both ends.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}

// removeNode detaches n from its parent.
func removeNode(n *html.Node) {
	if n.Parent != nil {
		n.Parent.RemoveChild(n)
	}
}

// isAncestor reports whether a is n or one of its ancestors.
func isAncestor(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}
