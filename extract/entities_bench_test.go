package extract

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. On a shared machine wall
// time mostly measures the neighbours; CPU time per byte is the cost per core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPUThroughput(b *testing.B, start time.Duration, bytes int64) {
	b.Helper()
	if used := cpuTime() - start; used > 0 && b.N > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/used.Seconds()/1e6, "MB/cpu-s")
	}
}

// The benchmarks below run on one goroutine, so their MB/s and MB/cpu-s
// are per core. Annotate reuses its buffers from a sync.Pool: allocs/op is
// what a long-running poller sees, not a cold start.

// BenchmarkAnnotate measures entity, figure and relevance extraction on
// plain text: the labelled reports, one article each.
func BenchmarkAnnotate(b *testing.B) {
	reports := loadLabelled(b)
	var size int64
	for _, r := range reports {
		size += int64(len(r.title) + len(r.text))
	}
	loadGazetteer()
	b.SetBytes(size)
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		for _, r := range reports {
			a := Article{Title: r.title, Text: r.text, Site: r.site}
			Annotate(&a)
		}
	}
	reportCPUThroughput(b, start, size)
}

// BenchmarkAnnotateLong is one long article (all reports run together), the
// worst case for anything that is not linear in the text.
func BenchmarkAnnotateLong(b *testing.B) {
	var sb strings.Builder
	for _, r := range loadLabelled(b) {
		sb.WriteString(r.text)
		sb.WriteString("\n\n")
	}
	text := sb.String()
	loadGazetteer()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		a := Article{Title: "Long", Text: text}
		Annotate(&a)
	}
	reportCPUThroughput(b, start, int64(len(text)))
}

// BenchmarkTokenize is the tokenizer alone on the long text: the one pass
// over every byte that all of Annotate's passes share.
func BenchmarkTokenize(b *testing.B) {
	var sb strings.Builder
	for _, r := range loadLabelled(b) {
		sb.WriteString(r.text)
		sb.WriteString("\n\n")
	}
	text := sb.String()
	toks := tokenize(text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		toks = appendTokens(toks[:0], text)
	}
	reportCPUThroughput(b, start, int64(len(text)))
}

// BenchmarkBaselineFieldsLower is a yardstick for the machine, not for
// breachwire: splitting the same long text into words and lower-casing it,
// the least any word-level extractor must do. Compare MB/cpu-s with
// BenchmarkAnnotateLong.
func BenchmarkBaselineFieldsLower(b *testing.B) {
	var sb strings.Builder
	for _, r := range loadLabelled(b) {
		sb.WriteString(r.text)
		sb.WriteString("\n\n")
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	start := cpuTime()
	for b.Loop() {
		_ = strings.Fields(strings.ToLower(text))
	}
	reportCPUThroughput(b, start, int64(len(text)))
}
