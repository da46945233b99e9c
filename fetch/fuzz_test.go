package fetch

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// The seed corpus is in testdata/fuzz/<FuzzName>/: feeds in several
// charsets, with and without declarations, truncated and malformed ones.

func FuzzParseFeed(f *testing.F) {
	f.Add([]byte(`<rss version="2.0"><channel><title>t</title><item><title>a</title><link>/x</link></item></channel></rss>`), "application/rss+xml")
	f.Fuzz(func(t *testing.T, doc []byte, contentType string) {
		pf, err := ParseFeed(doc, contentType, "https://feeds.example.com/feed")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			return
		}
		for _, it := range pf.Items {
			if !utf8.ValidString(it.Title) {
				t.Errorf("title is not UTF-8: %q", it.Title)
			}
			if !isHTTP(it.Link) {
				t.Errorf("item link %q is not an absolute http(s) URL", it.Link)
			}
		}
	})
}

func FuzzDecodeXML(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1251"?><rss/>`), "")
	f.Fuzz(func(t *testing.T, doc []byte, contentType string) {
		out, enc := DecodeXML(doc, contentType)
		if enc == "" {
			t.Error("no encoding name")
		}
		if enc != "utf-8" && !utf8.Valid(out) {
			t.Errorf("decoded from %s but not UTF-8", enc)
		}
		if utf8.Valid(doc) && !bytes.HasPrefix(doc, []byte{0xEF, 0xBB, 0xBF}) && len(out) != len(doc) && !bytes.Contains(doc, []byte("encoding")) {
			t.Errorf("valid UTF-8 without a declaration was changed")
		}
	})
}

func FuzzDecodeHTML(f *testing.F) {
	f.Add([]byte(`<meta charset="shift_jis"><p>x</p>`), "text/html")
	f.Fuzz(func(t *testing.T, page []byte, contentType string) {
		out, enc := DecodeHTML(page, contentType)
		if enc != "utf-8" && !utf8.Valid(out) {
			t.Errorf("decoded from %s but not UTF-8", enc)
		}
	})
}

func FuzzParseOPML(f *testing.F) {
	f.Add([]byte(`<opml version="2.0"><body><outline text="a" xmlUrl="https://a.example/feed"/></body></opml>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		feeds, err := ParseOPML(bytes.NewReader(doc))
		if err != nil {
			return
		}
		for _, fd := range feeds {
			if fd.URL == "" {
				t.Error("feed with empty URL")
			}
		}
	})
}

func FuzzFeedLinks(f *testing.F) {
	f.Add([]byte(`<link rel="alternate" type="application/atom+xml" href="/atom">`), "https://example.com/")
	f.Fuzz(func(t *testing.T, page []byte, pageURL string) {
		for _, l := range FeedLinks(page, pageURL) {
			if !isHTTP(l) {
				t.Errorf("link %q is not absolute http(s)", l)
			}
		}
	})
}
