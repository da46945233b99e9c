package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

func TestStories(t *testing.T) {
	db, added := openCorpus(t)
	nec, mel, kaman, recap := added[0].StoryID, added[1].StoryID, added[2].StoryID, added[3].StoryID
	tests := []struct {
		name string
		f    store.Filter
		want []int64
	}{
		{"relevant, newest first", store.Filter{}, []int64{kaman, nec, mel}},
		{"all", store.Filter{All: true}, []int64{kaman, recap, nec, mel}},
		{"company named anywhere", store.Filter{Company: "NEC"}, []int64{kaman, nec}},
		{"company case-insensitive", store.Filter{Company: "mitsubishi electric"}, []int64{nec, mel}},
		{"agency", store.Filter{Agency: "Ministry of Defense (Japan)"}, []int64{nec, mel}},
		{"since", store.Filter{Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, []int64{kaman, nec}},
		{"until", store.Filter{Until: time.Date(2020, 1, 31, 23, 59, 59, 0, time.UTC)}, []int64{nec, mel}},
		{"min files", store.Filter{MinFiles: 10000}, []int64{nec}},
		{"limit", store.Filter{Limit: 2}, []int64{kaman, nec}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stories, err := db.Stories(context.Background(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, s := range stories {
				got = append(got, s.ID)
			}
			if !equalIDs(got, tt.want) {
				t.Errorf("Stories(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}

func TestStory(t *testing.T) {
	db, added := openCorpus(t)
	ctx := context.Background()
	s, err := db.Story(ctx, added[0].StoryID)
	if err != nil {
		t.Fatal(err)
	}
	if s.PrimaryCompany != "NEC" || !slices.Equal(s.Companies, []string{"NEC", "Mitsubishi Electric"}) {
		t.Errorf("companies %q (primary %q), want [NEC Mitsubishi Electric] with NEC primary", s.Companies, s.PrimaryCompany)
	}
	if !slices.Equal(s.Agencies, []string{"Ministry of Defense (Japan)"}) {
		t.Errorf("agencies %q, want [Ministry of Defense (Japan)]", s.Agencies)
	}
	if s.Files == nil || *s.Files != 27445 {
		t.Errorf("files %v, want 27445", s.Files)
	}
	if len(s.Articles) != 1 || s.Articles[0].ID != added[0].ArticleID || s.Articles[0].DuplicateOf != nil {
		t.Fatalf("articles %+v, want the one NEC report", s.Articles)
	}
	if want := time.Date(2020, 1, 31, 9, 0, 0, 0, time.UTC); !s.FirstSeen.Equal(want) || s.Articles[0].Published == nil || !s.Articles[0].Published.Equal(want) {
		t.Errorf("first seen %v, article published %v, want %v", s.FirstSeen, s.Articles[0].Published, want)
	}

	// The story with no files figure says so with nil, not 0.
	s, err = db.Story(ctx, added[3].StoryID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Files != nil || s.Companies == nil || s.Agencies == nil {
		t.Errorf("story %d files %v companies %#v agencies %#v, want nil files and empty (not nil) lists", s.ID, s.Files, s.Companies, s.Agencies)
	}

	if _, err := db.Story(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Story(9999) error %v, want ErrNotFound", err)
	}
}

func TestStoryMarksDuplicates(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	text := "Kaman Corp. said a ransomware attack disrupted systems at its aerospace plants in Connecticut. " +
		"The company said it had notified the Defense Department and customers, and that production had resumed."
	orig := extract.Article{URL: "https://www.defensenews.com/kaman", Title: "Kaman hit by ransomware", Site: "Defense News",
		Published: time.Date(2020, 6, 3, 9, 0, 0, 0, time.UTC), Text: text, Relevance: 0.8,
		Companies: []extract.Company{{Name: "Kaman", Mentions: 2, Primary: true}}}
	copied := orig
	copied.URL, copied.Site = "https://syndicated.example.net/kaman", "Syndicated"
	r1, err := db.AddArticle(ctx, 0, &orig)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := db.AddArticle(ctx, 0, &copied)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Status != store.Duplicate {
		t.Skipf("the store does not mark identical copies as duplicates yet (status %v)", r2.Status)
	}
	s, err := db.Story(ctx, r2.StoryID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Articles {
		if a.ID == r2.ArticleID && (a.DuplicateOf == nil || *a.DuplicateOf != r1.ArticleID) {
			t.Errorf("copy %d has duplicate_of %v, want %d", a.ID, a.DuplicateOf, r1.ArticleID)
		}
	}
}
