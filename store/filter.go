package store

import "time"

// Filter narrows stories, search results and exports. The zero Filter shows
// every relevant row.
type Filter struct {
	// Company and Agency match canonical names and aliases, case-insensitively.
	Company string
	Agency  string
	// Since and Until bound the published time (zero: unbounded).
	Since time.Time
	Until time.Time
	// MinFiles keeps stories (or articles) with an exposed-files figure of at least this.
	MinFiles int64
	// All includes articles and stories below the relevance threshold.
	All bool
	// Limit caps the number of rows (0: the query's default).
	Limit int
}

// RelevanceThreshold is the score at and above which an article or story is
// shown by default (`--all` shows the rest).
const RelevanceThreshold = 0.5
