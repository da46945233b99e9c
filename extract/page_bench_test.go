package extract

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
)

// readeckText is the reference extractor the speed bar is measured against.
func readeckText(page []byte, pageURL string) string {
	u, _ := url.Parse(pageURL)
	p := readability.NewParser()
	a, err := p.Parse(bytes.NewReader(page), u)
	if err != nil || a.Node == nil {
		return ""
	}
	var b strings.Builder
	if err := a.RenderText(&b); err != nil {
		return ""
	}
	return b.String()
}

// BenchmarkExtractionVsReadeck extracts all benchmark pages with Page and
// with readeck go-readability in the same loop, and reports each one's F1,
// its time per pass over all pages and the ratio of the two times (the bar
// is ratio ≤ 1).
//
//	go test -run '^$' -bench ExtractionVsReadeck -benchtime 3x ./extract/
func BenchmarkExtractionVsReadeck(b *testing.B) {
	pages := loadBenchPages(b)
	truths := make([]string, len(pages))
	for i, p := range pages {
		truths[i] = p.Truth
	}
	ours := make([]string, len(pages))
	theirs := make([]string, len(pages))
	var tOurs, tTheirs time.Duration
	passes := 0
	for b.Loop() {
		start := time.Now()
		for i, p := range pages {
			a, _ := Page(p.HTML, p.URL)
			ours[i] = a.Text
		}
		mid := time.Now()
		for i, p := range pages {
			theirs[i] = readeckText(p.HTML, p.URL)
		}
		tOurs += mid.Sub(start)
		tTheirs += time.Since(mid)
		passes++
	}
	so, st := scorePages(truths, ours), scorePages(truths, theirs)
	b.ReportMetric(so.F1, "F1")
	b.ReportMetric(st.F1, "readeck-F1")
	b.ReportMetric(float64(tOurs.Milliseconds())/float64(passes), "ms/pass")
	b.ReportMetric(float64(tTheirs.Milliseconds())/float64(passes), "readeck-ms/pass")
	b.ReportMetric(float64(tOurs)/float64(tTheirs), "time-ratio")
	b.Logf("Page    F1 %.3f P %.3f R %.3f", so.F1, so.P, so.R)
	b.Logf("readeck F1 %.3f P %.3f R %.3f", st.F1, st.P, st.R)
}

// BenchmarkPage measures Page alone over all benchmark pages.
func BenchmarkPage(b *testing.B) {
	pages := loadBenchPages(b)
	var n int64
	for _, p := range pages {
		n += int64(len(p.HTML))
	}
	b.SetBytes(n)
	for b.Loop() {
		for _, p := range pages {
			Page(p.HTML, p.URL)
		}
	}
}
