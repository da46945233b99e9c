package extract

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// pageFixtures are pages written for the project, with the URL each is
// served from.
var pageFixtures = []struct {
	file, url string
}{
	{"wire-article.html", "https://defensewire.example.com/news/2024/03/kestrel-avionics-breach?utm_medium=rss"},
	{"meta-only.html", "https://aerospacedaily.example.org/2023/11/drone-parts-supplier-ransomware"},
	{"latin1-article.html", "https://technik.example.de/wirtschaft/datenabfluss"},
	{"sjis-article.html", "https://techno.example.jp/news/20210205"},
}

// TestPageGolden compares Page's output on each fixture with its golden
// JSON. Run with -update to rewrite them after a deliberate change.
func TestPageGolden(t *testing.T) {
	for _, fx := range pageFixtures {
		t.Run(fx.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "pages", fx.file))
			if err != nil {
				t.Fatal(err)
			}
			page, err := DecodeHTML(raw, "")
			if err != nil {
				t.Fatal(err)
			}
			a, err := Page(page, fx.url)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(a, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(fx.file, ".html")+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Page(%s) differs from %s:\ngot:\n%s\nwant:\n%s", fx.file, golden, got, want)
			}
		})
	}
}

// TestPageWireArticle checks, field by field, what matters most about a
// typical wire report: furniture gone, metadata from JSON-LD and the head.
func TestPageWireArticle(t *testing.T) {
	raw, err := os.ReadFile("testdata/pages/wire-article.html")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Page(raw, pageFixtures[0].url)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Kestrel Avionics says hackers reached 12,380 files tied to navy work"; a.Title != want {
		t.Errorf("title: got %q, want %q", a.Title, want)
	}
	if want := time.Date(2024, 3, 8, 9, 30, 0, 0, time.UTC); !a.Published.Equal(want) || a.Published.Location() != time.UTC {
		t.Errorf("published: got %v, want %v", a.Published, want)
	}
	if want := "https://defensewire.example.com/news/2024/03/kestrel-avionics-breach"; a.CanonicalURL != want {
		t.Errorf("canonical URL: got %q, want %q", a.CanonicalURL, want)
	}
	if a.Site != "Defense Wire" || a.Lang != "en" {
		t.Errorf("site, lang: got %q, %q, want %q, %q", a.Site, a.Lang, "Defense Wire", "en")
	}
	for _, want := range []string{"TOKYO (Defense Wire)", "Ministry review", "unrelated."} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, a.Text)
		}
	}
	for _, furniture := range []string{
		"cookies", "Share on", "27,000 readers", "Related stories", "Harrow Systems discloses",
		"reader42", "Two years before anyone", "Most read", "All rights reserved", "Advertisement",
		"Tags:", "Home", "headquarters. (File photo)", "By Staff Reporter",
	} {
		if strings.Contains(a.Text, furniture) {
			t.Errorf("text contains furniture %q:\n%s", furniture, a.Text)
		}
	}
	if got := strings.Count(a.Text, "\n\n") + 1; got != 7 {
		t.Errorf("got %d paragraphs, want 7:\n%s", got, a.Text)
	}
}

func TestCleanTitle(t *testing.T) {
	tests := []struct {
		title, site, host, want string
	}{
		{"NEC reports breach | Kyodo News", "Kyodo News", "english.kyodonews.net", "NEC reports breach"},
		{"NEC reports breach - Kyodo News+", "Kyodo News", "english.kyodonews.net", "NEC reports breach"},
		{"NEC reports breach — The Japan Times", "", "japantimes.co.jp", "NEC reports breach"},
		{"NEC reports breach – Reuters", "Reuters", "reuters.com", "NEC reports breach"},
		{"Kyodo News | NEC reports breach", "Kyodo News", "kyodonews.net", "NEC reports breach"},
		{"Hackers hit NEC - files exposed", "Kyodo News", "kyodonews.net", "Hackers hit NEC - files exposed"},
		{"Plain headline", "", "", "Plain headline"},
		{"  spaced   out | Site ", "Site", "", "spaced out"},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			if got := cleanTitle(tt.title, tt.site, tt.host); got != tt.want {
				t.Errorf("cleanTitle(%q, %q, %q) = %q, want %q", tt.title, tt.site, tt.host, got, tt.want)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2020-01-31T09:00:00+09:00", time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"2020-01-31T00:00:00Z", time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"2020-01-31T00:00:00.123-0500", time.Date(2020, 1, 31, 5, 0, 0, 123e6, time.UTC)},
		{"2020-01-31", time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"2020-01-31 08:15:00", time.Date(2020, 1, 31, 8, 15, 0, 0, time.UTC)},
		{"Fri, 31 Jan 2020 10:00:00 +0100", time.Date(2020, 1, 31, 9, 0, 0, 0, time.UTC)},
		{"January 31, 2020", time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"31 Jan 2020 07:09 GMT", time.Date(2020, 1, 31, 7, 9, 0, 0, time.UTC)},
		{"2020-01-31 17:19:53 GMT", time.Date(2020, 1, 31, 17, 19, 53, 0, time.UTC)},
		{"Fri Jan 31 2020 05:44:06 GMT+0100 (Central European Standard Time)", time.Date(2020, 1, 31, 4, 44, 6, 0, time.UTC)},
		{"yesterday", time.Time{}},
		{"0001-01-01T00:00:00Z", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := parseTime(tt.in)
			if !got.Equal(tt.want) {
				t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if !got.IsZero() && got.Location() != time.UTC {
				t.Errorf("parseTime(%q) location %v, want UTC", tt.in, got.Location())
			}
		})
	}
}

func TestPrimaryLang(t *testing.T) {
	for in, want := range map[string]string{
		"en": "en", "en-US": "en", "EN_gb": "en", "pt-BR": "pt", "ja": "ja",
		"de, en": "de", "": "", "english": "", "x1": "",
	} {
		if got := primaryLang(in); got != want {
			t.Errorf("primaryLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPageMetadataSources(t *testing.T) {
	tests := []struct {
		name, html     string
		wantTitle      string
		wantPublished  string
		wantCanonical  string
		wantSite       string
		wantLang       string
		wantTextSubstr string
	}{
		{
			name:          "json-ld array and og:url",
			html:          `<html><head><title>Breach at X - Example</title><meta property="og:url" content="https://example.com/a?utm_source=x"><script type="application/ld+json">[{"@type":"BreadcrumbList"},{"@type":["NewsArticle"],"datePublished":"2021-05-01T12:00:00-07:00","publisher":{"name":"Example News"}}]</script></head><body><p>Body text long enough to be a paragraph of an article, with commas, and more.</p></body></html>`,
			wantTitle:     "Breach at X",
			wantPublished: "2021-05-01T19:00:00Z",
			wantCanonical: "https://example.com/a",
			wantSite:      "Example News",
		},
		{
			name:          "itemprop and time element, og:locale",
			html:          `<html><head><meta property="og:locale" content="fr_FR"></head><body><h1>Une attaque</h1><span itemprop="datePublished" content="2022-02-03T04:05:06Z"></span><p>Le texte de l'article, assez long pour compter comme un paragraphe, avec des virgules.</p></body></html>`,
			wantTitle:     "Une attaque",
			wantPublished: "2022-02-03T04:05:06Z",
			wantCanonical: "https://www.site.example/x",
			wantSite:      "site.example",
			wantLang:      "fr",
		},
		{
			name:          "time element only; canonical to home page ignored",
			html:          `<html lang="ja-JP"><head><link rel="canonical" href="https://site.example/"></head><body><time datetime="2019-12-31T23:00:00+09:00">大晦日</time><p>本文です。これは十分に長い段落で、記事の本文として扱われるべきものです。本文です。</p></body></html>`,
			wantPublished: "2019-12-31T14:00:00Z",
			wantCanonical: "https://www.site.example/x",
			wantSite:      "site.example",
			wantLang:      "ja",
		},
		{
			name:          "article nested in a WebPage; site name given as a URL",
			html:          `<html><head><meta property="og:site_name" content="https://www.news.example"><script type="application/ld+json">{"@type":"ItemPage","mainEntity":{"@type":"NewsArticle","headline":"Nested headline","datePublished":"2024-01-02T03:04:05Z"}}</script></head><body><p>Text.</p></body></html>`,
			wantTitle:     "Nested headline",
			wantPublished: "2024-01-02T03:04:05Z",
			wantCanonical: "https://www.site.example/x",
			wantSite:      "news.example",
		},
		{
			name:          "forgiven json-ld: trailing comma, raw line break; itemprop list",
			html:          "<html><head><script type=\"application/ld+json\">{\"@type\": \"NewsArticle\", \"headline\": \"Two\nlines\", \"keywords\": [\"a\", ],}</script></head><body><span itemprop=\"datePublished dateCreated\" content=\"2020-02-02\"></span><p>Text.</p></body></html>",
			wantTitle:     "Two lines",
			wantPublished: "2020-02-02T00:00:00Z",
			wantCanonical: "https://www.site.example/x",
			wantSite:      "site.example",
		},
		{
			name: "first usable of each: svg and empty titles, empty canonical, itemprop before meta, xml:lang",
			html: `<html xml:lang="de-DE"><head><link rel="Canonical" href=""><link rel="alternate CANONICAL" href="/b?utm_medium=x"></head>` +
				`<body><svg><title>Icon</title></svg><title></title><title>Real headline</title><time datetime="">heute</time>` +
				`<time itemprop="DatePublished" datetime="2023-03-04T05:06:07Z">x</time><meta name="datePublished" content="2001-01-01"><p>Text.</p></body></html>`,
			wantTitle:     "Real headline",
			wantPublished: "2023-03-04T05:06:07Z",
			wantCanonical: "https://www.site.example/b",
			wantSite:      "site.example",
			wantLang:      "de",
		},
		{
			name:          "first non-empty h1; first dated time element",
			html:          `<html><body><h1> </h1><h1>The <b>real</b><br>headline</h1><time>no date</time><time datetime="2020-06-07">x</time><p>Text.</p></body></html>`,
			wantTitle:     "The real headline",
			wantPublished: "2020-06-07T00:00:00Z",
			wantCanonical: "https://www.site.example/x",
			wantSite:      "site.example",
		},
		{
			name:          "broken json-ld is ignored",
			html:          `<html><head><script type="application/ld+json">{"@type": "NewsArticle", "datePublished": </script><meta name="sailthru.date" content="2018-07-04 10:00:00"></head><body><p>Text.</p></body></html>`,
			wantPublished: "2018-07-04T10:00:00Z",
			wantCanonical: "https://www.site.example/x",
			wantSite:      "site.example",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Page([]byte(tt.html), "https://www.site.example/x")
			if err != nil {
				t.Fatal(err)
			}
			var pub string
			if !a.Published.IsZero() {
				pub = a.Published.Format(time.RFC3339)
			}
			if a.Title != tt.wantTitle || pub != tt.wantPublished || a.CanonicalURL != tt.wantCanonical || a.Site != tt.wantSite || a.Lang != tt.wantLang {
				t.Errorf("got title %q published %q canonical %q site %q lang %q,\nwant title %q published %q canonical %q site %q lang %q",
					a.Title, pub, a.CanonicalURL, a.Site, a.Lang, tt.wantTitle, tt.wantPublished, tt.wantCanonical, tt.wantSite, tt.wantLang)
			}
		})
	}
}

func TestDecodeHTML(t *testing.T) {
	tests := []struct {
		name        string
		in          []byte
		contentType string
		want        string
	}{
		{"utf-8", []byte("<p>Café</p>"), "", "<p>Café</p>"},
		{"utf-8 bom", []byte("\xef\xbb\xbf<p>Café</p>"), "", "<p>Café</p>"},
		{"latin1 meta", []byte(`<meta charset="iso-8859-1"><p>Caf` + "\xe9</p>"), "", `<meta charset="iso-8859-1"><p>Café</p>`},
		{"wrong declaration, valid utf-8", []byte(`<meta charset="windows-1251"><p>Café</p>`), "", `<meta charset="windows-1251"><p>Café</p>`},
		{"undeclared windows-1252", []byte("<p>\x93quoted\x94</p>"), "", "<p>“quoted”</p>"},
		{"content-type header", []byte("<p>\xcf\xf0\xe8\xe2\xe5\xf2</p>"), "text/html; charset=windows-1251", "<p>Привет</p>"},
		{"late meta", []byte(strings.Repeat(" ", 4000) + `<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>` + "\xf0\xd2\xc9\xd7\xc5\xd4</p>"), "", strings.Repeat(" ", 4000) + `<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>Привет</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeHTML(tt.in, tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFragmentText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain   text\n\nsecond  para", "plain text\n\nsecond para"},
		{"<p>One &amp; two</p><p>Three</p>", "One & two\n\nThree"},
		{"Line one<br>Line two<script>alert(1)</script>", "Line one\n\nLine two"},
		{"<div><b>Bold</b> and <a href='x'>link</a>.</div><style>p{}</style>", "Bold and link."},
		{"<ul><li>a</li><li>b</li></ul>", "a\n\nb"},
		{"<p>unclosed <b>tags", "unclosed tags"},
		{"&lt;p&gt;escaped markup&lt;/p&gt;", "<p>escaped markup</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := FragmentText(tt.in); got != tt.want {
				t.Errorf("FragmentText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestPageArticleBodyFallback: a page rendered by script has no text in its
// markup, only in its JSON-LD; that text is used.
func TestPageArticleBodyFallback(t *testing.T) {
	page := `<html><head><script type="application/ld+json">{"@type":"NewsArticle","headline":"H","articleBody":"<p>First paragraph of the report, long enough.</p><p>Second paragraph, with 1,200 files.</p>"}</script></head>` +
		`<body><div id="app">Loading…</div><script src="/app.js"></script></body></html>`
	a, err := Page([]byte(page), "https://example.com/a")
	if err != nil {
		t.Fatal(err)
	}
	if want := "First paragraph of the report, long enough.\n\nSecond paragraph, with 1,200 files."; a.Text != want {
		t.Errorf("text: got %q, want %q", a.Text, want)
	}
}

// TestPagePathological feeds pages built to exhaust a naive extractor: they
// must come back (with text or a one-line error), not crash the process.
func TestPagePathological(t *testing.T) {
	para := "<p>" + strings.Repeat("Defense contractor reports an intrusion, files exposed. ", 20) + "</p>"
	// 10 MB is the fetch cap; under the race detector 2 MB proves the same
	// (linear work, no deep recursion) in a tenth of the time.
	big := 10 << 20
	if raceEnabled {
		big = 2 << 20
	}
	tests := []struct {
		name     string
		page     string
		wantText string
	}{
		{"100k nested divs", "<html><body>" + strings.Repeat("<div>", 100_000) + para + strings.Repeat("</div>", 100_000) + "</body></html>", "Defense contractor"},
		{"100k unclosed divs", "<html><body>" + strings.Repeat("<div><span>x", 100_000) + para, "Defense contractor"},
		{"100k nested tables", strings.Repeat("<table><tr><td>", 30_000) + para, "Defense contractor"},
		{"10 MB of paragraphs", "<html><body><article>" + strings.Repeat(para, big/len(para)) + "</article></body></html>", "Defense contractor"},
		{"10 MB single text node", "<html><body><p>" + strings.Repeat("a", big) + "</p></body></html>", "aaaa"},
		{"only tags", strings.Repeat("<b><i><u>", 50_000), ""},
		{"binary", string(bytes.Repeat([]byte{0, 0xff, '<', 0x80}, 1<<18)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Page([]byte(tt.page), "https://example.com/x")
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if !strings.Contains(a.Text, tt.wantText) {
				t.Errorf("text lacks %q (got %d bytes)", tt.wantText, len(a.Text))
			}
		})
	}
}
