package extract

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// maxPageBytes caps the HTML that Page reads; the article and its metadata
// sit well before this on any real page, and the cap bounds the memory a
// hostile page can take.
const maxPageBytes = 16 << 20

// Page extracts the main text and metadata of an article page, without
// entities. page must be UTF-8 (fetch and the extract command decode other
// charsets first). pageURL is where the page came from; it may be "".
func Page(page []byte, pageURL string) (Article, error) {
	a := Article{URL: pageURL}
	base, err := url.Parse(strings.TrimSpace(pageURL))
	if err != nil || !base.IsAbs() {
		base = nil
	}
	if c, err := CanonicalURL(pageURL); err == nil {
		a.CanonicalURL = c
	}
	if len(page) > maxPageBytes {
		page = page[:maxPageBytes]
	}
	doc, err := parseHTML(page)
	if err != nil {
		return a, fmt.Errorf("extract: parse %q: %w", pageURL, err)
	}

	m := readMeta(doc)
	host := ""
	if base != nil {
		host = strings.TrimPrefix(strings.ToLower(base.Hostname()), "www.")
	}
	a.Site = firstNonEmpty(m.siteName, m.ldPublisher, host)
	if u, err := url.Parse(a.Site); err == nil && u.Host != "" {
		// Some sites put their address in og:site_name.
		a.Site = strings.TrimPrefix(u.Hostname(), "www.")
	}
	a.Title = cleanTitle(firstNonEmpty(m.ogTitle, m.ldHeadline, m.title, m.h1), a.Site, host)
	a.Published = m.published
	a.Lang = m.lang
	for _, ref := range []string{m.canonical, m.ogURL} {
		if c, ok := canonicalRef(base, ref); ok {
			a.CanonicalURL = c
			break
		}
	}
	a.Text = mainText(doc, a.Title)
	if body := FragmentText(m.articleBody); len(body) > 2*len(a.Text) && utf8.RuneCountInString(a.Text) < 500 {
		a.Text = body
	}
	return a, nil
}

// canonicalRef resolves a page's rel=canonical or og:url against its
// address. A canonical pointing at the site's home page from an article is
// a template mistake, not the article's identity, and is ignored.
func canonicalRef(base *url.URL, ref string) (string, bool) {
	abs := resolve(base, ref)
	if abs == "" {
		return "", false
	}
	c, err := CanonicalURL(abs)
	if err != nil {
		return "", false
	}
	if u, err := url.Parse(c); err == nil && u.Path == "/" && u.RawQuery == "" && base != nil && strings.Trim(base.Path, "/") != "" {
		return "", false
	}
	return c, true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// parseHTML parses page. The parser refuses documents nested deeper than
// 512 elements; such a page is flattened and parsed again rather than lost.
func parseHTML(page []byte) (*html.Node, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err == nil {
		return doc, nil
	}
	return html.Parse(bytes.NewReader(flattenHTML(page, maxNesting)))
}

// maxNesting is the depth beyond which flattenHTML drops elements, well
// inside the parser's limit to leave room for the elements it implies.
const maxNesting = 200

// voidElements never have an end tag.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "param": true,
	"source": true, "track": true, "wbr": true, "keygen": true,
}

// flattenHTML rewrites page with the start and end tags of elements nested
// deeper than limit removed; their text stays, attached to the deepest
// element kept.
func flattenHTML(page []byte, limit int) []byte {
	type open struct {
		name string
		kept bool
	}
	var out bytes.Buffer
	var stack []open
	depth := 0
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out.Bytes()
		case html.StartTagToken:
			name, _ := z.TagName()
			if voidElements[string(name)] {
				out.Write(z.Raw())
				continue
			}
			kept := depth < limit
			stack = append(stack, open{string(name), kept})
			if kept {
				depth++
				out.Write(z.Raw())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			i := len(stack) - 1
			for i >= 0 && stack[i].name != string(name) {
				i--
			}
			if i < 0 {
				out.Write(z.Raw())
				continue
			}
			kept := stack[i].kept
			for _, o := range stack[i:] {
				if o.kept {
					depth--
				}
			}
			stack = stack[:i]
			if kept {
				out.Write(z.Raw())
			}
		default:
			out.Write(z.Raw())
		}
	}
}
