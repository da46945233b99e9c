package fetch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachwire/breachwire/fetch"
	"github.com/breachwire/breachwire/store"
)

// retrySite serves a feed (answering 304 to its ETag) whose items link to
// /a/flaky, which fails with flakyFails 503s before it serves the page, and
// /a/gone, which is always 404.
type retrySite struct {
	srv         *httptest.Server
	flakyFails  int32
	flaky, gone atomic.Int32
}

// newRetryStore serves a retry site and stores its feed in a new database.
func newRetryStore(t *testing.T, flakyFails int32) (*retrySite, *store.DB) {
	t.Helper()
	s := newRetrySite(t, flakyFails)
	db := openStore(t)
	addFeed(t, db, s.srv.URL+"/feed.xml")
	return s, db
}

// retryClient fetches from the test server without delays.
func retryClient() *fetch.Client {
	return fetch.NewClient(fetch.Options{PerHostDelay: -1, Timeout: 5 * time.Second, AllowPrivate: true})
}

func newRetrySite(t *testing.T, flakyFails int32) *retrySite {
	t.Helper()
	s := &retrySite{flakyFails: flakyFails}
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, rssFeed(s.srv.URL, "", "/a/flaky", "/a/gone"))
	})
	mux.HandleFunc("/a/flaky", func(w http.ResponseWriter, r *http.Request) {
		if s.flaky.Add(1) <= s.flakyFails {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, articlePage)
	})
	mux.HandleFunc("/a/gone", func(w http.ResponseWriter, r *http.Request) {
		s.gone.Add(1)
		http.NotFound(w, r)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

type retryRow struct {
	id                int64
	title, text, ferr string
	attempts          int
	retry             bool
}

func retryRows(t *testing.T, db *store.DB) map[string]retryRow {
	t.Helper()
	rows, err := rawDB(t, db).Query("SELECT id, url, title, text, fetch_error, fetch_attempts, fetch_retry FROM articles")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]retryRow{}
	for rows.Next() {
		var r retryRow
		var u string
		if err := rows.Scan(&r.id, &u, &r.title, &r.text, &r.ferr, &r.attempts, &r.retry); err != nil {
			t.Fatal(err)
		}
		out[u[strings.Index(u, "/a/"):]] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// facts is an article's derived fields as one comparable string.
func facts(t *testing.T, db *store.DB, id int64) (entities []string, figures int, relevance float64) {
	t.Helper()
	raw := rawDB(t, db)
	rows, err := raw.Query(`SELECT e.kind || ':' || e.name || ':' || m.count || ':' || m.is_primary
		FROM mentions m JOIN entities e ON e.id = m.entity_id WHERE m.article_id = ? ORDER BY e.kind, e.name`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		entities = append(entities, s)
	}
	if err := raw.QueryRow("SELECT count(*) FROM figures WHERE article_id = ?", id).Scan(&figures); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow("SELECT relevance FROM articles WHERE id = ?", id).Scan(&relevance); err != nil {
		t.Fatal(err)
	}
	return entities, figures, relevance
}

func pollWith(t *testing.T, p *fetch.Poller, db *store.DB) fetch.Summary {
	t.Helper()
	ctx := context.Background()
	feeds, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := p.Poll(ctx, feeds)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestPollRetriesFailedPage: a page that answered 503 is fetched again by
// the next poll (here a 304 of the feed), and its text, entities and figures
// replace the feed item's; a 404 is not tried again.
func TestPollRetriesFailedPage(t *testing.T) {
	s, db := newRetryStore(t, 1)
	c := retryClient()
	p := &fetch.Poller{Client: c, Store: db}

	sum := pollWith(t, p, db)
	if sum.Added != 2 || sum.PageErrors != 2 || sum.Retried != 0 {
		t.Fatalf("first poll: got %+v, want 2 stored from the feed, 2 page errors", sum)
	}
	got := retryRows(t, db)
	flaky, gone := got["/a/flaky"], got["/a/gone"]
	if !strings.Contains(flaky.ferr, "503 Service Unavailable") || !flaky.retry || flaky.attempts != 1 {
		t.Errorf("flaky after poll 1: got %+v, want a 503 marked for retry after 1 attempt", flaky)
	}
	if !strings.Contains(gone.ferr, "404 Not Found") || gone.retry || gone.attempts != 1 {
		t.Errorf("gone after poll 1: got %+v, want a 404 not marked for retry", gone)
	}
	if ents, _, _ := facts(t, db, flaky.id); len(ents) != 0 {
		t.Errorf("flaky's feed summary has entities %v, want none", ents)
	}

	sum = pollWith(t, p, db)
	if sum.Added != 0 || sum.Duplicates != 0 || sum.Retried != 1 || sum.Recovered != 1 {
		t.Errorf("second poll: got %+v, want the 503 page retried and fetched, nothing added", sum)
	}
	got = retryRows(t, db)
	if len(got) != 2 {
		t.Errorf("got %d articles after the retry, want 2", len(got))
	}
	flaky = got["/a/flaky"]
	if flaky.ferr != "" || flaky.retry || flaky.attempts != 2 ||
		!strings.Contains(flaky.text, "27,445 files") || !strings.HasPrefix(flaky.title, "NEC hit by cyberattack") {
		t.Errorf("flaky after poll 2: got %+v, want the page's title and text, no fetch_error, 2 attempts", flaky)
	}
	ents, figs, rel := facts(t, db, flaky.id)
	if !slices.ContainsFunc(ents, func(e string) bool { return strings.HasPrefix(e, "company:NEC") }) || figs == 0 {
		t.Errorf("flaky after poll 2: entities %v, %d figures; want NEC and the files figure", ents, figs)
	}
	var hits int
	if err := rawDB(t, db).QueryRow("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'Mitsubishi'").Scan(&hits); err != nil {
		t.Fatal(err)
	}
	if hits != 1 {
		t.Errorf("full-text index finds the page's text in %d articles, want 1", hits)
	}
	if n := s.gone.Load(); n != 1 {
		t.Errorf("the 404 page was requested %d times, want 1", n)
	}

	// The derived fields are exactly what reextract makes of the new text.
	if _, err := db.Reextract(context.Background(), store.ReextractOptions{}); err != nil {
		t.Fatal(err)
	}
	ents2, figs2, rel2 := facts(t, db, flaky.id)
	if !slices.Equal(ents, ents2) || figs != figs2 || rel != rel2 {
		t.Errorf("reextract changed the retried article: %v %d %v, then %v %d %v", ents, figs, rel, ents2, figs2, rel2)
	}

	sum = pollWith(t, p, db)
	if sum.Retried != 0 || s.flaky.Load() != 2 || s.gone.Load() != 1 {
		t.Errorf("third poll: retried %d, flaky requested %d times, gone %d; want nothing requested again",
			sum.Retried, s.flaky.Load(), s.gone.Load())
	}
}

// TestPollRetryLimits: a page that keeps failing is requested
// MaxPageAttempts times in all, and not at all once its article is older
// than PageRetryWindow.
func TestPollRetryLimits(t *testing.T) {
	s, db := newRetryStore(t, 1000)
	c := retryClient()
	p := &fetch.Poller{Client: c, Store: db}
	for range fetch.MaxPageAttempts + 2 {
		pollWith(t, p, db)
	}
	if n := s.flaky.Load(); n != fetch.MaxPageAttempts {
		t.Errorf("a failing page was requested %d times, want %d", n, fetch.MaxPageAttempts)
	}
	if a := retryRows(t, db)["/a/flaky"]; a.attempts != fetch.MaxPageAttempts || !strings.Contains(a.ferr, "503") {
		t.Errorf("got %+v, want %d attempts and the 503", a, fetch.MaxPageAttempts)
	}

	s2, db2 := newRetryStore(t, 1000)
	pollWith(t, &fetch.Poller{Client: c, Store: db2}, db2)
	later := &fetch.Poller{Client: c, Store: db2, Now: func() time.Time {
		return time.Now().Add(fetch.PageRetryWindow + time.Hour)
	}}
	if sum := pollWith(t, later, db2); sum.Retried != 0 || s2.flaky.Load() != 1 {
		t.Errorf("after the retry window: retried %d, page requested %d times; want no retry", sum.Retried, s2.flaky.Load())
	}
}

// TestPollMarksOnlyPassingFailures: of the failures a poll meets, only the
// timeout is tried again; not the 404, the size cap, robots.txt, a PDF, nor
// the private-address guard.
func TestPollMarksOnlyPassingFailures(t *testing.T) {
	s := newSite(t)
	db := openStore(t)
	addFeed(t, db, s.srv.URL+"/feed.xml")
	c := fetch.NewClient(fetch.Options{PerHostDelay: -1, Timeout: time.Second, MaxBody: 1 << 20, AllowPrivate: true})
	pollAll(t, db, c)
	want := map[string]bool{"/a/slow": true}
	for path, a := range retryRows(t, db) {
		if a.retry != want[path] {
			t.Errorf("%s (%q): fetch_retry %v, want %v", path, a.ferr, a.retry, want[path])
		}
	}

	guarded := openStore(t)
	addFeed(t, guarded, s.srv.URL+"/feed.xml")
	pollAll(t, guarded, fetch.NewClient(fetch.Options{PerHostDelay: -1, Timeout: time.Second}))
	for path, a := range retryRows(t, guarded) {
		if a.retry {
			t.Errorf("%s (%q): refused by the address guard, yet marked for retry", path, a.ferr)
		}
	}
}
