package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/breachwire/breachwire/extract"
)

// ExportedArticle is one stored article with its story, entities and
// figures; its JSON is a line of `export --format jsonl` (DESIGN.md).
type ExportedArticle struct {
	ID           int64             `json:"id"`
	URL          string            `json:"url"`
	CanonicalURL string            `json:"canonical_url"`
	Title        string            `json:"title"`
	Published    *time.Time        `json:"published"`
	Site         string            `json:"site"`
	Text         string            `json:"text"`
	StoryID      *int64            `json:"story_id"`
	DuplicateOf  *int64            `json:"duplicate_of"`
	Relevance    float64           `json:"relevance"`
	Companies    []extract.Company `json:"companies"`
	Agencies     []extract.Agency  `json:"agencies"`
	Figures      []extract.Figure  `json:"figures"`
	FetchError   string            `json:"fetch_error"`
}

// Export calls fn for every stored article in id order, streaming: rows are
// read one at a time from one consistent snapshot, so the database may be
// far larger than memory. An error from fn stops the export and is returned
// as it is.
func (db *DB) Export(ctx context.Context, fn func(*ExportedArticle) error) error {
	// The entity and figure lists come as JSON from correlated subqueries,
	// one statement for the whole export instead of three queries an article.
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.url, a.canonical_url, a.title, a.published,
		a.site, a.text, a.story_id, a.duplicate_of, a.relevance, a.fetch_error,
		(SELECT json_group_array(json_object('name', name, 'mentions', count, 'primary', json(primary_flag), 'country', country))
			FROM (SELECT e.name, m.count, CASE WHEN m.is_primary THEN 'true' ELSE 'false' END AS primary_flag, e.country
				FROM mentions m JOIN entities e ON e.id = m.entity_id
				WHERE m.article_id = a.id AND e.kind = 'company'
				ORDER BY m.is_primary DESC, m.count DESC, e.name)),
		(SELECT json_group_array(json_object('name', name, 'mentions', count, 'country', country))
			FROM (SELECT e.name, m.count, e.country
				FROM mentions m JOIN entities e ON e.id = m.entity_id
				WHERE m.article_id = a.id AND e.kind = 'agency'
				ORDER BY m.count DESC, e.name)),
		(SELECT json_group_array(json_object('kind', kind, 'value', value, 'approx', json(approx_flag), 'text', text))
			FROM (SELECT kind, value, CASE WHEN approx THEN 'true' ELSE 'false' END AS approx_flag, text
				FROM figures WHERE article_id = a.id ORDER BY id))
		FROM articles a ORDER BY a.id`)
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a                            ExportedArticle
			published                    sql.NullString
			storyID, duplicateOf         sql.NullInt64
			companies, agencies, figures string
		)
		if err := rows.Scan(&a.ID, &a.URL, &a.CanonicalURL, &a.Title, &published, &a.Site, &a.Text,
			&storyID, &duplicateOf, &a.Relevance, &a.FetchError, &companies, &agencies, &figures); err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		a.Published = nullTime(published)
		a.StoryID = nullInt(storyID)
		a.DuplicateOf = nullInt(duplicateOf)
		if err := unmarshalList(companies, &a.Companies); err != nil {
			return fmt.Errorf("store: export article %d: companies: %w", a.ID, err)
		}
		if err := unmarshalList(agencies, &a.Agencies); err != nil {
			return fmt.Errorf("store: export article %d: agencies: %w", a.ID, err)
		}
		if err := unmarshalList(figures, &a.Figures); err != nil {
			return fmt.Errorf("store: export article %d: figures: %w", a.ID, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

// unmarshalList decodes a JSON array into *v, leaving an empty (not nil)
// slice for "[]" so that the output says [] rather than null.
func unmarshalList[T any](text string, v *[]T) error {
	*v = []T{}
	if text == "" {
		return nil
	}
	return json.Unmarshal([]byte(text), v)
}
