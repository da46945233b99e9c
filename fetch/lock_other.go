//go:build !unix

package fetch

import "errors"

// ErrPollRunning is returned by LockPoll when another poll holds the lock.
var ErrPollRunning = errors.New("another poll is running")

// LockPoll is a no-op where flock is unavailable: concurrent polls are
// still safe for the database (each article is stored once by its unique
// canonical URL), only wasteful.
func LockPoll(path string) (unlock func() error, err error) {
	return func() error { return nil }, nil
}
