package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Discovered is the outcome of Discover.
type Discovered struct {
	// URL is the feed's URL.
	URL  string
	Feed *ParsedFeed
	// Page is set when URL was found through <link rel="alternate"> on
	// this HTML page rather than given directly.
	Page string
	// ETag and LastModified are the feed response's validators.
	ETag         string
	LastModified string
}

// feedTypes are the <link type> values that announce a feed.
var feedTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/json":      true,
	"application/rdf+xml":   true,
}

// Discover fetches rawURL, which the user named, and returns the feed it is,
// or the feed that the HTML page there announces with <link rel="alternate">.
func (c *Client) Discover(ctx context.Context, rawURL string) (*Discovered, error) {
	resp, err := c.Get(ctx, Request{URL: rawURL, Accept: feedAccept})
	if err != nil {
		return nil, err
	}
	pf, err := ParseFeed(resp.Body, resp.ContentType, resp.URL)
	if err == nil {
		return &Discovered{URL: rawURL, Feed: pf, ETag: resp.ETag, LastModified: resp.LastModified}, nil
	}
	if !errors.Is(err, ErrNotFeed) {
		return nil, fmt.Errorf("%s: %w", rawURL, err)
	}
	page, _ := DecodeHTML(resp.Body, resp.ContentType)
	links := FeedLinks(page, resp.URL)
	if len(links) == 0 {
		return nil, fmt.Errorf("%s is neither a feed nor a page that links to one (no <link rel=\"alternate\" type=\"application/rss+xml\">)", rawURL)
	}
	var errs []error
	for _, link := range links {
		fresp, err := c.Get(ctx, Request{URL: link, Accept: feedAccept})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pf, err := ParseFeed(fresp.Body, fresp.ContentType, fresp.URL)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", link, err))
			continue
		}
		return &Discovered{URL: link, Feed: pf, Page: rawURL, ETag: fresp.ETag, LastModified: fresp.LastModified}, nil
	}
	return nil, fmt.Errorf("%s links to feeds, but none works: %w", rawURL, errors.Join(errs...))
}

// FeedLinks returns the absolute URLs of the feeds an HTML page announces
// with <link rel="alternate" type="application/rss+xml|atom+xml|feed+json">,
// in document order.
func FeedLinks(page []byte, pageURL string) []string {
	base, _ := url.Parse(pageURL)
	z := html.NewTokenizer(bytes.NewReader(page))
	var out []string
	seen := map[string]bool{}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.DataAtom == atom.Body {
				return out
			}
			if tok.DataAtom != atom.Link {
				continue
			}
			var rel, typ, href string
			for _, a := range tok.Attr {
				switch strings.ToLower(a.Key) {
				case "rel":
					rel = strings.ToLower(a.Val)
				case "type":
					typ = strings.ToLower(strings.TrimSpace(a.Val))
				case "href":
					href = strings.TrimSpace(a.Val)
				}
			}
			if !strings.Contains(" "+rel+" ", " alternate ") || !feedTypes[typ] || href == "" {
				continue
			}
			if u := resolve(base, href); isHTTP(u) && !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
}
