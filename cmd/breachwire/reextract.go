package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/breachwire/breachwire/store"
)

// runReextract re-runs entity, figure and relevance extraction over every
// stored article, after the gazetteers or rules have changed.
func runReextract(ctx context.Context, app *app, args []string) error {
	fs := app.flags("reextract", "[--batch N] [--format text|json]")
	batch := fs.Int("batch", 200, "articles re-extracted and written per transaction")
	format := fs.String("format", "text", "output `format`: text or json")
	pos, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("reextract takes no arguments, got %q", pos)
	}
	if *batch < 1 {
		return usagef("--batch must be at least 1")
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	db, err := app.openExistingDB(ctx)
	if err != nil {
		return err
	}
	bar := newProgress(app.stderr, "reextract", 0)
	done := 0
	stats, err := db.Reextract(ctx, store.ReextractOptions{
		BatchSize: *batch,
		Progress: func(n, total int) {
			bar.total = total
			bar.Add(n - done)
			done = n
		},
	})
	bar.Finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted after %d articles; those are updated, run reextract again for the rest", stats.Articles)
		}
		return err
	}
	if *format == "json" {
		return writeJSON(app.stdout, stats)
	}
	fmt.Fprintf(app.stdout, "re-extracted %d articles: %d relevant; %d stories refreshed\n",
		stats.Articles, stats.Relevant, stats.Stories)
	return nil
}
