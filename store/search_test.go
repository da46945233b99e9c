package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

// corpus is a small set of reports with known facts, each a separate
// incident (different companies, months apart), so that any clustering
// keeps them in stories of their own.
func corpus() []extract.Article {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }
	return []extract.Article{
		{
			URL: "https://english.kyodonews.net/news/2020/01/nec", Title: "NEC says 27,445 files accessed in cyberattack",
			Published: day(2020, 1, 31), Site: "Kyodo News", Lang: "en",
			Text: "NEC Corp. said Friday it came under major cyberattacks that resulted in unauthorized access to 27,445 files, including those related to its work with the Defense Ministry.\n\n" +
				"Last week, Mitsubishi Electric Corp. admitted it had been subject to a similar attack.",
			Companies: []extract.Company{{Name: "NEC", Mentions: 3, Primary: true, Country: "JP"}, {Name: "Mitsubishi Electric", Mentions: 1}},
			Agencies:  []extract.Agency{{Name: "Ministry of Defense (Japan)", Mentions: 2, Country: "JP"}},
			Figures:   []extract.Figure{{Kind: extract.KindFiles, Value: 27445, Text: "27,445 files"}},
			Relevance: 0.95,
		},
		{
			URL: "https://www.reuters.com/article/mitsubishi-electric-cyber", Title: "Mitsubishi Electric hit by large-scale cyberattack",
			Published: day(2019, 10, 20), Site: "Reuters", Lang: "en",
			Text:      "Mitsubishi Electric said a large-scale cyberattack may have leaked data on about 8,000 people and business partners.\n\nThe Ministry of Defense said it was looking into the matter.",
			Companies: []extract.Company{{Name: "Mitsubishi Electric", Mentions: 2, Primary: true}},
			Agencies:  []extract.Agency{{Name: "Ministry of Defense (Japan)", Mentions: 1, Country: "JP"}},
			Figures:   []extract.Figure{{Kind: extract.KindPeople, Value: 8000, Approx: true, Text: "about 8,000 people"}},
			Relevance: 0.9,
		},
		{
			URL: "https://www.defensenews.com/2020/06/kaman-ransomware", Title: "Kaman discloses ransomware attack",
			Published: day(2020, 6, 3), Site: "Defense News", Lang: "en",
			Text:      "Kaman, an aerospace supplier, said ransomware encrypted 1,200 documents on a file server. NEC was not involved.",
			Companies: []extract.Company{{Name: "Kaman", Mentions: 2, Primary: true, Country: "US"}, {Name: "NEC", Mentions: 1, Country: "JP"}},
			Agencies:  []extract.Agency{},
			Figures:   []extract.Figure{{Kind: extract.KindDocuments, Value: 1200, Text: "1,200 documents"}},
			Relevance: 0.7,
		},
		{
			URL: "https://example.com/2020/03/cyber-week", Title: "Cyber week: conference recap",
			Published: day(2020, 3, 10), Site: "Example", Lang: "en",
			Text:      "A conference on cyber security heard talks about files, passwords and the cloud.",
			Companies: []extract.Company{}, Agencies: []extract.Agency{}, Figures: []extract.Figure{},
			Relevance: 0.1,
		},
	}
}

// openCorpus returns a database holding corpus(), added through AddArticle.
func openCorpus(t *testing.T) (*store.DB, []store.AddResult) {
	t.Helper()
	db := openTest(t)
	var results []store.AddResult
	for _, a := range corpus() {
		r, err := db.AddArticle(context.Background(), 0, &a)
		if err != nil {
			t.Fatalf("AddArticle %s: %v", a.URL, err)
		}
		if r.Status != store.Added {
			t.Fatalf("AddArticle %s: status %v, want added", a.URL, r.Status)
		}
		results = append(results, r)
	}
	return db, results
}

func TestSearch(t *testing.T) {
	db, added := openCorpus(t)
	nec, mel, kaman, recap := added[0].ArticleID, added[1].ArticleID, added[2].ArticleID, added[3].ArticleID
	date := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name  string
		query string
		f     store.Filter
		want  []int64
	}{
		{"word", "cyberattack", store.Filter{}, []int64{mel, nec}},
		{"title weighs more than text", "NEC", store.Filter{}, []int64{nec, kaman}},
		{"case and diacritics folded", "nÉc", store.Filter{}, []int64{nec, kaman}},
		{"phrase", `"large-scale cyberattack"`, store.Filter{}, []int64{mel}},
		{"punctuated word", "27,445", store.Filter{}, []int64{nec}},
		{"hyphenated words", "Mitsubishi-Electric", store.Filter{}, []int64{mel, nec}},
		{"prefix", "ransom*", store.Filter{}, []int64{kaman}},
		{"operators", "NEC NOT ransomware", store.Filter{}, []int64{nec}},
		{"or with parentheses", "(ransomware OR leaked) AND data", store.Filter{}, []int64{mel}},
		{"column filter", "title:NEC", store.Filter{}, []int64{nec}},
		{"irrelevant hidden", "conference", store.Filter{}, nil},
		{"irrelevant with all", "conference", store.Filter{All: true}, []int64{recap}},
		{"since", "cyberattack", store.Filter{Since: date("2020-01-01")}, []int64{nec}},
		{"until end of day", "cyberattack", store.Filter{Until: date("2019-10-20").Add(24*time.Hour - time.Second)}, []int64{mel}},
		{"company as primary or mentioned, any case", "attack", store.Filter{Company: "nec"}, []int64{kaman, nec}},
		{"agency", "attack OR cyberattack", store.Filter{Agency: "ministry of defense (japan)"}, []int64{nec, mel}},
		{"unknown company", "cyberattack", store.Filter{Company: "Nobody Inc"}, nil},
		{"company alias", "attack", store.Filter{Company: "NEC Corporation"}, []int64{kaman, nec}},
		{"shared agency alias", "attack OR cyberattack", store.Filter{Agency: "Defense Ministry"}, []int64{nec, mel}},
		{"min files counts documents", "NEC", store.Filter{MinFiles: 1000}, []int64{nec, kaman}},
		{"min files above", "NEC", store.Filter{MinFiles: 20000}, []int64{nec}},
		{"limit", "NEC", store.Filter{Limit: 1}, []int64{nec}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, _, err := db.Search(context.Background(), tt.query, tt.f, store.SearchOptions{})
			if err != nil {
				t.Fatalf("Search(%q): %v", tt.query, err)
			}
			var got []int64
			for _, r := range results {
				got = append(got, r.ArticleID)
			}
			if !equalIDs(got, tt.want) {
				t.Errorf("Search(%q, %+v) = articles %v, want %v", tt.query, tt.f, got, tt.want)
			}
		})
	}
}

// TestSearchWindow checks which matches Search ranks when more pass the
// filter than store.SearchRankMax: the newest that pass, widened to the
// limit, or all of them with RankAll. In the fixture every report matches
// "breach"; reports 1, 3, 5 and 7 have it in their title and outrank the
// others, each group tied and so in id order; report 7, the newest, is
// below the relevance threshold.
func TestSearchWindow(t *testing.T) {
	saved := store.SearchRankMax
	t.Cleanup(func() { store.SearchRankMax = saved })
	store.SearchRankMax = 3

	db := openTest(t)
	id := make(map[int]int64) // report number -> article id
	for k := 1; k <= 7; k++ {
		title := fmt.Sprintf("News at Co%d", k)
		if k%2 == 1 {
			title = fmt.Sprintf("Breach at Co%d", k)
		}
		company, rel := "Alpha", 0.9
		if k > 4 {
			company = "Bravo"
		}
		if k == 7 {
			rel = 0.1
		}
		a := extract.Article{
			URL: fmt.Sprintf("https://example.com/%d", k), Title: title,
			Text:      fmt.Sprintf("Co%d said the breach was contained.", k),
			Published: time.Date(2021, 3, k, 9, 0, 0, 0, time.UTC), Site: "Example", Lang: "en",
			Companies: []extract.Company{{Name: company, Mentions: 1, Primary: true}},
			Agencies:  []extract.Agency{}, Figures: []extract.Figure{}, Relevance: rel,
		}
		r, err := db.AddArticle(context.Background(), 0, &a)
		if err != nil {
			t.Fatal(err)
		}
		id[k] = r.ArticleID
	}
	tests := []struct {
		name        string
		f           store.Filter
		rankAll     bool
		want        []int // report numbers, best first
		wantRanking store.SearchRanking
	}{
		{"the 3 newest relevant: 6, 5, 4", store.Filter{Limit: 2}, false, []int{5, 4}, store.SearchRanking{Cut: true, Ranked: 3}},
		{"rank all", store.Filter{Limit: 2}, true, []int{1, 3}, store.SearchRanking{}},
		{"limit above the window widens it", store.Filter{Limit: 5}, false, []int{3, 5, 2, 4, 6}, store.SearchRanking{Cut: true, Ranked: 5}},
		{"a window holding every match is no cut", store.Filter{Limit: 6}, false, []int{1, 3, 5, 2, 4, 6}, store.SearchRanking{}},
		{"the irrelevant newest counts with all", store.Filter{Limit: 2, All: true}, false, []int{5, 7}, store.SearchRanking{Cut: true, Ranked: 3}},
		{"newest of the filter's", store.Filter{Limit: 2, Company: "Alpha"}, false, []int{3, 2}, store.SearchRanking{Cut: true, Ranked: 3}},
		{"exactly the window", store.Filter{Limit: 2, Company: "Bravo", All: true}, false, []int{5, 7}, store.SearchRanking{}},
		{"fewer than the window", store.Filter{Limit: 2, Company: "Bravo"}, false, []int{5, 6}, store.SearchRanking{}},
		{"since", store.Filter{Limit: 3, Since: time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC)}, false, []int{5, 4, 6}, store.SearchRanking{Cut: true, Ranked: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, ranking, err := db.Search(context.Background(), "breach", tt.f, store.SearchOptions{RankAll: tt.rankAll})
			if err != nil {
				t.Fatal(err)
			}
			var got, want []int64
			for _, r := range results {
				got = append(got, r.ArticleID)
			}
			for _, k := range tt.want {
				want = append(want, id[k])
			}
			if !equalIDs(got, want) {
				t.Errorf("Search(breach, %+v, RankAll %v) = articles %v, want %v", tt.f, tt.rankAll, got, want)
			}
			if ranking != tt.wantRanking {
				t.Errorf("Search(breach, %+v, RankAll %v) ranking %+v, want %+v", tt.f, tt.rankAll, ranking, tt.wantRanking)
			}
		})
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSearchResultFields(t *testing.T) {
	db, added := openCorpus(t)
	results, _, err := db.Search(context.Background(), "27,445 files", store.Filter{}, store.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("got %d results, want 1", len(results))
	}
	r := results[0]
	if r.ArticleID != added[0].ArticleID || r.StoryID == nil || *r.StoryID != added[0].StoryID {
		t.Errorf("result ids %d/%v, want article %d story %d", r.ArticleID, r.StoryID, added[0].ArticleID, added[0].StoryID)
	}
	if want := "«27,445» «files»"; !strings.Contains(r.Snippet, want) {
		t.Errorf("snippet %q, want the match marked as %q", r.Snippet, want)
	}
	if r.Score <= 0 {
		t.Errorf("score %v, want positive (higher is better)", r.Score)
	}
	if r.Published == nil || r.Published.Format(time.RFC3339) != "2020-01-31T09:00:00Z" || r.Site != "Kyodo News" {
		t.Errorf("published %v site %q, want 2020-01-31T09:00:00Z and Kyodo News", r.Published, r.Site)
	}
}

func TestSearchBadQuery(t *testing.T) {
	db, _ := openCorpus(t)
	for _, q := range []string{"AND OR (", `"unclosed`, "NEC AND", "OR NEC", "(NEC", "NEC)", "()", "", "  ", "- * ,", "title:", strings.Repeat("(", 60) + "x" + strings.Repeat(")", 60)} {
		t.Run(q, func(t *testing.T) {
			_, _, err := db.Search(context.Background(), q, store.Filter{All: true}, store.SearchOptions{})
			if !errors.Is(err, store.ErrBadQuery) {
				t.Fatalf("Search(%q) error = %v, want ErrBadQuery", q, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "fts5") || strings.Contains(msg, "SQL") || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one readable line without SQLite's words", msg)
			}
		})
	}
}

func TestTranslateQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"NEC files", "NEC files"},
		{"NEC AND files", "NEC AND files"},
		{"nec and files", "nec and files"},
		{"Mitsubishi-Electric", `"Mitsubishi-Electric"`},
		{"27,445", `"27,445"`},
		{`"defense ministry" OR MoD`, `"defense ministry" OR MoD`},
		{`"say ""hi"""`, `"say ""hi"""`},
		{"cyber*", "cyber*"},
		{`"cyber att"*`, `"cyber att"*`},
		{"e-mail*", `"e-mail"*`},
		{"title:NEC text:(files OR documents)", "title : NEC AND text : (files OR documents)"},
		{"title:AND", `title : "AND"`},
		{"NEAR(a b)", `"NEAR" AND (a b)`},
		{"(a) (b) c d", "(a) AND (b) AND c d"},
		{"a: b", `"a:" b`},
		{"NEC - files", "NEC files"},
		{"東芝 情報", "東芝 情報"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := store.TranslateQuery(tt.in)
			if err != nil {
				t.Fatalf("TranslateQuery(%q) error %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("TranslateQuery(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzTranslateQuery checks that every query TranslateQuery accepts is one
// SQLite accepts too, and that every rejection is ErrBadQuery.
func FuzzTranslateQuery(f *testing.F) {
	for _, q := range []string{"NEC AND files", "AND OR (", `"unclosed`, "Mitsubishi-Electric", "27,445",
		"title:NEC", "cyber*", `"a""b"`, "NEAR(a b, 2)", "a + b", "^start", "{title text}: x", "-x", "x:y:z", "\x00", "\xff\xfe"} {
		f.Add(q)
	}
	db, err := store.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	a := extract.Text("https://example.org/a", "NEC files", "NEC said 27,445 files were accessed.")
	if _, err := db.AddArticle(context.Background(), 0, &a); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		_, terr := store.TranslateQuery(q)
		_, _, serr := db.Search(context.Background(), q, store.Filter{All: true}, store.SearchOptions{})
		if terr != nil {
			if !errors.Is(terr, store.ErrBadQuery) {
				t.Fatalf("TranslateQuery(%q) error %v, want ErrBadQuery", q, terr)
			}
			return
		}
		if serr != nil {
			t.Fatalf("TranslateQuery(%q) accepted it but Search failed: %v", q, serr)
		}
	})
}

// BenchmarkSearch measures search latency over 10,000 imported articles,
// cycling through typical queries, and reports p50 and p99:
// go test ./store -run XXX -bench Search -benchtime 2000x
//
// BENCH_SEARCH_DB=path keeps the imported database there and reuses it on
// the next run, saving the import.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	path := os.Getenv("BENCH_SEARCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.db")
	}
	_, statErr := os.Stat(path)
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if statErr != nil {
		if _, err := db.ImportJSONL(ctx, bytes.NewReader(benchArchive(10000)), store.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	queries := []string{
		"NEC", "cyberattack", `"Mitsubishi Electric" AND files`, "ransom*", "27,445",
		"espionage OR intrusion", "title:Raytheon", "Pentagon NOT hackers", "defense ministry contractor",
	}
	filters := []store.Filter{{All: true}, {All: true, Since: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)}}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		q, f := queries[i%len(queries)], filters[(i/len(queries))%len(filters)]
		i++
		start := time.Now()
		if _, _, err := db.Search(ctx, q, f, store.SearchOptions{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
