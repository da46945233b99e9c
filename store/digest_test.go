package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/breachwire/breachwire/extract"
)

var testWindow = DigestWindow{First: 7 * 24 * time.Hour, MaxAge: 30 * 24 * time.Hour}

func openDigestTest(t *testing.T, now *time.Time) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetClock(func() time.Time { return *now })
	return db
}

// addReport stores a relevant report about company and returns its ids.
func addReport(t *testing.T, db *DB, url, title, company string, relevance float64) AddResult {
	t.Helper()
	a := &extract.Article{
		URL: url, Title: title, Site: "example.com", Lang: "en",
		Published: time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC),
		Text:      title + ". " + company + " said files were accessed.",
		Companies: []extract.Company{{Name: company, Mentions: 2, Primary: true}, {Name: "Mitsubishi Electric", Mentions: 1}},
		Agencies:  []extract.Agency{{Name: "Ministry of Defense (Japan)", Mentions: 1}},
		Figures:   []extract.Figure{{Kind: extract.KindFiles, Value: 27445, Text: "27,445 files"}},
		Relevance: relevance,
	}
	r, err := db.AddArticle(context.Background(), 0, a)
	if err != nil {
		t.Fatalf("AddArticle(%s): %v", url, err)
	}
	return r
}

// joinStory puts an article in a story when clustering did not already.
func joinStory(t *testing.T, db *DB, r AddResult, storyID int64) {
	t.Helper()
	if r.StoryID == storyID {
		return
	}
	if _, err := db.write.Exec("UPDATE articles SET story_id = ? WHERE id = ?", storyID, r.ArticleID); err != nil {
		t.Fatal(err)
	}
}

func storyIDs(p PendingDigest) []int64 {
	var ids []int64
	for _, s := range p.Stories {
		ids = append(ids, s.ID)
	}
	return ids
}

func record(t *testing.T, db *DB, key string, p PendingDigest) {
	t.Helper()
	ctx := context.Background()
	c, err := db.ClaimDigest(ctx, key, time.Minute)
	if err != nil {
		t.Fatalf("ClaimDigest: %v", err)
	}
	d := SentDigest{MessageID: "m@test", Subject: "s", MaxArticleID: p.MaxArticleID}
	for _, s := range p.Stories {
		d.Items = append(d.Items, DigestItem{StoryID: s.ID, Reports: s.Reports, Files: s.Files, Update: s.Update})
	}
	if _, err := db.RecordDigest(ctx, c, d); err != nil {
		t.Fatalf("RecordDigest: %v", err)
	}
}

func TestRecipientsKey(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"b@x.org", "a@x.org"}, "a@x.org,b@x.org"},
		{[]string{" A@X.org ", "a@x.org", ""}, "a@x.org"},
	}
	for _, tt := range tests {
		if got := RecipientsKey(tt.in); got != tt.want {
			t.Errorf("RecipientsKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPendingDigestNewThenUpdate(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2020, 1, 31, 6, 0, 0, 0, time.UTC)
	db := openDigestTest(t, &now)
	const key = "a@example.org"

	nec := addReport(t, db, "https://example.com/nec", "NEC hit by cyberattack", "NEC", 0.9)
	addReport(t, db, "https://example.com/weather", "Rain tomorrow", "Acme", 0.1)

	p, err := db.PendingDigest(ctx, key, testWindow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := storyIDs(p), []int64{nec.StoryID}; !slices.Equal(got, want) {
		t.Fatalf("first digest stories = %v, want %v", got, want)
	}
	s := p.Stories[0]
	if s.Update || s.Reports != 1 || s.Outlets != 1 || s.PrimaryCompany != "NEC" {
		t.Errorf("story = %+v, want new, 1 report from 1 outlet, primary NEC", s)
	}
	if !slices.Equal(s.Companies, []string{"Mitsubishi Electric"}) || !slices.Equal(s.Agencies, []string{"Ministry of Defense (Japan)"}) {
		t.Errorf("companies %q agencies %q, want [Mitsubishi Electric] [Ministry of Defense (Japan)]", s.Companies, s.Agencies)
	}
	if s.Files == nil || *s.Files != 27445 {
		t.Errorf("files = %v, want 27445", s.Files)
	}
	record(t, db, key, p)

	p, err = db.PendingDigest(ctx, key, testWindow)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Stories) != 0 {
		t.Fatalf("after recording, pending = %v, want none", storyIDs(p))
	}
	// Another recipient list has had nothing yet.
	if p, err := db.PendingDigest(ctx, "b@example.org", testWindow); err != nil || len(p.Stories) != 1 {
		t.Fatalf("other list pending = %v, %v; want 1 story", storyIDs(p), err)
	}

	now = now.Add(24 * time.Hour)
	more := addReport(t, db, "https://other.example.net/nec", "NEC confirms breach", "NEC", 0.8)
	joinStory(t, db, more, nec.StoryID)
	p, err = db.PendingDigest(ctx, key, testWindow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := storyIDs(p), []int64{nec.StoryID}; !slices.Equal(got, want) {
		t.Fatalf("after growth, pending = %v, want %v", got, want)
	}
	s = p.Stories[0]
	if !s.Update || s.SentReports != 1 || s.Reports != 2 {
		t.Errorf("update = %v, sent %d, now %d reports; want update from 1 to 2", s.Update, s.SentReports, s.Reports)
	}
	var newIDs []int64
	for _, a := range s.Articles {
		if a.New {
			newIDs = append(newIDs, a.ID)
		}
	}
	if !slices.Equal(newIDs, []int64{more.ArticleID}) {
		t.Errorf("new reports = %v, want [%d]", newIDs, more.ArticleID)
	}
}

func TestPendingDigestFirstWindow(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	db := openDigestTest(t, &now)
	addReport(t, db, "https://example.com/old", "Old incident", "NEC", 0.9)
	now = now.AddDate(0, 1, 0)
	recent := addReport(t, db, "https://example.com/new", "New incident", "Leonardo", 0.9)
	p, err := db.PendingDigest(ctx, "a@example.org", testWindow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := storyIDs(p), []int64{recent.StoryID}; !slices.Equal(got, want) {
		t.Errorf("first digest = %v, want only the story stored within the window %v", got, want)
	}
}

func TestClaimDigestExclusive(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2020, 1, 31, 7, 0, 0, 0, time.UTC)
	db := openDigestTest(t, &now)
	const key = "a@example.org"

	c1, err := db.ClaimDigest(ctx, key, 10*time.Minute)
	if err != nil {
		t.Fatalf("first claim: %v", err)
	}
	_, err = db.ClaimDigest(ctx, key, 10*time.Minute)
	var held *ClaimedError
	if !errors.As(err, &held) {
		t.Fatalf("second claim error = %v, want *ClaimedError", err)
	}
	if _, err := db.ClaimDigest(ctx, "other@example.org", 10*time.Minute); err != nil {
		t.Errorf("claim for another list: %v", err)
	}
	if err := db.ReleaseDigest(ctx, c1); err != nil {
		t.Fatal(err)
	}
	c2, err := db.ClaimDigest(ctx, key, 10*time.Minute)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	// A crashed holder's claim lapses.
	now = now.Add(11 * time.Minute)
	if _, err := db.ClaimDigest(ctx, key, 10*time.Minute); err != nil {
		t.Fatalf("claim after lapse: %v", err)
	}
	// The stale holder's release does not free the new holder's claim.
	if err := db.ReleaseDigest(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimDigest(ctx, key, 10*time.Minute); !errors.As(err, &held) {
		t.Errorf("claim while the new holder has it: error = %v, want *ClaimedError", err)
	}
}

func TestFailingFeeds(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2020, 1, 31, 7, 0, 0, 0, time.UTC)
	db := openDigestTest(t, &now)
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.RFC3339) }
	for _, f := range []struct {
		url     string
		added   string
		success any
		errs    int
	}{
		{"https://a.example/failing-2d", day(-10), day(-2), 5},
		{"https://b.example/failing-1h", day(-10), now.Add(-time.Hour).Format(time.RFC3339), 1},
		{"https://c.example/healthy", day(-10), day(-2), 0},
		{"https://d.example/never-ok", day(-3), nil, 9},
		{"https://e.example/new-never-ok", now.Add(-time.Hour).Format(time.RFC3339), nil, 1},
	} {
		if _, err := db.write.Exec(`INSERT INTO feeds (url, name, added_at, last_success_at, consecutive_errors, last_error)
			VALUES (?, ?, ?, ?, ?, 'HTTP 500')`, f.url, f.url, f.added, f.success, f.errs); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.FailingFeeds(ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, f := range got {
		urls = append(urls, f.URL)
	}
	want := []string{"https://d.example/never-ok", "https://a.example/failing-2d"}
	if !slices.Equal(urls, want) {
		t.Errorf("failing feeds = %q, want %q", urls, want)
	}
}

// BenchmarkPendingDigest measures selecting the next digest from a database
// of 5,000 stories of which 50 are new since the last digest.
func BenchmarkPendingDigest(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetClock(func() time.Time { return now })
	batch := func(from, n int) {
		as := make([]*extract.Article, n)
		for i := range as {
			k := from + i
			as[i] = &extract.Article{
				URL: fmt.Sprintf("https://example.com/%d", k), Title: fmt.Sprintf("Incident %d", k), Site: "example.com",
				Text:      fmt.Sprintf("Company%d said %d files were accessed in a cyberattack on its defense unit.", k, k),
				Companies: []extract.Company{{Name: fmt.Sprintf("Company%d", k), Mentions: 2, Primary: true}},
				Agencies:  []extract.Agency{{Name: "Ministry of Defense (Japan)", Mentions: 1}},
				Relevance: 0.9,
			}
		}
		if _, err := db.AddArticles(ctx, 0, as); err != nil {
			b.Fatal(err)
		}
	}
	batch(0, 5000)
	const key = "a@example.org"
	p, err := db.PendingDigest(ctx, key, testWindow)
	if err != nil {
		b.Fatal(err)
	}
	c, err := db.ClaimDigest(ctx, key, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	d := SentDigest{MaxArticleID: p.MaxArticleID}
	for _, s := range p.Stories {
		d.Items = append(d.Items, DigestItem{StoryID: s.ID, Reports: s.Reports})
	}
	if _, err := db.RecordDigest(ctx, c, d); err != nil {
		b.Fatal(err)
	}
	now = now.Add(24 * time.Hour)
	batch(5000, 50)
	for b.Loop() {
		p, err := db.PendingDigest(ctx, key, testWindow)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Stories) != 50 {
			b.Fatalf("pending %d stories, want 50", len(p.Stories))
		}
	}
}

func TestPendingDigestLeavesOutArchive(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	db := openDigestTest(t, &now)
	// Imported today, but the incident is from 2020.
	old := &extract.Article{
		URL: "https://example.com/archive", Title: "NEC hit", Site: "example.com",
		Published: time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC),
		Text:      "NEC said 27,445 files were accessed.",
		Companies: []extract.Company{{Name: "NEC", Mentions: 1, Primary: true}},
		Relevance: 0.9,
	}
	if _, err := db.AddArticle(ctx, 0, old); err != nil {
		t.Fatal(err)
	}
	// Undated reports count from when they were stored.
	undated := addReport(t, db, "https://example.com/undated", "Leonardo hit", "Leonardo", 0.9)
	if _, err := db.write.Exec("UPDATE articles SET published = NULL WHERE id = ?", undated.ArticleID); err != nil {
		t.Fatal(err)
	}
	p, err := db.PendingDigest(ctx, "a@example.org", testWindow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := storyIDs(p), []int64{undated.StoryID}; !slices.Equal(got, want) {
		t.Errorf("pending = %v, want only the undated report's story %v (the 2020 one is older than MaxAge)", got, want)
	}
}
