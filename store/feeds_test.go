package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/fetch"
	"github.com/breachwire/breachwire/store"
)

func TestAddFeedOnce(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id, created, err := db.AddFeed(ctx, fetch.Feed{URL: "https://a.example/feed", Name: "A"})
	if err != nil || !created {
		t.Fatalf("first add: got created %v, %v", created, err)
	}
	again, created, err := db.AddFeed(ctx, fetch.Feed{URL: "https://a.example/feed", Name: "other"})
	if err != nil || created || again != id {
		t.Errorf("second add: got id %d created %v err %v, want id %d, not created", again, created, err, id)
	}
	feeds, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) != 1 || feeds[0].Name != "A" || feeds[0].Source != "user" || feeds[0].AddedAt.IsZero() {
		t.Errorf("got %+v, want one user feed named A", feeds)
	}
}

func TestSeedFeedsOnlyWhenEmpty(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	defaults := fetch.DefaultFeeds()
	n, err := db.SeedFeeds(ctx, defaults)
	if err != nil || n != len(defaults) {
		t.Fatalf("first seed: got %d, %v; want %d", n, err, len(defaults))
	}
	if n, err := db.SeedFeeds(ctx, defaults); err != nil || n != 0 {
		t.Errorf("second seed: got %d, %v; want 0", n, err)
	}
	feeds, _ := db.Feeds(ctx)
	for _, f := range feeds {
		if f.Source != "default" {
			t.Errorf("seeded feed %s has source %q, want default", f.URL, f.Source)
		}
	}

	other := openTest(t)
	other.AddFeed(ctx, fetch.Feed{URL: "https://mine.example/feed"})
	if n, err := other.SeedFeeds(ctx, defaults); err != nil || n != 0 {
		t.Errorf("seed over a user's own list: got %d, %v; want 0", n, err)
	}
}

func TestRecordPollAndDueFeeds(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2020, 1, 31, 12, 0, 0, 0, time.UTC)
	a, _, _ := db.AddFeed(ctx, fetch.Feed{URL: "https://a.example/feed"})
	b, _, _ := db.AddFeed(ctx, fetch.Feed{URL: "https://b.example/feed"})

	if due, _ := db.DueFeeds(ctx, now); len(due) != 2 {
		t.Fatalf("got %d due feeds, want 2 (never polled)", len(due))
	}
	ok := &fetch.PollResult{FeedID: a, URL: "https://a.example/feed", At: now, ETag: `"e1"`, LastModified: "Fri, 31 Jan 2020 00:00:00 GMT",
		Title: "Feed A", SiteURL: "https://a.example/", New: 5, Interval: 2 * time.Hour, NextPoll: now.Add(2 * time.Hour)}
	if err := db.RecordPoll(ctx, ok); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		bad := &fetch.PollResult{FeedID: b, URL: "https://b.example/feed", At: now, Err: "GET https://b.example/feed: connection refused", NextPoll: now.Add(10 * time.Minute)}
		if err := db.RecordPoll(ctx, bad); err != nil {
			t.Fatal(err)
		}
	}
	// A capped poll leaves the validators alone.
	capped := &fetch.PollResult{FeedID: a, URL: "https://a.example/feed", At: now, New: 3, Interval: 2 * time.Hour, NextPoll: now.Add(2 * time.Hour)}
	if err := db.RecordPoll(ctx, capped); err != nil {
		t.Fatal(err)
	}

	feeds, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := feeds[0], feeds[1]
	if fa.ETag != `"e1"` || fa.LastModified == "" || fa.Name != "Feed A" || fa.SiteURL != "https://a.example/" ||
		fa.ItemsSeen != 8 || fa.PollInterval != 2*time.Hour || !fa.LastSuccessAt.Equal(now) || fa.ConsecutiveErrors != 0 {
		t.Errorf("feed A after success: got %+v", fa)
	}
	if fb.ConsecutiveErrors != 2 || fb.ErrorCount != 2 || fb.LastError != "GET https://b.example/feed: connection refused" ||
		!fb.LastSuccessAt.IsZero() || !fb.NextPollAt.Equal(now.Add(10*time.Minute)) {
		t.Errorf("feed B after failures: got %+v", fb)
	}
	if err := db.RecordPoll(ctx, &fetch.PollResult{FeedID: b, URL: "https://b.example/feed", At: now, NextPoll: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	feeds, _ = db.Feeds(ctx)
	if feeds[1].ConsecutiveErrors != 0 || feeds[1].ErrorCount != 2 || feeds[1].LastError != "" {
		t.Errorf("feed B after recovery: got %+v, want consecutive errors reset, count kept", feeds[1])
	}

	tests := []struct {
		at   time.Time
		want []string
	}{
		{now, nil},
		{now.Add(time.Hour), []string{"https://b.example/feed"}},
		{now.Add(3 * time.Hour), []string{"https://b.example/feed", "https://a.example/feed"}},
	}
	for _, tt := range tests {
		due, err := db.DueFeeds(ctx, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range due {
			got = append(got, f.URL)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("due at %v: got %q, want %q", tt.at, got, tt.want)
		}
	}
}

func TestRemoveFeedKeepsArticles(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id, _, _ := db.AddFeed(ctx, fetch.Feed{URL: "https://a.example/feed"})
	a := extract.Text("https://a.example/1", "One", "Some text.")
	if _, _, err := db.SaveArticles(ctx, id, []*extract.Article{&a}); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveFeed(ctx, "https://a.example/feed"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveFeed(ctx, "https://a.example/feed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second remove: got %v, want ErrNotFound", err)
	}
	if ok, err := db.HasArticle(ctx, a.CanonicalURL); err != nil || !ok {
		t.Errorf("article gone with its feed: %v, %v", ok, err)
	}
}

func TestSaveArticlesCounts(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id, _, _ := db.AddFeed(ctx, fetch.Feed{URL: "https://a.example/feed"})
	one := extract.Text("https://a.example/1", "One", "NEC said Friday it came under major cyberattacks affecting 27,445 files.")
	two := extract.Text("https://a.example/2", "Two", "A different report about something else entirely, on another day.")
	same := extract.Text("https://a.example/1?utm_source=rss", "One again", "x")
	added, dups, err := db.SaveArticles(ctx, id, []*extract.Article{&one, &two, &same})
	if err != nil {
		t.Fatal(err)
	}
	if added+dups != 2 {
		t.Errorf("got %d added + %d duplicates, want 2 stored (the utm_ link is the same article)", added, dups)
	}
}
