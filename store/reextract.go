package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"

	"github.com/breachwire/breachwire/extract"
)

// ReextractOptions tunes Reextract.
type ReextractOptions struct {
	// BatchSize is the number of articles re-annotated and written per
	// transaction (0: 200).
	BatchSize int
	// Progress, if set, is called after each batch with the articles done
	// so far and the total.
	Progress func(done, total int)
}

// ReextractStats counts what Reextract did.
type ReextractStats struct {
	Articles int `json:"articles"`
	// Relevant is how many articles now score at or above RelevanceThreshold.
	Relevant int `json:"relevant"`
	// Stories is how many stories had their files, relevance and primary
	// company recomputed.
	Stories int `json:"stories"`
}

type reextractRow struct {
	id      int64
	storyID sql.NullInt64
	article extract.Article
}

// Reextract re-runs entity, figure and relevance extraction over every
// stored article's title and text (the HTML is not kept), after the
// gazetteers or rules have changed. Each batch replaces its articles'
// mentions, figures and relevance, and refreshes their stories' derived
// fields, in one transaction: an interrupted run leaves every article either
// old or new, never half-written, and running again finishes the job.
func (db *DB) Reextract(ctx context.Context, opts ReextractOptions) (ReextractStats, error) {
	var stats ReextractStats
	batch := opts.BatchSize
	if batch <= 0 {
		batch = 200
	}
	var total int
	if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM articles").Scan(&total); err != nil {
		return stats, fmt.Errorf("store: reextract: count articles: %w", err)
	}
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return stats, fmt.Errorf("store: reextract: %w", err)
		}
		rows, err := db.reextractBatch(ctx, after, batch)
		if err != nil {
			return stats, fmt.Errorf("store: reextract: read articles after id %d: %w", after, err)
		}
		if len(rows) == 0 {
			break
		}
		annotateAll(rows)
		stories, err := db.writeReextracted(ctx, rows)
		if err != nil {
			return stats, fmt.Errorf("store: reextract: write articles %d to %d: %w", rows[0].id, rows[len(rows)-1].id, err)
		}
		for _, r := range rows {
			if r.article.Relevance >= RelevanceThreshold {
				stats.Relevant++
			}
		}
		stats.Articles += len(rows)
		stats.Stories += stories
		after = rows[len(rows)-1].id
		if opts.Progress != nil {
			opts.Progress(stats.Articles, max(total, stats.Articles))
		}
	}
	return stats, nil
}

func (db *DB) reextractBatch(ctx context.Context, after int64, limit int) ([]reextractRow, error) {
	rs, err := db.read.QueryContext(ctx,
		"SELECT "+reextractColumns+" FROM articles WHERE id > ? ORDER BY id LIMIT ?", after, limit)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return scanReextractRows(rs)
}

// reextractColumns are the columns scanReextractRows reads, in order.
const reextractColumns = "id, url, title, text, site, story_id"

// scanReextractRows reads what extraction works from: the article's url,
// title, text and site (the HTML is not kept), and its story.
func scanReextractRows(rs *sql.Rows) ([]reextractRow, error) {
	var rows []reextractRow
	for rs.Next() {
		var r reextractRow
		a := &r.article
		if err := rs.Scan(&r.id, &a.URL, &a.Title, &a.Text, &a.Site, &r.storyID); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, rs.Err()
}

// annotateAll annotates a batch on every core; Annotate is pure.
func annotateAll(rows []reextractRow) {
	workers := min(runtime.GOMAXPROCS(0), len(rows))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rows); i += workers {
				extract.Annotate(&rows[i].article)
			}
		})
	}
	wg.Wait()
}

// writeReextracted replaces the facts of a batch and refreshes the stories
// they belong to; it returns the number of stories refreshed.
func (db *DB) writeReextracted(ctx context.Context, rows []reextractRow) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := writeReextractedTx(ctx, tx, rows)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return n, nil
}

// writeReextractedTx is writeReextracted within the caller's transaction
// (a retried page's new text is re-annotated this way too).
func writeReextractedTx(ctx context.Context, tx *sql.Tx, rows []reextractRow) (int, error) {
	stories := map[int64]bool{}
	for i := range rows {
		r := &rows[i]
		for _, q := range []string{
			"DELETE FROM mentions WHERE article_id = ?",
			"DELETE FROM figures WHERE article_id = ?",
		} {
			if _, err := tx.ExecContext(ctx, q, r.id); err != nil {
				return 0, err
			}
		}
		res, err := tx.ExecContext(ctx, "UPDATE articles SET relevance = ? WHERE id = ?", r.article.Relevance, r.id)
		if err != nil {
			return 0, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if n == 0 {
			continue // deleted since the batch was read
		}
		if err := writeFacts(ctx, tx, r.id, &r.article); err != nil {
			return 0, err
		}
		if r.storyID.Valid {
			stories[r.storyID.Int64] = true
		}
	}
	for id := range stories {
		if err := refreshStoryFacts(ctx, tx, id); err != nil {
			return 0, fmt.Errorf("story %d: %w", id, err)
		}
	}
	return len(stories), nil
}

// refreshStoryFacts recomputes the fields of a story that come from its
// reports' extraction: the largest exposed-files (or documents) figure, the
// highest relevance, and the company most often primary in its reports
// (earliest report first on a tie; unchanged when no report has one).
func refreshStoryFacts(ctx context.Context, tx *sql.Tx, storyID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE stories SET
		files = (SELECT max(f.value) FROM figures f JOIN articles a ON a.id = f.article_id
			WHERE a.story_id = ?1 AND f.kind IN ('`+extract.KindFiles+`', '`+extract.KindDocuments+`')),
		relevance = coalesce((SELECT max(relevance) FROM articles WHERE story_id = ?1), relevance),
		primary_company = coalesce((SELECT e.name FROM mentions m
			JOIN entities e ON e.id = m.entity_id JOIN articles a ON a.id = m.article_id
			WHERE a.story_id = ?1 AND m.is_primary = 1 AND e.kind = 'company'
			GROUP BY e.name ORDER BY count(*) DESC, min(a.id) LIMIT 1), primary_company)
		WHERE id = ?1`, storyID)
	return err
}
