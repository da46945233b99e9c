package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/breachwire/breachwire/store"
)

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// isTerminal reports whether w is a character device (an interactive terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// checkFormat returns a usage error unless format is one of allowed.
func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usagef("--format %q is not one of %s", format, strings.Join(allowed, ", "))
}

// progress draws a one-line progress bar on a terminal and nothing elsewhere,
// so piped output stays clean.
type progress struct {
	w      io.Writer
	label  string
	total  int
	start  time.Time
	mu     sync.Mutex
	done   int
	last   time.Time
	active bool
}

// newProgress returns a bar for total items (0 if unknown) drawn on w when w
// is a terminal.
func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, label: label, total: total, start: time.Now(), active: isTerminal(w)}
}

// Add records n more items done and redraws at most ten times a second.
func (p *progress) Add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if !p.active || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw()
}

func (p *progress) draw() {
	rate := float64(p.done) / max(time.Since(p.start).Seconds(), 1e-9)
	if p.total > 0 {
		const width = 30
		filled := min(width, p.done*width/p.total)
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d  %.0f/s ", p.label, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.done, p.total, rate)
		return
	}
	fmt.Fprintf(p.w, "\r%s %d  %.0f/s ", p.label, p.done, rate)
}

// Finish draws the final state and ends the line.
func (p *progress) Finish() {
	if p == nil || !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
	fmt.Fprintln(p.w)
}

// filterFlags registers the shared filters: --company, --agency, --since,
// --until, --min-files, --all. Call resolve after parsing.
type filterFlags struct {
	company, agency, since, until string
	minFiles                      int64
	all                           bool
	limit                         int
}

func addFilterFlags(fs *flag.FlagSet) *filterFlags {
	f := &filterFlags{}
	fs.StringVar(&f.company, "company", "", "only reports naming this company (canonical name or alias)")
	fs.StringVar(&f.agency, "agency", "", "only reports naming this agency (canonical name or alias)")
	fs.StringVar(&f.since, "since", "", "only reports published on or after `DATE` (2006-01-02, RFC 3339, or 7d/24h ago)")
	fs.StringVar(&f.until, "until", "", "only reports published before the end of `DATE`")
	fs.Int64Var(&f.minFiles, "min-files", 0, "only incidents with at least `N` exposed files")
	fs.BoolVar(&f.all, "all", false, "include reports that are not defense-contractor cyber incidents")
	fs.IntVar(&f.limit, "limit", 0, "at most `N` rows (default: command's own)")
	return f
}

func (f *filterFlags) resolve(now time.Time) (store.Filter, error) {
	out := store.Filter{Company: f.company, Agency: f.agency, MinFiles: f.minFiles, All: f.all, Limit: f.limit}
	var err error
	if out.Since, err = parseDate(f.since, now, false); err != nil {
		return out, usagef("--since: %v", err)
	}
	if out.Until, err = parseDate(f.until, now, true); err != nil {
		return out, usagef("--until: %v", err)
	}
	if f.minFiles < 0 {
		return out, usagef("--min-files must not be negative")
	}
	if f.limit < 0 {
		return out, usagef("--limit must not be negative")
	}
	return out, nil
}

// parseDate reads 2006-01-02, RFC 3339, or a relative "7d"/"36h" before now.
// A bare date used as an upper bound means the end of that day.
func parseDate(s string, now time.Time, endOfDay bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && days >= 0 {
			return now.Add(-time.Duration(days) * 24 * time.Hour).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date; use 2006-01-02, RFC 3339, or a span like 7d or 24h", s)
}
