package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RecipientsKey is how a recipient list is stored in digests.recipients:
// addresses trimmed, lower-cased, de-duplicated, sorted and comma-joined, so
// that "since the last digest" means the same list however it is written.
func RecipientsKey(to []string) string {
	var addrs []string
	for _, a := range to {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			addrs = append(addrs, a)
		}
	}
	slices.Sort(addrs)
	return strings.Join(slices.Compact(addrs), ",")
}

// DigestClaim is the right to send the next digest to one recipient list.
type DigestClaim struct {
	Recipients string
	Token      string
	ClaimedAt  time.Time
	ExpiresAt  time.Time
}

// ClaimedError is returned by ClaimDigest while another run holds the claim.
type ClaimedError struct {
	Recipients string
	ClaimedAt  time.Time
	ExpiresAt  time.Time
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("another digest run for %s has been sending since %s (its claim lapses at %s)",
		e.Recipients, e.ClaimedAt.Format(time.RFC3339), e.ExpiresAt.Format(time.RFC3339))
}

// ClaimDigest takes the claim on sending a digest to recipients for lease,
// in a write transaction, so that of two concurrent runs only one sends. A
// claim left by a crashed run lapses after its lease. The holder must end it
// with RecordDigest or ReleaseDigest.
func (db *DB) ClaimDigest(ctx context.Context, recipients string, lease time.Duration) (DigestClaim, error) {
	now := db.now()
	c := DigestClaim{Recipients: recipients, Token: rand.Text(), ClaimedAt: now, ExpiresAt: now.Add(lease)}
	var token string
	err := db.write.QueryRowContext(ctx, `INSERT INTO digest_claims (recipients, token, claimed_at, expires_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (recipients) DO UPDATE SET token = excluded.token,
			claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
		WHERE digest_claims.expires_at <= excluded.claimed_at
		RETURNING token`,
		recipients, c.Token, timeValue(c.ClaimedAt), timeValue(c.ExpiresAt)).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		held := &ClaimedError{Recipients: recipients}
		var at, until sql.NullString
		if err := db.read.QueryRowContext(ctx,
			"SELECT claimed_at, expires_at FROM digest_claims WHERE recipients = ?", recipients).Scan(&at, &until); err == nil {
			held.ClaimedAt, held.ExpiresAt = parseTime(at), parseTime(until)
		}
		return DigestClaim{}, held
	}
	if err != nil {
		return DigestClaim{}, fmt.Errorf("store: claim digest for %s: %w", recipients, err)
	}
	return c, nil
}

// ReleaseDigest gives up a claim without recording a digest (the send failed
// or there was nothing to send).
func (db *DB) ReleaseDigest(ctx context.Context, c DigestClaim) error {
	if _, err := db.write.ExecContext(ctx, "DELETE FROM digest_claims WHERE recipients = ? AND token = ?",
		c.Recipients, c.Token); err != nil {
		return fmt.Errorf("store: release digest claim for %s: %w", c.Recipients, err)
	}
	return nil
}

// SentDigest is what RecordDigest writes once the mail server has accepted
// a digest.
type SentDigest struct {
	MessageID string
	Subject   string
	// MaxArticleID is PendingDigest.MaxArticleID of the selection sent.
	MaxArticleID int64
	Items        []DigestItem
}

// DigestItem is one story of a sent digest.
type DigestItem struct {
	StoryID int64
	Reports int
	Files   *int64
	Update  bool
}

// RecordDigest records a sent digest and its stories and releases the claim,
// in one transaction. Stories deleted since the selection (a recluster) are
// skipped. It returns the digest's id.
func (db *DB) RecordDigest(ctx context.Context, c DigestClaim, d SentDigest) (int64, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: record digest for %s: %w", c.Recipients, err)
	}
	defer tx.Rollback()
	now := db.now()
	created := c.ClaimedAt
	if created.IsZero() {
		created = now
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO digests (recipients, created_at, sent_at, message_id, subject, max_article_id)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Recipients, timeValue(created), timeValue(now), d.MessageID, d.Subject, d.MaxArticleID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: record digest for %s: %w", c.Recipients, err)
	}
	for _, it := range d.Items {
		var files any
		if it.Files != nil {
			files = *it.Files
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO digest_items (digest_id, story_id, article_count, is_update, files)
			SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM stories WHERE id = ?)`,
			id, it.StoryID, it.Reports, it.Update, files, it.StoryID); err != nil {
			return 0, fmt.Errorf("store: record digest for %s: story %d: %w", c.Recipients, it.StoryID, err)
		}
	}
	if c.Token != "" {
		if _, err := tx.ExecContext(ctx, "DELETE FROM digest_claims WHERE recipients = ? AND token = ?",
			c.Recipients, c.Token); err != nil {
			return 0, fmt.Errorf("store: record digest for %s: %w", c.Recipients, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: record digest for %s: %w", c.Recipients, err)
	}
	return id, nil
}

// LastDigest describes the last digest successfully sent to a recipient list.
type LastDigest struct {
	ID           int64
	SentAt       time.Time
	Subject      string
	MaxArticleID int64
}

// LastDigest returns the last digest sent to recipients, or ErrNotFound.
func (db *DB) LastDigest(ctx context.Context, recipients string) (LastDigest, error) {
	return lastDigest(ctx, db.read, recipients)
}

type digestQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func lastDigest(ctx context.Context, q digestQueryer, recipients string) (LastDigest, error) {
	var d LastDigest
	var sent sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, sent_at, subject, max_article_id FROM digests
		WHERE recipients = ? AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1`,
		recipients).Scan(&d.ID, &sent, &d.Subject, &d.MaxArticleID)
	if errors.Is(err, sql.ErrNoRows) {
		return LastDigest{}, ErrNotFound
	}
	if err != nil {
		return LastDigest{}, fmt.Errorf("store: last digest for %s: %w", recipients, err)
	}
	d.SentAt = parseTime(sent)
	return d, nil
}

// PendingDigest is what the next digest to a recipient list would contain.
type PendingDigest struct {
	// Last is the previous digest sent to the list; zero if there was none.
	Last LastDigest
	// MaxArticleID is the highest article id the selection saw; record it
	// with the digest.
	MaxArticleID int64
	// Stories are new stories, then updates, each newest (first seen) first.
	Stories []DigestStory
}

// DigestStory is a story as the digest shows it.
type DigestStory struct {
	ID             int64
	Title          string
	PrimaryCompany string
	// Companies are the other companies its reports name, most mentioned first.
	Companies []string
	Agencies  []string
	Files     *int64
	FirstSeen time.Time
	LastSeen  time.Time
	Reports   int
	Outlets   int
	Articles  []DigestArticle

	// Update marks a story sent before that has gained reports since; the
	// Sent fields describe it as it was sent.
	Update      bool
	SentReports int
	SentFiles   *int64
	SentAt      time.Time
}

// DigestArticle is one report of a digest story.
type DigestArticle struct {
	ID          int64
	URL         string
	Site        string
	Title       string
	Published   time.Time
	DuplicateOf int64
	// New marks reports stored since the story was last sent.
	New bool
}

// DigestWindow bounds what a digest looks at.
type DigestWindow struct {
	// First: with no earlier digest to the list, only stories with a report
	// stored within this long are new.
	First time.Duration
	// MaxAge: stories whose newest report was published (or, undated,
	// stored) longer ago than this are left out, so that importing an
	// archive does not mail years of old incidents. Zero: no limit.
	MaxAge time.Duration
}

// PendingDigest selects the relevant stories that are new, or have more
// reports, since the last digest sent to recipients. Only stories with a
// report stored since that digest are considered, so stories rebuilt by a
// recluster are not sent again. Everything is read from one snapshot.
func (db *DB) PendingDigest(ctx context.Context, recipients string, w DigestWindow) (PendingDigest, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return PendingDigest{}, fmt.Errorf("store: pending digest for %s: %w", recipients, err)
	}
	defer tx.Rollback()
	now := db.now()
	var oldest time.Time
	if w.MaxAge > 0 {
		oldest = now.Add(-w.MaxAge)
	}
	p, err := pendingDigest(ctx, tx, recipients, now.Add(-w.First), oldest)
	if err != nil {
		return PendingDigest{}, fmt.Errorf("store: pending digest for %s: %w", recipients, err)
	}
	return p, nil
}

func pendingDigest(ctx context.Context, tx *sql.Tx, recipients string, firstCutoff, oldest time.Time) (PendingDigest, error) {
	var p PendingDigest
	last, err := lastDigest(ctx, tx, recipients)
	switch {
	case err == nil:
		p.Last = last
	case !errors.Is(err, ErrNotFound):
		return p, err
	}
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM articles").Scan(&p.MaxArticleID); err != nil {
		return p, err
	}
	var ids []int64
	if p.Last.ID != 0 {
		ids, err = digestIDs(ctx, tx, `SELECT DISTINCT story_id FROM articles
			WHERE id > ? AND story_id IS NOT NULL`, p.Last.MaxArticleID)
	} else {
		ids, err = digestIDs(ctx, tx, `SELECT DISTINCT story_id FROM articles
			WHERE added_at >= ? AND story_id IS NOT NULL`, timeValue(firstCutoff))
	}
	if err != nil {
		return p, err
	}
	for _, id := range ids {
		s, ok, err := digestStory(ctx, tx, recipients, id, oldest)
		if err != nil {
			return p, fmt.Errorf("story %d: %w", id, err)
		}
		if ok {
			p.Stories = append(p.Stories, s)
		}
	}
	slices.SortFunc(p.Stories, func(a, b DigestStory) int {
		if a.Update != b.Update {
			if a.Update {
				return 1
			}
			return -1
		}
		return cmp.Or(b.FirstSeen.Compare(a.FirstSeen), cmp.Compare(b.ID, a.ID))
	})
	return p, nil
}

// digestStory loads one candidate story; ok is false when it is not relevant,
// its newest report is from before oldest, or it has no more reports than
// when last sent to recipients.
func digestStory(ctx context.Context, tx *sql.Tx, recipients string, id int64, oldest time.Time) (s DigestStory, ok bool, err error) {
	var first, lastSeen sql.NullString
	var files sql.NullInt64
	var relevance float64
	err = tx.QueryRowContext(ctx, `SELECT title, primary_company, files, first_seen, last_seen, relevance
		FROM stories WHERE id = ?`, id).Scan(&s.Title, &s.PrimaryCompany, &files, &first, &lastSeen, &relevance)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && relevance < RelevanceThreshold) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	s.ID, s.FirstSeen, s.LastSeen = id, parseTime(first), parseTime(lastSeen)
	if files.Valid {
		s.Files = &files.Int64
	}

	// The last time this story went to this list, and how big it was then.
	var sentAt sql.NullString
	var sentFiles sql.NullInt64
	var sentMax int64
	err = tx.QueryRowContext(ctx, `SELECT di.article_count, di.files, d.sent_at, d.max_article_id
		FROM digest_items di JOIN digests d ON d.id = di.digest_id
		WHERE di.story_id = ? AND d.recipients = ? AND d.sent_at IS NOT NULL
		ORDER BY d.sent_at DESC, d.id DESC LIMIT 1`, id, recipients).Scan(&s.SentReports, &sentFiles, &sentAt, &sentMax)
	switch {
	case err == nil:
		s.Update, s.SentAt = true, parseTime(sentAt)
		if sentFiles.Valid {
			s.SentFiles = &sentFiles.Int64
		}
	case !errors.Is(err, sql.ErrNoRows):
		return s, false, err
	}

	rows, err := tx.QueryContext(ctx, `SELECT id, url, site, title, published, added_at, COALESCE(duplicate_of, 0)
		FROM articles WHERE story_id = ? ORDER BY COALESCE(published, added_at), id`, id)
	if err != nil {
		return s, false, err
	}
	defer rows.Close()
	sites := map[string]bool{}
	var newest time.Time
	for rows.Next() {
		var a DigestArticle
		var pub, added sql.NullString
		if err := rows.Scan(&a.ID, &a.URL, &a.Site, &a.Title, &pub, &added, &a.DuplicateOf); err != nil {
			return s, false, err
		}
		a.Published = parseTime(pub)
		seen := a.Published
		if seen.IsZero() {
			seen = parseTime(added)
		}
		if seen.After(newest) {
			newest = seen
		}
		a.New = s.Update && a.ID > sentMax
		sites[cmp.Or(a.Site, a.URL)] = true
		s.Articles = append(s.Articles, a)
	}
	if err := rows.Err(); err != nil {
		return s, false, err
	}
	s.Reports, s.Outlets = len(s.Articles), len(sites)
	if newest.Before(oldest) || s.Update && s.Reports <= s.SentReports {
		return s, false, nil
	}

	if s.Companies, err = digestEntityNames(ctx, tx, id, "company", s.PrimaryCompany); err != nil {
		return s, false, err
	}
	if s.Agencies, err = digestEntityNames(ctx, tx, id, "agency", ""); err != nil {
		return s, false, err
	}
	return s, true, nil
}

// digestEntityNames lists the entities of a kind named by a story's reports, most
// mentioned first, leaving out skip.
func digestEntityNames(ctx context.Context, tx *sql.Tx, storyID int64, kind, skip string) ([]string, error) {
	// CROSS JOIN fixes the join order: from the story's few articles out,
	// never from an agency that thousands of articles mention.
	rows, err := tx.QueryContext(ctx, `SELECT e.name FROM articles a
		CROSS JOIN mentions m ON m.article_id = a.id
		CROSS JOIN entities e ON e.id = m.entity_id
		WHERE a.story_id = ? AND e.kind = ? AND e.name <> ?
		GROUP BY e.id ORDER BY SUM(m.count) DESC, e.name`, storyID, kind, skip)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

func digestIDs(ctx context.Context, q digestQueryer, query string, args ...any) ([]int64, error) {
	return scanIDs(q.QueryContext(ctx, query, args...))
}

// FailingFeed is a feed that has not been polled successfully for a while.
type FailingFeed struct {
	ID                int64
	Name              string
	URL               string
	LastSuccess       time.Time // zero: never
	ConsecutiveErrors int
	LastError         string
}

// FailingFeeds lists feeds whose polls are failing and that have had no
// success (or, never successful, were added) more than olderThan ago.
func (db *DB) FailingFeeds(ctx context.Context, olderThan time.Duration) ([]FailingFeed, error) {
	cutoff := timeValue(db.now().Add(-olderThan))
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, url, last_success_at, consecutive_errors, last_error
		FROM feeds WHERE consecutive_errors > 0 AND COALESCE(last_success_at, added_at) < ?
		ORDER BY COALESCE(last_success_at, added_at), id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("store: failing feeds: %w", err)
	}
	defer rows.Close()
	var out []FailingFeed
	for rows.Next() {
		var f FailingFeed
		var ok sql.NullString
		if err := rows.Scan(&f.ID, &f.Name, &f.URL, &ok, &f.ConsecutiveErrors, &f.LastError); err != nil {
			return nil, fmt.Errorf("store: failing feeds: %w", err)
		}
		f.LastSuccess = parseTime(ok)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: failing feeds: %w", err)
	}
	return out, nil
}
