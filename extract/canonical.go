package extract

import (
	"errors"
	"net/url"
	"path"
	"sort"
	"strings"
)

// trackingParams are query parameters that identify a campaign or a click,
// never the page; two URLs that differ only in them are the same article.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "_ga": true, "_gl": true,
	"ocid": true, "cmpid": true, "cmp": true, "ito": true, "ftag": true,
	"soc_src": true, "soc_trk": true, "share": true, "smid": true, "smtyp": true,
	"rss": true, "feed": true, "outputtype": true, "amp": true, "amp_js_v": true,
	"__twitter_impression": true, "s_cid": true, "src": true, "spref": true,
	"guccounter": true, "guce_referrer": true, "guce_referrer_sig": true,
	"ref": true, "ref_src": true, "taid": true, "wt.mc_id": true,
}

var trackingPrefixes = []string{"utm_", "ns_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "at_"}

// ErrBadURL is returned for URLs that cannot name an article: not http(s),
// no host, or unparseable.
var ErrBadURL = errors.New("not an absolute http or https URL")

// CanonicalURL returns the identity of the page behind raw: scheme and host
// lower-cased, default port, fragment and tracking parameters dropped, the
// remaining query sorted, and AMP and mobile variants folded into the main
// page. Two URLs with the same canonical form are one article.
func CanonicalURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", ErrBadURL
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", ErrBadURL
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	host = strings.TrimRight(host, ".")
	if host == "" || strings.ContainsAny(host, " /\\@") {
		return "", ErrBadURL
	}
	for _, prefix := range []string{"amp.", "m.", "mobile."} {
		if rest, ok := strings.CutPrefix(host, prefix); ok && strings.Contains(rest, ".") {
			host = rest
			break
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	if port != "" {
		u.Host = host + ":" + port
	} else {
		u.Host = host
	}
	u.User = nil
	u.Fragment = ""
	u.RawFragment = ""

	p := canonicalPath(u.EscapedPath())
	if unescaped, err := url.PathUnescape(p); err == nil {
		u.Path = unescaped
		u.RawPath = ""
		if u.EscapedPath() != p {
			u.RawPath = p
		}
	}

	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if trackingParams[lk] {
			delete(q, k)
			continue
		}
		for _, prefix := range trackingPrefixes {
			if strings.HasPrefix(lk, prefix) {
				delete(q, k)
				break
			}
		}
	}
	u.RawQuery = encodeSorted(q)
	u.ForceQuery = false
	return u.String(), nil
}

func encodeSorted(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// canonicalPath cleans an escaped path (dot segments, doubled slashes) and
// removes AMP markers ("/amp/..." prefix, ".../amp" and ".amp" suffixes).
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	trailing := strings.HasSuffix(p, "/")
	p = path.Clean("/" + p)
	if trailing && p != "/" {
		p += "/"
	}
	for {
		lower := strings.ToLower(p)
		switch {
		case strings.HasPrefix(lower, "/amp/"):
			p = p[len("/amp"):]
		case strings.HasSuffix(lower, "/amp/") && len(p) > len("/amp/"):
			p = p[:len(p)-len("/amp/")]
		case strings.HasSuffix(lower, "/amp") && len(p) > len("/amp"):
			p = p[:len(p)-len("/amp")]
		case strings.HasSuffix(lower, ".amp") && len(p) > len("/.amp"):
			p = p[:len(p)-len(".amp")]
		default:
			return p
		}
	}
}
