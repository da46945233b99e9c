package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/breachwire/breachwire/digest"
	"github.com/breachwire/breachwire/store"
)

func runRun(ctx context.Context, app *app, args []string) error {
	fs := app.flags("run", "[--every 30m] [--digest-at 07:00] [--allow-private]")
	every := fs.Duration("every", 30*time.Minute, "how often to poll the feeds that are due")
	digestAt := fs.String("digest-at", "", "local time `HH:MM` to send the daily digest (default digest.at from the config, else 07:00)")
	allowPrivate := fs.Bool("allow-private", false, "also fetch article links on loopback and private addresses")
	rest, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("run takes no arguments; got %q", rest[0])
	}
	if *every < time.Minute {
		return usagef("--every %s is too short; poll at most once a minute, e.g. --every 30m", *every)
	}
	atText := app.cfg.Digest.At
	if *digestAt != "" {
		atText = *digestAt
	}
	at, err := parseClock(atText)
	if err != nil {
		return usagef("--digest-at: %v", err)
	}

	svc := &service{
		log:   app.log,
		every: *every,
		at:    at,
		now:   time.Now,
	}
	// Without recipients `run` only polls; any other gap in the digest
	// settings is a mistake worth stopping for.
	if len(app.cfg.Digest.To) == 0 {
		app.log.Warn("digest disabled: no recipients; set digest.to in the config file to get the daily digest")
	} else {
		opts, err := app.digestOptions(true)
		if err != nil {
			return err
		}
		svc.digestOpts = &opts
	}
	db, err := app.openDB(ctx)
	if err != nil {
		return err
	}
	svc.db = db
	svc.poll = func(ctx context.Context) (pollSummary, error) {
		return pollOnce(ctx, app, db, *allowPrivate || app.cfg.Fetch.AllowPrivate)
	}
	app.log.Info("running", "db", db.Path(), "every", every.String(), "digest_at", at.String())
	svc.loop(ctx)
	app.log.Info("stopped")
	return nil
}

// service is `run`: poll on a schedule, send the digest once a day.
type service struct {
	log        *slog.Logger
	db         *store.DB
	poll       func(context.Context) (pollSummary, error)
	digestOpts *digest.Options // nil: no digest
	every      time.Duration
	at         clock
	now        func() time.Time
}

// loop runs until ctx is cancelled. A cancelled step is abandoned; what it
// had stored is already committed, and a digest accepted by the server is
// recorded before the step returns.
func (s *service) loop(ctx context.Context) {
	now := s.now()
	nextPoll := now
	var nextDigest time.Time
	if s.digestOpts != nil {
		last, err := lastDigestSent(ctx, s.db, s.digestOpts.To)
		if err != nil {
			s.log.Error("reading the last digest; sending one at the next digest time", "err", err)
		}
		nextDigest = nextDigestTime(last, now, s.at)
		s.log.Info("next digest", "at", nextDigest.Format(time.RFC3339))
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		wake := nextPoll
		if s.digestOpts != nil && nextDigest.Before(wake) {
			wake = nextDigest
		}
		timer.Reset(max(0, wake.Sub(s.now())))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if !s.now().Before(nextPoll) {
			s.pollStep(ctx)
			if ctx.Err() != nil {
				return
			}
			nextPoll = s.now().Add(s.every)
		}
		if s.digestOpts != nil && !s.now().Before(nextDigest) {
			nextDigest = s.digestStep(ctx)
			if ctx.Err() != nil {
				return
			}
		}
	}
}

func (s *service) pollStep(ctx context.Context) {
	sum, err := s.poll(ctx)
	switch {
	case ctx.Err() != nil:
		s.log.Info("poll abandoned: stopping")
	case err != nil:
		s.log.Error("poll failed", "err", err)
	default:
		s.log.Info("poll", "feeds", sum.Feeds, "reachable", sum.FeedsOK, "items", sum.Items,
			"added", sum.Added, "duplicates", sum.Duplicates, "page_errors", sum.FetchErrors,
			"pages_retried", sum.Retried, "pages_recovered", sum.Recovered)
	}
}

// digestStep sends the digest and returns when the next one is due: the
// next day's slot after a send (or nothing to send), a retry one poll
// interval later after a failure.
func (s *service) digestStep(ctx context.Context) time.Time {
	res, err := digest.Deliver(ctx, s.db, *s.digestOpts)
	now := s.now()
	switch {
	case err != nil && ctx.Err() != nil:
		s.log.Info("digest abandoned: stopping", "err", err)
		return now
	case err != nil:
		var held *store.ClaimedError
		if errors.As(err, &held) {
			s.log.Warn("digest skipped: another run is sending it", "until", held.ExpiresAt.Format(time.RFC3339))
		} else {
			s.log.Error("digest failed; will retry", "err", err, "retry_at", now.Add(s.every).Format(time.RFC3339))
		}
		return now.Add(s.every)
	case res.Sent:
		s.log.Info("digest sent", "subject", res.Digest.Subject(), "message_id", res.MessageID,
			"new", len(res.Digest.New), "updates", len(res.Digest.Updates), "failing_feeds", len(res.Digest.Failing))
	default:
		s.log.Info("digest: nothing new", "failing_feeds", len(res.Digest.Failing))
	}
	next := nextDigestTime(now, now, s.at)
	s.log.Info("next digest", "at", next.Format(time.RFC3339))
	return next
}

// clock is a local time of day.
type clock struct{ hour, minute int }

func (c clock) String() string {
	return time.Date(0, 1, 1, c.hour, c.minute, 0, 0, time.UTC).Format("15:04")
}

func parseClock(s string) (clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return clock{}, errors.New("\"" + s + "\" is not a time of day; use HH:MM, e.g. 07:00")
	}
	return clock{t.Hour(), t.Minute()}, nil
}

// slot is the digest time on the day of t (plus addDays), in t's location.
func (c clock) slot(t time.Time, addDays int) time.Time {
	y, m, d := t.Date()
	s := time.Date(y, m, d+addDays, c.hour, c.minute, 0, 0, t.Location())
	// For a time skipped by a DST change time.Date may answer the instant
	// an hour before the gap; the digest goes out just after it instead.
	if h, mi, _ := s.Clock(); h*60+mi < c.hour*60+c.minute {
		s = s.Add(time.Hour)
	}
	return s
}

// nextDigestTime is when the next digest is due, given when the last one
// was sent (zero: never) and the time now: today's slot if it is still
// ahead; now, to catch up, if today's slot has passed without a digest; else
// tomorrow's slot.
func nextDigestTime(last, now time.Time, at clock) time.Time {
	today := at.slot(now, 0)
	switch {
	case !last.Before(today):
		return at.slot(now, 1)
	case now.Before(today):
		return today
	default:
		return now
	}
}
