package store

import (
	"context"
	"errors"
	"time"
)

// Story is one incident with its reports; its JSON is the `stories` and
// `show` output of DESIGN.md.
type Story struct {
	ID             int64          `json:"id"`
	Title          string         `json:"title"`
	FirstSeen      time.Time      `json:"first_seen"`
	LastSeen       time.Time      `json:"last_seen"`
	Companies      []string       `json:"companies"`
	PrimaryCompany string         `json:"primary_company"`
	Agencies       []string       `json:"agencies"`
	Files          *int64         `json:"files"`
	Relevance      float64        `json:"relevance"`
	ArticleCount   int            `json:"article_count"`
	SiteCount      int            `json:"site_count"`
	Articles       []StoryArticle `json:"articles"`
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

// Stories lists stories, newest (last_seen) first, narrowed by f.
func (db *DB) Stories(ctx context.Context, f Filter) ([]Story, error) {
	return nil, errors.New("store: stories: not implemented yet")
}

// Story returns one story with all its articles, or ErrNotFound.
func (db *DB) Story(ctx context.Context, id int64) (Story, error) {
	return Story{}, errors.New("store: story: not implemented yet")
}
