// Package fetch is everything in breachwire that touches the network: an
// HTTP client with limits, politeness, robots.txt, conditional GET and a
// private-address guard; feed decoding and parsing; and the poll itself with
// its schedule. It never imports store: the poller writes through the small
// Store interface, which *store.DB implements.
package fetch

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Options configure a Client. The zero value of a field means its default.
type Options struct {
	// Timeout bounds a whole request, body included (default 30s). Connecting
	// has its own shorter bound (at most 10s).
	Timeout time.Duration
	// MaxBody caps a response body after decompression (default 10 MiB).
	MaxBody int64
	// PerHostDelay is the minimum gap between the starts of two requests to
	// one host. Negative means no delay; zero means the default of 1s.
	PerHostDelay time.Duration
	// Concurrency bounds requests in flight across all hosts (default 8).
	Concurrency int
	// UserAgent names us to servers (default: DefaultUserAgent("dev")).
	UserAgent string
	// AllowPrivate lets guarded requests (article pages and their
	// robots.txt) reach loopback, private and link-local addresses.
	AllowPrivate bool
	Logger       *slog.Logger
}

// DefaultUserAgent is the User-Agent for a breachwire version.
func DefaultUserAgent(version string) string {
	return "breachwire/" + version + " (+https://github.com/breachwire/breachwire)"
}

// maxRedirects is how many redirects one request may follow.
const maxRedirects = 5

// Client fetches feeds and pages politely. It is safe for concurrent use.
type Client struct {
	opts    Options
	open    *http.Client // feeds the user chose: any address
	guarded *http.Client // links found in feeds: public addresses only
	global  chan struct{}
	log     *slog.Logger

	mu     sync.Mutex
	hosts  map[string]*hostGate
	robots map[string]*robotsEntry
}

// hostGate serialises requests to one host and spaces their starts.
type hostGate struct {
	busy    chan struct{} // one slot: one request at a time
	limiter *rate.Limiter
}

// NewClient returns a client with opts' limits.
func NewClient(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 10 << 20
	}
	switch {
	case opts.PerHostDelay == 0:
		opts.PerHostDelay = time.Second
	case opts.PerHostDelay < 0:
		opts.PerHostDelay = 0
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent("dev")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		opts:   opts,
		global: make(chan struct{}, opts.Concurrency),
		log:    opts.Logger,
		hosts:  make(map[string]*hostGate),
		robots: make(map[string]*robotsEntry),
	}
	c.open = c.newHTTPClient(false)
	c.guarded = c.newHTTPClient(!opts.AllowPrivate)
	return c
}

// Options returns the client's settings with defaults filled in.
func (c *Client) Options() Options { return c.opts }

func (c *Client) newHTTPClient(guard bool) *http.Client {
	dialer := &net.Dialer{Timeout: min(10*time.Second, c.opts.Timeout), KeepAlive: 30 * time.Second}
	proxy := http.ProxyFromEnvironment
	if guard {
		dialer.Control = guardControl
		// Through a proxy we would check the proxy's address, not the
		// target's, so guarded requests always connect directly.
		proxy = nil
	}
	tr := &http.Transport{
		Proxy:                 proxy,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(10*time.Second, c.opts.Timeout),
		ResponseHeaderTimeout: c.opts.Timeout,
		// We ask for gzip ourselves and decompress under the body cap.
		DisableCompression: true,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to unsupported scheme %q", req.URL.Scheme)
			}
			// A redirect to another host keeps that host's spacing too:
			// many feed links (a feed proxy's, a shortener's) lead to one
			// publisher. Only the spacing: taking the host's one-at-a-time
			// slot while holding the first host's could deadlock.
			if req.URL.Host != via[len(via)-1].URL.Host {
				return c.gate(req.URL.Host).limiter.Wait(req.Context())
			}
			return nil
		},
	}
}

// Request is one GET.
type Request struct {
	URL string
	// ETag and LastModified, from the previous response, make the request
	// conditional.
	ETag         string
	LastModified string
	// Guarded requests may reach only public addresses unless the client
	// allows private ones. Article links found in feeds are guarded; feeds
	// the user added are not.
	Guarded bool
	Accept  string
}

// Response is a successful (2xx or 304) response with its body read.
type Response struct {
	// URL is the final URL after redirects.
	URL         string
	Status      int
	NotModified bool
	ContentType string
	Body        []byte
	// Validators for the next conditional request.
	ETag         string
	LastModified string
	// MaxAge is Cache-Control max-age: the earliest sensible refetch.
	MaxAge time.Duration
}

// StatusError is a response with a status other than 2xx or 304.
type StatusError struct {
	URL    string
	Code   int
	Status string
	// RetryAfter is the server's Retry-After on a 429 or 503, else 0.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("GET %s: %s", e.URL, e.Status)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	return s
}

// Error is a failed request: "GET URL: reason", one line. Err is the
// underlying error, for errors.Is (ErrPrivateAddress, ErrTooLarge).
type Error struct {
	URL    string
	Reason string
	Err    error
}

func (e *Error) Error() string { return "GET " + e.URL + ": " + e.Reason }

func (e *Error) Unwrap() error { return e.Err }

func (c *Client) fail(rawURL string, err error) error {
	return &Error{URL: rawURL, Reason: describe(err, c.opts.Timeout), Err: err}
}

// ErrTooLarge is wrapped by errors for bodies over the cap.
var ErrTooLarge = errors.New("response larger than cap")

// ErrPrivateAddress is wrapped by errors for connections refused by the
// private-address guard.
var ErrPrivateAddress = errors.New("private address")

// Get performs req politely: one request at a time per host, spaced by the
// per-host delay (or the host's robots.txt Crawl-delay if longer), within the
// global concurrency bound. Errors read "GET URL: reason" on one line.
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("GET %s: not an http or https URL", req.URL)
	}
	release, err := c.acquire(ctx, u.Host)
	if err != nil {
		return nil, c.fail(req.URL, err)
	}
	defer release()
	return c.do(ctx, req)
}

// acquire waits for the host's turn and a global slot. The host comes
// first so that a request queued behind a slow host holds no global slot.
func (c *Client) acquire(ctx context.Context, host string) (release func(), err error) {
	g := c.gate(host)
	select {
	case g.busy <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := g.limiter.Wait(ctx); err != nil {
		<-g.busy
		return nil, err
	}
	select {
	case c.global <- struct{}{}:
	case <-ctx.Done():
		<-g.busy
		return nil, ctx.Err()
	}
	return func() { <-c.global; <-g.busy }, nil
}

func (c *Client) gate(host string) *hostGate {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.hosts[host]
	if !ok {
		g = &hostGate{busy: make(chan struct{}, 1), limiter: rate.NewLimiter(everyOrInf(c.opts.PerHostDelay), 1)}
		c.hosts[host] = g
	}
	return g
}

// slowDown raises a host's spacing to at least d (robots.txt Crawl-delay).
func (c *Client) slowDown(host string, d time.Duration) {
	if d <= c.opts.PerHostDelay {
		return
	}
	// Cap what a robots.txt can ask for so one host cannot stall a poll.
	d = min(d, time.Minute)
	c.gate(host).limiter.SetLimit(rate.Every(d))
}

func everyOrInf(d time.Duration) rate.Limit {
	if d <= 0 {
		return rate.Inf
	}
	return rate.Every(d)
}

func (c *Client) do(ctx context.Context, req Request) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, c.fail(req.URL, err)
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	hreq.Header.Set("Accept-Encoding", "gzip")
	if req.Accept != "" {
		hreq.Header.Set("Accept", req.Accept)
	}
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	hc := c.open
	if req.Guarded {
		hc = c.guarded
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, c.fail(req.URL, err)
	}
	defer resp.Body.Close()

	out := &Response{
		URL:          resp.Request.URL.String(),
		Status:       resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		MaxAge:       maxAge(resp.Header.Get("Cache-Control")),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		if out.ETag == "" {
			out.ETag = req.ETag
		}
		if out.LastModified == "" {
			out.LastModified = req.LastModified
		}
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		se := &StatusError{URL: req.URL, Code: resp.StatusCode, Status: resp.Status}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, se
	}
	if resp.ContentLength > c.opts.MaxBody && resp.Header.Get("Content-Encoding") == "" {
		return nil, c.fail(req.URL, c.tooLarge())
	}
	body, err := c.readBody(resp)
	if err != nil {
		return nil, c.fail(req.URL, err)
	}
	out.Body = body
	return out, nil
}

func (c *Client) tooLarge() error { return tooLargeError{c.opts.MaxBody} }

type tooLargeError struct{ limit int64 }

func (e tooLargeError) Error() string {
	return fmt.Sprintf("response larger than %s cap", formatSize(e.limit))
}

func (e tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// readBody reads at most MaxBody bytes after decompression, so a gzip bomb
// costs no more than an honest large page.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	var r io.Reader = resp.Body
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("bad gzip body: %w", err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	body, err := io.ReadAll(io.LimitReader(r, c.opts.MaxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > c.opts.MaxBody {
		return nil, c.tooLarge()
	}
	return body, nil
}

// describe turns a transport error into a short reason: "connection
// refused", "timed out after 30s", "no such host example.invalid".
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, ErrPrivateAddress) && errors.As(err, &opErr):
		return opErr.Err.Error()
	case errors.Is(err, ErrPrivateAddress), errors.Is(err, ErrTooLarge):
		return err.Error()
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return fmt.Sprintf("timed out after %s", timeout)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "network unreachable"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "no such host " + dnsErr.Name
		}
		return "cannot resolve " + dnsErr.Name + ": " + dnsErr.Err
	}
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// maxAge reads Cache-Control max-age; no-store or no-cache give 0.
func maxAge(cc string) time.Duration {
	for _, part := range strings.Split(cc, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if strings.EqualFold(k, "max-age") {
			if n, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// formatSize writes a byte count as 10MB, 512KB or 100B (binary units).
func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
