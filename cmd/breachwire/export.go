package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

func runExport(ctx context.Context, app *app, args []string) error {
	fs := app.flags("export", "[--format jsonl|csv]")
	format := fs.String("format", "jsonl", "output `format`: jsonl (one JSON object a line) or csv")
	pos, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkFormat(*format, "jsonl", "csv"); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("export takes no arguments, got %q; it writes to standard output", pos[0])
	}
	db, err := app.openExistingDB(ctx)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(app.stdout, 64<<10)
	var (
		write func(*store.ExportedArticle) error
		cw    *csv.Writer
	)
	if *format == "csv" {
		cw = csv.NewWriter(out)
		cw.Write([]string{"id", "url", "canonical_url", "title", "published", "site", "text", "story_id",
			"duplicate_of", "relevance", "companies", "agencies", "figures", "fetch_error"})
		write = func(a *store.ExportedArticle) error {
			return cw.Write([]string{strconv.FormatInt(a.ID, 10), a.URL, a.CanonicalURL, a.Title,
				timeText(a.Published), a.Site, a.Text, idText(a.StoryID), idText(a.DuplicateOf),
				strconv.FormatFloat(a.Relevance, 'f', -1, 64), companyNames(a.Companies),
				agencyNames(a.Agencies), figureList(a.Figures), a.FetchError})
		}
	} else {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		write = func(a *store.ExportedArticle) error { return enc.Encode(a) }
	}
	if err := db.Export(ctx, write); err != nil {
		return err
	}
	if cw != nil {
		cw.Flush()
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing the export: %w", err)
	}
	return nil
}

func companyNames(cs []extract.Company) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, "; ")
}

func agencyNames(as []extract.Agency) string {
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	return strings.Join(names, "; ")
}

// figureList writes figures as "files=27445; records~1000000", ~ marking an
// approximate count.
func figureList(fs []extract.Figure) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		op := "="
		if f.Approx {
			op = "~"
		}
		parts[i] = f.Kind + op + strconv.FormatInt(f.Value, 10)
	}
	return strings.Join(parts, "; ")
}
