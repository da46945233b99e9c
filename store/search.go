package store

import (
	"context"
	"database/sql"
	"encoding/json"
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

// SearchRankMax is the most matches Search ranks unless asked to rank them
// all: when more pass the filter, it ranks the SearchRankMax newest (the
// highest article ids, the reports stored last). 2,000 is the largest round
// window that keeps searches for common words near 15 ms at 100,000
// articles (README, Performance). A variable so that tests can lower it.
var SearchRankMax = 2000

// SearchOptions are Search's settings beyond the Filter it shares with the
// other queries.
type SearchOptions struct {
	// RankAll ranks every match that passes the filter, not just the
	// SearchRankMax newest: exact over the whole archive, and slower for
	// words in thousands of reports (bm25 costs about 1.5 µs a match).
	RankAll bool
}

// SearchRanking says which matches a Search ranked.
type SearchRanking struct {
	// Cut is true when more matches passed the filter than Search ranked:
	// it ranked only the Ranked newest, and older matches were not
	// considered.
	Cut bool
	// Ranked is how many of the newest matches were ranked when Cut: the
	// larger of SearchRankMax and the limit.
	Ranked int
}

// Search runs a full-text query over article titles and text, best match
// first, narrowed by f. The query language is FTS5's (words, "phrases",
// AND, OR, NOT, parentheses, prefix*, title: and text:), made forgiving:
// words with punctuation such as Mitsubishi-Electric or 27,445 are searched
// as phrases. A query that cannot be understood returns an error wrapping
// ErrBadQuery.
//
// Results are ordered by bm25 (titles weighing ten times the text), ties
// by article id, over the newest SearchRankMax matches that pass f (or
// f.Limit, when larger); the ranking says when more matched. With
// opt.RankAll, over every match. The work is in two steps: searchHits
// finds the ids and scores of the best matches, then one statement reads
// those articles and makes their snippets, so snippet() runs only for the
// rows shown.
func (db *DB) Search(ctx context.Context, query string, f Filter, opt SearchOptions) ([]SearchResult, SearchRanking, error) {
	match, err := TranslateQuery(query)
	if err != nil {
		return nil, SearchRanking{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	window := 0 // rank every match
	if !opt.RankAll {
		window = max(SearchRankMax, limit)
	}
	hits, cut, err := db.searchHits(ctx, match, f, limit, window, false)
	if err != nil {
		return nil, SearchRanking{}, searchError(query, err)
	}
	results, err := db.searchDetails(ctx, match, hits)
	if err != nil {
		return nil, SearchRanking{}, searchError(query, err)
	}
	if len(results) < len(hits) {
		// An indexed row without its article (never, while the triggers
		// keep them in step): rank again, joining the articles.
		if hits, cut, err = db.searchHits(ctx, match, f, limit, window, true); err != nil {
			return nil, SearchRanking{}, searchError(query, err)
		}
		if results, err = db.searchDetails(ctx, match, hits); err != nil {
			return nil, SearchRanking{}, searchError(query, err)
		}
	}
	ranking := SearchRanking{Cut: cut}
	if cut {
		ranking.Ranked = window
	}
	return results, ranking, nil
}

// searchHit is one matching article and its bm25 score (lower is better,
// as SQLite gives it).
type searchHit struct {
	id   int64
	rank float64
}

// bm25Expr is the ranking: titles weigh ten times the text. FTS5 gives
// the same order when asked for ORDER BY rank with rank MATCH
// 'bm25(10.0, 1.0)', ties in rowid order.
const bm25Expr = "bm25(articles_fts, 10.0, 1.0)"

// searchCandidateMax is the most articles a filter may leave for Search to
// list their ids once and look each match up in the list (a variable for
// the tests).
var searchCandidateMax = 20000

// searchHits returns the ids and scores of the (at most) limit best matches
// of match that pass f, best first, among the window newest that pass f
// (window 0: among all), and whether more than window passed. Scoring is
// what a search costs (bm25 reads each match's length from the index, a
// B-tree look-up per match), so only matches that pass f and fall in the
// window are scored, and it picks the cheaper of two ways of checking them:
//
//   - When an indexed filter (company, agency, files figure, published
//     time) leaves few articles, their ids are listed once and each match
//     is looked up in the list.
//   - Otherwise each match is checked in the articles_filter index, the
//     best kept by a bounded sort.
func (db *DB) searchHits(ctx context.Context, match string, f Filter, limit, window int, join bool) ([]searchHit, bool, error) {
	conds, args := articleFilter(f, "a")
	if len(conds) == 0 {
		if !join {
			// No filter: the full-text index alone; Search checks that
			// every article is there.
			return db.rankHits(ctx, `SELECT articles_fts.rowid AS id, `+bm25Expr+` AS score
				FROM articles_fts WHERE articles_fts MATCH ?`, []any{match}, limit, window)
		}
		return db.rankedHits(ctx, match, nil, nil, limit, window)
	}
	if src, srcArgs, count, err := db.smallestSource(ctx, f); err != nil {
		return nil, false, err
	} else if count <= searchCandidateMax {
		// The matches are run through and checked against the list; the
		// + keeps FTS5 from taking it as rowid look-ups, one query each,
		// where bm25 would count every phrase's matches again.
		q := `SELECT articles_fts.rowid AS id, ` + bm25Expr + ` AS score
			FROM articles_fts CROSS JOIN articles a INDEXED BY articles_filter ON a.id = articles_fts.rowid
			WHERE articles_fts MATCH ? AND +articles_fts.rowid IN (` + src + `) AND ` + strings.Join(conds, " AND ")
		qargs := append(append([]any{match}, srcArgs...), args...)
		return db.rankHits(ctx, q, qargs, limit, window)
	}
	return db.rankedHits(ctx, match, conds, args, limit, window)
}

// smallestSource returns the subquery of article ids of the most selective
// indexed filter in f and how many articles it leaves, counting no further
// than searchCandidateMax+1.
func (db *DB) smallestSource(ctx context.Context, f Filter) (string, []any, int, error) {
	var sources []struct {
		q    string
		args []any
	}
	add := func(q string, args ...any) {
		sources = append(sources, struct {
			q    string
			args []any
		}{q, args})
	}
	if f.Company != "" {
		q, a := mentionsEntity("company", f.Company)
		add(q, a...)
	}
	if f.Agency != "" {
		q, a := mentionsEntity("agency", f.Agency)
		add(q, a...)
	}
	if f.MinFiles > 0 {
		add(filesSource, f.MinFiles)
	}
	if !f.Since.IsZero() || !f.Until.IsZero() {
		var conds []string
		var a []any
		if !f.Since.IsZero() {
			conds = append(conds, "published >= ?")
			a = append(a, timeValue(f.Since))
		}
		if !f.Until.IsZero() {
			conds = append(conds, "published <= ?")
			a = append(a, timeValue(f.Until))
		}
		add("SELECT id FROM articles WHERE "+strings.Join(conds, " AND "), a...)
	}
	best, bestN := -1, searchCandidateMax+1
	for i, s := range sources {
		// Counting stops past the threshold, so a large source costs no
		// more than a small one.
		var n int
		err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM ("+s.q+" LIMIT ?)",
			append(slices.Clip(s.args), searchCandidateMax+1)...).Scan(&n)
		if err != nil {
			return "", nil, 0, err
		}
		if n < bestN {
			best, bestN = i, n
		}
	}
	if best < 0 {
		return "", nil, bestN, nil
	}
	return sources[best].q, sources[best].args, bestN, nil
}

// filesSource is the subquery of ids of articles with an exposed-files (or
// documents) figure of at least its argument.
const filesSource = `SELECT article_id FROM figures
	WHERE kind IN ('` + extract.KindFiles + `', '` + extract.KindDocuments + `') AND value >= ?`

// rankedHits scores the matches of match that pass conds (conditions on
// articles a; none: all pass) and returns the limit best, among the window
// newest (see rankHits). Each match is checked first, from the
// articles_filter index rather than the article's row, so only those that
// pass are scored.
func (db *DB) rankedHits(ctx context.Context, match string, conds []string, args []any, limit, window int) ([]searchHit, bool, error) {
	where := append([]string{"articles_fts MATCH ?"}, conds...)
	return db.rankHits(ctx, `SELECT articles_fts.rowid AS id, `+bm25Expr+` AS score
		FROM articles_fts CROSS JOIN articles a INDEXED BY articles_filter ON a.id = articles_fts.rowid
		WHERE `+strings.Join(where, " AND "), append([]any{match}, args...), limit, window)
}

// rankHits runs sel, a statement selecting the (id, score) of the matches
// that pass the filter (no ORDER BY or LIMIT), and returns the limit best,
// a bounded sort keeping them (FTS5's own ORDER BY rank sorts every
// match). With window > 0 only the window newest are ranked: FTS5 runs
// through the matches in descending rowid order and stops after window+1
// pass, so bm25 is computed for those alone; the one past the window is
// not ranked, it only tells that more matched.
func (db *DB) rankHits(ctx context.Context, sel string, args []any, limit, window int) ([]searchHit, bool, error) {
	if window <= 0 {
		hits, err := db.queryHits(ctx, sel+` ORDER BY score, id LIMIT ?`, append(args, limit)...)
		return hits, false, err
	}
	// The window is materialized once, so that it can both be ranked and
	// counted; its oldest row is dropped here when it is the extra one.
	rows, err := db.read.QueryContext(ctx, `WITH w AS MATERIALIZED (`+sel+`
			ORDER BY articles_fts.rowid DESC LIMIT ?)
		SELECT id, score, (SELECT count(*) FROM w), (SELECT min(id) FROM w)
		FROM w ORDER BY score, id LIMIT ?`, append(args, window+1, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var (
		hits   []searchHit
		n      int // rows in the window, at most window+1
		oldest int64
	)
	for rows.Next() {
		var h searchHit
		if err := rows.Scan(&h.id, &h.rank, &n, &oldest); err != nil {
			return nil, false, err
		}
		if n > window && h.id == oldest {
			continue
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, n > window, nil
}

// queryHits runs a statement returning (rowid, score) rows.
func (db *DB) queryHits(ctx context.Context, q string, args ...any) ([]searchHit, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []searchHit
	for rows.Next() {
		var h searchHit
		if err := rows.Scan(&h.id, &h.rank); err != nil {
			return nil, err
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// searchDetails reads the articles of hits and their snippets, in the
// order of hits.
func (db *DB) searchDetails(ctx context.Context, match string, hits []searchHit) ([]SearchResult, error) {
	results := make([]SearchResult, 0, len(hits))
	if len(hits) == 0 {
		return results, nil
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	// snippet() runs for the listed rows only. Running through the matches
	// and picking them out is cheaper than a query per listed row (each
	// sets up every term's segment iterators), even for 100,000 matches;
	// the + keeps FTS5 from taking the list as rowid look-ups. The run is
	// bounded by the lowest and highest listed id, which FTS5 seeks to: a
	// search ranking the newest matches shows only those.
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.story_id, a.url, a.title, a.published, a.site,
			snippet(articles_fts, 1, '`+SnippetOpen+`', '`+SnippetClose+`', '…', 16)
		FROM articles_fts CROSS JOIN articles a ON a.id = articles_fts.rowid
		WHERE articles_fts MATCH ? AND articles_fts.rowid BETWEEN ? AND ?
			AND +articles_fts.rowid IN (SELECT value FROM json_each(?))`,
		match, slices.Min(ids), slices.Max(ids), string(idList))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[int64]SearchResult, len(hits))
	for rows.Next() {
		var (
			r         SearchResult
			storyID   sql.NullInt64
			published sql.NullString
		)
		if err := rows.Scan(&r.ArticleID, &storyID, &r.URL, &r.Title, &published, &r.Site, &r.Snippet); err != nil {
			return nil, err
		}
		r.StoryID = nullInt(storyID)
		r.Published = nullTime(published)
		r.Snippet = strings.Join(strings.Fields(r.Snippet), " ")
		byID[r.ArticleID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, h := range hits {
		r, ok := byID[h.id]
		if !ok {
			continue
		}
		// Six significant digits: more is noise, and it keeps output stable
		// across platforms.
		r.Score, _ = strconv.ParseFloat(strconv.FormatFloat(-h.rank, 'g', 6, 64), 64)
		results = append(results, r)
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
		where = append(where, alias+".id IN ("+filesSource+")")
		args = append(args, f.MinFiles)
	}
	return where, args
}

// mentionsEntity returns a subquery of the ids of articles that name the
// entity of this kind: name itself, case-insensitively, and every canonical
// name the gazetteer knows name as an alias of ("NEC Corp." is NEC; the
// shared "Defense Ministry" is each country's).
func mentionsEntity(kind, name string) (string, []any) {
	ids, args := entityIDs(kind, name)
	return `SELECT article_id FROM mentions WHERE entity_id IN (` + ids + `)`, args
}

// entityIDs returns a subquery of the ids of the entities mentionsEntity
// looks for.
func entityIDs(kind, name string) (string, []any) {
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
	return `SELECT id FROM entities WHERE kind = ? AND (` + strings.Join(conds, " OR ") + `)`, args
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
