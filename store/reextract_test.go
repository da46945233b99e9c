package store_test

import (
	"context"
	"testing"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

// TestReextractReplacesFacts stores articles with stale facts (as an older
// gazetteer would have left them) and checks that Reextract replaces them
// with what Annotate finds now, batch by batch, and refreshes the stories.
func TestReextractReplacesFacts(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	texts := []struct{ url, title, text string }{
		{"https://example.jp/nec", "NEC says hackers accessed defense files",
			"NEC Corp. said Friday that unauthorized access to 27,445 files, including some related to its work with the Defense Ministry, had been confirmed."},
		{"https://example.com/retail", "Retailer breach", "Belmond & Finch Inc., a fashion retailer, said hackers stole card data of 2 million customers."},
		{"https://example.com/order", "Saab wins Gripen order", "Saab received an order for four Gripen fighters from Thailand."},
	}
	for _, x := range texts {
		a := &extract.Article{URL: x.url, Title: x.title, Text: x.text,
			Companies: []extract.Company{{Name: "Stale Co", Mentions: 1, Primary: true}},
			Figures:   []extract.Figure{{Kind: extract.KindFiles, Value: 1, Text: "1 file"}},
			Relevance: 0.99}
		if _, err := db.AddArticle(ctx, 0, a); err != nil {
			t.Fatal(err)
		}
	}

	var calls [][2]int
	stats, err := db.Reextract(ctx, store.ReextractOptions{BatchSize: 2, Progress: func(done, total int) {
		calls = append(calls, [2]int{done, total})
	}})
	if err != nil {
		t.Fatalf("Reextract: %v", err)
	}
	if stats.Articles != 3 || stats.Relevant != 1 {
		t.Errorf("stats = %+v, want 3 articles, 1 relevant", stats)
	}
	if want := [][2]int{{2, 3}, {3, 3}}; len(calls) != len(want) || calls[0] != want[0] || calls[1] != want[1] {
		t.Errorf("progress calls = %v, want %v", calls, want)
	}

	got := map[string]*store.ExportedArticle{}
	if err := db.Export(ctx, func(a *store.ExportedArticle) error {
		got[a.URL] = a
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	nec := got["https://example.jp/nec"]
	if nec == nil {
		t.Fatal("NEC article missing from export")
	}
	if len(nec.Companies) != 1 || nec.Companies[0].Name != "NEC" || !nec.Companies[0].Primary {
		t.Errorf("NEC companies = %+v, want NEC as the only, primary company", nec.Companies)
	}
	if len(nec.Figures) != 1 || nec.Figures[0].Value != 27445 {
		t.Errorf("NEC figures = %+v, want files 27445", nec.Figures)
	}
	if len(nec.Agencies) != 1 || nec.Agencies[0].Name != "Ministry of Defense (Japan)" {
		t.Errorf("NEC agencies = %+v, want Ministry of Defense (Japan)", nec.Agencies)
	}
	for _, u := range []string{"https://example.com/retail", "https://example.com/order"} {
		if a := got[u]; a == nil || a.Relevance >= store.RelevanceThreshold {
			t.Errorf("%s: relevance %v, want below %v", u, a.Relevance, store.RelevanceThreshold)
		}
	}
	if nec.StoryID == nil {
		t.Fatal("NEC article has no story")
	}
	s, err := db.Story(ctx, *nec.StoryID)
	if err != nil {
		t.Fatal(err)
	}
	if s.PrimaryCompany != "NEC" || s.Files == nil || *s.Files != 27445 {
		t.Errorf("story primary %q files %v, want NEC and 27445", s.PrimaryCompany, s.Files)
	}

	// A second run over unchanged rules changes nothing.
	again, err := db.Reextract(ctx, store.ReextractOptions{})
	if err != nil || again.Articles != 3 || again.Relevant != 1 {
		t.Errorf("second Reextract = %+v, %v; want the same 3 articles, 1 relevant", again, err)
	}
}

func TestReextractEmptyAndCancelled(t *testing.T) {
	db := openTest(t)
	stats, err := db.Reextract(context.Background(), store.ReextractOptions{})
	if err != nil || stats.Articles != 0 {
		t.Errorf("empty database: got %+v, %v; want nothing done, no error", stats, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Reextract(ctx, store.ReextractOptions{}); err == nil {
		t.Error("cancelled context: got no error, want one")
	}
}
