package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/breachwire/breachwire/store"
)

// pollSummary counts what one pass over the due feeds did.
type pollSummary struct {
	Feeds       int // feeds polled
	FeedsOK     int // feeds that answered (200 or 304)
	Items       int // items seen in the feeds
	Added       int // new articles stored
	Duplicates  int // new copies of stored articles
	FetchErrors int // article pages that could not be fetched
}

func (s pollSummary) String() string {
	return fmt.Sprintf("%d of %d feeds reachable; %d new articles, %d duplicates, %d page errors",
		s.FeedsOK, s.Feeds, s.Added, s.Duplicates, s.FetchErrors)
}

// pollOnce polls every due feed once and stores what is new. `poll` and
// `run` share it.
func pollOnce(ctx context.Context, app *app, db *store.DB, allowPrivate bool) (pollSummary, error) {
	return pollSummary{}, errors.New("not implemented yet")
}

func runPoll(ctx context.Context, app *app, args []string) error {
	fs := app.flags("poll", "[--allow-private]")
	allowPrivate := fs.Bool("allow-private", false, "also fetch article links on loopback and private addresses")
	if _, err := app.parse(fs, args); err != nil {
		return err
	}
	db, err := app.openDB(ctx)
	if err != nil {
		return err
	}
	sum, err := pollOnce(ctx, app, db, *allowPrivate || app.cfg.Fetch.AllowPrivate)
	if err != nil {
		return err
	}
	fmt.Fprintln(app.stderr, sum)
	return nil
}
