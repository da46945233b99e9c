package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/breachwire/breachwire/extract"
)

// Story clustering: a new report is a duplicate copy of a stored one, or
// joins the most similar story within the time window, or starts a story.
// README.md ("Design notes") explains the choices and the measurements.

// DefaultStoryWindow is how far apart in published time two reports of one
// incident may be: a story takes a report published up to this long before
// its first or after its last report.
const DefaultStoryWindow = 14 * 24 * time.Hour

const (
	// joinThreshold is the cosine between a report and a story's centroid
	// at and above which the report joins the story.
	joinThreshold = 0.25
	// samePrimaryThreshold replaces joinThreshold when report and story
	// have the same primary company: the entity is evidence of its own.
	samePrimaryThreshold = 0.12
	// centroidTerms caps the terms kept in a story's centroid.
	centroidTerms = 200
	// repTerms caps the terms kept of the title report's vector.
	repTerms = 64
	// indexTerms of each story's centroid go into story_terms; a report
	// looks up its own strongest queryTerms there.
	indexTerms = 16
	queryTerms = 16
	// postingLimit caps the stories read per term (newest first), and
	// maxCandidates the stories scored per report: the work per report is
	// bounded whatever the size of the database.
	postingLimit  = 32
	maxCandidates = 32
	// primaryCandidates is how many recent stories of the report's primary
	// company are always scored.
	primaryCandidates = 8
)

// clusterState is the part of DB the clusterer keeps between
// transactions. Its zero value is ready to use.
type clusterState struct {
	mu     sync.Mutex
	window time.Duration
	// Document frequencies of words, read from the full-text index
	// (articles_fts_vocab) and kept up to date by each added report; valid
	// while no other connection has written (PRAGMA data_version).
	loaded      bool
	dataVersion int64
	docs        int64
	df          map[termHash]int32
}

// SetStoryWindow sets how far apart in published time the reports of one
// story may be (0 or less: DefaultStoryWindow). It applies to reports added
// from now on and to Recluster.
func (db *DB) SetStoryWindow(d time.Duration) {
	db.clu.mu.Lock()
	db.clu.window = d
	db.clu.mu.Unlock()
}

// StoryWindow reports the window set by SetStoryWindow.
func (db *DB) StoryWindow() time.Duration {
	db.clu.mu.Lock()
	defer db.clu.mu.Unlock()
	if db.clu.window <= 0 {
		return DefaultStoryWindow
	}
	return db.clu.window
}

// clusterTx is the clustering side of one write transaction: it holds the
// state's lock and the transaction's prepared statements.
type clusterTx struct {
	tx     *sql.Tx
	st     *clusterState
	window time.Duration
	stmts  map[string]*sql.Stmt
	// During Recluster: each article's story before, so that a rebuilt
	// story keeps the id of its first report's old story (links and digest
	// history stay valid), and which old ids are taken.
	reuse   map[int64]int64
	claimed map[int64]bool
	// metas caches the stories read or written in this transaction, and
	// entities the ids of entities (kind, name) written in it.
	metas    map[int64]*storyMeta
	entities map[[2]string]int64
}

// beginCluster takes the clustering state for tx, reloading document
// frequencies if another connection wrote since they were read. The caller
// must call end.
func (db *DB) beginCluster(ctx context.Context, tx *sql.Tx) (*clusterTx, error) {
	st := &db.clu
	st.mu.Lock()
	c := &clusterTx{tx: tx, st: st, window: st.window, stmts: map[string]*sql.Stmt{}}
	if c.window <= 0 {
		c.window = DefaultStoryWindow
	}
	// Clustering reads story vectors, postings and copy keys all over the
	// file: a 64 MB page cache (default 2 MB) keeps per-article cost flat
	// as the database grows. Per connection, so set with every transaction.
	if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -65536"); err != nil {
		c.end(false)
		return nil, err
	}
	var version int64
	if err := tx.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version); err != nil {
		c.end(false)
		return nil, err
	}
	if !st.loaded || version != st.dataVersion {
		if err := c.loadDF(ctx); err != nil {
			c.end(false)
			return nil, fmt.Errorf("read document frequencies: %w", err)
		}
		st.dataVersion = version
		st.loaded = true
	}
	return c, nil
}

// end releases the state; unless the transaction committed, the cached
// frequencies no longer match the database and are dropped.
func (c *clusterTx) end(committed bool) {
	for _, s := range c.stmts {
		s.Close()
	}
	if !committed {
		c.st.loaded = false
		c.st.df = nil
	}
	c.st.mu.Unlock()
}

func (c *clusterTx) loadDF(ctx context.Context) error {
	c.st.df = map[termHash]int32{}
	c.st.docs = 0
	if err := c.tx.QueryRowContext(ctx, "SELECT count(*) FROM articles").Scan(&c.st.docs); err != nil {
		return err
	}
	if c.st.docs == 0 {
		return nil
	}
	rows, err := c.tx.QueryContext(ctx, "SELECT term, doc FROM articles_fts_vocab")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var n int32
		if err := rows.Scan(&t, &n); err != nil {
			return err
		}
		c.st.df[hashTerm(t)] += n
	}
	return rows.Err()
}

// resetDF starts document frequencies from nothing (Recluster re-counts them
// as it re-adds every report).
func (c *clusterTx) resetDF() {
	c.st.df = map[termHash]int32{}
	c.st.docs = 0
}

// count adds a report's words to the document frequencies.
func (c *clusterTx) count(f features) {
	c.st.docs++
	for w := range f.uni {
		c.st.df[hashTerm(w)]++
	}
}

func (c *clusterTx) idf(word string) float64 {
	df := float64(c.st.df[hashTerm(word)])
	n := float64(c.st.docs)
	return math.Log((n+1)/(df+1)) + 1
}

func (c *clusterTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	s, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = s
	return s, nil
}

func (c *clusterTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *clusterTx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (c *clusterTx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, query)
	if err != nil {
		// A failed prepare surfaces from Scan through a query that cannot run.
		return c.tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// placement is where assignStory put an article.
type placement struct {
	storyID     int64
	duplicateOf int64
}

// report is what clustering needs of an article.
type report struct {
	id        int64
	title     string
	text      string
	site      string
	seen      time.Time // published, else when stored
	primary   string
	relevance float64
	files     sql.NullInt64
}

func reportOf(id int64, a *extract.Article, now time.Time) report {
	r := report{id: id, title: a.Title, text: a.Text, site: a.Site, seen: a.Published, primary: a.PrimaryCompany(), relevance: a.Relevance}
	if r.seen.IsZero() {
		r.seen = now
	}
	for _, f := range a.Figures {
		if (f.Kind == extract.KindFiles || f.Kind == extract.KindDocuments) && (!r.files.Valid || f.Value > r.files.Int64) {
			r.files = sql.NullInt64{Int64: f.Value, Valid: true}
		}
	}
	return r
}

// placed is a decided placement and what must be filed once the article
// row exists.
type placed struct {
	placement
	simhash uint64
	keys    []int64
	// supersedes is the first copy of the same text when this article was
	// published before it: this article becomes the original, and that
	// copy and its copies point at it once it is stored (see file).
	supersedes int64
}

// decide finds r's story, creating or updating stories as needed: the
// story of the text it copies, else the best matching story, else a new
// one. The article row itself is written by the caller (it may not exist
// yet, r.id 0), which then calls file.
func (c *clusterTx) decide(ctx context.Context, now time.Time, r report) (placed, error) {
	f := articleFeatures(r.title, r.text)
	c.count(f)
	vec := f.weigh(c.idf)

	body := r.text
	if strings.TrimSpace(body) == "" {
		body = r.title
	}
	var p placed
	sh, shingles := simHash(body)
	p.simhash = sh
	if shingles > 0 {
		p.keys = copyKeys(body, sh)
	}
	orig, storyID, err := c.findCopy(ctx, r, body, sh, shingles, p.keys)
	if err != nil {
		return p, err
	}
	if orig != 0 {
		var origSeen string
		if err := c.queryRow(ctx, "SELECT coalesce(published, added_at) FROM articles WHERE id = ?", orig).Scan(&origSeen); err != nil {
			return p, err
		}
		p.storyID, p.duplicateOf = storyID, orig
		// The original is the earliest published copy, whatever the order
		// in which copies arrive.
		if r.seen.Before(parseTime(sql.NullString{String: origSeen, Valid: true})) {
			p.duplicateOf, p.supersedes = 0, orig
		}
		return p, c.joinStory(ctx, now, storyID, r, nil)
	}
	if p.storyID, err = c.bestStory(ctx, r, vec); err != nil {
		return p, err
	}
	if p.storyID != 0 {
		return p, c.joinStory(ctx, now, p.storyID, r, vec)
	}
	p.storyID, err = c.newStory(ctx, now, r, vec)
	return p, err
}

// file records an article's copy keys, once its row exists, and makes it
// the original of the copies it supersedes.
func (c *clusterTx) file(ctx context.Context, articleID int64, p placed) error {
	if p.supersedes != 0 {
		if _, err := c.exec(ctx, "UPDATE articles SET duplicate_of = ? WHERE id = ? OR duplicate_of = ?", articleID, p.supersedes, p.supersedes); err != nil {
			return err
		}
	}
	if len(p.keys) == 0 {
		return nil
	}
	args := make([]any, 0, 3*len(p.keys))
	for _, k := range p.keys {
		args = append(args, k, articleID, int64(p.simhash))
	}
	q := "INSERT OR IGNORE INTO copy_keys (key, article_id, simhash) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(p.keys)), ", ")
	_, err := c.exec(ctx, q, args...)
	return err
}

// replace re-places a stored article (Recluster).
func (c *clusterTx) replace(ctx context.Context, now time.Time, r report) error {
	p, err := c.decide(ctx, now, r)
	if err != nil {
		return err
	}
	var dup any
	if p.duplicateOf != 0 {
		dup = p.duplicateOf
	}
	if _, err := c.exec(ctx, "UPDATE articles SET story_id = ?, duplicate_of = ?, simhash = ? WHERE id = ?", p.storyID, dup, int64(p.simhash), r.id); err != nil {
		return err
	}
	return c.file(ctx, r.id, p)
}

// findCopy returns the first copy of the text r copies, and its story, or
// zeros. Candidates share a copy key; they are copies when their SimHashes
// are within maxDupDistance or, failing that, their shingles overlap by
// minCopyJaccard. Short texts are copies only when identical, headline
// included.
func (c *clusterTx) findCopy(ctx context.Context, r report, body string, sh uint64, shingles int, keys []int64) (orig, storyID int64, err error) {
	// maxJaccardChecks caps the texts compared shingle by shingle.
	const maxJaccardChecks = 4
	if shingles == 0 {
		return 0, 0, nil
	}
	type cand struct {
		hash         uint64
		dupOf, story int64
		title        string
	}
	cands := map[int64]cand{}
	// One statement for all keys, each key's postings capped on its own.
	args := make([]any, 0, 2*len(keys)+2)
	for _, k := range keys {
		args = append(args, k, copyPostingLimit)
	}
	rows, err := c.query(ctx, unionPostings("copy_keys", "key", "article_id, simhash", len(keys)), args...)
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var id, h int64
		if err := rows.Scan(&id, &h); err != nil {
			rows.Close()
			return 0, 0, err
		}
		d := bits.OnesCount64(sh ^ uint64(h))
		if id != r.id && (d <= maxJaccardDistance && shingles >= minShingles || d == 0) {
			cands[id] = cand{hash: uint64(h)}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	// Only near texts get this far: read their links.
	for id, x := range cands {
		err := c.queryRow(ctx, "SELECT coalesce(duplicate_of, 0), coalesce(story_id, 0), title FROM articles WHERE id = ?", id).Scan(&x.dupOf, &x.story, &x.title)
		if err != nil {
			return 0, 0, err
		}
		if x.story == 0 {
			delete(cands, id)
			continue
		}
		cands[id] = x
	}
	// Nearest SimHash first, then the oldest first copy.
	type scored struct {
		id, first int64
		d         int
	}
	order := make([]scored, 0, len(cands))
	for id, x := range cands {
		first := id
		if x.dupOf != 0 {
			first = x.dupOf
		}
		order = append(order, scored{id, first, bits.OnesCount64(sh ^ x.hash)})
	}
	slices.SortFunc(order, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		if a.first != b.first {
			return cmp.Compare(a.first, b.first)
		}
		return cmp.Compare(a.id, b.id)
	})
	var own map[uint64]bool
	checks := 0
	for _, o := range order {
		x := cands[o.id]
		switch {
		case shingles < minShingles:
			if o.d != 0 || !strings.EqualFold(strings.TrimSpace(x.title), strings.TrimSpace(r.title)) {
				continue
			}
		case o.d <= maxDupDistance:
		case o.d <= maxJaccardDistance && checks < maxJaccardChecks:
			checks++
			var text string
			if err := c.queryRow(ctx, "SELECT CASE WHEN text = '' THEN title ELSE text END FROM articles WHERE id = ?", o.id).Scan(&text); err != nil {
				return 0, 0, err
			}
			if own == nil {
				own = shingleSet(body)
			}
			if jaccard(own, shingleSet(text)) < minCopyJaccard {
				continue
			}
		default:
			continue
		}
		return o.first, x.story, nil
	}
	return 0, 0, nil
}

// unionPostings is a query over n keys of an inverted index, returning
// for each key (bound with its limit, in pairs) its newest postings up to
// the limit, one row per posting; columns starts with the posting column.
func unionPostings(table, key, columns string, n int) string {
	posting, _, _ := strings.Cut(columns, ",")
	part := "SELECT " + columns + " FROM (SELECT " + columns + " FROM " + table + " WHERE " + key + " = ? ORDER BY " + posting + " DESC LIMIT ?)"
	parts := make([]string, n)
	for i := range parts {
		parts[i] = part
	}
	return strings.Join(parts, " UNION ALL ")
}

// storyMeta is what scoring needs of a candidate story.
type storyMeta struct {
	firstSeen, lastSeen time.Time
	primary             string
	members             int64
	centroid, rep       vector
	norm                float64
}

// bestStory returns the story r should join, or 0. Candidates come from
// the term index and the primary company's recent stories, never from a
// scan of all stories.
func (c *clusterTx) bestStory(ctx context.Context, r report, vec vector) (int64, error) {
	votes := map[int64]int{}
	top := vec.top(queryTerms)
	args := make([]any, 0, 2*len(top))
	for _, t := range top {
		args = append(args, int64(t.h), postingLimit)
	}
	if len(top) > 0 {
		rows, err := c.query(ctx, unionPostings("story_terms", "term", "story_id", len(top)), args...)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			votes[id]++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	if r.primary != "" {
		rows, err := c.query(ctx, `SELECT id FROM stories WHERE primary_company = ? AND last_seen >= ? AND article_count > 0
			ORDER BY last_seen DESC LIMIT ?`, r.primary, timeValue(r.seen.Add(-c.window)), primaryCandidates)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			votes[id] += queryTerms
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	type voted struct {
		id    int64
		votes int
	}
	vs := make([]voted, 0, len(votes))
	for id, v := range votes {
		vs = append(vs, voted{id, v})
	}
	// Most shared terms first, then the newest story.
	slices.SortFunc(vs, func(a, b voted) int {
		if a.votes != b.votes {
			return b.votes - a.votes
		}
		return cmp.Compare(b.id, a.id)
	})
	ids := make([]int64, 0, maxCandidates)
	for _, v := range vs[:min(len(vs), maxCandidates)] {
		ids = append(ids, v.id)
	}

	var best int64
	bestScore := 0.0
	for _, id := range ids {
		m, err := c.storyMeta(ctx, id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if r.seen.Before(m.firstSeen.Add(-c.window)) || r.seen.After(m.lastSeen.Add(c.window)) {
			continue
		}
		threshold := joinThreshold
		switch {
		case r.primary != "" && m.primary != "" && r.primary != m.primary:
			// A report about another company's incident never joins,
			// however alike the words (the NEC and Mitsubishi Electric case).
			continue
		case r.primary != "" && r.primary == m.primary:
			threshold = samePrimaryThreshold
		}
		if m.norm == 0 {
			continue
		}
		score := dot(vec, m.centroid) / m.norm
		if score >= threshold && (score > bestScore || (score == bestScore && id < best)) {
			best, bestScore = id, score
		}
	}
	return best, nil
}

// storyMeta returns a story's clustering state, from the transaction's
// cache when it was read or written before.
func (c *clusterTx) storyMeta(ctx context.Context, id int64) (*storyMeta, error) {
	if m, ok := c.metas[id]; ok {
		return m, nil
	}
	m := &storyMeta{}
	var first, last string
	var cblob, rblob []byte
	err := c.queryRow(ctx, `SELECT s.first_seen, s.last_seen, s.primary_company, v.members, v.vec, v.rep_vec
		FROM stories s JOIN story_vectors v ON v.story_id = s.id WHERE s.id = ?`, id).Scan(&first, &last, &m.primary, &m.members, &cblob, &rblob)
	if err != nil {
		return nil, err
	}
	m.firstSeen = parseTime(sql.NullString{String: first, Valid: true})
	m.lastSeen = parseTime(sql.NullString{String: last, Valid: true})
	m.centroid = decodeVector(cblob)
	m.norm = m.centroid.norm()
	m.rep = decodeVector(rblob)
	c.remember(id, m)
	return m, nil
}

// maxCachedStories bounds the per-transaction story cache.
const maxCachedStories = 4096

func (c *clusterTx) remember(id int64, m *storyMeta) {
	if c.metas == nil || len(c.metas) >= maxCachedStories {
		c.metas = map[int64]*storyMeta{}
	}
	c.metas[id] = m
}

// newStory starts a story with r as its only report.
func (c *clusterTx) newStory(ctx context.Context, now time.Time, r report, vec vector) (int64, error) {
	var files any
	if r.files.Valid {
		files = r.files.Int64
	}
	if old := c.reuse[r.id]; old != 0 && !c.claimed[old] {
		c.claimed[old] = true
		_, err := c.exec(ctx, `UPDATE stories SET title = ?, first_seen = ?, last_seen = ?, primary_company = ?,
			files = ?, relevance = ?, article_count = 1, site_count = 1, updated_at = ? WHERE id = ?`,
			r.title, timeValue(r.seen), timeValue(r.seen), r.primary, files, r.relevance, timeValue(now), old)
		if err != nil {
			return 0, err
		}
		return old, c.startVectors(ctx, old, r, vec)
	}
	res, err := c.exec(ctx, `INSERT INTO stories
		(title, first_seen, last_seen, primary_company, files, relevance, article_count, site_count, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?)`,
		r.title, timeValue(r.seen), timeValue(r.seen), r.primary, files, r.relevance, timeValue(now), timeValue(now))
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, c.startVectors(ctx, id, r, vec)
}

// startVectors files the vectors of a story whose only report is r.
func (c *clusterTx) startVectors(ctx context.Context, id int64, r report, vec vector) error {
	m := &storyMeta{firstSeen: r.seen, lastSeen: r.seen, primary: r.primary, members: 1,
		centroid: vec.truncate(centroidTerms), rep: vec.truncate(repTerms)}
	m.norm = m.centroid.norm()
	c.remember(id, m)
	return c.writeVectors(ctx, id, m.members, m.centroid, m.rep, nil)
}

// joinStory adds r to a story: its times, counts, facts, and, unless r is a
// duplicate copy (vec nil), its centroid and perhaps its title.
func (c *clusterTx) joinStory(ctx context.Context, now time.Time, storyID int64, r report, vec vector) error {
	var newSite bool
	if err := c.queryRow(ctx, "SELECT NOT EXISTS (SELECT 1 FROM articles WHERE story_id = ? AND site = ? AND id <> ?)",
		storyID, r.site, r.id).Scan(&newSite); err != nil {
		return err
	}
	m, err := c.storyMeta(ctx, storyID)
	if err != nil {
		return err
	}
	var title any
	if vec != nil {
		oldIndex := m.centroid.top(indexTerms)
		m.centroid = m.centroid.add(vec).truncate(centroidTerms)
		m.norm = m.centroid.norm()
		m.members++
		// The title is the headline of the report nearest the centroid.
		if r.title != "" && dot(vec, m.centroid) > cosine(m.rep, m.centroid)*m.norm {
			title = r.title
			m.rep = vec.truncate(repTerms)
		}
		if err := c.writeVectors(ctx, storyID, m.members, m.centroid, m.rep, oldIndex); err != nil {
			return err
		}
	}
	if r.seen.Before(m.firstSeen) {
		m.firstSeen = r.seen
	}
	if r.seen.After(m.lastSeen) {
		m.lastSeen = r.seen
	}
	if m.primary == "" {
		m.primary = r.primary
	}
	var files any
	if r.files.Valid {
		files = r.files.Int64
	}
	_, err = c.exec(ctx, `UPDATE stories SET
		first_seen = min(first_seen, ?1), last_seen = max(last_seen, ?1),
		article_count = article_count + 1, site_count = site_count + ?2,
		relevance = max(relevance, ?3),
		files = CASE WHEN ?4 IS NOT NULL AND (files IS NULL OR ?4 > files) THEN ?4 ELSE files END,
		primary_company = CASE WHEN primary_company = '' THEN ?5 ELSE primary_company END,
		title = coalesce(?6, title), updated_at = ?7
		WHERE id = ?8`,
		timeValue(r.seen), newSite, r.relevance, files, r.primary, title, timeValue(now), storyID)
	return err
}

// writeVectors stores a story's centroid and title vector and brings its
// story_terms in line with the centroid's strongest terms (old: the
// strongest terms before, nil for a new story).
func (c *clusterTx) writeVectors(ctx context.Context, storyID, members int64, centroid, rep, old vector) error {
	if _, err := c.exec(ctx, `INSERT INTO story_vectors (story_id, members, vec, rep_vec) VALUES (?, ?, ?, ?)
		ON CONFLICT (story_id) DO UPDATE SET members = excluded.members, vec = excluded.vec, rep_vec = excluded.rep_vec`,
		storyID, members, centroid.encode(), rep.encode()); err != nil {
		return err
	}
	inOld := map[termHash]bool{}
	for _, t := range old {
		inOld[t.h] = true
	}
	newTop := centroid.top(indexTerms)
	inNew := map[termHash]bool{}
	for _, t := range newTop {
		inNew[t.h] = true
		if !inOld[t.h] {
			if _, err := c.exec(ctx, "INSERT OR IGNORE INTO story_terms (term, story_id) VALUES (?, ?)", int64(t.h), storyID); err != nil {
				return err
			}
		}
	}
	for _, t := range old {
		if !inNew[t.h] {
			if _, err := c.exec(ctx, "DELETE FROM story_terms WHERE term = ? AND story_id = ?", int64(t.h), storyID); err != nil {
				return err
			}
		}
	}
	return nil
}
