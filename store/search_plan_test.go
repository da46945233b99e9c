package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breachwire/breachwire/extract"
)

// referenceSearch is Search as one statement: the newest window matches
// that pass the filter (window 0: every match), ranked by FTS5 (rank,
// ties in rowid order). It also counts every passing match, to say
// whether the window cut in. Every plan Search picks must give exactly its
// results.
func referenceSearch(t *testing.T, db *DB, query string, f Filter, window int) ([]SearchResult, bool) {
	t.Helper()
	match, err := TranslateQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	where, args := articleFilter(f, "a")
	where = append([]string{"articles_fts MATCH ?", "rank MATCH 'bm25(10.0, 1.0)'"}, where...)
	args = append([]any{match}, args...)
	limit := f.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	newest := window
	if window <= 0 {
		newest = -1 // no LIMIT
	}
	rows, err := db.read.Query(`SELECT * FROM (
			SELECT a.id, a.story_id, a.url, a.title, a.published, a.site,
				snippet(articles_fts, 1, '`+SnippetOpen+`', '`+SnippetClose+`', '…', 16), rank
			FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
			WHERE `+strings.Join(where, " AND ")+`
			ORDER BY a.id DESC LIMIT ?)
		ORDER BY rank, id LIMIT ?`, append(slices.Clip(args), newest, limit)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	results := []SearchResult{}
	for rows.Next() {
		var (
			r         SearchResult
			storyID   sql.NullInt64
			published sql.NullString
			rank      float64
		)
		if err := rows.Scan(&r.ArticleID, &storyID, &r.URL, &r.Title, &published, &r.Site, &r.Snippet, &rank); err != nil {
			t.Fatal(err)
		}
		r.StoryID = nullInt(storyID)
		r.Published = nullTime(published)
		r.Score, _ = strconv.ParseFloat(strconv.FormatFloat(-rank, 'g', 6, 64), 64)
		r.Snippet = strings.Join(strings.Fields(r.Snippet), " ")
		results = append(results, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var passing int
	if err := db.read.QueryRow(`SELECT count(*) FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
		WHERE `+strings.Join(where, " AND "), args...).Scan(&passing); err != nil {
		t.Fatal(err)
	}
	return results, window > 0 && passing > window
}

// TestSearchPlansAgree runs the same searches under every plan Search can
// pick (thresholds forced low and high) and window of newest matches
// (every match, wider and narrower than the limit) against
// referenceSearch, on articles with many tied scores (copies) and with the
// best-scoring matches of one word all below the relevance threshold.
func TestSearchPlansAgree(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	companies := []string{"Kaman", "NEC", "Pasco", "Thales"}
	words := []string{"hackers", "files", "network", "contract", "navy", "breach", "ransomware"}
	day := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 240 {
		c := companies[i%len(companies)]
		title := fmt.Sprintf("%s %s report", c, words[i%len(words)])
		text := fmt.Sprintf("%s said %s and %s were involved.", c, words[(i/3)%len(words)], words[(i/5)%len(words)])
		rel := 0.9
		if i%4 == 0 {
			// The tersest reports of phishing, best ranked, are irrelevant.
			title, text, rel = "phishing phishing", "phishing", 0.1
		} else if i%3 == 0 {
			text += " A phishing email was the way in, among many other ways discussed at length here."
		}
		if i%6 == 1 {
			text = "Copy: " + words[0] + " " + words[1] // identical texts, tied scores
		}
		a := extract.Article{
			URL: fmt.Sprintf("https://example.com/%d", i), Title: title, Text: text,
			Published: day.Add(time.Duration(i) * 36 * time.Hour), Site: "Example", Lang: "en",
			Companies: []extract.Company{{Name: c, Mentions: 1, Primary: true}},
			Agencies:  []extract.Agency{},
			Figures:   []extract.Figure{},
			Relevance: rel,
		}
		if i%5 == 0 {
			a.Agencies = []extract.Agency{{Name: "Pentagon", Mentions: 1}}
		}
		if i%7 == 0 {
			a.Figures = []extract.Figure{{Kind: extract.KindFiles, Value: int64(1000 * i), Text: "files"}}
		}
		if _, err := db.AddArticle(ctx, 0, &a); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{"hackers", "files OR network", "phishing", `"said files"`, "Kaman", "copy", "navy NOT breach", "nothingmatches"}
	since := day.AddDate(0, 3, 0)
	filters := []Filter{
		{}, {All: true}, {Limit: 3}, {Limit: 7, All: true}, {Limit: 500},
		{Since: since}, {Until: since, Limit: 10}, {Company: "NEC"}, {Agency: "Pentagon", Limit: 5},
		{MinFiles: 50000, All: true}, {Company: "kaman", Since: since, Limit: 4},
	}
	savedCandidates, savedRank := searchCandidateMax, SearchRankMax
	t.Cleanup(func() { searchCandidateMax, SearchRankMax = savedCandidates, savedRank })
	plans := []struct {
		name         string
		candidateMax int
	}{
		{"defaults", savedCandidates},
		{"no candidate lists", -1},
		{"always candidate lists", 1 << 30},
	}
	// The window: every match, the default (more than the fixture
	// matches), and windows smaller than most filters' limits and larger.
	windows := []struct {
		name    string
		rankMax int
		rankAll bool
	}{
		{"rank all", 3, true},
		{"default window", savedRank, false},
		{"window 3", 3, false},
		{"window 20", 20, false},
	}
	for _, p := range plans {
		searchCandidateMax = p.candidateMax
		for _, w := range windows {
			SearchRankMax = w.rankMax
			for _, q := range queries {
				for _, f := range filters {
					window := 0
					if !w.rankAll {
						// A limit above the window widens it.
						limit := f.Limit
						if limit <= 0 {
							limit = defaultSearchLimit
						}
						window = max(w.rankMax, limit)
					}
					want, wantCut := referenceSearch(t, db, q, f, window)
					got, ranking, err := db.Search(ctx, q, f, SearchOptions{RankAll: w.rankAll})
					if err != nil {
						t.Fatalf("%s, %s: Search(%q, %+v): %v", p.name, w.name, q, f, err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s, %s: Search(%q, %+v) =\n%v\nwant\n%v", p.name, w.name, q, f, ids(got), ids(want))
					}
					wantRanking := SearchRanking{}
					if wantCut {
						wantRanking = SearchRanking{Cut: true, Ranked: window}
					}
					if ranking != wantRanking {
						t.Errorf("%s, %s: Search(%q, %+v) ranking %+v, want %+v", p.name, w.name, q, f, ranking, wantRanking)
					}
				}
			}
		}
	}
}

func ids(rs []SearchResult) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d:%g", r.ArticleID, r.Score))
	}
	return out
}
