package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breachwire/breachwire/store"
)

func runSearch(ctx context.Context, app *app, args []string) error {
	fs := app.flags("search", "QUERY [filters] [--rank-all] [--format table|json|csv]")
	filters := addFilterFlags(fs)
	rankAll := fs.Bool("rank-all", false, fmt.Sprintf("rank every match, not only the %s newest (slower for common words)", thousands(int64(store.SearchRankMax))))
	format := fs.String("format", "table", "output `format`: table, json or csv")
	pos, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkFormat(*format, "table", "json", "csv"); err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("search needs a QUERY, e.g. breachwire search 'NEC AND files'")
	}
	// Several arguments are one query, as a shell user typing words expects.
	query := strings.Join(pos, " ")
	f, err := filters.resolve(time.Now())
	if err != nil {
		return err
	}
	// A malformed query is the caller's mistake whether or not a database exists.
	if _, err := store.TranslateQuery(query); err != nil {
		return usageError{err.Error()}
	}
	db, err := app.openExistingDB(ctx)
	if err != nil {
		return err
	}
	results, ranking, err := db.Search(ctx, query, f, store.SearchOptions{RankAll: *rankAll})
	if errors.Is(err, store.ErrBadQuery) {
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		err = writeJSON(app.stdout, results)
	case "csv":
		err = writeSearchCSV(app.stdout, results)
	default:
		err = writeSearchTable(app.stdout, results)
	}
	if err != nil {
		return err
	}
	if ranking.Cut {
		// On stderr, so that json and csv stay as they are; after the
		// results, so that a reader at a terminal sees it last.
		n := thousands(int64(ranking.Ranked))
		fmt.Fprintf(app.stderr, "search: more than %s matches; ranked the %s newest (--rank-all ranks every match, slower; --since/--until narrow by date)\n", n, n)
	}
	return nil
}

func writeSearchTable(w io.Writer, results []store.SearchResult) error {
	if len(results) == 0 {
		_, err := fmt.Fprintln(w, "no matching articles")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// Best match first; the score itself means little to a reader, so the
	// table leaves it to json and csv.
	fmt.Fprintln(tw, "ARTICLE\tSTORY\tPUBLISHED\tSITE\tTITLE / SNIPPET")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ArticleID, idCell(r.StoryID),
			dateCell(r.Published), clip(r.Site, 24), clip(r.Title, 70))
		fmt.Fprintf(tw, "\t\t\t\t%s\n", clip(r.Snippet, 100))
	}
	return tw.Flush()
}

func writeSearchCSV(w io.Writer, results []store.SearchResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"article_id", "story_id", "url", "title", "published", "site", "snippet", "score"})
	for _, r := range results {
		cw.Write([]string{strconv.FormatInt(r.ArticleID, 10), idText(r.StoryID), r.URL, r.Title,
			timeText(r.Published), r.Site, r.Snippet, strconv.FormatFloat(r.Score, 'g', -1, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// clip shortens s to at most n runes for a table cell, marking the cut, and
// folds whitespace so a cell stays on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// idCell shows an optional id in a table ("-" when absent).
func idCell(id *int64) string {
	if id == nil {
		return "-"
	}
	return strconv.FormatInt(*id, 10)
}

// idText writes an optional id in CSV (empty when absent).
func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// dateCell shows the day of an optional time in a table.
func dateCell(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

// timeText writes an optional time as RFC 3339 UTC (empty when absent).
func timeText(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
