// Package digest composes, sends and records breachwire's email digest: the
// relevant stories that are new, or have gained reports, since the last
// digest successfully sent to a recipient list, plus the feeds that have been
// failing for more than a day.
//
// Sending is exactly-once in practice: a claim row taken in a write
// transaction keeps two runs from sending to the same list at once, and what
// was sent is recorded right after the mail server accepts the message. A
// crash between acceptance and the record may send the same digest once more;
// a failed send records nothing, so the next run retries with the same
// stories plus anything newer.
package digest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/breachwire/breachwire/store"
)

// Defaults for Options.
const (
	// DefaultFirstWindow is how far back the first digest to a list looks.
	DefaultFirstWindow = 7 * 24 * time.Hour
	// DefaultMaxAge leaves out stories whose newest report is older, such
	// as those of an imported archive.
	DefaultMaxAge = 30 * 24 * time.Hour
	// DefaultFailingAfter is how long a feed must have been failing to be
	// listed.
	DefaultFailingAfter = 24 * time.Hour
)

// Digest is one composed digest, ready to render or send.
type Digest struct {
	// Date is when it was composed, in the location dates are shown in.
	Date time.Time
	// Last is the previous digest sent to the list (zero ID: none).
	Last    store.LastDigest
	New     []store.DigestStory
	Updates []store.DigestStory
	Failing []store.FailingFeed
	// DBPath is shown in the footer's query examples.
	DBPath string

	maxArticleID int64
}

// ComposeOptions tune Compose; the zero value uses the defaults.
type ComposeOptions struct {
	FirstWindow  time.Duration
	MaxAge       time.Duration
	FailingAfter time.Duration
	// Location for the dates in the message; nil means time.Local.
	Location *time.Location
	// Now is the composition time; zero means time.Now.
	Now time.Time
}

// Compose selects what the next digest to the recipients would contain.
func Compose(ctx context.Context, db *store.DB, recipients []string, opts ComposeOptions) (*Digest, error) {
	if opts.FirstWindow <= 0 {
		opts.FirstWindow = DefaultFirstWindow
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.FailingAfter <= 0 {
		opts.FailingAfter = DefaultFailingAfter
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	p, err := db.PendingDigest(ctx, store.RecipientsKey(recipients),
		store.DigestWindow{First: opts.FirstWindow, MaxAge: opts.MaxAge})
	if err != nil {
		return nil, fmt.Errorf("digest: compose: %w", err)
	}
	failing, err := db.FailingFeeds(ctx, opts.FailingAfter)
	if err != nil {
		return nil, fmt.Errorf("digest: compose: %w", err)
	}
	dbPath := db.Path()
	if abs, err := filepath.Abs(dbPath); err == nil {
		dbPath = abs
	}
	d := &Digest{
		Date:         opts.Now.In(opts.Location),
		Last:         p.Last,
		Failing:      failing,
		DBPath:       dbPath,
		maxArticleID: p.MaxArticleID,
	}
	d.Last.SentAt = d.Last.SentAt.In(opts.Location)
	for _, s := range p.Stories {
		if s.Update {
			d.Updates = append(d.Updates, s)
		} else {
			d.New = append(d.New, s)
		}
	}
	return d, nil
}

// Empty reports whether there is no story to send. Failing feeds alone do
// not make a digest.
func (d *Digest) Empty() bool { return len(d.New) == 0 && len(d.Updates) == 0 }

// Subject is the message subject, e.g.
// "breachwire: 3 new incidents, 1 update — 31 Jan 2020".
func (d *Digest) Subject() string {
	var parts []string
	if n := len(d.New); n > 0 {
		parts = append(parts, plural(n, "new incident", "new incidents"))
	}
	if n := len(d.Updates); n > 0 {
		parts = append(parts, plural(n, "update", "updates"))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing new")
	}
	return "breachwire: " + strings.Join(parts, ", ") + " — " + d.Date.Format(dateLayout)
}

// items is what RecordDigest stores for this digest.
func (d *Digest) items() []store.DigestItem {
	var items []store.DigestItem
	for _, group := range [][]store.DigestStory{d.New, d.Updates} {
		for _, s := range group {
			items = append(items, store.DigestItem{StoryID: s.ID, Reports: s.Reports, Files: s.Files, Update: s.Update})
		}
	}
	return items
}

const dateLayout = "2 Jan 2006"

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// formatCount writes n with thousands separators, as the news does: 27,445.
func formatCount(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
