package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breachwire/breachwire/store"
)

func runStories(ctx context.Context, app *app, args []string) error {
	fs := app.flags("stories", "[filters] [--format table|json|csv]")
	filters := addFilterFlags(fs)
	format := fs.String("format", "table", "output `format`: table, json or csv")
	pos, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkFormat(*format, "table", "json", "csv"); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("stories takes no arguments, got %q; to see one story use breachwire show STORY_ID", pos[0])
	}
	f, err := filters.resolve(time.Now())
	if err != nil {
		return err
	}
	db, err := app.openExistingDB(ctx)
	if err != nil {
		return err
	}
	stories, err := db.Stories(ctx, f)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return writeJSON(app.stdout, stories)
	case "csv":
		return writeStoriesCSV(app.stdout, stories)
	}
	return writeStoriesTable(app.stdout, stories)
}

func writeStoriesTable(w io.Writer, stories []store.Story) error {
	if len(stories) == 0 {
		_, err := fmt.Fprintln(w, "no stories (--all includes those below the relevance threshold)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLAST SEEN\tREPORTS\tCOMPANY\tFILES\tREL\tTITLE")
	for _, s := range stories {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%.2f\t%s\n", s.ID, dateCell(&s.LastSeen), len(s.Articles),
			clip(orDash(s.PrimaryCompany), 24), filesCell(s.Files), s.Relevance, clip(s.Title, 70))
	}
	return tw.Flush()
}

func writeStoriesCSV(w io.Writer, stories []store.Story) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "title", "first_seen", "last_seen", "primary_company", "companies", "agencies", "files", "relevance", "articles"})
	for _, s := range stories {
		cw.Write([]string{strconv.FormatInt(s.ID, 10), s.Title, timeText(&s.FirstSeen), timeText(&s.LastSeen),
			s.PrimaryCompany, strings.Join(s.Companies, "; "), strings.Join(s.Agencies, "; "),
			idText(s.Files), strconv.FormatFloat(s.Relevance, 'f', -1, 64), strconv.Itoa(len(s.Articles))})
	}
	cw.Flush()
	return cw.Error()
}

// filesCell shows a files figure with thousands separators, "-" when absent.
func filesCell(n *int64) string {
	if n == nil {
		return "-"
	}
	return thousands(*n)
}

// thousands writes n with thousands separators: 27,445.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
