package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/temoto/robotstxt"
)

// robotsAgent is the product token robots.txt groups are matched against.
const robotsAgent = "breachwire"

// robotsTTL is how long a host's robots.txt is trusted before refetching
// (a long-running `run` would otherwise keep it forever).
const robotsTTL = 24 * time.Hour

// robotsEntry is one host's robots.txt; ready closes when group is known.
type robotsEntry struct {
	ready   chan struct{}
	data    *robotstxt.RobotsData // nil: everything allowed
	fetched time.Time
}

// ErrRobots is wrapped by the error Allowed returns for a disallowed page.
var ErrRobots = errors.New("disallowed by robots.txt")

// Allowed checks pageURL against its host's robots.txt, fetched once per
// host (guarded like the page itself) and cached. It returns nil when the page
// may be fetched, an error wrapping ErrRobots when it may not. A missing
// robots.txt (4xx) or one that cannot be fetched allows everything; a 5xx
// disallows everything, as the robots.txt standard (RFC 9309) asks. A
// Crawl-delay raises the host's spacing between requests.
func (c *Client) Allowed(ctx context.Context, pageURL string) error {
	u, err := url.Parse(pageURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("GET %s: not an http or https URL", pageURL)
	}
	key := u.Scheme + "://" + u.Host
	c.mu.Lock()
	e, ok := c.robots[key]
	if ok {
		select {
		case <-e.ready:
			if time.Since(e.fetched) > robotsTTL {
				ok = false
			}
		default:
		}
	}
	if !ok {
		e = &robotsEntry{ready: make(chan struct{})}
		c.robots[key] = e
		c.mu.Unlock()
		e.data = c.fetchRobots(ctx, key)
		e.fetched = time.Now()
		close(e.ready)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if e.data == nil {
		return nil
	}
	if d := e.data.FindGroup(robotsAgent).CrawlDelay; d > 0 {
		c.slowDown(u.Host, d)
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if path == "" {
		path = "/"
	}
	if !e.data.TestAgent(path, robotsAgent) {
		return fmt.Errorf("GET %s: %w", pageURL, ErrRobots)
	}
	return nil
}

func (c *Client) fetchRobots(ctx context.Context, origin string) *robotstxt.RobotsData {
	resp, err := c.Get(ctx, Request{URL: origin + "/robots.txt", Guarded: true, Accept: "text/plain"})
	var data *robotstxt.RobotsData
	var se *StatusError
	switch {
	case errors.As(err, &se):
		data, err = robotstxt.FromStatusAndBytes(se.Code, nil)
	case err != nil:
		c.log.Debug("robots.txt unavailable; allowing all", "origin", origin, "err", err)
		return nil
	default:
		data, err = robotstxt.FromStatusAndBytes(resp.Status, resp.Body)
	}
	if err != nil {
		// An unparseable robots.txt says nothing we can follow.
		return nil
	}
	return data
}
