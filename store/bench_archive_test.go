package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/breachwire/breachwire/store"
)

// benchWords and benchNames make text that tokenizes and compresses like
// news prose: a common-word vocabulary with names and figures mixed in.
var (
	benchWords = strings.Fields(`the a of to and in said that it was for on with as by at from its
		company attack cyber hackers breach systems data files network defense ministry contractor
		officials access unauthorized information security investigation statement week month year
		government military employees servers intrusion malware ransomware espionage suspected
		disclosed reported customers partners program aircraft missile navy army documents records
		stolen leaked affected incident response team police agency report according spokesperson
		could would may has have been were not but also which after before about more than some`)
	benchNames = []string{"NEC", "Mitsubishi Electric", "Kobe Steel", "Pasco", "Lockheed Martin", "Raytheon",
		"BAE Systems", "Thales", "Leonardo", "Kaman", "Boeing", "Airbus", "Rheinmetall", "Saab", "Hanwha"}
	benchTitles = []string{"%s reports cyberattack on its network (%d)", "%s hit by ransomware (%d)", "%s discloses data breach (%d)",
		"Hackers target %s, officials say (%d)", "%s investigates intrusion at defense unit (%d)", "%s wins navy contract (%d)",
		"%s quarterly results beat forecasts (%d)", "Inside %s's new missile program (%d)"}
	benchAgencies = []string{"Defense Ministry", "Pentagon", "Ministry of Defence", "Acquisition, Technology and Logistics Agency", "FBI"}
)

// benchText returns paras paragraphs of 3-6 sentences each about company
// (now and then naming another company or an agency, as reports do).
func benchText(r *rand.Rand, company string, paras int) string {
	var b strings.Builder
	for p := range paras {
		if p > 0 {
			b.WriteString("\n\n")
		}
		for s := range 3 + r.IntN(4) {
			if s > 0 {
				b.WriteByte(' ')
			}
			switch r.IntN(6) {
			case 0:
				b.WriteString(company)
			case 1:
				b.WriteString("The company")
			default:
				b.WriteString("Officials")
			}
			for range 10 + r.IntN(15) {
				b.WriteByte(' ')
				switch r.IntN(60) {
				case 0:
					fmt.Fprintf(&b, "%d,%03d files", 1+r.IntN(90), r.IntN(1000))
				case 1:
					b.WriteString(benchAgencies[r.IntN(len(benchAgencies))])
				case 2:
					b.WriteString(benchNames[r.IntN(len(benchNames))])
				default:
					b.WriteString(benchWords[r.IntN(len(benchWords))])
				}
			}
			b.WriteByte('.')
		}
	}
	return b.String()
}

// benchArchive returns a JSONL archive of n articles, one in ten as an HTML
// page and the rest as text, each with 4-8 paragraphs.
func benchArchive(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range n {
		name := benchNames[r.IntN(len(benchNames))]
		line := map[string]string{
			"url":       fmt.Sprintf("https://news%d.example.com/2020/%02d/story-%d", i%25, 1+i%12, i),
			"title":     fmt.Sprintf(benchTitles[r.IntN(len(benchTitles))], name, i),
			"published": fmt.Sprintf("2020-%02d-%02dT%02d:00:00Z", 1+i%12, 1+i%28, i%24),
			"site":      fmt.Sprintf("News %d", i%25),
		}
		text := benchText(r, name, 4+r.IntN(5))
		if i%10 == 0 {
			var page strings.Builder
			page.WriteString("<!doctype html><html><head><title>" + line["title"] + "</title></head><body><nav><a href=/>Home</a> <a href=/world>World</a></nav><article>")
			for p := range strings.SplitSeq(text, "\n\n") {
				page.WriteString("<p>" + p + "</p>")
			}
			page.WriteString("</article><footer>Copyright</footer></body></html>")
			line["html"] = page.String()
		} else {
			line["text"] = text
		}
		enc.Encode(line)
	}
	return buf.Bytes()
}

// BenchmarkImportJSONL imports a 10,000-article archive into a fresh
// database each round: go test ./store -run XXX -bench ImportJSONL -benchtime 1x
func BenchmarkImportJSONL(b *testing.B) {
	n := benchImportN
	archive := benchArchive(n)
	b.SetBytes(int64(len(archive)))
	ctx := context.Background()
	var total int
	for b.Loop() {
		b.StopTimer()
		db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		stats, err := db.ImportJSONL(ctx, bytes.NewReader(archive), store.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if stats.Added+stats.Duplicates != n {
			b.Fatalf("stats %+v, want %d stored", stats, n)
		}
		total += n
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "articles/s")
}

// benchImportN is the archive size for BenchmarkImportJSONL.
var benchImportN = envInt("BENCH_IMPORT_N", 10000)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchQueryDB opens the database named by $BREACHWIRE_BENCH_DB (built
// once with cmd/breachwire-synth and `breachwire import`, see README,
// Performance), skipping the benchmark when it is unset.
func benchQueryDB(b *testing.B) *store.DB {
	b.Helper()
	path := os.Getenv("BREACHWIRE_BENCH_DB")
	if path == "" {
		b.Skip("BREACHWIRE_BENCH_DB is not set; point it at a database built with breachwire-synth and import")
	}
	if _, err := os.Stat(path); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// benchLatency runs fn once per iteration and reports the median and the
// 99th percentile of its wall-clock latency, and the mean CPU time the
// process spent on it (all threads: Search ranks on several), which other
// processes on a shared machine disturb far less than wall time.
func benchLatency(b *testing.B, fn func() (int, error)) {
	b.Helper()
	var lat []time.Duration
	rows := 0
	cpu0 := processCPU()
	for b.Loop() {
		start := time.Now()
		n, err := fn()
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		rows = n
	}
	cpu := processCPU() - cpu0
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(0, "ns/op") // the percentiles say it better
}

// processCPU returns the CPU time (user and system) of the process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSince is a --since bound halfway through the synthetic archive's two
// years.
var benchSince = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkSearchDB measures typical searches over an existing database,
// in-process (no process start), and the mix of them in turn; rank-all is
// the common word ranked over every match (SearchOptions.RankAll), kept out
// of the mix. BENCH_SEARCH_RANK_MAX=n ranks the n newest matches instead of
// store.SearchRankMax, to weigh another window:
//
//	BREACHWIRE_BENCH_DB=/tmp/lat100k.db go test ./store -run '^$' -bench 'SearchDB|StoriesDB' -benchtime 50x
func BenchmarkSearchDB(b *testing.B) {
	db := benchQueryDB(b)
	ctx := context.Background()
	if n := envInt("BENCH_SEARCH_RANK_MAX", 0); n > 0 {
		saved := store.SearchRankMax
		store.SearchRankMax = n
		b.Cleanup(func() { store.SearchRankMax = saved })
	}
	type searchCase struct {
		name, query string
		f           store.Filter
		opt         store.SearchOptions
	}
	cases := []searchCase{
		{"company", "Torzel Systems", store.Filter{}, store.SearchOptions{}},
		{"common-word-all", "ransomware", store.Filter{All: true}, store.SearchOptions{}},
		{"common-word", "ransomware", store.Filter{}, store.SearchOptions{}},
		{"two-words", "defense contractor", store.Filter{}, store.SearchOptions{}},
		{"phrase", `"email compromise"`, store.Filter{}, store.SearchOptions{}},
		{"figure", "19875", store.Filter{}, store.SearchOptions{}},
		{"common-since", "cyberattack", store.Filter{Since: benchSince}, store.SearchOptions{}},
		{"company-filter", "files", store.Filter{Company: "Torzel Systems"}, store.SearchOptions{}},
		{"or-not", "espionage OR intrusion NOT contract", store.Filter{}, store.SearchOptions{}},
	}
	rankAll := searchCase{"rank-all", "ransomware", store.Filter{}, store.SearchOptions{RankAll: true}}
	for _, c := range append(slices.Clip(cases), rankAll) {
		b.Run(c.name, func(b *testing.B) {
			benchLatency(b, func() (int, error) {
				r, _, err := db.Search(ctx, c.query, c.f, c.opt)
				return len(r), err
			})
		})
	}
	b.Run("mix", func(b *testing.B) {
		i := 0
		benchLatency(b, func() (int, error) {
			c := cases[i%len(cases)]
			i++
			r, _, err := db.Search(ctx, c.query, c.f, c.opt)
			return len(r), err
		})
	})
}

// BenchmarkStoriesDB measures `stories` listings over an existing database
// (see BenchmarkSearchDB).
func BenchmarkStoriesDB(b *testing.B) {
	db := benchQueryDB(b)
	ctx := context.Background()
	cases := []struct {
		name string
		f    store.Filter
	}{
		{"default", store.Filter{}},
		{"all", store.Filter{All: true}},
		{"company", store.Filter{Company: "Torzel Systems"}},
		{"agency", store.Filter{Agency: "Department of Defense"}},
		{"since", store.Filter{Since: benchSince}},
		{"until", store.Filter{Until: benchSince}},
		{"min-files", store.Filter{MinFiles: 50000}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchLatency(b, func() (int, error) {
				s, err := db.Stories(ctx, c.f)
				return len(s), err
			})
		})
	}
	b.Run("mix", func(b *testing.B) {
		i := 0
		benchLatency(b, func() (int, error) {
			c := cases[i%len(cases)]
			i++
			s, err := db.Stories(ctx, c.f)
			return len(s), err
		})
	})
}
