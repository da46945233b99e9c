package extract

import (
	"bytes"
	"fmt"
	"regexp"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// metaCharsetRE finds a charset declared in a <meta> element, in either the
// HTML5 or the http-equiv form.
var metaCharsetRE = regexp.MustCompile(`(?i)<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.+-]+)`)

// charsetSniffBytes is how far into a page DecodeHTML looks for a <meta>
// charset; pages put it in the head, sometimes after kilobytes of scripts.
const charsetSniffBytes = 64 << 10

// DecodeHTML returns page converted to UTF-8. The encoding comes from a
// byte-order mark, else from the charset parameter of contentType (may be
// ""), else from a <meta> declaration; a page that is valid UTF-8 is taken as
// UTF-8 whatever it declares, since legacy encodings almost never produce
// valid UTF-8 by accident, and an undeclared page that is not UTF-8 is read
// as windows-1252, as browsers do.
func DecodeHTML(page []byte, contentType string) ([]byte, error) {
	e, name, certain := charset.DetermineEncoding(page, contentType)
	bom := certain && contentType == "" || bytes.HasPrefix(page, []byte("\xef\xbb\xbf"))
	switch {
	case bom:
		// A byte-order mark settles it.
	case utf8.Valid(page):
		return bytes.TrimPrefix(page, []byte("\xef\xbb\xbf")), nil
	case !certain:
		head := page[:min(len(page), charsetSniffBytes)]
		if m := metaCharsetRE.FindSubmatch(head); m != nil {
			if enc, n := charset.Lookup(string(m[1])); enc != nil {
				e, name = enc, n
			}
		}
	}
	if name == "utf-8" {
		// Declared UTF-8 but invalid: keep the bytes; the parser replaces
		// what it cannot read.
		return bytes.TrimPrefix(page, []byte("\xef\xbb\xbf")), nil
	}
	out, _, err := transform.Bytes(e.NewDecoder(), page)
	if err != nil {
		return nil, fmt.Errorf("extract: decode %s: %w", name, err)
	}
	return bytes.TrimPrefix(out, []byte("\xef\xbb\xbf")), nil
}
