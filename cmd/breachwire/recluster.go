package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// runRecluster rebuilds every story from the stored articles, after the
// clustering rules changed or to re-cluster with another window.
func runRecluster(ctx context.Context, app *app, args []string) error {
	fs := app.flags("recluster", "[--window 14d]")
	window := fs.String("window", "14d", "how far apart in published time the reports of one story may be (`SPAN`: 14d, 36h)")
	pos, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("recluster takes no arguments, got %q", pos)
	}
	w, err := parseSpan(*window)
	if err != nil {
		return usagef("--window: %v", err)
	}
	db, err := app.openExistingDB(ctx)
	if err != nil {
		return err
	}
	db.SetStoryWindow(w)
	bar := newProgress(app.stderr, "recluster", 0)
	done, total := 0, 0
	err = db.Recluster(ctx, func(n, t int) {
		bar.total, total = t, t
		bar.Add(n - done)
		done = n
	})
	bar.Finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("interrupted; nothing was changed")
		}
		return err
	}
	fmt.Fprintf(app.stdout, "reclustered %d articles\n", total)
	return nil
}

// parseSpan reads a positive span: a number of days ("14d") or a Go
// duration ("36h").
func parseSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days > 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%q is not a span; use days like 14d or a duration like 36h", s)
}
