package digest

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"unicode"

	"github.com/breachwire/breachwire/store"
)

// view is the digest as both renderings show it: every string from the web
// already folded to one clean line.
type view struct {
	Subject string
	Heading string
	Summary string
	New     []storyView
	Updates []storyView
	Failing []feedView
	Footer  footerView
}

type storyView struct {
	ID        int64
	Title     string
	Company   string
	Others    string
	Agencies  string
	Files     string
	FirstSeen string
	Reports   string
	// WhatsNew says how an update differs from what was sent.
	WhatsNew string
	Articles []articleView
}

type articleView struct {
	Outlet string
	Title  string
	URL    string
	New    bool
	Copy   bool
}

type feedView struct {
	Name   string
	URL    string
	Status string
	Error  string
}

type footerView struct {
	ShowCommand    string
	StoriesCommand string
	SQL            string
}

func (d *Digest) view() view {
	v := view{
		Subject: d.Subject(),
		Heading: "breachwire digest, " + d.Date.Format(dateLayout),
	}
	var counts []string
	if n := len(d.New); n > 0 {
		counts = append(counts, plural(n, "new incident", "new incidents"))
	}
	if n := len(d.Updates); n > 0 {
		counts = append(counts, plural(n, "update", "updates"))
	}
	if len(counts) == 0 {
		counts = append(counts, "Nothing new")
	}
	if d.Last.ID != 0 {
		v.Summary = fmt.Sprintf("%s since the last digest of %s.", strings.Join(counts, " and "), d.Last.SentAt.Format(dateLayout+" 15:04 MST"))
	} else {
		v.Summary = strings.Join(counts, " and ") + " (the first digest to this list)."
	}
	for _, s := range d.New {
		v.New = append(v.New, d.storyView(s))
	}
	for _, s := range d.Updates {
		v.Updates = append(v.Updates, d.storyView(s))
	}
	for _, f := range d.Failing {
		fv := feedView{Name: clean(f.Name), URL: clean(f.URL), Error: clean(f.LastError)}
		if fv.Name == "" {
			fv.Name = fv.URL
		}
		since := "never polled successfully"
		if !f.LastSuccess.IsZero() {
			since = "no successful poll since " + f.LastSuccess.In(d.Date.Location()).Format(dateLayout)
		}
		fv.Status = fmt.Sprintf("%s; %s in a row", since, plural(f.ConsecutiveErrors, "failure", "failures"))
		v.Failing = append(v.Failing, fv)
	}
	example := int64(1)
	if len(v.New) > 0 {
		example = v.New[0].ID
	} else if len(v.Updates) > 0 {
		example = v.Updates[0].ID
	}
	db := d.DBPath
	if db == "" {
		db = "breachwire.db"
	}
	v.Footer = footerView{
		ShowCommand:    fmt.Sprintf("breachwire show %d", example),
		StoriesCommand: "breachwire stories --since 7d",
		SQL: fmt.Sprintf(`sqlite3 %s "SELECT id, first_seen, primary_company, files, title FROM stories WHERE relevance >= %g ORDER BY last_seen DESC LIMIT 20"`,
			shellQuote(db), store.RelevanceThreshold),
	}
	return v
}

func (d *Digest) storyView(s store.DigestStory) storyView {
	sv := storyView{
		ID:        s.ID,
		Title:     clean(s.Title),
		Company:   clean(s.PrimaryCompany),
		Others:    cleanJoin(s.Companies),
		Agencies:  cleanJoin(s.Agencies),
		FirstSeen: s.FirstSeen.In(d.Date.Location()).Format(dateLayout),
		Reports:   plural(s.Reports, "report", "reports") + " from " + plural(s.Outlets, "outlet", "outlets"),
	}
	if sv.Title == "" {
		sv.Title = "(untitled)"
	}
	if s.Files != nil {
		sv.Files = formatCount(*s.Files) + " files"
	}
	if s.Update {
		var news []string
		if n := s.Reports - s.SentReports; n > 0 {
			news = append(news, plural(n, "new report", "new reports"))
		}
		switch {
		case s.Files != nil && s.SentFiles == nil:
			news = append(news, "exposed files now reported: "+sv.Files)
		case s.Files != nil && *s.Files != *s.SentFiles:
			news = append(news, fmt.Sprintf("exposed files now %s (was %s)", sv.Files, formatCount(*s.SentFiles)))
		}
		sv.WhatsNew = strings.Join(news, "; ")
		if !s.SentAt.IsZero() {
			sv.WhatsNew += " since the digest of " + s.SentAt.In(d.Date.Location()).Format(dateLayout)
		}
	}
	for _, a := range s.Articles {
		av := articleView{Title: clean(a.Title), URL: clean(a.URL), Outlet: clean(a.Site), New: a.New, Copy: a.DuplicateOf != 0}
		if av.Outlet == "" {
			if u, err := url.Parse(av.URL); err == nil {
				av.Outlet = u.Hostname()
			}
		}
		if av.Title == "" {
			av.Title = "(untitled)"
		}
		sv.Articles = append(sv.Articles, av)
	}
	return sv
}

// clean folds text from the web to one line: control characters (CR and LF
// among them), bidi controls and runs of white space become one space.
func clean(s string) string {
	// Long enough for any headline; a page that puts its whole text in the
	// title does not flood the digest.
	const limit = 300
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || isBidiControl(r)
	}), " ")
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit-1]) + "…"
	}
	return s
}

// isBidiControl reports the embedding, override and isolate controls that
// can make a headline display as something else.
func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

func cleanJoin(names []string) string {
	var out []string
	for _, n := range names {
		if n = clean(n); n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

// shellQuote quotes a path for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Text renders the plain-text part, readable on its own.
func (d *Digest) Text() string {
	v := d.view()
	var b strings.Builder
	b.WriteString(v.Heading + "\n")
	b.WriteString(v.Summary + "\n")
	section := func(title string) {
		fmt.Fprintf(&b, "\n\n%s\n%s\n", title, strings.Repeat("-", len(title)))
	}
	story := func(s storyView) {
		fmt.Fprintf(&b, "\n%s\n", s.Title)
		if s.WhatsNew != "" {
			fmt.Fprintf(&b, "  What's new:  %s\n", s.WhatsNew)
		}
		field := func(name, value string) {
			if value != "" {
				fmt.Fprintf(&b, "  %-12s %s\n", name+":", value)
			}
		}
		field("Company", s.Company)
		field("Also named", s.Others)
		field("Agencies", s.Agencies)
		field("Exposed", s.Files)
		field("First seen", s.FirstSeen)
		fmt.Fprintf(&b, "  %s:\n", s.Reports)
		for _, a := range s.Articles {
			mark := ""
			if a.New {
				mark = "[new] "
			}
			copyNote := ""
			if a.Copy {
				copyNote = " (copy)"
			}
			fmt.Fprintf(&b, "  - %s%s: %s%s\n    %s\n", mark, a.Outlet, a.Title, copyNote, a.URL)
		}
		fmt.Fprintf(&b, "  More: breachwire show %d\n", s.ID)
	}
	if len(v.New) > 0 {
		section("NEW INCIDENTS")
		for _, s := range v.New {
			story(s)
		}
	}
	if len(v.Updates) > 0 {
		section("UPDATES")
		for _, s := range v.Updates {
			story(s)
		}
	}
	if len(v.Failing) > 0 {
		section("FEEDS FAILING FOR MORE THAN A DAY")
		b.WriteString("\n")
		for _, f := range v.Failing {
			fmt.Fprintf(&b, "- %s <%s>\n  %s\n", f.Name, f.URL, f.Status)
			if f.Error != "" {
				fmt.Fprintf(&b, "  Last error: %s\n", f.Error)
			}
		}
	}
	fmt.Fprintf(&b, "\n\n-- \nQuery the database for more:\n  %s\n  %s\n  %s\n",
		v.Footer.ShowCommand, v.Footer.StoriesCommand, v.Footer.SQL)
	return b.String()
}

//go:embed digest.html.tmpl
var htmlSource string

// htmlTemplate escapes everything it is given: titles, outlets and URLs from
// the web included (unsafe URL schemes become "#ZgotmplZ").
var htmlTemplate = template.Must(template.New("digest").Parse(htmlSource))

// HTML renders the HTML part: inline styles only, no scripts, no images.
func (d *Digest) HTML() (string, error) {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, d.view()); err != nil {
		return "", fmt.Errorf("digest: render HTML: %w", err)
	}
	return b.String(), nil
}
