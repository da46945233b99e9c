package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/fetch"
)

// *DB is the poller's store.
var _ fetch.Store = (*DB)(nil)

const feedColumns = `id, url, name, site_url, source, added_at, etag, last_modified,
	last_poll_at, last_success_at, next_poll_at, consecutive_errors, error_count,
	last_error, poll_interval, items_seen`

func scanFeed(row interface{ Scan(...any) error }) (fetch.Feed, error) {
	var f fetch.Feed
	var added, lastPoll, lastSuccess, nextPoll sql.NullString
	var interval int64
	err := row.Scan(&f.ID, &f.URL, &f.Name, &f.SiteURL, &f.Source, &added, &f.ETag, &f.LastModified,
		&lastPoll, &lastSuccess, &nextPoll, &f.ConsecutiveErrors, &f.ErrorCount,
		&f.LastError, &interval, &f.ItemsSeen)
	if err != nil {
		return f, err
	}
	f.AddedAt = parseTime(added)
	f.LastPollAt = parseTime(lastPoll)
	f.LastSuccessAt = parseTime(lastSuccess)
	f.NextPollAt = parseTime(nextPoll)
	f.PollInterval = time.Duration(interval) * time.Second
	return f, nil
}

func (db *DB) queryFeeds(ctx context.Context, query string, args ...any) ([]fetch.Feed, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var feeds []fetch.Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, err
		}
		feeds = append(feeds, f)
	}
	return feeds, rows.Err()
}

// Feeds returns every feed in the order they were added.
func (db *DB) Feeds(ctx context.Context) ([]fetch.Feed, error) {
	feeds, err := db.queryFeeds(ctx, "SELECT "+feedColumns+" FROM feeds ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: list feeds: %w", err)
	}
	return feeds, nil
}

// DueFeeds returns the feeds whose next poll time has come (or was never
// set), most overdue first.
func (db *DB) DueFeeds(ctx context.Context, now time.Time) ([]fetch.Feed, error) {
	feeds, err := db.queryFeeds(ctx, "SELECT "+feedColumns+` FROM feeds
		WHERE next_poll_at IS NULL OR next_poll_at <= ? ORDER BY next_poll_at IS NOT NULL, next_poll_at, id`,
		timeValue(now))
	if err != nil {
		return nil, fmt.Errorf("store: list due feeds: %w", err)
	}
	return feeds, nil
}

// AddFeed adds a feed by URL. If the URL is already there, it returns the
// existing feed's id and created false, and changes nothing.
func (db *DB) AddFeed(ctx context.Context, f fetch.Feed) (id int64, created bool, err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("store: add feed %q: %w", f.URL, err)
	}
	defer tx.Rollback()
	id, created, err = addFeed(ctx, tx, db.now(), f)
	if err != nil {
		return 0, false, fmt.Errorf("store: add feed %q: %w", f.URL, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("store: add feed %q: %w", f.URL, err)
	}
	return id, created, nil
}

func addFeed(ctx context.Context, tx *sql.Tx, now time.Time, f fetch.Feed) (int64, bool, error) {
	source := f.Source
	if source == "" {
		source = "user"
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO feeds (url, name, site_url, source, added_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING RETURNING id`,
		f.URL, f.Name, f.SiteURL, source, timeValue(now)).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	err = tx.QueryRowContext(ctx, "SELECT id FROM feeds WHERE url = ?", f.URL).Scan(&id)
	return id, false, err
}

// SeedFeeds adds feeds only if the feeds table is empty, all in one
// transaction, and returns how many it added. The first poll seeds the
// embedded default list this way.
func (db *DB) SeedFeeds(ctx context.Context, feeds []fetch.Feed) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: seed feeds: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM feeds").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: seed feeds: %w", err)
	}
	if n > 0 {
		return 0, nil
	}
	now := db.now()
	added := 0
	for _, f := range feeds {
		_, created, err := addFeed(ctx, tx, now, f)
		if err != nil {
			return 0, fmt.Errorf("store: seed feed %q: %w", f.URL, err)
		}
		if created {
			added++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: seed feeds: %w", err)
	}
	return added, nil
}

// RemoveFeed deletes the feed with this URL; its articles stay, with
// feed_id set to NULL. It returns ErrNotFound for an unknown URL.
func (db *DB) RemoveFeed(ctx context.Context, url string) error {
	res, err := db.write.ExecContext(ctx, "DELETE FROM feeds WHERE url = ?", url)
	if err != nil {
		return fmt.Errorf("store: remove feed %q: %w", url, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: remove feed %q: %w", url, ErrNotFound)
	}
	return nil
}

// RecordPoll saves a poll's outcome: health counters, validators, the next
// poll time, and the feed's title and site if they were still unknown.
func (db *DB) RecordPoll(ctx context.Context, r *fetch.PollResult) error {
	var err error
	if r.OK() {
		_, err = db.write.ExecContext(ctx, `UPDATE feeds SET
			last_poll_at = ?1, last_success_at = ?1, next_poll_at = ?2,
			consecutive_errors = 0, last_error = '',
			poll_interval = ?3, items_seen = items_seen + ?4,
			etag = CASE WHEN ?5 <> '' OR ?6 <> '' THEN ?5 ELSE etag END,
			last_modified = CASE WHEN ?5 <> '' OR ?6 <> '' THEN ?6 ELSE last_modified END,
			name = CASE WHEN name = '' THEN ?7 ELSE name END,
			site_url = CASE WHEN site_url = '' THEN ?8 ELSE site_url END
			WHERE id = ?9`,
			timeValue(r.At), timeValue(r.NextPoll), int64(r.Interval/time.Second), r.New,
			r.ETag, r.LastModified, r.Title, r.SiteURL, r.FeedID)
	} else {
		_, err = db.write.ExecContext(ctx, `UPDATE feeds SET
			last_poll_at = ?, next_poll_at = ?,
			consecutive_errors = consecutive_errors + 1, error_count = error_count + 1,
			last_error = ? WHERE id = ?`,
			timeValue(r.At), timeValue(r.NextPoll), r.Err, r.FeedID)
	}
	if err != nil {
		return fmt.Errorf("store: record poll of %q: %w", r.URL, err)
	}
	return nil
}

// KnownLink reports whether the article behind a feed item's link is
// stored: under the link's canonical form, or with the link itself as its
// url (the page redirected, or named another canonical URL).
func (db *DB) KnownLink(ctx context.Context, link string) (bool, error) {
	canonical, err := extract.CanonicalURL(link)
	if err != nil {
		canonical = link
	}
	var known bool
	err = db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM articles WHERE canonical_url = ?)
		OR EXISTS (SELECT 1 FROM articles WHERE url = ?)`, canonical, link).Scan(&known)
	if err != nil {
		return false, fmt.Errorf("store: look up link %q: %w", link, err)
	}
	return known, nil
}

// SaveArticles stores a feed's articles in one transaction (AddArticles)
// and counts the new ones and the duplicate copies. The stories they
// joined wait for RefineSaved.
func (db *DB) SaveArticles(ctx context.Context, feedID int64, as []*extract.Article) (added, duplicates int, err error) {
	results, err := db.AddArticles(ctx, feedID, as)
	if err != nil {
		return 0, 0, err
	}
	db.unrefinedMu.Lock()
	defer db.unrefinedMu.Unlock()
	if db.unrefined == nil {
		db.unrefined = map[int64]bool{}
	}
	for _, r := range results {
		switch r.Status {
		case Added:
			added++
		case Duplicate:
			duplicates++
		}
		if r.Status != Existing && r.StoryID != 0 {
			db.unrefined[r.StoryID] = true
		}
	}
	return added, duplicates, nil
}

// PagesToRetry returns up to limit articles of a feed whose page failed
// for a reason that may pass (fetch_retry), that were stored at or after
// since and whose page was requested fewer than maxAttempts times, oldest
// first.
func (db *DB) PagesToRetry(ctx context.Context, feedID int64, since time.Time, maxAttempts, limit int) ([]fetch.StoredPage, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, url, title, published, site, fetch_attempts
		FROM articles WHERE feed_id = ? AND fetch_retry = 1 AND fetch_attempts < ? AND added_at >= ?
		ORDER BY id LIMIT ?`, feedID, maxAttempts, timeValue(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: pages to retry of feed %d: %w", feedID, err)
	}
	defer rows.Close()
	var pages []fetch.StoredPage
	for rows.Next() {
		var p fetch.StoredPage
		var published sql.NullString
		if err := rows.Scan(&p.ArticleID, &p.URL, &p.Title, &published, &p.Site, &p.Attempts); err != nil {
			return nil, fmt.Errorf("store: pages to retry of feed %d: %w", feedID, err)
		}
		p.Published = parseTime(published)
		pages = append(pages, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pages to retry of feed %d: %w", feedID, err)
	}
	return pages, nil
}

// SaveRetriedPage records another attempt at a stored article's page. When
// a.FetchError is set the attempt failed: the article keeps its text, with
// the new reason, and is tried again only if a.FetchRetry. Otherwise the
// page's title, text, published time, site and language replace the stored
// ones, fetch_error is cleared, and entities, figures and relevance are
// derived again from the new text exactly as Reextract does, in the same
// transaction. The canonical URL and the story stay as they were (recluster
// regroups). An article no longer waiting for a retry is left alone.
func (db *DB) SaveRetriedPage(ctx context.Context, articleID int64, a *extract.Article) error {
	if a.FetchError != "" {
		_, err := db.write.ExecContext(ctx, `UPDATE articles SET fetch_attempts = fetch_attempts + 1,
			fetch_error = ?, fetch_retry = ? WHERE id = ? AND fetch_retry = 1`, a.FetchError, a.FetchRetry, articleID)
		if err != nil {
			return fmt.Errorf("store: record page retry of article %d: %w", articleID, err)
		}
		return nil
	}
	if err := db.replacePage(ctx, articleID, a); err != nil {
		return fmt.Errorf("store: save retried page of article %d: %w", articleID, err)
	}
	return nil
}

func (db *DB) replacePage(ctx context.Context, articleID int64, a *extract.Article) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The articles_fts_update trigger keeps the full-text index in step.
	res, err := tx.ExecContext(ctx, `UPDATE articles SET title = ?, text = ?, published = ?, site = ?, lang = ?,
		fetch_error = '', fetch_retry = 0, fetch_attempts = fetch_attempts + 1
		WHERE id = ? AND fetch_retry = 1`,
		a.Title, a.Text, timeValue(a.Published), a.Site, a.Lang, articleID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return nil
	}
	rs, err := tx.QueryContext(ctx, "SELECT "+reextractColumns+" FROM articles WHERE id = ?", articleID)
	if err != nil {
		return err
	}
	rows, err := scanReextractRows(rs)
	rs.Close()
	if err != nil {
		return err
	}
	annotateAll(rows)
	if _, err := writeReextractedTx(ctx, tx, rows); err != nil {
		return err
	}
	return tx.Commit()
}
