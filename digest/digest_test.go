package digest_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breachwire/breachwire/digest"
	"github.com/breachwire/breachwire/digest/smtptest"
	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	from = "breachwire@example.org"
	to   = "analyst@example.org"
)

// fixture is a database with three relevant stories, one irrelevant one and
// a feed failing for two days, all stored through the real store.
type fixture struct {
	db    *store.DB
	now   time.Time
	nec   int64 // story of three reports
	clock *time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{now: time.Date(2020, 1, 31, 7, 0, 0, 0, time.UTC)}
	clock := f.now.Add(-6 * time.Hour)
	f.clock = &clock
	path := filepath.Join(t.TempDir(), "breachwire.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetClock(func() time.Time { return *f.clock })
	f.db = db

	nec := func(url, site, title string) *extract.Article {
		return &extract.Article{
			URL: url, Site: site, Title: title, Lang: "en",
			Published: time.Date(2020, 1, 31, 3, 0, 0, 0, time.UTC),
			Text:      title + ". NEC Corp. said Friday it came under major cyberattacks that resulted in unauthorized access to 27,445 files.",
			Companies: []extract.Company{{Name: "NEC", Mentions: 3, Primary: true}, {Name: "Mitsubishi Electric", Mentions: 1}},
			Agencies: []extract.Agency{
				{Name: "Ministry of Defense (Japan)", Mentions: 4},
				{Name: "Acquisition, Technology and Logistics Agency", Mentions: 1},
			},
			Figures:   []extract.Figure{{Kind: extract.KindFiles, Value: 27445, Text: "27,445 files"}},
			Relevance: 0.93,
		}
	}
	first := f.add(t, nec("https://english.kyodonews.net/news/2020/01/nec-cyberattack.html", "Kyodo News", "NEC says 27,445 files accessed in cyberattack"))
	f.nec = first.StoryID
	f.add(t, &extract.Article{
		URL: "https://evil.example/lockheed", Site: "<b>Evil</b> Daily",
		Title:     `<script>alert(1)</script> Lockheed Martin supplier breached`,
		Published: time.Date(2020, 1, 30, 12, 0, 0, 0, time.UTC),
		Text:      "A supplier to Lockheed Martin disclosed a ransomware attack.",
		Companies: []extract.Company{{Name: "Lockheed Martin", Mentions: 2, Primary: true}},
		Relevance: 0.7,
	})
	f.add(t, &extract.Article{
		URL: "https://news.example.com/leonardo", Site: "news.example.com",
		Title:     "Leonardo breach\r\nBcc: victim@example.org",
		Published: time.Date(2020, 1, 29, 9, 0, 0, 0, time.UTC),
		Text:      "Leonardo said attackers took 10 GB of data.",
		Companies: []extract.Company{{Name: "Leonardo", Mentions: 2, Primary: true}},
		Agencies:  []extract.Agency{{Name: "Italian Ministry of Defence", Mentions: 1}},
		Relevance: 0.6,
	})
	f.add(t, &extract.Article{
		URL: "https://weather.example.com/rain", Site: "weather.example.com", Title: "Rain tomorrow",
		Text: "It will rain.", Relevance: 0.05,
	})
	// Added last so that story ids do not depend on whether clustering
	// puts it in the NEC story by itself.
	reuters := nec("https://www.reuters.com/article/us-nec-cyber", "Reuters", "Japan's NEC says defense data may have been breached")
	reuters.Text = "Japanese IT giant NEC disclosed on Friday that hackers may have reached data tied to defense contracts, " +
		"in the second such admission by a Japanese defense supplier in weeks. The company said 27,445 files were accessed."
	f.join(t, path, f.add(t, reuters))
	if err := execSQL(path, `INSERT INTO feeds (url, name, added_at, last_success_at, consecutive_errors, last_error)
		VALUES ('https://broken.example/feed.xml', 'Broken <Feed>', '2020-01-01T00:00:00Z', '2020-01-29T06:00:00Z', 12, 'HTTP 503 Service Unavailable')`); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) add(t *testing.T, a *extract.Article) store.AddResult {
	t.Helper()
	r, err := f.db.AddArticle(context.Background(), 0, a)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// join puts a report in the NEC story when clustering did not already do so
// (the first clustering gives every report its own story).
func (f *fixture) join(t *testing.T, path string, r store.AddResult) {
	t.Helper()
	if r.StoryID == f.nec {
		return
	}
	if err := execSQL(path, "UPDATE articles SET story_id = ? WHERE id = ?", f.nec, r.ArticleID); err != nil {
		t.Fatal(err)
	}
}

// growNEC adds a report to the NEC story a day later.
func (f *fixture) growNEC(t *testing.T) {
	t.Helper()
	*f.clock = f.now.Add(12 * time.Hour)
	r := f.add(t, &extract.Article{
		URL: "https://www.japantimes.co.jp/news/nec-defense-files", Site: "The Japan Times",
		Title:     "NEC defense files: ministry orders review",
		Published: time.Date(2020, 2, 1, 1, 0, 0, 0, time.UTC),
		Text:      "The Defense Ministry ordered a review after NEC disclosed the breach.",
		Companies: []extract.Company{{Name: "NEC", Mentions: 2, Primary: true}},
		Agencies:  []extract.Agency{{Name: "Ministry of Defense (Japan)", Mentions: 2}},
		Relevance: 0.8,
	})
	f.join(t, f.db.Path(), r)
}

func execSQL(path, query string, args ...any) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(query, args...)
	return err
}

func (f *fixture) compose(t *testing.T) *digest.Digest {
	t.Helper()
	d, err := digest.Compose(context.Background(), f.db, []string{to}, digest.ComposeOptions{Location: time.UTC, Now: f.now})
	if err != nil {
		t.Fatal(err)
	}
	d.DBPath = "breachwire.db"
	return d
}

func (f *fixture) options(srv *smtptest.Server) digest.Options {
	return digest.Options{
		From: from, To: []string{to},
		SMTP:    digest.SMTP{Host: srv.Host, Port: srv.Port, TLS: "none", Timeout: 5 * time.Second},
		Compose: digest.ComposeOptions{Location: time.UTC, Now: f.now},
	}
}

func TestGolden(t *testing.T) {
	f := newFixture(t)
	d := f.compose(t)
	html, err := d.HTML()
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Message(from, []string{to})
	if err != nil {
		t.Fatal(err)
	}
	var eml bytes.Buffer
	if err := digest.WriteMessage(&eml, m); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{
		"digest.txt":  d.Text(),
		"digest.html": html,
		"digest.eml":  normalizeMessage(eml.String()),
	} {
		t.Run(name, func(t *testing.T) { golden(t, name, got) })
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./digest -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s\n(run go test ./digest -update if the change is intended)", name, got)
	}
}

var (
	dateHeader  = regexp.MustCompile(`(?m)^Date: .*$`)
	idHeader    = regexp.MustCompile(`(?m)^Message-ID: <[^@>]*@`)
	boundaryRE  = regexp.MustCompile(`boundary="?([0-9A-Za-z'()+_,./:=?-]+)"?`)
	crlfNewline = strings.NewReplacer("\r\n", "\n")
)

// normalizeMessage replaces what differs from run to run: the Date, the
// Message-ID's random part and the MIME boundaries.
func normalizeMessage(s string) string {
	s = dateHeader.ReplaceAllString(s, "Date: DATE")
	s = idHeader.ReplaceAllString(s, "Message-ID: <RANDOM@")
	for i, m := range boundaryRE.FindAllStringSubmatch(s, -1) {
		s = strings.ReplaceAll(s, m[1], "BOUNDARY"+string(rune('1'+i)))
	}
	return crlfNewline.Replace(s)
}

// parts parses a multipart/alternative message into its decoded parts by
// content type.
func parts(t *testing.T, raw []byte) (*mail.Message, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, %v; want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	return msg, out
}

func TestDeliverContentAndNoResend(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv := smtptest.NewServer(t, smtptest.Options{})
	res, err := digest.Deliver(ctx, f.db, f.options(srv))
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if !res.Sent || res.DigestID == 0 {
		t.Fatalf("result = %+v, want sent and recorded", res)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	if msgs[0].From != from || len(msgs[0].To) != 1 || msgs[0].To[0] != to {
		t.Errorf("envelope %s -> %v, want %s -> [%s]", msgs[0].From, msgs[0].To, from, to)
	}
	msg, body := parts(t, msgs[0].Data)

	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if want := "breachwire: 3 new incidents — 31 Jan 2020"; err != nil || subject != want {
		t.Errorf("Subject = %q, %v; want %q", subject, err, want)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasSuffix(id, "@example.org>") || id != "<"+res.MessageID+">" && id != res.MessageID {
		t.Errorf("Message-ID = %q, want <...@example.org> matching %q", id, res.MessageID)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}
	if got := msg.Header.Get("Bcc"); got != "" {
		t.Errorf("Bcc header %q injected through a title", got)
	}

	text, html := body["text/plain"], body["text/html"]
	for _, want := range []string{
		"NEC says 27,445 files accessed in cyberattack",
		"Company:     NEC",
		"Also named:  Mitsubishi Electric",
		"Ministry of Defense (Japan); Acquisition, Technology and Logistics Agency",
		"Exposed:     27,445 files",
		"2 reports from 2 outlets",
		"https://www.reuters.com/article/us-nec-cyber",
		"Leonardo breach Bcc: victim@example.org\n",
		"<script>alert(1)</script> Lockheed Martin supplier breached",
		"Broken <Feed> <https://broken.example/feed.xml>",
		"Last error: HTTP 503 Service Unavailable",
		"breachwire show ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q", want)
		}
	}
	for _, want := range []string{
		`<a href="https://english.kyodonews.net/news/2020/01/nec-cyberattack.html" style="color:#0b57a4">NEC says 27,445 files accessed in cyberattack</a>`,
		`&lt;script&gt;alert(1)&lt;/script&gt; Lockheed Martin supplier breached`,
		`&lt;b&gt;Evil&lt;/b&gt; Daily`,
		`Broken &lt;Feed&gt;`,
		`Leonardo breach Bcc: victim@example.org`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<img", "<link", "<style", "<b>Evil"} {
		if strings.Contains(strings.ToLower(html), strings.ToLower(bad)) {
			t.Errorf("HTML part contains %q", bad)
		}
	}

	// Second run: nothing new, nothing sent.
	res, err = digest.Deliver(ctx, f.db, f.options(srv))
	if err != nil {
		t.Fatalf("second Deliver: %v", err)
	}
	if res.Sent || !res.Digest.Empty() {
		t.Errorf("second run sent=%v with %d new, %d updates; want nothing", res.Sent, len(res.Digest.New), len(res.Digest.Updates))
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages after the second run, want 1", n)
	}

	// The NEC story grows: the next digest is one update marking what is new.
	f.growNEC(t)
	f.now = f.now.Add(24 * time.Hour)
	res, err = digest.Deliver(ctx, f.db, f.options(srv))
	if err != nil {
		t.Fatalf("third Deliver: %v", err)
	}
	if !res.Sent || len(res.Digest.New) != 0 || len(res.Digest.Updates) != 1 || res.Digest.Updates[0].ID != f.nec {
		t.Fatalf("third run: sent=%v new=%d updates=%d; want one update of story %d", res.Sent, len(res.Digest.New), len(res.Digest.Updates), f.nec)
	}
	msgs = srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("server has %d messages, want 2", len(msgs))
	}
	msg, body = parts(t, msgs[1].Data)
	subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if want := "breachwire: 1 update — 1 Feb 2020"; subject != want {
		t.Errorf("update Subject = %q, want %q", subject, want)
	}
	for _, want := range []string{
		"What's new:  1 new report since the digest of 31 Jan 2020",
		"3 reports from 3 outlets",
		"[new] The Japan Times: NEC defense files: ministry orders review",
	} {
		if !strings.Contains(body["text/plain"], want) {
			t.Errorf("update text lacks %q:\n%s", want, body["text/plain"])
		}
	}
}

func TestDeliverRetriesAfterFailure(t *testing.T) {
	refused := func(t *testing.T) digest.SMTP {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		return digest.SMTP{Host: "127.0.0.1", Port: port, TLS: "none", Timeout: 5 * time.Second}
	}
	tests := []struct {
		name    string
		fail    func(t *testing.T, srv *smtptest.Server) digest.SMTP
		wantErr string
	}{
		{"connection refused", func(t *testing.T, _ *smtptest.Server) digest.SMTP { return refused(t) }, "refused"},
		{"550", func(t *testing.T, srv *smtptest.Server) digest.SMTP {
			srv.Reject(smtptest.Err550)
			return digest.SMTP{Host: srv.Host, Port: srv.Port, TLS: "none", Timeout: 5 * time.Second}
		}, "550"},
		{"auth failure", func(t *testing.T, _ *smtptest.Server) digest.SMTP {
			auth := smtptest.NewServer(t, smtptest.Options{Username: "bw", Password: "right"})
			return digest.SMTP{Host: auth.Host, Port: auth.Port, TLS: "none", Timeout: 5 * time.Second, Username: "bw", Password: "wrong"}
		}, "535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			srv := smtptest.NewServer(t, smtptest.Options{})
			opts := f.options(srv)
			opts.SMTP = tt.fail(t, srv)
			_, err := digest.Deliver(ctx, f.db, opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Deliver error = %v, want one line mentioning %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "wrong") {
				t.Errorf("error %q shows the password", err)
			}
			if _, err := f.db.LastDigest(ctx, store.RecipientsKey([]string{to})); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("after a failed send, LastDigest error = %v, want ErrNotFound (nothing recorded)", err)
			}

			// The next run, with the server working, sends the same stories
			// plus what arrived in between.
			srv.Reject(nil)
			f.growNEC(t)
			res, err := digest.Deliver(ctx, f.db, f.options(srv))
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if !res.Sent || len(res.Digest.New) != 3 || len(srv.Messages()) != 1 {
				t.Fatalf("retry sent=%v with %d new stories, server has %d messages; want 3 stories in 1 message",
					res.Sent, len(res.Digest.New), len(srv.Messages()))
			}
			for _, s := range res.Digest.New {
				if s.ID == f.nec && s.Reports != 3 {
					t.Errorf("NEC story has %d reports, want 3 (including the one added after the failure)", s.Reports)
				}
			}
		})
	}
}

func TestDeliverSTARTTLSWithAuth(t *testing.T) {
	f := newFixture(t)
	srv := smtptest.NewServer(t, smtptest.Options{STARTTLS: true, Username: "breachwire", Password: "s3cret"})
	opts := f.options(srv)
	opts.SMTP.TLS = "starttls"
	opts.SMTP.TLSConfig = srv.ClientTLS
	opts.SMTP.Username, opts.SMTP.Password = "breachwire", "s3cret"
	if _, err := digest.Deliver(context.Background(), f.db, opts); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	if !msgs[0].TLS || msgs[0].User != "breachwire" {
		t.Errorf("session TLS=%v user=%q, want TLS and user breachwire", msgs[0].TLS, msgs[0].User)
	}
}

func TestDeliverImplicitTLS(t *testing.T) {
	f := newFixture(t)
	srv := smtptest.NewServer(t, smtptest.Options{ImplicitTLS: true, Username: "breachwire", Password: "s3cret"})
	opts := f.options(srv)
	opts.SMTP.TLS = "tls"
	opts.SMTP.TLSConfig = srv.ClientTLS
	opts.SMTP.Username, opts.SMTP.Password = "breachwire", "s3cret"
	if _, err := digest.Deliver(context.Background(), f.db, opts); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "breachwire" {
		t.Fatalf("server got %d messages; want 1 over TLS as breachwire", len(msgs))
	}
}

func TestDeliverSTARTTLSUntrustedCertificate(t *testing.T) {
	f := newFixture(t)
	srv := smtptest.NewServer(t, smtptest.Options{STARTTLS: true})
	opts := f.options(srv)
	opts.SMTP.TLS = "starttls"
	_, err := digest.Deliver(context.Background(), f.db, opts)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Deliver error = %v, want a certificate error", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("message sent over an untrusted connection")
	}
}

func TestDeliverSTARTTLSRequired(t *testing.T) {
	f := newFixture(t)
	srv := smtptest.NewServer(t, smtptest.Options{Username: "bw", Password: "secret"})
	opts := f.options(srv)
	opts.SMTP.TLS = "starttls"
	opts.SMTP.Username, opts.SMTP.Password = "bw", "secret"
	_, err := digest.Deliver(context.Background(), f.db, opts)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Deliver error = %v, want one saying the server lacks STARTTLS", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("message sent in the clear although tls = starttls")
	}
}

func TestDeliverWhileClaimed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv := smtptest.NewServer(t, smtptest.Options{})
	if _, err := f.db.ClaimDigest(ctx, store.RecipientsKey([]string{to}), time.Hour); err != nil {
		t.Fatal(err)
	}
	_, err := digest.Deliver(ctx, f.db, f.options(srv))
	var held *store.ClaimedError
	if !errors.As(err, &held) {
		t.Fatalf("Deliver error = %v, want *store.ClaimedError", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("a second run sent while the first held the claim")
	}
}

func TestDeliverConcurrentRunsSendOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv := smtptest.NewServer(t, smtptest.Options{})
	// Each run has its own handle on the file, as separate processes do.
	const runs = 4
	errs := make(chan error, runs)
	for range runs {
		db, err := store.Open(ctx, f.db.Path())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.SetClock(func() time.Time { return *f.clock })
		go func() {
			_, err := digest.Deliver(ctx, db, f.options(srv))
			errs <- err
		}()
	}
	for range runs {
		var held *store.ClaimedError
		if err := <-errs; err != nil && !errors.As(err, &held) {
			t.Errorf("Deliver: %v", err)
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d concurrent runs sent %d messages, want 1", runs, n)
	}
}

func TestMessageHeadersRejectInjection(t *testing.T) {
	d := &digest.Digest{Date: time.Date(2020, 1, 31, 7, 0, 0, 0, time.UTC)}
	tests := []struct {
		name     string
		from, to string
	}{
		{"from", "breachwire@example.org\r\nBcc: victim@example.org", to},
		{"to", from, "analyst@example.org\r\nBcc: victim@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := d.Message(tt.from, []string{tt.to})
			if err != nil {
				return // refusing the address is fine
			}
			var b bytes.Buffer
			if err := digest.WriteMessage(&b, m); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), "\nBcc:") {
				t.Errorf("a Bcc header was injected:\n%s", b.String())
			}
		})
	}
}

func TestSubject(t *testing.T) {
	date := time.Date(2020, 1, 31, 7, 0, 0, 0, time.UTC)
	stories := func(n int, update bool) []store.DigestStory {
		s := make([]store.DigestStory, n)
		for i := range s {
			s[i].Update = update
		}
		return s
	}
	tests := []struct {
		newN, updates int
		want          string
	}{
		{3, 1, "breachwire: 3 new incidents, 1 update — 31 Jan 2020"},
		{1, 0, "breachwire: 1 new incident — 31 Jan 2020"},
		{0, 2, "breachwire: 2 updates — 31 Jan 2020"},
	}
	for _, tt := range tests {
		d := &digest.Digest{Date: date, New: stories(tt.newN, false), Updates: stories(tt.updates, true)}
		if got := d.Subject(); got != tt.want {
			t.Errorf("Subject with %d new, %d updates = %q, want %q", tt.newN, tt.updates, got, tt.want)
		}
	}
}

// FuzzRenderTitle checks that no title or link from the web can add markup
// to the HTML part or break a line of the text part.
func FuzzRenderTitle(f *testing.F) {
	for _, s := range []string{"NEC hit", "<script>alert(1)</script>", "a\r\nBcc: x@example.org", "</a><img src=x onerror=alert(1)>", "\x00\u2028\u0085", ""} {
		f.Add(s, "https://example.com/a")
	}
	f.Add("x", `javascript:alert(1)`)
	f.Add("x", `https://example.com/"><script>`)
	files := int64(27445)
	build := func(title, url string) *digest.Digest {
		return &digest.Digest{
			Date: time.Date(2020, 1, 31, 7, 0, 0, 0, time.UTC),
			New: []store.DigestStory{{
				ID: 1, Title: title, PrimaryCompany: "NEC", Files: &files, Reports: 1, Outlets: 1,
				Articles: []store.DigestArticle{{ID: 1, URL: url, Site: "Outlet", Title: title}},
			}},
		}
	}
	ref := build("x", "https://example.com/a")
	refHTML, err := ref.HTML()
	if err != nil {
		f.Fatal(err)
	}
	refLines := strings.Count(ref.Text(), "\n")
	f.Fuzz(func(t *testing.T, title, url string) {
		d := build(title, url)
		html, err := d.HTML()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Count(html, "<"), strings.Count(refHTML, "<"); got != want {
			t.Errorf("title %q, URL %q: HTML part has %d tags, want %d", title, url, got, want)
		}
		if strings.Contains(strings.ToLower(html), `href="javascript:`) {
			t.Errorf("URL %q reached an href", url)
		}
		text := d.Text()
		if strings.Contains(text, "\r") {
			t.Errorf("title %q, URL %q: text part has a CR", title, url)
		}
		if got := strings.Count(text, "\n"); got != refLines {
			t.Errorf("title %q, URL %q: text part has %d lines, want %d", title, url, got, refLines)
		}
	})
}

func mustHTML(t *testing.T, d *digest.Digest) string {
	t.Helper()
	s, err := d.HTML()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
