package fetch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/breachwire/breachwire/extract"
)

// Feed is one row of the feeds table, as the poller and `feeds list` see it.
type Feed struct {
	ID      int64
	URL     string
	Name    string
	SiteURL string
	// Source is "default" (embedded list), "user" (feeds add) or "opml".
	Source  string
	AddedAt time.Time
	// Validators from the last 200 response, for conditional requests.
	ETag         string
	LastModified string

	LastPollAt        time.Time
	LastSuccessAt     time.Time
	NextPollAt        time.Time
	ConsecutiveErrors int
	ErrorCount        int
	LastError         string
	// PollInterval is the gap chosen from the feed's publishing rate.
	PollInterval time.Duration
	ItemsSeen    int
}

// PollResult is what polling one feed did. Store.RecordPoll saves it.
type PollResult struct {
	FeedID int64
	URL    string
	At     time.Time
	// Err is the one-line reason the feed failed; "" on success.
	Err         string
	NotModified bool
	// Validators to send next time; empty leaves the stored ones alone.
	ETag         string
	LastModified string
	// Title and SiteURL come from the feed document.
	Title   string
	SiteURL string

	Items      int // items in the document
	New        int // items taken whose article was not stored yet (at most MaxNewItems)
	Added      int // new articles stored
	Duplicates int // new copies of stored articles
	PageErrors int // article pages that could not be fetched
	// Retried counts stored articles whose page, which had failed for a
	// reason that may pass, was requested again; Recovered those of them
	// whose page came this time and replaced the feed item's text.
	Retried   int
	Recovered int
	// Capped is set when more than MaxNewItems items were new; the rest
	// are taken on the next poll, which comes soon.
	Capped bool

	Interval time.Duration
	NextPoll time.Time
}

// OK reports whether the feed answered (200 or 304) and parsed.
func (r *PollResult) OK() bool { return r.Err == "" }

// Store is what the poller needs from the database; *store.DB has it.
type Store interface {
	// KnownLink reports whether the article behind a feed item's link is
	// stored (under the link's canonical URL, or with the link as its url).
	KnownLink(ctx context.Context, link string) (bool, error)
	// SaveArticles stores a batch of a feed's articles in one transaction.
	SaveArticles(ctx context.Context, feedID int64, as []*extract.Article) (added, duplicates int, err error)
	// RecordPoll saves a feed's health and schedule after a poll.
	RecordPoll(ctx context.Context, r *PollResult) error
	// PagesToRetry lists up to limit of a feed's articles whose page failed
	// for a reason that may pass, stored at or after since and requested
	// fewer than maxAttempts times.
	PagesToRetry(ctx context.Context, feedID int64, since time.Time, maxAttempts, limit int) ([]StoredPage, error)
	// SaveRetriedPage records another attempt at a stored article's page:
	// failed (a.FetchError set), or the page's article, which replaces the
	// stored text.
	SaveRetriedPage(ctx context.Context, articleID int64, a *extract.Article) error
}

// StoredPage is a stored article whose page is to be requested again.
type StoredPage struct {
	ArticleID int64
	URL       string
	// Title, Published and Site, as stored from the feed item, stand in for
	// what the page does not say.
	Title     string
	Published time.Time
	Site      string
	Attempts  int
}

// Retrying article pages that failed for a reason that may pass (network
// error, timeout, 429, 5xx): later polls of the feed request the page again
// until it has been requested MaxPageAttempts times in all, and only while
// the article was stored less than PageRetryWindow ago; at most
// pageRetryBatch pages per feed per poll.
const (
	MaxPageAttempts = 3
	PageRetryWindow = 3 * 24 * time.Hour
	pageRetryBatch  = 100
)

// Summary counts what one pass over a set of feeds did.
type Summary struct {
	Feeds      int
	FeedsOK    int
	Items      int
	New        int
	Added      int
	Duplicates int
	PageErrors int
	Retried    int
	Recovered  int
	Results    []PollResult
}

// Schedule bounds.
const (
	MinInterval     = 10 * time.Minute
	MaxInterval     = 24 * time.Hour
	DefaultInterval = time.Hour
)

// DefaultMaxNewItems is how many new items one feed contributes per poll.
const DefaultMaxNewItems = 1000

// saveBatch is how many articles go into one transaction, and saveEvery
// how long fetched articles may wait for one.
const (
	saveBatch = 100
	saveEvery = time.Second
)

// Poller polls feeds: fetches each feed, then each new item's page, extracts
// the article and stores it through Store.
type Poller struct {
	Client *Client
	Store  Store
	Log    *slog.Logger
	// MaxNewItems caps new items per feed per poll, newest first (default
	// DefaultMaxNewItems), so a 10,000-item feed is worked through over
	// several polls instead of stalling one.
	MaxNewItems int
	// Now is the clock (default time.Now).
	Now func() time.Time

	// items bounds the articles being fetched and extracted at once across
	// all feeds, and so the pages held in memory (each at most MaxBody).
	itemsOnce sync.Once
	items     chan struct{}
}

func (p *Poller) itemSlots() chan struct{} {
	p.itemsOnce.Do(func() { p.items = make(chan struct{}, 2*p.Client.opts.Concurrency) })
	return p.items
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Poll polls feeds concurrently (bounded by the client's concurrency) and
// records each one's result. A feed that fails does not stop the others. The
// error is non-nil only when the context ends or the store fails.
func (p *Poller) Poll(ctx context.Context, feeds []Feed) (Summary, error) {
	sum := Summary{Feeds: len(feeds), Results: make([]PollResult, len(feeds))}
	sem := make(chan struct{}, p.Client.opts.Concurrency)
	var wg sync.WaitGroup
	errs := make([]error, len(feeds))
	for i := range feeds {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			sum.Results[i], errs[i] = p.PollFeed(ctx, &feeds[i])
		})
	}
	wg.Wait()
	for _, r := range sum.Results {
		if r.OK() && r.URL != "" {
			sum.FeedsOK++
		}
		sum.Items += r.Items
		sum.New += r.New
		sum.Added += r.Added
		sum.Duplicates += r.Duplicates
		sum.PageErrors += r.PageErrors
		sum.Retried += r.Retried
		sum.Recovered += r.Recovered
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	return sum, errors.Join(errs...)
}

// feedAccept asks for any of the feed formats, XML before HTML (for
// discovery) before anything else.
const feedAccept = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"

// PollFeed polls one feed and records the result. The error is non-nil only
// when the context ends or the store fails; a feed's own failure is in the
// result (and recorded).
func (p *Poller) PollFeed(ctx context.Context, f *Feed) (PollResult, error) {
	r := PollResult{FeedID: f.ID, URL: f.URL, At: p.now(), Interval: cmp.Or(f.PollInterval, DefaultInterval)}
	resp, err := p.Client.Get(ctx, Request{URL: f.URL, ETag: f.ETag, LastModified: f.LastModified, Accept: feedAccept})
	if err != nil {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		var se *StatusError
		var wait time.Duration
		if errors.As(err, &se) {
			wait = se.RetryAfter
		}
		return r, p.fail(ctx, f, &r, err.Error(), wait)
	}
	if resp.NotModified {
		p.log().Debug("feed not modified", "url", f.URL)
		r.NotModified = true
		r.ETag, r.LastModified = resp.ETag, resp.LastModified
		r.NextPoll = r.At.Add(jitter(clampInterval(max(r.Interval, resp.MaxAge))))
		if err := p.retryPages(ctx, f, &r); err != nil {
			return r, err
		}
		return r, p.record(ctx, &r)
	}
	pf, err := ParseFeed(resp.Body, resp.ContentType, resp.URL)
	if err != nil {
		return r, p.fail(ctx, f, &r, fmt.Sprintf("%s: %v", f.URL, err), resp.MaxAge)
	}
	r.Title, r.SiteURL, r.Items = pf.Title, pf.SiteURL, len(pf.Items)
	r.Interval = adaptiveInterval(pf.Items)
	earliest := max(r.Interval, resp.MaxAge, pf.TTL)

	items, capped, err := p.newItems(ctx, pf.Items, cmp.Or(p.MaxNewItems, DefaultMaxNewItems))
	if err != nil {
		return r, err
	}
	r.New, r.Capped = len(items), capped
	// Pages that failed on an earlier poll first, so that this poll's
	// failures wait for the next.
	if err := p.retryPages(ctx, f, &r); err != nil {
		return r, err
	}
	if err := p.storeItems(ctx, f, pf, items, &r); err != nil {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		return r, err
	}
	if r.Capped {
		// Keep the old validators so the next poll gets the whole feed
		// again and takes the next batch of items.
		r.NextPoll = r.At.Add(MinInterval)
	} else {
		r.ETag, r.LastModified = resp.ETag, resp.LastModified
		r.NextPoll = r.At.Add(jitter(clampInterval(earliest)))
	}
	p.log().Debug("feed polled", "url", f.URL, "items", r.Items, "new", r.New, "added", r.Added,
		"duplicates", r.Duplicates, "page_errors", r.PageErrors, "retried", r.Retried, "recovered", r.Recovered, "capped", r.Capped, "next", r.NextPoll)
	return r, p.record(ctx, &r)
}

// fail records a failed poll with exponential backoff (10 min doubling to
// 24 h), or the server's Retry-After when that is later. A failing feed is
// retried forever: it is never disabled.
func (p *Poller) fail(ctx context.Context, f *Feed, r *PollResult, msg string, retryAfter time.Duration) error {
	r.Err = strings.Join(strings.Fields(msg), " ")
	backoff := MinInterval << min(f.ConsecutiveErrors, 10)
	r.NextPoll = r.At.Add(jitter(clampInterval(max(backoff, retryAfter))))
	p.log().Debug("feed failed", "url", f.URL, "err", r.Err)
	return p.record(ctx, r)
}

func (p *Poller) record(ctx context.Context, r *PollResult) error {
	if err := p.Store.RecordPoll(ctx, r); err != nil {
		return fmt.Errorf("fetch: record poll of %s: %w", r.URL, err)
	}
	return nil
}

// newItems returns up to limit items whose article is not stored yet,
// newest first, each canonical URL once, and whether more new items were
// left out. It stops looking once it has found one more than limit, so a
// 10,000-item feed costs a few hundred lookups, not 10,000.
func (p *Poller) newItems(ctx context.Context, items []Item, limit int) (fresh []Item, capped bool, err error) {
	// Newest first, so a cap keeps the freshest news; undated items last.
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b Item) int {
		return b.Published.Compare(a.Published)
	})
	seen := make(map[string]bool, len(items))
	for _, it := range sorted {
		c, err := extract.CanonicalURL(it.Link)
		if err != nil || seen[c] {
			continue
		}
		seen[c] = true
		stored, err := p.Store.KnownLink(ctx, it.Link)
		if err != nil {
			return nil, false, fmt.Errorf("fetch: %w", err)
		}
		if stored {
			continue
		}
		if len(fresh) == limit {
			return fresh, true, nil
		}
		fresh = append(fresh, it)
	}
	return fresh, false, nil
}

// storeItems fetches and extracts each item's article with a pool of
// workers and saves them in batches, each batch one transaction, so a killed
// poll loses at most one unsaved batch and the next poll redoes just that.
func (p *Poller) storeItems(ctx context.Context, f *Feed, pf *ParsedFeed, items []Item, r *PollResult) error {
	if len(items) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan Item)
	// Buffered so that extraction goes on while a batch is being saved.
	done := make(chan *extract.Article, saveBatch)
	workers := min(len(items), p.Client.opts.Concurrency*2)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			slots := p.itemSlots()
			for it := range jobs {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				a := p.article(ctx, f, pf, it)
				<-slots
				select {
				case done <- a:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, it := range items {
			select {
			case jobs <- it:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()

	batch := make([]*extract.Article, 0, saveBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		added, dups, err := p.Store.SaveArticles(ctx, f.ID, batch)
		if err != nil {
			return fmt.Errorf("fetch: save articles of %s: %w", f.URL, err)
		}
		r.Added += added
		r.Duplicates += dups
		batch = batch[:0]
		return nil
	}
	// Save every saveBatch articles, and at least every saveEvery, so that
	// a slow poll (one host, one page a second) commits as it goes.
	tick := time.NewTicker(saveEvery)
	defer tick.Stop()
	var saveErr error
	for open := true; open; {
		select {
		case a, ok := <-done:
			if !ok {
				open = false
				break
			}
			if saveErr != nil {
				continue
			}
			if a.FetchError != "" {
				r.PageErrors++
			}
			batch = append(batch, a)
			if len(batch) == saveBatch {
				saveErr = flush()
			}
		case <-tick.C:
			if saveErr == nil {
				saveErr = flush()
			}
		}
		if saveErr != nil {
			cancel()
		}
	}
	if saveErr != nil {
		return saveErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return flush()
}

// article builds the stored article for an item: from its page when that can
// be fetched and has text, else from the feed's own title and summary with
// the reason in FetchError (and FetchRetry set when it may pass).
func (p *Poller) article(ctx context.Context, f *Feed, pf *ParsedFeed, it Item) *extract.Article {
	site := cmp.Or(pf.Title, f.Name)
	fallback := func(reason string, temporary bool) *extract.Article {
		text := extract.FragmentText(it.HTML)
		a := extract.Text(it.Link, cmp.Or(it.Title, headline(text)), text)
		a.Published = it.Published
		a.Site = site
		a.FetchError = strings.Join(strings.Fields(reason), " ")
		a.FetchRetry = temporary
		p.log().Debug("article from feed item", "url", it.Link, "reason", a.FetchError, "retry", temporary)
		return &a
	}
	if it.NoLink {
		return fallback("feed item has no link", false)
	}
	a, reason, temporary := p.page(ctx, it.Link)
	if reason != "" {
		return fallback(reason, temporary)
	}
	fillIn(a, it.Link, it.Title, it.Published, site)
	return a
}

// page fetches and extracts the article at link, politely (robots.txt, the
// per-host spacing) and guarded (public addresses only). When it cannot,
// reason says why and temporary whether that may pass.
func (p *Poller) page(ctx context.Context, link string) (a *extract.Article, reason string, temporary bool) {
	if err := p.Client.Allowed(ctx, link); err != nil {
		return nil, err.Error(), false
	}
	resp, err := p.Client.Get(ctx, Request{URL: link, Guarded: true, Accept: "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"})
	if err != nil {
		return nil, err.Error(), Temporary(err)
	}
	if mt, _, _ := mime.ParseMediaType(resp.ContentType); mt != "" && mt != "text/html" && mt != "application/xhtml+xml" {
		return nil, fmt.Sprintf("GET %s: not an HTML page (%s)", link, mt), false
	}
	page, _ := DecodeHTML(resp.Body, resp.ContentType)
	art, err := extract.HTML(page, resp.URL)
	if err != nil {
		return nil, fmt.Sprintf("extract %s: %v", link, err), false
	}
	if strings.TrimSpace(art.Text) == "" {
		return nil, fmt.Sprintf("GET %s: page has no article text (paywall or script-only page?)", link), false
	}
	return &art, "", false
}

// fillIn completes a page's article with what the feed item says where the
// page says nothing.
func fillIn(a *extract.Article, link, title string, published time.Time, site string) {
	if a.Title == "" {
		a.Title = title
	}
	if a.Published.IsZero() {
		a.Published = published
	}
	if a.Site == "" {
		a.Site = site
	}
	if a.CanonicalURL == "" {
		a.CanonicalURL, _ = extract.CanonicalURL(link)
	}
	// The url is the link as the feed lists it, whatever the page redirected
	// to or calls itself (canonical_url): the next poll recognises it by that.
	a.URL = link
}

// Temporary reports whether a failed request may succeed later: a 429 or
// 5xx answer, or a transport failure (timeout, refused or reset connection,
// DNS trouble). Not other 4xx answers (404, 410...), the private-address
// guard, the size cap, or a request that was canceled.
func Temporary(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	var fe *Error
	if !errors.As(err, &fe) {
		return false
	}
	return !errors.Is(err, ErrPrivateAddress) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, context.Canceled)
}

// retryPages requests again the pages of the feed's stored articles that
// failed for a reason that may pass (see MaxPageAttempts), one at a time and
// through the same robots.txt check, per-host spacing and address guard as
// a first fetch. A page that comes replaces its article's text; one that
// fails again is recorded as another attempt.
func (p *Poller) retryPages(ctx context.Context, f *Feed, r *PollResult) error {
	pages, err := p.Store.PagesToRetry(ctx, f.ID, p.now().Add(-PageRetryWindow), MaxPageAttempts, pageRetryBatch)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	slots := p.itemSlots()
	for _, sp := range pages {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		a, reason, temporary := p.page(ctx, sp.URL)
		<-slots
		if ctx.Err() != nil {
			// A poll cut short is no attempt at the page.
			return ctx.Err()
		}
		r.Retried++
		if reason != "" {
			a = &extract.Article{FetchError: strings.Join(strings.Fields(reason), " "), FetchRetry: temporary}
			p.log().Debug("page retry failed", "url", sp.URL, "attempt", sp.Attempts+1, "reason", a.FetchError, "retry", temporary)
		} else {
			fillIn(a, sp.URL, sp.Title, sp.Published, sp.Site)
			r.Recovered++
			p.log().Debug("page retry fetched", "url", sp.URL, "attempt", sp.Attempts+1)
		}
		if err := p.Store.SaveRetriedPage(ctx, sp.ArticleID, a); err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
	}
	return nil
}

// headline stands in for a missing title: the text's first line, cut at a
// word boundary near 100 characters.
func headline(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	r := []rune(line)
	if len(r) <= 100 {
		return line
	}
	cut := string(r[:100])
	if i := strings.LastIndexByte(cut, ' '); i > 50 {
		cut = cut[:i]
	}
	return cut + "…"
}

// adaptiveInterval is the median gap between the newest items' publication
// times, clamped to [MinInterval, MaxInterval]: a feed that publishes hourly
// is polled about hourly.
func adaptiveInterval(items []Item) time.Duration {
	var times []time.Time
	for _, it := range items {
		if !it.Published.IsZero() {
			times = append(times, it.Published)
		}
	}
	if len(times) < 2 {
		return DefaultInterval
	}
	slices.SortFunc(times, func(a, b time.Time) int { return b.Compare(a) })
	times = times[:min(len(times), 21)]
	gaps := make([]time.Duration, 0, len(times)-1)
	for i := 1; i < len(times); i++ {
		gaps = append(gaps, times[i-1].Sub(times[i]))
	}
	slices.Sort(gaps)
	return clampInterval(gaps[len(gaps)/2])
}

func clampInterval(d time.Duration) time.Duration {
	return min(max(d, MinInterval), MaxInterval)
}

// jitter spreads d by ±10% so that feeds added together do not stay in step.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}
