package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
