package store_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

// trapLine is one line of a testdata/cluster fixture: an extracted article,
// the label of the story it belongs to, and whether it is a duplicate copy
// (of the first article of its story in file order).
type trapLine struct {
	Story     string          `json:"story"`
	Duplicate bool            `json:"duplicate"`
	Article   extract.Article `json:"article"`
}

func loadTrap(t *testing.T, name string) []trapLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "cluster", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []trapLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l trapLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// addAll adds the articles one by one, as polling does, and returns the
// results in the order of lines.
func addAll(t *testing.T, db *store.DB, lines []trapLine, order []int) []store.AddResult {
	t.Helper()
	results := make([]store.AddResult, len(lines))
	for _, i := range order {
		a := lines[i].Article
		r, err := db.AddArticle(context.Background(), 0, &a)
		if err != nil {
			t.Fatalf("AddArticle %s: %v", a.URL, err)
		}
		results[i] = r
	}
	return results
}

// checkGrouping fails unless two articles share a story exactly when their
// labels are equal.
func checkGrouping(t *testing.T, lines []trapLine, storyOf func(i int) int64) {
	t.Helper()
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			same := storyOf(i) == storyOf(j)
			if want := lines[i].Story == lines[j].Story; same != want {
				t.Errorf("%s and %s in one story: got %v, want %v", lines[i].Article.URL, lines[j].Article.URL, same, want)
			}
		}
	}
}

var trapFiles = []string{"syndicated.jsonl", "followup.jsonl", "comention.jsonl", "two-incidents.jsonl", "no-incident.jsonl"}

func TestClusterTraps(t *testing.T) {
	for _, name := range trapFiles {
		t.Run(name, func(t *testing.T) {
			lines := loadTrap(t, name)
			forward := make([]int, len(lines))
			for i := range forward {
				forward[i] = i
			}
			backward := slices.Clone(forward)
			slices.Reverse(backward)
			for _, o := range []struct {
				name  string
				order []int
			}{{"file order", forward}, {"reverse order", backward}} {
				t.Run(o.name, func(t *testing.T) {
					db := openTest(t)
					res := addAll(t, db, lines, o.order)
					checkGrouping(t, lines, func(i int) int64 { return res[i].StoryID })
					// The original is the first (earliest published) line of
					// its story in the file, whatever the order of arrival.
					first := map[string]int64{}
					for i, l := range lines {
						if _, ok := first[l.Story]; !ok {
							first[l.Story] = res[i].ArticleID
						}
						want := store.Added
						if l.Duplicate {
							want = store.Duplicate
						}
						if o.name == "file order" && res[i].Status != want {
							t.Errorf("%s: status %v, want %v", l.Article.URL, res[i].Status, want)
						}
					}
					for i, l := range lines {
						s, err := db.Story(context.Background(), res[i].StoryID)
						if err != nil {
							t.Fatalf("Story(%d): %v", res[i].StoryID, err)
						}
						for _, a := range s.Articles {
							if a.ID != res[i].ArticleID {
								continue
							}
							var got int64
							if a.DuplicateOf != nil {
								got = *a.DuplicateOf
							}
							var want int64
							if l.Duplicate {
								want = first[l.Story]
							}
							if got != want {
								t.Errorf("%s: duplicate_of %d, want %d", l.Article.URL, got, want)
							}
						}
					}
				})
			}
		})
	}
}

func TestStoryFieldsFromReports(t *testing.T) {
	db := openTest(t)
	lines := loadTrap(t, "syndicated.jsonl")
	lines = append(lines, loadTrap(t, "followup.jsonl")[1:]...)
	res := addAll(t, db, lines, []int{0, 1, 2, 3, 4})
	s, err := db.Story(context.Background(), res[0].StoryID)
	if err != nil {
		t.Fatal(err)
	}
	if s.ArticleCount != 5 {
		t.Errorf("article_count = %d, want 5", s.ArticleCount)
	}
	if s.SiteCount != 5 {
		t.Errorf("site_count = %d, want 5", s.SiteCount)
	}
	if s.Files == nil || *s.Files != 27445 {
		t.Errorf("files = %v, want 27445", s.Files)
	}
	if s.PrimaryCompany != "NEC" {
		t.Errorf("primary_company = %q, want NEC", s.PrimaryCompany)
	}
	if got, want := s.FirstSeen.Format("2006-01-02"), "2020-01-31"; got != want {
		t.Errorf("first_seen = %s, want %s", got, want)
	}
	if got, want := s.LastSeen.Format("2006-01-02"), "2020-02-10"; got != want {
		t.Errorf("last_seen = %s, want %s", got, want)
	}
	if s.Title == "" {
		t.Error("title is empty")
	}
}

// TestDuplicateWithoutEntities: copies are found from the text alone.
func TestDuplicateWithoutEntities(t *testing.T) {
	db := openTest(t)
	lines := loadTrap(t, "syndicated.jsonl")
	for i := range lines {
		lines[i].Article.Companies = nil
		lines[i].Article.Figures = nil
	}
	res := addAll(t, db, lines, []int{0, 1, 2})
	for i, want := range []store.AddStatus{store.Added, store.Duplicate, store.Duplicate} {
		if res[i].Status != want {
			t.Errorf("%s: status %v, want %v", lines[i].Article.URL, res[i].Status, want)
		}
		if res[i].StoryID != res[0].StoryID {
			t.Errorf("%s: story %d, want %d", lines[i].Article.URL, res[i].StoryID, res[0].StoryID)
		}
	}
}

func TestRecluster(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var lines []trapLine
	for _, name := range trapFiles {
		for _, l := range loadTrap(t, name) {
			// The fixtures share some URLs; keep the first of each.
			if !slices.ContainsFunc(lines, func(o trapLine) bool { return o.Article.URL == l.Article.URL }) {
				lines = append(lines, l)
			}
		}
	}
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	// Add newest first, the worst order for the window, then recluster.
	slices.Reverse(order)
	before := addAll(t, db, lines, order)
	var calls, lastDone, lastTotal int
	if err := db.Recluster(ctx, func(done, total int) { calls++; lastDone, lastTotal = done, total }); err != nil {
		t.Fatalf("Recluster: %v", err)
	}
	if calls == 0 || lastDone != len(lines) || lastTotal != len(lines) {
		t.Errorf("progress: %d calls, last (%d, %d); want the last (%d, %d)", calls, lastDone, lastTotal, len(lines), len(lines))
	}
	after := map[int64]int64{}
	kept := 0
	for i := range lines {
		a, err := db.Story(ctx, before[i].StoryID)
		if err == nil && slices.ContainsFunc(a.Articles, func(x store.StoryArticle) bool { return x.ID == before[i].ArticleID }) {
			kept++
		}
	}
	stories, err := db.Stories(ctx, store.Filter{All: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stories {
		full, err := db.Story(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range full.Articles {
			after[a.ID] = s.ID
		}
	}
	checkGrouping(t, lines, func(i int) int64 { return after[before[i].ArticleID] })
	if kept == 0 {
		t.Error("no article kept its story id across Recluster")
	}
	// Running it again changes nothing.
	if err := db.Recluster(ctx, nil); err != nil {
		t.Fatalf("second Recluster: %v", err)
	}
	for i := range lines {
		s, err := db.Story(ctx, after[before[i].ArticleID])
		if err != nil || !slices.ContainsFunc(s.Articles, func(x store.StoryArticle) bool { return x.ID == before[i].ArticleID }) {
			t.Errorf("%s moved on a second Recluster", lines[i].Article.URL)
		}
	}
}

func TestStoryWindow(t *testing.T) {
	db := openTest(t)
	if got := db.StoryWindow(); got != store.DefaultStoryWindow {
		t.Fatalf("StoryWindow() = %v, want %v", got, store.DefaultStoryWindow)
	}
	lines := loadTrap(t, "followup.jsonl")
	// With a 2-day window the follow-ups 4 and 10 days later start stories.
	db.SetStoryWindow(48 * 60 * 60 * 1e9)
	res := addAll(t, db, lines, []int{0, 1, 2})
	if res[0].StoryID == res[1].StoryID || res[1].StoryID == res[2].StoryID {
		t.Errorf("stories %d, %d, %d; want three with a 2-day window", res[0].StoryID, res[1].StoryID, res[2].StoryID)
	}
}
