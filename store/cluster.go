package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/breachwire/breachwire/extract"
)

// placement is where assignStory put an article.
type placement struct {
	storyID     int64
	duplicateOf int64
}

// assignStory places a newly inserted article in a story. This first version
// gives every article its own story; the clustering issue replaces it.
func assignStory(ctx context.Context, tx *sql.Tx, now time.Time, articleID int64, a *extract.Article) (placement, error) {
	seen := a.Published
	if seen.IsZero() {
		seen = now
	}
	var files any
	for _, f := range a.Figures {
		if f.Kind == extract.KindFiles || f.Kind == extract.KindDocuments {
			if cur, ok := files.(int64); !ok || f.Value > cur {
				files = f.Value
			}
		}
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO stories
		(title, first_seen, last_seen, primary_company, files, relevance, article_count, site_count, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?)`,
		a.Title, timeValue(seen), timeValue(seen), a.PrimaryCompany(), files, a.Relevance, timeValue(now), timeValue(now))
	if err != nil {
		return placement{}, err
	}
	storyID, err := r.LastInsertId()
	if err != nil {
		return placement{}, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE articles SET story_id = ? WHERE id = ?", storyID, articleID); err != nil {
		return placement{}, err
	}
	return placement{storyID: storyID}, nil
}
