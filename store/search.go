package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/breachwire/breachwire/extract"
)

// ErrBadQuery matches (with errors.Is) every Search error caused by the
// query text itself; those errors are *QueryError.
var ErrBadQuery = errors.New("bad search query")

// QueryError says what is wrong with a search query, in words a user can
// act on.
type QueryError struct {
	Query  string
	Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("query %q: %s; %s", e.Query, e.Reason, queryHint)
}

// Is makes errors.Is(err, ErrBadQuery) true.
func (e *QueryError) Is(target error) bool { return target == ErrBadQuery }

// Snippet marks: the matched words in SearchResult.Snippet are wrapped in
// them.
const (
	SnippetOpen  = "«"
	SnippetClose = "»"
)

// defaultSearchLimit caps search results when Filter.Limit is 0.
const defaultSearchLimit = 50

// SearchResult is one article matching a search; its JSON is the `search`
// output of DESIGN.md.
type SearchResult struct {
	ArticleID int64      `json:"article_id"`
	StoryID   *int64     `json:"story_id"`
	URL       string     `json:"url"`
	Title     string     `json:"title"`
	Published *time.Time `json:"published"`
	Site      string     `json:"site"`
	// Snippet is a short excerpt of the text around the best match, the
	// matched words between SnippetOpen and SnippetClose.
	Snippet string `json:"snippet"`
	// Score is the bm25 relevance of the match, higher is better (SQLite's
	// bm25() negated); titles weigh ten times the text.
	Score float64 `json:"score"`
}

// Search runs a full-text query over article titles and text, best match
// first, narrowed by f. The query language is FTS5's (words, "phrases",
// AND, OR, NOT, parentheses, prefix*, title: and text:), made forgiving:
// words with punctuation such as Mitsubishi-Electric or 27,445 are searched
// as phrases. A query that cannot be understood returns an error wrapping
// ErrBadQuery.
func (db *DB) Search(ctx context.Context, query string, f Filter) ([]SearchResult, error) {
	match, err := TranslateQuery(query)
	if err != nil {
		return nil, err
	}
	where, args := articleFilter(f, "a")
	where = append([]string{"articles_fts MATCH ?", "rank MATCH 'bm25(10.0, 1.0)'"}, where...)
	args = append([]any{match}, args...)
	limit := f.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	args = append(args, limit)
	// Ranking by FTS5's own rank column (rather than ORDER BY bm25()) lets
	// FTS5 hand rows over already sorted, so the query stops after LIMIT
	// rows and snippet() runs only for those: about 2.5 times faster when a
	// query matches thousands of articles.
	q := `SELECT a.id, a.story_id, a.url, a.title, a.published, a.site,
			snippet(articles_fts, 1, '` + SnippetOpen + `', '` + SnippetClose + `', '…', 16),
			rank
		FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY rank
		LIMIT ?`
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, searchError(query, err)
	}
	defer rows.Close()
	results := []SearchResult{}
	for rows.Next() {
		var (
			r         SearchResult
			storyID   sql.NullInt64
			published sql.NullString
			rank      float64
		)
		if err := rows.Scan(&r.ArticleID, &storyID, &r.URL, &r.Title, &published, &r.Site, &r.Snippet, &rank); err != nil {
			return nil, searchError(query, err)
		}
		r.StoryID = nullInt(storyID)
		r.Published = nullTime(published)
		// Six significant digits: more is noise, and it keeps output stable
		// across platforms.
		r.Score, _ = strconv.ParseFloat(strconv.FormatFloat(-rank, 'g', 6, 64), 64)
		r.Snippet = strings.Join(strings.Fields(r.Snippet), " ")
		results = append(results, r)
	}
	if err := rows.Err(); err != nil {
		return nil, searchError(query, err)
	}
	return results, nil
}

// searchError turns an FTS5 complaint that slipped past TranslateQuery into
// ErrBadQuery rather than a raw SQLite message.
func searchError(query string, err error) error {
	if strings.Contains(err.Error(), "fts5") {
		return &QueryError{Query: query, Reason: "cannot be understood"}
	}
	return fmt.Errorf("store: search %q: %w", query, err)
}

// TranslateQuery turns a user's search query into an FTS5 MATCH expression.
// Plain words (letters, digits, underscore), prefix words (cyber*), quoted
// phrases, the operators AND, OR and NOT (upper case, as in FTS5),
// parentheses, and the column filters title: and text: pass through. Any
// other word is searched as a phrase of its parts, so Mitsubishi-Electric
// finds "Mitsubishi Electric" and 27,445 finds "27,445 files"; a word with
// no letters or digits is dropped. The structure is checked here, so that a
// malformed query (AND OR (, an unclosed quote) is an *QueryError with a
// readable reason instead of an SQLite syntax error.
func TranslateQuery(query string) (string, error) {
	toks, err := lexQuery(query)
	if err != nil {
		return "", &QueryError{Query: query, Reason: err.Error()}
	}
	p := queryParser{toks: toks}
	out, err := p.parse()
	if err != nil {
		return "", &QueryError{Query: query, Reason: err.Error()}
	}
	return out, nil
}

const queryHint = `write words, "exact phrases", AND, OR, NOT and parentheses, e.g. 'NEC AND (files OR documents)'`

type queryTokKind int

const (
	tokTerm   queryTokKind = iota // an FTS5-ready phrase or prefix term
	tokAnd                        // AND
	tokOr                         // OR
	tokNot                        // NOT
	tokOpen                       // (
	tokClose                      // )
	tokColumn                     // title: or text:
)

func (k queryTokKind) String() string {
	switch k {
	case tokAnd:
		return "AND"
	case tokOr:
		return "OR"
	case tokNot:
		return "NOT"
	}
	return "term"
}

type queryTok struct {
	kind queryTokKind
	text string
}

// lexQuery splits a query into terms (already in FTS5 form), operators,
// parentheses and column filters.
func lexQuery(q string) ([]queryTok, error) {
	var toks []queryTok
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, queryTok{kind: tokOpen})
			i++
		case c == ')':
			toks = append(toks, queryTok{kind: tokClose})
			i++
		case c == '"':
			// A phrase runs to the next quote; "" inside is a literal quote, as in FTS5.
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(q) {
				if q[j] == '"' {
					if j+1 < len(q) && q[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(q[j])
				j++
			}
			if !closed {
				return nil, errors.New("a quote is not closed")
			}
			i = j
			prefix := false
			if i < len(q) && q[i] == '*' {
				prefix = true
				i++
			}
			if t, ok := phraseTerm(b.String(), prefix); ok {
				toks = append(toks, queryTok{kind: tokTerm, text: t})
			}
		default:
			j := i
			for j < len(q) && !strings.ContainsRune(" \t\n\r()\"", rune(q[j])) {
				j++
			}
			word := q[i:j]
			i = j
			switch word {
			case "AND":
				toks = append(toks, queryTok{kind: tokAnd})
				continue
			case "OR":
				toks = append(toks, queryTok{kind: tokOr})
				continue
			case "NOT":
				toks = append(toks, queryTok{kind: tokNot})
				continue
			}
			if col, rest, ok := strings.Cut(word, ":"); ok {
				if lc := strings.ToLower(col); lc == "title" || lc == "text" {
					toks = append(toks, queryTok{kind: tokColumn, text: lc})
					word = rest
					if word == "" {
						continue
					}
				}
			}
			prefix := false
			if w, ok := strings.CutSuffix(word, "*"); ok {
				prefix = true
				word = w
			}
			if t, ok := phraseTerm(word, prefix); ok {
				toks = append(toks, queryTok{kind: tokTerm, text: t})
			}
		}
	}
	return toks, nil
}

// phraseTerm writes s as an FTS5 term: bare when it is a plain word, else
// quoted. ok is false when s has no letters or digits, so it would match
// nothing useful.
func phraseTerm(s string, prefix bool) (string, bool) {
	hasWord := false
	plain := s != ""
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			hasWord = true
		}
		// FTS5 barewords: ASCII letters, digits, underscore, and any non-ASCII.
		if r == utf8.RuneError || (r < utf8.RuneSelf && !(r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'))) {
			plain = false
		}
	}
	if !hasWord {
		return "", false
	}
	switch s {
	case "AND", "OR", "NOT", "NEAR":
		plain = false // keywords, unless quoted
	}
	if plain {
		if prefix {
			return s + "*", true
		}
		return s, true
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	t := `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	if prefix {
		t += "*"
	}
	return t, true
}

// queryParser checks the token stream against FTS5's grammar and writes it
// back out:
//
//	expr    = unary { [AND | OR | NOT] unary }
//	unary   = [column] ( term | "(" expr ")" )
type queryParser struct {
	toks []queryTok
	pos  int
}

func (p *queryParser) parse() (string, error) {
	if len(p.toks) == 0 {
		return "", errors.New("there is no word to search for")
	}
	out, err := p.expr(0)
	if err != nil {
		return "", err
	}
	if p.pos < len(p.toks) {
		return "", errors.New("a closing parenthesis has no opening one")
	}
	return out, nil
}

// maxQueryDepth bounds nesting, so a hostile query cannot exhaust the stack.
const maxQueryDepth = 50

func (p *queryParser) expr(depth int) (string, error) {
	out, group, err := p.unary(depth)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(out)
	for p.pos < len(p.toks) && p.toks[p.pos].kind != tokClose {
		op := ""
		switch k := p.toks[p.pos].kind; k {
		case tokAnd, tokOr, tokNot:
			op = k.String()
			p.pos++
			if p.pos == len(p.toks) || p.toks[p.pos].kind == tokClose {
				return "", fmt.Errorf("%s has nothing after it", k)
			}
		}
		next, nextGroup, err := p.unary(depth)
		if err != nil {
			return "", err
		}
		// FTS5 joins two phrases by a space, but a parenthesized group
		// only by an explicit AND.
		if op == "" && (group || nextGroup) {
			op = "AND"
		}
		if op != "" {
			b.WriteString(" " + op + " ")
		} else {
			b.WriteString(" ")
		}
		b.WriteString(next)
		group = nextGroup
	}
	return b.String(), nil
}

// unary returns one operand; group reports a parenthesized one.
func (p *queryParser) unary(depth int) (out string, group bool, err error) {
	if p.pos == len(p.toks) {
		return "", false, errors.New("the query ends too early")
	}
	t := p.toks[p.pos]
	column := ""
	if t.kind == tokColumn {
		column = t.text + " : "
		p.pos++
		if p.pos == len(p.toks) {
			return "", false, fmt.Errorf("%s: has nothing after it", t.text)
		}
		t = p.toks[p.pos]
		if t.kind == tokColumn {
			return "", false, errors.New("two column filters in a row")
		}
	}
	switch t.kind {
	case tokTerm:
		p.pos++
		return column + t.text, false, nil
	case tokOpen:
		if depth >= maxQueryDepth {
			return "", false, errors.New("parentheses are nested too deeply")
		}
		p.pos++
		if p.pos < len(p.toks) && p.toks[p.pos].kind == tokClose {
			return "", false, errors.New("a pair of parentheses is empty")
		}
		inner, err := p.expr(depth + 1)
		if err != nil {
			return "", false, err
		}
		if p.pos == len(p.toks) {
			return "", false, errors.New("a parenthesis is not closed")
		}
		p.pos++
		return column + "(" + inner + ")", true, nil
	case tokClose:
		return "", false, errors.New("a closing parenthesis has no opening one")
	case tokAnd, tokOr, tokNot:
		return "", false, fmt.Errorf("%s needs a word before it", t.kind)
	}
	return "", false, errors.New("unexpected token")
}

// articleFilter returns SQL conditions (joined with AND by the caller) and
// their arguments narrowing articles, aliased as alias, by f.
func articleFilter(f Filter, alias string) ([]string, []any) {
	var where []string
	var args []any
	if !f.All {
		where = append(where, alias+".relevance >= ?")
		args = append(args, RelevanceThreshold)
	}
	if !f.Since.IsZero() {
		where = append(where, alias+".published >= ?")
		args = append(args, timeValue(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, alias+".published <= ?")
		args = append(args, timeValue(f.Until))
	}
	if f.Company != "" {
		cond, a := mentionsEntity("company", f.Company)
		where = append(where, alias+".id IN ("+cond+")")
		args = append(args, a...)
	}
	if f.Agency != "" {
		cond, a := mentionsEntity("agency", f.Agency)
		where = append(where, alias+".id IN ("+cond+")")
		args = append(args, a...)
	}
	if f.MinFiles > 0 {
		where = append(where, alias+`.id IN (SELECT article_id FROM figures
			WHERE kind IN ('`+extract.KindFiles+`', '`+extract.KindDocuments+`') AND value >= ?)`)
		args = append(args, f.MinFiles)
	}
	return where, args
}

// mentionsEntity returns a subquery of the ids of articles that name the
// entity of this kind: name itself, case-insensitively, and every canonical
// name the gazetteer knows name as an alias of ("NEC Corp." is NEC; the
// shared "Defense Ministry" is each country's).
func mentionsEntity(kind, name string) (string, []any) {
	name = strings.TrimSpace(name)
	names := []string{name}
	if kind == "agency" {
		names = append(names, extract.AgencyNames(name)...)
		if c, ok := extract.CanonicalAgency(name); ok {
			names = append(names, c)
		}
	} else if c, ok := extract.CanonicalCompany(name); ok {
		names = append(names, c)
	}
	args := []any{kind}
	var conds []string
	for i, n := range names {
		if slices.ContainsFunc(names[:i], func(m string) bool { return strings.EqualFold(m, n) }) {
			continue
		}
		conds = append(conds, "name = ? COLLATE NOCASE")
		args = append(args, n)
	}
	return `SELECT article_id FROM mentions WHERE entity_id IN
		(SELECT id FROM entities WHERE kind = ? AND (` + strings.Join(conds, " OR ") + `))`, args
}

func nullInt(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

func nullTime(s sql.NullString) *time.Time {
	t := parseTime(s)
	if t.IsZero() {
		return nil
	}
	return &t
}
