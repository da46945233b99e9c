package digest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/breachwire/breachwire/store"
)

// Options configure Deliver.
type Options struct {
	From    string
	To      []string
	SMTP    SMTP
	Compose ComposeOptions
	// Lease is how long the claim on sending lasts if this run dies
	// without releasing it; zero means max(10m, 4×SMTP.Timeout).
	Lease  time.Duration
	Logger *slog.Logger
}

// Result says what Deliver did.
type Result struct {
	// Digest is what was composed (also when nothing was new).
	Digest *Digest
	// Sent is false when there was nothing new to send.
	Sent      bool
	MessageID string
	DigestID  int64
}

// Deliver composes the digest for opts.To, sends it and records it. It holds
// the recipient list's claim from before composing until the record is
// written, so a concurrent run fails with *store.ClaimedError instead of
// sending the same stories, and a run started after this one finds them sent.
//
// A failed send records nothing and returns the error; the next run retries
// with the same stories plus anything newer.
func Deliver(ctx context.Context, db *store.DB, opts Options) (Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lease := opts.Lease
	if lease <= 0 {
		lease = max(10*time.Minute, 4*opts.SMTP.Timeout)
	}
	key := store.RecipientsKey(opts.To)
	claim, err := db.ClaimDigest(ctx, key, lease)
	if err != nil {
		return Result{}, fmt.Errorf("digest: %w", err)
	}
	release := true
	defer func() {
		if !release {
			return
		}
		// Release even when ctx was cancelled: a stale claim would block
		// the next run until it lapses.
		if err := db.ReleaseDigest(context.WithoutCancel(ctx), claim); err != nil {
			log.Warn("digest claim not released; it lapses by itself", "recipients", key, "expires", claim.ExpiresAt, "err", err)
		}
	}()

	d, err := Compose(ctx, db, opts.To, opts.Compose)
	if err != nil {
		return Result{}, err
	}
	res := Result{Digest: d}
	if d.Empty() {
		return res, nil
	}
	m, err := d.Message(opts.From, opts.To)
	if err != nil {
		return res, err
	}
	if err := Send(ctx, opts.SMTP, m); err != nil {
		return res, err
	}
	res.Sent = true
	res.MessageID = m.GetMessageID()
	// From here the claim ends with the record, or, if recording fails, is
	// left to lapse so that an immediate rerun does not send this again.
	release = false
	// The server has the message: record it even if ctx is being cancelled,
	// or the next run would send it again.
	id, err := db.RecordDigest(context.WithoutCancel(ctx), claim, store.SentDigest{
		MessageID:    res.MessageID,
		Subject:      d.Subject(),
		MaxArticleID: d.maxArticleID,
		Items:        d.items(),
	})
	if err != nil {
		return res, fmt.Errorf("digest: sent %s but could not record it (the next digest may repeat it): %w", res.MessageID, err)
	}
	res.DigestID = id
	return res, nil
}
