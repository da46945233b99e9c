package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/breachwire/breachwire/store"
)

func runShow(ctx context.Context, app *app, args []string) error {
	fs := app.flags("show", "STORY_ID [--format table|json]")
	format := fs.String("format", "table", "output `format`: table or json")
	pos, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkFormat(*format, "table", "json"); err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("show takes one STORY_ID (see breachwire stories), got %d arguments", len(pos))
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("STORY_ID %q is not a story number; see breachwire stories", pos[0])
	}
	db, err := app.openExistingDB(ctx)
	if err != nil {
		return err
	}
	s, err := db.Story(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("story %d not found", id)
	}
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(app.stdout, s)
	}
	return writeStoryTable(app.stdout, s)
}

func writeStoryTable(w io.Writer, s store.Story) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "story %d\t%s\n", s.ID, s.Title)
	fmt.Fprintf(tw, "seen\t%s to %s\n", timeText(&s.FirstSeen), timeText(&s.LastSeen))
	fmt.Fprintf(tw, "primary company\t%s\n", orDash(s.PrimaryCompany))
	fmt.Fprintf(tw, "companies\t%s\n", orDash(strings.Join(s.Companies, ", ")))
	fmt.Fprintf(tw, "agencies\t%s\n", orDash(strings.Join(s.Agencies, ", ")))
	fmt.Fprintf(tw, "files\t%s\n", filesCell(s.Files))
	fmt.Fprintf(tw, "relevance\t%.2f\n", s.Relevance)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Articles) == 1 {
		fmt.Fprintf(w, "\n1 report:\n")
	} else {
		fmt.Fprintf(w, "\n%d reports:\n", len(s.Articles))
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ARTICLE\tPUBLISHED\tSITE\tTITLE\tURL")
	for _, a := range s.Articles {
		title := clip(a.Title, 60)
		if a.DuplicateOf != nil {
			title = fmt.Sprintf("(copy of %d) %s", *a.DuplicateOf, clip(a.Title, 48))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", a.ID, dateCell(a.Published), clip(a.Site, 24), title, a.URL)
	}
	return tw.Flush()
}
