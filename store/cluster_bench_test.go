package store_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/breachwire/breachwire/store"
)

var synthArchive = flag.String("synth", "", "JSONL archive from cmd/breachwire-synth for BenchmarkImportSynthetic")

// BenchmarkImportSynthetic imports a generated archive into a fresh
// database per iteration; run with -synth FILE (see README, Performance).
func BenchmarkImportSynthetic(b *testing.B) {
	if *synthArchive == "" {
		b.Skip("no -synth archive; generate one with go run ./cmd/breachwire-synth")
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		f, err := os.Open(*synthArchive)
		if err != nil {
			b.Fatal(err)
		}
		db, err := store.Open(ctx, filepath.Join(b.TempDir(), "synth.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		stats, err := db.ImportJSONL(ctx, f, store.ImportOptions{})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(stats.Lines), "articles")
		db.Close()
		f.Close()
		b.StartTimer()
	}
}
