package store_test

import (
	"context"
	"flag"
	"io"
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

var synthBase = flag.String("synthdb", "", "database to copy and import -synth into for BenchmarkImportSyntheticMore")

// BenchmarkImportSyntheticMore imports -synth into a copy of the database
// -synthdb (say, 100,000 articles imported before): the marginal cost per
// article of a large database, with a CPU profile that shows where it goes.
func BenchmarkImportSyntheticMore(b *testing.B) {
	if *synthArchive == "" || *synthBase == "" {
		b.Skip("needs -synth FILE and -synthdb DATABASE")
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "synth.db")
		copyFile(b, *synthBase, path)
		f, err := os.Open(*synthArchive)
		if err != nil {
			b.Fatal(err)
		}
		db, err := store.Open(ctx, path)
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

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}
