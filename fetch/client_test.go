package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testClient returns a client with no politeness delay, so tests run fast.
func testClient(t testing.TB, opts Options) *Client {
	t.Helper()
	if opts.PerHostDelay == 0 {
		opts.PerHostDelay = -1
	}
	return NewClient(opts)
}

func TestGetConditional(t *testing.T) {
	var conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.Header.Get("User-Agent"), "breachwire/1.2.3 (+https://github.com/breachwire/breachwire)"; got != want {
			t.Errorf("User-Agent: got %q, want %q", got, want)
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Fri, 31 Jan 2020 00:00:00 GMT")
		w.Header().Set("Cache-Control", "public, max-age=1800")
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	c := testClient(t, Options{UserAgent: DefaultUserAgent("1.2.3")})
	ctx := context.Background()
	first, err := c.Get(ctx, Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if string(first.Body) != "hello" || first.ETag != `"v1"` || first.MaxAge != 30*time.Minute {
		t.Errorf("first response: got body %q etag %q max-age %v", first.Body, first.ETag, first.MaxAge)
	}
	second, err := c.Get(ctx, Request{URL: srv.URL, ETag: first.ETag, LastModified: first.LastModified})
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || len(second.Body) != 0 || second.ETag != `"v1"` {
		t.Errorf("second response: got NotModified %v body %q etag %q, want 304 with the old etag", second.NotModified, second.Body, second.ETag)
	}
	if conditional.Load() != 1 {
		t.Errorf("server saw %d conditional requests, want 1", conditional.Load())
	}
}

func TestGetLimits(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 2<<20)
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zeros := make([]byte, 1<<20)
	for range 8 { // 8 MiB of zeros, 8 KiB compressed: 8 times the cap
		zw.Write(zeros)
	}
	zw.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 2 << 10 { // no Content-Length: the cap must stop the read
			w.Write(big[:1024])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Error("client did not ask for gzip")
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, "small and compressed")
		zw.Close()
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/r/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/r/%d", &n)
		if n == 0 {
			io.WriteString(w, "arrived")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := testClient(t, Options{MaxBody: 1 << 20, Timeout: 300 * time.Millisecond})
	tests := []struct {
		path     string
		wantBody string
		wantErr  string
	}{
		{"/big", "", "response larger than 1MB cap"},
		{"/big-chunked", "", "response larger than 1MB cap"},
		{"/bomb", "", "response larger than 1MB cap"},
		{"/gzip", "small and compressed", ""},
		{"/loop", "", "stopped after 5 redirects"},
		{"/r/5", "arrived", ""},
		{"/r/6", "", "stopped after 5 redirects"},
		{"/slow", "", "timed out after 300ms"},
		{"/busy", "", "429 Too Many Requests (retry after 2m0s)"},
		{"/gone", "", "404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := c.Get(context.Background(), Request{URL: srv.URL + tt.path})
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("got body of %d bytes, want error %q", len(resp.Body), tt.wantErr)
				}
				want := "GET " + srv.URL + tt.path + ": "
				if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %q, want %q...%q", err, want, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != tt.wantBody {
				t.Errorf("got body %q, want %q", resp.Body, tt.wantBody)
			}
		})
	}
	var se *StatusError
	_, err := c.Get(context.Background(), Request{URL: srv.URL + "/busy"})
	if !errors.As(err, &se) || se.RetryAfter != 2*time.Minute {
		t.Errorf("got %v, want a StatusError with RetryAfter 2m", err)
	}
}

func TestGetConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/feed"
	srv.Close()
	_, err := testClient(t, Options{}).Get(context.Background(), Request{URL: url})
	if want := "GET " + url + ": connection refused"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestPrivateAddressGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	ctx := context.Background()

	guarded := testClient(t, Options{})
	if _, err := guarded.Get(ctx, Request{URL: srv.URL, Guarded: false}); err != nil {
		t.Errorf("unguarded request (a feed the user added): %v", err)
	}
	_, err := guarded.Get(ctx, Request{URL: srv.URL, Guarded: true})
	if !errors.Is(err, ErrPrivateAddress) || !strings.Contains(err.Error(), "127.0.0.1, a loopback address") {
		t.Errorf("guarded request to loopback: got %v, want a private-address error", err)
	}
	// A name that resolves to loopback is caught at connect time too.
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := guarded.Get(ctx, Request{URL: byName, Guarded: true}); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("guarded request to localhost: got %v, want a private-address error", err)
	}
	allowed := testClient(t, Options{AllowPrivate: true})
	if _, err := allowed.Get(ctx, Request{URL: srv.URL, Guarded: true}); err != nil {
		t.Errorf("guarded request with AllowPrivate: %v", err)
	}
}

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true},
		{"100.64.0.1", true},
		{"0.0.0.0", true},
		{"224.0.0.1", true},
		{"::1", true},
		{"::", true},
		{"fd00::1", true},
		{"fe80::1%eth0", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"ff02::1", true},
		{"8.8.8.8", false},
		{"93.184.216.34", false},
		{"2606:4700::1111", false},
		{"::ffff:8.8.8.8", false},
	}
	for _, tt := range tests {
		err := checkAddr(netip.MustParseAddr(tt.addr))
		if got := err != nil; got != tt.blocked {
			t.Errorf("checkAddr(%s): got blocked %v (%v), want %v", tt.addr, got, err, tt.blocked)
		}
	}
}

func TestPerHostPoliteness(t *testing.T) {
	var mu sync.Mutex
	var inFlight, maxInFlight int
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		starts = append(starts, time.Now())
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	defer srv.Close()
	c := NewClient(Options{PerHostDelay: 30 * time.Millisecond, Concurrency: 8})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.Get(context.Background(), Request{URL: srv.URL}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if maxInFlight != 1 {
		t.Errorf("got %d requests in flight to one host, want 1", maxInFlight)
	}
	if len(starts) != 4 {
		t.Fatalf("got %d requests, want 4", len(starts))
	}
}

// TestRedirectTargetPoliteness: links on several hosts that all redirect
// to one publisher must reach it spaced by the per-host delay, as direct
// links to it would.
func TestRedirectTargetPoliteness(t *testing.T) {
	const delay = 100 * time.Millisecond
	var mu sync.Mutex
	var arrivals []time.Time
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
	}))
	defer target.Close()
	var origins []string
	for range 3 {
		o := httptest.NewServer(http.RedirectHandler(target.URL+"/story", http.StatusFound))
		defer o.Close()
		origins = append(origins, o.URL)
	}
	c := NewClient(Options{PerHostDelay: delay, Concurrency: 8})
	var wg sync.WaitGroup
	for _, u := range origins {
		wg.Go(func() {
			if _, err := c.Get(context.Background(), Request{URL: u}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(arrivals) != len(origins) {
		t.Fatalf("the publisher got %d requests, want %d", len(arrivals), len(origins))
	}
	// A lower bound only, with room for scheduling: without the spacing
	// the three arrive within a millisecond or two.
	for i := 1; i < len(arrivals); i++ {
		if gap := arrivals[i].Sub(arrivals[i-1]); gap < delay/2 {
			t.Errorf("requests %d and %d reached the publisher %v apart, want about %v", i, i+1, gap, delay)
		}
	}
}

func TestRetryAfterAndMaxAge(t *testing.T) {
	now := time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{"Fri, 31 Jan 2020 00:10:00 GMT", 10 * time.Minute},
		{"Thu, 30 Jan 2020 00:10:00 GMT", 0},
		{"soon", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
	for in, want := range map[string]time.Duration{
		"max-age=600":                      10 * time.Minute,
		"public, max-age=60, no-transform": time.Minute,
		"no-cache":                         0,
		"max-age=abc":                      0,
	} {
		if got := maxAge(in); got != want {
			t.Errorf("maxAge(%q): got %v, want %v", in, got, want)
		}
	}
}
