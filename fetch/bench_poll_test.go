//go:build unix

package fetch_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/breachwire/breachwire/fetch"
	"github.com/breachwire/breachwire/store"
)

// benchWords is the vocabulary of the generated article pages.
var benchWords = strings.Fields(`the a of to in and said on for with that company ministry defense
	contractor files records unauthorized access attack cyberattack hackers network servers data
	government agency officials investigation security breach systems employees information week
	friday monday report according statement disclosed confirmed suspected china japan united states
	navy army air force missile aircraft program contracts supplier subsidiary engineers documents`)

// benchPage is a realistic article page of about 20 KB: navigation, a few
// hundred words of text in paragraphs, related links and a footer.
func benchPage(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Report %d on supplier breach - Bench Wire</title>
<meta property="og:site_name" content="Bench Wire"><meta property="article:published_time" content="2020-01-31T00:00:00Z">
<link rel="canonical" href="/news/%d"></head><body><header><nav><ul>`, n, n)
	for i := range 30 {
		fmt.Fprintf(&b, `<li><a href="/section/%d">Section %d</a></li>`, i, i)
	}
	b.WriteString(`</ul></nav></header><main><article><h1>`)
	fmt.Fprintf(&b, "Report %d on supplier breach</h1>", n)
	for range 8 {
		b.WriteString("<p>")
		for range 40 + r.IntN(40) {
			b.WriteString(benchWords[r.IntN(len(benchWords))])
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d files.</p>\n", r.IntN(100000))
	}
	b.WriteString(`</article><aside><h2>Related</h2><ul>`)
	for i := range 20 {
		fmt.Fprintf(&b, `<li><a href="/news/%d">Related story %d with a long headline</a></li>`, i, i)
	}
	b.WriteString(`</ul></aside></main><footer><p>Copyright Bench Wire. All rights reserved.</p></footer>
<script>window.dataLayer = window.dataLayer || [];</script></body></html>`)
	return []byte(b.String())
}

func benchSite(tb testing.TB, items int) *httptest.Server {
	pages := make([][]byte, items)
	for i := range pages {
		pages[i] = benchPage(i)
	}
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench Wire</title><link>%s/</link>`, srv.URL)
		for i := range items {
			fmt.Fprintf(bw, `<item><title>Report %d</title><link>%s/news/%d</link><description>Summary %d.</description><pubDate>%s</pubDate></item>`,
				i, srv.URL, i, i, time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC).Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z))
		}
		io.WriteString(bw, `</channel></rss>`)
		bw.Flush()
	})
	mux.HandleFunc("/news/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil || n < 0 || n >= items {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pages[n])
	})
	srv = httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// BenchmarkPoll1000 polls a local feed of 1,000 new articles end to end:
// feed, 1,000 article pages (about 20 KB each), extraction, storage with
// dedup and clustering, in a fresh database each time, politeness delay off.
// It reports articles/s and the process's peak RSS (VmHWM, which includes
// the in-process test server).
//
//	go test -run '^$' -bench Poll1000 -benchtime 3x ./fetch/
func BenchmarkPoll1000(b *testing.B) {
	const items = 1000
	srv := benchSite(b, items)
	var stored int
	var polling, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := db.AddFeed(context.Background(), fetch.Feed{URL: srv.URL + "/feed.xml"}); err != nil {
			b.Fatal(err)
		}
		feeds, err := db.Feeds(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		client := fetch.NewClient(fetch.Options{PerHostDelay: -1, AllowPrivate: true})
		b.StartTimer()
		start, cpuStart := time.Now(), cpuTime()
		sum, err := (&fetch.Poller{Client: client, Store: db}).Poll(context.Background(), feeds)
		if err == nil {
			// As `breachwire poll` does at the end of every poll.
			_, err = db.RefineSaved(context.Background())
		}
		polling += time.Since(start)
		cpu += cpuTime() - cpuStart
		if err != nil {
			b.Fatal(err)
		}
		if sum.PageErrors != 0 || sum.Added+sum.Duplicates != items {
			b.Fatalf("got %+v, want %d articles stored from their pages", sum, items)
		}
		stored += sum.Added + sum.Duplicates
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(stored)/polling.Seconds(), "articles/s")
	// CPU per article (server included) does not depend on what else the
	// machine is running, unlike articles/s.
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(stored), "cpu-ms/article")
	}
	if hwm := vmHWM(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peakRSS-MB")
	}
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM reads the process's peak resident set size from /proc (Linux);
// 0 elsewhere.
func vmHWM() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
