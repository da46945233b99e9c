package main

// The acceptance test: the NEC and Mitsubishi Electric incidents of January
// 2020 as three outlets and an aggregator reported them, served by a local
// news server, taken through the CLI as a user would (feeds add, poll,
// stories, show, search, export, digest). Assertions come from the contract
// in the design document, not from any package's internals.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/breachwire/breachwire/store"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	"github.com/breachwire/breachwire/digest/smtptest"
)

// e2eRoutes maps the local news server's paths to fixture files under
// testdata/e2e. Feed links carry tracking parameters; pages name their
// clean URL with rel=canonical.
var e2eRoutes = map[string]string{
	"/pacificwire/feed.rss": "feeds/pacificwire.rss",
	"/roundup/atom.xml":     "feeds/roundup.atom",

	"/pacificwire/news/2020/01/31/nec-cyberattack-defense-files.html":               "pages/pw-nec.html",
	"/pacificwire/news/2020/02/03/defense-ministry-nec-cyberattack-inspection.html": "pages/pw-nec-followup.html",
	"/pacificwire/news/2020/01/20/mitsubishi-electric-cyberattack.html":             "pages/pw-mitsubishi.html",
	"/globaldispatch/technology/japan-nec-cyber-idGDN2020020101":                    "pages/gd-nec.html",
	"/globaldispatch/technology/mitsubishi-electric-cyber-idGDN2020012102":          "pages/gd-mitsubishi.html",
	"/globaldispatch/business/japan-defence-p1-order-idGDN2020012803":               "pages/gd-procurement.html",
	"/globaldispatch/business/fernbrook-markets-card-breach-idGDN2020012904":        "pages/gd-retail.html",
	"/tokyoledger/2020/01/31/nec-says-hackers-reached-27445-files/":                 "pages/tl-nec-syndicated.html",
}

// Paths of the reports, for finding them in the CLI's output.
const (
	e2eNECWire      = "/pacificwire/news/2020/01/31/nec-cyberattack-defense-files.html"
	e2eNECFollowUp  = "/pacificwire/news/2020/02/03/defense-ministry-nec-cyberattack-inspection.html"
	e2eNECRewrite   = "/globaldispatch/technology/japan-nec-cyber-idGDN2020020101"
	e2eNECCopy      = "/tokyoledger/2020/01/31/nec-says-hackers-reached-27445-files/"
	e2eMelcoWire    = "/pacificwire/news/2020/01/20/mitsubishi-electric-cyberattack.html"
	e2eMelcoRewrite = "/globaldispatch/technology/mitsubishi-electric-cyber-idGDN2020012102"
	e2eProcurement  = "/globaldispatch/business/japan-defence-p1-order-idGDN2020012803"
	e2eRetail       = "/globaldispatch/business/fernbrook-markets-card-breach-idGDN2020012904"
)

// e2eSite is the local news server. Every publication time in the fixtures
// is moved by shift, a whole number of weeks so weekdays in the text stay
// true.
type e2eSite struct {
	srv   *httptest.Server
	shift time.Duration
	tmpl  map[string]*template.Template
	// held, while set, keeps the NEC follow-up out of its feed, as if not
	// yet published.
	held atomic.Bool

	mu   sync.Mutex
	hits map[string]int
}

func newE2ESite(t *testing.T, shift time.Duration) *e2eSite {
	t.Helper()
	s := &e2eSite{shift: shift, tmpl: make(map[string]*template.Template), hits: make(map[string]int)}
	funcs := template.FuncMap{"date": func(rfc3339, layout string) (string, error) {
		d, err := time.Parse(time.RFC3339, rfc3339)
		if err != nil {
			return "", err
		}
		return d.Add(s.shift).Format(layout), nil
	}}
	for path, file := range e2eRoutes {
		b, err := os.ReadFile(filepath.Join("testdata", "e2e", file))
		if err != nil {
			t.Fatal(err)
		}
		tm, err := template.New(file).Funcs(funcs).Parse(string(b))
		if err != nil {
			t.Fatalf("fixture %s: %v", file, err)
		}
		s.tmpl[path] = tm
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *e2eSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	if r.URL.Path == "/robots.txt" {
		io.WriteString(w, "User-agent: *\nDisallow: /pacificwire/search\n")
		return
	}
	tm, ok := s.tmpl[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	var b bytes.Buffer
	data := struct {
		Base string
		Held bool
	}{s.srv.URL, s.held.Load()}
	if err := tm.Execute(&b, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// No ETag or Last-Modified: a forced second poll reads every item again
	// and must still store nothing new.
	switch {
	case strings.HasSuffix(r.URL.Path, ".rss"):
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	case strings.HasSuffix(r.URL.Path, ".xml"):
		w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.Write(b.Bytes())
}

func (s *e2eSite) url(path string) string { return s.srv.URL + path }

func (s *e2eSite) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// e2eEnv is one user's setup: a database and a config file.
type e2eEnv struct {
	t        *testing.T
	db, conf string
}

func newE2EEnv(t *testing.T, smtpPort int) *e2eEnv {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf(`[fetch]
per_host_delay = "0s"
timeout = "10s"

[digest]
from = "breachwire@example.org"
to = ["analyst@example.org"]

[smtp]
host = "127.0.0.1"
port = %d
tls = "none"
timeout = "5s"
`, smtpPort)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return &e2eEnv{t: t, db: filepath.Join(dir, "breachwire.db"), conf: conf}
}

// run runs one command against the env's database and config.
func (e *e2eEnv) run(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	e.t.Setenv("BREACHWIRE_DB", "")
	e.t.Setenv("BREACHWIRE_CONFIG", "")
	e.t.Setenv("BREACHWIRE_SMTP_PASSWORD", "")
	e.t.Setenv("XDG_CONFIG_HOME", e.t.TempDir())
	args = append(args, "--db", e.db, "--config", e.conf)
	var out, errOut bytes.Buffer
	code = realMain(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// ok runs a command that must succeed and returns its stdout.
func (e *e2eEnv) ok(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != 0 {
		e.t.Fatalf("breachwire %s: exit %d, want 0; stderr:\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// e2eStory is a story in the contract's JSON shape.
type e2eStory struct {
	ID             int64             `json:"id"`
	Title          string            `json:"title"`
	FirstSeen      string            `json:"first_seen"`
	LastSeen       string            `json:"last_seen"`
	Companies      []string          `json:"companies"`
	PrimaryCompany string            `json:"primary_company"`
	Agencies       []string          `json:"agencies"`
	Files          *int64            `json:"files"`
	Relevance      float64           `json:"relevance"`
	Articles       []e2eStoryArticle `json:"articles"`
}

type e2eStoryArticle struct {
	ID          int64   `json:"id"`
	URL         string  `json:"url"`
	Site        string  `json:"site"`
	Title       string  `json:"title"`
	Published   *string `json:"published"`
	DuplicateOf *int64  `json:"duplicate_of"`
}

// articleWith returns the story's report whose URL has path, or nil.
func (s *e2eStory) articleWith(path string) *e2eStoryArticle {
	for i := range s.Articles {
		if strings.Contains(s.Articles[i].URL, path) {
			return &s.Articles[i]
		}
	}
	return nil
}

var (
	e2eStoryKeys   = []string{"id", "title", "first_seen", "last_seen", "companies", "primary_company", "agencies", "files", "relevance", "articles"}
	e2eArticleKeys = []string{"id", "url", "site", "title", "published", "duplicate_of"}
	e2eSearchKeys  = []string{"article_id", "story_id", "url", "title", "published", "site", "snippet", "score"}
	e2eExportKeys  = []string{"id", "url", "canonical_url", "title", "published", "site", "text", "story_id", "duplicate_of",
		"relevance", "companies", "agencies", "figures", "fetch_error"}
)

// e2eCheckKeys reports keys of the contract missing from a JSON object.
func e2eCheckKeys(t *testing.T, what string, raw json.RawMessage, keys []string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Errorf("%s: not a JSON object: %v", what, err)
		return
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no %q field; got %s", what, k, e2eClip(string(raw), 300))
		}
	}
}

// e2eCheckUTC reports a time that is not RFC 3339 UTC.
func e2eCheckUTC(t *testing.T, what, s string) {
	t.Helper()
	if ts, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") || ts.Location() != time.UTC {
		t.Errorf("%s: got %q, want an RFC 3339 UTC time", what, s)
	}
}

func e2eClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// e2eDecodeStories parses `stories --format json` and checks the contract's
// field names on every story and report.
func e2eDecodeStories(t *testing.T, out string) []e2eStory {
	t.Helper()
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(out), &raws); err != nil {
		t.Fatalf("stories --format json: not a JSON array: %v\n%s", err, e2eClip(out, 500))
	}
	stories := make([]e2eStory, len(raws))
	for i, raw := range raws {
		stories[i] = e2eDecodeStory(t, raw)
	}
	return stories
}

func e2eDecodeStory(t *testing.T, raw json.RawMessage) e2eStory {
	t.Helper()
	var s e2eStory
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("story JSON: %v\n%s", err, e2eClip(string(raw), 500))
	}
	e2eCheckKeys(t, fmt.Sprintf("story %d", s.ID), raw, e2eStoryKeys)
	var arts struct {
		Articles []json.RawMessage `json:"articles"`
	}
	json.Unmarshal(raw, &arts)
	for _, a := range arts.Articles {
		e2eCheckKeys(t, fmt.Sprintf("story %d article", s.ID), a, e2eArticleKeys)
	}
	e2eCheckUTC(t, fmt.Sprintf("story %d first_seen", s.ID), s.FirstSeen)
	e2eCheckUTC(t, fmt.Sprintf("story %d last_seen", s.ID), s.LastSeen)
	return s
}

// e2eStoriesOf returns the stories with the given primary company.
func e2eStoriesOf(stories []e2eStory, company string) []e2eStory {
	var out []e2eStory
	for _, s := range stories {
		if s.PrimaryCompany == company {
			out = append(out, s)
		}
	}
	return out
}

// e2eStoryWith returns the story holding the report with path, or nil.
func e2eStoryWith(stories []e2eStory, path string) *e2eStory {
	for i := range stories {
		if stories[i].articleWith(path) != nil {
			return &stories[i]
		}
	}
	return nil
}

func e2eStoryIDs(stories []e2eStory) []int64 {
	ids := make([]int64, len(stories))
	for i, s := range stories {
		ids[i] = s.ID
	}
	return ids
}

// e2eExported is a line of `export --format jsonl`. Entities are decoded
// loosely: the contract names the fields, extract's JSON gives their shape.
type e2eExported struct {
	ID           int64   `json:"id"`
	URL          string  `json:"url"`
	CanonicalURL string  `json:"canonical_url"`
	Title        string  `json:"title"`
	Published    *string `json:"published"`
	Site         string  `json:"site"`
	Text         string  `json:"text"`
	StoryID      *int64  `json:"story_id"`
	DuplicateOf  *int64  `json:"duplicate_of"`
	Relevance    float64 `json:"relevance"`
	Companies    []struct {
		Name    string `json:"name"`
		Primary bool   `json:"primary"`
	} `json:"companies"`
	Agencies []struct {
		Name string `json:"name"`
	} `json:"agencies"`
	Figures []struct {
		Kind  string `json:"kind"`
		Value int64  `json:"value"`
	} `json:"figures"`
	FetchError string `json:"fetch_error"`
}

func (a *e2eExported) primary() string {
	for _, c := range a.Companies {
		if c.Primary {
			return c.Name
		}
	}
	return ""
}

func (a *e2eExported) companyNames() []string {
	var names []string
	for _, c := range a.Companies {
		names = append(names, c.Name)
	}
	return names
}

func (a *e2eExported) agencyNames() []string {
	var names []string
	for _, c := range a.Agencies {
		names = append(names, c.Name)
	}
	return names
}

func (a *e2eExported) hasFigure(kind string, value int64) bool {
	for _, f := range a.Figures {
		if f.Kind == kind && f.Value == value {
			return true
		}
	}
	return false
}

// e2eDecodeExport parses the JSONL export, keyed by the path of the canonical
// URL.
func e2eDecodeExport(t *testing.T, out string) map[string]e2eExported {
	t.Helper()
	byPath := make(map[string]e2eExported)
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		e2eCheckKeys(t, fmt.Sprintf("export line %d", i+1), json.RawMessage(line), e2eExportKeys)
		var a e2eExported
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Errorf("export line %d: %v\n%s", i+1, err, e2eClip(line, 300))
			continue
		}
		path := a.CanonicalURL
		if i := strings.Index(path, "://"); i >= 0 {
			path = path[i+3:]
			if j := strings.IndexByte(path, '/'); j >= 0 {
				path = path[j:]
			}
		}
		if _, dup := byPath[path]; dup {
			t.Errorf("export: canonical URL %s appears twice", a.CanonicalURL)
		}
		byPath[path] = a
	}
	return byPath
}

func TestEndToEndNEC(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	site := newE2ESite(t, 0)
	env := newE2EEnv(t, 9) // discard port: nothing is sent

	// A user adds the two feeds and polls.
	for _, feed := range []string{"/pacificwire/feed.rss", "/roundup/atom.xml"} {
		out := env.ok("feeds", "add", site.url(feed))
		if !strings.Contains(out, "added") {
			t.Errorf("feeds add %s: got %q, want it to say the feed was added", feed, out)
		}
	}
	code, _, pollErr := env.run("poll", "--allow-private", "-v")
	if code != 0 || !strings.Contains(pollErr, "2 of 2 feeds reachable") || !strings.Contains(pollErr, " 0 page errors") {
		t.Fatalf("poll: exit %d, stderr %q; want 0, both feeds reachable and no page errors", code, pollErr)
	}
	// The poll ends with the batch refinement over the stories it changed
	// (store.RefineSaved), as an import does.
	if m := regexp.MustCompile(`msg="refined the stories the poll changed" stories=([0-9]+)`).FindStringSubmatch(pollErr); m == nil || m[1] == "0" {
		t.Errorf("poll -v: stderr does not report refining the stories it changed (got %v)", m)
	}
	t.Logf("poll: %s", strings.TrimSpace(pollErr))
	for path := range e2eRoutes {
		if site.hitCount(path) == 0 {
			t.Errorf("poll never fetched %s", path)
		}
	}

	stories := e2eDecodeStories(t, env.ok("stories", "--format", "json"))
	var nec, melco e2eStory
	t.Run("stories", func(t *testing.T) {
		for _, s := range stories {
			t.Logf("story %d %q primary=%q files=%v reports=%d relevance=%.2f", s.ID, s.Title, s.PrimaryCompany, e2ePtr(s.Files), len(s.Articles), s.Relevance)
		}
		necs, melcos := e2eStoriesOf(stories, "NEC"), e2eStoriesOf(stories, "Mitsubishi Electric")
		if len(necs) != 1 || len(melcos) != 1 || len(stories) != 2 {
			t.Errorf("got %d stories (%d with primary company NEC, %d Mitsubishi Electric), want exactly one of each",
				len(stories), len(necs), len(melcos))
		}
		// The stories of the first report of each incident stand for the
		// incident in the checks below.
		if s := e2eStoryWith(stories, e2eNECWire); s != nil {
			nec = *s
		}
		if s := e2eStoryWith(stories, e2eMelcoWire); s != nil {
			melco = *s
		}
		if nec.ID == 0 || melco.ID == 0 {
			t.Fatalf("no story holds %s or %s", e2eNECWire, e2eMelcoWire)
		}
		if nec.ID == melco.ID {
			t.Errorf("NEC and Mitsubishi Electric reports share story %d; a secondary mention must not merge incidents", nec.ID)
		}
		if stories[0].ID != nec.ID {
			t.Errorf("first story is %d, want the NEC story %d (newest first)", stories[0].ID, nec.ID)
		}
		if nec.Files == nil || *nec.Files != 27445 {
			t.Errorf("NEC story files: got %s, want 27445", e2ePtr(nec.Files))
		}
		for _, want := range []string{"Ministry of Defense (Japan)", "Acquisition, Technology and Logistics Agency", "Maritime Self-Defense Force"} {
			if !slices.Contains(nec.Agencies, want) {
				t.Errorf("NEC story agencies: got %q, want %q among them", nec.Agencies, want)
			}
		}
		for _, want := range []string{"NEC", "Mitsubishi Electric"} {
			if !slices.Contains(nec.Companies, want) {
				t.Errorf("NEC story companies: got %q, want %q among them", nec.Companies, want)
			}
		}
		if nec.FirstSeen != "2020-01-31T08:15:00Z" || nec.LastSeen != "2020-02-03T06:30:00Z" {
			t.Errorf("NEC story seen %s to %s, want 2020-01-31T08:15:00Z to 2020-02-03T06:30:00Z (wire report to follow-up)", nec.FirstSeen, nec.LastSeen)
		}
		for _, p := range []string{e2eNECWire, e2eNECRewrite, e2eNECCopy, e2eNECFollowUp} {
			if nec.articleWith(p) == nil {
				t.Errorf("NEC story lacks the report %s", p)
			}
		}
		if len(nec.Articles) != 4 {
			t.Errorf("NEC story has %d reports, want 4", len(nec.Articles))
		}

		for _, want := range []string{"Ministry of Defense (Japan)", "Nuclear Regulation Authority"} {
			if !slices.Contains(melco.Agencies, want) {
				t.Errorf("Mitsubishi Electric story agencies: got %q, want %q among them", melco.Agencies, want)
			}
		}
		if melco.Files != nil {
			t.Errorf("Mitsubishi Electric story files: got %d, want null (its reports give no file count)", *melco.Files)
		}
		if melco.FirstSeen != "2020-01-20T09:05:00Z" || melco.LastSeen != "2020-01-21T02:20:00Z" {
			t.Errorf("Mitsubishi Electric story seen %s to %s, want 2020-01-20T09:05:00Z to 2020-01-21T02:20:00Z", melco.FirstSeen, melco.LastSeen)
		}
		if len(melco.Articles) != 2 || melco.articleWith(e2eMelcoWire) == nil || melco.articleWith(e2eMelcoRewrite) == nil {
			t.Errorf("Mitsubishi Electric story reports: got %v, want the wire report and the rewrite", e2eArticleURLs(melco))
		}
	})
	if nec.ID == 0 {
		t.Fatal("no NEC story; the remaining checks need it")
	}

	t.Run("show", func(t *testing.T) {
		out := env.ok("show", fmt.Sprint(nec.ID), "--format", "json")
		s := e2eDecodeStory(t, json.RawMessage(out))
		if s.ID != nec.ID || s.PrimaryCompany != "NEC" || s.Files == nil || *s.Files != 27445 {
			t.Errorf("show %d: got id %d, primary %q, files %s; want the NEC story with 27445 files", nec.ID, s.ID, s.PrimaryCompany, e2ePtr(s.Files))
		}
		wire, copied := s.articleWith(e2eNECWire), s.articleWith(e2eNECCopy)
		if wire == nil || copied == nil {
			t.Fatalf("show %d: reports %v; want the wire report and its syndicated copy", nec.ID, e2eArticleURLs(s))
		}
		if copied.DuplicateOf == nil || *copied.DuplicateOf != wire.ID {
			t.Errorf("syndicated copy duplicate_of: got %s, want %d (the wire report)", e2ePtr(copied.DuplicateOf), wire.ID)
		}
		for _, a := range s.Articles {
			if a.ID != copied.ID && a.DuplicateOf != nil {
				t.Errorf("report %s: duplicate_of %d, want null (only the syndicated copy is a duplicate)", a.URL, *a.DuplicateOf)
			}
			if a.Published != nil {
				e2eCheckUTC(t, "report "+a.URL+" published", *a.Published)
			}
		}
		if out := env.ok("show", fmt.Sprint(nec.ID)); !strings.Contains(out, "NEC") || !strings.Contains(out, "27,445") {
			t.Errorf("show %d (table): got\n%s\nwant the company and 27,445 files", nec.ID, out)
		}
	})

	t.Run("all", func(t *testing.T) {
		all := e2eDecodeStories(t, env.ok("stories", "--all", "--format", "json"))
		for _, p := range []string{e2eProcurement, e2eRetail, e2eNECWire, e2eMelcoWire} {
			if e2eStoryWith(all, p) == nil {
				t.Errorf("stories --all: no story holds %s", p)
			}
		}
		for _, p := range []string{e2eProcurement, e2eRetail} {
			if s := e2eStoryWith(all, p); s != nil && (s.ID == nec.ID || s.ID == melco.ID) {
				t.Errorf("stories --all: %s, which reports no incident, is in story %d (%s) with the incident's reports", p, s.ID, s.PrimaryCompany)
			}
		}
		if len(all) < 4 {
			t.Errorf("stories --all: got %d stories, want at least 4", len(all))
		}
	})

	t.Run("filters", func(t *testing.T) {
		if got := e2eStoryIDs(e2eDecodeStories(t, env.ok("stories", "--min-files", "20000", "--format", "json"))); !slices.Equal(got, []int64{nec.ID}) {
			t.Errorf("stories --min-files 20000: got %v, want [%d]", got, nec.ID)
		}
		if got := e2eStoryIDs(e2eDecodeStories(t, env.ok("stories", "--since", "2020-01-25", "--format", "json"))); !slices.Equal(got, []int64{nec.ID}) {
			t.Errorf("stories --since 2020-01-25: got %v, want [%d]", got, nec.ID)
		}
		if got := e2eStoryIDs(e2eDecodeStories(t, env.ok("stories", "--until", "2020-01-25", "--format", "json"))); !slices.Equal(got, []int64{melco.ID}) {
			t.Errorf("stories --until 2020-01-25: got %v, want [%d]", got, melco.ID)
		}
		if got := e2eStoryIDs(e2eDecodeStories(t, env.ok("stories", "--agency", "Nuclear Regulation Authority", "--format", "json"))); !slices.Contains(got, melco.ID) {
			t.Errorf("stories --agency 'Nuclear Regulation Authority': got %v, want %d among them", got, melco.ID)
		}
		if got := e2eStoryIDs(e2eDecodeStories(t, env.ok("stories", "--company", "Mitsubishi Electric", "--format", "json"))); !slices.Contains(got, melco.ID) {
			t.Errorf("stories --company 'Mitsubishi Electric': got %v, want %d among them", got, melco.ID)
		}
	})

	t.Run("search", func(t *testing.T) {
		out := env.ok("search", "NEC", "--format", "json")
		var raws []json.RawMessage
		if err := json.Unmarshal([]byte(out), &raws); err != nil {
			t.Fatalf("search --format json: not a JSON array: %v\n%s", err, e2eClip(out, 500))
		}
		found := make(map[string]bool)
		for i, raw := range raws {
			e2eCheckKeys(t, fmt.Sprintf("search result %d", i), raw, e2eSearchKeys)
			var r struct {
				URL     string `json:"url"`
				StoryID *int64 `json:"story_id"`
				Snippet string `json:"snippet"`
			}
			json.Unmarshal(raw, &r)
			for _, p := range []string{e2eNECWire, e2eNECRewrite, e2eNECFollowUp} {
				if strings.Contains(r.URL, p) {
					found[p] = true
					if r.StoryID == nil || *r.StoryID != nec.ID {
						t.Errorf("search NEC: %s has story_id %s, want %d", p, e2ePtr(r.StoryID), nec.ID)
					}
				}
			}
			for _, p := range []string{e2eRetail, e2eProcurement} {
				if strings.Contains(r.URL, p) {
					t.Errorf("search NEC: found %s, which does not mention NEC and is not relevant", p)
				}
			}
		}
		for _, p := range []string{e2eNECWire, e2eNECRewrite, e2eNECFollowUp} {
			if !found[p] {
				t.Errorf("search NEC: no result for %s (got %d results)", p, len(raws))
			}
		}

		// Irrelevant reports are stored and searchable, but only with --all.
		if out := env.ok("search", "Fernbrook", "--format", "json"); strings.Contains(out, e2eRetail) {
			t.Errorf("search Fernbrook (relevant only): found the retail breach")
		}
		if out := env.ok("search", "Fernbrook", "--all", "--format", "json"); !strings.Contains(out, e2eRetail) {
			t.Errorf("search Fernbrook --all: got %s, want the retail breach", e2eClip(out, 300))
		}
	})

	export := env.ok("export", "--format", "jsonl")
	t.Run("export", func(t *testing.T) {
		arts := e2eDecodeExport(t, export)
		if len(arts) != len(e2eRoutes)-2 {
			t.Errorf("export: got %d articles, want %d (every report, relevant or not)", len(arts), len(e2eRoutes)-2)
		}
		for path, a := range arts {
			if strings.Contains(a.CanonicalURL, "utm_") {
				t.Errorf("canonical_url %s keeps tracking parameters", a.CanonicalURL)
			}
			if a.FetchError != "" {
				t.Errorf("%s: fetch_error %q", path, a.FetchError)
			}
			if a.StoryID == nil {
				t.Errorf("%s: story_id is null; every stored article belongs to a story", path)
			}
			if a.Published != nil {
				e2eCheckUTC(t, path+" published", *a.Published)
			}
		}
		wire, ok := arts[e2eNECWire]
		if !ok {
			t.Fatalf("export lacks %s; got %v", e2eNECWire, e2eKeys(arts))
		}
		if wire.primary() != "NEC" || !slices.Contains(wire.companyNames(), "Mitsubishi Electric") {
			t.Errorf("wire report companies: got %q (primary %q), want NEC primary and Mitsubishi Electric mentioned", wire.companyNames(), wire.primary())
		}
		for _, want := range []string{"Ministry of Defense (Japan)", "Acquisition, Technology and Logistics Agency", "Maritime Self-Defense Force", "Nuclear Regulation Authority"} {
			if !slices.Contains(wire.agencyNames(), want) {
				t.Errorf("wire report agencies: got %q, want %q among them", wire.agencyNames(), want)
			}
		}
		if !wire.hasFigure("files", 27445) {
			t.Errorf("wire report figures: got %+v, want files = 27445", wire.Figures)
		}
		if wire.Site != "Pacific Wire Service" {
			t.Errorf("wire report site: got %q, want %q", wire.Site, "Pacific Wire Service")
		}
		for _, junk := range []string{"Sign up for our free daily newsletter", "Most read", "Privacy policy", "Tweet"} {
			if strings.Contains(wire.Text, junk) {
				t.Errorf("wire report text keeps page furniture %q", junk)
			}
		}
		for _, p := range []string{e2eNECRewrite, e2eNECCopy, e2eNECFollowUp} {
			if a := arts[p]; a.StoryID == nil || wire.StoryID == nil || *a.StoryID != *wire.StoryID || a.primary() != "NEC" {
				t.Errorf("%s: story_id %s, primary %q; want the wire report's story %s and NEC", p, e2ePtr(a.StoryID), a.primary(), e2ePtr(wire.StoryID))
			}
		}
		if c := arts[e2eNECCopy]; c.DuplicateOf == nil || *c.DuplicateOf != wire.ID {
			t.Errorf("syndicated copy duplicate_of: got %s, want %d", e2ePtr(c.DuplicateOf), wire.ID)
		}
		if r := arts[e2eNECRewrite]; r.DuplicateOf != nil || !r.hasFigure("files", 27445) {
			t.Errorf("rewrite: duplicate_of %s, figures %+v; want null (different words) and files = 27445", e2ePtr(r.DuplicateOf), r.Figures)
		}
		m := arts[e2eMelcoWire]
		if m.primary() != "Mitsubishi Electric" || m.StoryID == nil || (wire.StoryID != nil && *m.StoryID == *wire.StoryID) {
			t.Errorf("Mitsubishi Electric wire report: primary %q, story_id %s; want Mitsubishi Electric, apart from the NEC story %s",
				m.primary(), e2ePtr(m.StoryID), e2ePtr(wire.StoryID))
		}
		for _, p := range []string{e2eProcurement, e2eRetail} {
			if a := arts[p]; a.Relevance >= arts[e2eMelcoRewrite].Relevance || a.Relevance >= wire.Relevance {
				t.Errorf("%s: relevance %.2f, want below the incident reports (%.2f, %.2f)", p, a.Relevance, wire.Relevance, arts[e2eMelcoRewrite].Relevance)
			}
		}
	})

	t.Run("poll again", func(t *testing.T) {
		before := env.ok("stories", "--all", "--format", "json")
		code, _, errOut := env.run("poll", "--allow-private")
		if code != 0 {
			t.Errorf("poll right after a poll: exit %d, stderr %q; want 0", code, errOut)
		}
		code, _, errOut = env.run("poll", "--allow-private", "--force")
		if code != 0 || !strings.Contains(errOut, "2 of 2 feeds reachable; 0 new articles, 0 duplicates") {
			t.Errorf("poll --force: exit %d, stderr %q; want nothing new", code, errOut)
		}
		if again := env.ok("export", "--format", "jsonl"); again != export {
			t.Errorf("export changed after a second poll:\nbefore %d lines\nafter  %d lines", strings.Count(export, "\n"), strings.Count(again, "\n"))
		}
		if after := env.ok("stories", "--all", "--format", "json"); after != before {
			t.Errorf("stories changed after a second poll:\nbefore %s\nafter  %s", e2eClip(before, 400), e2eClip(after, 400))
		}
	})

	t.Run("digest of old news", func(t *testing.T) {
		// Reports from 2020 are too old for a digest: a preview says so and
		// succeeds.
		code, out, errOut := env.run("digest", "--dry-run")
		if code != 0 || out != "" || !strings.Contains(errOut, "nothing new") {
			t.Errorf("digest --dry-run over 2020 reports: exit %d, stdout %d bytes, stderr %q; want 0, nothing, \"nothing new\"", code, len(out), errOut)
		}
	})
}

// TestEndToEndDigest polls the same reports dated within the past week,
// previews the digest, sends it to an in-process mail server, and checks
// that a story is sent again only as an update when a new report arrives.
func TestEndToEndDigest(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	newest := time.Date(2020, 2, 3, 6, 30, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	site := newE2ESite(t, time.Since(newest)/week*week)
	site.held.Store(true)
	srv := smtptest.NewServer(t, smtptest.Options{})
	env := newE2EEnv(t, srv.Port)
	env.ok("feeds", "add", site.url("/pacificwire/feed.rss"))
	env.ok("feeds", "add", site.url("/roundup/atom.xml"))
	env.ok("poll", "--allow-private")

	out := env.ok("digest", "--dry-run")
	subj, text := e2eReadMessage(t, out)
	t.Logf("preview subject: %s", subj)
	if !strings.HasPrefix(subj, "breachwire: 2 new incidents —") {
		t.Errorf("preview subject: got %q, want it to count 2 new incidents", subj)
	}
	for _, want := range []string{"NEC", "27,445", "Mitsubishi Electric"} {
		if !strings.Contains(text, want) {
			t.Errorf("preview text lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Fernbrook", "P-1 patrol"} {
		if i := strings.Index(text, unwanted); i >= 0 {
			t.Errorf("preview text mentions %q, which is not a defense incident: …%s…", unwanted, text[max(0, i-300):min(len(text), i+100)])
		}
	}
	if again, _ := e2eReadMessage(t, env.ok("digest", "--dry-run")); again != subj {
		t.Errorf("second preview: subject %q, want %q (a preview records nothing)", again, subj)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("previews sent %d messages, want none", n)
	}

	// send runs `digest` and returns the subject of what the server got,
	// or "" when nothing was sent.
	send := func() string {
		t.Helper()
		before := len(srv.Messages())
		code, out, errOut := env.run("digest")
		if code != 0 || out != "" {
			t.Fatalf("digest: exit %d, stdout %q, stderr %q; want 0 and nothing on stdout", code, e2eClip(out, 200), errOut)
		}
		msgs := srv.Messages()
		switch len(msgs) - before {
		case 0:
			if !strings.Contains(errOut, "nothing new") {
				t.Errorf("digest sent nothing but says %q", errOut)
			}
			return ""
		case 1:
			m := msgs[len(msgs)-1]
			if !slices.Equal(m.To, []string{"analyst@example.org"}) || m.From != "breachwire@example.org" {
				t.Errorf("envelope from %q to %q, want breachwire@example.org to analyst@example.org", m.From, m.To)
			}
			subj, _ := e2eReadMessage(t, string(m.Data))
			if !strings.Contains(errOut, "sent ") {
				t.Errorf("digest sent %q but says %q", subj, errOut)
			}
			return subj
		default:
			t.Fatalf("one digest run sent %d messages", len(msgs)-before)
			return ""
		}
	}
	if got := send(); got != subj {
		t.Errorf("sent subject %q, want the previewed %q", got, subj)
	}
	if got := send(); got != "" {
		t.Errorf("second digest sent %q; the same stories must not be sent twice", got)
	}

	// The follow-up is published: the NEC story is sent again as an update.
	site.held.Store(false)
	env.ok("poll", "--allow-private", "--force")
	if got := send(); !strings.HasPrefix(got, "breachwire: 1 update —") {
		t.Errorf("digest after the follow-up: sent %q, want \"breachwire: 1 update — DATE\"", got)
	}
	if got := send(); got != "" {
		t.Errorf("digest after the update: sent %q, want nothing", got)
	}
}

// e2eReadMessage parses a mail message and returns its decoded subject and
// text part.
func e2eReadMessage(t *testing.T, raw string) (subject, text string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, e2eClip(raw, 500))
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Errorf("Subject %q: %v", msg.Header.Get("Subject"), err)
	}
	if from := msg.Header.Get("From"); !strings.Contains(from, "breachwire@example.org") {
		t.Errorf("From: got %q, want breachwire@example.org", from)
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, "analyst@example.org") {
		t.Errorf("To: got %q, want analyst@example.org", to)
	}
	return subject, e2eMessageText(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

// e2eMessageText returns the decoded text/plain part of a message.
func e2eMessageText(t *testing.T, contentType, encoding string, body io.Reader) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Errorf("Content-Type %q: %v", contentType, err)
		return ""
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		var text string
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return text
			}
			if err != nil {
				t.Errorf("reading %s: %v", mt, err)
				return text
			}
			if s := e2eMessageText(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); s != "" && text == "" {
				text = s
			}
		}
	}
	if mt != "text/plain" {
		return ""
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Errorf("reading text part: %v", err)
	}
	return string(b)
}

func e2eArticleURLs(s e2eStory) []string {
	var urls []string
	for _, a := range s.Articles {
		urls = append(urls, a.URL)
	}
	return urls
}

func e2eKeys(m map[string]e2eExported) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func e2ePtr(p *int64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// TestEndToEndBadInput calls each command wrongly, as a user might, and
// checks the contract: one line on stderr naming the problem, exit 2 for a
// usage error and 1 for any other failure, nothing on stdout.
func TestEndToEndBadInput(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "archive.jsonl")
	if err := os.WriteFile(jsonl, []byte("{\"url\": \"https://example.org/a\", \"text\": \"x\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string // in the error line
	}{
		{"unknown command", []string{"bogus"}, 2, "bogus"},
		{"feeds without subcommand", []string{"feeds"}, 2, "subcommand"},
		{"feeds add without URL", []string{"feeds", "add"}, 2, "URL"},
		{"feeds add bad URL", []string{"feeds", "add", "ht!tp://%%%"}, 2, "ht!tp"},
		{"poll with an argument", []string{"poll", "extra"}, 2, "extra"},
		{"unknown flag", []string{"stories", "--no-such-flag"}, 2, "no-such-flag"},
		{"bad format", []string{"stories", "--format", "xml"}, 2, "xml"},
		{"bad date", []string{"stories", "--since", "yesterday"}, 2, "yesterday"},
		{"impossible date", []string{"stories", "--until", "2020-02-30"}, 2, "2020-02-30"},
		{"bad number", []string{"stories", "--min-files", "lots"}, 2, "lots"},
		{"search without query", []string{"search"}, 2, "QUERY"},
		{"malformed query", []string{"search", "AND OR ("}, 2, "AND OR ("},
		{"search bad format", []string{"search", "NEC", "--format", "yaml"}, 2, "yaml"},
		{"show without id", []string{"show"}, 2, "STORY_ID"},
		{"show non-number", []string{"show", "abc"}, 2, "abc"},
		{"show missing story", []string{"show", "99999"}, 1, "99999"},
		{"export bad format", []string{"export", "--format", "xml"}, 2, "xml"},
		{"import missing file", []string{"import", filepath.Join(dir, "missing.jsonl")}, 1, "missing.jsonl"},
		{"import two files", []string{"import", jsonl, jsonl}, 2, "FILE.jsonl"},
		{"extract missing file", []string{"extract", filepath.Join(dir, "missing.html")}, 1, "missing.html"},
		{"digest without recipients", []string{"digest", "--dry-run"}, 2, "digest.to"},
		{"run bad interval", []string{"run", "--every", "banana"}, 2, "banana"},
		{"unopenable database", []string{"stories", "--db", "/proc/breachwire-e2e.db"}, 1, "/proc/breachwire-e2e.db"},
		{"missing config", []string{"stories", "--config", filepath.Join(dir, "missing.toml")}, 2, "missing.toml"},
		{"missing database", []string{"stories", "--db", filepath.Join(dir, "typo", "bw.db")}, 1, "no database at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An empty but existing database, so that query commands get as
			// far as judging their own arguments.
			dbPath := filepath.Join(t.TempDir(), "bw.db")
			db, err := store.Open(context.Background(), dbPath)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			t.Setenv("BREACHWIRE_DB", dbPath)
			t.Setenv("BREACHWIRE_CONFIG", "")
			t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			var out, errOut bytes.Buffer
			code := realMain(context.Background(), tt.args, strings.NewReader(""), &out, &errOut)
			msg := errOut.String()
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, e2eClip(msg, 300))
			}
			if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") || !strings.HasPrefix(msg, "breachwire") {
				t.Errorf("stderr %q; want one line starting \"breachwire\"", e2eClip(msg, 300))
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("stderr %q does not name %q", e2eClip(msg, 300), tt.want)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q, want nothing on failure", e2eClip(out.String(), 200))
			}
		})
	}
}
