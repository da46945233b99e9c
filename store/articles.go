package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	res, err := db.AddArticles(ctx, feedID, []*extract.Article{a})
	if err != nil {
		return AddResult{}, err
	}
	return res[0], nil
}

func addArticle(ctx context.Context, c *clusterTx, now time.Time, feedID int64, a *extract.Article, prep *textPrep) (AddResult, error) {
	if c.stored != nil {
		if id, ok := c.stored[a.CanonicalURL]; ok {
			return AddResult{Status: Existing, ArticleID: id}, nil
		}
	} else {
		var existing int64
		err := c.queryRow(ctx, "SELECT id FROM articles WHERE canonical_url = ?", a.CanonicalURL).Scan(&existing)
		switch {
		case err == nil:
			return AddResult{Status: Existing, ArticleID: existing}, nil
		case !errors.Is(err, sql.ErrNoRows):
			return AddResult{}, err
		}
	}
	var feed any
	if feedID != 0 {
		feed = feedID
	}
	// The story is decided first so that the row, text and all, is written
	// once with its story_id (updating it would copy the text again).
	r0 := reportOf(0, a, now)
	r0.prep = prep
	p, err := c.decide(ctx, now, r0)
	if err != nil {
		return AddResult{}, err
	}
	var dup any
	if p.duplicateOf != 0 {
		dup = p.duplicateOf
	}
	r, err := c.exec(ctx, `INSERT INTO articles
		(url, canonical_url, title, published, site, lang, text, feed_id, added_at, fetch_error, fetch_retry,
		 relevance, story_id, duplicate_of, simhash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.URL, a.CanonicalURL, a.Title, timeValue(a.Published), a.Site, a.Lang, a.Text,
		feed, timeValue(now), a.FetchError, a.FetchError != "" && a.FetchRetry && feedID != 0,
		a.Relevance, p.storyID, dup, int64(p.simhash))
	if err != nil {
		return AddResult{}, err
	}
	id, err := r.LastInsertId()
	if err != nil {
		return AddResult{}, err
	}
	if c.firstNew == 0 {
		c.firstNew = id
	}
	if c.stored != nil {
		c.stored[a.CanonicalURL] = id
	}
	seen := timeValue(a.Published)
	if seen == nil {
		seen = timeValue(now)
	}
	seenText, _ := seen.(string)
	c.rememberArticle(id, &articleInfo{dupOf: p.duplicateOf, story: p.storyID, title: a.Title, seen: seenText})
	// What copy detection would read back of the text: the text, or the
	// title when the text is empty (prep's body, unless the text is blank
	// but not empty).
	if p.own != nil && (a.Text == "" || strings.TrimSpace(a.Text) != "") {
		c.rememberText(id, p.own)
	}
	if err := c.file(ctx, id, p); err != nil {
		return AddResult{}, err
	}
	if err := writeFactsWith(ctx, c, id, a); err != nil {
		return AddResult{}, err
	}
	res := AddResult{Status: Added, ArticleID: id, StoryID: p.storyID}
	if p.duplicateOf != 0 {
		res.Status = Duplicate
	}
	return res, nil
}

// writeFacts stores an article's companies, agencies and figures.
func writeFacts(ctx context.Context, tx *sql.Tx, articleID int64, a *extract.Article) error {
	return writeFactsWith(ctx, txStatements{tx}, articleID, a)
}

// statements runs SQL in a transaction: a bare *sql.Tx, or a clusterTx that
// prepares each statement once per transaction (bulk loads).
type statements interface {
	exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
}

type txStatements struct{ tx *sql.Tx }

func (t txStatements) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, query, args...)
}

func (t txStatements) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, query, args...)
}

func writeFactsWith(ctx context.Context, st statements, articleID int64, a *extract.Article) error {
	for _, c := range a.Companies {
		if err := writeMention(ctx, st, articleID, "company", c.Name, c.Country, c.Mentions, c.Primary); err != nil {
			return err
		}
	}
	for _, ag := range a.Agencies {
		if err := writeMention(ctx, st, articleID, "agency", ag.Name, ag.Country, ag.Mentions, false); err != nil {
			return err
		}
	}
	c, deferred := st.(*clusterTx)
	deferred = deferred && c.deferTerms
	for _, f := range a.Figures {
		if deferred {
			// Written by finish, in this order (the same ids).
			c.pendFigures = append(c.pendFigures, articleID, f.Kind, f.Value, f.Approx, f.Text)
			continue
		}
		if _, err := st.exec(ctx,
			"INSERT INTO figures (article_id, kind, value, approx, text) VALUES (?, ?, ?, ?, ?)",
			articleID, f.Kind, f.Value, f.Approx, f.Text); err != nil {
			return err
		}
	}
	return nil
}

func writeMention(ctx context.Context, st statements, articleID int64, kind, name, country string, count int, primary bool) error {
	var entityID int64
	var cache map[[2]string]entityRef
	if c, ok := st.(*clusterTx); ok {
		if c.st.entities == nil {
			c.st.entities = map[[2]string]entityRef{}
		}
		cache = c.st.entities
	}
	key := [2]string{kind, name}
	// The upsert below changes nothing when the entity is stored with a
	// country already or when this mention brings none.
	if ref, ok := cache[key]; ok && (country == "" || ref.country != "") {
		entityID = ref.id
	}
	if entityID == 0 {
		var stored string
		err := st.queryRow(ctx, `INSERT INTO entities (kind, name, country) VALUES (?, ?, ?)
			ON CONFLICT (kind, name) DO UPDATE SET country = CASE WHEN entities.country = '' THEN excluded.country ELSE entities.country END
			RETURNING id, country`, kind, name, country).Scan(&entityID, &stored)
		if err != nil {
			return err
		}
		if cache != nil {
			cache[key] = entityRef{entityID, stored}
		}
	}
	if c, ok := st.(*clusterTx); ok && c.deferTerms {
		// Written by finish, in this order.
		c.pendMentions = append(c.pendMentions, articleID, entityID, max(count, 1), primary)
		return nil
	}
	var err error
	_, err = st.exec(ctx, `INSERT INTO mentions (article_id, entity_id, count, is_primary) VALUES (?, ?, ?, ?)
		ON CONFLICT (article_id, entity_id) DO UPDATE SET count = mentions.count + excluded.count,
		is_primary = max(mentions.is_primary, excluded.is_primary)`,
		articleID, entityID, max(count, 1), primary)
	return err
}

// AddArticles stores a batch of articles in one transaction (much faster than
// one transaction each for bulk loads). Results are in the order of as.
func (db *DB) AddArticles(ctx context.Context, feedID int64, as []*extract.Article) ([]AddResult, error) {
	return db.addArticles(ctx, feedID, as, nil)
}

// addArticles is AddArticles with, optionally, each article's
// prepareText(title, text) computed ahead (preps[i] for as[i]; nil entries
// or a nil slice: computed here).
func (db *DB) addArticles(ctx context.Context, feedID int64, as []*extract.Article, preps []*textPrep) ([]AddResult, error) {
	given := false
	return db.addArticlesFrom(ctx, feedID, func() ([]*extract.Article, []*textPrep) {
		if given {
			return nil, nil
		}
		given = true
		return as, preps
	})
}

// addArticlesFrom stores, in one transaction, the articles next hands out
// a chunk at a time until it returns none; results are in the order
// handed out. A bulk import so decides one chunk while its workers extract
// the next, and a large transaction need not hold every article's
// prepared text at once.
func (db *DB) addArticlesFrom(ctx context.Context, feedID int64, next func() ([]*extract.Article, []*textPrep)) ([]AddResult, error) {
	var results []AddResult
	err := db.inClusterTx(ctx, func(c *clusterTx) error {
		c.deferTerms = true // written by finish
		now := db.now()
		for {
			as, preps := next()
			if len(as) == 0 {
				break
			}
			for _, a := range as {
				if a.CanonicalURL == "" {
					canonical, err := extract.CanonicalURL(a.URL)
					if err != nil {
						return fmt.Errorf("add article %q: %w", a.URL, err)
					}
					a.CanonicalURL = canonical
				}
			}
			if err := c.loadStored(ctx, as); err != nil {
				return fmt.Errorf("look up articles: %w", err)
			}
			for i, a := range as {
				var prep *textPrep
				if i < len(preps) {
					// Dropped once used (see above).
					prep, preps[i] = preps[i], nil
				}
				r, err := addArticle(ctx, c, now, feedID, a, prep)
				if err != nil {
					return fmt.Errorf("add article %q: %w", a.URL, err)
				}
				results = append(results, r)
			}
		}
		return c.finish(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("store: add articles: %w", err)
	}
	return results, nil
}

// loadStored reads which of as are stored already, by canonical URL, in a
// few statements instead of one per article; addArticle then consults and
// extends c.stored.
func (c *clusterTx) loadStored(ctx context.Context, as []*extract.Article) error {
	if c.stored == nil {
		c.stored = make(map[string]int64, len(as))
	}
	const chunk = 500
	args := make([]any, 0, chunk)
	for len(as) > 0 {
		n := min(chunk, len(as))
		args = args[:0]
		for _, a := range as[:n] {
			args = append(args, a.CanonicalURL)
		}
		as = as[n:]
		q := "SELECT canonical_url, id FROM articles WHERE canonical_url IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
		rows, err := c.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var url string
			var id int64
			if err := rows.Scan(&url, &id); err != nil {
				rows.Close()
				return err
			}
			c.stored[url] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
