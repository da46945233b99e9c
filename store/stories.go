package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Story is one incident with its reports; its JSON is the `stories` and
// `show` output of DESIGN.md.
type Story struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Companies named by the story's reports, the primary company first,
	// then by how often they are named.
	Companies      []string `json:"companies"`
	PrimaryCompany string   `json:"primary_company"`
	// Agencies named by the story's reports, most often named first.
	Agencies []string `json:"agencies"`
	// Files is the largest credible exposed-files (or documents) figure.
	Files        *int64         `json:"files"`
	Relevance    float64        `json:"relevance"`
	ArticleCount int            `json:"article_count"`
	SiteCount    int            `json:"site_count"`
	Articles     []StoryArticle `json:"articles"`
}

// StoryArticle is one report of a story.
type StoryArticle struct {
	ID          int64      `json:"id"`
	URL         string     `json:"url"`
	Site        string     `json:"site"`
	Title       string     `json:"title"`
	Published   *time.Time `json:"published"`
	DuplicateOf *int64     `json:"duplicate_of"`
}

// defaultStoriesLimit caps Stories when Filter.Limit is 0.
const defaultStoriesLimit = 100

// Stories lists stories, newest (last_seen) first, narrowed by f: a story
// is in when any of its reports names f.Company or f.Agency, when its time
// span overlaps Since..Until, when its files figure is at least MinFiles,
// and, unless f.All, when it is relevant.
func (db *DB) Stories(ctx context.Context, f Filter) ([]Story, error) {
	where, args, err := db.storyFilter(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultStoriesLimit
	}
	q := storyColumns + " FROM stories s"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY s.last_seen DESC, s.id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	stories := []Story{}
	for rows.Next() {
		s, err := scanStory(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: stories: %w", err)
		}
		stories = append(stories, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	if err := db.fillStories(ctx, stories); err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	return stories, nil
}

// Story returns one story with all its articles, or ErrNotFound.
func (db *DB) Story(ctx context.Context, id int64) (Story, error) {
	row := db.read.QueryRowContext(ctx, storyColumns+" FROM stories s WHERE s.id = ?", id)
	s, err := scanStory(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Story{}, fmt.Errorf("story %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Story{}, fmt.Errorf("store: story %d: %w", id, err)
	}
	stories := []Story{s}
	if err := db.fillStories(ctx, stories); err != nil {
		return Story{}, fmt.Errorf("store: story %d: %w", id, err)
	}
	return stories[0], nil
}

const storyColumns = `SELECT s.id, s.title, s.first_seen, s.last_seen, s.primary_company,
	s.files, s.relevance, s.article_count, s.site_count`

func scanStory(row interface{ Scan(...any) error }) (Story, error) {
	var (
		s                   Story
		firstSeen, lastSeen sql.NullString
		files               sql.NullInt64
	)
	if err := row.Scan(&s.ID, &s.Title, &firstSeen, &lastSeen, &s.PrimaryCompany,
		&files, &s.Relevance, &s.ArticleCount, &s.SiteCount); err != nil {
		return Story{}, err
	}
	s.FirstSeen = parseTime(firstSeen)
	s.LastSeen = parseTime(lastSeen)
	s.Files = nullInt(files)
	s.Companies = []string{}
	s.Agencies = []string{}
	s.Articles = []StoryArticle{}
	return s, nil
}

// fillStories adds each story's articles, companies and agencies, with one
// query for each rather than one per story.
func (db *DB) fillStories(ctx context.Context, stories []Story) error {
	if len(stories) == 0 {
		return nil
	}
	index := make(map[int64]int, len(stories))
	ids := make([]int64, len(stories))
	for i, s := range stories {
		index[s.ID] = i
		ids[i] = s.ID
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	// Undated reports sort last; the rest in the order they were published.
	rows, err := db.read.QueryContext(ctx, `SELECT story_id, id, url, site, title, published, duplicate_of
		FROM articles WHERE story_id IN (SELECT value FROM json_each(?))
		ORDER BY story_id, published IS NULL, published, id`, string(idList))
	if err != nil {
		return err
	}
	for rows.Next() {
		var (
			storyID     int64
			a           StoryArticle
			published   sql.NullString
			duplicateOf sql.NullInt64
		)
		if err := rows.Scan(&storyID, &a.ID, &a.URL, &a.Site, &a.Title, &published, &duplicateOf); err != nil {
			rows.Close()
			return err
		}
		a.Published = nullTime(published)
		a.DuplicateOf = nullInt(duplicateOf)
		s := &stories[index[storyID]]
		s.Articles = append(s.Articles, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = db.read.QueryContext(ctx, `SELECT a.story_id, e.kind, e.name
		FROM articles a JOIN mentions m ON m.article_id = a.id JOIN entities e ON e.id = m.entity_id
		WHERE a.story_id IN (SELECT value FROM json_each(?))
		GROUP BY a.story_id, e.id
		ORDER BY a.story_id, max(m.is_primary) DESC, sum(m.count) DESC, e.name`, string(idList))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			storyID    int64
			kind, name string
		)
		if err := rows.Scan(&storyID, &kind, &name); err != nil {
			return err
		}
		s := &stories[index[storyID]]
		if kind == "company" {
			s.Companies = append(s.Companies, name)
		} else {
			s.Agencies = append(s.Agencies, name)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// The story's own primary company leads even when one report named
	// another company more often.
	for i := range stories {
		s := &stories[i]
		if s.PrimaryCompany == "" {
			continue
		}
		for j, c := range s.Companies {
			if c == s.PrimaryCompany {
				copy(s.Companies[1:j+1], s.Companies[:j])
				s.Companies[0] = c
				break
			}
		}
	}
	return nil
}

// storyEntityScanMin is the number of reports naming an entity from which
// Stories, filtering by it, walks the stories newest first asking of each
// whether a report names it, rather than collecting the stories of every
// report that does.
const storyEntityScanMin = 2000

// storyFilter returns SQL conditions and arguments narrowing stories,
// aliased s, by f.
func (db *DB) storyFilter(ctx context.Context, f Filter) ([]string, []any, error) {
	var where []string
	var args []any
	if !f.All {
		where = append(where, "s.relevance >= ?")
		args = append(args, RelevanceThreshold)
	}
	if !f.Since.IsZero() {
		where = append(where, "s.last_seen >= ?")
		args = append(args, timeValue(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "s.first_seen <= ?")
		args = append(args, timeValue(f.Until))
	}
	for _, e := range []struct{ kind, name string }{{"company", f.Company}, {"agency", f.Agency}} {
		if e.name == "" {
			continue
		}
		// A rarely named entity: its few reports give their stories. A
		// common one: the newest stories soon include enough that name
		// it, each checked through its reports' mentions.
		cond, a := mentionsEntity(e.kind, e.name)
		var n int
		if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM ("+cond+" LIMIT ?)",
			append(slices.Clip(a), storyEntityScanMin)...).Scan(&n); err != nil {
			return nil, nil, err
		}
		if n < storyEntityScanMin {
			where = append(where, "s.id IN (SELECT story_id FROM articles WHERE story_id IS NOT NULL AND id IN ("+cond+"))")
			args = append(args, a...)
			continue
		}
		ids, a := entityIDs(e.kind, e.name)
		where = append(where, `EXISTS (SELECT 1 FROM articles sa JOIN mentions sm ON sm.article_id = sa.id
			WHERE sa.story_id = s.id AND sm.entity_id IN (`+ids+`))`)
		args = append(args, a...)
	}
	if f.MinFiles > 0 {
		where = append(where, "s.files >= ?")
		args = append(args, f.MinFiles)
	}
	return where, args, nil
}
