package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/breachwire/breachwire/store"
)

func runImport(ctx context.Context, app *app, args []string) error {
	fs := app.flags("import", "FILE.jsonl|-")
	workers := fs.Int("workers", 0, "extraction `workers` in parallel (default: number of CPUs)")
	pos, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("import takes one FILE.jsonl (or - for standard input), got %d arguments", len(pos))
	}
	if *workers < 0 {
		return usagef("--workers must not be negative")
	}
	var in io.Reader = app.stdin
	if name := pos[0]; name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("cannot read the archive: %w", err)
		}
		defer f.Close()
		in = f
	}
	db, err := app.openDB(ctx)
	if err != nil {
		return err
	}
	bar := newProgress(app.stderr, "import", 0)
	done := 0
	stats, err := db.ImportJSONL(ctx, in, store.ImportOptions{
		Workers: *workers,
		Progress: func(lines int) {
			bar.Add(lines - done)
			done = lines
		},
		Reject: func(line int, err error) {
			if bar.active {
				// Start a fresh line so the reason is not drawn over the bar.
				fmt.Fprint(app.stderr, "\r\033[K")
			}
			fmt.Fprintf(app.stderr, "breachwire import: line %d: %s; skipped\n", line, oneLine(err.Error()))
		},
	})
	bar.Finish()
	fmt.Fprintf(app.stdout, "imported %d lines: %d added, %d duplicates, %d already stored, %d rejected\n",
		stats.Lines, stats.Added, stats.Duplicates, stats.Existing, stats.Rejected)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("interrupted; the articles reported above are stored")
		}
		return err
	}
	return nil
}
