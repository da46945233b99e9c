package fetch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachwire/breachwire/fetch"
	"github.com/breachwire/breachwire/store"
)

// rssFeed writes an RSS 2.0 document whose items link to base+path.
func rssFeed(base string, extra string, paths ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test Wire</title><link>%s/</link>%s`, base, extra)
	for i, p := range paths {
		fmt.Fprintf(&b, `<item><title>Item %d %s</title><link>%s%s</link><description>&lt;p&gt;Summary of item %d from the feed.&lt;/p&gt;</description><pubDate>%s</pubDate></item>`,
			i, p, base, p, i, time.Date(2020, 1, 31, 12, 0, 0, 0, time.UTC).Add(-time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

const articlePage = `<!DOCTYPE html><html><head><title>NEC hit by cyberattack - Test Wire</title></head>
<body><article><h1>NEC hit by cyberattack</h1>
<p>NEC Corp. said Friday it came under major cyberattacks that resulted in unauthorized access to 27,445 files.</p>
<p>Last week, Mitsubishi Electric Corp. admitted it had been subject to a similar attack.</p></article></body></html>`

// site is a test news site: a feed and article pages with every kind of
// trouble a poll meets.
type site struct {
	srv         *httptest.Server
	conditional atomic.Int32
	pages       atomic.Int32
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{}
	sjis, err := os.ReadFile(filepath.Join("testdata", "pages", "shiftjis_meta.html"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"feed-v1"` {
			s.conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"feed-v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, rssFeed(s.srv.URL, "", "/a/good", "/a/sjis", "/a/missing", "/a/slow", "/a/huge", "/a/blocked/1", "/a/pdf", "/a/good?utm_source=rss"))
	})
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "User-agent: *\nDisallow: /a/blocked/\n")
	})
	mux.HandleFunc("/a/good", func(w http.ResponseWriter, r *http.Request) {
		s.pages.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, articlePage)
	})
	mux.HandleFunc("/a/sjis", func(w http.ResponseWriter, r *http.Request) {
		s.pages.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.Write(sjis)
	})
	mux.HandleFunc("/a/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/a/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte(strings.Repeat("<p>padding</p>", 1<<10))
		for written := 0; written < 50<<20; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/a/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		io.WriteString(w, "%PDF-1.4")
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

type storedArticle struct {
	url, title, text, fetchErr string
}

func storedArticles(t *testing.T, db *store.DB) map[string]storedArticle {
	t.Helper()
	rows, err := rawDB(t, db).Query("SELECT url, canonical_url, title, text, fetch_error FROM articles")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]storedArticle{}
	for rows.Next() {
		var a storedArticle
		var canonical string
		if err := rows.Scan(&a.url, &canonical, &a.title, &a.text, &a.fetchErr); err != nil {
			t.Fatal(err)
		}
		u := canonical[strings.Index(canonical[len("http://"):], "/")+len("http://"):]
		out[u] = a
	}
	return out
}

func addFeed(t *testing.T, db *store.DB, url string) {
	t.Helper()
	if _, _, err := db.AddFeed(context.Background(), fetch.Feed{URL: url}); err != nil {
		t.Fatal(err)
	}
}

func pollAll(t *testing.T, db *store.DB, c *fetch.Client) fetch.Summary {
	t.Helper()
	ctx := context.Background()
	feeds, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := (&fetch.Poller{Client: c, Store: db}).Poll(ctx, feeds)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestPollStoresEveryItem(t *testing.T) {
	s := newSite(t)
	db := openStore(t)
	addFeed(t, db, s.srv.URL+"/feed.xml")
	c := fetch.NewClient(fetch.Options{PerHostDelay: -1, Timeout: time.Second, MaxBody: 1 << 20, AllowPrivate: true})

	sum := pollAll(t, db, c)
	if sum.FeedsOK != 1 || sum.Added+sum.Duplicates != 7 || sum.PageErrors != 5 {
		t.Errorf("first poll: got %+v, want 1 feed OK, 7 stored, 5 page errors", sum)
	}
	got := storedArticles(t, db)
	tests := []struct {
		path, wantErr, wantText string
	}{
		{"/a/good", "", "27,445 files"},
		{"/a/sjis", "", "防衛省"},
		{"/a/missing", "404 Not Found", "Summary of item 2"},
		{"/a/slow", "timed out after 1s", "Summary of item 3"},
		{"/a/huge", "response larger than 1MB cap", "Summary of item 4"},
		{"/a/blocked/1", "disallowed by robots.txt", "Summary of item 5"},
		{"/a/pdf", "not an HTML page (application/pdf)", "Summary of item 6"},
	}
	for _, tt := range tests {
		a, ok := got[tt.path]
		if !ok {
			t.Errorf("%s: not stored", tt.path)
			continue
		}
		if tt.wantErr == "" && a.fetchErr != "" || !strings.Contains(a.fetchErr, tt.wantErr) {
			t.Errorf("%s: got fetch_error %q, want %q", tt.path, a.fetchErr, tt.wantErr)
		}
		if tt.wantErr != "" && !strings.HasPrefix(a.fetchErr, "GET "+s.srv.URL+tt.path) {
			t.Errorf("%s: fetch_error %q does not name the request", tt.path, a.fetchErr)
		}
		if !strings.Contains(a.text, tt.wantText) {
			t.Errorf("%s: text %q lacks %q", tt.path, a.text, tt.wantText)
		}
	}
	if len(got) != len(tests) {
		t.Errorf("got %d articles, want %d (the utm_ link is the same article)", len(got), len(tests))
	}

	pages := s.pages.Load()
	again := pollAll(t, db, c)
	if again.Added != 0 || again.Duplicates != 0 || again.FeedsOK != 1 {
		t.Errorf("second poll: got %+v, want nothing new", again)
	}
	if s.conditional.Load() != 1 {
		t.Errorf("second poll sent %d conditional requests, want 1", s.conditional.Load())
	}
	if s.pages.Load() != pages {
		t.Errorf("second poll fetched %d article pages, want none", s.pages.Load()-pages)
	}
}

func TestPollGuardsArticleLinks(t *testing.T) {
	s := newSite(t)
	db := openStore(t)
	addFeed(t, db, s.srv.URL+"/feed.xml")
	// The feed itself, added by the user, is fetched from loopback; the
	// article links it lists are not.
	c := fetch.NewClient(fetch.Options{PerHostDelay: -1, Timeout: 500 * time.Millisecond})
	sum := pollAll(t, db, c)
	if sum.FeedsOK != 1 {
		t.Fatalf("got %+v, want the feed fetched", sum)
	}
	a := storedArticles(t, db)["/a/good"]
	if !strings.Contains(a.fetchErr, "a loopback address") || !strings.Contains(a.text, "Summary of item 0") {
		t.Errorf("got fetch_error %q text %q, want the address guard's refusal and the feed's summary", a.fetchErr, a.text)
	}
	if s.pages.Load() != 0 {
		t.Errorf("%d article pages were fetched from loopback", s.pages.Load())
	}
}

func TestPollFeedFailures(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.xml", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, rssFeed("https://news.example.com", "<ttl>180</ttl>", "/a", "/b"))
	})
	mux.HandleFunc("/broken.xml", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title><![CD`)
	})
	mux.HandleFunc("/busy.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7200")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/loop.xml", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path, http.StatusFound) })
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>no feed</body></html>") })
	mux.HandleFunc("/huge.xml", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<rss version="2.0"><channel><title>`)
		chunk := []byte(strings.Repeat("x", 64<<10))
		for written := 0; written < 50<<20; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	wantErr := map[string]string{
		srv.URL + "/ok.xml":         "",
		srv.URL + "/broken.xml":     srv.URL + "/broken.xml: parse feed (utf-8): XML syntax error on line 1: unexpected EOF",
		srv.URL + "/busy.xml":       "GET " + srv.URL + "/busy.xml: 503 Service Unavailable (retry after 2h0m0s)",
		srv.URL + "/missing.xml":    "GET " + srv.URL + "/missing.xml: 404 Not Found",
		srv.URL + "/loop.xml":       "GET " + srv.URL + "/loop.xml: stopped after 5 redirects",
		srv.URL + "/page.html":      srv.URL + "/page.html: not an RSS, Atom or JSON feed",
		srv.URL + "/huge.xml":       "GET " + srv.URL + "/huge.xml: response larger than 10MB cap",
		closed.URL + "/refused.xml": "GET " + closed.URL + "/refused.xml: connection refused",
	}
	db := openStore(t)
	for u := range wantErr {
		addFeed(t, db, u)
	}
	c := fetch.NewClient(fetch.Options{PerHostDelay: -1, AllowPrivate: true})
	c2 := c
	ctx := context.Background()
	for round := 1; round <= 2; round++ {
		sum := pollAll(t, db, c2)
		if sum.FeedsOK != 1 || sum.Feeds != len(wantErr) {
			t.Errorf("round %d: got %d of %d feeds OK, want 1 of %d", round, sum.FeedsOK, sum.Feeds, len(wantErr))
		}
		feeds, err := db.Feeds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range feeds {
			if f.LastError != wantErr[f.URL] {
				t.Errorf("round %d %s: got last_error %q, want %q", round, f.URL, f.LastError, wantErr[f.URL])
			}
			gap := f.NextPollAt.Sub(f.LastPollAt)
			var lo, hi time.Duration
			switch {
			case strings.HasSuffix(f.URL, "/ok.xml"):
				// <ttl>180</ttl> is the earliest next poll.
				lo, hi = 162*time.Minute, 198*time.Minute
				if f.ConsecutiveErrors != 0 || f.LastSuccessAt.IsZero() || f.Name != "Test Wire" {
					t.Errorf("ok feed: got %+v", f)
				}
			case strings.HasSuffix(f.URL, "/busy.xml"):
				lo, hi = 108*time.Minute, 132*time.Minute // Retry-After: 2h
			default:
				// Exponential backoff: 10 minutes, then 20, each ±10%.
				base := 10 * time.Minute << (round - 1)
				lo, hi = base*9/10, base*11/10
				if f.ConsecutiveErrors != round || f.ErrorCount != round {
					t.Errorf("round %d %s: got %d consecutive errors, %d in all; want %d", round, f.URL, f.ConsecutiveErrors, f.ErrorCount, round)
				}
			}
			if gap < lo || gap > hi {
				t.Errorf("round %d %s: next poll %v after the last, want between %v and %v", round, f.URL, gap, lo, hi)
			}
		}
	}
}

func TestPollLargeFeedIsCapped(t *testing.T) {
	const items = 10000
	var paths []string
	for i := range items {
		paths = append(paths, fmt.Sprintf("/article/%d", i))
	}
	var requests atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("ETag", `"big"`)
		if r.Header.Get("If-None-Match") == `"big"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, rssFeed(srv.URL, "", paths...))
	}))
	defer srv.Close()
	db := openStore(t)
	addFeed(t, db, srv.URL+"/feed.xml")
	// Article links on loopback are refused by the guard: no page fetches.
	c := fetch.NewClient(fetch.Options{PerHostDelay: -1})
	poller := &fetch.Poller{Client: c, Store: db, MaxNewItems: 100}
	ctx := context.Background()

	total := 0
	for round := 1; round <= 2; round++ {
		feeds, err := db.Feeds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, err := poller.PollFeed(ctx, &feeds[0])
		if err != nil {
			t.Fatal(err)
		}
		total += r.Added + r.Duplicates
		if r.Items != items || !r.Capped || r.Added+r.Duplicates != 100 {
			t.Errorf("round %d: got %d items, capped %v, %d stored; want %d, true, 100", round, r.Items, r.Capped, r.Added+r.Duplicates, items)
		}
		if feeds[0].ETag != "" {
			t.Errorf("round %d: validators saved while capped; the next poll would get a 304 and never see the rest", round)
		}
	}
	var n int
	if err := rawDB(t, db).QueryRow("SELECT count(*) FROM articles").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != total {
		t.Errorf("got %d articles, want %d", n, total)
	}
	var newest string
	if err := rawDB(t, db).QueryRow("SELECT max(title) FROM articles WHERE title = 'Item 0 /article/0'").Scan(&newest); err != nil || newest == "" {
		t.Errorf("the newest item was not taken first: %v", err)
	}
}

func TestDiscover(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<html><head><link rel="alternate" type="application/rss+xml" title="Feed" href="/feed/"></head><body></body></html>`)
	})
	mux.HandleFunc("/feed/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, rssFeed("https://news.example.com", "", "/a"))
	})
	mux.HandleFunc("/nofeed", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<html><head><title>x</title></head><body></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := fetch.NewClient(fetch.Options{PerHostDelay: -1})
	ctx := context.Background()

	d, err := c.Discover(ctx, srv.URL+"/feed/")
	if err != nil || d.URL != srv.URL+"/feed/" || d.Page != "" || d.Feed.Title != "Test Wire" {
		t.Errorf("feed URL: got %+v, %v", d, err)
	}
	d, err = c.Discover(ctx, srv.URL+"/")
	if err != nil || d.URL != srv.URL+"/feed/" || d.Page != srv.URL+"/" {
		t.Errorf("home page: got %+v, %v; want the linked feed", d, err)
	}
	_, err = c.Discover(ctx, srv.URL+"/nofeed")
	if err == nil || !strings.Contains(err.Error(), "neither a feed nor a page that links to one") {
		t.Errorf("page without feed: got %v", err)
	}
}

// TestSlowHostDoesNotStallOthers polls two feeds on two hosts: a page on
// the first hangs until every page of the second has been served, which can
// only happen if the hosts proceed side by side.
func TestSlowHostDoesNotStallOthers(t *testing.T) {
	released := make(chan struct{})
	var once atomic.Bool
	var fastPages atomic.Int32
	var fast, slow *httptest.Server
	slow = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed.xml" {
			io.WriteString(w, rssFeed(slow.URL, "", "/hang"))
			return
		}
		select {
		case <-released:
			io.WriteString(w, articlePage)
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	fast = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed.xml" {
			io.WriteString(w, rssFeed(fast.URL, "", "/1", "/2", "/3"))
			return
		}
		io.WriteString(w, articlePage)
		if fastPages.Add(1) == 3 && once.CompareAndSwap(false, true) {
			close(released)
		}
	}))
	defer fast.Close()

	db := openStore(t)
	addFeed(t, db, slow.URL+"/feed.xml")
	addFeed(t, db, fast.URL+"/feed.xml")
	c := fetch.NewClient(fetch.Options{PerHostDelay: -1, Timeout: 20 * time.Second, AllowPrivate: true})
	sum := pollAll(t, db, c)
	if sum.FeedsOK != 2 || sum.PageErrors != 0 || sum.Added+sum.Duplicates != 4 {
		t.Errorf("got %+v, want both feeds and all 4 pages; the slow host held up the other", sum)
	}
}

// TestPollRedirectedLinkFetchedOnce: a feed whose links redirect (as
// click-tracking feeds do) and that never answers 304 must not have its pages
// fetched again on every poll.
func TestPollRedirectedLinkFetchedOnce(t *testing.T) {
	var pages atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/feed.xml":
			io.WriteString(w, rssFeed(srv.URL, "", "/click/1", "/click/2"))
		case strings.HasPrefix(r.URL.Path, "/click/"):
			http.Redirect(w, r, "/story/"+strings.TrimPrefix(r.URL.Path, "/click/"), http.StatusFound)
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		default:
			pages.Add(1)
			io.WriteString(w, strings.Replace(articlePage, "NEC hit", "Story "+r.URL.Path, 2))
		}
	}))
	defer srv.Close()
	db := openStore(t)
	addFeed(t, db, srv.URL+"/feed.xml")
	c := fetch.NewClient(fetch.Options{PerHostDelay: -1, AllowPrivate: true})
	for round := 1; round <= 2; round++ {
		pollAll(t, db, c)
		if got := pages.Load(); got != 2 {
			t.Errorf("after poll %d: %d page fetches, want 2", round, got)
		}
	}
	for path, a := range storedArticles(t, db) {
		if !strings.HasPrefix(path, "/story/") || !strings.Contains(a.url, "/click/") {
			t.Errorf("got canonical path %s url %s; want the page's own URL as canonical, the feed's link as url", path, a.url)
		}
	}
}
