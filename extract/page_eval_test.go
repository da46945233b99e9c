package extract

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The evaluation below reimplements the scoring of the Scrapinghub
// article-extraction-benchmark exactly as ../shared/bench/README.md states it,
// so the figures compare with the published table.

const benchDir = "../../shared/bench/extraction"

// extractionBar is the F1 the extractor must reach on the benchmark.
const extractionBar = 0.965

var scoreTokenRE = regexp.MustCompile(`[\p{L}\p{N}_]+`)

// shingleCounts returns the 4-token shingles of s with their counts.
func shingleCounts(s string) map[string]int {
	toks := scoreTokenRE.FindAllString(strings.ReplaceAll(s, "\u00ad", ""), -1)
	m := make(map[string]int)
	switch {
	case len(toks) == 0:
	case len(toks) < 4:
		m[strings.Join(toks, " ")]++
	default:
		for i := 0; i+4 <= len(toks); i++ {
			m[strings.Join(toks[i:i+4], " ")]++
		}
	}
	return m
}

// pageCounts returns tp, fp, fn for one page, normalised to sum to 1.
func pageCounts(truth, predicted string) (tp, fp, fn float64) {
	t, p := shingleCounts(truth), shingleCounts(predicted)
	for k, tv := range t {
		pv := p[k]
		tp += float64(min(tv, pv))
		fn += float64(max(0, tv-pv))
	}
	for k, pv := range p {
		fp += float64(max(0, pv-t[k]))
	}
	if s := tp + fp + fn; s > 0 {
		tp, fp, fn = tp/s, fp/s, fn/s
	}
	return tp, fp, fn
}

// score is the benchmark's result over a set of pages.
type score struct{ F1, P, R float64 }

// scorePages averages per-page precision and recall as the benchmark does.
func scorePages(truths, predictions []string) score {
	var sumP, sumR float64
	var nP, nR int
	for i := range truths {
		tp, fp, fn := pageCounts(truths[i], predictions[i])
		p, r := 0.0, 0.0
		if fp == 0 && fn == 0 {
			p, r = 1, 1
		} else {
			if tp+fp > 0 {
				p = tp / (tp + fp)
			}
			if tp+fn > 0 {
				r = tp / (tp + fn)
			}
		}
		if tp+fp > 0 {
			sumP += p
			nP++
		}
		if tp+fn > 0 {
			sumR += r
			nR++
		}
	}
	var s score
	if nP > 0 {
		s.P = sumP / float64(nP)
	}
	if nR > 0 {
		s.R = sumR / float64(nR)
	}
	if s.P+s.R > 0 {
		s.F1 = 2 * s.P * s.R / (s.P + s.R)
	}
	return s
}

func TestScorePages(t *testing.T) {
	// Hand-computed: truth "a b c d e" has shingles {abcd, bcde}; the
	// prediction "a b c d x" has {abcd, bcdx}. tp 1, fp 1, fn 1 → P = R = 1/2.
	// The second page is perfect; the third predicts nothing (recall 0, no
	// precision term).
	tests := []struct {
		name          string
		truth, pred   []string
		wantP, wantR  float64
		wantF1        float64
		wantPageCount [3]float64
	}{
		{"half", []string{"a b c d e"}, []string{"a b c d x"}, 0.5, 0.5, 0.5, [3]float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{"case kept", []string{"One, two three."}, []string{"one two three"}, 0, 0, 0, [3]float64{0, 0.5, 0.5}},
		{"short exact", []string{"One two three"}, []string{"One two three"}, 1, 1, 1, [3]float64{1, 0, 0}},
		{"repeats", []string{"a b c d a b c d"}, []string{"a b c d"}, 1, 0.2, 1.0 / 3, [3]float64{0.2, 0, 0.8}},
		{"soft hyphen", []string{"extraction works well here"}, []string{"extrac\u00adtion works well here"}, 1, 1, 1, [3]float64{1, 0, 0}},
		{"nothing predicted", []string{"a b c d", "a b c d"}, []string{"", "a b c d"}, 1, 0.5, 2.0 / 3, [3]float64{0, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, fp, fn := pageCounts(tt.truth[0], tt.pred[0])
			if got := [3]float64{tp, fp, fn}; !near(got[0], tt.wantPageCount[0]) || !near(got[1], tt.wantPageCount[1]) || !near(got[2], tt.wantPageCount[2]) {
				t.Errorf("page counts: got %v, want %v", got, tt.wantPageCount)
			}
			s := scorePages(tt.truth, tt.pred)
			if !near(s.P, tt.wantP) || !near(s.R, tt.wantR) || !near(s.F1, tt.wantF1) {
				t.Errorf("got P %.4f R %.4f F1 %.4f, want P %.4f R %.4f F1 %.4f", s.P, s.R, s.F1, tt.wantP, tt.wantR, tt.wantF1)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// benchPage is one page of the extraction benchmark.
type benchPage struct {
	ID, URL, Truth string
	HTML           []byte
}

// loadBenchPages reads the benchmark, skipping the test when it is absent.
func loadBenchPages(tb testing.TB) []benchPage {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(benchDir, "ground-truth.json"))
	if os.IsNotExist(err) {
		tb.Skipf("extraction benchmark not found at %s; see ../shared/bench/README.md", benchDir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	var truth map[string]struct {
		ArticleBody string `json:"articleBody"`
		URL         string `json:"url"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		tb.Fatalf("ground-truth.json: %v", err)
	}
	pages := make([]benchPage, 0, len(truth))
	for id, g := range truth {
		body, err := readGzip(filepath.Join(benchDir, "html", id+".html.gz"))
		if err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, benchPage{ID: id, URL: g.URL, Truth: g.ArticleBody, HTML: body})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].ID < pages[j].ID })
	return pages
}

func readGzip(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return io.ReadAll(zr)
}

// TestExtractionBenchmark scores Page on the public benchmark and fails
// below the bar. Set BREACHWIRE_EXTRACT_WORST=N to list the N worst pages,
// BREACHWIRE_EXTRACT_META=1 (with -v) to list the metadata of every page.
func TestExtractionBenchmark(t *testing.T) {
	pages := loadBenchPages(t)
	truths := make([]string, len(pages))
	preds := make([]string, len(pages))
	articles := make([]Article, len(pages))
	// Pages are independent; spreading them over the CPUs keeps the test
	// quick under -race.
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				a, err := Page(pages[i].HTML, pages[i].URL)
				if err != nil {
					t.Errorf("%s: %v", pages[i].ID, err)
				}
				truths[i], preds[i], articles[i] = pages[i].Truth, a.Text, a
			}
		})
	}
	for i := range pages {
		next <- i
	}
	close(next)
	wg.Wait()
	checkMetadata(t, pages, articles)
	s := scorePages(truths, preds)
	t.Logf("%d pages: F1 %.4f  P %.4f  R %.4f (bar %.3f)", len(pages), s.F1, s.P, s.R, extractionBar)
	if n := envInt("BREACHWIRE_EXTRACT_WORST"); n > 0 {
		logWorst(t, pages, truths, preds, n)
	}
	if s.F1 < extractionBar {
		t.Errorf("F1 %.4f, want ≥ %.3f", s.F1, extractionBar)
	}
}

func envInt(key string) int {
	var n int
	fmt.Sscan(os.Getenv(key), &n)
	return n
}

func logWorst(t *testing.T, pages []benchPage, truths, preds []string, n int) {
	t.Helper()
	type row struct {
		i        int
		p, r, f1 float64
	}
	rows := make([]row, len(pages))
	for i := range pages {
		tp, fp, fn := pageCounts(truths[i], preds[i])
		var p, r, f float64
		if tp > 0 {
			p, r = tp/(tp+fp), tp/(tp+fn)
			f = 2 * p * r / (p + r)
		}
		rows[i] = row{i, p, r, f}
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a].f1 < rows[b].f1 })
	for _, r := range rows[:min(n, len(rows))] {
		t.Logf("F1 %.3f P %.3f R %.3f %s %s", r.f1, r.p, r.r, pages[r.i].ID[:12], pages[r.i].URL)
	}
}

// TestExtractionDump writes the extraction and the ground truth of the pages
// whose id starts with $BREACHWIRE_EXTRACT_DUMP to the test's temp dir, for
// looking at failures by eye.
func TestExtractionDump(t *testing.T) {
	prefix := os.Getenv("BREACHWIRE_EXTRACT_DUMP")
	if prefix == "" {
		t.Skip("set BREACHWIRE_EXTRACT_DUMP=ID-PREFIX to dump pages")
	}
	dir := os.Getenv("BREACHWIRE_EXTRACT_DUMP_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, p := range loadBenchPages(t) {
		if !strings.HasPrefix(p.ID, prefix) {
			continue
		}
		a, _ := Page(p.HTML, p.URL)
		os.WriteFile(filepath.Join(dir, p.ID[:12]+".got.txt"), []byte(a.Text), 0o644)
		os.WriteFile(filepath.Join(dir, p.ID[:12]+".want.txt"), []byte(p.Truth), 0o644)
		t.Logf("wrote %s/%s.{got,want}.txt", dir, p.ID[:12])
	}
}

// checkMetadata reports how much metadata Page found on the benchmark
// pages. The ground truth holds only the URL, so the canonical URL is checked
// against it; for title, time, site and language it reports coverage.
func checkMetadata(t *testing.T, pages []benchPage, articles []Article) {
	t.Helper()
	var title, published, site, lang, canonicalAgree int
	for i, p := range pages {
		a := articles[i]
		if a.Title != "" {
			title++
		}
		if !a.Published.IsZero() {
			published++
			if a.Published.Location() != time.UTC {
				t.Errorf("%s: published %v, want UTC", p.ID, a.Published)
			}
		}
		if a.Site != "" {
			site++
		}
		if a.Lang != "" {
			lang++
		}
		if want, err := CanonicalURL(p.URL); err == nil && a.CanonicalURL == want {
			canonicalAgree++
		}
		if testing.Verbose() && os.Getenv("BREACHWIRE_EXTRACT_META") != "" {
			t.Logf("%s | %q | %s | %s | %s | %s", p.ID[:8], a.Title, a.Published.Format(time.RFC3339), a.Site, a.Lang, a.CanonicalURL)
		}
	}
	n := len(pages)
	pct := func(k int) float64 { return 100 * float64(k) / float64(n) }
	t.Logf("metadata on %d pages: title %.0f%%, published %.0f%%, site %.0f%%, lang %.0f%%; canonical URL equals the benchmark's URL on %.0f%%",
		n, pct(title), pct(published), pct(site), pct(lang), pct(canonicalAgree))
	if title < n*95/100 {
		t.Errorf("title found on %d of %d pages, want ≥ 95%%", title, n)
	}
}

// TestReadabilityTestPages scores Page on other real pages: the test pages of
// readeck go-readability (source.html, and expected.html as the truth, which
// is Readability.js output and so favours that algorithm). It runs only when
// BREACHWIRE_READABILITY_PAGES names that directory, e.g.
//
//	BREACHWIRE_READABILITY_PAGES=$(go env GOMODCACHE)/codeberg.org/readeck/go-readability/v2@v2.1.3/test-pages \
//	go test -run TestReadabilityTestPages -v ./extract/
func TestReadabilityTestPages(t *testing.T) {
	dir := os.Getenv("BREACHWIRE_READABILITY_PAGES")
	if dir == "" {
		t.Skip("set BREACHWIRE_READABILITY_PAGES to readeck's test-pages directory")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var truths, preds []string
	for _, e := range entries {
		src, err1 := os.ReadFile(filepath.Join(dir, e.Name(), "source.html"))
		want, err2 := os.ReadFile(filepath.Join(dir, e.Name(), "expected.html"))
		if err1 != nil || err2 != nil {
			continue
		}
		a, err := Page(src, "http://fakehost/test/page.html")
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
		truths = append(truths, FragmentText(string(want)))
		preds = append(preds, a.Text)
	}
	s := scorePages(truths, preds)
	t.Logf("%d pages: F1 %.3f  P %.3f  R %.3f", len(truths), s.F1, s.P, s.R)
}
