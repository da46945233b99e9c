package extract

import (
	"encoding/json"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pageMeta is what a page says about itself in its head, its JSON-LD and
// its markup.
type pageMeta struct {
	title, ogTitle, ldHeadline, h1 string
	canonical, ogURL               string
	siteName, ldPublisher          string
	lang                           string
	published                      time.Time
	// articleBody is the JSON-LD text of the article, a fallback for pages
	// whose markup holds none (rendered by script, or cut by a paywall).
	articleBody string
}

// ldArticle is the part of a schema.org JSON-LD object we read.
type ldArticle struct {
	types         []string
	headline      string
	datePublished string
	publisher     string
	articleBody   string
}

// articleTypes are the schema.org types whose datePublished is the
// article's.
var articleTypes = map[string]bool{
	"Article": true, "NewsArticle": true, "ReportageNewsArticle": true,
	"AnalysisNewsArticle": true, "BackgroundNewsArticle": true, "OpinionNewsArticle": true,
	"ReviewNewsArticle": true, "BlogPosting": true, "LiveBlogPosting": true,
	"TechArticle": true, "ScholarlyArticle": true, "Report": true, "SocialMediaPosting": true,
	"WebPage": true,
}

// dateMetaNames are meta names and properties that carry the publication
// time, best first.
var dateMetaNames = []string{
	"article:published_time", "og:published_time", "og:article:published_time",
	"datepublished", "parsely-pub-date", "sailthru.date", "dc.date.issued",
	"dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "pubdate",
	"publishdate", "publish-date", "publish_date", "date",
}

// The selectors readMeta uses, compiled once. A Find with a plain selector
// walks the whole tree; goquery.Single stops at the first match, so only
// one full walk is made when the page is well formed.
var (
	htmlSel  = goquery.Single("html")
	titleSel = goquery.Single("title")
	h1Sel    = goquery.Single("h1")
	// metaSel finds, in document order, meta tags, elements marked
	// itemprop=datePublished, JSON-LD scripts, canonical links and dated
	// time elements: one walk for all, as most pages lack some of them.
	metaSel = cascadia.MustCompile(`meta, [itemprop~=datePublished i], script[type*="ld+json" i], ` +
		`link[rel~=canonical i], time[datetime]`)

	allTitlesSel = cascadia.MustCompile("title")
	allH1Sel     = cascadia.MustCompile("h1")
)

// metaKeys are the attributes that name a meta tag, in order of precedence.
var metaKeys = []string{"property", "name", "itemprop", "http-equiv"}

// readMeta collects the metadata of the document root.
func readMeta(root *html.Node) pageMeta {
	var m pageMeta
	doc := goquery.NewDocumentFromNode(root)

	h := doc.FindMatcher(htmlSel)
	m.lang = firstNonEmpty(h.AttrOr("lang", ""), h.AttrOr("xml:lang", ""))
	m.title = firstText(doc, titleSel, allTitlesSel, func(n *html.Node) string {
		if inSVG(n) {
			return ""
		}
		return textContent(n)
	})
	// textContent, not Selection.Text: it keeps words apart across inline
	// elements and <br>.
	m.h1 = firstText(doc, h1Sel, allH1Sel, textContent)

	// The first value for a key wins.
	metas := make(map[string]string)
	var lds []ldArticle
	var firstTime string
	doc.FindMatcher(metaSel).Each(func(_ int, s *goquery.Selection) {
		switch s.Get(0).DataAtom {
		case atom.Script:
			lds = append(lds, parseJSONLD(s.Text())...)
			return
		case atom.Link:
			if m.canonical == "" {
				m.canonical = strings.TrimSpace(s.AttrOr("href", ""))
			}
		case atom.Time:
			if firstTime == "" {
				firstTime = s.AttrOr("datetime", "")
			}
		case atom.Meta:
			var key string
			for _, a := range metaKeys {
				if key = strings.ToLower(strings.TrimSpace(s.AttrOr(a, ""))); key != "" {
					break
				}
			}
			if v := strings.TrimSpace(s.AttrOr("content", "")); key != "" && v != "" {
				if _, ok := metas[key]; !ok {
					metas[key] = v
				}
			}
		}
		if !hasToken(s.AttrOr("itemprop", ""), "datePublished") {
			return
		}
		v := firstNonEmpty(s.AttrOr("content", ""), s.AttrOr("datetime", ""))
		if _, ok := metas["datepublished"]; !ok && v != "" {
			metas["datepublished"] = v
		}
	})

	m.ogTitle = metas["og:title"]
	m.ogURL = metas["og:url"]
	m.siteName = metas["og:site_name"]
	if m.lang == "" {
		m.lang = metas["og:locale"]
	}
	if m.lang == "" {
		m.lang = metas["content-language"]
	}
	m.lang = primaryLang(m.lang)

	for _, ld := range lds {
		if !isArticleType(ld.types) {
			continue
		}
		if m.ldHeadline == "" {
			m.ldHeadline = ld.headline
		}
		if m.ldPublisher == "" {
			m.ldPublisher = ld.publisher
		}
		if m.articleBody == "" {
			m.articleBody = ld.articleBody
		}
		if m.published.IsZero() {
			m.published = parseTime(ld.datePublished)
		}
	}
	for _, k := range dateMetaNames {
		if !m.published.IsZero() {
			break
		}
		m.published = parseTime(metas[k])
	}
	for _, ld := range lds {
		// Any dated JSON-LD object, whatever its type, before a stray
		// <time> element.
		if !m.published.IsZero() {
			break
		}
		m.published = parseTime(ld.datePublished)
	}
	if m.published.IsZero() {
		m.published = parseTime(firstTime)
	}
	return m
}

// firstText returns the first non-empty text(n) over the elements all
// matches. It tries the one first (a goquery.Single) matches before walking
// the whole tree: on most pages that one has the text.
func firstText(doc *goquery.Document, first, all goquery.Matcher, text func(*html.Node) string) string {
	sel := doc.FindMatcher(first)
	if sel.Length() == 0 {
		return ""
	}
	if t := text(sel.Get(0)); t != "" {
		return t
	}
	var t string
	doc.FindMatcher(all).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		t = text(s.Get(0))
		return t == ""
	})
	return t
}

func inSVG(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.DataAtom == atom.Svg {
			return true
		}
	}
	return false
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

func isArticleType(types []string) bool {
	for _, t := range types {
		if articleTypes[t] {
			return true
		}
	}
	return false
}

// trailingCommaRE matches a comma before a closing bracket or brace.
var trailingCommaRE = regexp.MustCompile(`,\s*([\]}])`)

// parseJSONLD returns the objects of a JSON-LD script, however nested.
// Broken JSON yields nothing.
func parseJSONLD(src string) []ldArticle {
	src = strings.TrimSpace(src)
	src = strings.TrimPrefix(src, "<![CDATA[")
	src = strings.TrimSuffix(src, "]]>")
	var v any
	if err := json.Unmarshal([]byte(src), &v); err != nil {
		// Hand-written JSON-LD often has trailing commas or raw line
		// breaks inside strings; forgive those two, nothing else.
		src = strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(src)
		src = trailingCommaRE.ReplaceAllString(src, "$1")
		if err := json.Unmarshal([]byte(src), &v); err != nil {
			return nil
		}
	}
	var out []ldArticle
	// An explicit stack: JSON nests as deep as its author likes.
	stack := []any{v}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch o := cur.(type) {
		case []any:
			for i := len(o) - 1; i >= 0; i-- {
				stack = append(stack, o[i])
			}
		case map[string]any:
			// Articles nest: in @graph, in a WebPage's mainEntity, in
			// arrays. Visit every object, outer ones first.
			keys := slices.Sorted(maps.Keys(o))
			for _, k := range slices.Backward(keys) {
				switch v := o[k]; v.(type) {
				case map[string]any, []any:
					if k != "publisher" && k != "author" {
						stack = append(stack, v)
					}
				}
			}
			out = append(out, ldArticle{
				types:         ldStrings(o["@type"]),
				headline:      ldString(o["headline"]),
				datePublished: ldString(o["datePublished"]),
				publisher:     ldName(o["publisher"]),
				articleBody:   ldString(o["articleBody"]),
			})
		}
	}
	return out
}

func ldString(v any) string {
	switch s := v.(type) {
	case string:
		return strings.TrimSpace(s)
	case []any:
		if len(s) > 0 {
			return ldString(s[0])
		}
	}
	return ""
}

func ldStrings(v any) []string {
	switch s := v.(type) {
	case string:
		return []string{s}
	case []any:
		var out []string
		for _, e := range s {
			if str, ok := e.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func ldName(v any) string {
	switch o := v.(type) {
	case string:
		return strings.TrimSpace(o)
	case map[string]any:
		return ldString(o["name"])
	case []any:
		if len(o) > 0 {
			if m, ok := o[0].(map[string]any); ok {
				return ldString(m["name"])
			}
		}
	}
	return ""
}

// timeLayouts are the date formats pages use, most common first.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
	"20060102",
	time.RFC1123Z,
	time.RFC1123,
	time.RFC850,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2006-01-02 15:04:05 MST",
	"2 Jan 2006 15:04 MST",
	"2 Jan 2006 15:04:05 MST",
	"Mon Jan 2 2006 15:04:05 GMT-0700",
	"January 2, 2006 15:04",
	"January 2, 2006",
	"Jan 2, 2006",
	"2 January 2006",
}

// parseTime reads a publication time in any of timeLayouts and returns it in
// UTC; zero when it cannot be read or is implausible.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	// JavaScript's Date.toString adds the zone's name in parentheses.
	if i := strings.Index(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		s = s[:i]
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1990 || t.Year() > 2200 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	return time.Time{}
}

// primaryLang reduces a language tag such as "en-US", "en_GB" or "EN" to its
// primary subtag, "en".
func primaryLang(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_,; "); i >= 0 {
		tag = tag[:i]
	}
	tag = strings.ToLower(tag)
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for _, r := range tag {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return tag
}

// titleSeparators split a page title from the site name after it.
var titleSeparators = []string{" | ", " - ", " — ", " – ", " :: ", " · ", " « ", " » ", " / ", ": "}

// cleanTitle removes a trailing (or leading) site name from title when it
// matches site or the host of the page.
func cleanTitle(title, site, host string) string {
	title = collapseSpace(title)
	for _, sep := range titleSeparators {
		if i := strings.LastIndex(title, sep); i > 0 {
			if rest := title[i+len(sep):]; namesSite(rest, site, host) {
				return strings.TrimSpace(title[:i])
			}
		}
		if i := strings.Index(title, sep); i > 0 && sep != ": " {
			if head := title[:i]; namesSite(head, site, host) && len(title)-i-len(sep) > 0 {
				return strings.TrimSpace(title[i+len(sep):])
			}
		}
	}
	return title
}

// namesSite reports whether part of a title is the site's name: equal to
// og:site_name, or to the host's name, ignoring case and punctuation.
func namesSite(part, site, host string) bool {
	p := alnum(part)
	if p == "" || len(strings.Fields(part)) > 6 {
		return false
	}
	if s := alnum(site); s != "" && (p == s || strings.HasPrefix(p, s) || strings.HasPrefix(s, p)) {
		return true
	}
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	if host == "" {
		return false
	}
	if p == alnum(host) {
		return true
	}
	// Any label of the host but the last may be the site's name:
	// "japantimes" in japantimes.co.jp, "aerospacedaily" in
	// aerospacedaily.example.org. Short labels must match exactly.
	labels := strings.Split(host, ".")
	for _, l := range labels[:len(labels)-1] {
		n := alnum(l)
		switch {
		case len(n) < 3:
		case p == n:
			return true
		case len(n) >= 5 && strings.Contains(p, n):
			return true
		}
	}
	return false
}

func alnum(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// resolve returns ref made absolute against base, or "" when either is not
// a usable URL.
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if !u.IsAbs() {
		return ""
	}
	return u.String()
}
