package extract

import (
	"encoding/json"
	"os"
	"testing"
)

// TestRelevanceOnGeneralNews runs Annotate over the 181 articles of the
// public extraction benchmark: general news, reviews and blogs from 2019,
// none a cyber incident at a defense contractor. None may score as
// relevant.
func TestRelevanceOnGeneralNews(t *testing.T) {
	b, err := os.ReadFile("../../shared/bench/extraction/ground-truth.json")
	if err != nil {
		t.Skipf("public benchmark data not available (%v); it lives in the shared data next to the repository", err)
	}
	var truth map[string]struct {
		ArticleBody string `json:"articleBody"`
		URL         string `json:"url"`
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	maxScore, maxURL := 0.0, ""
	for _, g := range truth {
		a := Article{Text: g.ArticleBody, URL: g.URL}
		Annotate(&a)
		if a.Relevance >= 0.5 {
			t.Errorf("%s: relevance %.3f, want below 0.5 for general news", g.URL, a.Relevance)
		}
		if a.Relevance > maxScore {
			maxScore, maxURL = a.Relevance, g.URL
		}
	}
	t.Logf("%d articles; highest relevance %.3f (%s)", len(truth), maxScore, maxURL)
}
