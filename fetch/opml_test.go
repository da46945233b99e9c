package fetch

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// checkGolden compares got with testdata/golden/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./fetch -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, got)
	}
}

func TestWriteOPMLGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteOPML(&buf, "breachwire feeds", DefaultFeeds(), time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "defaultfeeds-export.opml", buf.Bytes())
}

func TestDefaultFeeds(t *testing.T) {
	feeds := DefaultFeeds()
	if len(feeds) < 12 {
		t.Fatalf("got %d default feeds, want at least 12", len(feeds))
	}
	for _, f := range feeds {
		if !isHTTP(f.URL) || !strings.HasPrefix(f.URL, "https://") || f.Name == "" || f.Source != "default" {
			t.Errorf("bad default feed %+v", f)
		}
	}
}

func TestOPMLRoundTrip(t *testing.T) {
	in := `<?xml version="1.0"?>
<opml version="1.0"><head><title>mine</title></head><body>
  <outline text="Defense">
    <outline text="Breaking Defense" type="rss" xmlUrl="https://breakingdefense.com/feed/" htmlUrl="https://breakingdefense.com/"/>
    <outline title="Naval News" text="NN" xmlUrl="https://www.navalnews.com/feed/"/>
  </outline>
  <outline text="Dup" xmlUrl="https://breakingdefense.com/feed/"/>
  <outline text="just a folder"/>
</body></opml>`
	feeds, err := ParseOPML(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{
		{URL: "https://breakingdefense.com/feed/", Name: "Breaking Defense", SiteURL: "https://breakingdefense.com/", Source: "opml"},
		{URL: "https://www.navalnews.com/feed/", Name: "Naval News", Source: "opml"},
	}
	if len(feeds) != len(want) {
		t.Fatalf("got %d feeds, want %d: %+v", len(feeds), len(want), feeds)
	}
	for i := range want {
		if feeds[i] != want[i] {
			t.Errorf("feed %d: got %+v, want %+v", i, feeds[i], want[i])
		}
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, "breachwire feeds", feeds, time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	again, err := ParseOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range feeds {
		if again[i] != feeds[i] {
			t.Errorf("round trip feed %d: got %+v, want %+v", i, again[i], feeds[i])
		}
	}
}

func TestParseOPMLError(t *testing.T) {
	_, err := ParseOPML(strings.NewReader("this is not xml"))
	if err == nil || !strings.Contains(err.Error(), "not an OPML document") {
		t.Errorf("got %v, want a not-OPML error", err)
	}
}
