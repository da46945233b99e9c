package fetch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/breachwire/breachwire/extract"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
)

// ParsedFeed is a feed document reduced to what the poller needs.
type ParsedFeed struct {
	Title   string
	SiteURL string
	// TTL is the RSS <ttl>: how long the publisher asks readers to wait
	// before polling again; 0 if absent.
	TTL time.Duration
	// Encoding is the charset the document was read as.
	Encoding string
	Items    []Item
}

// Item is one entry of a feed.
type Item struct {
	Title string
	// Link is the article's absolute URL. Items without a usable link get a
	// stable synthetic URL under the feed's own URL (see itemURL) and
	// NoLink is set, so that they are stored but never fetched.
	Link   string
	NoLink bool
	GUID   string
	// HTML is the item's content or description as published (HTML).
	HTML      string
	Published time.Time
}

// ErrNotFeed is returned by ParseFeed for documents that are neither RSS,
// Atom nor JSON Feed.
var ErrNotFeed = errors.New("not an RSS, Atom or JSON feed")

// ParseFeed decodes a feed fetched from feedURL to UTF-8 and parses it.
// Relative item links are resolved against feedURL.
func ParseFeed(body []byte, contentType, feedURL string) (*ParsedFeed, error) {
	doc, enc := DecodeXML(body, contentType)
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return nil, errors.New("empty feed document")
	}
	if gofeed.DetectFeedType(bytes.NewReader(doc)) == gofeed.FeedTypeUnknown {
		return nil, ErrNotFeed
	}
	p := gofeed.NewParser()
	p.KeepOriginalFeed = true
	f, err := p.Parse(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("parse feed (%s): %s", enc, shortParseError(err))
	}
	base, _ := url.Parse(feedURL)
	out := &ParsedFeed{
		Title:    strings.TrimSpace(f.Title),
		SiteURL:  resolve(base, strings.TrimSpace(f.Link)),
		Encoding: enc,
		Items:    make([]Item, 0, len(f.Items)),
	}
	if r, ok := f.OriginalFeed().(*rss.Feed); ok {
		if mins, err := strconv.Atoi(strings.TrimSpace(r.TTL)); err == nil && mins > 0 {
			out.TTL = time.Duration(mins) * time.Minute
		}
	}
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		item := Item{
			Title: plainTitle(it.Title),
			GUID:  strings.TrimSpace(it.GUID),
			HTML:  it.Content,
		}
		if strings.TrimSpace(item.HTML) == "" || len(it.Description) > len(item.HTML) && !strings.Contains(it.Content, "<p") {
			item.HTML = it.Description
		}
		switch {
		case it.PublishedParsed != nil:
			item.Published = it.PublishedParsed.UTC()
		case it.UpdatedParsed != nil:
			item.Published = it.UpdatedParsed.UTC()
		default:
			item.Published = parseLooseDate(it.Published)
		}
		item.Link = itemLink(base, it)
		if item.Link == "" && item.Title == "" && strings.TrimSpace(item.HTML) == "" {
			// An empty <item/> (real feeds have them) names nothing.
			continue
		}
		if item.Link == "" {
			item.Link, item.NoLink = syntheticLink(feedURL, item), true
		}
		out.Items = append(out.Items, item)
	}
	return out, nil
}

// plainTitle turns a title into one line of text: Atom allows type="html"
// titles, and some RSS feeds put markup in theirs.
func plainTitle(s string) string {
	if strings.Contains(s, "<") {
		s = extract.FragmentText(s)
	}
	return strings.Join(strings.Fields(s), " ")
}

// shortParseError keeps a parser's message to one readable line.
func shortParseError(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// itemLink picks the item's article URL: its link, else a GUID that is an
// absolute http(s) URL. Whitespace around CDATA-wrapped links is dropped.
func itemLink(base *url.URL, it *gofeed.Item) string {
	candidates := append([]string{it.Link}, it.Links...)
	candidates = append(candidates, it.GUID)
	for _, c := range candidates {
		if u := resolve(base, strings.TrimSpace(c)); isHTTP(u) {
			return u
		}
	}
	return ""
}

func resolve(base *url.URL, ref string) string {
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
	return u.String()
}

func isHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// syntheticLink names an item that has no link by its feed and a hash of its
// GUID, or of its title and content, so that the same item gets the same URL
// on every poll and is stored once.
func syntheticLink(feedURL string, it Item) string {
	key := it.GUID
	if key == "" {
		key = it.Title + "\x00" + it.HTML
	}
	sum := sha256.Sum256([]byte(key))
	u, err := url.Parse(feedURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("breachwire-item", hex.EncodeToString(sum[:8]))
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u.String()
}

// Month and day names some feeds write in their own language (Portuguese,
// Spanish, French, German), mapped to English so that RFC 1123 layouts parse.
var foreignDateWords = strings.NewReplacer(
	// Portuguese
	"Seg", "Mon", "Ter", "Tue", "Qua", "Wed", "Qui", "Thu", "Sex", "Fri", "Sáb", "Sat", "Sab", "Sat", "Dom", "Sun",
	"Fev", "Feb", "Abr", "Apr", "Mai", "May", "Ago", "Aug", "Set", "Sep", "Out", "Oct", "Dez", "Dec",
	// Spanish / French / German months not already covered
	"Ene", "Jan", "Dic", "Dec", "Janv", "Jan", "Févr", "Feb", "Avr", "Apr", "Juil", "Jul", "Déc", "Dec",
	"Mär", "Mar", "Okt", "Oct",
)

var looseLayouts = []string{
	time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02 15:04:05", "2006/01/02",
}

// parseLooseDate reads dates gofeed does not: foreign month and day names
// and slash-separated dates. It returns the zero time when nothing fits.
func parseLooseDate(s string) time.Time {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}
	}
	for _, cand := range []string{s, foreignDateWords.Replace(s)} {
		for _, layout := range looseLayouts {
			if t, err := time.Parse(layout, cand); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}
