package extract

import (
	"testing"

	"golang.org/x/net/html"
)

// parsedBenchPages returns the benchmark pages parsed once, so that the
// benchmarks below measure the passes over the tree and not the parser.
func parsedBenchPages(b *testing.B) ([]*html.Node, int64) {
	b.Helper()
	var docs []*html.Node
	var n int64
	for _, p := range loadBenchPages(b) {
		doc, err := parseHTML(p.HTML)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, doc)
		n += int64(len(p.HTML))
	}
	return docs, n
}

// BenchmarkReadMeta measures the metadata pass alone over all benchmark
// pages.
func BenchmarkReadMeta(b *testing.B) {
	docs, n := parsedBenchPages(b)
	b.SetBytes(n)
	for b.Loop() {
		for _, d := range docs {
			readMeta(d)
		}
	}
}

// BenchmarkMainText measures the main-text pass alone over all benchmark
// pages.
func BenchmarkMainText(b *testing.B) {
	docs, n := parsedBenchPages(b)
	b.SetBytes(n)
	for b.Loop() {
		for _, d := range docs {
			mainText(d, "")
		}
	}
}

// BenchmarkFragmentText converts every benchmark page, as a fragment, to
// text: far larger than a feed item, so the tree passes dominate.
func BenchmarkFragmentText(b *testing.B) {
	var frags []string
	var n int64
	for _, p := range loadBenchPages(b) {
		frags = append(frags, string(p.HTML))
		n += int64(len(p.HTML))
	}
	b.SetBytes(n)
	for b.Loop() {
		for _, f := range frags {
			FragmentText(f)
		}
	}
}
