package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		name   string
		robots func(w http.ResponseWriter)
		path   string
		want   bool
	}{
		{"missing robots.txt allows all", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, "/news/1", true},
		{"server error disallows all", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }, "/news/1", false},
		{"disallowed path", func(w http.ResponseWriter) {
			io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
		}, "/private/x", false},
		{"allowed path", func(w http.ResponseWriter) {
			io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
		}, "/news/1", true},
		{"our own group wins", func(w http.ResponseWriter) {
			io.WriteString(w, "User-agent: *\nAllow: /\n\nUser-agent: breachwire\nDisallow: /\n")
		}, "/news/1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var robotsFetches atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					robotsFetches.Add(1)
					tt.robots(w)
				}
			}))
			defer srv.Close()
			c := testClient(t, Options{AllowPrivate: true})
			for range 3 {
				err := c.Allowed(context.Background(), srv.URL+tt.path)
				if got := err == nil; got != tt.want {
					t.Fatalf("Allowed: got %v, want allowed=%v", err, tt.want)
				}
				if err != nil && !errors.Is(err, ErrRobots) {
					t.Errorf("got %v, want an error wrapping ErrRobots", err)
				}
			}
			if n := robotsFetches.Load(); n != 1 {
				t.Errorf("robots.txt fetched %d times, want once (cached)", n)
			}
		})
	}
}

func TestCrawlDelaySlowsHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			io.WriteString(w, "User-agent: *\nCrawl-delay: 5\n")
		}
	}))
	defer srv.Close()
	c := testClient(t, Options{AllowPrivate: true})
	if err := c.Allowed(context.Background(), srv.URL+"/a"); err != nil {
		t.Fatal(err)
	}
	u := srv.Listener.Addr().String()
	if got := c.gate(u).limiter.Limit(); got != 0.2 {
		t.Errorf("host limit after Crawl-delay 5: got %v requests/s, want 0.2", got)
	}
}
