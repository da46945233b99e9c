package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breachwire/breachwire/fetch"
	"github.com/breachwire/breachwire/store"
)

const feedsUsage = `add URL [--name NAME] | import FILE.opml | export | list [--format table|json] | remove URL`

func runFeeds(ctx context.Context, app *app, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := app.flags("feeds", feedsUsage)
		if _, err := app.parse(fs, args); err != nil {
			return err
		}
		return usagef("needs a subcommand: %s", feedsUsage)
	}
	// Errors then read "breachwire feeds add: ...".
	app.name = "feeds " + args[0]
	switch sub, rest := args[0], args[1:]; sub {
	case "add":
		return runFeedsAdd(ctx, app, rest)
	case "import":
		return runFeedsImport(ctx, app, rest)
	case "export":
		return runFeedsExport(ctx, app, rest)
	case "list":
		return runFeedsList(ctx, app, rest)
	case "remove", "rm":
		return runFeedsRemove(ctx, app, rest)
	default:
		app.name = "feeds"
		return usagef("unknown subcommand %q; use %s", sub, feedsUsage)
	}
}

func runFeedsAdd(ctx context.Context, app *app, args []string) error {
	fs := app.flags("feeds add", "URL [--name NAME]")
	name := fs.String("name", "", "display `name` (default: the feed's own title)")
	rest, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("needs exactly one URL")
	}
	raw := strings.TrimSpace(rest[0])
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("%q is not an http or https URL", rest[0])
	}
	db, err := app.openDB(ctx)
	if err != nil {
		return err
	}
	client := newFetchClient(app, app.cfg.Fetch.AllowPrivate)
	d, err := client.Discover(ctx, raw)
	if err != nil {
		return fmt.Errorf("not added: %w", err)
	}
	feed := fetch.Feed{URL: d.URL, Name: *name, SiteURL: d.Feed.SiteURL, Source: "user"}
	if feed.Name == "" {
		feed.Name = d.Feed.Title
	}
	_, created, err := db.AddFeed(ctx, feed)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%s (%q, %d items)", d.URL, feed.Name, len(d.Feed.Items))
	switch {
	case !created:
		fmt.Fprintf(app.stdout, "already in the list: %s\n", d.URL)
	case d.Page != "":
		fmt.Fprintf(app.stdout, "%s is a web page; added the feed it links to: %s\n", d.Page, what)
	default:
		fmt.Fprintf(app.stdout, "added %s\n", what)
	}
	return nil
}

func runFeedsImport(ctx context.Context, app *app, args []string) error {
	fs := app.flags("feeds import", "FILE.opml|-")
	rest, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("needs one OPML file (or - for stdin)")
	}
	var r io.Reader = app.stdin
	if rest[0] != "-" {
		f, err := os.Open(rest[0])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	feeds, err := fetch.ParseOPML(r)
	if err != nil {
		return usagef("%s: %v", rest[0], err)
	}
	db, err := app.openDB(ctx)
	if err != nil {
		return err
	}
	added := 0
	for _, f := range feeds {
		_, created, err := db.AddFeed(ctx, f)
		if err != nil {
			return err
		}
		if created {
			added++
		}
	}
	fmt.Fprintf(app.stdout, "imported %d feeds (%d already in the list)\n", added, len(feeds)-added)
	return nil
}

// listedFeeds returns every feed, first seeding the embedded default list
// into a database that has none (as the first poll would).
func listedFeeds(ctx context.Context, app *app) ([]fetch.Feed, *store.DB, error) {
	db, err := app.openDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.SeedFeeds(ctx, fetch.DefaultFeeds()); err != nil {
		return nil, nil, err
	}
	feeds, err := db.Feeds(ctx)
	return feeds, db, err
}

func runFeedsExport(ctx context.Context, app *app, args []string) error {
	fs := app.flags("feeds export", "(OPML on stdout)")
	rest, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("takes no arguments; it writes OPML to stdout")
	}
	feeds, _, err := listedFeeds(ctx, app)
	if err != nil {
		return err
	}
	return fetch.WriteOPML(app.stdout, "breachwire feeds", feeds, time.Now())
}

func runFeedsRemove(ctx context.Context, app *app, args []string) error {
	fs := app.flags("feeds remove", "URL")
	rest, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("needs exactly one feed URL (as shown by feeds list)")
	}
	db, err := app.openDB(ctx)
	if err != nil {
		return err
	}
	if err := db.RemoveFeed(ctx, rest[0]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return usagef("no feed with URL %s; see `breachwire feeds list`", rest[0])
		}
		return err
	}
	fmt.Fprintf(app.stdout, "removed %s (its articles stay)\n", rest[0])
	return nil
}

// feedJSON is one feed in `feeds list --format json`; the field names are a
// public contract.
type feedJSON struct {
	ID                int64      `json:"id"`
	Name              string     `json:"name"`
	URL               string     `json:"url"`
	SiteURL           string     `json:"site_url"`
	Source            string     `json:"source"`
	AddedAt           *time.Time `json:"added_at"`
	LastPoll          *time.Time `json:"last_poll"`
	LastSuccess       *time.Time `json:"last_success"`
	ConsecutiveErrors int        `json:"consecutive_errors"`
	ErrorCount        int        `json:"error_count"`
	LastError         string     `json:"last_error"`
	NextPoll          *time.Time `json:"next_poll"`
	PollInterval      int64      `json:"poll_interval_seconds"`
	ItemsSeen         int        `json:"items_seen"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func runFeedsList(ctx context.Context, app *app, args []string) error {
	fs := app.flags("feeds list", "[--format table|json]")
	format := fs.String("format", "table", "output `format`: table or json")
	rest, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("takes no arguments")
	}
	if err := checkFormat(*format, "table", "json"); err != nil {
		return err
	}
	feeds, _, err := listedFeeds(ctx, app)
	if err != nil {
		return err
	}
	if *format == "json" {
		out := make([]feedJSON, 0, len(feeds))
		for _, f := range feeds {
			out = append(out, feedJSON{
				ID: f.ID, Name: f.Name, URL: f.URL, SiteURL: f.SiteURL, Source: f.Source,
				AddedAt: timePtr(f.AddedAt), LastPoll: timePtr(f.LastPollAt), LastSuccess: timePtr(f.LastSuccessAt),
				ConsecutiveErrors: f.ConsecutiveErrors, ErrorCount: f.ErrorCount, LastError: f.LastError,
				NextPoll: timePtr(f.NextPollAt), PollInterval: int64(f.PollInterval / time.Second), ItemsSeen: f.ItemsSeen,
			})
		}
		return writeJSON(app.stdout, out)
	}
	tw := tabwriter.NewWriter(app.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tLAST POLL\tLAST SUCCESS\tERRORS\tNEXT POLL\tLAST ERROR")
	now := time.Now()
	for _, f := range feeds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n",
			clipCell(f.Name, 30), f.URL, ago(f.LastPollAt, now), ago(f.LastSuccessAt, now),
			f.ConsecutiveErrors, f.ErrorCount, ago(f.NextPollAt, now), clipCell(f.LastError, 80))
	}
	return tw.Flush()
}

// ago renders a time relative to now for the table: "5m ago", "in 2h", "-".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	if d < 0 {
		return "in " + roughDuration(-d)
	}
	return roughDuration(d) + " ago"
}

func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// clipCell shortens s to n runes for a table cell.
func clipCell(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
