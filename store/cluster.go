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
	// Document frequencies of words, read from term_df (or, in a database
	// written before it existed, from the full-text index) and kept up to
	// date by each added report; valid while no other connection has
	// written (PRAGMA data_version).
	loaded      bool
	dataVersion int64
	docs        int64
	df          map[termHash]int32
	// dfFull: term_df does not hold df yet (it was read from the full-text
	// index); the next write stores all of it.
	dfFull bool
	// metas caches stories' clustering state across transactions (two
	// generations, each up to maxCachedStories); valid while nothing but
	// the clusterer wrote: changes is the writer connection's
	// total_changes() when the last clustering transaction committed, and
	// metasValid says that value is known.
	metas twoGen[int64, *storyMeta]
	// arts caches, the same way, what copy detection reads of recent
	// articles.
	arts twoGen[int64, *articleInfo]
	// postings caches, the same way, each term's newest story_terms
	// postings (story ids, newest first, at most postingLimit).
	postings   twoGen[termHash, []int64]
	metasValid bool
	changes    int64
	// entities caches the ids of entities (kind, name) and their stored
	// country (entities are never deleted; dropped on a rollback).
	entities map[[2]string]entityRef
	// Across consecutive AddArticles transactions only (any other drops
	// them at its end), for a database whose story_terms or copy_keys
	// were empty when they were started: termsSeen and keysSeen hold
	// every term and key filed since, so a term or key they lack has no
	// stored postings (nil: unknown). keys caches, like postings, each
	// copy key's newest stored postings (newest first, at most
	// copyPostingLimit).
	termsSeen, keysSeen *bloom
	keys                twoGen[int64, []keyPosting]
	// texts caches, the same way as arts but smaller, the sorted shingle
	// sets of recently added articles' texts, which copy detection would
	// otherwise read back and shingle again.
	texts twoGen[int64, []uint64]
}

// articleInfo is what copy detection reads of an article.
type articleInfo struct {
	dupOf, story int64
	title        string
	seen         string // coalesce(published, added_at)
}

// dropCached forgets the cached stories and articles.
func (st *clusterState) dropCached() {
	st.metas.reset()
	st.arts.reset()
	st.postings.reset()
	st.texts.reset()
	st.dropIndexes()
}

// dropIndexes forgets what is known of story_terms and copy_keys as a
// whole.
func (st *clusterState) dropIndexes() {
	st.termsSeen, st.keysSeen = nil, nil
	st.keys.reset()
}

// dropBulkCaches forgets what only a run of AddArticles transactions uses
// (an import's caches of copy keys and shingle sets), to free their memory
// for what comes next.
func (st *clusterState) dropBulkCaches() {
	st.mu.Lock()
	st.dropIndexes()
	st.texts.reset()
	st.mu.Unlock()
}

// maxCachedKeys bounds each generation of the copy key cache.
const maxCachedKeys = 32768

// cachedKey returns a copy key's cached stored postings.
func (c *clusterTx) cachedKey(k int64) ([]keyPosting, bool) {
	return c.st.keys.get(k, maxCachedKeys)
}

func (c *clusterTx) rememberKey(k int64, p []keyPosting) {
	c.st.keys.put(k, p, maxCachedKeys)
}

// startIndexes starts termsSeen and keysSeen, once per transaction, for
// the tables that are empty.
func (c *clusterTx) startIndexes(ctx context.Context) error {
	if c.indexesChecked {
		return nil
	}
	c.indexesChecked = true
	st := c.st
	if st.termsSeen == nil {
		var any bool
		if err := c.tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM story_terms)").Scan(&any); err != nil {
			return err
		}
		if !any {
			st.termsSeen = newBloom()
		}
	}
	if st.keysSeen == nil {
		var any bool
		if err := c.tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM copy_keys)").Scan(&any); err != nil {
			return err
		}
		if !any {
			st.keysSeen = newBloom()
		}
	}
	return nil
}

// maxCachedTexts bounds each generation of the shingle set cache.
const maxCachedTexts = 2048

func (c *clusterTx) rememberText(id int64, shingles []uint64) {
	c.st.texts.put(id, shingles, maxCachedTexts)
}

// cachedText returns the cached shingle set of an article's text.
func (c *clusterTx) cachedText(id int64) ([]uint64, bool) {
	return c.st.texts.peek(id)
}

// maxCachedTerms bounds each generation of the postings cache.
const maxCachedTerms = 32768

// cachedPostings returns a term's cached postings.
func (c *clusterTx) cachedPostings(h termHash) ([]int64, bool) {
	return c.st.postings.get(h, maxCachedTerms)
}

func (c *clusterTx) rememberPostings(h termHash, p []int64) {
	c.st.postings.put(h, p, maxCachedTerms)
}

// postingAdded and postingDropped keep the cached postings of a term in
// step with story_terms.
func (c *clusterTx) postingAdded(h termHash, story int64) {
	p, ok := c.cachedPostings(h)
	if !ok {
		return
	}
	i, found := slices.BinarySearchFunc(p, story, func(a, b int64) int { return cmp.Compare(b, a) })
	if found {
		return
	}
	q := make([]int64, 0, len(p)+1)
	q = append(append(append(q, p[:i]...), story), p[i:]...)
	c.rememberPostings(h, q[:min(len(q), postingLimit)])
}

func (c *clusterTx) postingDropped(h termHash, story int64) {
	p, ok := c.cachedPostings(h)
	if !ok {
		return
	}
	i, found := slices.BinarySearchFunc(p, story, func(a, b int64) int { return cmp.Compare(b, a) })
	if !found {
		return
	}
	if len(p) >= postingLimit {
		// The next posting, not cached, moves up: read it again when needed.
		c.st.postings.remove(h)
		return
	}
	c.rememberPostings(h, slices.Delete(slices.Clone(p), i, i+1))
}

// article returns the cached info of an article, or nil.
func (c *clusterTx) article(id int64) *articleInfo {
	a, _ := c.st.arts.get(id, maxCachedArticles)
	return a
}

func (c *clusterTx) rememberArticle(id int64, a *articleInfo) {
	c.st.arts.put(id, a, maxCachedArticles)
}

// maxCachedArticles bounds each generation of the article cache.
const maxCachedArticles = 16384

// entityRef is a cached entities row.
type entityRef struct {
	id      int64
	country string
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
	txStmts
	st     *clusterState
	window time.Duration
	// During Recluster: each article's story before, so that a rebuilt
	// story keeps the id of its first report's old story (links and digest
	// history stay valid), and which old ids are taken.
	reuse   map[int64]int64
	claimed map[int64]bool
	// dirty are the terms whose document frequency this transaction
	// changed; firstNew is the id of its first new article (0: none), from
	// which on articles enter the full-text index in finish.
	dirty    map[termHash]struct{}
	firstNew int64
	// finished: finish ran; changes is total_changes() then.
	finished bool
	changes  int64
	// touched are the stories this transaction created or joined.
	touched map[int64]*storyMeta
	// deferTerms (AddArticles; not Recluster or refinement, which commit
	// without finish): most writes wait for finish, which writes each row
	// once and in few statements (pendTerms, pendKeys, pendVecs,
	// pendStories, pendMentions, pendFigures), and the in-memory indexes
	// of clusterState are used and kept current. Changes to story_terms
	// wait in pendTerms (term, story:
	// whether the row must exist) and new copy_keys rows in pendKeys until
	// finish, which writes each once, in key order, however often a
	// story's strongest terms changed in between; reads of those tables in
	// the meantime add them in (bestStory, findCopy).
	deferTerms bool
	pendTerms  map[termHash]map[int64]bool
	// pendKeys are, likewise, the copy_keys rows of this transaction's
	// articles, by key in the order filed (ascending article id), written
	// by finish; findCopy reads them before the stored ones (they are the
	// newest).
	pendKeys map[int64][]keyPosting
	// Also until finish (deferTerms): each story's latest story_vectors
	// row (storyMeta reads it from here, not from the table), and the
	// articles' mentions and figures rows, in the order filed.
	pendVecs map[int64]pendingVectors
	// pendStories are the stories rows joinStory changed, written before
	// anything reads them: storyMeta, bestStory's look-up by primary
	// company (stories whose primary company that is), finish.
	pendStories  map[int64]*storyUpdate
	pendMentions []any
	pendFigures  []any
	// indexesChecked: startIndexes ran.
	indexesChecked bool
	// stored maps the canonical URLs of the batch that are stored to
	// their ids (nil: look each up), kept current by addArticle.
	stored map[string]int64
	// base, when set, reads what this transaction read when it began:
	// refine loads and groups the next part through it while this
	// transaction rebuilds the last (refineStories; nil in Recluster,
	// whose refinement reads its own uncommitted stories).
	base *sql.DB
}

// pendingVectors is a story_vectors row not yet written.
type pendingVectors struct {
	members       int64
	centroid, rep vector
}

// insertRows runs INSERT statements of up to chunk rows each: head, then
// one "(?, ...)" of width placeholders a row, then tail; args holds width
// values a row.
func (c *clusterTx) insertRows(ctx context.Context, head, tail string, width, chunk int, args []any) error {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + "), "
	for len(args) > 0 {
		n := min(chunk, len(args)/width)
		q := head + " VALUES " + strings.TrimSuffix(strings.Repeat(row, n), ", ") + tail
		if _, err := c.exec(ctx, q, args[:n*width]...); err != nil {
			return err
		}
		args = args[n*width:]
	}
	return nil
}

// writePending writes the story vectors, mentions and figures that wait
// for finish.
func (c *clusterTx) writePending(ctx context.Context) error {
	ids := make([]int64, 0, len(c.pendVecs))
	for id := range c.pendVecs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	args := make([]any, 0, 4*len(ids))
	for _, id := range ids {
		v := c.pendVecs[id]
		args = append(args, id, v.members, v.centroid.encode(), v.rep.encode())
	}
	if err := c.insertRows(ctx, "INSERT INTO story_vectors (story_id, members, vec, rep_vec)",
		" ON CONFLICT (story_id) DO UPDATE SET members = excluded.members, vec = excluded.vec, rep_vec = excluded.rep_vec",
		4, 128, args); err != nil {
		return fmt.Errorf("store story vectors: %w", err)
	}
	c.pendVecs = nil
	if err := c.insertRows(ctx, "INSERT INTO mentions (article_id, entity_id, count, is_primary)",
		" ON CONFLICT (article_id, entity_id) DO UPDATE SET count = mentions.count + excluded.count, is_primary = max(mentions.is_primary, excluded.is_primary)",
		4, 256, c.pendMentions); err != nil {
		return fmt.Errorf("store mentions: %w", err)
	}
	c.pendMentions = nil
	if err := c.insertRows(ctx, "INSERT INTO figures (article_id, kind, value, approx, text)", "", 5, 256, c.pendFigures); err != nil {
		return fmt.Errorf("store figures: %w", err)
	}
	c.pendFigures = nil
	return nil
}

// keyPosting is a copy_keys row under a known key.
type keyPosting struct{ id, hash int64 }

// writeKeys writes the pending copy_keys rows, in key order.
func (c *clusterTx) writeKeys(ctx context.Context) error {
	keys := make([]int64, 0, len(c.pendKeys))
	for k := range c.pendKeys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	const chunk = 256
	args := make([]any, 0, 3*chunk)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		n := len(args) / 3
		q := "INSERT OR IGNORE INTO copy_keys (key, article_id, simhash) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ")
		_, err := c.exec(ctx, q, args...)
		args = args[:0]
		return err
	}
	for _, k := range keys {
		c.keysFiled(k, c.pendKeys[k])
		for _, p := range c.pendKeys[k] {
			args = append(args, k, p.id, p.hash)
			if len(args) == 3*chunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	c.pendKeys = nil
	return nil
}

// keysFiled brings what is cached of a copy key in line with the
// postings filed under it (ascending article ids, all newer than any
// stored).
func (c *clusterTx) keysFiled(k int64, filed []keyPosting) {
	st := c.st
	stored, ok := c.cachedKey(k)
	if !ok && st.keysSeen != nil && !st.keysSeen.has(uint64(k)) {
		stored, ok = nil, true
	}
	if st.keysSeen != nil {
		st.keysSeen.add(uint64(k))
	}
	if !ok {
		return
	}
	c.rememberKey(k, newestPostings(filed, stored))
}

// newestPostings are a key's postings newest first, at most
// copyPostingLimit: those filed in this transaction (in filing order, so
// read backwards), then the stored ones (already newest first).
func newestPostings(filed, stored []keyPosting) []keyPosting {
	p := make([]keyPosting, 0, min(len(filed)+len(stored), copyPostingLimit))
	for i := len(filed) - 1; i >= 0 && len(p) < copyPostingLimit; i-- {
		p = append(p, filed[i])
	}
	for _, x := range stored {
		if len(p) == copyPostingLimit {
			break
		}
		p = append(p, x)
	}
	return p
}

func (c *clusterTx) pendTerm(h termHash, story int64, want bool) {
	if c.pendTerms == nil {
		c.pendTerms = map[termHash]map[int64]bool{}
	}
	m := c.pendTerms[h]
	if m == nil {
		m = map[int64]bool{}
		c.pendTerms[h] = m
	}
	m[story] = want
}

// pendingDrops counts the postings of h removed but not yet written.
func (c *clusterTx) pendingDrops(h termHash) int {
	n := 0
	for _, want := range c.pendTerms[h] {
		if !want {
			n++
		}
	}
	return n
}

// withPending applies the pending changes of h to its newest postings as
// stored (read with a limit raised by pendingDrops): the newest
// postingLimit postings as they will be.
func (c *clusterTx) withPending(h termHash, p []int64) []int64 {
	pend := c.pendTerms[h]
	if len(pend) == 0 {
		return p
	}
	out := make([]int64, 0, len(p)+len(pend))
	for _, id := range p {
		if want, ok := pend[id]; ok && !want {
			continue
		}
		out = append(out, id)
	}
	for id, want := range pend {
		if want && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(a, b int64) int { return cmp.Compare(b, a) })
	return out[:min(len(out), postingLimit)]
}

// writeTerms writes the pending story_terms changes.
func (c *clusterTx) writeTerms(ctx context.Context) error {
	type row struct {
		h     termHash
		story int64
	}
	var add, drop []row
	for h, m := range c.pendTerms {
		for story, want := range m {
			if want {
				add = append(add, row{h, story})
			} else {
				drop = append(drop, row{h, story})
			}
		}
	}
	byKey := func(a, b row) int {
		if a.h != b.h {
			return cmp.Compare(a.h, b.h)
		}
		return cmp.Compare(a.story, b.story)
	}
	slices.SortFunc(add, byKey)
	slices.SortFunc(drop, byKey)
	if c.st.termsSeen != nil {
		for _, r := range add {
			c.st.termsSeen.add(uint64(r.h))
		}
	}
	for _, r := range drop {
		if _, err := c.exec(ctx, "DELETE FROM story_terms WHERE term = ? AND story_id = ?", int64(r.h), r.story); err != nil {
			return err
		}
	}
	const chunk = 256
	args := make([]any, 0, 2*chunk)
	for len(add) > 0 {
		n := min(chunk, len(add))
		args = args[:0]
		for _, r := range add[:n] {
			args = append(args, int64(r.h), r.story)
		}
		q := "INSERT OR IGNORE INTO story_terms (term, story_id) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ")
		if _, err := c.exec(ctx, q, args...); err != nil {
			return err
		}
		add = add[n:]
	}
	c.pendTerms = nil
	return nil
}

// inClusterTx runs fn in one write transaction holding the clustering
// state, and commits when fn succeeds. The state's caches are kept only when
// the transaction commits.
//
// The transaction and the statements run through c.exec, c.query and
// c.queryRow do not watch ctx themselves: those check it before each
// statement instead (see quiet), and the deferred Rollback ends the
// transaction when fn returns its error.
func (db *DB) inClusterTx(ctx context.Context, fn func(c *clusterTx) error) error {
	tx, err := db.write.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	c, err := db.beginCluster(ctx, tx)
	if err != nil {
		return err
	}
	committed := false
	defer func() { c.end(committed) }()
	if err := fn(c); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	committed = true
	return nil
}

// beginCluster takes the clustering state for tx, reloading document
// frequencies if another connection wrote since they were read. The caller
// must call end.
func (db *DB) beginCluster(ctx context.Context, tx *sql.Tx) (*clusterTx, error) {
	st := &db.clu
	st.mu.Lock()
	c := &clusterTx{txStmts: newTxStmts(tx), st: st, window: st.window}
	if c.window <= 0 {
		c.window = DefaultStoryWindow
	}
	// Clustering reads story vectors, postings and copy keys all over the
	// file: a 48 MB page cache (default 2 MB) keeps per-article cost flat
	// as the database grows. 64 MB measured no faster at 100,000 articles
	// with 4096-article batches and took 35 MB more of the import's 300 MB
	// memory budget. Per connection, so set with every transaction.
	if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -49152"); err != nil {
		c.end(false)
		return nil, err
	}
	var version int64
	if err := tx.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version); err != nil {
		c.end(false)
		return nil, err
	}
	if !st.loaded || version != st.dataVersion {
		// Another connection wrote: everything cached may be stale.
		st.dropCached()
		st.entities = nil
		if err := c.loadDF(ctx); err != nil {
			c.end(false)
			return nil, fmt.Errorf("read document frequencies: %w", err)
		}
		st.dataVersion = version
		st.loaded = true
	}
	// Another write on this connection (reextract, recluster) may have
	// changed stories since the cached ones were read.
	if st.metasValid {
		var changes int64
		if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&changes); err != nil {
			c.end(false)
			return nil, err
		}
		if changes != st.changes {
			st.metasValid = false
		}
	}
	if !st.metasValid {
		st.dropCached()
	}
	return c, nil
}

// end releases the state; unless the transaction committed, the cached
// frequencies, stories and entities no longer match the database and are
// dropped.
func (c *clusterTx) end(committed bool) {
	c.closeStmts()
	st := c.st
	if !c.deferTerms {
		// Only AddArticles transactions keep them current.
		st.dropIndexes()
	}
	switch {
	case !committed:
		st.loaded = false
		st.df = nil
		st.dfFull = false
		st.dropCached()
		st.entities = nil
		st.metasValid = false
	case c.finished:
		st.dfFull = false
		st.changes = c.changes
		st.metasValid = true
	default:
		st.metasValid = false
	}
	st.mu.Unlock()
}

// touch notes a story whose times this transaction may set.
func (c *clusterTx) touch(id int64, m *storyMeta) {
	if c.touched == nil {
		c.touched = map[int64]*storyMeta{}
	}
	c.touched[id] = m
}

// finish completes a transaction that added articles, just before it
// commits: the new articles enter the full-text index in one statement
// (FTS5 flushes once per transaction, not once per article) and the
// changed document frequencies are stored in term_df.
func (c *clusterTx) finish(ctx context.Context) error {
	if err := c.writeTerms(ctx); err != nil {
		return fmt.Errorf("store story terms: %w", err)
	}
	if err := c.writeKeys(ctx); err != nil {
		return fmt.Errorf("store copy keys: %w", err)
	}
	if err := c.writePending(ctx); err != nil {
		return err
	}
	if err := c.writeStories(ctx, ""); err != nil {
		return fmt.Errorf("store stories: %w", err)
	}
	if c.firstNew != 0 {
		// Ids are assigned in increasing order within the transaction
		// (one writer): every row from the first new one on is new.
		if _, err := c.tx.ExecContext(ctx, "INSERT INTO articles_fts (rowid, title, text) SELECT id, title, text FROM articles WHERE id >= ?", c.firstNew); err != nil {
			return err
		}
	}
	var terms []termHash
	if c.st.dfFull {
		terms = make([]termHash, 0, len(c.st.df))
		for h := range c.st.df {
			terms = append(terms, h)
		}
	} else {
		terms = make([]termHash, 0, len(c.dirty))
		for h := range c.dirty {
			terms = append(terms, h)
		}
	}
	// Ascending keys append to the table's B-tree in order.
	slices.Sort(terms)
	const chunk = 256
	args := make([]any, 0, 2*chunk)
	for len(terms) > 0 {
		n := min(chunk, len(terms))
		args = args[:0]
		for _, h := range terms[:n] {
			args = append(args, int64(h), c.st.df[h])
		}
		q := "INSERT INTO term_df (term, df) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ") +
			" ON CONFLICT (term) DO UPDATE SET df = excluded.df"
		if _, err := c.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store document frequencies: %w", err)
		}
		terms = terms[n:]
	}
	// Cached stories outlive the transaction: their times become what a
	// later transaction would read back (RFC 3339, whole seconds).
	for _, m := range c.touched {
		m.firstSeen = m.firstSeen.UTC().Truncate(time.Second)
		m.lastSeen = m.lastSeen.UTC().Truncate(time.Second)
	}
	if err := c.tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&c.changes); err != nil {
		return err
	}
	c.finished = true
	return nil
}

func (c *clusterTx) loadDF(ctx context.Context) error {
	c.st.df = map[termHash]int32{}
	c.st.docs = 0
	if err := c.tx.QueryRowContext(ctx, "SELECT count(*) FROM articles").Scan(&c.st.docs); err != nil {
		return err
	}
	c.st.dfFull = false
	if c.st.docs == 0 {
		return nil
	}
	rows, err := c.tx.QueryContext(ctx, "SELECT term, df FROM term_df")
	if err != nil {
		return err
	}
	for rows.Next() {
		var h, n int64
		if err := rows.Scan(&h, &n); err != nil {
			rows.Close()
			return err
		}
		c.st.df[termHash(h)] = int32(n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(c.st.df) > 0 {
		return nil
	}
	// A database written before term_df existed: count from the full-text
	// index once, and store the result with the next write.
	c.st.dfFull = true
	rows, err = c.tx.QueryContext(ctx, "SELECT term, doc FROM articles_fts_vocab")
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
	// Recluster has emptied the stories: none of the cached ones holds.
	c.st.dropCached()
}

// count adds a report's words to the document frequencies.
func (c *clusterTx) count(f features) {
	c.st.docs++
	if c.dirty == nil {
		c.dirty = make(map[termHash]struct{}, 4096)
	}
	for w := range f.uni {
		h := hashTerm(w)
		c.st.df[h]++
		c.dirty[h] = struct{}{}
	}
}

// countAndWeigh is count then weigh, over a plan.
func (c *clusterTx) countAndWeigh(p *termPlan) vector {
	c.st.docs++
	if c.dirty == nil {
		c.dirty = make(map[termHash]struct{}, 4096)
	}
	for _, h := range p.uni {
		c.st.df[h]++
		c.dirty[h] = struct{}{}
	}
	n := float64(c.st.docs)
	idf := make([]float64, len(p.uni))
	for i, h := range p.uni {
		idf[i] = math.Log((n+1)/(float64(c.st.df[h])+1)) + 1
	}
	return p.weigh(idf)
}

func (c *clusterTx) idf(word string) float64 {
	df := float64(c.st.df[hashTerm(word)])
	n := float64(c.st.docs)
	return math.Log((n+1)/(df+1)) + 1
}

// txStmts prepares each statement once per transaction.
type txStmts struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func newTxStmts(tx *sql.Tx) txStmts {
	return txStmts{tx: tx, stmts: map[string]*sql.Stmt{}}
}

func (t *txStmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	t.stmts[query] = s
	return s, nil
}

// closeStmts closes the prepared statements.
func (t *txStmts) closeStmts() {
	for _, s := range t.stmts {
		s.Close()
	}
}

// quiet returns ctx's error, if it is done, else a context with ctx's
// values that is never done. The clusterer's statements are short and
// many (tens of thousands per import); given a context that can be
// canceled, the driver starts a goroutine and installs a progress handler
// for each one, which cost more than a short statement itself.
// Cancellation is seen before the next statement instead.
func quiet(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

func (c *clusterTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, err := quiet(ctx)
	if err != nil {
		return nil, err
	}
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *clusterTx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, err := quiet(ctx)
	if err != nil {
		return nil, err
	}
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (c *clusterTx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if q, err := quiet(ctx); err == nil {
		ctx = q
	}
	// (A done ctx surfaces from Scan: the statement below does not run.)
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
	// prep, if set, is prepareText(title, text), computed ahead.
	prep *textPrep
}

// textPrep is the part of decide's work that depends on a report's own
// text alone; a bulk import computes it on every core before the write.
type textPrep struct {
	// plan is articleFeatures(title, text) laid out for weighing.
	plan     *termPlan
	simhash  uint64
	shingles int
	keys     []int64
	// own is shingleSorted(body) when the text is long enough for copy
	// detection to compare shingles.
	own []uint64
}

// shingleSorted is the set of a text's word shingles (shingleSet) as a
// sorted slice: cheaper to build and to intersect than a map.
func shingleSorted(text string) []uint64 {
	s := shingles(wordHashes(text))
	slices.Sort(s)
	return slices.Compact(s)
}

// jaccardSorted is jaccard over two sorted sets.
func jaccardSorted(a, b []uint64) float64 {
	inter := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			inter++
			i++
			j++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func prepareText(title, text string) *textPrep {
	p := &textPrep{plan: articleFeatures(title, text).plan()}
	body := text
	if strings.TrimSpace(body) == "" {
		body = title
	}
	sh := shingles(wordHashes(body))
	p.simhash, p.shingles = simHashOf(sh), len(sh)
	if p.shingles > 0 {
		p.keys = copyKeys(body, p.simhash)
	}
	if p.shingles >= minShingles {
		// shingleSorted(body)
		slices.Sort(sh)
		p.own = slices.Compact(sh)
	}
	return p
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
	// own is the sorted shingle set of the text (or title) when long
	// enough for copy detection to compare shingles.
	own []uint64
}

// decide finds r's story, creating or updating stories as needed: the
// story of the text it copies, else the best matching story, else a new
// one. The article row itself is written by the caller (it may not exist
// yet, r.id 0), which then calls file.
func (c *clusterTx) decide(ctx context.Context, now time.Time, r report) (placed, error) {
	pre := r.prep
	if pre == nil {
		pre = prepareText(r.title, r.text)
	}
	vec := c.countAndWeigh(pre.plan)

	body := r.text
	if strings.TrimSpace(body) == "" {
		body = r.title
	}
	var p placed
	sh, shingles := pre.simhash, pre.shingles
	p.simhash = sh
	p.keys = pre.keys
	p.own = pre.own
	orig, storyID, err := c.findCopy(ctx, r, body, pre.own, sh, shingles, p.keys)
	if err != nil {
		return p, err
	}
	if orig != 0 {
		var origSeen string
		if a := c.article(orig); a != nil {
			origSeen = a.seen
		} else if err := c.queryRow(ctx, "SELECT coalesce(published, added_at) FROM articles WHERE id = ?", orig).Scan(&origSeen); err != nil {
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
		c.st.arts.each(func(id int64, a *articleInfo) {
			if id == p.supersedes || a.dupOf == p.supersedes {
				a.dupOf = articleID
			}
		})
	}
	if len(p.keys) == 0 {
		return nil
	}
	if c.deferTerms {
		if c.pendKeys == nil {
			c.pendKeys = map[int64][]keyPosting{}
		}
		for _, k := range p.keys {
			l := c.pendKeys[k]
			if n := len(l); n > 0 && l[n-1].id == articleID {
				continue // the same key twice (INSERT OR IGNORE)
			}
			c.pendKeys[k] = append(l, keyPosting{articleID, int64(p.simhash)})
		}
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
	c.st.arts.remove(r.id)
	return c.file(ctx, r.id, p)
}

// findCopy returns the first copy of the text r copies, and its story, or
// zeros. Candidates share a copy key; they are copies when their SimHashes
// are within maxDupDistance or, failing that, their shingles overlap by
// minCopyJaccard. Short texts are copies only when identical, headline
// included.
func (c *clusterTx) findCopy(ctx context.Context, r report, body string, own []uint64, sh uint64, shingles int, keys []int64) (orig, storyID int64, err error) {
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
	// One statement for all keys, each key's postings capped on its own;
	// the postings this transaction filed come first (they are newest).
	uniq := make([]int64, 0, len(keys))
	for _, k := range keys {
		if !slices.Contains(uniq, k) {
			uniq = append(uniq, k)
		}
	}
	stored := make(map[int64][]keyPosting, len(uniq))
	args := make([]any, 0, 2*len(uniq))
	cache := c.deferTerms
	if cache {
		if err := c.startIndexes(ctx); err != nil {
			return 0, 0, err
		}
	}
	for _, k := range uniq {
		if cache {
			if p, ok := c.cachedKey(k); ok {
				stored[k] = p
				continue
			}
			if c.st.keysSeen != nil && !c.st.keysSeen.has(uint64(k)) {
				stored[k] = nil // (not cached: keysSeen answers again)
				continue
			}
		}
		args = append(args, k, copyPostingLimit)
	}
	if len(args) > 0 {
		rows, err := c.query(ctx, unionPostings("copy_keys", "key", "article_id, simhash, key", len(args)/2), args...)
		if err != nil {
			return 0, 0, err
		}
		for rows.Next() {
			var id, h, k int64
			if err := rows.Scan(&id, &h, &k); err != nil {
				rows.Close()
				return 0, 0, err
			}
			stored[k] = append(stored[k], keyPosting{id, h})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, 0, err
		}
		if cache {
			for i := 0; i < len(args); i += 2 {
				k := args[i].(int64)
				c.rememberKey(k, stored[k])
			}
		}
	}
	for _, k := range uniq {
		list := stored[k]
		if pend := c.pendKeys[k]; len(pend) > 0 {
			list = newestPostings(pend, list)
		}
		// Through a SimHash band alone, only a nearer text may be compared
		// shingle by shingle: bands match at random ever more often as the
		// archive grows (with 100,000 reports, 86% of the texts compared
		// came through a band alone, and 1 in 12,000 was a copy).
		maxD := maxJaccardDistance
		if slices.Index(keys, k) < simHashBands {
			maxD = maxBandJaccardDistance
		}
		for _, p := range list {
			d := bits.OnesCount64(sh ^ uint64(p.hash))
			if p.id != r.id && (d <= maxD && shingles >= minShingles || d == 0) {
				cands[p.id] = cand{hash: uint64(p.hash)}
			}
		}
	}
	// Nearest SimHash first, then the oldest first copy. Only near texts
	// get this far; their links are read one distance at a time, and not
	// at all for the distances that can no longer yield a copy.
	type scored struct {
		id, first int64
		d         int
	}
	byDist := make([]scored, 0, len(cands))
	for id, x := range cands {
		byDist = append(byDist, scored{id: id, d: bits.OnesCount64(sh ^ x.hash)})
	}
	slices.SortFunc(byDist, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return cmp.Compare(a.id, b.id)
	})
	checks := 0
	// texts are the candidates' texts read with their links.
	var texts map[int64]string
	for len(byDist) > 0 {
		d := byDist[0].d
		n := 1
		for n < len(byDist) && byDist[n].d == d {
			n++
		}
		group := byDist[:n]
		byDist = byDist[n:]
		if shingles < minShingles && d != 0 ||
			d > maxDupDistance && (d > maxJaccardDistance || checks >= maxJaccardChecks) {
			break // neither this distance nor a larger one can be a copy
		}
		// The group's links, those of articles not cached read in one
		// statement; with their texts, those not cached either, when they
		// may be compared shingle by shingle (they sit in the same rows).
		withText := shingles >= minShingles && d > maxDupDistance && d <= maxJaccardDistance && checks < maxJaccardChecks
		var unread []any
		var known map[int64]bool // links cached, text read
		for _, o := range group {
			a := c.article(o.id)
			if a != nil {
				x := cands[o.id]
				x.dupOf, x.story, x.title = a.dupOf, a.story, a.title
				cands[o.id] = x
			}
			if a == nil {
				unread = append(unread, o.id)
			} else if _, ok := c.cachedText(o.id); withText && !ok {
				if known == nil {
					known = map[int64]bool{}
				}
				known[o.id] = true
				unread = append(unread, o.id)
			}
		}
		if len(unread) > 0 {
			cols := "id, coalesce(duplicate_of, 0), coalesce(story_id, 0), title"
			if withText {
				cols += ", CASE WHEN text = '' THEN title ELSE text END"
				if texts == nil {
					texts = map[int64]string{}
				}
			}
			rows, err := c.query(ctx, "SELECT "+cols+" FROM articles WHERE id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(unread)), ", ")+")", unread...)
			if err != nil {
				return 0, 0, err
			}
			found := 0
			for rows.Next() {
				var id int64
				var x cand
				var text string
				dest := []any{&id, &x.dupOf, &x.story, &x.title}
				if withText {
					dest = append(dest, &text)
				}
				if err := rows.Scan(dest...); err != nil {
					rows.Close()
					return 0, 0, err
				}
				if !known[id] {
					x.hash = cands[id].hash
					cands[id] = x
				}
				if withText {
					texts[id] = text
				}
				found++
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return 0, 0, err
			}
			if found != len(unread) {
				return 0, 0, sql.ErrNoRows
			}
		}
		order := group[:0]
		for _, o := range group {
			x := cands[o.id]
			if x.story == 0 {
				continue
			}
			o.first = o.id
			if x.dupOf != 0 {
				o.first = x.dupOf
			}
			order = append(order, o)
		}
		slices.SortFunc(order, func(a, b scored) int {
			if a.first != b.first {
				return cmp.Compare(a.first, b.first)
			}
			return cmp.Compare(a.id, b.id)
		})
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
				theirs, ok := c.cachedText(o.id)
				if text, read := texts[o.id]; !ok && read {
					theirs, ok = shingleSorted(text), true
				}
				if !ok {
					var text string
					if err := c.queryRow(ctx, "SELECT CASE WHEN text = '' THEN title ELSE text END FROM articles WHERE id = ?", o.id).Scan(&text); err != nil {
						return 0, 0, err
					}
					theirs = shingleSorted(text)
				}
				if own == nil {
					own = shingleSorted(body)
				}
				if jaccardSorted(own, theirs) < minCopyJaccard {
					continue
				}
			default:
				continue
			}
			return o.first, x.story, nil
		}
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
	// relevance is the highest of its reports' (stories.relevance).
	relevance     float64
	members       int64
	centroid, rep vector
	norm          float64
	// index is centroid.top(indexTerms) once computed (nil: not yet).
	index vector
	// sites are sites the story has a report from, all of them if
	// allSites; known only to AddArticles transactions (deferTerms),
	// which keep them current (any other write drops cached stories).
	sites    map[string]bool
	allSites bool
}

// noIncidentBelow is the relevance under which a report tells of no cyber
// incident at all (procurement news, a programme roundup).
const noIncidentBelow = 0.25

// incidentApart reports whether two reports, or stories by their highest
// relevance, must stay apart when they share no primary company: one tells
// of no incident and the other of one. Shared agencies and programme words
// otherwise pull procurement news into an incident's story. Reports between
// the two bounds (a recovery update, a short follow-up) are left to the text.
func incidentApart(a, b float64) bool {
	return (a < noIncidentBelow && b >= RelevanceThreshold) || (b < noIncidentBelow && a >= RelevanceThreshold)
}

// bestStory returns the story r should join, or 0. Candidates come from
// the term index and the primary company's recent stories, never from a
// scan of all stories.
func (c *clusterTx) bestStory(ctx context.Context, r report, vec vector) (int64, error) {
	// Votes: one story id per posting, and queryTerms votes for each of
	// the primary company's stories (summed per story below: cheaper than
	// a map for a few hundred postings).
	votes := make([]int64, 0, queryTerms*postingLimit)
	var primaryVotes []int64
	top := vec.top(queryTerms)
	// Postings come from the cache, the missing terms' from one statement.
	args := make([]any, 0, 2*len(top))
	missing := map[termHash][]int64{}
	if c.deferTerms {
		if err := c.startIndexes(ctx); err != nil {
			return 0, err
		}
	}
	for _, t := range top {
		if p, ok := c.cachedPostings(t.h); ok {
			votes = append(votes, p...)
			continue
		}
		if c.deferTerms && c.st.termsSeen != nil && !c.st.termsSeen.has(uint64(t.h)) {
			// Never filed: only this transaction's postings.
			p := c.withPending(t.h, nil)
			c.rememberPostings(t.h, p)
			votes = append(votes, p...)
			continue
		}
		missing[t.h] = nil
		args = append(args, int64(t.h), postingLimit+c.pendingDrops(t.h))
	}
	if len(missing) > 0 {
		rows, err := c.query(ctx, unionPostings("story_terms", "term", "story_id, term", len(missing)), args...)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var id, h int64
			if err := rows.Scan(&id, &h); err != nil {
				rows.Close()
				return 0, err
			}
			missing[termHash(h)] = append(missing[termHash(h)], id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for h, p := range missing {
			p = c.withPending(h, p)
			c.rememberPostings(h, p)
			votes = append(votes, p...)
		}
	}
	if r.primary != "" {
		// The rows it reads must be as they stand.
		if err := c.writeStories(ctx, r.primary); err != nil {
			return 0, err
		}
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
			primaryVotes = append(primaryVotes, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	ids := topVoted(votes, primaryVotes)

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
		case incidentApart(r.relevance, m.relevance):
			continue
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

// topVoted returns the maxCandidates stories with the most votes, most
// first, then the newest (the highest id): one vote per posting, queryTerms
// per primary company story.
func topVoted(postings, primary []int64) []int64 {
	type voted struct {
		id    int64
		votes int
	}
	slices.Sort(postings)
	vs := make([]voted, 0, len(postings)+len(primary))
	for _, id := range postings {
		if n := len(vs); n > 0 && vs[n-1].id == id {
			vs[n-1].votes++
			continue
		}
		vs = append(vs, voted{id, 1})
	}
	for _, id := range primary {
		i, found := slices.BinarySearchFunc(vs, id, func(v voted, id int64) int { return cmp.Compare(v.id, id) })
		if found {
			vs[i].votes += queryTerms
		} else {
			vs = slices.Insert(vs, i, voted{id, queryTerms})
		}
	}
	// Sort one key a story, votes above the id, when the ids allow.
	const idBits = 56
	packed := make([]uint64, 0, len(vs))
	for _, v := range vs {
		if v.id < 0 || v.id >= 1<<idBits || v.votes < 0 || v.votes >= 1<<(63-idBits) {
			packed = nil
			break
		}
		packed = append(packed, uint64(v.votes)<<idBits|uint64(v.id))
	}
	ids := make([]int64, 0, min(len(vs), maxCandidates))
	if packed != nil {
		slices.Sort(packed)
		for i := len(packed) - 1; i >= 0 && len(ids) < maxCandidates; i-- {
			ids = append(ids, int64(packed[i]&(1<<idBits-1)))
		}
		return ids
	}
	slices.SortFunc(vs, func(a, b voted) int {
		if a.votes != b.votes {
			return b.votes - a.votes
		}
		return cmp.Compare(b.id, a.id)
	})
	for _, v := range vs[:min(len(vs), maxCandidates)] {
		ids = append(ids, v.id)
	}
	return ids
}

// storyMeta returns a story's clustering state, from the transaction's
// cache when it was read or written before.
func (c *clusterTx) storyMeta(ctx context.Context, id int64) (*storyMeta, error) {
	if m, ok := c.st.metas.get(id, maxCachedStories); ok {
		return m, nil
	}
	// Its row as it stands, pending changes included.
	if err := c.writeStory(ctx, id); err != nil {
		return nil, err
	}
	m := &storyMeta{}
	var first, last string
	if v, ok := c.pendVecs[id]; ok {
		// Its story_vectors row is not written yet: read the rest, as the
		// statement below would.
		err := c.queryRow(ctx, `SELECT first_seen, last_seen, primary_company, relevance FROM stories WHERE id = ?`, id).Scan(&first, &last, &m.primary, &m.relevance)
		if err != nil {
			return nil, err
		}
		m.firstSeen = parseTime(sql.NullString{String: first, Valid: true})
		m.lastSeen = parseTime(sql.NullString{String: last, Valid: true})
		m.members = v.members
		m.centroid = slices.Clone(v.centroid)
		m.norm = m.centroid.norm()
		m.rep = slices.Clone(v.rep)
		c.remember(id, m)
		return m, nil
	}
	var cblob, rblob []byte
	err := c.queryRow(ctx, `SELECT s.first_seen, s.last_seen, s.primary_company, s.relevance, v.members, v.vec, v.rep_vec
		FROM stories s JOIN story_vectors v ON v.story_id = s.id WHERE s.id = ?`, id).Scan(&first, &last, &m.primary, &m.relevance, &m.members, &cblob, &rblob)
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

// maxCachedStories bounds each generation of the story cache: the stories
// used since the older generation was retired stay, at most twice this.
const maxCachedStories = 4096

func (c *clusterTx) remember(id int64, m *storyMeta) {
	c.st.metas.put(id, m, maxCachedStories)
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
	m := startMeta(r, vec)
	if c.deferTerms && r.id == 0 {
		// Its only report is the new article.
		m.sites, m.allSites = map[string]bool{r.site: true}, true
	}
	c.remember(id, m)
	c.touch(id, m)
	var err error
	m.index, err = c.writeVectors(ctx, id, m.members, m.centroid, m.rep, nil)
	return err
}

// startMeta is the state of a story whose only report is r.
func startMeta(r report, vec vector) *storyMeta {
	m := &storyMeta{firstSeen: r.seen, lastSeen: r.seen, primary: r.primary, relevance: r.relevance, members: 1,
		centroid: vec.truncate(centroidTerms), rep: vec.truncate(repTerms)}
	m.norm = m.centroid.norm()
	return m
}

// absorb adds a report's vector to the story's centroid and reports
// whether its headline becomes the story's title: the title is the
// headline of the report nearest the centroid.
func (m *storyMeta) absorb(vec vector, title string) bool {
	m.centroid = m.centroid.add(vec).truncate(centroidTerms)
	m.norm = m.centroid.norm()
	m.members++
	if title != "" && dot(vec, m.centroid) > cosine(m.rep, m.centroid)*m.norm {
		m.rep = vec.truncate(repTerms)
		return true
	}
	return false
}

// joinStory adds r to a story: its times, counts, facts, and, unless r is a
// duplicate copy (vec nil), its centroid and perhaps its title.
func (c *clusterTx) joinStory(ctx context.Context, now time.Time, storyID int64, r report, vec vector) error {
	m, err := c.storyMeta(ctx, storyID)
	if err != nil {
		return err
	}
	// A new article (r.id 0) in AddArticles: the story's sites may be known.
	known := c.deferTerms && r.id == 0
	var newSite bool
	switch {
	case known && m.sites[r.site]:
	case known && m.allSites:
		newSite = true
	default:
		if err := c.queryRow(ctx, "SELECT NOT EXISTS (SELECT 1 FROM articles WHERE story_id = ? AND site = ? AND id <> ?)",
			storyID, r.site, r.id).Scan(&newSite); err != nil {
			return err
		}
	}
	if known {
		if m.sites == nil {
			m.sites = map[string]bool{}
		}
		m.sites[r.site] = true
	} else {
		m.sites, m.allSites = nil, false
	}
	c.touch(storyID, m)
	var title any
	if vec != nil {
		oldIndex := m.index
		if oldIndex == nil {
			oldIndex = m.centroid.top(indexTerms)
		}
		if m.absorb(vec, r.title) {
			title = r.title
		}
		if m.index, err = c.writeVectors(ctx, storyID, m.members, m.centroid, m.rep, oldIndex); err != nil {
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
	m.relevance = max(m.relevance, r.relevance)
	if c.deferTerms {
		c.pendStory(storyID, m, r, newSite, title, now)
		return nil
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

// storyUpdate is what joinStory's UPDATE of a stories row would have done
// for each report that joined it since the row was last written, folded
// into one UPDATE (pendStory, writeStory).
type storyUpdate struct {
	m           *storyMeta
	first, last string // min and max of the reports' times
	reports     int64
	newSites    int64
	relevance   float64
	files       sql.NullInt64 // the largest figure
	primary     string        // the first report's primary company, if any
	title       any           // the last new title, or nil
	updated     any
}

// pendStory folds one joinStory's change to the stories row into the
// story's pending update.
func (c *clusterTx) pendStory(id int64, m *storyMeta, r report, newSite bool, title any, now time.Time) {
	if c.pendStories == nil {
		c.pendStories = map[int64]*storyUpdate{}
	}
	seen, _ := timeValue(r.seen).(string)
	u := c.pendStories[id]
	if u == nil {
		u = &storyUpdate{m: m, first: seen, last: seen, relevance: r.relevance, primary: r.primary}
		c.pendStories[id] = u
	} else {
		u.first, u.last = min(u.first, seen), max(u.last, seen)
		u.relevance = max(u.relevance, r.relevance)
		if u.primary == "" {
			u.primary = r.primary
		}
	}
	u.reports++
	if newSite {
		u.newSites++
	}
	if r.files.Valid && (!u.files.Valid || r.files.Int64 > u.files.Int64) {
		u.files = r.files
	}
	if title != nil {
		u.title = title
	}
	u.updated = timeValue(now)
}

// writeStory writes a story's pending update, if any.
func (c *clusterTx) writeStory(ctx context.Context, id int64) error {
	u := c.pendStories[id]
	if u == nil {
		return nil
	}
	delete(c.pendStories, id)
	var files any
	if u.files.Valid {
		files = u.files.Int64
	}
	_, err := c.exec(ctx, `UPDATE stories SET
		first_seen = min(first_seen, ?1), last_seen = max(last_seen, ?2),
		article_count = article_count + ?3, site_count = site_count + ?4,
		relevance = max(relevance, ?5),
		files = CASE WHEN ?6 IS NOT NULL AND (files IS NULL OR ?6 > files) THEN ?6 ELSE files END,
		primary_company = CASE WHEN primary_company = '' THEN ?7 ELSE primary_company END,
		title = coalesce(?8, title), updated_at = ?9
		WHERE id = ?10`,
		u.first, u.last, u.reports, u.newSites, u.relevance, files, u.primary, u.title, u.updated, id)
	return err
}

// writeStories writes the pending updates of the stories whose primary
// company is primary ("": all of them), in id order.
func (c *clusterTx) writeStories(ctx context.Context, primary string) error {
	var ids []int64
	for id, u := range c.pendStories {
		if primary == "" || u.m.primary == primary {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := c.writeStory(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// writeVectors stores a story's centroid and title vector and brings its
// story_terms in line with the centroid's strongest terms (old: the
// strongest terms before, nil for a new story).
func (c *clusterTx) writeVectors(ctx context.Context, storyID, members int64, centroid, rep, old vector) (newTop vector, err error) {
	if c.deferTerms {
		// Written once by finish, however often the story changes.
		if c.pendVecs == nil {
			c.pendVecs = map[int64]pendingVectors{}
		}
		c.pendVecs[storyID] = pendingVectors{members, centroid, rep}
	} else if _, err := c.exec(ctx, `INSERT INTO story_vectors (story_id, members, vec, rep_vec) VALUES (?, ?, ?, ?)
		ON CONFLICT (story_id) DO UPDATE SET members = excluded.members, vec = excluded.vec, rep_vec = excluded.rep_vec`,
		storyID, members, centroid.encode(), rep.encode()); err != nil {
		return nil, err
	}
	// A few terms each: a scan beats a map.
	has := func(v vector, h termHash) bool {
		for _, t := range v {
			if t.h == h {
				return true
			}
		}
		return false
	}
	newTop = centroid.top(indexTerms)
	// One statement for the terms gained and one for those lost.
	var add, drop []any
	for _, t := range newTop {
		if !has(old, t.h) {
			c.postingAdded(t.h, storyID)
			if c.deferTerms {
				c.pendTerm(t.h, storyID, true)
				continue
			}
			add = append(add, int64(t.h), storyID)
		}
	}
	for _, t := range old {
		if !has(newTop, t.h) {
			c.postingDropped(t.h, storyID)
			if c.deferTerms {
				c.pendTerm(t.h, storyID, false)
				continue
			}
			drop = append(drop, int64(t.h))
		}
	}
	if len(add) > 0 {
		q := "INSERT OR IGNORE INTO story_terms (term, story_id) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", len(add)/2), ", ")
		if _, err := c.exec(ctx, q, add...); err != nil {
			return nil, err
		}
	}
	if len(drop) > 0 {
		q := "DELETE FROM story_terms WHERE story_id = ? AND term IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(drop)), ", ") + ")"
		if _, err := c.exec(ctx, q, append([]any{storyID}, drop...)...); err != nil {
			return nil, err
		}
	}
	return newTop, nil
}
