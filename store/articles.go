package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/breachwire/breachwire/extract"
)

// AddStatus says what AddArticle did with an article.
type AddStatus int

const (
	// Added: a new article, now part of a story.
	Added AddStatus = iota
	// Existing: its canonical URL was already stored; nothing changed.
	Existing
	// Duplicate: a new copy of an article already stored (same or nearly the
	// same text elsewhere); stored with duplicate_of set.
	Duplicate
)

func (s AddStatus) String() string {
	switch s {
	case Added:
		return "added"
	case Existing:
		return "existing"
	case Duplicate:
		return "duplicate"
	}
	return fmt.Sprintf("AddStatus(%d)", int(s))
}

// AddResult reports the outcome of AddArticle.
type AddResult struct {
	Status    AddStatus
	ArticleID int64
	StoryID   int64
}

// HasArticle reports whether an article with this canonical URL is stored.
func (db *DB) HasArticle(ctx context.Context, canonicalURL string) (bool, error) {
	var one int
	err := db.read.QueryRowContext(ctx, "SELECT 1 FROM articles WHERE canonical_url = ?", canonicalURL).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: look up article %q: %w", canonicalURL, err)
	}
	return true, nil
}

// AddArticle stores an extracted article with its entities and figures and
// places it in a story, all in one transaction. feedID is 0 for articles that
// came from no feed (import). An article whose canonical URL is already stored
// is left as it is (Existing).
func (db *DB) AddArticle(ctx context.Context, feedID int64, a *extract.Article) (AddResult, error) {
	if a.CanonicalURL == "" {
		c, err := extract.CanonicalURL(a.URL)
		if err != nil {
			return AddResult{}, fmt.Errorf("store: add article %q: %w", a.URL, err)
		}
		a.CanonicalURL = c
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return AddResult{}, fmt.Errorf("store: add article %q: %w", a.URL, err)
	}
	defer tx.Rollback()
	res, err := addArticle(ctx, tx, db.now(), feedID, a)
	if err != nil {
		return AddResult{}, fmt.Errorf("store: add article %q: %w", a.URL, err)
	}
	if err := tx.Commit(); err != nil {
		return AddResult{}, fmt.Errorf("store: add article %q: %w", a.URL, err)
	}
	return res, nil
}

func addArticle(ctx context.Context, tx *sql.Tx, now time.Time, feedID int64, a *extract.Article) (AddResult, error) {
	var existing int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM articles WHERE canonical_url = ?", a.CanonicalURL).Scan(&existing)
	switch {
	case err == nil:
		return AddResult{Status: Existing, ArticleID: existing}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return AddResult{}, err
	}
	var feed any
	if feedID != 0 {
		feed = feedID
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO articles
		(url, canonical_url, title, published, site, lang, text, feed_id, added_at, fetch_error, relevance)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.URL, a.CanonicalURL, a.Title, timeValue(a.Published), a.Site, a.Lang, a.Text,
		feed, timeValue(now), a.FetchError, a.Relevance)
	if err != nil {
		return AddResult{}, err
	}
	id, err := r.LastInsertId()
	if err != nil {
		return AddResult{}, err
	}
	if err := writeFacts(ctx, tx, id, a); err != nil {
		return AddResult{}, err
	}
	placed, err := assignStory(ctx, tx, now, id, a)
	if err != nil {
		return AddResult{}, err
	}
	res := AddResult{Status: Added, ArticleID: id, StoryID: placed.storyID}
	if placed.duplicateOf != 0 {
		res.Status = Duplicate
	}
	return res, nil
}

// writeFacts stores an article's companies, agencies and figures.
func writeFacts(ctx context.Context, tx *sql.Tx, articleID int64, a *extract.Article) error {
	for _, c := range a.Companies {
		if err := writeMention(ctx, tx, articleID, "company", c.Name, c.Country, c.Mentions, c.Primary); err != nil {
			return err
		}
	}
	for _, ag := range a.Agencies {
		if err := writeMention(ctx, tx, articleID, "agency", ag.Name, ag.Country, ag.Mentions, false); err != nil {
			return err
		}
	}
	for _, f := range a.Figures {
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO figures (article_id, kind, value, approx, text) VALUES (?, ?, ?, ?, ?)",
			articleID, f.Kind, f.Value, f.Approx, f.Text); err != nil {
			return err
		}
	}
	return nil
}

func writeMention(ctx context.Context, tx *sql.Tx, articleID int64, kind, name, country string, count int, primary bool) error {
	var entityID int64
	err := tx.QueryRowContext(ctx, `INSERT INTO entities (kind, name, country) VALUES (?, ?, ?)
		ON CONFLICT (kind, name) DO UPDATE SET country = CASE WHEN entities.country = '' THEN excluded.country ELSE entities.country END
		RETURNING id`, kind, name, country).Scan(&entityID)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO mentions (article_id, entity_id, count, is_primary) VALUES (?, ?, ?, ?)
		ON CONFLICT (article_id, entity_id) DO UPDATE SET count = mentions.count + excluded.count,
		is_primary = max(mentions.is_primary, excluded.is_primary)`,
		articleID, entityID, max(count, 1), primary)
	return err
}

// AddArticles stores a batch of articles in one transaction (much faster than
// one transaction each for bulk loads). Results are in the order of as.
func (db *DB) AddArticles(ctx context.Context, feedID int64, as []*extract.Article) ([]AddResult, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: add articles: %w", err)
	}
	defer tx.Rollback()
	now := db.now()
	results := make([]AddResult, len(as))
	for i, a := range as {
		if a.CanonicalURL == "" {
			c, err := extract.CanonicalURL(a.URL)
			if err != nil {
				return nil, fmt.Errorf("store: add article %q: %w", a.URL, err)
			}
			a.CanonicalURL = c
		}
		if results[i], err = addArticle(ctx, tx, now, feedID, a); err != nil {
			return nil, fmt.Errorf("store: add article %q: %w", a.URL, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: add articles: %w", err)
	}
	return results, nil
}
