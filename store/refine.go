package store

import (
	"cmp"
	"container/heap"
	"context"
	"database/sql"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Batch refinement: the single-pass clusterer decides each report once, on
// what it has seen so far. After an import or a poll (and in Recluster) the stories
// it touched are re-grouped together: their reports (duplicate copies
// aside) and those of the stories the term index finds near them are
// compared all against all with the clusterer's own vectors, each report
// keeps its refineK nearest neighbours, two reports are as similar as their
// neighbour lists are (second-order, "shared nearest neighbour" cosine),
// and groups merge by average link while their average is at least
// refineThreshold and some pair across them shares words (linkFloor). The
// hard rules hold throughout: two reports with different primary
// companies are never in one group, a group's reports are within the story
// window of each other's span, a group with a primary company takes one
// without only across a pair the single pass would join (cosine at least
// joinThreshold), and copies follow their originals. Stories whose
// membership changed are rebuilt with the code Recluster uses (newStory,
// joinStory); the others are only refolded (refreshStories). README.md,
// "Design notes".
const (
	// refineK is the neighbours each report keeps, and refineThreshold the
	// average second-order similarity at which groups merge. Both were
	// chosen on the ECB+ dev file, the only labelled data (README), so the
	// figure there is optimistic: k near the typical number of other
	// reports of one event there (about 4-5), the threshold the middle of
	// the plateau 0.05-0.12 where F1 through the import path stays at or
	// above 0.936 (0.954 at 0.08-0.10; 0.916 at 0.15).
	refineK         = 5
	refineThreshold = 0.08
	// linkFloor is the cosine some pair of two groups must reach for them
	// to merge (see averageLinkConstrained).
	linkFloor = 0.1
	// maxHub: a report among the nearest of more than this many others
	// adds nothing to their second-order similarity (see secondOrder).
	// ECB+ F1 is the same from 20 up, 0.937 at 12.
	maxHub = 30
	// refineNeighbours caps the stories the term index adds per story.
	refineNeighbours = 8
)

// maxRefineArticles caps the reports compared in one group (the work is
// quadratic in it); a larger set of stories is refined in parts. A
// variable for the tests, as is refinePipeline: refineStories loads and
// groups the next part while it rebuilds the last (refinePipelined).
var (
	maxRefineArticles = 1000
	refinePipeline    = true
)

// refineStories refines the given stories (and their neighbours) in one
// transaction.
func (db *DB) refineStories(ctx context.Context, seeds []int64) error {
	if len(seeds) == 0 {
		return nil
	}
	err := db.inClusterTx(ctx, func(c *clusterTx) error {
		// Nothing is written before refine begins, and the transaction
		// holds the write lock: a read connection sees what it sees.
		if refinePipeline {
			c.base = db.read
		}
		return c.refine(ctx, db.now(), seeds)
	})
	if err != nil {
		return fmt.Errorf("store: refine stories: %w", err)
	}
	return nil
}

// RefineSaved runs the batch refinement, as at the end of an import, over
// the stories SaveArticles changed since the last call (a poll's new
// reports) and their neighbours, and returns how many stories it started
// from. A poll calls it once at the end, not per feed: the work grows with
// the stories compared, not with the feeds.
func (db *DB) RefineSaved(ctx context.Context) (int, error) {
	db.unrefinedMu.Lock()
	seeds := make([]int64, 0, len(db.unrefined))
	for id := range db.unrefined {
		seeds = append(seeds, id)
	}
	db.unrefined = nil
	db.unrefinedMu.Unlock()
	if err := db.refineStories(ctx, seeds); err != nil {
		// Not lost: they are refined with the next poll's stories.
		db.unrefinedMu.Lock()
		if db.unrefined == nil {
			db.unrefined = map[int64]bool{}
		}
		for _, id := range seeds {
			db.unrefined[id] = true
		}
		db.unrefinedMu.Unlock()
		return 0, err
	}
	return len(seeds), nil
}

// pairFlags are what two reports' own cosine says of them.
type pairFlags uint8

const (
	// linked: the cosine is at least linkFloor.
	linked pairFlags = 1 << iota
	// strong: the single pass would join them (cosine at least its
	// threshold for the pair).
	strong
)

type refineItem struct {
	r     report
	vec   vector
	story int64
}

// refine re-groups seeds and their neighbour stories, part by part.
func (c *clusterTx) refine(ctx context.Context, now time.Time, seeds []int64) error {
	slices.Sort(seeds)
	seeds = slices.Compact(seeds)
	inSeeds := map[int64]bool{}
	for _, s := range seeds {
		inSeeds[s] = true
	}
	// Connected groups of stories: a seed and the neighbours its index
	// terms find.
	parent := map[int64]int64{}
	var find func(int64) int64
	find = func(x int64) int64 {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	neighbours, err := c.neighboursOf(ctx, seeds)
	if err != nil {
		return err
	}
	for i, s := range seeds {
		find(s)
		for _, n := range neighbours[i] {
			if a, b := find(s), find(n); a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	groups := map[int64][]int64{}
	for s := range parent {
		r := find(s)
		groups[r] = append(groups[r], s)
	}
	roots := make([]int64, 0, len(groups))
	for r := range groups {
		roots = append(roots, r)
	}
	slices.Sort(roots)
	var stories []int64
	for _, r := range roots {
		g := groups[r]
		slices.Sort(g)
		stories = append(stories, g...)
	}
	sizes := make([]int, len(stories))
	err = c.eachOnBase(ctx, len(stories), func(ctx context.Context, q rowQuerier, i int) error {
		return q.queryRow(ctx, "SELECT count(*) FROM articles WHERE story_id = ? AND duplicate_of IS NULL", stories[i]).Scan(&sizes[i])
	})
	if err != nil {
		return err
	}
	// Pack groups into parts of at most maxRefineArticles reports.
	var parts [][]int64
	var part []int64
	size := 0
	for i, s := range stories {
		n := sizes[i]
		if size > 0 && size+n > maxRefineArticles {
			parts = append(parts, part)
			part, size = nil, 0
		}
		part = append(part, s)
		size += n
	}
	if len(part) > 0 {
		parts = append(parts, part)
	}
	if c.base == nil {
		for _, part := range parts {
			items, err := loadPart(ctx, c, part)
			if err != nil {
				return err
			}
			if err := c.regroup(ctx, now, items); err != nil {
				return err
			}
		}
		return nil
	}
	return c.refinePipelined(ctx, now, parts)
}

// neighbourScanRatio (a variable for the tests): neighboursOf reads the
// whole term index once, rather than each seed's terms and their
// postings, when there is a seed for every neighbourScanRatio stories or
// fewer. At 100k articles a seed's two statements cost about as much as
// reading 120 index rows (the two ways break even near 1,900 seeds), and
// a story has about 15.
var neighbourScanRatio int64 = 8

// neighboursOf returns neighbourStories of each seed (in seeds' order),
// through c.base when set.
func (c *clusterTx) neighboursOf(ctx context.Context, seeds []int64) ([][]int64, error) {
	neighbours := make([][]int64, len(seeds))
	var stories int64
	if err := c.queryRow(ctx, "SELECT coalesce(max(id), 0) FROM stories").Scan(&stories); err != nil {
		return nil, err
	}
	if int64(len(seeds))*neighbourScanRatio < stories {
		err := c.eachOnBase(ctx, len(seeds), func(ctx context.Context, q rowQuerier, i int) (err error) {
			neighbours[i], err = neighbourStories(ctx, q, seeds[i])
			return err
		})
		return neighbours, err
	}
	var q rowQuerier = c
	if c.base != nil {
		b, err := beginBase(ctx, c.base)
		if err != nil {
			return nil, err
		}
		defer b.close()
		q = b
	}
	// The index in key order: each term's stories ascending, so its last
	// refineNeighbours are the postings neighbourStories reads.
	rows, err := q.query(ctx, "SELECT term, story_id FROM story_terms ORDER BY term, story_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	index := make(map[int64]int, len(seeds))
	for i, s := range seeds {
		index[s] = i
	}
	seedTerms := make([][]int64, len(seeds))
	newest := map[int64][]int64{}
	for rows.Next() {
		var h, id int64
		if err := rows.Scan(&h, &id); err != nil {
			return nil, err
		}
		p := newest[h]
		if len(p) == refineNeighbours {
			p = append(p[:0], p[1:]...)
		}
		newest[h] = append(p, id)
		if i, ok := index[id]; ok {
			seedTerms[i] = append(seedTerms[i], h)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, s := range seeds {
		votes := map[int64]int{}
		for _, h := range seedTerms[i] {
			for _, id := range newest[h] {
				if id != s {
					votes[id]++
				}
			}
		}
		neighbours[i] = mostVoted(votes)
	}
	return neighbours, nil
}

// neighbourStories are stories sharing index terms with story s: those
// among the refineNeighbours newest stories of most of s's terms.
func neighbourStories(ctx context.Context, q rowQuerier, s int64) ([]int64, error) {
	rows, err := q.query(ctx, "SELECT term FROM story_terms WHERE story_id = ?", s)
	if err != nil {
		return nil, err
	}
	var args []any
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return nil, err
		}
		args = append(args, h, refineNeighbours)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(args) == 0 {
		return nil, err
	}
	rows, err = q.query(ctx, unionPostings("story_terms", "term", "story_id, term", len(args)/2), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	votes := map[int64]int{}
	for rows.Next() {
		var id, h int64
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		if id != s {
			votes[id]++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return mostVoted(votes), nil
}

// mostVoted returns the refineNeighbours stories with the most votes, ties
// to the newest.
func mostVoted(votes map[int64]int) []int64 {
	ids := make([]int64, 0, len(votes))
	for id := range votes {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		if votes[a] != votes[b] {
			return votes[b] - votes[a]
		}
		return cmp.Compare(b, a)
	})
	return ids[:min(len(ids), refineNeighbours)]
}

// rowQuerier runs read statements: a clusterTx, or a baseReader.
type rowQuerier interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// baseReader reads through a read transaction on c.base, each statement
// prepared once.
type baseReader struct {
	txStmts
}

func beginBase(ctx context.Context, db *sql.DB) (*baseReader, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &baseReader{newTxStmts(tx)}, nil
}

func (b *baseReader) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := b.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (b *baseReader) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := b.stmt(ctx, query)
	if err != nil {
		// The error surfaces from Scan.
		return b.tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (b *baseReader) close() {
	b.closeStmts()
	b.tx.Rollback()
}

// eachOnBase calls f(0..n-1): on c's own transaction without c.base,
// otherwise on GOMAXPROCS read transactions at once (each f call reads
// through the one it is given).
func (c *clusterTx) eachOnBase(ctx context.Context, n int, f func(ctx context.Context, q rowQuerier, i int) error) error {
	if c.base == nil {
		for i := range n {
			if err := f(ctx, c, i); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			b, err := beginBase(ctx, c.base)
			if err != nil {
				cancel(err)
				return
			}
			defer b.close()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, b, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// refinePipelined is refine's loop over parts with three at work at once:
// one goroutine loads part i+2 through c.base, another groups part i+1 (on
// every core), and this one rebuilds the stories of part i. Parts share no
// story, so a part's rows are the same before and after the others are
// rebuilt. Loading and grouping were most of the time of an import's
// refinement at 100,000 articles.
func (c *clusterTx) refinePipelined(ctx context.Context, now time.Time, parts [][]int64) error {
	type stage struct {
		items []refineItem
		label []int
		err   error
	}
	ctx, cancel := context.WithCancel(ctx)
	loaded := make(chan stage, 1)
	grouped := make(chan stage, 1)
	var wg sync.WaitGroup
	// Shutdown: stop both goroutines, wait for them.
	defer wg.Wait()
	defer cancel()
	send := func(ch chan<- stage, st stage) bool {
		select {
		case ch <- st:
			return true
		case <-ctx.Done():
			return false
		}
	}
	wg.Go(func() {
		defer close(loaded)
		b, err := beginBase(ctx, c.base)
		if err != nil {
			send(loaded, stage{err: err})
			return
		}
		defer b.close()
		for _, part := range parts {
			items, err := loadPart(ctx, b, part)
			if !send(loaded, stage{items: items, err: err}) || err != nil {
				return
			}
		}
	})
	wg.Go(func() {
		defer close(grouped)
		for st := range loaded {
			if st.err == nil && len(st.items) >= 2 {
				st.label = c.group(st.items)
			}
			if !send(grouped, st) || st.err != nil {
				return
			}
		}
	})
	for st := range grouped {
		if st.err != nil {
			return st.err
		}
		if st.label == nil {
			continue
		}
		if err := c.rebuildChanged(ctx, now, st.items, st.label); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// partQuery lists a story's reports, duplicate copies aside.
const partQuery = "SELECT id FROM articles WHERE story_id = ? AND duplicate_of IS NULL ORDER BY id"

// loadPart reads the reports of a part's stories (duplicate copies aside).
func loadPart(ctx context.Context, q rowQuerier, stories []int64) ([]refineItem, error) {
	var items []refineItem
	for _, s := range stories {
		ids, err := scanIDs(q.query(ctx, partQuery, s))
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			r, err := scanReport(q.queryRow(ctx, reportQuery, id), id)
			if err != nil {
				return nil, err
			}
			items = append(items, refineItem{r: r, story: s})
		}
	}
	return items, nil
}

// scanIDs reads a query's single integer column (ids), closing rows.
func scanIDs(rows *sql.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// regroup re-groups a part's reports and rebuilds the stories whose
// membership changed.
func (c *clusterTx) regroup(ctx context.Context, now time.Time, items []refineItem) error {
	if len(items) < 2 {
		return nil
	}
	return c.rebuildChanged(ctx, now, items, c.group(items))
}

// group labels a part's reports with their new groups. It reads nothing
// but the items, the window and the document frequencies, which no longer
// change: refinePipelined runs it beside the transaction's writes.
func (c *clusterTx) group(items []refineItem) []int {
	// Vectors are pure functions of the text and the document
	// frequencies: computed on every core.
	parallel(len(items), func(i int) {
		items[i].vec = articleFeatures(items[i].r.title, items[i].r.text).weigh(c.idf)
	})
	sim, flags := c.secondOrder(items)
	return c.averageLinkConstrained(items, sim, flags)
}

// parallel calls f(0..n-1) on GOMAXPROCS goroutines and waits for them.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// neighbour is one entry of a report's similarity row.
type neighbour struct {
	j int
	w float64
}

// closer orders a row's entries most similar first, ties by index, so the
// k nearest are the same whatever order they were found in.
func closer(a, b neighbour) bool {
	return a.w > b.w || (a.w == b.w && a.j < b.j)
}

// secondOrder returns, for each pair of reports that share a nearest
// neighbour, the cosine of their refineK-nearest-neighbour rows, and the
// pairs' first-order evidence (pairFlags).
func (c *clusterTx) secondOrder(items []refineItem) (sim []map[int]float64, flags []map[int]pairFlags) {
	n := len(items)
	// The window is checked on nanoseconds since 1970, read once per
	// report (time.Time.Sub was a tenth of this function), when they
	// cannot overflow; the pairs checked are most of a part's n².
	seen := make([]int64, n)
	inRange := true
	for i := range items {
		t := items[i].r.seen
		inRange = inRange && t.Year() > 1700 && t.Year() < 2200
		seen[i] = t.UnixNano()
	}
	window := int64(c.window)
	allowed := func(i, j int) bool {
		a, b := &items[i].r, &items[j].r
		if a.primary != "" && b.primary != "" && a.primary != b.primary {
			return false
		}
		if !inRange {
			d := a.seen.Sub(b.seen)
			return d <= c.window && -d <= c.window
		}
		d := seen[i] - seen[j]
		return d <= window && -d <= window
	}
	// The all-pairs cosines are the quadratic part, computed a term at a
	// time: each vector is rewritten over the part's own term numbers,
	// and a row's terms, taken in hash order, add their products into one
	// accumulator per later report through the term's postings. Only
	// pairs sharing a term cost anything, and each cosine is still the
	// sum of the shared terms' products in hash order, bit for bit the one
	// dot gives.
	type posting struct {
		j int32
		w float32
	}
	termIndex := map[termHash]int32{}
	var postings [][]posting
	for j := range items {
		for _, t := range items[j].vec {
			x, ok := termIndex[t.h]
			if !ok {
				x = int32(len(postings))
				termIndex[t.h] = x
				postings = append(postings, nil)
			}
			postings[x] = append(postings[x], posting{int32(j), t.w})
		}
	}
	type pair struct {
		w     float64
		j     int32
		flags pairFlags
	}
	above := make([][]pair, n) // above[i]: pairs (i, j > i) with a positive cosine
	var accs sync.Pool
	parallel(n, func(i int) {
		acc, _ := accs.Get().([]float64)
		if acc == nil {
			acc = make([]float64, n)
		}
		for _, t := range items[i].vec {
			p := postings[termIndex[t.h]]
			// Postings are in item order: the later reports are a suffix.
			k, _ := slices.BinarySearchFunc(p, int32(i+1), func(q posting, j int32) int { return cmp.Compare(q.j, j) })
			wi := float64(t.w)
			for _, q := range p[k:] {
				acc[q.j] += wi * float64(q.w)
			}
		}
		// Counted first, so the row is allocated once at its size: rows
		// hold every pair with a positive cosine, most of a part's
		// allocations.
		size := 0
		for j := i + 1; j < n; j++ {
			if w := acc[j]; w > 0 && allowed(i, j) {
				size++
			}
		}
		out := make([]pair, 0, size)
		for j := i + 1; j < n; j++ {
			w := acc[j]
			if w == 0 {
				continue
			}
			acc[j] = 0
			if w < 0 || !allowed(i, j) {
				continue
			}
			// The clusterer's own bar for the pair: a group with a
			// primary company and one without merge only across such a
			// pair, so a report about no company's incident never joins
			// one on weaker evidence than a single pass asks.
			thr := joinThreshold
			if p := items[i].r.primary; p != "" && p == items[j].r.primary {
				thr = samePrimaryThreshold
			}
			var f pairFlags
			if w >= linkFloor {
				f |= linked
			}
			if w >= thr {
				f |= strong
			}
			out = append(out, pair{w, int32(j), f})
		}
		above[i] = out
		accs.Put(acc)
	})
	// First order: each report's refineK most similar allowed others.
	nearest := make([][]neighbour, n)
	offer := func(i int, e neighbour) {
		row := nearest[i]
		if len(row) == refineK && !closer(e, row[refineK-1]) {
			return
		}
		k := len(row)
		if k < refineK {
			row = append(row, e)
		} else {
			k--
		}
		for ; k > 0 && closer(e, row[k-1]); k-- {
			row[k] = row[k-1]
		}
		row[k] = e
		nearest[i] = row
	}
	for i, ps := range above {
		for _, p := range ps {
			offer(i, neighbour{int(p.j), p.w})
			offer(int(p.j), neighbour{i, p.w})
		}
	}
	// Second order: cosine of the sparse rows, for pairs sharing an entry.
	norms := make([]float64, n)
	post := make([][]neighbour, n) // x -> (i, weight of x in row i)
	for i := range nearest {
		row := append([]neighbour{{i, 1}}, nearest[i]...)
		for _, e := range row {
			norms[i] += e.w * e.w
			post[e.j] = append(post[e.j], neighbour{i, e.w})
		}
		norms[i] = math.Sqrt(norms[i])
	}
	sim = make([]map[int]float64, n)
	for i := range sim {
		sim[i] = map[int]float64{}
	}
	for _, p := range post {
		// A report among the nearest of very many (in a set of look-alike
		// reports there are such hubs) says little about which of them
		// belong together, and would tie every pair of them: the
		// grouping would grow with the square of the part (a poll of
		// 1,000 look-alike pages: 2.7 s and 190 MB in the merge alone).
		if len(p) > maxHub {
			continue
		}
		for x, a := range p {
			for _, b := range p[x+1:] {
				sim[a.j][b.j] += a.w * b.w
			}
		}
	}
	for i := range sim {
		for j, d := range sim[i] {
			if j > i {
				v := d / (norms[i] * norms[j])
				sim[i][j], sim[j][i] = v, v
			}
		}
	}
	// Only pairs the grouping can see keep their flags.
	flags = make([]map[int]pairFlags, n)
	for i := range flags {
		flags[i] = map[int]pairFlags{}
	}
	for i, ps := range above {
		for _, p := range ps {
			if _, ok := sim[i][int(p.j)]; ok && p.flags != 0 {
				flags[i][int(p.j)], flags[p.j][i] = p.flags, p.flags
			}
		}
	}
	return sim, flags
}

// averageLinkConstrained merges groups of highest average second-order
// similarity (absent pairs count 0) while it is at least refineThreshold
// and the merged group keeps the hard rules. Candidate pairs wait in a
// heap, best first (ties: lower indices first); a merge re-enters the
// merged group's pairs at their new averages and makes its old ones
// stale. A pair the rules refuse is dropped: the rules depend only on its
// two groups, so it can pass only after one of them has merged, which
// enters it again.
func (c *clusterTx) averageLinkConstrained(items []refineItem, sim []map[int]float64, flags []map[int]pairFlags) []int {
	n := len(items)
	type group struct {
		size        int
		primary     string
		relevance   float64 // the highest of its reports
		first, last time.Time
		links       map[int]float64   // other group -> sum of similarities
		flags       map[int]pairFlags // other group -> the union of its pairs' flags
		version     int
		members     []int
	}
	gs := make([]*group, n)
	label := make([]int, n)
	var h candidates
	for i, it := range items {
		label[i] = i
		g := &group{size: 1, primary: it.r.primary, relevance: it.r.relevance, first: it.r.seen, last: it.r.seen, links: map[int]float64{}, flags: flags[i], members: []int{i}}
		for j, s := range sim[i] {
			g.links[j] = s
			if j > i {
				h = append(h, candidate{i: i, j: j, avg: s})
			}
		}
		gs[i] = g
	}
	heap.Init(&h)
	ok := func(a *group, j int, b *group) bool {
		// As in the single pass: without a shared primary company, news
		// that reports no incident and an incident stay apart.
		if (a.primary == "" || b.primary == "") && incidentApart(a.relevance, b.relevance) {
			return false
		}
		// Second-order similarity alone can be high between reports
		// with nothing in common but their neighbours (in a small set,
		// every report neighbours every other): some pair must share
		// words.
		if a.flags[j]&linked == 0 {
			return false
		}
		if (a.primary == "") != (b.primary == "") && a.flags[j]&strong == 0 {
			return false
		}
		if a.primary != "" && b.primary != "" && a.primary != b.primary {
			return false
		}
		return !b.first.After(a.last.Add(c.window)) && !a.first.After(b.last.Add(c.window))
	}
	for h.Len() > 0 {
		top := heap.Pop(&h).(candidate)
		a, b := gs[top.i], gs[top.j]
		if a == nil || b == nil || a.version != top.vi || b.version != top.vj {
			continue // stale
		}
		if top.avg < refineThreshold {
			break
		}
		if !ok(a, top.j, b) {
			continue
		}
		bi, bj := top.i, top.j
		a.size += b.size
		if a.primary == "" {
			a.primary = b.primary
		}
		a.relevance = max(a.relevance, b.relevance)
		if b.first.Before(a.first) {
			a.first = b.first
		}
		if b.last.After(a.last) {
			a.last = b.last
		}
		delete(a.links, bj)
		for k, s := range b.links {
			if k == bi {
				continue
			}
			a.links[k] += s
			o := gs[k].links
			o[bi] += s
			delete(o, bj)
		}
		delete(a.flags, bj)
		for k, f := range b.flags {
			if k == bi {
				continue
			}
			a.flags[k] |= f
			o := gs[k].flags
			o[bi] |= f
			delete(o, bj)
		}
		gs[bj] = nil
		for _, m := range b.members {
			label[m] = bi
		}
		a.members = append(a.members, b.members...)
		a.version++
		for k, s := range a.links {
			x, y := min(bi, k), max(bi, k)
			heap.Push(&h, candidate{i: x, j: y, vi: gs[x].version, vj: gs[y].version, avg: s / float64(a.size*gs[k].size)})
		}
	}
	return label
}

// candidate is a pair of groups i < j waiting to merge, as of versions vi
// and vj of the two.
type candidate struct {
	i, j   int
	vi, vj int
	avg    float64
}

// candidates is a max-heap of candidate pairs.
type candidates []candidate

func (h candidates) Len() int { return len(h) }
func (h candidates) Less(x, y int) bool {
	a, b := h[x], h[y]
	if a.avg != b.avg {
		return a.avg > b.avg
	}
	if a.i != b.i {
		return a.i < b.i
	}
	return a.j < b.j
}
func (h candidates) Swap(x, y int) { h[x], h[y] = h[y], h[x] }
func (h *candidates) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candidates) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// rebuildChanged rebuilds the stories whose reports the refinement
// re-grouped: a story whose reports are exactly one group keeps its rows.
func (c *clusterTx) rebuildChanged(ctx context.Context, now time.Time, items []refineItem, label []int) error {
	storyLabels := map[int64]map[int]bool{}
	labelStories := map[int]map[int64]bool{}
	for i, it := range items {
		if storyLabels[it.story] == nil {
			storyLabels[it.story] = map[int]bool{}
		}
		storyLabels[it.story][label[i]] = true
		if labelStories[label[i]] == nil {
			labelStories[label[i]] = map[int64]bool{}
		}
		labelStories[label[i]][it.story] = true
	}
	var changed, kept []int64
	for s, ls := range storyLabels {
		if len(ls) > 1 {
			changed = append(changed, s)
			continue
		}
		for l := range ls {
			if len(labelStories[l]) > 1 {
				changed = append(changed, s)
			} else {
				kept = append(kept, s)
			}
		}
	}
	slices.Sort(changed)
	slices.Sort(kept)
	if err := c.refreshStories(ctx, now, kept, items); err != nil {
		return err
	}
	if len(changed) == 0 {
		return nil
	}
	// Every group with a report in a changed story lies wholly in changed
	// stories (a group in an unchanged story is that whole story).
	var sub []refineItem
	var subLabel []int
	for i, it := range items {
		if _, found := slices.BinarySearch(changed, it.story); found {
			sub = append(sub, it)
			subLabel = append(subLabel, label[i])
		}
	}
	return c.rebuildStories(ctx, now, changed, sub, subLabel)
}

// refreshStories gives stories the refinement left as they were the
// centroid, index terms and title a rebuild would: their reports folded in
// order of publication with the final document frequencies (the single
// pass folded them in order of arrival, with the frequencies of the time).
// Counts, times and facts do not depend on the order and stay.
func (c *clusterTx) refreshStories(ctx context.Context, now time.Time, stories []int64, items []refineItem) error {
	byStory := map[int64][]*refineItem{}
	for i := range items {
		byStory[items[i].story] = append(byStory[items[i].story], &items[i])
	}
	for _, s := range stories {
		its := byStory[s]
		slices.SortFunc(its, func(a, b *refineItem) int {
			if d := a.r.seen.Compare(b.r.seen); d != 0 {
				return d
			}
			return cmp.Compare(a.r.id, b.r.id)
		})
		fresh := startMeta(its[0].r, its[0].vec)
		title := its[0].r.title
		for _, it := range its[1:] {
			if fresh.absorb(it.vec, it.r.title) {
				title = it.r.title
			}
		}
		m, err := c.storyMeta(ctx, s)
		if err != nil {
			return err
		}
		old := m.index
		if old == nil {
			old = m.centroid.top(indexTerms)
		}
		m.centroid, m.norm, m.rep, m.members = fresh.centroid, fresh.norm, fresh.rep, fresh.members
		c.touch(s, m)
		if m.index, err = c.writeVectors(ctx, s, m.members, m.centroid, m.rep, old); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE stories SET title = ?1, updated_at = ?2 WHERE id = ?3 AND title IS NOT ?1", title, timeValue(now), s); err != nil {
			return err
		}
	}
	return nil
}

// rebuildStories empties stories and files their reports again by label,
// each group in order of publication, copies after their originals.
func (c *clusterTx) rebuildStories(ctx context.Context, now time.Time, stories []int64, items []refineItem, label []int) error {
	// Copies of the reports, by original.
	copies := map[int64][]int64{}
	for _, s := range stories {
		rows, err := c.query(ctx, "SELECT id, duplicate_of FROM articles WHERE story_id = ? AND duplicate_of IS NOT NULL ORDER BY id", s)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, orig int64
			if err := rows.Scan(&id, &orig); err != nil {
				rows.Close()
				return err
			}
			copies[orig] = append(copies[orig], id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	// Stories lose everything; cached state of them is stale.
	c.st.dropCached()
	c.st.metasValid = false
	saveReuse, saveClaimed := c.reuse, c.claimed
	defer func() { c.reuse, c.claimed = saveReuse, saveClaimed }()
	c.reuse, c.claimed = map[int64]int64{}, map[int64]bool{}
	for _, s := range stories {
		for _, q := range []string{
			"DELETE FROM story_terms WHERE story_id = ?",
			"DELETE FROM story_vectors WHERE story_id = ?",
			"UPDATE articles SET story_id = NULL WHERE story_id = ?",
			"UPDATE stories SET article_count = 0, site_count = 0, primary_company = '', files = NULL, relevance = 0 WHERE id = ?",
		} {
			if _, err := c.exec(ctx, q, s); err != nil {
				return err
			}
		}
	}
	for _, it := range items {
		c.reuse[it.r.id] = it.story
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if d := items[a].r.seen.Compare(items[b].r.seen); d != 0 {
			return d
		}
		return cmp.Compare(items[a].r.id, items[b].r.id)
	})
	storyOf := map[int]int64{}
	set := func(article, story int64) error {
		_, err := c.exec(ctx, "UPDATE articles SET story_id = ? WHERE id = ?", story, article)
		return err
	}
	for _, i := range order {
		it := items[i]
		s, ok := storyOf[label[i]]
		var err error
		if !ok {
			s, err = c.newStory(ctx, now, it.r, it.vec)
			storyOf[label[i]] = s
		} else {
			err = c.joinStory(ctx, now, s, it.r, it.vec)
		}
		if err != nil {
			return err
		}
		if err := set(it.r.id, s); err != nil {
			return err
		}
	}
	for _, i := range order {
		s := storyOf[label[i]]
		for _, id := range copies[items[i].r.id] {
			r, err := c.loadReport(ctx, id)
			if err != nil {
				return err
			}
			if err := c.joinStory(ctx, now, s, r, nil); err != nil {
				return err
			}
			if err := set(id, s); err != nil {
				return err
			}
		}
	}
	for _, s := range stories {
		if _, err := c.exec(ctx, "DELETE FROM stories WHERE id = ? AND article_count = 0", s); err != nil {
			return err
		}
	}
	c.st.dropCached()
	return nil
}
