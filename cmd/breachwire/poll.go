package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breachwire/breachwire/fetch"
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
	Retried     int // stored articles whose failed page was requested again
	Recovered   int // of those, pages that came this time and replaced the feed's text
	New         int // items not stored before (Added + Duplicates, unless capped or failed)
	Seeded      int // default feeds added because the database had none
	// NextPoll is the earliest time a feed is due again (zero if unknown).
	NextPoll time.Time
}

func (s pollSummary) String() string {
	msg := fmt.Sprintf("%d of %d feeds reachable; %d new articles, %d duplicates, %d page errors",
		s.FeedsOK, s.Feeds, s.Added, s.Duplicates, s.FetchErrors)
	if s.Retried > 0 {
		msg += fmt.Sprintf("; %d of %d failed pages fetched on retry", s.Recovered, s.Retried)
	}
	return msg
}

// pollOnce polls every due feed once and stores what is new. `poll` and
// `run` share it.
func pollOnce(ctx context.Context, app *app, db *store.DB, allowPrivate bool) (pollSummary, error) {
	return pollFeeds(ctx, app, db, allowPrivate, false)
}

// pollFeeds polls the due feeds, or every feed when all is set. It holds
// the poll lock (a flock on DB.poll.lock) throughout, so a second poll on the
// same database says so instead of doing the same work twice.
func pollFeeds(ctx context.Context, app *app, db *store.DB, allowPrivate, all bool) (pollSummary, error) {
	var sum pollSummary
	unlock, err := fetch.LockPoll(db.Path() + ".poll.lock")
	if err != nil {
		if errors.Is(err, fetch.ErrPollRunning) {
			return sum, fmt.Errorf("another poll is running on %s; try again when it finishes", db.Path())
		}
		return sum, err
	}
	defer unlock()

	if sum.Seeded, err = db.SeedFeeds(ctx, fetch.DefaultFeeds()); err != nil {
		return sum, err
	}
	var feeds []fetch.Feed
	if all {
		feeds, err = db.Feeds(ctx)
	} else {
		feeds, err = db.DueFeeds(ctx, time.Now())
	}
	if err != nil {
		return sum, err
	}
	poller := &fetch.Poller{Client: newFetchClient(app, allowPrivate), Store: db, Log: app.log}
	res, err := poller.Poll(ctx, feeds)
	if ctx.Err() == nil {
		// The poll's new reports were clustered one by one, per feed; the
		// batch refinement that ends an import now sees them together.
		n, rerr := db.RefineSaved(ctx)
		if rerr != nil {
			err = errors.Join(err, rerr)
		} else {
			app.log.Debug("refined the stories the poll changed", "stories", n)
		}
	}
	sum.Feeds, sum.FeedsOK, sum.Items, sum.New = res.Feeds, res.FeedsOK, res.Items, res.New
	sum.Added, sum.Duplicates, sum.FetchErrors = res.Added, res.Duplicates, res.PageErrors
	sum.Retried, sum.Recovered = res.Retried, res.Recovered
	if next, nerr := nextPoll(ctx, db); nerr == nil {
		sum.NextPoll = next
	}
	if err != nil {
		return sum, fmt.Errorf("poll: %w", err)
	}
	return sum, nil
}

// nextPoll is the earliest next_poll_at over all feeds.
func nextPoll(ctx context.Context, db *store.DB) (time.Time, error) {
	feeds, err := db.Feeds(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	for _, f := range feeds {
		if !f.NextPollAt.IsZero() && (next.IsZero() || f.NextPollAt.Before(next)) {
			next = f.NextPollAt
		}
	}
	return next, nil
}

// newFetchClient builds the HTTP client from the [fetch] config.
func newFetchClient(app *app, allowPrivate bool) *fetch.Client {
	c := app.cfg.Fetch
	delay := c.PerHostDelay.D()
	if delay == 0 {
		delay = -1 // the config's 0 means no delay; fetch's 0 means default
	}
	ua := c.UserAgent
	if ua == "" {
		ua = fetch.DefaultUserAgent(version)
	}
	return fetch.NewClient(fetch.Options{
		Timeout:      c.Timeout.D(),
		MaxBody:      int64(c.MaxBody),
		PerHostDelay: delay,
		Concurrency:  c.Concurrency,
		UserAgent:    ua,
		AllowPrivate: allowPrivate || c.AllowPrivate,
		Logger:       app.log,
	})
}

func runPoll(ctx context.Context, app *app, args []string) error {
	fs := app.flags("poll", "[--allow-private] [--force]")
	allowPrivate := fs.Bool("allow-private", false, "also fetch article links on loopback and private addresses")
	force := fs.Bool("force", false, "poll every feed now, not only those due (requests stay conditional)")
	rest, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("poll takes no arguments, got %q", rest[0])
	}
	db, err := app.openDB(ctx)
	if err != nil {
		return err
	}
	sum, err := pollFeeds(ctx, app, db, *allowPrivate || app.cfg.Fetch.AllowPrivate, *force)
	if err != nil {
		return err
	}
	switch {
	case sum.Feeds == 0:
		msg := "no feeds due"
		if !sum.NextPoll.IsZero() {
			msg += "; next at " + sum.NextPoll.Format(time.RFC3339)
		}
		fmt.Fprintln(app.stderr, msg+" (poll --force polls every feed now)")
	case sum.FeedsOK == 0:
		fmt.Fprintf(app.stderr, "0 of %d feeds reachable; see `breachwire feeds list`\n", sum.Feeds)
		return errSilent
	case sum.FeedsOK < sum.Feeds:
		fmt.Fprintf(app.stderr, "%s; see `breachwire feeds list` for the %d that failed\n", sum, sum.Feeds-sum.FeedsOK)
	default:
		fmt.Fprintln(app.stderr, sum)
	}
	return nil
}
