package fetch

import (
	"bytes"
	_ "embed"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

//go:embed defaultfeeds.opml
var defaultFeedsOPML []byte

// DefaultFeeds returns the embedded list of defense and security news feeds
// that a database with no feeds starts from (Source "default").
func DefaultFeeds() []Feed {
	feeds, err := ParseOPML(bytes.NewReader(defaultFeedsOPML))
	if err != nil {
		// The file is ours and checked by a test.
		panic("fetch: embedded defaultfeeds.opml: " + err.Error())
	}
	for i := range feeds {
		feeds[i].Source = "default"
	}
	return feeds
}

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Created string      `xml:"head>dateCreated,omitempty"`
	Body    []opmlEntry `xml:"body>outline"`
}

type opmlEntry struct {
	Text     string      `xml:"text,attr"`
	Title    string      `xml:"title,attr,omitempty"`
	Type     string      `xml:"type,attr,omitempty"`
	XMLURL   string      `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string      `xml:"htmlUrl,attr,omitempty"`
	Children []opmlEntry `xml:"outline"`
}

// ParseOPML reads the feeds of an OPML subscription list: every outline with
// an xmlUrl, at any depth (categories are flattened). Source is "opml".
func ParseOPML(r io.Reader) ([]Feed, error) {
	body, err := io.ReadAll(io.LimitReader(r, 10<<20))
	if err != nil {
		return nil, fmt.Errorf("read OPML: %w", err)
	}
	body, _ = DecodeXML(body, "")
	var doc opmlDoc
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not an OPML document: %s", shortParseError(err))
	}
	var feeds []Feed
	seen := map[string]bool{}
	var walk func([]opmlEntry)
	walk = func(es []opmlEntry) {
		for _, e := range es {
			if u := strings.TrimSpace(e.XMLURL); u != "" && !seen[u] {
				seen[u] = true
				feeds = append(feeds, Feed{
					URL:     u,
					Name:    strings.TrimSpace(cmpOr(e.Title, e.Text)),
					SiteURL: strings.TrimSpace(e.HTMLURL),
					Source:  "opml",
				})
			}
			walk(e.Children)
		}
	}
	walk(doc.Body)
	return feeds, nil
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// WriteOPML writes feeds as an OPML 2.0 subscription list.
func WriteOPML(w io.Writer, title string, feeds []Feed, now time.Time) error {
	doc := opmlDoc{Version: "2.0", Title: title, Created: now.UTC().Format(time.RFC1123Z)}
	for _, f := range feeds {
		doc.Body = append(doc.Body, opmlEntry{
			Text: cmpOr(f.Name, f.URL), Title: f.Name, Type: "rss", XMLURL: f.URL, HTMLURL: f.SiteURL,
		})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
