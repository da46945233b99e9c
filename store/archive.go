package store

import (
	"context"
	"errors"
	"io"
)

// ImportOptions tunes ImportJSONL.
type ImportOptions struct {
	// Progress, if set, is called after each batch with lines read so far.
	Progress func(lines int)
	// Reject, if set, is called for each line that could not be imported,
	// with its 1-based line number and the reason; the import goes on.
	Reject func(line int, err error)
	// Workers extracting in parallel (0: number of CPUs).
	Workers int
}

// ImportStats counts what ImportJSONL did.
type ImportStats struct {
	Lines      int `json:"lines"`
	Added      int `json:"added"`
	Duplicates int `json:"duplicates"`
	Existing   int `json:"existing"`
	Rejected   int `json:"rejected"`
}

// ImportJSONL loads an archive of articles, one JSON object a line:
// {"url","title","published","site", "html" or "text"}, through the same
// extract and store path as polling.
func (db *DB) ImportJSONL(ctx context.Context, r io.Reader, opts ImportOptions) (ImportStats, error) {
	return ImportStats{}, errors.New("store: import: not implemented yet")
}
