package fetch

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// xmlDecl matches an XML declaration at the start of a document, possibly
// after a BOM, whitespace and comments (some real feeds put a comment first,
// which is not well-formed but common enough to tolerate).
var xmlDecl = regexp.MustCompile(`(?s)\A(?:\xEF\xBB\xBF)?\s*(?:<!--.*?-->\s*)*<\?xml[^>]*?\?>`)

// xmlEncodingAttr finds the encoding pseudo-attribute inside a declaration.
var xmlEncodingAttr = regexp.MustCompile(`encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']`)

// DecodeXML returns the document converted to UTF-8 and the name of the
// encoding it was read as. The XML declaration's encoding, if any, is
// rewritten to UTF-8 so that a parser does not convert the text twice.
//
// The charset is chosen in this order: a byte-order mark; valid UTF-8 (text
// that decodes cleanly as UTF-8 and has non-ASCII characters is UTF-8 whatever
// it claims, because legacy single-byte text almost never does); the XML
// declaration; the HTTP Content-Type charset; and finally a guess from the
// bytes among Shift_JIS, EUC-JP, GB18030, windows-1251 and windows-1252.
func DecodeXML(doc []byte, contentType string) ([]byte, string) {
	declared := ""
	if m := xmlDecl.Find(doc); m != nil {
		if sub := xmlEncodingAttr.FindSubmatch(m); sub != nil {
			declared = string(sub[1])
		}
	}
	if declared == "" {
		declared = contentTypeCharset(contentType)
	}
	out, name := decode(doc, declared)
	if m := xmlDecl.FindIndex(out); m != nil {
		decl := out[m[0]:m[1]]
		if loc := xmlEncodingAttr.FindSubmatchIndex(decl); loc != nil {
			fixed := make([]byte, 0, len(out))
			fixed = append(fixed, out[:m[0]+loc[2]]...)
			fixed = append(fixed, "UTF-8"...)
			fixed = append(fixed, out[m[0]+loc[3]:]...)
			out = fixed
		}
	}
	return out, name
}

// DecodeHTML returns an HTML page converted to UTF-8 and the name of the
// encoding it was read as: a BOM, valid UTF-8, the Content-Type charset, a
// <meta> charset in the first 1024 bytes, then a guess from the bytes.
func DecodeHTML(page []byte, contentType string) ([]byte, string) {
	declared := contentTypeCharset(contentType)
	if declared == "" {
		// DetermineEncoding prescans <meta charset> but reports even that as
		// uncertain; what it finds is a declaration unless it is merely its
		// fallback (windows-1252 with no "charset" in sight) or UTF-8, which
		// decode checks on its own.
		head := page[:min(len(page), 1024)]
		if _, name, _ := charset.DetermineEncoding(head, ""); name != "windows-1252" && name != "utf-8" ||
			name == "windows-1252" && bytes.Contains(bytes.ToLower(head), []byte("charset")) {
			declared = name
		}
	}
	return decode(page, declared)
}

func contentTypeCharset(contentType string) string {
	for _, part := range strings.Split(contentType, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "charset") {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// decode converts b to UTF-8, trusting declared only when the bytes are not
// already valid UTF-8.
func decode(b []byte, declared string) ([]byte, string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], "utf-8"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return convert(b, xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM)), "utf-16be"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return convert(b, xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM)), "utf-16le"
	}
	if utf8.Valid(b) {
		return b, "utf-8"
	}
	if declared != "" {
		if enc, name := lookup(declared); enc != nil && name != "utf-8" && !strings.HasPrefix(name, "utf-16") {
			return convert(b, enc), name
		}
	}
	enc, name := guess(b)
	return convert(b, enc), name
}

// lookup resolves a charset label the way browsers do (WHATWG), so that
// "iso-8859-1" reads as windows-1252 and "gb2312" as GBK; GBK is then widened
// to GB18030, its superset, because feeds labelled gb2312 are often GBK or
// GB18030 in practice.
func lookup(label string) (encoding.Encoding, string) {
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil, ""
	}
	if name == "gbk" {
		return simplifiedchinese.GB18030, "gb18030"
	}
	return enc, name
}

func convert(b []byte, enc encoding.Encoding) []byte {
	out, _, err := transform.Bytes(enc.NewDecoder(), b)
	if err != nil {
		// Decoders replace bad bytes rather than fail; this is unreachable in
		// practice, and the raw bytes are the best remaining answer.
		return b
	}
	return out
}

// guess picks a legacy encoding for bytes that are not UTF-8 and carry no
// usable declaration. Japanese encodings are recognised by kana (Chinese text
// has none), GB18030 by clean decoding into Han characters, windows-1251 by
// words made entirely of high bytes (Cyrillic), and windows-1252 is the
// fallback for Western text with a few accented letters.
func guess(b []byte) (encoding.Encoding, string) {
	type candidate struct {
		enc  encoding.Encoding
		name string
	}
	best, bestScore := candidate{charmap.Windows1252, "windows-1252"}, 0.0
	cjk := []candidate{
		{japanese.ShiftJIS, "shift_jis"},
		{japanese.EUCJP, "euc-jp"},
		{simplifiedchinese.GB18030, "gb18030"},
	}
	if lone, high := loneHighBytes(b); lone*2 > high {
		// Double-byte text keeps its high bytes together; Western text with
		// a few accented letters has them alone among ASCII, which would
		// otherwise decode "cleanly" as GBK lead and trail bytes.
		cjk = nil
	}
	for _, c := range cjk {
		text := convert(b, c.enc)
		s := cjkScore(text, c.name != "gb18030")
		if s > bestScore {
			best, bestScore = c, s
		}
	}
	if bestScore > 0 {
		return best.enc, best.name
	}
	if cyrillicWords(b) {
		return charmap.Windows1251, "windows-1251"
	}
	return best.enc, best.name
}

// cjkScore rates how plausible text is as East Asian prose: 0 when decoding
// produced replacement characters or odd symbols, else the share of Han and
// kana among non-ASCII runes, with kana required for Japanese.
func cjkScore(text []byte, japanese bool) float64 {
	var han, kana, other, bad int
	for _, r := range string(text) {
		switch {
		case r == utf8.RuneError:
			bad++
		case r < 0x80:
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.IsPunct(r) || unicode.IsSpace(r) || (r >= 0xFF00 && r <= 0xFFEF) || (r >= 0x3000 && r <= 0x303F):
			// full-width forms and CJK punctuation are common in both
		default:
			other++
		}
	}
	if bad > 0 || han+kana == 0 {
		return 0
	}
	if japanese && kana == 0 {
		return 0
	}
	score := float64(han+kana) / float64(han+kana+other)
	if score < 0.8 {
		return 0
	}
	if japanese {
		// Kana are decisive: the same bytes read as GB18030 give Han
		// characters but never Japanese syllables.
		score += float64(kana) / float64(han+kana)
	}
	return score
}

// loneHighBytes counts the bytes with the high bit set whose neighbours are
// both ASCII, and all bytes with the high bit set.
func loneHighBytes(b []byte) (lone, high int) {
	for i, c := range b {
		if c < 0x80 {
			continue
		}
		high++
		if (i == 0 || b[i-1] < 0x80) && (i == len(b)-1 || b[i+1] < 0x80) {
			lone++
		}
	}
	return lone, high
}

// cyrillicWords reports whether most letters with the high bit set sit in
// runs of three or more, as in Cyrillic words, rather than alone among ASCII
// letters, as in Western European text.
func cyrillicWords(b []byte) bool {
	var inRuns, alone, run int
	flush := func() {
		if run >= 3 {
			inRuns += run
		} else {
			alone += run
		}
		run = 0
	}
	for _, c := range b {
		if c >= 0x80 {
			run++
			continue
		}
		flush()
	}
	flush()
	return inRuns > 2*alone && inRuns >= 3
}
