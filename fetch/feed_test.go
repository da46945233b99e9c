package fetch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFeedEncodings(t *testing.T) {
	tests := []struct {
		file        string
		contentType string
		wantEnc     string
		wantTitles  []string
	}{
		{"feeds/shiftjis_declared.xml", "", "shift_jis", []string{"NEC、防衛省関連ファイル2万7445件に不正アクセス", "三菱電機もサイバー攻撃を公表"}},
		{"feeds/eucjp_nodecl.xml", "", "euc-jp", []string{"NEC、防衛省関連ファイル2万7445件に不正アクセス", "三菱電機もサイバー攻撃を公表"}},
		{"feeds/gbk_declared_gb2312.xml", "", "gb18030", []string{"日本电气公司遭网络攻击 27445个文件被非法访问", "三菱电机承认曾遭类似攻击"}},
		{"feeds/windows1251_nodecl.xml", "", "windows-1251", []string{"Хакеры атаковали японского оборонного подрядчика NEC", "Mitsubishi Electric тоже подверглась кибератаке"}},
		{"feeds/utf8_declared_latin1.xml", "", "utf-8", []string{"Cyberattaque : NEC révèle un accès non autorisé à 27 445 fichiers", "Mitsubishi Electric, déjà touché la semaine dernière"}},
		{"feeds/latin1_declared_utf8.xml", "", "windows-1252", []string{"Großer Cyberangriff auf Rüstungszulieferer", "Überblick: Angriffe auf Verteidigungsindustrie"}},
		// The HTTP header's charset is used when the document declares none.
		{"feeds/windows1251_nodecl.xml", "application/rss+xml; charset=windows-1251", "windows-1251", []string{"Хакеры атаковали японского оборонного подрядчика NEC", "Mitsubishi Electric тоже подверглась кибератаке"}},
		{"feeds/atom.xml", "application/atom+xml", "utf-8", []string{"NEC discloses unauthorized access to 27,445 files"}},
		{"feeds/jsonfeed.json", "application/feed+json", "utf-8", []string{"NEC breach: 27,445 files"}},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.contentType, func(t *testing.T) {
			pf, err := ParseFeed(readTestdata(t, tt.file), tt.contentType, "https://feeds.example.com/feed")
			if err != nil {
				t.Fatalf("ParseFeed: %v", err)
			}
			if pf.Encoding != tt.wantEnc {
				t.Errorf("encoding: got %q, want %q", pf.Encoding, tt.wantEnc)
			}
			if len(pf.Items) != len(tt.wantTitles) {
				t.Fatalf("got %d items, want %d", len(pf.Items), len(tt.wantTitles))
			}
			for i, want := range tt.wantTitles {
				if got := pf.Items[i].Title; got != want {
					t.Errorf("item %d title: got %q, want %q", i, got, want)
				}
				if pf.Items[i].NoLink || !strings.HasPrefix(pf.Items[i].Link, "https://") {
					t.Errorf("item %d link: got %q", i, pf.Items[i].Link)
				}
				if pf.Items[i].Published.IsZero() {
					t.Errorf("item %d has no published time", i)
				}
			}
		})
	}
}

func TestParseFeedErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "empty feed document"},
		{"html", "<!DOCTYPE html><html><body>hi</body></html>", "not an RSS, Atom or JSON feed"},
		{"truncated", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title><![CD`, "parse feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFeed([]byte(tt.doc), "", "https://feeds.example.com/feed")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestParseFeedItemWithoutLink(t *testing.T) {
	doc := `<rss version="2.0"><channel><title>t</title>
		<item><title>No link here</title><description>text</description></item>
		<item><title>GUID link</title><guid>https://example.com/a?id=1</guid></item>
		<item><title>Relative</title><link>/b</link></item></channel></rss>`
	pf, err := ParseFeed([]byte(doc), "", "https://example.com/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	if got := pf.Items[0]; !got.NoLink || !strings.HasPrefix(got.Link, "https://example.com/feed.xml?breachwire-item=") {
		t.Errorf("item without link: got link %q NoLink %v, want a synthetic link under the feed", got.Link, got.NoLink)
	}
	again, _ := ParseFeed([]byte(doc), "", "https://example.com/feed.xml")
	if again.Items[0].Link != pf.Items[0].Link {
		t.Errorf("synthetic link not stable: %q then %q", pf.Items[0].Link, again.Items[0].Link)
	}
	if got, want := pf.Items[1].Link, "https://example.com/a?id=1"; got != want {
		t.Errorf("GUID link: got %q, want %q", got, want)
	}
	if got, want := pf.Items[2].Link, "https://example.com/b"; got != want {
		t.Errorf("relative link: got %q, want %q", got, want)
	}
}

func TestParseFeedHTMLTitle(t *testing.T) {
	doc := `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
		<entry><title type="html">NEC &lt;b&gt;hacked&lt;/b&gt; &amp;amp; more</title><link href="https://a.example/1"/></entry></feed>`
	pf, err := ParseFeed([]byte(doc), "", "https://a.example/feed")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pf.Items[0].Title, "NEC hacked & more"; got != want {
		t.Errorf("got title %q, want %q", got, want)
	}
}

func TestParseLooseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Seg, 24 Set 2018 19:42:40 -0300", time.Date(2018, 9, 24, 22, 42, 40, 0, time.UTC)},
		{"2020/1/10 14:33:00", time.Date(2020, 1, 10, 14, 33, 0, 0, time.UTC)},
		{"  Wed, 03 Jan 2018 13:47:00 +0000 \r\n ", time.Date(2018, 1, 3, 13, 47, 0, 0, time.UTC)},
		{"not a date", time.Time{}},
	}
	for _, tt := range tests {
		if got := parseLooseDate(tt.in); !got.Equal(tt.want) {
			t.Errorf("parseLooseDate(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDecodeHTML(t *testing.T) {
	tests := []struct {
		file, contentType, wantEnc, wantText string
	}{
		{"pages/shiftjis_meta.html", "text/html", "shift_jis", "NECは金曜日、防衛省との業務"},
		{"pages/shiftjis_meta.html", "text/html; charset=Shift_JIS", "shift_jis", "三菱電機も先週"},
		{"pages/windows1251_nodecl.html", "text/html", "windows-1251", "Компания NEC сообщила"},
		// A <meta> declaration decides where a guess would go wrong.
		{"pages/iso8859-2_meta.html", "text/html", "iso-8859-2", "Zażółć gęślą jaźń"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, enc := DecodeHTML(readTestdata(t, tt.file), tt.contentType)
			if enc != tt.wantEnc {
				t.Errorf("encoding: got %q, want %q", enc, tt.wantEnc)
			}
			if !strings.Contains(string(got), tt.wantText) {
				t.Errorf("decoded page lacks %q:\n%s", tt.wantText, got)
			}
		})
	}
}

func TestFeedLinks(t *testing.T) {
	got := FeedLinks(readTestdata(t, "pages/home_with_feed_link.html"), "https://wire.example.com/")
	want := []string{"https://wire.example.com/feed/", "https://wire.example.com/comments/feed/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %q, want %q", got, want)
	}
}
