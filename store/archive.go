package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/breachwire/breachwire/extract"
)

// ImportOptions tunes ImportJSONL.
type ImportOptions struct {
	// Progress, if set, is called after each batch with lines read so far.
	Progress func(lines int)
	// Reject, if set, is called for each line that could not be imported,
	// with its 1-based line number and the reason; the import goes on.
	Reject func(line int, err error)
	// Workers extracting in parallel (0: number of CPUs).
	Workers int
	// BatchSize is how many articles are written in one transaction
	// (0: DefaultImportBatch).
	BatchSize int
	// MaxLineBytes caps one line (0: DefaultMaxLine); a longer line is
	// rejected without being held in memory.
	MaxLineBytes int
	// MemoryBudget caps the bytes of lines held at once, read but not yet
	// written (0: DefaultImportMemory).
	MemoryBudget int64
}

// Import defaults. A batch of 4096 articles per transaction writes a
// quarter of the WAL pages per article that 1024 did at 100,000 articles
// stored (each batch rewrites pages all over the copy-key and term
// indexes), for a fifth less import time; README "Performance".
const (
	DefaultImportBatch  = 4096
	DefaultMaxLine      = 16 << 20
	DefaultImportMemory = 64 << 20
)

// importChunk is how many lines the writer takes at a time within a batch
// (a variable for the tests):
// it decides one chunk while the workers extract the next, and only a
// chunk's prepared texts are held at once.
var importChunk = 1024

// ImportStats counts what ImportJSONL did.
type ImportStats struct {
	Lines      int `json:"lines"`
	Added      int `json:"added"`
	Duplicates int `json:"duplicates"`
	Existing   int `json:"existing"`
	Rejected   int `json:"rejected"`
}

// ArchiveLine is one line of an import archive.
type ArchiveLine struct {
	URL       string  `json:"url"`
	Title     string  `json:"title"`
	Published string  `json:"published"`
	Site      string  `json:"site"`
	HTML      *string `json:"html"`
	Text      *string `json:"text"`
}

// DecodeArchiveLine parses and checks one archive line and extracts its
// article: "text" (already clean) when present, else "html" through the page
// extractor. The line's own title, site and published time win over what
// the page says; the page fills what the line leaves blank. Errors are
// readable reasons such as `no "url"`.
func DecodeArchiveLine(line []byte) (extract.Article, error) {
	var l ArchiveLine
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&l); err != nil {
		return extract.Article{}, fmt.Errorf("not a JSON object: %s", jsonReason(err))
	}
	if dec.More() {
		return extract.Article{}, errors.New("more than one JSON value on the line")
	}
	l.URL = strings.TrimSpace(l.URL)
	if l.URL == "" {
		return extract.Article{}, errors.New(`no "url"`)
	}
	canonical, err := extract.CanonicalURL(l.URL)
	if err != nil {
		return extract.Article{}, fmt.Errorf(`"url" %q is not an absolute http or https URL`, truncate(l.URL, 80))
	}
	var published time.Time
	if p := strings.TrimSpace(l.Published); p != "" {
		if published, err = parsePublished(p); err != nil {
			return extract.Article{}, err
		}
	}
	var a extract.Article
	switch {
	case l.Text != nil && strings.TrimSpace(*l.Text) != "":
		// As extract.Text does, but annotated only once, below, after the
		// line's metadata is in place.
		a = extract.Article{URL: l.URL, Title: strings.TrimSpace(l.Title), Text: strings.TrimSpace(*l.Text)}
	case l.HTML != nil && strings.TrimSpace(*l.HTML) != "":
		if a, err = extract.Page([]byte(*l.HTML), l.URL); err != nil {
			return extract.Article{}, fmt.Errorf(`"html" could not be read: %v`, err)
		}
		if t := strings.TrimSpace(l.Title); t != "" {
			a.Title = t
		}
		// A headline alone is still a report; a page with neither is a
		// failed capture (a script-only app, a consent wall).
		if a.Title == "" && a.Text == "" {
			return extract.Article{}, errors.New(`"html" has no article text or title`)
		}
	default:
		return extract.Article{}, errors.New(`neither "html" nor "text"`)
	}
	a.URL = l.URL
	if a.CanonicalURL == "" {
		a.CanonicalURL = canonical
	}
	if s := strings.TrimSpace(l.Site); s != "" {
		a.Site = s
	}
	if a.Site == "" {
		// Better the host than nothing: tables and the digest show the site.
		if u, err := url.Parse(canonical); err == nil {
			a.Site = strings.TrimPrefix(u.Hostname(), "www.")
		}
	}
	if !published.IsZero() {
		a.Published = published
	}
	extract.Annotate(&a)
	return a, nil
}

// publishedLayouts are the date forms archives are seen to use; a time
// without a zone is taken as UTC.
var publishedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006",
	"January 2, 2006",
}

func parsePublished(s string) (time.Time, error) {
	for _, layout := range publishedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf(`"published" %q is not a date; use RFC 3339, e.g. 2020-01-31T09:00:00Z`, truncate(s, 40))
}

// jsonReason shortens a JSON decoding error to what a user needs.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%s at byte %d", syn.Error(), syn.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("%q must be a %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("the line is a JSON %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the line ends inside the object"
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	if goKind == "ptr" {
		return "string"
	}
	return goKind
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// decodeSafely is DecodeArchiveLine that turns a panic in extraction into
// the line's rejection: one hostile page must not end a bulk import.
func decodeSafely(line []byte) (a extract.Article, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("could not be extracted (internal error: %v)", r)
		}
	}()
	return DecodeArchiveLine(line)
}

// importJob is one line on its way through the extraction workers; done is
// closed when art or err is set.
type importJob struct {
	line int
	data []byte
	// weight is the line's size, held against the import's memory budget
	// until the line is written or rejected.
	weight int64
	art    extract.Article
	// prep is the clusterer's text work on art, done by the worker.
	prep *textPrep
	err  error
	done chan struct{}
}

// byteBudget is a counting semaphore over bytes with one acquirer.
type byteBudget struct {
	mu    sync.Mutex
	total int64
	free  int64
	wake  chan struct{}
}

func newByteBudget(total int64) *byteBudget {
	return &byteBudget{total: total, free: total, wake: make(chan struct{})}
}

// acquire takes n bytes (at most the whole budget), waiting for releases.
func (b *byteBudget) acquire(ctx context.Context, n int64) (int64, error) {
	n = min(n, b.total)
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return n, nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// ImportJSONL loads an archive of articles, one JSON object a line:
// {"url","title","published","site", "html" or "text"}, through the same
// extract and store path as polling. Lines are extracted in parallel and
// written in order, in batches of one transaction each, so the result is the
// same as a one-by-one import and memory stays bounded whatever the file's
// size. A bad line is passed to opts.Reject and skipped. When ctx is
// cancelled the import stops; every batch already written stays. The error
// is non-nil only when reading r or writing the database failed, or ctx
// ended; the stats count what was done until then.
func (db *DB) ImportJSONL(ctx context.Context, r io.Reader, opts ImportOptions) (ImportStats, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	batchSize := opts.BatchSize
	if batchSize <= 0 {
		batchSize = DefaultImportBatch
	}
	maxLine := opts.MaxLineBytes
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// ordered carries jobs in file order to the writer. Its buffer holds a
	// chunk, so that the workers extract the next chunk while the writer
	// decides this one; the memory budget bounds the bytes.
	ordered := make(chan *importJob, max(workers*32, importChunk))
	work := make(chan *importJob, workers*2)
	memory := opts.MemoryBudget
	if memory <= 0 {
		memory = DefaultImportMemory
	}
	// The budget counts bytes of lines read, being extracted, or waiting in
	// a batch; a line longer than all of it takes it all.
	budget := newByteBudget(memory)
	var readErr error
	go func() {
		defer close(ordered)
		defer close(work)
		readErr = readLines(ctx, r, maxLine, func(j *importJob) bool {
			var err error
			if j.weight, err = budget.acquire(ctx, int64(len(j.data))); err != nil {
				return false
			}
			select {
			case ordered <- j:
			case <-ctx.Done():
				return false
			}
			if j.err != nil {
				close(j.done)
				return true
			}
			select {
			case work <- j:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range work {
				j.art, j.err = decodeSafely(j.data)
				if j.err == nil {
					// The clusterer's text work, off the single writer.
					j.prep = prepareText(j.art.Title, j.art.Text)
				}
				j.data = nil
				close(j.done)
			}
		})
	}
	// On every return: stop the reader, then wait for the workers, which end
	// once the reader has closed work.
	defer func() {
		cancel()
		wg.Wait()
	}()

	var stats ImportStats
	// touched are the stories this import filed articles into, refined
	// together at the end (refine.go).
	touched := map[int64]bool{}
	reject := func(line int, err error) {
		stats.Rejected++
		if opts.Reject != nil {
			opts.Reject(line, err)
		}
	}
	// take returns the next extracted line in file order, rejecting those
	// that failed on the way; nil once the input ends or ctx is done.
	take := func() *importJob {
		for j := range ordered {
			select {
			case <-j.done:
			case <-ctx.Done():
				return nil
			}
			stats.Lines++
			if j.err == nil {
				return j
			}
			budget.release(j.weight)
			reject(j.line, j.err)
		}
		return nil
	}
	batch := make([]*importJob, 0, batchSize)
	var batchWeight int64
	ended := false
	// more adds up to importChunk extracted lines to the batch being
	// written and returns them; none once the batch is full or the input
	// has ended. Writing once half the budget waits in the batch
	// guarantees the reader always gets budget back, however large the
	// lines.
	more := func() []*importJob {
		start := len(batch)
		for !ended && len(batch)-start < importChunk && len(batch) < batchSize && batchWeight < memory/2 {
			j := take()
			if j == nil {
				ended = true
				break
			}
			batch = append(batch, j)
			batchWeight += j.weight
		}
		return batch[start:]
	}
	for {
		batch, batchWeight = batch[:0], 0
		first := more()
		if len(first) == 0 {
			break
		}
		err := db.importBatch(ctx, first, more, &stats, touched, reject)
		if err != nil {
			// The batch was not written, so its lines were not imported.
			stats.Lines -= len(batch)
		}
		budget.release(batchWeight)
		if opts.Progress != nil {
			opts.Progress(stats.Lines)
		}
		if err != nil {
			return stats, err
		}
	}
	if err := ctx.Err(); err != nil {
		return stats, fmt.Errorf("store: import: %w", context.Cause(ctx))
	}
	// The refinement reads none of the import's own caches.
	db.clu.dropBulkCaches()
	seeds := make([]int64, 0, len(touched))
	for id := range touched {
		seeds = append(seeds, id)
	}
	if err := db.refineStories(ctx, seeds); err != nil {
		return stats, fmt.Errorf("store: import: %w", err)
	}
	if opts.Progress != nil {
		opts.Progress(stats.Lines)
	}
	// The reader finished (ordered is closed), so readErr is set.
	if readErr != nil {
		return stats, fmt.Errorf("store: import: %w", readErr)
	}
	return stats, nil
}

// importBatch writes a batch in one transaction: first, then what more
// returns until it returns nothing, deciding each chunk while the workers
// extract the next. If the transaction fails for a reason other than
// cancellation, the articles are written one at a time so that one bad
// article is rejected instead of the batch.
func (db *DB) importBatch(ctx context.Context, first []*importJob, more func() []*importJob, stats *ImportStats, touched map[int64]bool, reject func(int, error)) error {
	var batch []*importJob
	given := false
	results, err := db.addArticlesFrom(ctx, 0, func() ([]*extract.Article, []*textPrep) {
		chunk := first
		if given {
			chunk = more()
		}
		given = true
		batch = append(batch, chunk...)
		arts := make([]*extract.Article, len(chunk))
		preps := make([]*textPrep, len(chunk))
		for i, j := range chunk {
			arts[i] = &j.art
			preps[i], j.prep = j.prep, nil
		}
		return arts, preps
	})
	if err == nil {
		for _, r := range results {
			countResult(stats, r)
			if r.StoryID != 0 && r.Status != Existing {
				touched[r.StoryID] = true
			}
		}
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("store: import: %w", context.Cause(ctx))
	}
	for _, j := range batch {
		r, err := db.AddArticle(ctx, 0, &j.art)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("store: import: %w", context.Cause(ctx))
			}
			reject(j.line, err)
			continue
		}
		countResult(stats, r)
		if r.StoryID != 0 && r.Status != Existing {
			touched[r.StoryID] = true
		}
	}
	return nil
}

func countResult(stats *ImportStats, r AddResult) {
	switch r.Status {
	case Added:
		stats.Added++
	case Duplicate:
		stats.Duplicates++
	case Existing:
		stats.Existing++
	}
}

// readLines reads r line by line and hands each non-blank line to emit as a
// job; a line longer than maxLine becomes a job carrying its rejection,
// and is skipped without being held. emit returns false to stop.
func readLines(ctx context.Context, r io.Reader, maxLine int, emit func(*importJob) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			return nil
		}
		var (
			buf     []byte
			tooLong bool
			err     error
		)
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if !tooLong {
				if len(buf)+len(chunk) > maxLine+1 { // +1: the newline
					tooLong = true
					buf = nil
				} else {
					buf = append(buf, chunk...)
				}
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && err != io.EOF {
			return err
		}
		var j *importJob
		switch {
		case tooLong:
			j = &importJob{line: n, err: fmt.Errorf("longer than %d MB", maxLine>>20), done: make(chan struct{})}
			if maxLine < 1<<20 {
				j.err = fmt.Errorf("longer than %d bytes", maxLine)
			}
		case len(bytes.TrimSpace(buf)) > 0:
			j = &importJob{line: n, data: buf, done: make(chan struct{})}
		}
		if j != nil && !emit(j) {
			return nil
		}
		if err == io.EOF {
			return nil
		}
	}
}
