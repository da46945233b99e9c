package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// RefuseGuardedForTest makes every guarded request (article pages and their
// robots.txt) fail at connect time, so tests with feeds whose links point at
// real sites never touch the internet.
func RefuseGuardedForTest(c *Client) {
	c.guarded.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, errors.New("offline (test)")
	}
}
