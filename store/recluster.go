package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Recluster rebuilds every story from the stored articles, after the
// clustering rules or the extraction changed: duplicate links, stories and
// their fields are recomputed as if the articles were added again in order
// of publication. It runs in one transaction, so an interrupted run changes
// nothing. A rebuilt story keeps the id of its first report's old story
// where it can; old stories left without reports are deleted. progress, if
// set, is called now and then with articles done and the total.
func (db *DB) Recluster(ctx context.Context, progress func(done, total int)) error {
	if err := db.recluster(ctx, progress); err != nil {
		return fmt.Errorf("store: recluster: %w", err)
	}
	return nil
}

// unlinkArticles clears every article's story and original, a few
// thousand rows per statement: the writer keeps statement journals in
// memory, and one statement over all rows journals every page of the
// articles table, text included (a 100k recluster peaked at 470 MB).
func unlinkArticles(ctx context.Context, tx *sql.Tx) error {
	const chunk = 4096
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM articles").Scan(&last); err != nil {
		return err
	}
	for lo := int64(0); lo <= last; lo += chunk {
		if _, err := tx.ExecContext(ctx, `UPDATE articles SET story_id = NULL, duplicate_of = NULL
			WHERE id >= ? AND id < ? AND (story_id IS NOT NULL OR duplicate_of IS NOT NULL)`, lo, lo+chunk); err != nil {
			return err
		}
	}
	return nil
}

type reclusterItem struct {
	id      int64
	seen    string
	storyID int64
}

func (db *DB) recluster(ctx context.Context, progress func(done, total int)) error {
	var total int
	err := db.inClusterTx(ctx, func(c *clusterTx) error {
		tx := c.tx
		items, err := reclusterOrder(ctx, tx)
		if err != nil {
			return err
		}
		c.reuse = make(map[int64]int64, len(items))
		c.claimed = map[int64]bool{}
		for _, it := range items {
			if it.storyID != 0 {
				c.reuse[it.id] = it.storyID
			}
		}
		for _, q := range []string{
			"DELETE FROM story_terms",
			"DELETE FROM story_vectors",
			"DELETE FROM copy_keys",
			// Emptied stories are invisible to candidate look-ups until reused.
			"UPDATE stories SET article_count = 0, site_count = 0, primary_company = ''",
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if err := unlinkArticles(ctx, tx); err != nil {
			return err
		}
		c.resetDF()

		now := db.now()
		for i, it := range items {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				if progress != nil {
					progress(i, len(items))
				}
			}
			r, err := c.loadReport(ctx, it.id)
			if err != nil {
				return fmt.Errorf("article %d: %w", it.id, err)
			}
			if err := c.replace(ctx, now, r); err != nil {
				return fmt.Errorf("article %d: %w", it.id, err)
			}
		}
		// The single pass done, every story is refined as a batch (refine.go).
		var seeds []int64
		rows, err := tx.QueryContext(ctx, "SELECT id FROM stories WHERE article_count > 0")
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			seeds = append(seeds, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := c.refine(ctx, now, seeds); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM stories WHERE article_count = 0"); err != nil {
			return err
		}
		total = len(items)
		return nil
	})
	if err != nil {
		return err
	}
	if progress != nil {
		progress(total, total)
	}
	return nil
}

// reclusterOrder lists every article in order of publication (time stored
// when unknown), then id.
func reclusterOrder(ctx context.Context, tx *sql.Tx) ([]reclusterItem, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, coalesce(published, added_at), coalesce(story_id, 0) FROM articles")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []reclusterItem
	for rows.Next() {
		var it reclusterItem
		if err := rows.Scan(&it.id, &it.seen, &it.storyID); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(items, func(a, b reclusterItem) int {
		if c := strings.Compare(a.seen, b.seen); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	return items, nil
}

// loadReport reads back what clustering needs of a stored article.
func (c *clusterTx) loadReport(ctx context.Context, id int64) (report, error) {
	return scanReport(c.queryRow(ctx, reportQuery, id), id)
}

// reportQuery reads what loadReport needs of an article, by id.
const reportQuery = `SELECT a.title, a.text, a.site, a.published, a.added_at, a.relevance,
	coalesce((SELECT e.name FROM mentions m JOIN entities e ON e.id = m.entity_id
		WHERE m.article_id = a.id AND m.is_primary = 1 AND e.kind = 'company' LIMIT 1), ''),
	(SELECT max(value) FROM figures WHERE article_id = a.id AND +kind IN ('files', 'documents'))
	FROM articles a WHERE a.id = ?`

// scanReport reads report id from a row of reportQuery.
func scanReport(row *sql.Row, id int64) (report, error) {
	r := report{id: id}
	var published sql.NullString
	var added string
	err := row.Scan(&r.title, &r.text, &r.site, &published, &added, &r.relevance, &r.primary, &r.files)
	if err != nil {
		return r, err
	}
	r.seen = parseTime(published)
	if r.seen.IsZero() {
		r.seen = parseTime(sql.NullString{String: added, Valid: true})
	}
	if r.seen.IsZero() {
		r.seen = time.Now().UTC()
	}
	return r, nil
}
