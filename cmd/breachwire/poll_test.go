package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/breachwire/breachwire/fetch"
)

// newsSite is a local news site: a home page that links to its feed, the
// feed (with ETag), and article pages. Pages listed in slow block until the
// client goes away.
type newsSite struct {
	srv         *httptest.Server
	items       int
	slowFrom    atomic.Int32 // items at or after this index block; <0: none
	pages       atomic.Int32
	conditional atomic.Int32
}

func newNewsSite(t *testing.T, items int) *newsSite {
	t.Helper()
	s := &newsSite{items: items}
	s.slowFrom.Store(-1)
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!DOCTYPE html><html><head><title>Local Wire</title>
<link rel="alternate" type="application/rss+xml" title="Local Wire" href="/feed.xml"></head><body><p>News.</p></body></html>`)
	})
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			s.conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Local Wire</title><link>%s/</link>`, s.srv.URL)
		for i := range s.items {
			fmt.Fprintf(w, `<item><title>Report %d</title><link>%s/news/%d</link><description>Summary %d.</description><pubDate>%s</pubDate></item>`,
				i, s.srv.URL, i, i, time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC).Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z))
		}
		io.WriteString(w, `</channel></rss>`)
	})
	mux.HandleFunc("/news/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if from := s.slowFrom.Load(); from >= 0 && n >= int(from) {
			<-r.Context().Done()
			return
		}
		s.pages.Add(1)
		fmt.Fprintf(w, `<!DOCTYPE html><html><head><title>Report %d</title></head><body><article>
<p>NEC Corp. said Friday it came under major cyberattacks that resulted in unauthorized access to 27,445 files (report %d).</p>
<p>The Acquisition, Technology and Logistics Agency said it was looking into the matter.</p></article></body></html>`, n, n)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// testConfig writes a config with no politeness delay.
func testConfig(t *testing.T) string {
	t.Helper()
	return writeFile(t, "config.toml", "[fetch]\nper_host_delay = \"0s\"\ntimeout = \"5s\"\n")
}

func countArticles(t *testing.T, dbPath string) (rows, distinct int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow("SELECT count(*), count(DISTINCT canonical_url) FROM articles").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: got %q, %v", check, err)
	}
	return rows, distinct
}

func TestFeedsAddPollList(t *testing.T) {
	site := newNewsSite(t, 5)
	dbPath := filepath.Join(t.TempDir(), "bw.db")
	cfg := testConfig(t)
	args := func(a ...string) []string { return append(a, "--db", dbPath, "--config", cfg) }

	code, out, errOut := runCLI(t, "", args("feeds", "add", site.srv.URL+"/")...)
	if code != 0 || !strings.Contains(out, "is a web page; added the feed it links to: "+site.srv.URL+"/feed.xml") {
		t.Fatalf("feeds add: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", args("feeds", "add", site.srv.URL+"/feed.xml")...)
	if code != 0 || !strings.Contains(out, "already in the list") {
		t.Errorf("feeds add again: exit %d, stdout %q", code, out)
	}

	code, _, errOut = runCLI(t, "", args("poll", "--allow-private")...)
	if code != 0 || !strings.Contains(errOut, "1 of 1 feeds reachable; ") {
		t.Fatalf("first poll: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", args("poll", "--allow-private")...)
	if code != 0 || !strings.Contains(errOut, "no feeds due; next at ") {
		t.Errorf("poll before due: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", args("poll", "--allow-private", "--force")...)
	if code != 0 || !strings.Contains(errOut, "1 of 1 feeds reachable; 0 new articles, 0 duplicates") || site.conditional.Load() != 1 {
		t.Errorf("forced second poll: exit %d, stderr %q, %d conditional requests; want nothing new after one conditional request",
			code, errOut, site.conditional.Load())
	}
	if rows, _ := countArticles(t, dbPath); rows != 5 {
		t.Errorf("got %d articles stored, want 5", rows)
	}

	code, out, errOut = runCLI(t, "", args("feeds", "list", "--format", "json")...)
	if code != 0 {
		t.Fatalf("feeds list: exit %d, stderr %q", code, errOut)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("feeds list JSON: %v\n%s", err, out)
	}
	if len(list) != 1 {
		t.Fatalf("got %d feeds, want 1 (a user's own list gets no defaults)", len(list))
	}
	f := list[0]
	for _, key := range []string{"id", "name", "url", "site_url", "source", "added_at", "last_poll", "last_success",
		"consecutive_errors", "error_count", "last_error", "next_poll", "poll_interval_seconds", "items_seen"} {
		if _, ok := f[key]; !ok {
			t.Errorf("feeds list JSON lacks %q", key)
		}
	}
	if f["url"] != site.srv.URL+"/feed.xml" || f["name"] != "Local Wire" || f["source"] != "user" || f["last_success"] == nil || f["consecutive_errors"] != 0.0 {
		t.Errorf("feeds list: got %v", f)
	}

	code, out, _ = runCLI(t, "", args("feeds", "list")...)
	if code != 0 || !strings.Contains(out, "LAST SUCCESS") || !strings.Contains(out, "Local Wire") {
		t.Errorf("feeds list table: exit %d\n%s", code, out)
	}
}

func TestFeedsImportExportRoundTrip(t *testing.T) {
	cfg := testConfig(t)
	first := filepath.Join(t.TempDir(), "a.db")
	// Listing a new database seeds the embedded defaults.
	code, out, errOut := runCLI(t, "", "feeds", "export", "--db", first, "--config", cfg)
	if code != 0 || strings.Count(out, "xmlUrl=") != len(fetch.DefaultFeeds()) {
		t.Fatalf("export: exit %d, stderr %q\n%s", code, errOut, out)
	}
	opml := writeFile(t, "feeds.opml", out)
	second := filepath.Join(t.TempDir(), "b.db")
	code, out, errOut = runCLI(t, "", "feeds", "import", opml, "--db", second, "--config", cfg)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("imported %d feeds (0 already in the list)", len(fetch.DefaultFeeds()))) {
		t.Fatalf("import: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, a, _ := runCLI(t, "", "feeds", "export", "--db", first, "--config", cfg)
	_, b, _ := runCLI(t, "", "feeds", "export", "--db", second, "--config", cfg)
	strip := func(s string) string { // the creation date differs
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.Contains(l, "dateCreated") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(a) != strip(b) {
		t.Errorf("round trip differs:\n%s\n---\n%s", a, b)
	}
	code, _, errOut = runCLI(t, "", "feeds", "import", writeFile(t, "bad.opml", "not xml at all"), "--db", second, "--config", cfg)
	if code != 2 || !strings.Contains(errOut, "not an OPML document") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("bad OPML: exit %d, stderr %q", code, errOut)
	}
}

func TestPollOffline(t *testing.T) {
	cfg := testConfig(t)
	dbPath := filepath.Join(t.TempDir(), "bw.db")
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for _, u := range []string{down.URL + "/one.xml", down.URL + "/two.xml"} {
		if code, _, errOut := runCLI(t, "", "feeds", "import", writeFile(t, "f.opml",
			`<opml version="2.0"><body><outline text="x" xmlUrl="`+u+`"/></body></opml>`), "--db", dbPath, "--config", cfg); code != 0 {
			t.Fatalf("import: %s", errOut)
		}
	}
	code, out, errOut := runCLI(t, "", "poll", "--db", dbPath, "--config", cfg)
	if code != 1 || errOut != "0 of 2 feeds reachable; see `breachwire feeds list`\n" || out != "" {
		t.Errorf("offline poll: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, out, _ = runCLI(t, "", "feeds", "list", "--format", "json", "--db", dbPath, "--config", cfg)
	if !strings.Contains(out, `"last_error": "GET `+down.URL+`/one.xml: connection refused"`) {
		t.Errorf("feeds list lacks the recorded error:\n%s", out)
	}
}

func TestPollWhileAnotherRuns(t *testing.T) {
	cfg := testConfig(t)
	dbPath := filepath.Join(t.TempDir(), "bw.db")
	unlock, err := fetch.LockPoll(dbPath + ".poll.lock")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	code, _, errOut := runCLI(t, "", "poll", "--db", dbPath, "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "another poll is running on "+dbPath) {
		t.Errorf("second poll: exit %d, stderr %q", code, errOut)
	}
}

// TestPollHelperProcess is not a test: TestPollKilled runs the test binary
// again with it to get a real breachwire process it can kill.
func TestPollHelperProcess(t *testing.T) {
	args := os.Getenv("BREACHWIRE_HELPER_ARGS")
	if args == "" {
		t.Skip("helper process for TestPollKilled")
	}
	os.Exit(realMain(context.Background(), strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
}

// TestPollKilled kills a poll with SIGKILL once it has stored some articles
// and is stuck on the rest, then polls again: the database is intact and
// every article is stored exactly once.
func TestPollKilled(t *testing.T) {
	const items = 60
	site := newNewsSite(t, items)
	site.slowFrom.Store(40)
	dbPath := filepath.Join(t.TempDir(), "bw.db")
	cfg := testConfig(t)
	if code, _, errOut := runCLI(t, "", "feeds", "add", site.srv.URL+"/feed.xml", "--db", dbPath, "--config", cfg); code != 0 {
		t.Fatal(errOut)
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestPollHelperProcess$")
	cmd.Env = append(os.Environ(), "BREACHWIRE_HELPER_ARGS="+strings.Join([]string{"poll", "--allow-private", "--db", dbPath, "--config", cfg}, "\x1f"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the poll has committed some articles (it saves at least
	// every second) while the slow pages hold it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if rows, _ := countArticlesQuiet(dbPath); rows > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("poll stored nothing within 30s; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	before, _ := countArticles(t, dbPath)
	if before >= items {
		t.Fatalf("the killed poll stored all %d articles; the test did not kill it mid-poll", before)
	}

	site.slowFrom.Store(-1)
	code, _, errOut := runCLI(t, "", "poll", "--allow-private", "--db", dbPath, "--config", cfg)
	if code != 0 || !strings.Contains(errOut, "1 of 1 feeds reachable; ") {
		t.Errorf("poll after kill (%d stored before): exit %d, stderr %q", before, code, errOut)
	}
	rows, distinct := countArticles(t, dbPath)
	if rows != items || distinct != items {
		t.Errorf("after the second poll: got %d articles (%d distinct), want %d", rows, distinct, items)
	}
}

// countArticlesQuiet is countArticles for polling while another process
// writes: errors (the file may not exist yet) count as zero.
func countArticlesQuiet(dbPath string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRow("SELECT count(*) FROM articles").Scan(&n)
	return n, err
}
